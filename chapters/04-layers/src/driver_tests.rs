//! The on-disk layout, checked without root (nothing is mounted here; see tests/driver.rs).

use super::*;

fn store() -> (tempfile::TempDir, LayerDriver) {
    let dir = tempfile::tempdir().unwrap();
    let driver = LayerDriver::open(&dir.path().join("overlay2")).unwrap();
    (dir, driver)
}

fn read(driver: &LayerDriver, id: &str, file: &str) -> String {
    std::fs::read_to_string(driver.root().join(id).join(file)).unwrap()
}

#[test]
fn open_makes_the_root_and_l_with_dockers_modes() {
    let (_tmp, driver) = store();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(driver.root()), 0o710);
    assert_eq!(mode(&driver.root().join("l")), 0o700);
}

#[test]
fn a_base_layer_has_diff_and_link_but_no_lower_or_work() {
    let (_tmp, driver) = store();
    driver.create("base", None).unwrap();
    assert!(driver.exists("base"));
    assert!(driver.diff_dir("base").is_dir());
    let link = read(&driver, "base", "link");
    assert_eq!(link.len(), 26);
    assert!(
        link.bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "{link}"
    );
    assert_eq!(
        std::fs::read_link(driver.root().join("l").join(&link)).unwrap(),
        Path::new("../base/diff")
    );
    assert!(!driver.root().join("base/lower").exists());
    assert!(!driver.root().join("base/work").exists());
    assert_eq!(driver.lower_dirs("base").unwrap(), Vec::<PathBuf>::new());
}

#[test]
fn lower_lists_every_ancestor_by_short_link_nearest_first() {
    let (_tmp, driver) = store();
    driver.create("base", None).unwrap();
    driver.create("mid", Some("base")).unwrap();
    driver.create("top", Some("mid")).unwrap();
    let (base, mid) = (read(&driver, "base", "link"), read(&driver, "mid", "link"));
    assert_eq!(read(&driver, "mid", "lower"), format!("l/{base}"));
    assert_eq!(read(&driver, "top", "lower"), format!("l/{mid}:l/{base}"));
    assert!(driver.root().join("top/work").is_dir());
    assert_eq!(
        driver.lower_dirs("top").unwrap(),
        [driver.diff_dir("mid"), driver.diff_dir("base")]
    );
}

#[test]
fn the_relative_data_string_uses_short_links() {
    let (_tmp, driver) = store();
    driver.create("base", None).unwrap();
    driver.create("top", Some("base")).unwrap();
    let base = read(&driver, "base", "link");
    assert_eq!(
        driver.relative_mount_data("top").unwrap(),
        format!(
            "lowerdir=l/{base},upperdir=top/diff,workdir=top/work,index=off,redirect_dir=off,metacopy=off"
        )
    );
}

#[test]
fn links_are_random() {
    let (_tmp, driver) = store();
    driver.create("a", None).unwrap();
    driver.create("b", None).unwrap();
    assert_ne!(read(&driver, "a", "link"), read(&driver, "b", "link"));
}

#[test]
fn remove_deletes_the_layer_and_its_short_link() {
    let (_tmp, driver) = store();
    driver.create("base", None).unwrap();
    let link = read(&driver, "base", "link");
    driver.remove("base").unwrap();
    assert!(!driver.exists("base"));
    assert!(std::fs::symlink_metadata(driver.root().join("l").join(link)).is_err());
    driver.remove("base").unwrap(); // already gone: fine
}

#[test]
fn remove_with_hands_over_the_link_then_the_directory() {
    let (_tmp, driver) = store();
    driver.create("base", None).unwrap();
    let link = driver.root().join("l").join(read(&driver, "base", "link"));
    let kept = driver.root().join("kept");
    std::fs::create_dir(&kept).unwrap();
    let handed_over = std::cell::RefCell::new(Vec::new());
    driver
        .remove_with("base", &|path| {
            handed_over.borrow_mut().push(path.to_owned());
            std::fs::rename(path, kept.join(path.file_name().unwrap()))
        })
        .unwrap();
    assert_eq!(
        handed_over.into_inner(),
        [link.clone(), driver.root().join("base")],
        "the l/ link first: nothing refers to the directory as it goes"
    );
    assert!(!driver.exists("base"));
    assert!(std::fs::symlink_metadata(&link).is_err());
    assert!(
        kept.join("base").join("diff").is_dir(),
        "the caller chose what became of it"
    );
    let refused = driver.create("gone", None).and_then(|()| {
        driver.remove_with("gone", &|_| {
            Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
        })
    });
    assert!(matches!(refused, Err(LayerError::Path { .. })), "{refused:?}");
    assert!(driver.exists("gone"), "a refused delete leaves the layer");
    let gone_link = driver.root().join("l").join(read(&driver, "gone", "link"));
    assert!(std::fs::symlink_metadata(gone_link).is_ok(), "and its link");
}

