//! The fork after joining: why an exec is always two processes.
//!
//! **Lab 08 skeleton.** Exercise `ex2`: write [`wait_exit_code`] and [`run_joined`] (the
//! two `todo!()`s; [`fork_child`] is done). `labs/check 08` tells you how far you are.
//!
//! setns(2) with `CLONE_NEWPID` does not move the caller into the PID namespace: a process's
//! PID is fixed for its life, and it is a number *in its PID namespace*. What changes is
//! where the caller's next children are born (pid_namespaces(7), "the caller's
//! `pid_for_children`"). So the process that joined forks, and the child is the one that has
//! a PID inside the container, shows in its `ps`, and dies with it:
//!
//! ```text
//!  joiner (host PID 4242, still outside the container's PID namespace)
//!    │  join_container(init)         cgroups, one setns(2) per namespace
//!    │  fork(2) ──────────────────▶ child: PID 7 inside, 4243 outside
//!    │                                 (-t) setsid, the pty's slave, execve(2)
//!    └─ waitpid(2) ◀──── exit status ──┘
//!       exit with it
//! ```
//!
//! The joiner stays to wait: it is the child's parent, and the exit status is its to collect
//! and pass on (126 when the command could not start, 128 + n for a signal, as a shell does).

use std::panic::{AssertUnwindSafe, catch_unwind};

use nix::errno::Errno;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};

use crate::error::ExecError;
use crate::join::join_container;

/// The exit code of a child whose body panicked (as a panicking Rust program exits).
pub const PANIC_EXIT_CODE: i32 = 101;

/// Forks (fork(2)); the child runs `body` and exits with the code it returns (`_exit(2)`:
/// no atexit handlers, no flushing of the stdio buffers it copied), [`PANIC_EXIT_CODE`] if
/// `body` panics. Returns the child's pid, in the parent only.
///
/// # Safety
///
/// `fork(2)` copies only the calling thread. In a multi-threaded process any lock another
/// thread held at that moment stays locked forever in the child, so `body` must then take no
/// lock the other threads use (no `println!`, no logging). In a single-threaded process, as
/// an exec helper is, any `body` is fine.
pub unsafe fn fork_child<F>(body: F) -> Result<Pid, ExecError>
where
    F: FnOnce() -> i32,
{
    // SAFETY: the caller vouches for `body` (see # Safety); the child leaves through _exit
    // and never returns into the caller's code.
    match unsafe { fork() }.map_err(ExecError::Fork)? {
        ForkResult::Child => {
            let code = catch_unwind(AssertUnwindSafe(body)).unwrap_or(PANIC_EXIT_CODE);
            // SAFETY: _exit(2) ends the process at once; nothing of the parent's runs here.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => Ok(child),
    }
}

/// Waits for our child `pid` to end (waitpid(2)) and returns its exit code as a shell shows
/// it, which is what `docker exec` exits with: the code it exited with, or 128 + the signal
/// that killed it.
pub fn wait_exit_code(pid: Pid) -> Result<i32, ExecError> {
    // ex2: `waitpid(pid, None)` in a loop: `WaitStatus::Exited(_, code)` is the code,
    // `WaitStatus::Signaled(_, signal, _)` is 128 + `signal as i32`; any other status (stopped,
    // continued) and `Err(Errno::EINTR)` mean wait again; another error is
    // `ExecError::Wait { pid, source }`.
    todo!(
        "ex2: loop {{ match waitpid(pid, None) {{ Exited => code, Signaled => 128 + signal, other or EINTR => continue, Err => ExecError::Wait }} }}"
    )
}

/// Runs `body` in a new process inside the container whose init is `target`: join its
/// cgroups and namespaces ([`join_container`]), fork ([`fork_child`]), and wait for the
/// child's exit code ([`wait_exit_code`]). `body` usually ends in execve(2).
///
/// The calling process stays joined: call it in a process made for it (an exec helper).
///
/// # Safety
///
/// As [`fork_child`]. (Also, [`join_container`] fails in a multi-threaded process.)
pub unsafe fn run_joined<F>(target: Pid, body: F) -> Result<i32, ExecError>
where
    F: FnOnce() -> i32,
{
    // ex2: join first (`join_container(target)?`: the cgroups, then the namespaces), then
    // fork (`fork_child(body)`, an unsafe call: pass the caller's promise on), then wait for
    // the child and return its exit code.
    todo!("ex2: join_container(target)?; let child = unsafe {{ fork_child(body) }}?; wait_exit_code(child)")
}
