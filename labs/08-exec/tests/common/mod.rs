//! Shared by the lab's tests: a root check, a forked child that reports back, and a
//! "container" to join.
//!
//! Every join happens in a forked child (chapter 2's `ForkedChild`): `cargo test` runs tests
//! as threads of one process, which must stay in the host's namespaces and cgroups. A child
//! dropped before it was waited for is killed and reaped, so a failing test leaves nothing
//! behind; the container's init dies with its parent (`PR_SET_PDEATHSIG`), and with it its
//! whole PID namespace. Child bodies only make system calls and write to their pipe.

#![allow(dead_code)]

use std::io::Write;

use ch02_namespaces::{ChildSide, ForkedChild, Namespace, set_hostname, unshare};
use nix::sys::prctl::set_pdeathsig;
use nix::sys::signal::Signal;
use nix::unistd::{ForkResult, Pid, fork, pause};

/// What a child body returns: any error, sent to the parent as text.
pub type ChildResult = Result<(), Box<dyn std::error::Error>>;

/// The hostname of the test container.
pub const HOSTNAME: &str = "lab08-target";

/// True when running as root. Otherwise prints why `test` is skipped and, under
/// `labs/check`, notes it in the file `$LAB_CHECK_SKIPPED` so the checker can tell a skipped
/// test from a passed one.
pub fn is_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipping {test}: needs root (setns(2) is privileged)");
    if let Some(path) = std::env::var_os("LAB_CHECK_SKIPPED") {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{test}");
        }
    }
    false
}

/// Forks a child running `body`. An `Err` from the body is sent to the parent as
/// `error: <message>` and the child exits with 1; `Ok` exits with 0.
pub fn spawn<F>(body: F) -> ForkedChild
where
    F: FnOnce(&mut ChildSide) -> ChildResult,
{
    // SAFETY: the child bodies of these tests only make system calls, allocate, and write
    // to their pipe; none takes a lock another test thread may hold (and the tests run with
    // --test-threads=1).
    let child = unsafe {
        ForkedChild::spawn(|side| match body(side) {
            Ok(()) => 0,
            Err(e) => {
                let _ = side.send(&format!("error: {e}"));
                1
            }
        })
    };
    child.expect("fork a test child")
}

/// The next line from the child; fails the test on an `error: ...` report or on silence.
pub fn expect_line(child: &mut ForkedChild) -> String {
    match child.recv().expect("read from the child") {
        Some(line) if line.starts_with("error: ") => panic!("child {} failed: {line}", child.pid()),
        Some(line) => line,
        None => panic!("child {} exited without reporting", child.pid()),
    }
}

/// A running "container": a process in new pid, uts, ipc, net and mount namespaces, PID 1
/// there, with hostname [`HOSTNAME`], waiting forever. `guard` is its parent, which the test
/// holds (dropping it ends both); `init` is the process to join. Dropped, it kills the init
/// itself first: on a busy machine the guard can die before the init has asked for
/// `PR_SET_PDEATHSIG`, which would leave the init waiting forever.
pub struct Container {
    pub guard: ForkedChild,
    pub init: Pid,
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(self.init, nix::sys::signal::Signal::SIGKILL);
    }
}

impl Container {
    pub fn start() -> Container {
        let mut guard = spawn(|side| {
            unshare(&[
                Namespace::Pid,
                Namespace::Uts,
                Namespace::Ipc,
                Namespace::Net,
                Namespace::Mount,
            ])?;
            set_hostname(HOSTNAME)?;
            // SAFETY: this child of a fork is single-threaded.
            match unsafe { fork() }? {
                ForkResult::Child => {
                    let _ = set_pdeathsig(Signal::SIGKILL);
                    loop {
                        pause();
                    }
                }
                ForkResult::Parent { child } => {
                    side.send(&child.to_string())?;
                    side.wait_for_parent()?;
                    Ok(())
                }
            }
        });
        let init = Pid::from_raw(expect_line(&mut guard).parse().expect("the init's pid"));
        Container { guard, init }
    }
}
