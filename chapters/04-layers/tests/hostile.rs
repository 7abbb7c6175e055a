//! Hostile layer tars: each is applied to `<sandbox>/layer`, and afterwards the sandbox must
//! hold nothing but `layer`, a victim directory elsewhere must be untouched, and every refusal
//! must name the entry. Root only (whiteouts and opaque dirs need mknod and trusted.* xattrs).

mod common;

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use ch04_layers::{ApplyLimits, LayerError, apply_layer_tar, is_opaque, is_whiteout};
use common::{is_root, names};
use proptest::prelude::*;

/// One tar entry, with the name written byte for byte (the tar crate's own builder would
/// refuse the hostile ones).
#[derive(Debug, Clone)]
enum E {
    File(String, Vec<u8>),
    Dir(String),
    Symlink(String, String),
    Hardlink(String, String),
    Char(String, u32, u32),
    /// A regular file header declaring `size` bytes, followed by no data at all.
    Huge(String, u64),
    /// A directory with a PAX `SCHILY.xattr.<key>` record.
    DirXattr(String, String),
}

impl E {
    fn name(&self) -> &str {
        match self {
            E::File(n, _) | E::Dir(n) | E::Symlink(n, _) | E::Hardlink(n, _) | E::Char(n, ..) => n,
            E::Huge(n, _) | E::DirXattr(n, _) => n,
        }
    }
}

fn header(name: &str, kind: tar::EntryType, size: u64, link: &str) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_size(size);
    h.set_mode(if kind == tar::EntryType::Directory {
        0o755
    } else {
        0o644
    });
    h.set_mtime(1_600_000_000);
    h.set_uid(0);
    h.set_gid(0);
    let old = h.as_old_mut();
    old.name[..name.len()].copy_from_slice(name.as_bytes());
    old.linkname[..link.len()].copy_from_slice(link.as_bytes());
    h.set_cksum();
    h
}

