//! ex3: `changes`, what `docker diff` prints, read from the upper dir alone.

mod common;

use std::path::{Path, PathBuf};

use common::{ensure_eq, expect_success, make_dir, spawn_in_mount_namespace, write_file};
use lab04_layers::{
    OverlayLayers, changes, create_whiteout, detect_mount_api, mount_overlay, set_opaque, unmount,
};

/// `changes()` as the lines `docker diff` prints.
fn diff(lowers: &[&Path], upper: &Path) -> Vec<String> {
    let lowers: Vec<PathBuf> = lowers.iter().map(|p| p.to_path_buf()).collect();
    changes(&lowers, upper)
        .unwrap_or_else(|e| panic!("changes() failed: {e}"))
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// A lower and an upper dir, both with the directories of `dirs` (same modes).
fn scene(dirs: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (lower, upper) = (tmp.path().join("lower"), tmp.path().join("upper"));
    for root in [&lower, &upper] {
        std::fs::create_dir(root).expect("mkdir");
        for dir in dirs {
            make_dir(root, dir);
        }
    }
    (tmp, lower, upper)
}

#[test]
fn ex3_a_new_file_is_added_and_its_directory_changed() {
    let (_tmp, lower, upper) = scene(&["etc"]);
    write_file(&lower, "etc/hosts", "127.0.0.1");
    write_file(&upper, "etc/new", "new");
    assert_eq!(diff(&[&lower], &upper), ["C /etc", "A /etc/new"]);
}

#[test]
fn ex3_everything_in_a_new_directory_is_added() {
    let (_tmp, lower, upper) = scene(&[]);
    write_file(&lower, "etc/hosts", "127.0.0.1");
    write_file(&upper, "opt/app/bin/tool", "#!");
    write_file(&upper, "opt/app/README", "hi");
    assert_eq!(
        diff(&[&lower], &upper),
        [
            "A /opt",
            "A /opt/app",
            "A /opt/app/README",
            "A /opt/app/bin",
            "A /opt/app/bin/tool"
        ]
    );
}

#[test]
fn ex3_a_copied_up_file_is_changed_only_if_it_differs() {
    let (_tmp, lower, upper) = scene(&["etc"]);
    write_file(&lower, "etc/hosts", "x");
    // what copy-up produces: the same mode, owner, size and mtime
    std::fs::copy(lower.join("etc/hosts"), upper.join("etc/hosts")).expect("copy");
    let mtime = std::fs::metadata(lower.join("etc/hosts"))
        .and_then(|m| m.modified())
        .expect("mtime");
    std::fs::File::options()
        .write(true)
        .open(upper.join("etc/hosts"))
        .and_then(|f| f.set_modified(mtime))
        .expect("set the mtime");
    assert_eq!(
        diff(&[&lower], &upper),
        Vec::<String>::new(),
        "copied up, not changed"
    );

    std::fs::write(upper.join("etc/hosts"), "longer").expect("write");
    assert_eq!(diff(&[&lower], &upper), ["C /etc", "C /etc/hosts"]);
}

#[test]
fn ex3_a_file_replaced_by_a_directory() {
    let (_tmp, lower, upper) = scene(&[]);
    write_file(&lower, "data", "a file");
    write_file(&upper, "data/inside", "now a directory");
    assert_eq!(diff(&[&lower], &upper), ["C /data", "A /data/inside"]);
}

#[test]
fn ex3_sorted_byte_by_byte_with_every_parent_reported() {
    let (_tmp, lower, upper) = scene(&["a/b", "a-b"]);
    write_file(&upper, "a/b/new", "");
    write_file(&upper, "a-b/new", "");
    assert_eq!(
        diff(&[&lower], &upper),
        ["C /a", "C /a-b", "A /a-b/new", "C /a/b", "A /a/b/new"]
    );
}

#[test]
fn ex3_the_lower_layers_are_seen_together() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (top, base, upper) = (
        tmp.path().join("top"),
        tmp.path().join("base"),
        tmp.path().join("upper"),
    );
    write_file(&base, "usr/bin/tool", "#!");
    make_dir(&top, "usr");
    make_dir(&upper, "usr/bin");
    write_file(&upper, "usr/bin/tool", "#!/bin/sh"); // in the base layer only: changed
    write_file(&upper, "usr/new", "");
    assert_eq!(
        diff(&[&top, &base], &upper),
        ["C /usr", "C /usr/bin", "C /usr/bin/tool", "A /usr/new"]
    );
}

