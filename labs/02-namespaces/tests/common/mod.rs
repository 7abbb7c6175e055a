//! Shared by the lab's tests: a root check, and a forked child that reports back.
//!
//! Every namespace change happens in a forked child: `cargo test` runs tests as threads of
//! one process, which must stay in the host's namespaces. The child is the chapter's
//! [`ForkedChild`]: dropped before it was waited for, it is killed and reaped, so a failing
//! test leaves nothing behind. Child bodies only make system calls and write to their pipe.

#![allow(dead_code)]

use std::io::Write;

use lab02_namespaces::{ChildSide, ForkedChild};

/// What a child body returns: any error, sent to the parent as text.
pub type ChildResult = Result<(), Box<dyn std::error::Error>>;

/// True when running as root. Otherwise prints why `test` is skipped and, under
/// `labs/check`, notes it in the file `$LAB_CHECK_SKIPPED` so the checker can tell a skipped
/// test from a passed one.
pub fn is_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipping {test}: needs root (namespaces are privileged)");
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

/// Releases the child, waits for it and asserts it exited 0, showing what it reported.
pub fn expect_success(mut child: ForkedChild) {
    child.release();
    let mut report = Vec::new();
    while let Ok(Some(line)) = child.recv() {
        report.push(line);
    }
    let pid = child.pid();
    let code = child.wait().expect("wait for the child");
    assert_eq!(code, 0, "child {pid} exited {code}: {report:?}");
}

/// The inode of a namespace file, read with std (not with the code under test).
pub fn inode(path: &str) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).expect("stat a namespace file").ino()
}