fn raw_tar(entries: &[E]) -> Vec<u8> {
    use tar::EntryType as T;
    let mut out = Vec::new();
    let mut push = |h: tar::Header, data: &[u8]| {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    };
    for e in entries {
        match e {
            E::File(n, data) => push(header(n, T::Regular, data.len() as u64, ""), data),
            E::Dir(n) => push(header(n, T::Directory, 0, ""), &[]),
            E::Symlink(n, t) => push(header(n, T::Symlink, 0, t), &[]),
            E::Hardlink(n, t) => push(header(n, T::Link, 0, t), &[]),
            E::Char(n, major, minor) => {
                let mut h = header(n, T::Char, 0, "");
                h.set_device_major(*major).expect("test fixture");
                h.set_device_minor(*minor).expect("test fixture");
                h.set_cksum();
                push(h, &[]);
            }
            E::Huge(n, size) => {
                push(header(n, T::Regular, *size, ""), &[]);
                return out; // the data never comes
            }
            E::DirXattr(n, key) => {
                let record = format!("SCHILY.xattr.{key}=y\n");
                let record = format!("{} {record}", record.len() + 3); // 2-digit length + space
                push(
                    header("PaxHeader", T::XHeader, record.len() as u64, ""),
                    record.as_bytes(),
                );
                push(header(n, T::Directory, 0, ""), &[]);
            }
        }
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

/// `<sandbox>/layer`, plus a victim directory outside the sandbox holding `victim` ("safe").
struct Scene {
    sandbox: tempfile::TempDir,
    victim: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        let scene = Scene {
            sandbox: tempfile::tempdir().expect("test fixture"),
            victim: tempfile::tempdir().expect("test fixture"),
        };
        std::fs::create_dir(scene.layer()).expect("test fixture");
        std::fs::write(scene.victim.path().join("victim"), "safe").expect("test fixture");
        scene
    }

    fn layer(&self) -> PathBuf {
        self.sandbox.path().join("layer")
    }

    fn apply(&self, entries: &[E]) -> Result<ch04_layers::ApplyStats, LayerError> {
        let limits = ApplyLimits {
            max_entries: 64,
            max_file_size: 1 << 20,
            max_total_size: 4 << 20,
        };
        apply_layer_tar(&self.layer(), raw_tar(entries).as_slice(), &limits)
    }

    /// Nothing escaped: the sandbox holds only `layer`, the victim is as it was.
    fn assert_confined(&self) {
        assert_eq!(
            names(self.sandbox.path()),
            ["layer"],
            "something was created next to the layer"
        );
        assert_eq!(names(self.victim.path()), ["victim"]);
        let victim = self.victim.path().join("victim");
        assert_eq!(std::fs::read_to_string(&victim).expect("test fixture"), "safe");
        assert_eq!(
            std::fs::metadata(&victim).expect("test fixture").nlink(),
            1,
            "no hard link to the victim"
        );
    }

    fn victim_dir(&self) -> String {
        self.victim.path().to_str().expect("test fixture").to_owned()
    }
}

fn file(name: &str) -> E {
    E::File(name.into(), b"pwned".to_vec())
}

fn refused(entries: &[E], entry: &str, why: &str) {
    let scene = Scene::new();
    let err = scene.apply(entries).expect_err("should be refused");
    let msg = err.to_string();
    assert!(msg.contains(&format!("{entry:?}")) && msg.contains(why), "{msg}");
    scene.assert_confined();
}

#[test]
fn dotdot_and_absolute_names_are_refused() {
    if !is_root() {
        return;
    }
    refused(&[file("../evil")], "../evil", "`..` component");
    refused(&[file("a/../../evil")], "a/../../evil", "`..`");
    refused(&[file("/etc/evil")], "/etc/evil", "absolute path");
    refused(&[file(".wh...")], ".wh...", "whiteout of");
    refused(&[file("a/.wh..")], "a/.wh..", "whiteout of");
}

#[test]
fn writes_through_symlinks_stay_in_the_layer() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let victim_dir = scene.victim_dir();
    scene
        .apply(&[
            E::Symlink("abs".into(), victim_dir.clone()),
            E::Symlink("up".into(), "../../../..".into()),
            file("abs/pwned"),
            file("up/pwned"),
            E::Symlink("victim-link".into(), format!("{victim_dir}/victim")),
            file("victim-link"), // replaces the symlink, never writes through it
        ])
        .unwrap();
    scene.assert_confined();
    let layer = scene.layer();
    assert_eq!(
        std::fs::read_to_string(layer.join(victim_dir.trim_start_matches('/')).join("pwned")).unwrap(),
        "pwned"
    );
    assert!(
        layer.join("pwned").is_file(),
        "`..` in a symlink stops at the layer root"
    );
    assert!(
        std::fs::symlink_metadata(layer.join("victim-link"))
            .unwrap()
            .is_file()
    );
    assert_eq!(
        std::fs::read_link(layer.join("abs")).unwrap(),
        Path::new(&victim_dir),
        "symlinks are kept as written"
    );
}

#[test]
fn hardlinks_must_stay_inside_and_exist() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    let victim = format!("{}/victim", scene.victim_dir());
    refused(&[E::Hardlink("h".into(), victim.clone())], "h", "absolute path");
    refused(&[E::Hardlink("h".into(), "../victim".into())], "h", "`..`");
    let through = [
        E::Symlink("s".into(), scene.victim_dir()),
        E::Hardlink("h".into(), "s/victim".into()),
    ];
    refused(&through, "h", "does not exist in the layer");
    refused(
        &[E::Dir("d/".into()), E::Hardlink("h".into(), "d".into())],
        "h",
        "directory",
    );
    refused(&[E::Hardlink("h".into(), "h".into())], "h", "does not exist");
    // and a good one works
    scene
        .apply(&[file("a"), E::Hardlink("b".into(), "./a".into())])
        .unwrap();
    assert_eq!(std::fs::metadata(scene.layer().join("b")).unwrap().nlink(), 2);
    scene.assert_confined();
}

