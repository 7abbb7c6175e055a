//! Shared by the integration tests: a root check and a child that reports back.
//!
//! Every namespace change happens in a forked child (`cargo test` runs tests as threads of
//! one process, which must stay in the host's namespaces). Child bodies stick to syscalls
//! and pipe writes: no printing, no locks another test thread could be holding at fork time.

#![allow(dead_code)]

use ch02_namespaces::{ChildSide, ForkedChild};

/// What a child body returns: any error, sent to the parent as text.
pub type ChildResult = Result<(), Box<dyn std::error::Error>>;

/// True when running as root; otherwise prints why the test is skipped.
pub fn is_root(test: &str) -> bool {
    let root = nix::unistd::geteuid().is_root();
    if !root {
        eprintln!("skipping {test}: needs root (namespaces, setns and id maps are privileged)");
    }
    root
}

/// Forks a child running `body`. An `Err` from the body is sent to the parent as
/// `error: <message>` and the child exits with 1; `Ok` exits with 0. The returned
/// `ForkedChild` kills and reaps the child when dropped, even if the test panics.
pub fn spawn<F>(body: F) -> ForkedChild
where
    F: FnOnce(&mut ChildSide) -> ChildResult,
{
    // SAFETY: child bodies in these tests only make syscalls, allocate, and write to their
    // pipe; none of them takes a lock another test thread may hold.
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

/// The next line from the child, failing the test on an `error: ...` report or silence.
pub fn expect_line(child: &mut ForkedChild) -> String {
    match child.recv().expect("read from the child") {
        Some(line) if line.starts_with("error: ") => panic!("child {} failed: {line}", child.pid()),
        Some(line) => line,
        None => panic!("child {} exited without reporting", child.pid()),
    }
}

/// Waits for the child and asserts it exited 0, showing any error line it sent.
pub fn expect_success(mut child: ForkedChild) {
    let mut report = Vec::new();
    child.release();
    while let Ok(Some(line)) = child.recv() {
        report.push(line);
    }
    let pid = child.pid();
    let code = child.wait().expect("wait for the child");
    assert_eq!(code, 0, "child {pid} exited {code}: {report:?}");
}

/// Gives up root for good: uid and gid 65534, no supplementary groups. Changing uid makes a
/// process non-dumpable, which hands its /proc files to root; set it back so the process can
/// still write its own uid_map and others of the same uid can open its /proc/<pid>/ns.
pub fn become_nobody() -> ChildResult {
    use nix::unistd::{Gid, Uid, setgid, setgroups, setuid};
    setgroups(&[])?;
    setgid(Gid::from_raw(65534))?;
    setuid(Uid::from_raw(65534))?;
    nix::sys::prctl::set_dumpable(true)?;
    Ok(())
}
