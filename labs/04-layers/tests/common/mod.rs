//! Shared by the lab's tests: a root check, a forked child in a mount namespace of its own,
//! and small filesystem fixtures.
//!
//! Every real mount happens in a forked child that first moves into a new, private mount
//! namespace: nothing it mounts is visible on the host, and it all disappears when the child
//! exits. The child is chapter 2's `ForkedChild`: dropped before it was waited for, it is
//! killed and reaped, so a failing test leaves nothing behind. Temporary directories belong
//! to the parent, which removes them.

#![allow(dead_code)]

use std::fmt::Debug;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
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
    eprintln!("skipping {test}: needs root (overlay mounts, mknod(2) and trusted.* xattrs are privileged)");
    if let Some(path) = std::env::var_os("LAB_CHECK_SKIPPED") {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{test}");
        }
    }
    false
}

/// Forks a child that moves into a new mount namespace, makes every mount in it private
/// (so nothing propagates back to the host), then runs `body`. An `Err` (or a panic, such as
/// a `todo!()`) is sent to the parent as `error: <message>` and the child exits with 1; `Ok`
/// exits with 0.
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
        ForkedChild::spawn(|side| {
            let outcome = match catch_unwind(AssertUnwindSafe(|| run(side))) {
                Ok(result) => result,
                Err(payload) => Err(panic_message(payload.as_ref()).into()),
            };
            match outcome {
                Ok(()) => 0,
                Err(e) => {
                    let _ = side.send(&format!("error: {e}").replace('\n', " "));
                    1
                }
            }
        })
    };
    child.expect("fork a test child")
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string());
    format!("panicked: {text}")
}

/// Waits for the child and asserts it exited 0; returns every line it sent.
#[track_caller]
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

/// In a child body: an error saying `what` unless `cond` holds.
pub fn ensure(cond: bool, what: impl FnOnce() -> String) -> ChildResult {
    if cond { Ok(()) } else { Err(what().into()) }
}

/// In a child body: an error showing both values unless they are equal.
pub fn ensure_eq<T: PartialEq + Debug>(what: &str, got: T, want: T) -> ChildResult {
    ensure(got == want, || format!("{what}: got {got:?}, expected {want:?}"))
}

/// Writes `text` to `root/relative`, creating the parent directories.
pub fn write_file(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create the parent directories");
    }
    std::fs::write(&path, text).expect("write a test file");
}

/// Creates `root/relative` and its parents.
pub fn make_dir(root: &Path, relative: &str) {
    std::fs::create_dir_all(root.join(relative)).expect("create a test directory");
}

/// The names in a directory, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("list {}: {e}", dir.display()))
        .map(|e| {
            e.expect("read a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
