//! Privileged: what overlayfs really does on a write, a delete and a `rm -rf && mkdir`, and
//! what `changes()` makes of it. Each test re-runs itself in a private mount namespace and
//! runs once per mount API the kernel supports.

mod common;

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use ch04_layers::{
    Durability, MountApi, OverlayLayers, OverlayMount, changes, create_whiteout, detect_mount_api, is_opaque,
    is_whiteout, mount_overlay_with, unmount,
};
use common::{in_private_mount_namespace, is_root, names, write};

/// Both APIs when the kernel has the new one, else just mount(2).
fn apis() -> Vec<MountApi> {
    let mut apis = vec![MountApi::Legacy];
    if detect_mount_api() == MountApi::FsConfig {
        apis.push(MountApi::FsConfig);
    }
    apis
}

/// Lower layers (topmost first) with the given files, plus an empty upper, work and merged.
struct Stack {
    _tmp: tempfile::TempDir,
    layers: OverlayLayers,
    merged: PathBuf,
}

fn stack(lowers: &[&[(&str, &str)]]) -> Stack {
    let tmp = tempfile::tempdir().expect("test fixture");
    let mut lower = Vec::new();
    for (i, files) in lowers.iter().enumerate() {
        let dir = tmp.path().join(format!("lower{i}"));
        std::fs::create_dir(&dir).expect("test fixture");
        for (path, contents) in *files {
            if let Some(dir_path) = path.strip_suffix('/') {
                std::fs::create_dir_all(dir.join(dir_path)).expect("test fixture");
            } else {
                write(&dir.join(path), contents);
            }
        }
        lower.push(dir);
    }
    let [upper, work, merged] = ["upper", "work", "merged"].map(|d| {
        let p = tmp.path().join(d);
        std::fs::create_dir(&p).expect("test fixture");
        p
    });
    Stack {
        _tmp: tmp,
        layers: OverlayLayers { lower, upper, work },
        merged,
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).expect("test fixture")
}

#[test]
fn copy_up_leaves_the_lower_untouched() {
    if !is_root() || !in_private_mount_namespace("copy_up_leaves_the_lower_untouched") {
        return;
    }
    for api in apis() {
        let s = stack(&[&[("etc/conf", "v1"), ("etc/other", "o")]]);
        let mount = OverlayMount::new(&s.layers, &s.merged, api).unwrap();
        assert_eq!(read(&s.merged.join("etc/conf")), "v1", "{api}");
        assert!(
            !s.layers.upper.join("etc").exists(),
            "nothing is copied up by reading"
        );

        std::fs::write(s.merged.join("etc/conf"), "v2").unwrap();
        assert_eq!(read(&s.merged.join("etc/conf")), "v2");
        assert_eq!(read(&s.layers.upper.join("etc/conf")), "v2", "{api}: copied up");
        assert_eq!(
            read(&s.layers.lower[0].join("etc/conf")),
            "v1",
            "{api}: lower untouched"
        );
        assert_eq!(
            names(&s.layers.upper.join("etc")),
            ["conf"],
            "only the written file"
        );
        mount.unmount().unwrap();
    }
}

#[test]
fn a_deleted_lower_file_becomes_a_whiteout() {
    if !is_root() || !in_private_mount_namespace("a_deleted_lower_file_becomes_a_whiteout") {
        return;
    }
    for api in apis() {
        let s = stack(&[&[("tmp/x", "x"), ("tmp/keep", "k")]]);
        let mount = OverlayMount::new(&s.layers, &s.merged, api).unwrap();
        std::fs::remove_file(s.merged.join("tmp/x")).unwrap();

        assert!(
            !s.merged.join("tmp/x").exists(),
            "{api}: gone from the merged view"
        );
        assert_eq!(names(&s.merged.join("tmp")), ["keep"]);
        let wh = std::fs::symlink_metadata(s.layers.upper.join("tmp/x")).unwrap();
        assert!(
            wh.file_type().is_char_device() && wh.rdev() == 0,
            "{api}: c 0,0 in upper"
        );
        assert!(is_whiteout(&wh));
        assert_eq!(
            read(&s.layers.lower[0].join("tmp/x")),
            "x",
            "{api}: lower untouched"
        );
        mount.unmount().unwrap();
    }
}

#[test]
fn rm_rf_and_mkdir_makes_an_opaque_dir() {
    if !is_root() || !in_private_mount_namespace("rm_rf_and_mkdir_makes_an_opaque_dir") {
        return;
    }
    for api in apis() {
        let s = stack(&[&[("var/cache/a", "a"), ("var/cache/sub/b", "b")]]);
        let mount = OverlayMount::new(&s.layers, &s.merged, api).unwrap();
        std::fs::remove_dir_all(s.merged.join("var/cache")).unwrap();
        std::fs::create_dir(s.merged.join("var/cache")).unwrap();
        std::fs::write(s.merged.join("var/cache/fresh"), "f").unwrap();

        assert_eq!(names(&s.merged.join("var/cache")), ["fresh"], "{api}");
        assert!(
            is_opaque(&s.layers.upper.join("var/cache")).unwrap(),
            "{api}: opaque"
        );
        assert!(!is_opaque(&s.layers.upper.join("var")).unwrap());
        assert_eq!(names(&s.layers.lower[0].join("var/cache")), ["a", "sub"]);
        mount.unmount().unwrap();
    }
}

