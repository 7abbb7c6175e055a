//! Privileged: how many lower layers fit. With fsconfig `lowerdir+` the kernel's 500 is the
//! only limit; with mount(2) a page is, and Docker's short `l/` links stretch it to 128 layers.

mod common;

use std::path::PathBuf;

use ch04_layers::overlay::{OVL_MAX_STACK, mount_data_limit};
use ch04_layers::{
    LayerDriver, LayerError, MountApi, OverlayLayers, OverlayMount, detect_mount_api, legacy_mount_data,
};
use common::{in_private_mount_namespace, is_root, names};
use sha2::Digest;

/// `count` one-file layers `lower<i>/f<i>`, plus upper, work and merged.
fn layers(tmp: &std::path::Path, count: usize) -> (OverlayLayers, PathBuf) {
    let lower = (0..count)
        .map(|i| {
            let dir = tmp.join(format!("lower{i}"));
            std::fs::create_dir(&dir).expect("test fixture");
            std::fs::write(dir.join(format!("f{i}")), "").expect("test fixture");
            dir
        })
        .collect();
    let [upper, work, merged] = ["upper", "work", "merged"].map(|d| {
        let p = tmp.join(d);
        std::fs::create_dir(&p).expect("test fixture");
        p
    });
    (OverlayLayers { lower, upper, work }, merged)
}

#[test]
fn five_hundred_layers_mount_with_fsconfig_and_501_do_not() {
    if !is_root() {
        return;
    }
    if detect_mount_api() != MountApi::FsConfig {
        eprintln!("skipped: this kernel has no fsconfig lowerdir+ (Linux < 6.8)");
        return;
    }
    if !in_private_mount_namespace("five_hundred_layers_mount_with_fsconfig_and_501_do_not") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (mut layers, merged) = layers(tmp.path(), OVL_MAX_STACK + 1);
    let extra = layers.lower.pop().unwrap();
    assert!(
        legacy_mount_data(&layers).len() > mount_data_limit(),
        "mount(2) could not do this"
    );

    let mount = OverlayMount::new(&layers, &merged, MountApi::FsConfig).unwrap();
    assert_eq!(
        names(&merged).len(),
        OVL_MAX_STACK,
        "every layer's file is visible"
    );
    mount.unmount().unwrap();

    layers.lower.push(extra);
    let err = OverlayMount::new(&layers, &merged, MountApi::FsConfig).unwrap_err();
    println!("501 layers: {err}");
    let LayerError::Mount {
        errno, kernel_log, ..
    } = &err
    else {
        panic!("{err}");
    };
    assert_eq!(*errno, nix::errno::Errno::EINVAL);
    assert!(
        kernel_log.iter().any(|l| l.contains("500")),
        "the kernel says why: {kernel_log:?}"
    );
}

/// Docker-like ids: 64 hex characters.
fn id(name: &str) -> String {
    hex::encode(sha2::Sha256::digest(name.as_bytes()))
}

#[test]
fn legacy_mounts_128_layers_thanks_to_short_links() {
    if !is_root() || !in_private_mount_namespace("legacy_mounts_128_layers_thanks_to_short_links") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let driver = LayerDriver::open(&tmp.path().join("overlay2")).unwrap();
    let mut parent: Option<String> = None;
    for i in 0..128 {
        let layer = id(&format!("layer {i}"));
        driver.create(&layer, parent.as_deref()).unwrap();
        std::fs::write(driver.diff_dir(&layer).join(format!("f{i}")), "").unwrap();
        parent = Some(layer);
    }
    let container = id("container");
    driver.create(&container, parent.as_deref()).unwrap();
    assert_eq!(driver.lower_dirs(&container).unwrap().len(), 128);

    let absolute = OverlayLayers {
        lower: driver.lower_dirs(&container).unwrap(),
        upper: driver.diff_dir(&container),
        work: PathBuf::from("work"),
    };
    let too_long = legacy_mount_data(&absolute).len();
    let short = driver.relative_mount_data(&container).unwrap().len();
    println!(
        "absolute: {too_long} bytes, short links: {short} bytes, limit {}",
        mount_data_limit()
    );
    assert!(too_long > mount_data_limit(), "absolute paths would not fit");
    assert!(short < 4096, "short links fit in a page");

    let merged = driver.mount(&container, MountApi::Legacy).unwrap();
    let result = std::panic::catch_unwind(|| {
        assert_eq!(names(&merged).len(), 128);
        std::fs::write(merged.join("written"), "w").unwrap();
        assert!(
            driver.diff_dir(&container).join("written").exists(),
            "writes land in the container layer"
        );
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
        let line = mountinfo
            .lines()
            .find(|l| l.contains(merged.to_str().unwrap()))
            .unwrap();
        assert!(
            line.contains("lowerdir=l/"),
            "mounted from relative short links: {line}"
        );
    });
    driver.unmount(&container).unwrap();
    assert!(!merged.exists(), "the mount point is removed");
    result.unwrap();
    driver.remove(&container).unwrap();
}

