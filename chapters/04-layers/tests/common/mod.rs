//! Shared by the privileged tests: a root check, and a way to run a test's body in a fresh
//! process with its own mount namespace, so no mount can leak to the host even if the test
//! crashes (the namespace, and every mount in it, dies with the process).
#![allow(dead_code)] // each test file uses a different part

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use nix::mount::MsFlags;
use nix::sched::CloneFlags;

const INNER: &str = "CH04_TEST_IN_MOUNT_NAMESPACE";

pub fn is_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: needs root (overlay mounts, mknod, trusted.* xattrs)");
    false
}

/// `true`: we are the re-executed test, inside a private mount namespace; run the body.
/// `false`: we just re-ran `test_name` (its full path in this test binary) that way and
/// checked that it passed; return.
pub fn in_private_mount_namespace(test_name: &str) -> bool {
    if std::env::var_os(INNER).is_some() {
        return true;
    }
    let exe = std::env::current_exe().expect("current_exe");
    let mut cmd = Command::new(exe);
    cmd.args([test_name, "--exact", "--nocapture", "--test-threads=1"])
        .env(INNER, "1");
    // SAFETY: between fork and exec the child only makes two system calls, unshare(2) and
    // mount(2), on a static string (nix builds the C path on the stack).
    unsafe {
        cmd.pre_exec(|| {
            nix::sched::unshare(CloneFlags::CLONE_NEWNS)?;
            // nothing we mount may propagate back to the host's namespace
            nix::mount::mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )?;
            Ok(())
        });
    }
    let out = cmd.output().expect("re-run the test in a new mount namespace");
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{test_name} failed in its mount namespace");
    assert!(
        stdout.contains("1 passed"),
        "{test_name} did not run: is the name right?"
    );
    false
}

pub fn write(path: &Path, contents: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("test fixture");
    }
    std::fs::write(path, contents).expect("test fixture");
}

/// Names in a directory, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("test fixture")
        .map(|e| {
            e.expect("test fixture")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
