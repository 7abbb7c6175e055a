//! ex4: applying a layer tar as if every entry were hostile. Each tar is applied to
//! `<sandbox>/layer`; a victim directory elsewhere must stay untouched.

mod common;

use std::io::Cursor;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::names;
use lab04_layers::{ApplyLimits, ApplyStats, LayerError, apply_layer_tar, is_opaque, is_whiteout};

/// One tar entry, its name written byte for byte (the tar crate's own builder would refuse
/// the hostile ones).
enum E<'a> {
    File(&'a str, &'a str),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
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
    let mut out = Vec::new();
    let mut push = |h: tar::Header, data: &[u8]| {
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    };
    for e in entries {
        match e {
            E::File(n, data) => push(
                header(n, tar::EntryType::Regular, data.len() as u64, ""),
                data.as_bytes(),
            ),
            E::Dir(n) => push(header(n, tar::EntryType::Directory, 0, ""), &[]),
            E::Symlink(n, t) => push(header(n, tar::EntryType::Symlink, 0, t), &[]),
        }
    }
    out.extend_from_slice(&[0; 1024]);
    out
}

/// `<sandbox>/layer`, plus a victim directory outside the sandbox holding `victim`.
struct Scene {
    sandbox: tempfile::TempDir,
    victim: tempfile::TempDir,
}

impl Scene {
    fn new() -> Scene {
        let scene = Scene {
            sandbox: tempfile::tempdir().expect("tempdir"),
            victim: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir(scene.layer()).expect("mkdir");
        std::fs::write(scene.victim.path().join("victim"), "safe").expect("write");
        scene
    }

    fn layer(&self) -> PathBuf {
        self.sandbox.path().join("layer")
    }

    fn apply(&self, entries: &[E]) -> Result<ApplyStats, LayerError> {
        apply_layer_tar(
            &self.layer(),
            Cursor::new(raw_tar(entries)),
            &ApplyLimits::default(),
        )
    }

    /// Nothing but `layer` in the sandbox, nothing but `victim` in the victim directory.
    fn assert_contained(&self) {
        assert_eq!(names(self.sandbox.path()), ["layer"], "the sandbox");
        assert_eq!(names(self.victim.path()), ["victim"], "the victim directory");
    }
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("lstat")
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn ex4_names_are_cleaned_and_missing_parents_created() {
    let scene = Scene::new();
    let stats = scene
        .apply(&[
            E::File("./etc//hosts", "127.0.0.1"),
            E::File("usr/local/bin/tool", "#!"),
        ])
        .expect("apply");
    assert_eq!(stats.entries, 2);
    let layer = scene.layer();
    assert_eq!(
        std::fs::read_to_string(layer.join("etc/hosts")).expect("read"),
        "127.0.0.1"
    );
    assert_eq!(
        std::fs::read_to_string(layer.join("usr/local/bin/tool")).expect("read"),
        "#!"
    );
    for dir in ["etc", "usr", "usr/local", "usr/local/bin"] {
        assert_eq!(
            mode(&layer.join(dir)),
            0o755,
            "{dir} is created 0755, as Docker does"
        );
    }
    scene.assert_contained();
}

#[test]
fn ex4_absolute_names_and_dotdot_are_refused() {
    for name in [
        "/etc/passwd",
        "../escape",
        "a/../../escape",
        "ok/..",
        "./../x",
        "a/b/../../..",
    ] {
        let scene = Scene::new();
        match scene.apply(&[E::File(name, "pwned")]) {
            Err(LayerError::InvalidEntryName { entry, .. }) => assert_eq!(entry, name),
            other => panic!("{name:?} must be refused as an invalid name, got {other:?}"),
        }
        assert_eq!(
            names(&scene.layer()),
            Vec::<String>::new(),
            "{name:?}: nothing written"
        );
        scene.assert_contained();
    }
}

#[test]
fn ex4_a_symlink_never_carries_a_write_out_of_the_layer() {
    let scene = Scene::new();
    let victim = scene.victim.path().to_path_buf();
    let victim_abs = victim.to_string_lossy().into_owned();
    scene
        .apply(&[
            E::Symlink("evil", &victim_abs),
            E::File("evil/pwned", "x"),
            E::Symlink("up", "../../../../../../../.."),
            E::Dir("up/etc/"),
            E::File("up/etc/pwned", "x"),
        ])
        .expect("apply");
    scene.assert_contained();
    let layer = scene.layer();
    // the links were followed as if the layer were `/`
    let inside = layer.join(victim.strip_prefix("/").expect("an absolute path"));
    assert_eq!(std::fs::read_to_string(inside.join("pwned")).expect("read"), "x");
    assert_eq!(
        std::fs::read_to_string(layer.join("etc/pwned")).expect("read"),
        "x"
    );
    assert!(
        std::fs::symlink_metadata(layer.join("evil"))
            .expect("lstat")
            .is_symlink()
    );
}

#[test]
fn ex4_a_file_in_the_way_of_a_directory_is_an_error() {
    let scene = Scene::new();
    match scene.apply(&[E::File("a", "x"), E::File("a/b", "y")]) {
        Err(LayerError::NotADirectory { entry, path }) => {
            assert_eq!(entry, "a/b");
            assert_eq!(path, scene.layer().join("a"));
        }
        other => panic!("expected NotADirectory, got {other:?}"),
    }
    scene.assert_contained();
}

#[test]
fn ex4_a_symlink_loop_is_an_error() {
    let scene = Scene::new();
    match scene.apply(&[E::Symlink("a", "b"), E::Symlink("b", "a"), E::File("a/x", "x")]) {
        Err(LayerError::SymlinkLoop { entry }) => assert_eq!(entry, "a/x"),
        other => panic!("expected SymlinkLoop, got {other:?}"),
    }
    scene.assert_contained();
}

#[test]
fn ex4_a_whiteout_in_the_way_becomes_an_opaque_directory() {
    if !common::is_root("ex4_a_whiteout_in_the_way_becomes_an_opaque_directory") {
        return;
    }
    let scene = Scene::new();
    // this layer deletes etc from the layers below, then puts a new etc/ with one file
    scene
        .apply(&[E::File(".wh.etc", ""), E::File("etc/new", "n")])
        .expect("apply");
    let etc = scene.layer().join("etc");
    assert!(std::fs::symlink_metadata(&etc).expect("lstat").is_dir());
    assert!(
        is_opaque(&etc).expect("read the xattr"),
        "the lower etc/ must not show through"
    );
    assert_eq!(names(&etc), ["new"]);
    scene.assert_contained();
}

#[test]
fn ex4_wh_entries_become_whiteouts_and_opaque_directories() {
    if !common::is_root("ex4_wh_entries_become_whiteouts_and_opaque_directories") {
        return;
    }
    let scene = Scene::new();
    scene
        .apply(&[
            E::Dir("etc/"),
            E::File("etc/.wh.motd", ""),
            E::Dir("var/cache/"),
            E::File("var/cache/.wh..wh..opq", ""),
            E::File("var/cache/new", "n"),
        ])
        .expect("apply");
    let layer = scene.layer();
    let motd = std::fs::symlink_metadata(layer.join("etc/motd")).expect("lstat");
    assert!(is_whiteout(&motd), ".wh.motd became a whiteout named motd");
    assert_eq!(names(&layer.join("etc")), ["motd"]);
    assert!(
        is_opaque(&layer.join("var/cache")).expect("read the xattr"),
        ".wh..wh..opq: opaque"
    );
    assert_eq!(names(&layer.join("var/cache")), ["new"]);
    scene.assert_contained();
}
