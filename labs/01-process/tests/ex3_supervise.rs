//! ex3: the loop of `supervise`. Each test runs in a forked child (see common/mod.rs): it
//! blocks the forwarded signals, starts a program with the chapter's `spawn_command`, and
//! supervises it.

mod common;

use std::ffi::CString;

use ch01_process::{ProcessGroup, become_child_subreaper, spawn_command};
use common::{ChildResult, in_child};
use lab01_process::{BlockedSignals, ExitStatus, Reap, forwarded_signals, supervise};
use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

/// Starts `sh -c script` (signals must already be blocked).
fn start_sh(script: &str) -> Result<Pid, String> {
    let argv = ["sh", "-c", script].map(|a| CString::new(a).expect("no NUL in the script"));
    spawn_command(&argv, ProcessGroup::Inherit).map_err(|e| e.to_string())
}

/// Blocks the forwarded signals for the rest of the child's life (it exits right after).
fn block_forwarded_signals() -> Result<(), String> {
    let blocked = BlockedSignals::block(&forwarded_signals()).map_err(|e| e.to_string())?;
    std::mem::forget(blocked);
    Ok(())
}

fn expect_status(got: ExitStatus, want: ExitStatus) -> ChildResult {
    if got == want {
        Ok(())
    } else {
        Err(format!("supervise returned {got:?}, expected {want:?}"))
    }
}

#[test]
fn ex3_returns_how_the_child_ended() {
    in_child(|| {
        block_forwarded_signals()?;
        let child = start_sh("sleep 0.2; exit 7")?;
        let status = supervise(child, Reap::MainChildOnly).map_err(|e| e.to_string())?;
        expect_status(status, ExitStatus::Exited(7))
    });
}

#[test]
fn ex3_notices_a_child_that_ended_before_supervise_was_called() {
    in_child(|| {
        block_forwarded_signals()?;
        let child = start_sh("exit 4")?;
        std::thread::sleep(std::time::Duration::from_millis(300));
        let status = supervise(child, Reap::MainChildOnly).map_err(|e| e.to_string())?;
        expect_status(status, ExitStatus::Exited(4))
    });
}

#[test]
fn ex3_forwards_sigterm_to_the_child() {
    in_child(|| {
        block_forwarded_signals()?;
        let child = start_sh("sleep 10")?;
        // What `docker stop` does to the supervisor. The signal is blocked, so it waits,
        // pending, until supervise takes it and passes it on.
        kill(Pid::this(), Signal::SIGTERM).map_err(|e| e.to_string())?;
        let status = supervise(child, Reap::MainChildOnly).map_err(|e| e.to_string())?;
        let killed = ExitStatus::Signaled {
            signal: Signal::SIGTERM,
            core_dumped: false,
        };
        expect_status(status, killed)
    });
}

#[test]
fn ex3_reaps_orphans_when_asked_to() {
    in_child(|| {
        block_forwarded_signals()?;
        become_child_subreaper().map_err(|e| e.to_string())?;
        // The subshell starts `sleep 0.1` and exits at once: the sleep becomes our orphan,
        // and dies long before the main child does.
        let child = start_sh("(sleep 0.1 &); sleep 1; exit 3")?;
        let status = supervise(child, Reap::AllChildren).map_err(|e| e.to_string())?;
        expect_status(status, ExitStatus::Exited(3))?;
        match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
            Err(Errno::ECHILD) => Ok(()),
            other => Err(format!("the orphan was not reaped: waitpid(-1) gave {other:?}")),
        }
    });
}

#[test]
fn ex3_leaves_other_children_alone_when_asked_to() {
    in_child(|| {
        block_forwarded_signals()?;
        let other = start_sh("exit 0")?;
        std::thread::sleep(std::time::Duration::from_millis(200));
        let child = start_sh("exit 5")?;
        let status = supervise(child, Reap::MainChildOnly).map_err(|e| e.to_string())?;
        expect_status(status, ExitStatus::Exited(5))?;
        match waitpid(other, None) {
            Ok(WaitStatus::Exited(_, 0)) => Ok(()),
            got => Err(format!(
                "with Reap::MainChildOnly the other child must still be ours to collect: {got:?}"
            )),
        }
    });
}
