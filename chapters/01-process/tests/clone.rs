//! `spawn_cloned` really creates a process, and its exit reaches the parent.

mod common;

use ch01_process::clone::PANIC_EXIT_CODE;
use ch01_process::{ExitStatus, ProcessError, spawn_cloned};
use common::ProcessGuard;
use nix::sched::CloneFlags;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{getpid, getppid};

/// Clones `child`, then collects it through a guard that kills it on failure.
fn run_cloned(child: impl FnMut() -> isize) -> ExitStatus {
    let pid = spawn_cloned(CloneFlags::empty(), child).expect("clone(2) a child");
    ProcessGuard::new(pid).wait()
}

#[test]
fn return_value_becomes_the_exit_code() {
    let status = run_cloned(|| 3);
    assert_eq!(status, ExitStatus::Exited(3));
    assert_eq!(status.code(), 3);
}

#[test]
fn only_the_low_8_bits_of_the_return_value_survive() {
    assert_eq!(run_cloned(|| 300), ExitStatus::Exited(300 - 256));
}

#[test]
fn a_child_killed_by_sigkill_reports_137() {
    let status = run_cloned(|| {
        let _ = kill(getpid(), Signal::SIGKILL);
        1
    });
    assert_eq!(
        status,
        ExitStatus::Signaled {
            signal: Signal::SIGKILL,
            core_dumped: false
        }
    );
    assert_eq!(status.code(), 137);
}

#[test]
fn the_child_is_a_new_process_whose_parent_is_us() {
    let parent = getpid();
    // The child reports what it sees through its exit code.
    let status = run_cloned(|| match (getpid() != parent, getppid() == parent) {
        (true, true) => 0,
        (false, _) => 1,
        (_, false) => 2,
    });
    assert_eq!(
        status,
        ExitStatus::Exited(0),
        "1: same pid as parent, 2: wrong parent pid"
    );
}

#[test]
fn the_child_writes_to_its_own_copy_of_memory() {
    let mut value = 1;
    let status = run_cloned(|| {
        value = 2;
        value
    });
    assert_eq!(status, ExitStatus::Exited(2), "the child saw its own write");
    assert_eq!(value, 1, "the parent's memory is untouched");
}

#[test]
fn a_panic_in_the_child_becomes_exit_code_101() {
    let status = run_cloned(|| panic!("deliberate panic in a cloned child"));
    assert_eq!(status, ExitStatus::Exited(PANIC_EXIT_CODE as i32));
}

#[test]
fn flags_that_share_memory_are_refused() {
    let err = spawn_cloned(CloneFlags::CLONE_VM | CloneFlags::CLONE_NEWUTS, || 0)
        .expect_err("CLONE_VM must be refused");
    assert!(
        matches!(err, ProcessError::UnsupportedCloneFlags { flags } if flags == CloneFlags::CLONE_VM),
        "{err}"
    );
}
