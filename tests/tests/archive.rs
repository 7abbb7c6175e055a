//! `save` and `load`: images travel as tar archives and come back with their names, as Docker's
//! do (FEATURES.md IMG-18, IMG-19, scenario 8). What Docker 20.10 (CLI 28.2.2) printed for the
//! same commands is quoted in the comments.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use minidocker_e2e::image::{MARKER_CONTENT, MARKER_PATH, tar_of};
use minidocker_e2e::text::redact_ids;
use minidocker_e2e::{TestEnv, minidocker_bin, root_test};

/// The entries of a tar file, by name.
fn tar_entries(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let mut archive = tar::Archive::new(file);
    let mut out = BTreeMap::new();
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("a tar entry");
        let name = entry.path().expect("a name").to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("entry data");
        out.insert(name, data);
    }
    out
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(bytes)))
}

/// Every file under the data root with its size: what a failed load must leave as it was.
fn store_files(env: &TestEnv) -> BTreeMap<PathBuf, u64> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<PathBuf, u64>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let meta = std::fs::symlink_metadata(&path).expect("lstat");
            if meta.is_dir() {
                walk(&path, root, out);
            } else {
                out.insert(path.strip_prefix(root).expect("inside").to_owned(), meta.len());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(env.data_root(), env.data_root(), &mut out);
    out
}

/// `minidocker ARGS > file`: standard output kept byte for byte.
fn to_file(env: &TestEnv, args: &[&str], file: &Path) -> i32 {
    let out = std::fs::File::create(file).expect("creating the output file");
    Command::new(minidocker_bin())
        .args(args)
        .env("MINIDOCKER_DATA_ROOT", env.data_root())
        .stdin(Stdio::null())
        .stdout(out)
        .status()
        .expect("running minidocker")
        .code()
        .unwrap_or(-1)
}

/// `minidocker ARGS` on a terminal (util-linux `script` gives it a pty): what it printed (with
/// the pty's \r\n) and its exit code.
fn on_a_terminal(env: &TestEnv, args: &str) -> (String, i32) {
    let command = format!("{} {args}", minidocker_bin().display());
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("MINIDOCKER_DATA_ROOT", env.data_root())
        .stdin(Stdio::null())
        .output()
        .expect("util-linux script(1) runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn sha256_hex(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sha256sum runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("writing to sha256sum");
    let out = child.wait_with_output().expect("sha256sum ends");
    String::from_utf8_lossy(&out.stdout)[..64].to_owned()
}

/// A classic docker-archive (`manifest.json`, a config, layer tars) tagged `evil:latest`.
fn archive_with_layers(layers: &[Vec<u8>]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers
        .iter()
        .map(|l| format!("sha256:{}", sha256_hex(l)))
        .collect();
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {"Cmd": ["sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    })
    .to_string();
    let names: Vec<String> = (0..layers.len()).map(|i| format!("layer{i}/layer.tar")).collect();
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["evil:latest"],
        "Layers": names,
    }])
    .to_string();
    let mut files: Vec<(&str, &[u8])> = vec![
        ("manifest.json", manifest.as_bytes()),
        ("config.json", config.as_bytes()),
    ];
    for (name, layer) in names.iter().zip(layers) {
        files.push((name, layer));
    }
    tar_of(&files)
}

