//! `supervise`: signals reach the child, exited children are collected, and no
//! SIGCHLD is lost. Every test supervises from a forked helper process (see
//! `common`), because signal masks and signal delivery are per thread.

mod common;

use std::os::fd::AsFd;
use std::time::{Duration, Instant};

use ch01_process::{
    BlockedSignals, ExitStatus, ProcessError, ProcessGroup, Reap, forwarded_signals, spawn_command, supervise,
};
use common::{cstrings, fork_helper, read_line};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{SigSet, Signal, kill};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{Pid, dup2_stdout, pipe2};

/// A shell that says `ready <pid>` once its SIGTERM trap is set, then loops.
const TRAPS_SIGTERM: &str = "trap 'exit 42' TERM; echo ready $$; while :; do sleep 0.1; done";

#[test]
fn a_signal_sent_to_the_supervisor_reaches_the_child() {
    let (from_child, to_test) = pipe2(OFlag::O_CLOEXEC).expect("pipe2(2)");
    let mut helper = fork_helper(|| {
        dup2_stdout(to_test.as_fd()).expect("stdout to the test's pipe");
        let _blocked = BlockedSignals::block(&forwarded_signals()).expect("block signals");
        let child = spawn_command(&cstrings(&["sh", "-c", TRAPS_SIGTERM]), ProcessGroup::New)
            .expect("spawn the trapping shell");
        supervise(child, Reap::MainChildOnly).map_or(200, |status| status.code())
    });
    drop(to_test);

    let line = read_line(&from_child).expect("the child says it is ready");
    let child: i32 = line
        .strip_prefix("ready ")
        .and_then(|pid| pid.parse().ok())
        .expect("ready <pid>");
    helper.also_kill(Pid::from_raw(child));

    kill(helper.pid(), Signal::SIGTERM).expect("kill(2) the supervisor");
    // 42 comes from the child's trap: the supervisor itself survived and forwarded.
    assert_eq!(
        helper.wait(),
        ExitStatus::Exited(42),
        "143: supervisor died; 200: supervise failed"
    );
}

/// In a helper: start `true` *before* blocking anything, let it die (its SIGCHLD
/// is discarded: the default action of SIGCHLD is to ignore it), then supervise.
/// Returns 0 if supervise collected it within 500 ms (its poll interval is 1 s).
fn supervise_an_already_dead_child(reap: Reap) -> i32 {
    let child = spawn_command(&cstrings(&["true"]), ProcessGroup::Inherit).expect("spawn true");
    std::thread::sleep(Duration::from_millis(300));
    let _blocked = BlockedSignals::block(&forwarded_signals()).expect("block signals");
    let started = Instant::now();
    let status = supervise(child, reap).expect("supervise");
    match (status, started.elapsed() < Duration::from_millis(500)) {
        (ExitStatus::Exited(0), true) => 0,
        (ExitStatus::Exited(0), false) => 1,
        _ => 2,
    }
}

#[test]
fn a_child_that_died_before_supervise_is_not_missed() {
    for reap in [Reap::MainChildOnly, Reap::AllChildren] {
        let mut helper = fork_helper(move || supervise_an_already_dead_child(reap));
        assert_eq!(
            helper.wait(),
            ExitStatus::Exited(0),
            "{reap:?}: 1 = too slow, 2 = wrong status"
        );
    }
}

/// In a helper: a short `true` and a longer main child; returns 0 when `other`
/// ends up as `expect_other` says after supervising the main child.
fn supervise_with_another_child(reap: Reap, other_is_left_as_zombie: bool) -> i32 {
    let _blocked = BlockedSignals::block(&forwarded_signals()).expect("block signals");
    let other = spawn_command(&cstrings(&["true"]), ProcessGroup::Inherit).expect("spawn true");
    let main = spawn_command(&cstrings(&["sleep", "0.3"]), ProcessGroup::Inherit).expect("spawn sleep");
    let status = supervise(main, reap).expect("supervise");
    if status != ExitStatus::Exited(0) {
        return 3;
    }
    match waitpid(other, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::Exited(_, 0)) if other_is_left_as_zombie => 0,
        Err(Errno::ECHILD) if !other_is_left_as_zombie => 0,
        _ => 4,
    }
}

#[test]
fn main_child_only_leaves_other_children_alone() {
    let mut helper = fork_helper(|| supervise_with_another_child(Reap::MainChildOnly, true));
    assert_eq!(
        helper.wait(),
        ExitStatus::Exited(0),
        "4: the other child was reaped"
    );
}

#[test]
fn all_children_reaps_the_other_children_too() {
    let mut helper = fork_helper(|| supervise_with_another_child(Reap::AllChildren, false));
    assert_eq!(
        helper.wait(),
        ExitStatus::Exited(0),
        "4: the other child was not reaped"
    );
}

#[test]
fn supervise_refuses_to_run_without_blocked_signals() {
    // The test thread blocks nothing; supervise must say so before waiting at all.
    let err = supervise(Pid::from_raw(1), Reap::MainChildOnly).expect_err("signals are not blocked");
    assert!(matches!(err, ProcessError::SignalsNotBlocked { .. }), "{err}");
}

#[test]
fn blocked_signals_are_restored_on_drop() {
    let before = SigSet::thread_get_mask().expect("read mask");
    let mut usr1 = SigSet::empty();
    usr1.add(Signal::SIGUSR1);
    {
        let blocked = BlockedSignals::block(&usr1).expect("block SIGUSR1");
        let during = SigSet::thread_get_mask().expect("read mask");
        assert!(during.contains(Signal::SIGUSR1) && during.contains(Signal::SIGCHLD));
        assert_eq!(*blocked.previous(), before);
    }
    assert_eq!(SigSet::thread_get_mask().expect("read mask"), before);
}

#[test]
fn forwarded_signals_leave_out_what_is_ours_or_the_terminals() {
    let set = forwarded_signals();
    for signal in [
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
    ] {
        assert!(set.contains(signal), "{signal} must be forwarded");
    }
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGPIPE,
        Signal::SIGURG,
        Signal::SIGWINCH,
        Signal::SIGKILL,
        Signal::SIGSTOP,
    ] {
        assert!(!set.contains(signal), "{signal} must not be forwarded");
    }
}
