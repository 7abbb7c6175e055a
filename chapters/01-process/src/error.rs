//! The one error type of chapter 1.
//!
//! Every variant names the system call that failed and what it was working on
//! (a pid, a signal, a flag), so a message like
//! `waitpid(2) on pid 4242 failed: ECHILD: No child processes` can be read
//! without the source code at hand.

use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

/// Why a process operation of chapter 1 failed.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// `clone(2)` refused to create the child.
    #[error("clone(2) failed: {source}")]
    Clone {
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// [`spawn_cloned`](crate::clone::spawn_cloned) was given flags that would make
    /// the child share memory with the parent.
    #[error(
        "clone(2) flags {flags:?} are not supported by spawn_cloned: the child must get its own copy of memory"
    )]
    UnsupportedCloneFlags {
        /// The offending subset of the flags.
        flags: CloneFlags,
    },

    /// `fork(2)` refused to create the child.
    #[error("fork(2) for {argv0} failed: {source}")]
    Fork {
        /// The program the child was going to run.
        argv0: String,
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// `waitpid(2)` failed; `pid` is `-1` when waiting for any child.
    #[error("waitpid(2) on pid {pid} failed: {source}")]
    Wait {
        /// The pid waited for (`-1`: any child).
        pid: Pid,
        /// The errno returned by the kernel (`ECHILD`: not our child).
        source: Errno,
    },

    /// `kill(2)` could not deliver a signal.
    #[error("kill(2) of pid {pid} with {signal} failed: {source}")]
    Kill {
        /// The process the signal was for.
        pid: Pid,
        /// The signal.
        signal: Signal,
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// `sigprocmask(2)` could not change the signal mask.
    #[error("sigprocmask(2) failed: {source}")]
    SignalMask {
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// `rt_sigaction(2)` could not reset a signal's disposition.
    #[error("rt_sigaction(2) for signal {signo} failed: {source}")]
    SignalAction {
        /// The number of the signal whose disposition was being changed (a
        /// number, not a [`Signal`]: real-time signals have no name).
        signo: i32,
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// `sigtimedwait(2)` failed with something else than a timeout or `EINTR`.
    #[error("sigtimedwait(2) failed: {source}")]
    SignalWait {
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// [`supervise`](crate::signals::supervise) was called while a signal it waits
    /// for was not blocked: that signal would kill us or be lost instead.
    #[error(
        "supervise needs {signal} blocked on the calling thread: hold a BlockedSignals for forwarded_signals() first"
    )]
    SignalsNotBlocked {
        /// The first signal found unblocked.
        signal: Signal,
    },

    /// `prctl(PR_SET_CHILD_SUBREAPER)` failed.
    #[error("prctl(2) PR_SET_CHILD_SUBREAPER failed: {source}")]
    Subreaper {
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// `setpgid(2)` could not give the child a process group of its own.
    #[error("setpgid(2) for a new process group failed: {source}")]
    SetProcessGroup {
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// `tcsetpgrp(3)` could not make the child's group the terminal's foreground.
    #[error("tcsetpgrp(3) on stdin failed: {source}")]
    SetForeground {
        /// The errno returned by the kernel.
        source: Errno,
    },

    /// An init or a spawn was asked to run an empty command line.
    #[error("no command to run: argv is empty")]
    EmptyCommand,
}

impl ProcessError {
    /// The errno behind the failure, if a system call failed.
    pub fn errno(&self) -> Option<Errno> {
        use ProcessError::*;
        match self {
            Clone { source }
            | Fork { source, .. }
            | Wait { source, .. }
            | Kill { source, .. }
            | SignalMask { source }
            | SignalAction { source, .. }
            | SignalWait { source }
            | Subreaper { source }
            | SetProcessGroup { source }
            | SetForeground { source } => Some(*source),
            UnsupportedCloneFlags { .. } | SignalsNotBlocked { .. } | EmptyCommand => None,
        }
    }
}