/// Set an inode back to the metadata it had: the file is copied up but not changed.
fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("test fixture");
}

#[test]
fn changes_are_what_docker_diff_prints() {
    if !is_root() || !in_private_mount_namespace("changes_are_what_docker_diff_prints") {
        return;
    }
    for api in apis() {
        let top: &[(&str, &str)] = &[("etc/motd", "hi")];
        let base: &[(&str, &str)] = &[
            ("etc/passwd", "root:x:0:0"),
            ("etc/hosts", "127.0.0.1"),
            ("usr/bin/tool", "#!"),
            ("tmp/x", "x"),
            ("var/lib/d/a", "a"),
            ("var/lib/d/b", "b"),
            ("run/", ""),
            ("opt/", ""),
        ];
        let s = stack(&[top, base]);
        create_whiteout(&s.layers.lower[0].join("etc/hosts")).unwrap(); // the top layer deleted it
        let m = |p: &str| s.merged.join(p);
        let mount = OverlayMount::new(&s.layers, &s.merged, api).unwrap();

        std::fs::write(m("etc/passwd"), "root:x:0:0\nme:x:1000:1000").unwrap();
        std::fs::write(m("etc/new"), "new").unwrap();
        std::fs::write(m("etc/hosts"), "::1").unwrap(); // not in the image any more: added
        std::fs::remove_file(m("tmp/x")).unwrap();
        std::fs::remove_dir_all(m("var/lib/d")).unwrap();
        std::fs::create_dir(m("var/lib/d")).unwrap();
        std::fs::write(m("var/lib/d/c"), "c").unwrap();
        std::fs::create_dir(m("run/secrets")).unwrap();
        let mode = std::fs::metadata(m("usr/bin/tool")).unwrap().mode() & 0o7777;
        chmod(&m("usr/bin/tool"), 0o700);
        chmod(&m("usr/bin/tool"), mode); // copied up, but the same as before
        chmod(&m("opt"), 0o700);
        std::fs::create_dir(m("newdir")).unwrap(); // overlayfs makes it opaque: still "A"
        std::fs::write(m("newdir/f"), "f").unwrap();

        assert!(s.layers.upper.join("usr/bin/tool").exists(), "tool was copied up");
        let got: Vec<String> = changes(&s.layers.lower, &s.layers.upper)
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        let expected = [
            "C /etc",
            "A /etc/hosts",
            "A /etc/new",
            "C /etc/passwd",
            "A /newdir",
            "A /newdir/f",
            "C /opt",
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
        assert_eq!(got, expected, "{api}");
        mount.unmount().unwrap();
    }
}

/// The mount options of the mount at `target`, from /proc/self/mountinfo's super options.
fn super_options(target: &Path) -> String {
    let mountinfo = read(Path::new("/proc/self/mountinfo"));
    let line = mountinfo
        .lines()
        .find(|l| l.split(' ').nth(4) == Some(&*target.to_string_lossy()))
        .unwrap_or_else(|| panic!("{} not in mountinfo", target.display()));
    line.rsplit(' ').next().unwrap_or_default().to_owned()
}

#[test]
fn a_volatile_mount_says_so_and_a_synced_one_does_not() {
    if !is_root() || !in_private_mount_namespace("a_volatile_mount_says_so_and_a_synced_one_does_not") {
        return;
    }
    for api in apis() {
        for durability in [Durability::Synced, Durability::Volatile] {
            let s = stack(&[&[("etc/conf", "v1")]]);
            mount_overlay_with(&s.layers, &s.merged, api, durability).unwrap();
            std::fs::write(s.merged.join("etc/conf"), "v2").unwrap();
            let options = super_options(&s.merged);
            // (6.x kernels show it as `fsync=volatile`, older ones as `volatile`)
            assert_eq!(
                options
                    .split(',')
                    .any(|o| o == "volatile" || o == "fsync=volatile"),
                durability == Durability::Volatile,
                "{api} {durability:?}: {options}"
            );
            unmount(&s.merged).unwrap();
            // overlayfs marks a volatile upper's work dir: its writes may be lost in a crash
            assert_eq!(
                s.layers.work.join("work/incompat/volatile").exists(),
                durability == Durability::Volatile,
                "{api} {durability:?}"
            );
            assert_eq!(read(&s.layers.upper.join("etc/conf")), "v2");
        }
    }
}
