//! Creating a process with `clone(2)`.
//!
//! `fork(2)` makes a copy of the calling process. `clone(2)` is the system call
//! underneath it, with a flag per thing the child may share with, or get anew from,
//! its parent. Containers are built from the `CLONE_NEW*` flags (chapter 2): a
//! child born in its own namespaces. This module does the plain part: a child that
//! runs a Rust closure and whose return value becomes its exit code.
//!
//! ## Why a stack, and why it grows down
//!
//! `clone(2)` was designed for threads as much as for processes. A thread shares
//! its parent's memory, so it cannot keep using the parent's stack: both would
//! push and pop on the same bytes. The C library wrapper therefore always asks for
//! a fresh stack, switches to it in the child and calls our function there.
//!
//! On x86-64 and aarch64 a stack *grows down*: a function call pushes its frame at
//! a lower address than its caller's. So the pointer handed to the kernel is the
//! *top* (highest address) of the buffer, aligned to 16 bytes as the ABI demands;
//! `nix::sched::clone` does that arithmetic for us.
//!
//! Our child gets its own copy of the parent's memory (we refuse `CLONE_VM`), so
//! the parent may free its copy of the stack as soon as `clone(2)` returns: the
//! child keeps using the copy it was born with. There is no guard page below the
//! buffer, so a child that recursed more than [`DEFAULT_STACK_SIZE`] would scribble
//! over its own heap instead of crashing cleanly: keep child closures small (set up,
//! then `exec`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::error::ProcessError;

/// Stack given to a cloned child: 1 MiB, plenty for a closure that sets a few
/// things up and calls `exec`.
pub const DEFAULT_STACK_SIZE: usize = 1024 * 1024;

/// Exit code of a child whose closure panicked (the same code a Rust `main` uses).
pub const PANIC_EXIT_CODE: isize = 101;

/// Flags that make the child share memory (and so the stack we are about to free)
/// or signal handlers with us. `spawn_cloned` refuses them. (The flags that need
/// extra pointer arguments, such as `CLONE_SETTLS`, are not even exposed by nix.)
fn unsupported_flags() -> CloneFlags {
    CloneFlags::CLONE_VM | CloneFlags::CLONE_THREAD | CloneFlags::CLONE_SIGHAND
}

/// Starts a child process with [`clone(2)`](https://man7.org/linux/man-pages/man2/clone.2.html)
/// that runs `child` on a fresh [`DEFAULT_STACK_SIZE`] stack and exits with its
/// return value.
///
/// * The child is created with `SIGCHLD` as its exit signal, like a `fork(2)`ed
///   one, so the parent can collect it with `waitpid(2)`
///   ([`wait_for_exit`](crate::exit_status::wait_for_exit)).
/// * Only the low 8 bits of the return value reach the parent (`256` reads as `0`).
/// * A panic in `child` is caught and turned into exit code [`PANIC_EXIT_CODE`].
/// * The child leaves through the raw `exit` system call: `atexit` handlers do not
///   run and buffers that were not flushed are lost (`println!` flushes at the
///   newline; `print!` needs an explicit flush).
/// * If the calling program has several threads, only the calling one exists in
///   the child; a lock another thread held (even inside `malloc`) stays locked
///   forever there. Keep the closure to async-signal-safe work, then `exec`.
///
/// `flags` may contain namespace flags (`CLONE_NEWUTS`, ...) but not flags that
/// share memory with the parent (`CLONE_VM`, `CLONE_THREAD`, ...): those return
/// [`ProcessError::UnsupportedCloneFlags`].
pub fn spawn_cloned(flags: CloneFlags, mut child: impl FnMut() -> isize) -> Result<Pid, ProcessError> {
    let unsupported = flags & unsupported_flags();
    if !unsupported.is_empty() {
        return Err(ProcessError::UnsupportedCloneFlags { flags: unsupported });
    }
    // Runs in the child: a panic must not unwind into the C code that called us.
    let body = Box::new(move || catch_unwind(AssertUnwindSafe(&mut child)).unwrap_or(PANIC_EXIT_CODE));

    // ANCHOR: clone_call
    // The child's stack: an ordinary heap buffer. nix passes the kernel its top end.
    let mut stack = vec![0_u8; DEFAULT_STACK_SIZE];
    // SAFETY: without CLONE_VM (refused above) the child runs `body` on its own
    // copy of our memory, so nothing it does can touch the parent; `body` catches
    // panics, so no unwinding crosses the C frames of clone(3).
    let pid = unsafe { nix::sched::clone(body, &mut stack, flags, Some(Signal::SIGCHLD as i32)) }
        .map_err(|source| ProcessError::Clone { source })?;
    // ANCHOR_END: clone_call
    Ok(pid)
}
