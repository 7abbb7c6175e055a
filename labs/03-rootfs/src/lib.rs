//! # Lab 03: a root filesystem of its own
//!
//! The exercises of chapter 3 (`chapters/03-rootfs`, crate `ch03_rootfs`): you write the
//! bodies marked `todo!()` and `labs/check 03` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/secure_join.rs` | [`secure_join`](secure_join::secure_join) |
//! | `ex2` | `src/masked.rs` | [`mask_path`](masked::mask_path), [`readonly_path`](masked::readonly_path) |
//! | `ex3` | `src/pivot.rs` | [`pivot_into`](pivot::pivot_into) |
//! | `ex4` | `src/user.rs` | [`resolve_user`](user::resolve_user) |
//!
//! Everything else comes from the chapter crate, so there is one copy of it: the error type
//! and the [`Syscall`] trait with its real ([`LinuxSyscall`]) and recording
//! ([`RecordingSyscall`]) implementations. With `--features reference` the chapter's own
//! files are compiled instead of yours (that is how `labs/check --verify` proves every test
//! can pass).

/// The chapter's `Syscall` trait and its two implementations, re-exported: the exercise files
/// say `crate::syscall::Syscall`.
pub use ch03_rootfs::syscall;
pub use ch03_rootfs::{LinuxSyscall, RecordingSyscall, RootfsError, Syscall};

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, some arguments, imports and helpers are unused.
#[cfg_attr(feature = "reference", path = "../../../chapters/03-rootfs/src/masked.rs")]
#[cfg_attr(not(feature = "reference"), allow(unused_variables, unused_imports))]
pub mod masked;
#[cfg_attr(feature = "reference", path = "../../../chapters/03-rootfs/src/pivot.rs")]
#[cfg_attr(not(feature = "reference"), allow(unused_variables, unused_imports))]
pub mod pivot;
#[cfg_attr(
    feature = "reference",
    path = "../../../chapters/03-rootfs/src/secure_join.rs"
)]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod secure_join;
#[cfg_attr(feature = "reference", path = "../../../chapters/03-rootfs/src/user.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod user;

pub use secure_join::{SymlinkLoop, secure_join};
pub use user::{ResolvedUser, UserSpec, resolve_user};