#[test]
fn save_then_load_into_another_engine_restores_the_image_and_its_name() {
    root_test!();
    let env = TestEnv::new();
    let dir = tempfile::tempdir().expect("a temp dir");
    let archive = dir.path().join("busybox.tar");
    let archive_arg = archive.to_str().expect("utf-8");
    // docker image save busybox:latest -o busybox.tar: nothing printed, the file is 0600
    env.minidocker(&["image", "save", "busybox:latest", "-o", archive_arg])
        .assert_clean_success()
        .assert_stdout("");
    let mode = std::fs::metadata(&archive).expect("saved").permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the docker CLI writes -o files 0600");

    // the Docker 25+ layout: docker-archive and OCI layout in one
    let entries = tar_entries(&archive);
    for name in ["manifest.json", "index.json", "oci-layout", "repositories"] {
        assert!(entries.contains_key(name), "{name} missing: {:?}", entries.keys());
    }
    let manifest = json(&entries["manifest.json"]);
    let id_hex = env.image_id().trim_start_matches("sha256:");
    assert_eq!(manifest[0]["RepoTags"], serde_json::json!(["busybox:latest"]));
    assert_eq!(manifest[0]["Config"], format!("blobs/sha256/{id_hex}"));
    let index = json(&entries["index.json"]);
    assert_eq!(
        index["manifests"][0]["annotations"]["io.containerd.image.name"],
        "docker.io/library/busybox:latest"
    );

    // to standard output: the same bytes
    let streamed = dir.path().join("streamed.tar");
    assert_eq!(to_file(&env, &["save", "busybox"], &streamed), 0);
    assert_eq!(
        std::fs::read(&streamed).expect("streamed"),
        std::fs::read(&archive).expect("saved"),
        "save is reproducible and -o writes what stdout gets"
    );

    // docker image load -i busybox.tar → Loaded image: busybox:latest
    let other = TestEnv::empty();
    other
        .minidocker(&["image", "load", "-i", archive_arg])
        .assert_clean_success()
        .assert_stdout("Loaded image: busybox:latest\n");
    let out = other.run(&["--rm", "busybox", "cat", MARKER_PATH]);
    out.assert_clean_success().assert_stdout(MARKER_CONTENT);
    // the same image id: the config travelled byte for byte
    let ids = other.minidocker(&["images", "-q", "--no-trunc"]);
    assert_eq!(ids.stdout.trim(), env.image_id(), "{ids}");
    // loading it again changes nothing and says the same
    other
        .minidocker(&["load", "-q", "-i", archive_arg])
        .assert_clean_success()
        .assert_stdout("Loaded image: busybox:latest\n");
}

#[test]
fn save_rm_load_in_the_same_engine() {
    root_test!();
    // Scenario 8: docker image save nginx:1.21.6 -o nginx-1.21.6.tar; docker image rm
    // nginx:1.21.6 → Untagged: nginx:1.21.6; docker image load -i … → Loaded image: nginx:1.21.6
    let env = TestEnv::new();
    env.minidocker(&["tag", "busybox", "mdtest/bb:1.0"])
        .assert_clean_success();
    let dir = tempfile::tempdir().expect("a temp dir");
    let archive = dir.path().join("bb.tar");
    let archive_arg = archive.to_str().expect("utf-8");
    env.minidocker(&["save", "mdtest/bb:1.0", "-o", archive_arg])
        .assert_clean_success();
    env.minidocker(&["image", "rm", "mdtest/bb:1.0"])
        .assert_clean_success()
        .assert_stdout("Untagged: mdtest/bb:1.0\n");
    env.minidocker(&["load", "-i", archive_arg])
        .assert_clean_success()
        .assert_stdout("Loaded image: mdtest/bb:1.0\n");
    env.run(&["--rm", "mdtest/bb:1.0", "cat", MARKER_PATH])
        .assert_clean_success()
        .assert_stdout(MARKER_CONTENT);
}

