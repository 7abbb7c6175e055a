//! Links minidocker's executables at a fixed address (`-no-pie`), not as position-independent
//! executables.
//!
//! Every CLI command, every container's shim and every exec helper is an execve(2) of the
//! `minidocker` binary. Built as a PIE, the dynamic loader first patches ~29 000 absolute
//! pointers in its data (vtables, clap's and serde's tables: `R_X86_64_RELATIVE`
//! relocations), which also copies each page it touches: ~0.5 ms of every start here
//! (`LD_DEBUG=statistics minidocker --version` shows the count). Linked at a fixed address the
//! linker resolves them once, at build time: 3 remain.
//!
//! The price: the binary's own code and data are always at the same address (no address
//! space layout randomization for them; its libraries, heap and stacks are still randomized).
//! Remove this file to trade the start-up time back for that.
fn main() {
    println!("cargo:rustc-link-arg-bins=-no-pie");
}
