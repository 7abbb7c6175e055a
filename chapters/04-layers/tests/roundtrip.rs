//! Privileged (mknod, chown, trusted.* xattrs), no mounts: an upper dir written as a layer tar
//! and applied onto a fresh directory comes back the same, and the tar reads like Docker's.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use ch04_layers::{
    ApplyLimits, apply_layer_tar, create_whiteout, is_opaque, is_whiteout, set_opaque, write_layer_tar, xattr,
};
use common::{is_root, write};
use nix::sys::stat::{Mode, SFlag, UtimensatFlags, makedev, mknod, utimensat};
use nix::sys::time::TimeSpec;

const LONG: &str =
    "a-name-that-is-longer-than-the-hundred-bytes-a-tar-header-holds-so-it-needs-a-pax-record-of-its-own-xyz";
/// VFS_CAP_REVISION_2 | effective, permitted = CAP_NET_BIND_SERVICE (10): `setcap cap_net_bind_service+ep`.
const CAP_NET_BIND: [u8; 20] = [1, 0, 0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid)).expect("test fixture");
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("test fixture");
}

/// An upper dir with one of everything a layer can hold.
fn sample_upper(dir: &Path) {
    let p = |rel: &str| dir.join(rel);
    write(&p("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
    xattr::lset(&p("etc/passwd"), "user.note", b"kept").expect("test fixture");
    write(&p("etc/shadow"), "root:*:1::::::\n");
    chown(&p("etc/shadow"), 0, 42);
    chmod(&p("etc/shadow"), 0o640);
    write(&p("bin/tool"), "#!/bin/sh\necho tool\n");
    chown(&p("bin/tool"), 1000, 1000);
    chmod(&p("bin/tool"), 0o4755); // setuid survives because chmod comes after chown
    xattr::lset(&p("bin/tool"), "security.capability", &CAP_NET_BIND).expect("test fixture");
    std::fs::hard_link(p("bin/tool"), p("bin/tool-link")).expect("test fixture");
    std::os::unix::fs::symlink("tool", p("bin/sh")).expect("test fixture");
    std::os::unix::fs::symlink(format!("/opt/{LONG}/target"), p("bin/long-link")).expect("test fixture");
    write(&p(&format!("deep/{LONG}/file")), "deep");
    create_whiteout(&p("gone")).expect("test fixture");
    create_whiteout(&p("etc/motd")).expect("test fixture");
    write(&p("var/cache/new"), "fresh");
    set_opaque(&p("var/cache")).expect("test fixture");
    std::fs::create_dir_all(p("run")).expect("test fixture");
    mknod(&p("run/fifo"), SFlag::S_IFIFO, Mode::from_bits_truncate(0o600), 0).expect("test fixture");
    std::fs::create_dir_all(p("dev")).expect("test fixture");
    mknod(
        &p("dev/null"),
        SFlag::S_IFCHR,
        Mode::from_bits_truncate(0o666),
        makedev(1, 3),
    )
    .expect("test fixture");
    std::fs::create_dir(p("empty")).expect("test fixture");
    chmod(&p("empty"), 0o1777);
    // fixed mtimes, children first so directories keep theirs
    let mut all: Vec<_> = walk(dir);
    all.sort_by_key(|rel| std::cmp::Reverse(rel.matches('/').count()));
    for (i, rel) in all.iter().enumerate() {
        let t = TimeSpec::new(1_600_000_000 + i as i64, 0);
        utimensat(
            nix::fcntl::AT_FDCWD,
            &dir.join(rel),
            &t,
            &t,
            UtimensatFlags::NoFollowSymlink,
        )
        .expect("test fixture");
    }
}

/// Every path below `dir`, relative.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("test fixture")
        .map(Result::unwrap)
        .collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        out.push(name.clone());
        if entry.file_type().expect("test fixture").is_dir() {
            out.extend(walk(&entry.path()).into_iter().map(|c| format!("{name}/{c}")));
        }
    }
    out
}