#[test]
fn several_names_untagged_images_and_moved_tags() {
    root_test!();
    let env = TestEnv::new();
    env.minidocker(&["tag", "busybox", "busybox:other"])
        .assert_clean_success();
    env.minidocker(&["tag", "busybox", "mdtest/bb:v1"])
        .assert_clean_success();
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = |name: &str| dir.path().join(name).to_str().expect("utf-8").to_owned();

    // a bare repository saves all its tags: RepoTags ["busybox:latest","busybox:other"]
    env.minidocker(&["save", "-o", &path("repo.tar"), "busybox"])
        .assert_clean_success();
    let manifest = json(&tar_entries(Path::new(&path("repo.tar")))["manifest.json"]);
    assert_eq!(
        manifest[0]["RepoTags"],
        serde_json::json!(["busybox:latest", "busybox:other"])
    );
    // an id saves the image without a name ("RepoTags":null) and loads as "Loaded image ID"
    let short = &env.image_id()["sha256:".len().."sha256:".len() + 12];
    env.minidocker(&["save", "-o", &path("id.tar"), short])
        .assert_clean_success();
    let manifest = json(&tar_entries(Path::new(&path("id.tar")))["manifest.json"]);
    assert_eq!(manifest[0]["RepoTags"], serde_json::Value::Null);
    let other = TestEnv::empty();
    other
        .minidocker(&["load", "-i", &path("id.tar")])
        .assert_clean_success()
        .assert_stdout(&format!("Loaded image ID: {}\n", env.image_id()));
    // two names in one archive
    env.minidocker(&["save", "-o", &path("two.tar"), "busybox:latest", "mdtest/bb:v1"])
        .assert_clean_success();
    other
        .minidocker(&["load", "-i", &path("two.tar")])
        .assert_clean_success()
        .assert_stdout("Loaded image: busybox:latest\nLoaded image: mdtest/bb:v1\n");

    // a tag that names another image moves, and Docker says so:
    // The image busybox:mdarc1 already exists, renaming the old one with ID sha256:12af… to empty string
    let third = TestEnv::new();
    let rootfs = dir.path().join("rootfs.tar");
    std::fs::write(&rootfs, minidocker_e2e::image::busybox_rootfs_tar()).expect("writing");
    let imported = third.minidocker(&["import", "-c", "CMD [\"sh\"]", rootfs.to_str().expect("utf-8")]);
    let other_id = imported.stdout.trim().to_owned();
    third
        .minidocker(&["tag", &other_id, "busybox:latest"])
        .assert_clean_success();
    let out = third.minidocker(&["load", "-i", &path("two.tar")]);
    out.assert_clean_success().assert_stdout(&format!(
        "The image busybox:latest already exists, renaming the old one with ID {other_id} to empty string\nLoaded image: busybox:latest\nLoaded image: mdtest/bb:v1\n"
    ));
    let shown = out
        .transcript()
        .replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!("load_moves_a_tag", redact_ids(&shown));
}

#[test]
fn gzipped_archives_and_standard_input_load_too() {
    root_test!();
    let env = TestEnv::new();
    let dir = tempfile::tempdir().expect("a temp dir");
    let archive = dir.path().join("bb.tar");
    env.minidocker(&["save", "busybox", "-o", archive.to_str().expect("utf-8")])
        .assert_clean_success();
    let gzipped = Command::new("gzip")
        .arg("-c")
        .arg(&archive)
        .output()
        .expect("gzip runs");
    assert!(gzipped.status.success());
    let other = TestEnv::empty();
    other
        .cmd(&["load"])
        .stdin(gzipped.stdout)
        .output()
        .assert_clean_success()
        .assert_stdout("Loaded image: busybox:latest\n");
    other
        .run(&["--rm", "busybox", "cat", MARKER_PATH])
        .assert_stdout(MARKER_CONTENT);
}

