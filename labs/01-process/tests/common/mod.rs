//! Shared by the lab's tests: run a body in a forked child, with a deadline.
//!
//! Signal masks belong to threads and `cargo test` runs tests as threads of one process, so
//! every test that blocks signals or waits for children does it in a forked child: a
//! single-threaded process of its own, in its own process group (a stray `kill(0, ...)`
//! stays inside it). The child is killed, with everything it started, if it is still running
//! at the deadline or if the test panics.

#![allow(dead_code)]

use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, pipe2, setpgid, write};

/// How long a child may run before the test gives up on it.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// What a child body returns: `Err` explains what it saw instead of what it expected.
pub type ChildResult = Result<(), String>;

/// Kills the child's whole process group and reaps the child, unless it was reaped.
struct Reaper {
    pid: Pid,
    reaped: bool,
}

impl Drop for Reaper {
    fn drop(&mut self) {
        let _ = killpg(self.pid, Signal::SIGKILL);
        if !self.reaped {
            while let Err(Errno::EINTR) = waitpid(self.pid, None) {}
        }
    }
}

/// Runs `body` in a forked child and fails the test (with the child's report) unless the
/// body returns `Ok(())` before [`DEADLINE`]. A panic in the body (a `todo!()`, say) is
/// reported with its message.
pub fn in_child(body: impl FnOnce() -> ChildResult) {
    let (read_end, write_end) = pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).expect("pipe2(2)");
    // SAFETY: the child is single-threaded from here on and leaves through _exit. Its body
    // allocates (fine with glibc after fork) but takes no lock another test thread may hold:
    // the tests run with --test-threads=1 and the bodies do not print.
    match unsafe { fork() }.expect("fork(2)") {
        ForkResult::Child => {
            drop(read_end);
            let code = run_child(body, &write_end);
            // SAFETY: _exit ends the child without running the parent's atexit handlers or
            // flushing the stdio buffers the fork copied.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop(write_end);
            let mut reaper = Reaper {
                pid: child,
                reaped: false,
            };
            let outcome = wait_with_deadline(child, DEADLINE);
            reaper.reaped = outcome.is_some();
            drop(reaper); // kills whatever the child left behind in its process group
            let report = read_report(read_end);
            match outcome {
                None => panic!("the child did not finish within {DEADLINE:?} (killed): {report}"),
                Some(WaitStatus::Exited(_, 0)) => {}
                Some(status) => panic!("the child failed ({status:?}): {report}"),
            }
        }
    }
}

fn run_child(body: impl FnOnce() -> ChildResult, report: &OwnedFd) -> i32 {
    // Our own process group: signals the body sends to "its group" stay in it, and the
    // parent can kill everything the body started at once.
    let _ = setpgid(Pid::from_raw(0), Pid::from_raw(0));
    // Die with the test process, should it be killed.
    let _ = nix::sys::prctl::set_pdeathsig(Signal::SIGKILL);
    // The programs the body starts must not hold the test's output open: whoever reads it
    // (cargo, labs/check) waits for the end of it. The report goes through the pipe.
    if let Ok(null) = nix::fcntl::open("/dev/null", OFlag::O_RDWR, nix::sys::stat::Mode::empty()) {
        let _ = nix::unistd::dup2_stdout(&null);
        let _ = nix::unistd::dup2_stderr(&null);
    }
    let (code, message) = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => (0, String::new()),
        Ok(Err(message)) => (1, message),
        Err(payload) => {
            let text = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string());
            (101, format!("panicked: {text}"))
        }
    };
    let _ = write(report, message.as_bytes());
    code
}

/// Polls the child until it ends or `deadline` passes; `None` on timeout.
fn wait_with_deadline(pid: Pid, deadline: Duration) -> Option<WaitStatus> {
    let start = Instant::now();
    loop {
        match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::StillAlive) | Err(Errno::EINTR) => {}
            Ok(status @ (WaitStatus::Exited(..) | WaitStatus::Signaled(..))) => {
                return Some(status);
            }
            Ok(_) => {}
            Err(err) => panic!("waitpid(2) on the test child {pid}: {err}"),
        }
        if start.elapsed() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn read_report(fd: OwnedFd) -> String {
    let mut text = String::new();
    let _ = File::from(fd).read_to_string(&mut text);
    if text.is_empty() {
        "no report".to_string()
    } else {
        text
    }
}
