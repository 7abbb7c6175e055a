//! Shared by the privileged tests: a root check, a "container" to join, and a child that
//! reports back over a pipe (chapter 2's `ForkedChild`).
//!
//! Every join happens in a forked child: `cargo test` runs tests as threads of one process,
//! which must stay in the host's namespaces and cgroups (and setns(2) into a mount namespace
//! refuses a multi-threaded caller anyway). Child bodies stick to syscalls, allocation and
//! pipe writes: no printing, no locks another test thread could hold at fork time.
//!
//! Cleanup: every `ForkedChild` kills and reaps its process when dropped, even if the test
//! panics; the container's init dies with its parent (`PR_SET_PDEATHSIG`), and with it every
//! process of its PID namespace. A test cgroup is removed by its guard after all that.

#![allow(dead_code)]

use ch02_namespaces::{ChildSide, ForkedChild, Namespace, set_hostname, unshare};
use nix::sys::prctl::set_pdeathsig;
use nix::sys::signal::Signal;
use nix::unistd::{ForkResult, Pid, fork, pause};

/// What a child body returns: any error, sent to the parent as text.
pub type ChildResult = Result<(), Box<dyn std::error::Error>>;

/// The hostname of the test container.
pub const HOSTNAME: &str = "ch08-target";

/// True when running as root; otherwise prints why the test is skipped.
pub fn is_root(test: &str) -> bool {
    let root = nix::unistd::geteuid().is_root();
    if !root {
        eprintln!("skipping {test}: needs root (setns(2) and cgroups are privileged)");
    }
    root
}

/// Forks a child running `body`. An `Err` is sent to the parent as `error: <message>` and the
/// child exits with 1. The returned `ForkedChild` kills and reaps the child when dropped.
pub fn spawn<F>(body: F) -> ForkedChild
where
    F: FnOnce(&mut ChildSide) -> ChildResult,
{
    // SAFETY: child bodies in these tests only make syscalls, allocate, and write to their
    // pipe; none takes a lock another test thread may hold.
    unsafe {
        ForkedChild::spawn(|side| match body(side) {
            Ok(()) => 0,
            Err(e) => {
                let _ = side.send(&format!("error: {e}"));
                1
            }
        })
    }
    .expect("fork")
}

/// The next line from the child; panics on end of file or an `error:` line.
pub fn expect_line(child: &mut ForkedChild) -> String {
    let line = child
        .recv()
        .expect("read from the child")
        .expect("a line from the child");
    assert!(!line.starts_with("error: "), "{line}");
    line
}

/// A running "container": a process in new pid, uts, ipc, net and mount namespaces (the
/// first of its PID namespace, PID 1 there) with hostname [`HOSTNAME`], waiting forever.
/// Its parent, the returned guard, is the process the test holds; `init` is the one to join.
///
/// Dropped, it kills the init, then the guard. The init's `PR_SET_PDEATHSIG` alone is not
/// enough: on a busy machine the guard can be killed before the new init has run far enough
/// to ask for it, and the init would then wait forever.
pub struct Container {
    pub guard: ForkedChild,
    pub init: Pid,
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(self.init, Signal::SIGKILL);
        // then `guard` is dropped: killed and reaped; the init, reparented, is reaped too
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
            // the UTS namespace is this process's already; the init shares it
            set_hostname(HOSTNAME)?;
            // SAFETY: this child of a fork is single-threaded.
            match unsafe { fork() }? {
                ForkResult::Child => {
                    // the container's init: dies with our process, and then its namespace
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
