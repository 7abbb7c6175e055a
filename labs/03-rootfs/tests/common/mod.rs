//! Shared by the lab's tests: a root check, and a forked child in a mount namespace of its own.
//!
//! Every real mount happens in a forked child that first moves into a new, private mount
//! namespace: nothing it mounts is visible on the host, and it all disappears when the child
//! exits. The child is chapter 2's `ForkedChild`: dropped before it was waited for, it is
//! killed and reaped, so a failing test leaves nothing behind. Temporary directories belong
//! to the parent, which removes them.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

use ch02_namespaces::{ChildSide, ForkedChild};
use nix::mount::MsFlags;

/// What a child body returns: any error, sent to the parent as text.
pub type ChildResult = Result<(), Box<dyn std::error::Error>>;

/// True when running as root. Otherwise prints why `test` is skipped and, under
/// `labs/check`, notes it in the file `$LAB_CHECK_SKIPPED` so the checker can tell a skipped
/// test from a passed one.
pub fn is_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipping {test}: needs root (mount namespaces and mounts are privileged)");
    if let Some(path) = std::env::var_os("LAB_CHECK_SKIPPED") {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{test}");
        }
    }
    false
}

/// Forks a child that moves into a new mount namespace, makes every mount in it private
/// (so nothing propagates back to the host), then runs `body`. An `Err` is sent to the
/// parent as `error: <message>` and the child exits with 1; `Ok` exits with 0.
pub fn spawn_in_mount_namespace<F>(body: F) -> ForkedChild
where
    F: FnOnce(&mut ChildSide) -> ChildResult,
{
    let run = |side: &mut ChildSide| -> ChildResult {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
        nix::mount::mount(
            None::<&str>,
            "/",
            None::<&str>,
            MsFlags::MS_REC | MsFlags::MS_PRIVATE,
            None::<&str>,
        )?;
        body(side)
    };
    // SAFETY: the child bodies of these tests only make system calls, allocate, and write
    // to their pipe; none takes a lock another test thread may hold (and the tests run with
    // --test-threads=1).
    let child = unsafe {
        ForkedChild::spawn(|side| match run(side) {
            Ok(()) => 0,
            Err(e) => {
                let _ = side.send(&format!("error: {e}"));
                1
            }
        })
    };
    child.expect("fork a test child")
}

/// Waits for the child and asserts it exited 0; returns every line it sent.
pub fn expect_success(mut child: ForkedChild) -> Vec<String> {
    child.release();
    let mut report = Vec::new();
    while let Ok(Some(line)) = child.recv() {
        report.push(line);
    }
    let pid = child.pid();
    let code = child.wait().expect("wait for the child");
    assert_eq!(code, 0, "child {pid} exited {code}: {report:?}");
    report
}

/// Writes `text` to `root/relative`, creating the parent directories.
pub fn write_file(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the parent directories");
    }
    std::fs::write(&path, text).expect("write a test file");
}
