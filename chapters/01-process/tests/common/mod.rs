//! Helpers shared by the integration tests: forked helper processes, a guard that
//! kills what a test started, and small readers for pipes and `/proc`.
//!
//! Why forked helpers: `cargo test` runs tests as threads of one process, but a
//! signal mask belongs to a thread and a signal sent to the process goes to any
//! thread that does not block it. A forked child has exactly one thread, so a test
//! that blocks, waits for or receives signals does it in a helper process, and
//! behaves the same under `cargo test` and `cargo nextest`.
#![allow(dead_code)] // each test file uses a different subset

use std::ffi::CString;
use std::os::fd::{AsFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use ch01_process::ExitStatus;
use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, kill};
use nix::sys::stat::Mode;
use nix::sys::wait::{WaitPidFlag, waitpid};
use nix::unistd::{ForkResult, Pid, dup2_stdin, fork, read};

/// How long a test waits for anything before it gives up and fails.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Exit code of a helper whose closure panicked.
pub const HELPER_PANICKED: i32 = 101;

/// `["sh", "-c", ...]` as C strings.
pub fn cstrings(args: &[&str]) -> Vec<CString> {
    args.iter()
        .map(|arg| CString::new(*arg).expect("no NUL in test arguments"))
        .collect()
}

/// Runs `body` in a forked child process and returns a guard for it; the child
/// exits with the value `body` returns ([`HELPER_PANICKED`] if it panics).
///
/// The child is a copy of a multi-threaded test binary: glibc's `malloc` is safe
/// to use after `fork`, but the helper must not print (another thread may have
/// held the stdout lock at the moment of the fork).
pub fn fork_helper(body: impl FnOnce() -> i32) -> ProcessGuard {
    // SAFETY: the child only runs `body`, which sticks to system calls and memory
    // allocation (see above), then leaves with _exit without returning to the
    // test harness.
    match unsafe { fork() }.expect("fork(2) a helper") {
        ForkResult::Parent { child } => ProcessGuard::new(child),
        ForkResult::Child => {
            let code = catch_unwind(AssertUnwindSafe(body)).unwrap_or(HELPER_PANICKED);
            // SAFETY: ends the helper without running the test harness's destructors.
            unsafe { libc::_exit(code) }
        }
    }
}

/// Points stdin at `/dev/null`, so a helper never touches the terminal of the
/// person running the tests.
pub fn stdin_from_dev_null() {
    let null = open("/dev/null", OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).expect("open /dev/null");
    dup2_stdin(&null).expect("dup2(2) /dev/null to stdin");
}

/// Owns a child process of the test (and maybe some of its descendants): on drop,
/// kills and reaps the child if the test did not collect it, and kills the other
/// pids if the test failed or the child was not collected.
#[derive(Debug)]
pub struct ProcessGuard {
    child: Pid,
    reaped: bool,
    others: Vec<Pid>,
}

impl ProcessGuard {
    pub fn new(child: Pid) -> Self {
        ProcessGuard {
            child,
            reaped: false,
            others: Vec::new(),
        }
    }

    pub fn pid(&self) -> Pid {
        self.child
    }

    /// Also kill `pid` (a descendant, not a child) when the test goes wrong.
    pub fn also_kill(&mut self, pid: Pid) {
        self.others.push(pid);
    }

    /// Waits up to [`TIMEOUT`] for the child to end; panics (and so kills it) if not.
    pub fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match waitpid(self.child, Some(WaitPidFlag::WNOHANG)) {
                Ok(ws) => {
                    if let Some(status) = ExitStatus::from_wait_status(ws) {
                        self.reaped = true;
                        return status;
                    }
                }
                Err(Errno::EINTR) => {}
                Err(err) => panic!("waitpid(2) on pid {} failed: {err}", self.child),
            }
            assert!(
                Instant::now() < deadline,
                "pid {} still running after {TIMEOUT:?}",
                self.child
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for ProcessGuard {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = kill(self.child, Signal::SIGKILL);
            let _ = waitpid(self.child, None);
        }
        if !self.reaped || std::thread::panicking() {
            for pid in &self.others {
                let _ = kill(*pid, Signal::SIGKILL);
            }
        }
    }
}

/// Reads from `fd` until a newline, waiting at most [`TIMEOUT`]; `None` on EOF or
/// timeout. Returns the line without its newline.
pub fn read_line(fd: &OwnedFd) -> Option<String> {
    let deadline = Instant::now() + TIMEOUT;
    let mut line = Vec::new();
    let mut byte = [0_u8; 1];
    while Instant::now() < deadline {
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(100_u16)) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => {}
            Err(err) => panic!("poll(2) failed: {err}"),
        }
        match read(fd, &mut byte) {
            Ok(0) => return None,
            Ok(_) if byte[0] == b'\n' => return Some(String::from_utf8_lossy(&line).into_owned()),
            Ok(_) => line.push(byte[0]),
            Err(Errno::EINTR | Errno::EAGAIN) => {}
            Err(err) => panic!("read(2) failed: {err}"),
        }
    }
    None
}

/// The pids of the zombie (state `Z`) children of `parent`, found by reading
/// `/proc/<pid>/stat` of every process.
pub fn zombie_children(parent: Pid) -> Vec<Pid> {
    let mut zombies = Vec::new();
    let entries = std::fs::read_dir("/proc").expect("read /proc");
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        // The process may be gone by now: skip it then.
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // "pid (comm) state ppid ...": comm may contain spaces, so split after ')'.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let (state, ppid) = (fields.next(), fields.next().and_then(|p| p.parse::<i32>().ok()));
        if state == Some("Z") && ppid == Some(parent.as_raw()) {
            zombies.push(Pid::from_raw(pid));
        }
    }
    zombies
}