#[test]
fn the_driver_mounts_and_removes_with_either_api() {
    if !is_root() || !in_private_mount_namespace("the_driver_mounts_and_removes_with_either_api") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let driver = LayerDriver::open(&tmp.path().join("overlay2")).unwrap();
    driver.create("base", None).unwrap();
    std::fs::write(driver.diff_dir("base").join("hello"), "from base").unwrap();
    assert_eq!(
        driver.mount("base", MountApi::Legacy).unwrap(),
        driver.diff_dir("base")
    );
    let mut apis = vec![MountApi::Legacy];
    if detect_mount_api() == MountApi::FsConfig {
        apis.push(MountApi::FsConfig);
    }
    for (i, api) in apis.into_iter().enumerate() {
        let id = format!("container{i}");
        driver.create(&id, Some("base")).unwrap();
        let merged = driver.mount(&id, api).unwrap();
        assert_eq!(
            driver.mount(&id, api).unwrap(),
            merged,
            "mounting twice is harmless"
        );
        assert_eq!(
            std::fs::read_to_string(merged.join("hello")).unwrap(),
            "from base"
        );
        std::fs::remove_file(merged.join("hello")).unwrap();
        driver.remove(&id).unwrap(); // unmounts first
        assert!(!driver.exists(&id));
        assert_eq!(
            std::fs::read_to_string(driver.diff_dir("base").join("hello")).unwrap(),
            "from base",
            "{api}: removing the container never reaches the image"
        );
    }
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mountinfo.contains(tmp.path().to_str().unwrap()),
        "nothing left mounted"
    );
}

#[test]
fn unmount_only_leaves_the_empty_mount_point_to_go_with_the_layer() {
    if !is_root()
        || !in_private_mount_namespace("unmount_only_leaves_the_empty_mount_point_to_go_with_the_layer")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let driver = LayerDriver::open(&tmp.path().join("overlay2")).unwrap();
    driver.create("base", None).unwrap();
    driver.create("container", Some("base")).unwrap();
    let merged = driver.mount("container", MountApi::Legacy).unwrap();
    std::fs::write(merged.join("written"), "w").unwrap();
    assert_eq!(driver.unmount_only("container").unwrap(), merged);
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mountinfo.contains(merged.to_str().unwrap()), "unmounted");
    assert!(merged.is_dir(), "the mount point stays");
    assert_eq!(
        std::fs::read_dir(&merged).unwrap().count(),
        0,
        "empty once unmounted"
    );
    assert_eq!(
        driver.unmount_only("container").unwrap(),
        merged,
        "twice is harmless"
    );
    let handed_over = std::cell::RefCell::new(Vec::new());
    driver
        .remove_with("container", &|path| {
            handed_over.borrow_mut().push(path.to_owned());
            std::fs::remove_dir_all(path)
        })
        .unwrap();
    let handed_over = handed_over.into_inner();
    assert_eq!(
        handed_over.len(),
        2,
        "its l/ link, then the layer: {handed_over:?}"
    );
    assert_eq!(
        handed_over[1],
        driver.root().join("container"),
        "merged went with it"
    );
    assert!(!driver.exists("container"));
}

#[test]
fn fsconfig_refuses_a_path_of_256_bytes_or_more_clearly() {
    if !is_root() {
        return;
    }
    if detect_mount_api() != MountApi::FsConfig {
        eprintln!("skipped: this kernel has no fsconfig lowerdir+ (Linux < 6.8)");
        return;
    }
    if !in_private_mount_namespace("fsconfig_refuses_a_path_of_256_bytes_or_more_clearly") {
        return;
    }
    let tmp = tempfile::tempdir().expect("test fixture");
    let (mut layers, merged) = layers(tmp.path(), 1);
    let long = tmp.path().join("x".repeat(200)).join("y".repeat(60));
    std::fs::create_dir_all(&long).expect("test fixture");
    layers.lower.push(long.clone());
    let err = OverlayMount::new(&layers, &merged, MountApi::FsConfig).expect_err("should be refused");
    assert!(
        matches!(&err, LayerError::FsconfigPathTooLong { path, limit: 255, .. } if *path == long),
        "{err}"
    );
    layers.lower.pop();
    OverlayMount::new(&layers, &merged, MountApi::FsConfig)
        .expect("a short path is fine")
        .unmount()
        .unwrap();
}
