//! ex1: `ExitStatus::from_wait_status` and `ExitStatus::code`.

use std::ffi::CString;

use ch01_process::{ProcessGroup, spawn_command};
use lab01_process::{ExitStatus, wait_for_exit};
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::WaitStatus;
use nix::unistd::Pid;

const PID: Pid = Pid::from_raw(4242);

#[test]
fn ex1_a_process_that_exited_reports_its_own_code() {
    for code in [0, 1, 3, 127, 255] {
        let status = ExitStatus::from_wait_status(WaitStatus::Exited(PID, code));
        assert_eq!(status, Some(ExitStatus::Exited(code)));
        assert_eq!(
            status.map(|s| s.code()),
            Some(code),
            "`exit({code})` must read as {code}"
        );
    }
}

#[test]
fn ex1_a_process_killed_by_a_signal_reports_128_plus_the_signal() {
    let cases = [
        (Signal::SIGKILL, 137),
        (Signal::SIGTERM, 143),
        (Signal::SIGINT, 130),
    ];
    for (signal, code) in cases {
        let status = ExitStatus::from_wait_status(WaitStatus::Signaled(PID, signal, false));
        let expected = ExitStatus::Signaled {
            signal,
            core_dumped: false,
        };
        assert_eq!(status, Some(expected));
        assert_eq!(status.map(|s| s.code()), Some(code), "killed by {signal}");
    }
    let dumped = ExitStatus::from_wait_status(WaitStatus::Signaled(PID, Signal::SIGSEGV, true));
    assert_eq!(
        dumped,
        Some(ExitStatus::Signaled {
            signal: Signal::SIGSEGV,
            core_dumped: true
        }),
        "the core dump flag is kept"
    );
    assert_eq!(dumped.map(|s| s.code()), Some(139));
}

#[test]
fn ex1_a_process_that_did_not_end_has_no_exit_status() {
    for ws in [
        WaitStatus::Stopped(PID, Signal::SIGSTOP),
        WaitStatus::Continued(PID),
        WaitStatus::StillAlive,
        WaitStatus::PtraceEvent(PID, Signal::SIGTRAP, 1),
    ] {
        assert_eq!(ExitStatus::from_wait_status(ws), None, "{ws:?} is not an end");
    }
}

/// A child the test started: killed and reaped if the test fails before it was waited for.
struct Child(Option<Pid>);

impl Child {
    /// Runs `sh -c script` with the chapter's `spawn_command`.
    fn start(script: &str) -> Child {
        let argv = ["sh", "-c", script].map(|a| CString::new(a).expect("no NUL in the script"));
        let pid = spawn_command(&argv, ProcessGroup::Inherit).expect("start sh");
        Child(Some(pid))
    }

    fn wait(mut self) -> ExitStatus {
        let pid = self.0.expect("not waited for yet");
        let status = wait_for_exit(pid).expect("waitpid(2) on our own child");
        self.0 = None;
        status
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = kill(pid, Signal::SIGKILL);
            let _ = nix::sys::wait::waitpid(pid, None);
        }
    }
}

#[test]
fn ex1_wait_for_exit_reports_what_a_real_child_did() {
    let exited = Child::start("exit 7").wait();
    assert_eq!(exited, ExitStatus::Exited(7));
    assert_eq!(exited.code(), 7);

    // `docker kill` gives 137: the shell kills itself with SIGKILL.
    let killed = Child::start("kill -KILL $$").wait();
    assert_eq!(
        killed,
        ExitStatus::Signaled {
            signal: Signal::SIGKILL,
            core_dumped: false
        }
    );
    assert_eq!(killed.code(), 137);
}
