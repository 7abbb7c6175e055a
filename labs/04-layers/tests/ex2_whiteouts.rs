//! ex2: whiteouts and opaque directories, the two marks overlayfs leaves in an upper dir.

mod common;

use std::io::Cursor;
use std::os::unix::fs::{FileTypeExt, MetadataExt, symlink};
use std::path::Path;

use common::{ensure, ensure_eq, expect_success, make_dir, names, spawn_in_mount_namespace, write_file};
use lab04_layers::{
    OPAQUE_XATTR, OverlayLayers, create_whiteout, detect_mount_api, is_opaque, is_whiteout, mount_overlay,
    set_opaque, unmount, write_layer_tar, xattr,
};

fn lstat(path: &Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()))
}

#[test]
fn ex2_nothing_else_is_a_whiteout_and_a_plain_directory_is_not_opaque() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    write_file(dir, "file", "");
    make_dir(dir, "dir");
    symlink("file", dir.join("link")).expect("symlink");
    nix::unistd::mkfifo(&dir.join("fifo"), nix::sys::stat::Mode::from_bits_truncate(0o600)).expect("mkfifo");
    for name in ["file", "dir", "link", "fifo"] {
        assert!(!is_whiteout(&lstat(&dir.join(name))), "{name} is not a whiteout");
    }
    // a character device, but 1/3, not 0/0
    assert!(
        !is_whiteout(&lstat(Path::new("/dev/null"))),
        "/dev/null is not a whiteout"
    );
    assert!(
        !is_opaque(&dir.join("dir")).expect("read the xattr"),
        "a new directory is not opaque"
    );
}

#[test]
fn ex2_create_whiteout_makes_a_0_0_character_device() {
    if !common::is_root("ex2_create_whiteout_makes_a_0_0_character_device") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let gone = tmp.path().join("gone");
    create_whiteout(&gone).expect("create a whiteout");
    let meta = lstat(&gone);
    assert!(meta.file_type().is_char_device(), "a character device");
    assert_eq!(meta.rdev(), 0, "device number 0/0");
    assert_eq!(
        meta.mode() & 0o7777,
        0,
        "no permission bits, as overlayfs makes them"
    );
    assert!(is_whiteout(&meta));

    let err = create_whiteout(&gone).expect_err("the name is taken now");
    let text = err.to_string();
    assert!(
        text.contains("mknod(2)") && text.contains(&*gone.to_string_lossy()),
        "{text}"
    );
}

#[test]
fn ex2_only_the_value_y_is_opaque() {
    if !common::is_root("ex2_only_the_value_y_is_opaque") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    assert!(!is_opaque(dir).expect("read the xattr"));
    // Linux >= 6.7 writes "x" on directories that only *hold* whiteouts: not opaque
    xattr::lset(dir, OPAQUE_XATTR, b"x").expect("set the xattr");
    assert!(!is_opaque(dir).expect("read the xattr"), "\"x\" is not opaque");
    set_opaque(dir).expect("set_opaque");
    assert_eq!(
        xattr::lget(dir, OPAQUE_XATTR).expect("read the xattr"),
        Some(b"y".to_vec())
    );
    assert!(is_opaque(dir).expect("read the xattr"));
}

#[test]
fn ex2_overlayfs_reads_and_writes_the_same_marks() {
    if !common::is_root("ex2_overlayfs_reads_and_writes_the_same_marks") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let lower = tmp.path().join("lower");
    for file in ["etc/motd", "etc/hosts", "opt/x/old", "var/cache/a", "var/cache/b"] {
        write_file(&lower, file, file);
    }
    let layers = OverlayLayers {
        lower: vec![lower],
        upper: tmp.path().join("upper"),
        work: tmp.path().join("work"),
    };
    let merged = tmp.path().join("merged");
    for dir in [&layers.work, &merged] {
        std::fs::create_dir(dir).expect("mkdir");
    }
    // marks made by hand, before the mount: overlayfs must honour them
    make_dir(&layers.upper, "etc");
    make_dir(&layers.upper, "opt/x");
    create_whiteout(&layers.upper.join("etc/motd")).expect("create a whiteout");
    set_opaque(&layers.upper.join("opt/x")).expect("set_opaque");
    write_file(&layers.upper, "opt/x/new", "new");

    let child = spawn_in_mount_namespace(move |_| {
        mount_overlay(&layers, &merged, detect_mount_api())?;
        ensure(!merged.join("etc/motd").exists(), || {
            "a whiteout hides etc/motd".into()
        })?;
        ensure_eq(
            "merged/etc",
            names(&merged.join("etc")),
            vec!["hosts".to_string()],
        )?;
        ensure_eq(
            "merged/opt/x (opaque)",
            names(&merged.join("opt/x")),
            vec!["new".to_string()],
        )?;

        // marks made by overlayfs: the functions must recognise them
        std::fs::remove_file(merged.join("etc/hosts"))?;
        let hosts = std::fs::symlink_metadata(layers.upper.join("etc/hosts"))?;
        ensure(is_whiteout(&hosts), || {
            "rm etc/hosts left a whiteout in upper/".into()
        })?;
        std::fs::remove_dir_all(merged.join("var/cache"))?;
        std::fs::create_dir(merged.join("var/cache"))?;
        ensure(is_opaque(&layers.upper.join("var/cache"))?, || {
            "rm -rf var/cache && mkdir var/cache made an opaque directory in upper/".into()
        })?;
        ensure(!is_opaque(&layers.upper.join("var"))?, || {
            "upper/var is not opaque".into()
        })?;
        ensure(
            !is_whiteout(&std::fs::symlink_metadata(layers.upper.join("opt/x/new"))?),
            || "a regular file is no whiteout".into(),
        )?;
        unmount(&merged)?;
        Ok(())
    });
    expect_success(child);
}

/// The names of a tar's entries, in order.
fn entry_names(tar: &[u8]) -> Vec<String> {
    let mut archive = tar::Archive::new(Cursor::new(tar));
    archive
        .entries()
        .expect("read the tar")
        .map(|e| {
            let e = e.expect("a tar entry");
            String::from_utf8_lossy(&e.path_bytes()).into_owned()
        })
        .collect()
}

#[test]
fn ex2_a_layer_tar_spells_the_marks_as_wh_files() {
    if !common::is_root("ex2_a_layer_tar_spells_the_marks_as_wh_files") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let upper = tmp.path().join("upper");
    make_dir(&upper, "etc");
    create_whiteout(&upper.join("etc/motd")).expect("create a whiteout");
    make_dir(&upper, "var/cache");
    set_opaque(&upper.join("var/cache")).expect("set_opaque");
    write_file(&upper, "var/cache/new", "new");

    // the chapter's exporter, reading the upper dir with your functions
    let mut tar = Vec::new();
    write_layer_tar(&upper, &mut tar).expect("export the upper dir");
    assert_eq!(
        entry_names(&tar),
        [
            "etc/",
            "etc/.wh.motd",
            "var/",
            "var/cache/",
            "var/cache/.wh..wh..opq",
            "var/cache/new"
        ]
    );
}
