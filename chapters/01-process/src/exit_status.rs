//! How a process ended, and the single number Docker reports for it.
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
        match ws {
            WaitStatus::Exited(_, code) => Some(ExitStatus::Exited(code)),
            WaitStatus::Signaled(_, signal, core_dumped) => {
                Some(ExitStatus::Signaled { signal, core_dumped })
            }
            _ => None,
        }
    }

    // ANCHOR: code
    /// The exit code Docker (and a shell's `$?`) reports: the code itself for a
    /// process that exited, `128 + signal number` for one killed by a signal
    /// (`SIGKILL` gives `137`).
    pub fn code(&self) -> i32 {
        match *self {
            ExitStatus::Exited(code) => code,
            ExitStatus::Signaled { signal, .. } => 128 + signal as i32,
        }
    }
    // ANCHOR_END: code

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PID: Pid = Pid::from_raw(4242);

    /// Every signal the platform knows.
    fn any_signal() -> impl Strategy<Value = Signal> {
        prop::sample::select(Signal::iterator().collect::<Vec<_>>())
    }

    #[test]
    fn exited_maps_to_its_code() {
        let status = ExitStatus::from_wait_status(WaitStatus::Exited(PID, 3));
        assert_eq!(status, Some(ExitStatus::Exited(3)));
        assert_eq!(status.map(|s| s.code()), Some(3));
    }

    #[test]
    fn sigkill_maps_to_137_and_sigterm_to_143() {
        let kill = ExitStatus::from_wait_status(WaitStatus::Signaled(PID, Signal::SIGKILL, false));
        assert_eq!(kill.map(|s| s.code()), Some(137));
        let term = ExitStatus::from_wait_status(WaitStatus::Signaled(PID, Signal::SIGTERM, false));
        assert_eq!(term.map(|s| s.code()), Some(143));
    }

    #[test]
    fn non_final_statuses_are_not_exit_statuses() {
        for ws in [
            WaitStatus::Stopped(PID, Signal::SIGSTOP),
            WaitStatus::Continued(PID),
            WaitStatus::StillAlive,
            WaitStatus::PtraceEvent(PID, Signal::SIGTRAP, 1),
        ] {
            assert_eq!(ExitStatus::from_wait_status(ws), None, "{ws:?}");
        }
    }

    #[test]
    fn display_reads_like_a_sentence() {
        assert_eq!(ExitStatus::Exited(3).to_string(), "exited with code 3");
        let killed = ExitStatus::Signaled {
            signal: Signal::SIGKILL,
            core_dumped: false,
        };
        assert_eq!(killed.to_string(), "killed by signal SIGKILL");
        let dumped = ExitStatus::Signaled {
            signal: Signal::SIGSEGV,
            core_dumped: true,
        };
        assert_eq!(dumped.to_string(), "killed by signal SIGSEGV (core dumped)");
    }

    proptest! {
        /// The raw status word of `exit(n)` is `n << 8`; it must come back as `n`.
        #[test]
        fn any_exit_code_maps_to_itself(code in 0..=255_i32) {
            let ws = WaitStatus::from_raw(PID, code << 8).expect("valid raw status");
            let status = ExitStatus::from_wait_status(ws);
            prop_assert_eq!(status, Some(ExitStatus::Exited(code)));
            prop_assert_eq!(status.map(|s| s.code()), Some(code));
        }

        /// The raw status word of a death by signal `s` is `s`, plus `0x80` for a core dump.
        #[test]
        fn any_signal_maps_to_128_plus_its_number(signal in any_signal(), core in any::<bool>()) {
            let raw = signal as i32 | if core { 0x80 } else { 0 };
            let ws = WaitStatus::from_raw(PID, raw).expect("valid raw status");
            let status = ExitStatus::from_wait_status(ws);
            prop_assert_eq!(status, Some(ExitStatus::Signaled { signal, core_dumped: core }));
            prop_assert_eq!(status.map(|s| s.code()), Some(128 + signal as i32));
        }
    }
}