#[test]
fn later_duplicates_replace_earlier_entries() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    scene
        .apply(&[
            file("a"),
            E::Dir("a/".into()),
            file("a/inside"),
            E::Dir("d/".into()),
            file("d/x"),
            file("d"),
            E::Dir("keep/".into()),
            file("keep/1"),
            E::Dir("keep/".into()),
        ])
        .unwrap();
    let layer = scene.layer();
    assert_eq!(names(&layer.join("a")), ["inside"], "a directory over a file");
    assert!(
        std::fs::symlink_metadata(layer.join("d")).unwrap().is_file(),
        "a file over a directory"
    );
    assert_eq!(
        names(&layer.join("keep")),
        ["1"],
        "a directory over a directory merges"
    );
    scene.assert_confined();
}

#[test]
fn absurd_sizes_and_counts_are_refused_before_writing() {
    if !is_root() {
        return;
    }
    refused(&[E::Huge("big".into(), 1 << 40)], "big", "per-file limit");
    let scene = Scene::new();
    let err = scene.apply(&[E::Huge("big".into(), 1 << 40)]).unwrap_err();
    assert!(matches!(err, LayerError::FileTooLarge { size, .. } if size == 1 << 40));
    assert_eq!(names(&scene.layer()), Vec::<String>::new(), "nothing written");
    let half = || vec![0u8; 600 << 10];
    refused(
        &[
            E::File("x".into(), half()),
            E::File("y".into(), half()),
            E::File("z".into(), half()),
            E::File("w".into(), half()),
            E::File("v".into(), half()),
            E::File("u".into(), half()),
            E::File("t".into(), half()),
        ],
        "t",
        "total limit",
    );
    let many: Vec<E> = (0..65).map(|i| file(&format!("f{i}"))).collect();
    let scene = Scene::new();
    assert!(matches!(
        scene.apply(&many),
        Err(LayerError::TooManyEntries { limit: 64 })
    ));
}

#[test]
fn whiteouts_and_opaque_markers_follow_the_oci_rules() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    scene
        .apply(&[
            file(".wh.gone"),
            E::Dir("d/".into()),
            file("d/-early"), // sorts before the marker: this layer's files are never hidden
            file("d/.wh..wh..opq"),
            file("d/late"),
            file("x"),
            file(".wh.x"), // this layer's x already hides the lower one
            E::Dir("y/".into()),
            file(".wh.y"), // this layer's y stays, but nothing below shows through
            file(".wh.z"),
            E::Dir("z/".into()),    // a directory over a whiteout hides the lower z
            file("n/.wh..wh.plnk"), // AUFS bookkeeping: skipped
        ])
        .unwrap();
    let layer = scene.layer();
    let meta = |p: &str| std::fs::symlink_metadata(layer.join(p)).unwrap();
    assert!(is_whiteout(&meta("gone")));
    assert!(!layer.join(".wh.gone").exists());
    assert!(is_opaque(&layer.join("d")).unwrap());
    assert_eq!(names(&layer.join("d")), ["-early", "late"]);
    assert!(meta("x").is_file());
    assert!(meta("y").is_dir() && is_opaque(&layer.join("y")).unwrap());
    assert!(meta("z").is_dir() && is_opaque(&layer.join("z")).unwrap());
    assert!(!layer.join("n").exists(), "skipped entirely");
    scene.assert_confined();
}

#[test]
fn devices_are_created_as_root_and_overlay_xattrs_are_refused() {
    if !is_root() {
        return;
    }
    let scene = Scene::new();
    scene
        .apply(&[
            E::Char("null".into(), 1, 3),
            E::DirXattr("redirected/".into(), "trusted.overlay.redirect".into()),
            E::DirXattr("tagged/".into(), "user.tag".into()),
        ])
        .unwrap();
    let layer = scene.layer();
    let null = std::fs::symlink_metadata(layer.join("null")).unwrap();
    assert!(null.file_type().is_char_device() && null.rdev() == nix::sys::stat::makedev(1, 3));
    let get = |dir: &str, name: &str| ch04_layers::xattr::lget(&layer.join(dir), name).unwrap();
    assert_eq!(
        get("redirected", "trusted.overlay.redirect"),
        None,
        "a layer cannot forge overlayfs metadata"
    );
    assert_eq!(get("tagged", "user.tag").as_deref(), Some(&b"y"[..]));
}

