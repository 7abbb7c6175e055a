//! A tiny init: what `docker run --init` (tini) puts at PID 1 of a container.
//!
//! The first process of a PID namespace is special, for two reasons.
//!
//! **It inherits every orphan.** When a process dies, its children are handed to
//! the namespace's PID 1 (or to the nearest ancestor that declared itself a *child
//! subreaper*). A dead child stays a *zombie*, holding its pid and an entry in the
//! process table, until its parent collects it with `waitpid(2)`. A shell or a
//! database started as PID 1 never waits for children it did not start, so the
//! zombies of its orphaned grandchildren pile up until no pid is left.
//!
//! **The kernel protects it from signals.** A signal whose action is the default
//! is dropped when sent to PID 1 of a namespace (from inside; only SIGKILL and
//! SIGSTOP from the parent namespace get through): a container whose init died of
//! a stray SIGTERM would take every process with it. So a program that installs no
//! SIGTERM handler ignores `docker stop` when it runs as PID 1, and Docker kills it
//! with SIGKILL after 10 seconds. Blocked signals are not dropped: they wait for
//! `sigtimedwait(2)`, which is exactly how this init receives and forwards them.
//!
//! [`run_init`] therefore blocks the forwarded signals, starts the real program,
//! passes signals on to it, reaps every zombie it inherits, and exits with the
//! program's exit code.

use std::ffi::CString;

use nix::errno::Errno;
use nix::sys::wait::waitpid;
use nix::unistd::Pid;

use crate::error::ProcessError;
use crate::exit_status::ExitStatus;
use crate::signals::{BlockedSignals, Reap, forwarded_signals, supervise};
use crate::spawn::{ProcessGroup, spawn_command};

/// Makes the calling process a *child subreaper* with
/// [`prctl(2)`](https://man7.org/linux/man-pages/man2/prctl.2.html)
/// `PR_SET_CHILD_SUBREAPER`: orphans among its descendants are re-parented to it
/// instead of to PID 1, so it can reap them even when it is not PID 1 itself.
pub fn become_child_subreaper() -> Result<(), ProcessError> {
    nix::sys::prctl::set_child_subreaper(true).map_err(|source| ProcessError::Subreaper { source })
}

// ANCHOR: run_init
/// Runs `argv` as the single child of a minimal init and returns the exit code to
/// exit with (Docker-style: `128 + n` when signal `n` killed the child).
///
/// In order: block [`forwarded_signals()`], become a child subreaper, start `argv`
/// in its own process group that owns the terminal (like tini), then
/// [`supervise`] it with [`Reap::AllChildren`]. A missing program gives `127`,
/// one that cannot be executed `126`.
///
/// Call it from a single-threaded process (an init has no other threads). On
/// success the signals **stay blocked**: a signal that arrives after the child has
/// died has nobody to go to, and must not turn the child's exit code into our own
/// death by signal; exit with the code right away. Children still running when
/// `argv` exits are left alone (a container's init exits and the kernel kills the
/// rest of the PID namespace; see [`reap_remaining_children`] otherwise).
pub fn run_init(argv: &[CString]) -> Result<i32, ProcessError> {
    if argv.is_empty() {
        return Err(ProcessError::EmptyCommand);
    }
    let blocked = BlockedSignals::block(&forwarded_signals())?;
    become_child_subreaper()?;
    let child = spawn_command(argv, ProcessGroup::NewForeground)?;
    tracing::info!(pid = %child, "started {}", argv[0].to_string_lossy());
    let status = supervise(child, Reap::AllChildren)?;
    tracing::info!(pid = %child, "main child {status}");
    // Keep the signals blocked from here until the caller exits (see above).
    std::mem::forget(blocked);
    Ok(status.code())
}
// ANCHOR_END: run_init

/// Waits for every remaining child with blocking
/// [`waitpid(2)`](https://man7.org/linux/man-pages/man2/waitpid.2.html) calls until
/// none is left, and returns who ended how.
///
/// What a subreaper that is *not* PID 1 of its own namespace can do after its main
/// child has exited: nothing will kill the orphans for it, and if it exits they are
/// handed further up. Signals are not forwarded meanwhile.
pub fn reap_remaining_children() -> Result<Vec<(Pid, ExitStatus)>, ProcessError> {
    let mut reaped = Vec::new();
    loop {
        match waitpid(None, None) {
            Ok(ws) => {
                if let (Some(pid), Some(status)) = (ws.pid(), ExitStatus::from_wait_status(ws)) {
                    tracing::info!(%pid, "reaped orphaned process: {status}");
                    reaped.push((pid, status));
                }
            }
            Err(Errno::EINTR) => continue,
            Err(Errno::ECHILD) => return Ok(reaped),
            Err(source) => {
                return Err(ProcessError::Wait {
                    pid: Pid::from_raw(-1),
                    source,
                });
            }
        }
    }
}