#[test]
fn progress_and_refusals_on_a_terminal() {
    root_test!();
    let env = TestEnv::new();
    // docker save busybox (on a terminal):
    // cowardly refusing to save to a terminal. Use the -o flag or redirect
    let (out, code) = on_a_terminal(&env, "save busybox");
    assert_eq!(
        (out.as_str(), code),
        (
            "cowardly refusing to save to a terminal. Use the -o flag or redirect\r\n",
            1
        )
    );
    // docker load (stdin a terminal): requested load from stdin, but stdin is empty
    let (out, code) = on_a_terminal(&env, "load");
    assert_eq!(
        (out.as_str(), code),
        ("requested load from stdin, but stdin is empty\r\n", 1)
    );
    // docker load -i img.tar on a terminal:
    // \r\n ESC[1A ESC[2K \r 22193f450f57: Loading layer  4.608kB/4.608kB \r ESC[1B Loaded image: …
    let dir = tempfile::tempdir().expect("a temp dir");
    let archive = dir.path().join("bb.tar");
    env.minidocker(&["save", "busybox", "-o", archive.to_str().expect("utf-8")])
        .assert_clean_success();
    let other = TestEnv::empty();
    let (out, code) = on_a_terminal(&other, &format!("load -i {}", archive.display()));
    assert_eq!(code, 0, "{out:?}");
    assert!(
        out.contains(": Loading layer ")
            && out.contains("\x1b[2K\r")
            && out.ends_with("Loaded image: busybox:latest\r\n"),
        "{out:?}"
    );
    // -q: no progress even on a terminal
    let third = TestEnv::empty();
    let (out, _) = on_a_terminal(&third, &format!("load -q -i {}", archive.display()));
    assert_eq!(out, "Loaded image: busybox:latest\r\n");
}

#[test]
fn save_errors_write_nothing() {
    root_test!();
    let env = TestEnv::new();
    let dir = tempfile::tempdir().expect("a temp dir");
    let target = dir.path().join("out.tar");
    let target_arg = target.to_str().expect("utf-8");
    std::fs::write(&target, "the old content").expect("writing");

    // docker save nosuchimg -o x.tar → Error response from daemon: No such image: nosuchimg
    env.minidocker(&["save", "nosuchimg", "-o", target_arg])
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr("Error response from daemon: No such image: nosuchimg\n");
    // docker save nosuchimg:v1 → Error response from daemon: reference does not exist
    env.minidocker(&["save", "nosuchimg:v1", "-o", target_arg])
        .assert_code(1)
        .assert_stderr("Error response from daemon: reference does not exist\n");
    // one unknown name among good ones: still nothing
    env.minidocker(&["save", "busybox", "nosuchimg", "-o", target_arg])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such image: nosuchimg\n");
    assert_eq!(
        std::fs::read_to_string(&target).expect("still there"),
        "the old content",
        "a failed save leaves the old file"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("listing")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 1, "no temporary file left behind: {left:?}");

    // docker save -o /nonexistent/dir/x.tar busybox
    // → failed to save image: invalid output path: stat /nonexistent/dir: no such file or directory
    let missing = dir.path().join("nonexistent/x.tar");
    env.minidocker(&["save", "-o", missing.to_str().expect("utf-8"), "busybox"])
        .assert_code(1)
        .assert_stderr(&format!(
            "failed to save image: invalid output path: stat {}: no such file or directory\n",
            dir.path().join("nonexistent").display()
        ));
    // docker save -o /tmp/arc busybox → failed to save image: cannot write to a directory
    env.minidocker(&["save", "-o", dir.path().to_str().expect("utf-8"), "busybox"])
        .assert_code(1)
        .assert_stderr("failed to save image: cannot write to a directory\n");
    // docker save -o /dev/null busybox → failed to save image: cannot write to a character device file
    env.minidocker(&["save", "-o", "/dev/null", "busybox"])
        .assert_code(1)
        .assert_stderr("failed to save image: cannot write to a character device file\n");
    // docker save → 'docker save' requires at least 1 argument
    let out = env.minidocker(&["save"]);
    out.assert_code(1).assert_stderr(
        "minidocker: 'minidocker save' requires at least 1 argument\n\nUsage:  minidocker save [OPTIONS] IMAGE [IMAGE...]\n\nSee 'minidocker save --help' for more information\n",
    );
    insta::assert_snapshot!("save_without_arguments", out.transcript());
}

