//! How a process ended, and the single number Docker reports for it.
//!
//! **Lab 01 skeleton.** Exercise `ex1`: write [`ExitStatus::from_wait_status`] and
//! [`ExitStatus::code`] (the two `todo!()`s). `labs/check 01` tells you how far you are.
//!
//! The kernel keeps a dead child as a *zombie* until its parent collects it with
//! `waitpid(2)`. What the parent gets is a packed *wait status*: either "exited
//! with code n" (the argument of `exit`, 0..=255) or "killed by signal s" (and
//! whether a core dump was written). A shell, and Docker after it, squeezes both
//! into one exit code: `n` when the process exited, `128 + s` when a signal killed
//! it. That is why `docker run` reports `137` after `docker kill` (SIGKILL is 9)
//! and `143` after a SIGTERM that was not handled (SIGTERM is 15).

use std::fmt;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::error::ProcessError;

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The process called `exit(code)` (or returned `code` from `main`).
    Exited(i32),
    /// A signal the process did not handle killed it.
    Signaled {
        /// The fatal signal.
        signal: Signal,
        /// Whether the kernel wrote a core dump (`SIGQUIT`, `SIGSEGV`, ... when allowed).
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// Reads a wait status from `waitpid(2)`; `None` when it does not describe an
    /// ended process (stopped, continued, still alive, ptrace events).
    pub fn from_wait_status(ws: WaitStatus) -> Option<ExitStatus> {
        // ex1: `ws` is one of the `WaitStatus` variants. Two of them mean "this process
        // has ended"; every other one is `None`.
        todo!(
            "ex1: match ws: WaitStatus::Exited(_, code) and WaitStatus::Signaled(_, signal, core_dumped) become an ExitStatus, anything else None"
        )
    }

    /// The exit code Docker (and a shell's `$?`) reports: the code itself for a
    /// process that exited, `128 + signal number` for one killed by a signal
    /// (`SIGKILL` gives `137`).
    pub fn code(&self) -> i32 {
        // ex1: the shell's convention, which `docker run` and `docker wait` follow.
        todo!("ex1: the code itself for Exited, 128 + the signal's number (`signal as i32`) for Signaled")
    }

    /// Whether the process exited with code 0.
    pub fn success(&self) -> bool {
        *self == ExitStatus::Exited(0)
    }
}

impl fmt::Display for ExitStatus {
    /// `exited with code 3`, `killed by signal SIGKILL`,
    /// `killed by signal SIGSEGV (core dumped)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ExitStatus::Exited(code) => write!(f, "exited with code {code}"),
            ExitStatus::Signaled { signal, core_dumped } => {
                write!(f, "killed by signal {}", signal.as_str())?;
                if core_dumped {
                    write!(f, " (core dumped)")?;
                }
                Ok(())
            }
        }
    }
}

/// Blocks until the child `pid` has ended and collects it with
/// [`waitpid(2)`](https://man7.org/linux/man-pages/man2/waitpid.2.html), so it does
/// not stay a zombie.
///
/// A wait interrupted by a signal handler (`EINTR`) is retried; stop and continue
/// notifications (seen only by a tracer) are skipped. `pid` must be a child of the
/// calling process, otherwise the error carries `ECHILD`.
pub fn wait_for_exit(pid: Pid) -> Result<ExitStatus, ProcessError> {
    loop {
        match waitpid(pid, None) {
            Ok(ws) => {
                if let Some(status) = ExitStatus::from_wait_status(ws) {
                    return Ok(status);
                }
            }
            Err(Errno::EINTR) => continue,
            Err(source) => return Err(ProcessError::Wait { pid, source }),
        }
    }
}