/// Everything a round trip must keep, per path.
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut inodes = BTreeMap::new();
    for rel in walk(dir) {
        let path = dir.join(&rel);
        let m = std::fs::symlink_metadata(&path).expect("test fixture");
        let ft = m.file_type();
        let what = if is_whiteout(&m) {
            "whiteout".to_owned()
        } else if ft.is_dir() {
            format!("dir opaque={}", is_opaque(&path).expect("test fixture"))
        } else if ft.is_symlink() {
            format!(
                "symlink -> {}",
                std::fs::read_link(&path).expect("test fixture").display()
            )
        } else if ft.is_file() {
            let first = inodes.entry(m.ino()).or_insert_with(|| rel.clone());
            format!(
                "file {:?} links={} first={first}",
                std::fs::read_to_string(&path).expect("test fixture"),
                m.nlink()
            )
        } else if ft.is_fifo() {
            "fifo".to_owned()
        } else {
            format!("dev {}:{}", libc::major(m.rdev()), libc::minor(m.rdev()))
        };
        let mut line = format!(
            "{what} mode={:o} owner={}:{}",
            m.mode() & 0o7777,
            m.uid(),
            m.gid()
        );
        if !is_whiteout(&m) {
            line += &format!(" mtime={}", m.mtime());
        }
        if !ft.is_symlink() {
            for name in ["user.note", "security.capability"] {
                if let Some(value) = xattr::lget(&path, name).expect("test fixture") {
                    line += &format!(" {name}={value:?}");
                }
            }
        }
        out.insert(rel, line);
    }
    out
}

fn tar_entries(tar: &[u8]) -> Vec<(String, tar::EntryType, Option<String>)> {
    let mut archive = tar::Archive::new(tar);
    archive
        .entries()
        .expect("test fixture")
        .map(|e| {
            let e = e.expect("test fixture");
            let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
            let link = e
                .link_name_bytes()
                .map(|l| String::from_utf8_lossy(&l).into_owned());
            (name, e.header().entry_type(), link)
        })
        .collect()
}

#[test]
fn an_upper_dir_survives_a_trip_through_a_layer_tar() {
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (upper, applied) = (tmp.path().join("upper"), tmp.path().join("applied"));
    std::fs::create_dir(&upper).unwrap();
    std::fs::create_dir(&applied).unwrap();
    sample_upper(&upper);

    let mut tar = Vec::new();
    let written = write_layer_tar(&upper, &mut tar).unwrap();
    assert_eq!(written, tar.len() as u64);
    let stats = apply_layer_tar(&applied, tar.as_slice(), &ApplyLimits::default()).unwrap();
    assert!(stats.entries > 20 && stats.bytes > 50, "{stats:?}");

    let (before, after) = (snapshot(&upper), snapshot(&applied));
    for (path, line) in &before {
        println!("{path}: {line}");
    }
    assert_eq!(before, after);
    assert!(
        before["bin/tool"].contains("mode=4755 owner=1000:1000"),
        "the sample is what it claims"
    );
    assert!(
        before["bin/tool-link"].contains("first=bin/tool"),
        "hard links share an inode"
    );
    assert!(before["var/cache"].contains("opaque=true") && before["gone"].starts_with("whiteout"));
}

#[test]
fn the_tar_is_deterministic_and_named_like_dockers() {
    if !is_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    sample_upper(tmp.path());
    let (mut first, mut second) = (Vec::new(), Vec::new());
    write_layer_tar(tmp.path(), &mut first).unwrap();
    write_layer_tar(tmp.path(), &mut second).unwrap();
    assert_eq!(first, second, "same upper dir, same bytes, same digest");

    let entries = tar_entries(&first);
    let names: Vec<&str> = entries.iter().map(|(n, _, _)| n.as_str()).collect();
    assert!(
        names.iter().all(|n| !n.starts_with("./") && !n.starts_with('/')),
        "{names:?}"
    );
    let at = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("{name} in {names:?}"))
    };
    assert!(at("etc/") < at("etc/passwd"), "a directory before its contents");
    assert_eq!(
        at("var/cache/.wh..wh..opq"),
        at("var/cache/") + 1,
        "the opaque marker follows its dir"
    );
    let kind = |name: &str| entries[at(name)].1;
    assert_eq!(kind(".wh.gone"), tar::EntryType::Regular);
    assert_eq!(kind("etc/.wh.motd"), tar::EntryType::Regular);
    assert_eq!(kind("bin/tool-link"), tar::EntryType::Link);
    assert_eq!(entries[at("bin/tool-link")].2.as_deref(), Some("bin/tool"));
    assert_eq!(kind("dev/null"), tar::EntryType::Char);
    assert!(
        names.contains(&format!("deep/{LONG}/file").as_str()),
        "long names via PAX"
    );
    assert!(
        !names.iter().any(|n| n.ends_with("gone") && !n.contains(".wh.")),
        "no char device for a whiteout"
    );
    assert!(!names.contains(&"gone"));
    // the order is Go's filepath.Walk over the upper dir: names sorted *as on disk* (the
    // whiteout is `gone` there), depth first
    let top: Vec<&str> = names
        .iter()
        .filter(|n| !n.trim_end_matches('/').contains('/'))
        .copied()
        .collect();
    assert_eq!(
        top,
        [
            "bin/", "deep/", "dev/", "empty/", "etc/", ".wh.gone", "run/", "var/"
        ]
    );
}
