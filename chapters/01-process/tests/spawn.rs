//! `spawn_command` + `wait_for_exit`: the exit code Docker would report, and the
//! clean signal state a program gets.

mod common;

use std::os::fd::AsFd;

use ch01_process::spawn::{EXIT_CANNOT_EXECUTE, EXIT_NOT_FOUND};
use ch01_process::{
    BlockedSignals, ExitStatus, ProcessGroup, forwarded_signals, spawn_command, wait_for_exit,
};
use common::{ProcessGuard, cstrings, fork_helper};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};
use nix::unistd::dup2_stdout;

/// Runs `sh -c script` and returns how it ended.
fn run_shell(script: &str) -> ExitStatus {
    let child = spawn_command(&cstrings(&["sh", "-c", script]), ProcessGroup::Inherit).expect("spawn sh");
    ProcessGuard::new(child).wait()
}

#[test]
fn exit_code_is_propagated() {
    assert_eq!(run_shell("exit 3").code(), 3);
    assert_eq!(run_shell("exit 0").code(), 0);
}

#[test]
fn death_by_sigterm_reports_143() {
    let status = run_shell("kill -TERM $$");
    assert_eq!(
        status,
        ExitStatus::Signaled {
            signal: Signal::SIGTERM,
            core_dumped: false
        }
    );
    assert_eq!(status.code(), 143);
}

#[test]
fn death_by_sigkill_reports_137() {
    assert_eq!(run_shell("kill -KILL $$").code(), 137);
}

#[test]
fn a_missing_program_exits_with_127() {
    let child =
        spawn_command(&cstrings(&["/no/such/program"]), ProcessGroup::Inherit).expect("fork(2) succeeds");
    assert_eq!(
        ProcessGuard::new(child).wait(),
        ExitStatus::Exited(EXIT_NOT_FOUND)
    );
}

#[test]
fn a_program_that_cannot_be_executed_exits_with_126() {
    // A directory: found, but execve(2) says EACCES.
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().to_str().expect("utf-8 temp path");
    let child = spawn_command(&cstrings(&[path]), ProcessGroup::Inherit).expect("fork(2) succeeds");
    assert_eq!(
        ProcessGuard::new(child).wait(),
        ExitStatus::Exited(EXIT_CANNOT_EXECUTE)
    );
}

#[test]
fn an_empty_command_is_an_error() {
    assert!(spawn_command(&[], ProcessGroup::Inherit).is_err());
}

/// The `SigBlk:` and `SigIgn:` masks of a `/proc/<pid>/status` text, as numbers.
fn blocked_and_ignored(status: &str) -> (u64, u64) {
    let mask = |key: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(key))
            .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
            .unwrap_or_else(|| panic!("no {key} line in {status}"))
    };
    (mask("SigBlk:"), mask("SigIgn:"))
}

#[test]
fn the_program_starts_with_no_blocked_or_ignored_signal() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (own, childs) = (dir.path().join("helper-status"), dir.path().join("child-status"));
    let (own_path, child_path) = (own.clone(), childs.clone());
    let mut helper = fork_helper(move || {
        // Give the helper what a supervisor has: blocked signals, ignored ones.
        let _blocked = BlockedSignals::block(&forwarded_signals()).expect("block signals");
        let ignore = SigAction::new(SigHandler::SigIgn, SaFlags::empty(), SigSet::empty());
        for signal in [Signal::SIGPIPE, Signal::SIGHUP] {
            // SAFETY: SIG_IGN installs no handler code.
            unsafe { sigaction(signal, &ignore) }.expect("ignore signal");
        }
        let status = std::fs::read_to_string("/proc/self/status").expect("read own status");
        std::fs::write(&own_path, status).expect("write own status");
        let out = std::fs::File::create(&child_path).expect("create child status file");
        dup2_stdout(out.as_fd()).expect("redirect stdout");
        let child = spawn_command(&cstrings(&["cat", "/proc/self/status"]), ProcessGroup::Inherit)
            .expect("spawn cat");
        wait_for_exit(child).expect("collect cat").code()
    });
    assert_eq!(helper.wait(), ExitStatus::Exited(0));

    let (helper_blocked, helper_ignored) =
        blocked_and_ignored(&std::fs::read_to_string(own).expect("helper status"));
    let bit = |signal: Signal| 1_u64 << (signal as u64 - 1);
    assert_ne!(
        helper_blocked & bit(Signal::SIGTERM),
        0,
        "precondition: the helper blocks SIGTERM"
    );
    assert_ne!(
        helper_ignored & bit(Signal::SIGPIPE),
        0,
        "precondition: the helper ignores SIGPIPE"
    );

    let (blocked, ignored) = blocked_and_ignored(&std::fs::read_to_string(childs).expect("child status"));
    assert_eq!(blocked, 0, "the program inherited blocked signals: {blocked:#x}");
    assert_eq!(ignored, 0, "the program inherited ignored signals: {ignored:#x}");
}