#[test]
fn broken_and_hostile_archives_leave_the_store_unchanged() {
    root_test!();
    let env = TestEnv::new();
    let dir = tempfile::tempdir().expect("a temp dir");
    let good = dir.path().join("good.tar");
    env.minidocker(&["save", "busybox", "-o", good.to_str().expect("utf-8")])
        .assert_clean_success();
    let good_entries = tar_entries(&good);
    let before = store_files(&env);

    let layer_hex = json(&good_entries["manifest.json"])[0]["Layers"][0]
        .as_str()
        .expect("a layer path")
        .trim_start_matches("blobs/sha256/")
        .to_owned();
    let mut tampered_files: Vec<(String, Vec<u8>)> = good_entries
        .iter()
        .map(|(name, data)| (name.clone(), data.clone()))
        .filter(|(name, _)| !name.ends_with('/'))
        .collect();
    for (name, data) in &mut tampered_files {
        if name.ends_with(&layer_hex) {
            *data = tar_of(&[("bin/sh", b"not busybox")]);
        }
    }
    let tampered: Vec<(&str, &[u8])> = tampered_files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    let without_layer: Vec<(&str, &[u8])> = tampered
        .iter()
        .copied()
        .filter(|(name, _)| !name.ends_with(&layer_hex))
        .collect();
    let bad_json: Vec<(&str, &[u8])> = tampered
        .iter()
        .map(|&(name, data)| {
            if name == "manifest.json" {
                (name, &b"[{\"Config\": 1"[..])
            } else {
                (name, data)
            }
        })
        .collect();
    let escape_entry = tar_of(&[("../escaped", b"x")]);
    let hostile_layer = archive_with_layers(&[tar_of(&[("../../escaped-from-layer", b"x")])]);
    let second_layer_hostile = archive_with_layers(&[
        tar_of(&[("ok-file", b"fine")]),
        tar_of(&[("../../escaped-from-layer", b"x")]),
    ]);

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "garbage",
            b"this is not a tar archive at all".repeat(40),
            "reading the archive",
        ),
        (
            "empty",
            Vec::new(),
            "invalid archive: it has neither manifest.json nor index.json",
        ),
        ("bad JSON", tar_of(&bad_json), "invalid archive: manifest.json: "),
        ("missing layer", tar_of(&without_layer), "is missing"),
        (
            "diff id mismatch",
            tar_of(&tampered),
            "invalid diffID for layer 0: expected sha256:",
        ),
        (
            "`..` in the archive",
            escape_entry,
            "archive entry \"../escaped\" is unsafe",
        ),
        ("`..` in a layer", hostile_layer, "../../escaped-from-layer"),
        (
            "`..` in the second layer",
            second_layer_hostile,
            "../../escaped-from-layer",
        ),
    ];
    for (what, bytes, message) in cases {
        let out = env.cmd(&["load"]).stdin(bytes).output();
        assert_eq!(out.code, 1, "{what}:\n{out}");
        assert_eq!(out.stdout, "", "{what}:\n{out}");
        assert!(
            out.stderr.contains(message),
            "{what}: expected {message:?} in\n{out}"
        );
        assert_eq!(store_files(&env), before, "{what}: the store changed");
    }
    assert!(!dir.path().join("escaped").exists() && !env.data_root().join("escaped-from-layer").exists());
    // the store still works
    env.minidocker(&["load", "-i", good.to_str().expect("utf-8")])
        .assert_clean_success()
        .assert_stdout("Loaded image: busybox:latest\n");
    // docker load x → 'docker load' accepts no arguments
    env.minidocker(&["load", "x"]).assert_code(1).assert_stderr(
        "minidocker: 'minidocker load' accepts no arguments\n\nUsage:  minidocker load [OPTIONS]\n\nRun 'minidocker load --help' for more information\n",
    );
    // docker load -i /nonexistent → open /nonexistent: no such file or directory
    env.minidocker(&["load", "-i", "/nonexistent"])
        .assert_code(1)
        .assert_stderr("open /nonexistent: no such file or directory\n");
}
