//! ex1: `legacy_mount_data`, the one string mount(2) gets, and the page it must fit in.

mod common;

use std::path::{Path, PathBuf};

use common::{ensure, ensure_eq, expect_success, spawn_in_mount_namespace, write_file};
use lab04_layers::{
    LayerDriver, LayerError, MountApi, OverlayLayers, legacy_mount_data, mount_data_limit, mount_overlay,
    unmount,
};

fn layers(lower: &[&str], upper: &str, work: &str) -> OverlayLayers {
    OverlayLayers {
        lower: lower.iter().map(PathBuf::from).collect(),
        upper: upper.into(),
        work: work.into(),
    }
}

#[test]
fn ex1_lowerdir_lists_the_layers_topmost_first_then_upper_work_and_options() {
    assert_eq!(
        legacy_mount_data(&layers(&["/top", "/mid", "/base"], "/u", "/w")),
        "lowerdir=/top:/mid:/base,upperdir=/u,workdir=/w,index=off,redirect_dir=off,metacopy=off"
    );
    assert_eq!(
        legacy_mount_data(&layers(&["/var/lib/l/A"], "/c/diff", "/c/work")),
        "lowerdir=/var/lib/l/A,upperdir=/c/diff,workdir=/c/work,index=off,redirect_dir=off,metacopy=off"
    );
}

#[test]
fn ex1_separators_inside_paths_are_escaped() {
    assert_eq!(
        legacy_mount_data(&layers(&["/a:b", "/c,d"], r"/u\v", "/w,x")),
        r"lowerdir=/a\:b:/c\,d,upperdir=/u\\v,workdir=/w\,x,index=off,redirect_dir=off,metacopy=off"
    );
    // relative paths (the short links of the layer store) are passed as they are
    assert_eq!(
        legacy_mount_data(&layers(&["l/AAA", "l/BBB"], "id/diff", "id/work")),
        "lowerdir=l/AAA:l/BBB,upperdir=id/diff,workdir=id/work,index=off,redirect_dir=off,metacopy=off"
    );
}

#[test]
fn ex1_a_string_over_a_page_is_refused_before_mount() {
    let long: Vec<String> = (0..200)
        .map(|i| format!("/var/lib/docker/overlay2/{i:064x}/diff"))
        .collect();
    let refs: Vec<&str> = long.iter().map(String::as_str).collect();
    let too_many = layers(&refs, "/u", "/w");
    let len = legacy_mount_data(&too_many).len();
    assert!(
        len > 200 * 90,
        "200 layers of ~90 bytes, but the string is {len} bytes"
    );
    match mount_overlay(&too_many, Path::new("/nonexistent"), MountApi::Legacy) {
        Err(LayerError::MountDataTooLong { len: got, limit, .. }) => {
            assert_eq!((got, limit), (len, mount_data_limit()));
        }
        other => panic!("expected MountDataTooLong, got {other:?}"),
    }
}

/// A store with 128 layers, each on the one before, named like Docker's (64 hex characters):
/// Docker's own limit. Returns the store and the id of the top layer.
fn deep_store(root: &Path) -> (LayerDriver, String) {
    let driver = LayerDriver::open(&root.join("overlay2")).expect("open the layer store");
    let id = |i: usize| format!("{i:064x}");
    driver.create(&id(0), None).expect("create the base layer");
    for i in 1..128 {
        driver.create(&id(i), Some(&id(i - 1))).expect("create a layer");
    }
    (driver, id(127))
}

#[test]
fn ex1_short_links_fit_127_lower_layers_in_a_page() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (driver, top) = deep_store(tmp.path());
    let absolute = OverlayLayers {
        lower: driver.lower_dirs(&top).expect("lower dirs"),
        upper: driver.diff_dir(&top),
        work: driver.root().join(&top).join("work"),
    };
    assert_eq!(absolute.lower.len(), 127);
    let long = legacy_mount_data(&absolute);
    assert!(
        long.len() > mount_data_limit(),
        "127 absolute paths take {} bytes, over a page ({})",
        long.len(),
        mount_data_limit()
    );
    let short = driver
        .relative_mount_data(&top)
        .expect("the relative data string");
    assert!(short.starts_with("lowerdir=l/"), "{short}");
    assert!(
        short.contains(&format!(",upperdir={top}/diff,workdir={top}/work,index=off,")),
        "{short}"
    );
    assert_eq!(short.matches(":l/").count(), 126, "{short}");
    assert!(
        short.len() <= mount_data_limit(),
        "with l/ links the string is {} bytes, over a page ({})",
        short.len(),
        mount_data_limit()
    );
}

#[test]
fn ex1_the_kernel_mounts_what_the_string_says() {
    if !common::is_root("ex1_the_kernel_mounts_what_the_string_says") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    // directory names with the two separators in them: only escaped do they reach overlayfs whole
    let (top, base) = (tmp.path().join("top:layer"), tmp.path().join("base,layer"));
    write_file(&top, "etc/conf", "top");
    write_file(&base, "etc/conf", "base");
    write_file(&base, "bin/sh", "#!");
    let stack = OverlayLayers {
        lower: vec![top, base],
        upper: tmp.path().join("upper"),
        work: tmp.path().join("work"),
    };
    let merged = tmp.path().join("merged");
    for dir in [&stack.upper, &stack.work, &merged] {
        std::fs::create_dir(dir).expect("mkdir");
    }
    let child = spawn_in_mount_namespace(move |_| {
        mount_overlay(&stack, &merged, MountApi::Legacy)?;
        ensure_eq(
            "merged/etc/conf (the topmost layer wins)",
            std::fs::read_to_string(merged.join("etc/conf"))?,
            "top".to_string(),
        )?;
        ensure(merged.join("bin/sh").is_file(), || {
            "merged/bin/sh, from the base layer, is missing".into()
        })?;
        std::fs::write(merged.join("new"), "n")?;
        ensure(stack.upper.join("new").is_file(), || {
            "a file written in merged/ is not in the upper dir".into()
        })?;
        unmount(&merged)?;
        Ok(())
    });
    expect_success(child);
}

#[test]
fn ex1_the_store_mounts_127_lower_layers_through_short_links() {
    if !common::is_root("ex1_the_store_mounts_127_lower_layers_through_short_links") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let (driver, top) = deep_store(tmp.path());
    write_file(&driver.diff_dir(&format!("{:064x}", 0)), "from-the-base", "0");
    write_file(
        &driver.diff_dir(&format!("{:064x}", 126)),
        "from-the-parent",
        "126",
    );
    let child = spawn_in_mount_namespace(move |_| {
        // mount(2) with absolute paths would need 12 KiB: the store switches to its l/ links
        let merged = driver.mount(&top, MountApi::Legacy)?;
        for file in ["from-the-base", "from-the-parent"] {
            ensure(merged.join(file).is_file(), || {
                format!("merged/{file} is missing")
            })?;
        }
        driver.unmount(&top)?;
        Ok(())
    });
    expect_success(child);
}