#[test]
fn symlink_loops_are_an_error() {
    if !is_root() {
        return;
    }
    let entries = [
        E::Symlink("a".into(), "b".into()),
        E::Symlink("b".into(), "a".into()),
        file("a/x"),
    ];
    refused(&entries, "a/x", "too many symbolic links");
}

/// Names, symlink targets and hard-link targets a hostile archive might use. Outright
/// escaping names are rarer, so that most archives get far enough to try the subtle tricks.
fn hostile_entry() -> impl Strategy<Value = E> {
    let names = prop_oneof![
        6 => prop::sample::select(vec!["a", "esc", "up"]), // names that collide often
        3 => prop::sample::select(vec![
            "b", "a/b", "./c", "esc/f", "up/f", "up/up/f", "a/b/c", "esc/victim", ".wh.a", ".wh.esc",
            "a/.wh..wh..opq", ".wh..wh..opq", "dev/x", ".", "up/.wh.f", "./a/",
        ]),
        1 => prop::sample::select(vec!["../x", "/abs", "a/../../x", ".wh...", "esc/../../x"]),
    ];
    // "" and "/victim" are replaced by the victim directory's path once it exists
    let targets = prop::sample::select(vec![
        "", "/victim", "/victim", "..", "../..", "/", "a", "up/..", "esc",
    ]);
    let links = prop::sample::select(vec![
        "a",
        "../x",
        "/etc/passwd",
        "esc/victim",
        "up/victim",
        "/victim",
        "a/b",
    ]);
    (names, targets, links, 0..24u8, 0..3usize).prop_map(|(name, target, link, kind, n)| {
        let name = name.to_owned();
        match kind {
            0..=6 => E::File(name, vec![b'x'; 100 * n]),
            7..=10 => E::Dir(name),
            11..=17 => E::Symlink(name, target.to_owned()),
            18..=21 => E::Hardlink(name, link.to_owned()),
            22 => E::Char(name, 1, [3, 5, 7][n]), // null, zero, full
            _ => E::Huge(name, 1 << (30 + n)),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn no_hostile_tar_writes_outside_the_layer(seed_entries in prop::collection::vec(hostile_entry(), 1..12)) {
        if !nix::unistd::geteuid().is_root() {
            return Ok(());
        }
        let scene = Scene::new();
        // the victim's path is only known now: point the "absolute" targets at it
        let victim_dir = scene.victim_dir();
        let entries: Vec<E> = seed_entries.into_iter().map(|e| match e {
            E::Symlink(n, t) if t.is_empty() || t.starts_with("/victim") => E::Symlink(n, format!("{victim_dir}{t}")),
            E::Hardlink(n, t) if t.starts_with("/victim") => E::Hardlink(n, format!("{victim_dir}{t}")),
            other => other,
        }).collect();
        let result = scene.apply(&entries);
        scene.assert_confined();
        if let Err(err) = &result {
            let msg = err.to_string();
            let names_something = entries.iter().any(|e| msg.contains(&format!("{:?}", e.name())))
                || msg.contains(scene.layer().to_str().unwrap());
            prop_assert!(names_something, "unclear error: {}", msg);
        }
        let escaping = entries.iter().position(|e| {
            let n = e.name();
            n.starts_with('/') || n.split('/').any(|p| p == "..") || n == ".wh..."
        });
        if let Some(i) = escaping {
            // an escaping name is never applied: either it is refused, or an earlier entry failed
            prop_assert!(result.is_err(), "entry {} ({:?}) was accepted", i, entries[i].name());
        }
    }
}