#[test]
fn bad_ids_duplicates_and_unknown_parents_are_refused() {
    let (_tmp, driver) = store();
    for id in ["", "l", "../x", "a/b", ".hidden"] {
        assert!(
            matches!(driver.create(id, None), Err(LayerError::InvalidId { .. })),
            "{id:?}"
        );
    }
    driver.create("base", None).unwrap();
    assert!(matches!(
        driver.create("base", None),
        Err(LayerError::LayerExists { .. })
    ));
    assert!(matches!(
        driver.create("child", Some("nope")),
        Err(LayerError::UnknownLayer { .. })
    ));
    assert!(!driver.exists("child"));
}

#[test]
fn a_chain_deeper_than_overlayfs_allows_is_refused_and_cleaned_up() {
    let (_tmp, driver) = store();
    driver.create("l0", None).unwrap();
    for i in 1..=OVL_MAX_STACK {
        driver
            .create(&format!("l{i}"), Some(&format!("l{}", i - 1)))
            .unwrap();
    }
    let deepest = format!("l{OVL_MAX_STACK}");
    assert_eq!(driver.lower_dirs(&deepest).unwrap().len(), OVL_MAX_STACK);
    let err = driver.create("too-deep", Some(&deepest)).unwrap_err();
    assert!(matches!(err, LayerError::TooDeep { depth: 501, .. }), "{err}");
    assert!(!driver.exists("too-deep"));
    let links = std::fs::read_dir(driver.root().join("l")).unwrap().count();
    assert_eq!(
        links,
        OVL_MAX_STACK + 1,
        "the failed layer's short link was removed"
    );
}

#[test]
fn a_volatile_layer_whose_link_a_crash_emptied_is_still_removed_whole() {
    let (_tmp, driver) = store();
    driver.create("base", None).unwrap();
    driver
        .create_with("rm", Some("base"), Durability::Volatile)
        .unwrap();
    assert_eq!(
        read(&driver, "rm", "lower"),
        format!("l/{}", read(&driver, "base", "link"))
    );
    // what a power cut can leave of a file written without fsync(2)
    std::fs::write(driver.root().join("rm/link"), "").unwrap();
    driver.remove("rm").unwrap();
    assert!(!driver.exists("rm"));
    let links: Vec<_> = std::fs::read_dir(driver.root().join(LINK_DIR))
        .unwrap()
        .map(|e| std::fs::read_link(e.unwrap().path()).unwrap())
        .collect();
    assert_eq!(links, [Path::new("../base/diff")], "only the base's link is left");
}

#[test]
fn staged_layers_published_later_are_layers_like_the_others() {
    let (tmp, driver) = store();
    driver.create("image", None).unwrap();
    let staging = tmp.path().join("staging");
    std::fs::create_dir(&staging).unwrap();
    let init = driver
        .stage(
            &staging.join("a-init"),
            Below::Layer("image"),
            Durability::Volatile,
        )
        .unwrap();
    std::fs::write(init.diff_dir().join(".dockerenv"), "").unwrap();
    let mount = driver
        .stage(&staging.join("a"), Below::Staged(&init), Durability::Volatile)
        .unwrap();
    let links_before = std::fs::read_dir(driver.root().join(LINK_DIR)).unwrap().count();
    assert_eq!(
        links_before, 1,
        "staging makes no l/ link: nothing in the store refers to it"
    );
    assert!(!driver.exists("c-init") && !driver.exists("c"));

    driver.publish(&init, "c-init").unwrap();
    driver.publish(&mount, "c").unwrap();
    assert!(
        !staging.join("a-init").exists() && !staging.join("a").exists(),
        "moved, not copied"
    );
    assert!(driver.diff_dir("c-init").join(".dockerenv").exists());
    assert!(driver.root().join("c/work").is_dir());
    assert_eq!(
        driver.lower_dirs("c").unwrap(),
        [driver.diff_dir("c-init"), driver.diff_dir("image")],
        "the same lower list a layer created on c-init has"
    );
    // and they go like any other layer
    driver.remove("c").unwrap();
    driver.remove("c-init").unwrap();
    assert_eq!(
        std::fs::read_dir(driver.root().join(LINK_DIR)).unwrap().count(),
        1
    );
}

#[test]
fn a_staged_layer_is_never_published_over_a_layer_or_without_the_one_below() {
    let (tmp, driver) = store();
    driver.create("image", None).unwrap();
    driver.create("taken", Some("image")).unwrap();
    let staged = driver
        .stage(&tmp.path().join("s"), Below::Layer("image"), Durability::Volatile)
        .unwrap();
    assert!(matches!(
        driver.publish(&staged, "taken"),
        Err(LayerError::LayerExists { .. })
    ));
    assert!(
        staged.dir().is_dir(),
        "a refused publish leaves the staged layer where it was"
    );

    driver.remove("taken").unwrap();
    driver.remove("image").unwrap();
    assert!(
        matches!(
            driver.publish(&staged, "new"),
            Err(LayerError::UnknownLayer { .. })
        ),
        "the layer below was removed since it was staged"
    );
    assert!(!driver.exists("new"));
    let staged_on_staged = driver
        .stage(
            &tmp.path().join("t"),
            Below::Staged(&staged),
            Durability::Volatile,
        )
        .unwrap();
    assert!(
        driver.publish(&staged_on_staged, "t").is_err(),
        "the staged layer below was never published"
    );
}
