//! ex1: `secure_join`, resolving a container path as if the rootfs were `/`.

use std::os::unix::fs::symlink;
use std::path::{Component, Path, PathBuf};

use lab03_rootfs::secure_join;

fn join(root: &Path, path: &str) -> PathBuf {
    match secure_join(root, Path::new(path)) {
        Ok(joined) => joined,
        Err(err) => panic!("secure_join({}, {path:?}) failed: {err}", root.display()),
    }
}

#[test]
fn ex1_plain_paths_land_under_the_root() {
    let root = Path::new("/r");
    assert_eq!(join(root, "/etc/hosts"), Path::new("/r/etc/hosts"));
    assert_eq!(join(root, "etc/hosts"), Path::new("/r/etc/hosts"));
    assert_eq!(join(root, "a/./b"), Path::new("/r/a/b"));
    assert_eq!(join(root, "/"), Path::new("/r"));
}

#[test]
fn ex1_dotdot_stops_at_the_root() {
    let root = Path::new("/r");
    assert_eq!(join(root, "/../../etc"), Path::new("/r/etc"));
    assert_eq!(join(root, "a/../../b"), Path::new("/r/b"));
    assert_eq!(join(root, "a/b/../c"), Path::new("/r/a/c"));
}

#[test]
fn ex1_symlinks_are_followed_inside_the_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("usr/lib")).expect("mkdir");
    std::fs::create_dir(root.join("etc")).expect("mkdir");
    symlink("usr/lib", root.join("lib")).expect("a relative symlink");
    symlink("/", root.join("etc/escape")).expect("an absolute symlink to /");
    symlink("../../../../tmp", root.join("up")).expect("a symlink climbing out");
    symlink("/usr/lib/../../etc", root.join("abs")).expect("an absolute symlink with ..");

    assert_eq!(join(root, "/lib/libc.so"), root.join("usr/lib/libc.so"));
    assert_eq!(join(root, "/etc/escape/passwd"), root.join("passwd"));
    assert_eq!(join(root, "/up/x"), root.join("tmp/x"));
    assert_eq!(join(root, "/abs/hosts"), root.join("etc/hosts"));
}

#[test]
fn ex1_hostile_paths_never_leave_the_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    symlink("/", root.join("a")).expect("symlink");
    symlink("../..", root.join("b")).expect("symlink");
    symlink("/../../etc", root.join("c")).expect("symlink");
    for path in [
        "../../../etc/shadow",
        "a/../b/../c/../..",
        "b/b/b/x",
        "c/../../..",
        "/a/b/c/a/b",
    ] {
        let joined = join(root, path);
        assert!(joined.starts_with(root), "{path} escaped to {}", joined.display());
        assert!(
            !joined.components().any(|c| c == Component::ParentDir),
            "{}",
            joined.display()
        );
    }
}

#[test]
fn ex1_a_symlink_loop_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    symlink("b", dir.path().join("a")).expect("symlink");
    symlink("a", dir.path().join("b")).expect("symlink");
    let err = secure_join(dir.path(), Path::new("/a/x")).expect_err("a loop must not resolve");
    assert_eq!(err.path, Path::new("/a/x"));
    assert!(
        err.to_string().contains("too many levels of symbolic links"),
        "{err}"
    );
}
