//! `run_init`: exit codes come through, signals are forwarded, orphans are reaped.
//! Each init runs in a forked helper with stdin on /dev/null (see `common`).

mod common;

use std::os::fd::AsFd;

use ch01_process::{
    BlockedSignals, ExitStatus, ProcessGroup, Reap, become_child_subreaper, forwarded_signals,
    reap_remaining_children, run_init, spawn_command, supervise,
};
use common::{cstrings, fork_helper, read_line, stdin_from_dev_null, zombie_children};
use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, dup2_stdout, getpid, pipe2};

/// Runs `sh -c script` under `run_init` in a helper; returns the helper's status.
fn init_shell(script: &str) -> ExitStatus {
    let argv = cstrings(&["sh", "-c", script]);
    let mut helper = fork_helper(move || {
        stdin_from_dev_null();
        run_init(&argv).unwrap_or(200)
    });
    helper.wait()
}

#[test]
fn the_exit_code_of_the_child_is_the_exit_code_of_init() {
    assert_eq!(init_shell("exit 3"), ExitStatus::Exited(3));
}

#[test]
fn a_child_killed_by_sigkill_gives_137() {
    assert_eq!(init_shell("kill -KILL $$"), ExitStatus::Exited(137));
}

#[test]
fn a_missing_program_gives_127() {
    let mut helper = fork_helper(|| {
        stdin_from_dev_null();
        run_init(&cstrings(&["/no/such/program"])).unwrap_or(200)
    });
    assert_eq!(helper.wait(), ExitStatus::Exited(127));
}

/// Three short-lived orphans: each `( true & )` subshell exits at once, leaving
/// its `true` to be re-parented to the nearest subreaper. Then the main child
/// lingers long enough for them to die, and exits with 7.
const LEAVES_ORPHANS: &str = "for i in 1 2 3; do ( true & ); done; sleep 0.5; exit 7";

#[test]
fn init_reaps_orphans_and_leaves_no_zombie() {
    let argv = cstrings(&["sh", "-c", LEAVES_ORPHANS]);
    let mut helper = fork_helper(move || {
        stdin_from_dev_null();
        let Ok(code) = run_init(&argv) else { return 200 };
        match zombie_children(getpid()).len() {
            0 => code,
            zombies => 100 + zombies as i32,
        }
    });
    assert_eq!(
        helper.wait(),
        ExitStatus::Exited(7),
        "100 + n: n zombies were left; 200: run_init failed"
    );
}

#[test]
fn without_reaping_all_children_the_orphans_stay_zombies() {
    // The control experiment for the test above: same orphans, a subreaper that
    // only waits for its main child. The zombie check must see all three.
    let argv = cstrings(&["sh", "-c", LEAVES_ORPHANS]);
    let mut helper = fork_helper(move || {
        let _blocked = BlockedSignals::block(&forwarded_signals()).expect("block signals");
        become_child_subreaper().expect("become subreaper");
        let child = spawn_command(&argv, ProcessGroup::Inherit).expect("spawn sh");
        let status = supervise(child, Reap::MainChildOnly).expect("supervise");
        let zombies = zombie_children(getpid()).len() as i32;
        let reaped = reap_remaining_children().expect("reap the zombies").len() as i32;
        if status == ExitStatus::Exited(7) && reaped == zombies {
            zombies
        } else {
            100
        }
    });
    assert_eq!(
        helper.wait(),
        ExitStatus::Exited(3),
        "the three orphans are zombies until reaped"
    );
}

#[test]
fn init_forwards_sigterm_to_its_child() {
    let (from_child, to_test) = pipe2(OFlag::O_CLOEXEC).expect("pipe2(2)");
    let argv = cstrings(&[
        "sh",
        "-c",
        "trap 'exit 42' TERM; echo ready $$; while :; do sleep 0.1; done",
    ]);
    let mut helper = fork_helper(move || {
        stdin_from_dev_null();
        dup2_stdout(to_test.as_fd()).expect("stdout to the test's pipe");
        run_init(&argv).unwrap_or(200)
    });
    let line = read_line(&from_child).expect("the child says it is ready");
    let child: i32 = line
        .strip_prefix("ready ")
        .and_then(|pid| pid.parse().ok())
        .expect("ready <pid>");
    helper.also_kill(Pid::from_raw(child));

    kill(helper.pid(), Signal::SIGTERM).expect("kill(2) the init");
    assert_eq!(
        helper.wait(),
        ExitStatus::Exited(42),
        "143: init died; 200: run_init failed"
    );
}