#[test]
fn ex3_a_whiteout_deletes_only_what_a_lower_layer_has() {
    if !common::is_root("ex3_a_whiteout_deletes_only_what_a_lower_layer_has") {
        return;
    }
    let (_tmp, lower, upper) = scene(&["etc", "tmp"]);
    write_file(&lower, "etc/motd", "hi");
    create_whiteout(&upper.join("etc/motd")).expect("create a whiteout");
    // created and deleted in the container: nothing to report
    create_whiteout(&upper.join("tmp/scratch")).expect("create a whiteout");
    assert_eq!(diff(&[&lower], &upper), ["C /etc", "D /etc/motd"]);
}

#[test]
fn ex3_an_opaque_directory_deletes_what_it_hides() {
    if !common::is_root("ex3_an_opaque_directory_deletes_what_it_hides") {
        return;
    }
    let (_tmp, lower, upper) = scene(&["var/cache"]);
    write_file(&lower, "var/cache/a", "a");
    write_file(&lower, "var/cache/b", "b");
    set_opaque(&upper.join("var/cache")).expect("set_opaque");
    write_file(&upper, "var/cache/b", "a new b");
    write_file(&upper, "var/cache/c", "c");
    assert_eq!(
        diff(&[&lower], &upper),
        [
            "C /var",
            "C /var/cache",
            "D /var/cache/a",
            "C /var/cache/b",
            "A /var/cache/c"
        ]
    );
}

#[test]
fn ex3_what_docker_diff_prints_after_a_real_session() {
    if !common::is_root("ex3_what_docker_diff_prints_after_a_real_session") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let lower = tmp.path().join("lower");
    for file in ["etc/passwd", "etc/hosts", "tmp/x", "var/lib/d/a", "var/lib/d/b"] {
        write_file(&lower, file, file);
    }
    make_dir(&lower, "run");
    let layers = OverlayLayers {
        lower: vec![lower],
        upper: tmp.path().join("upper"),
        work: tmp.path().join("work"),
    };
    let merged = tmp.path().join("merged");
    for dir in [&layers.upper, &layers.work, &merged] {
        std::fs::create_dir(dir).expect("mkdir");
    }
    let child = spawn_in_mount_namespace(move |_| {
        mount_overlay(&layers, &merged, detect_mount_api())?;
        let m = |p: &str| merged.join(p);
        std::fs::write(m("etc/passwd"), "root:x:0:0:root:/root:/bin/sh")?;
        std::fs::write(m("etc/new"), "new")?;
        std::fs::remove_file(m("tmp/x"))?;
        std::fs::remove_dir_all(m("var/lib/d"))?;
        std::fs::create_dir(m("var/lib/d"))?;
        std::fs::write(m("var/lib/d/c"), "c")?;
        std::fs::create_dir(m("run/secrets"))?;
        std::fs::create_dir(m("newdir"))?; // overlayfs may mark it opaque: still just "A"
        std::fs::write(m("newdir/f"), "f")?;
        let got: Vec<String> = changes(&layers.lower, &layers.upper)?
            .iter()
            .map(ToString::to_string)
            .collect();
        let expected = [
            "C /etc",
            "A /etc/new",
            "C /etc/passwd",
            "A /newdir",
            "A /newdir/f",
            "C /run",
            "A /run/secrets",
            "C /tmp",
            "D /tmp/x",
            "C /var",
            "C /var/lib",
            "C /var/lib/d",
            "D /var/lib/d/a",
            "D /var/lib/d/b",
            "A /var/lib/d/c",
        ];
        ensure_eq("docker diff", got, expected.map(String::from).to_vec())?;
        unmount(&merged)?;
        Ok(())
    });
    expect_success(child);
}
