//! What a container changed: `diff` lists it, `commit` makes an image of it, `export` writes
//! the container's whole filesystem (FEATURES.md CTR-35, CTR-39, IMG-20..22, FS-08; scenarios
//! 9, 10, 11). Docker 20.10's output (CLI 28.2.2) for the same commands is quoted in comments.

use std::collections::BTreeMap;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use minidocker_e2e::text::redact_ids;
use minidocker_e2e::{TestEnv, minidocker_bin, root_test};

/// The entries of a tar file: name → what `describe` says of the entry.
fn tar_entries<T>(
    path: &Path,
    mut describe: impl FnMut(&mut tar::Entry<'_, std::fs::File>) -> T,
) -> BTreeMap<String, T> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    let mut archive = tar::Archive::new(file);
    let mut out = BTreeMap::new();
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("an entry");
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        out.insert(name, describe(&mut entry));
    }
    out
}

/// The entries of a tar file: name → (size, kind letter as `tar tv` prints it).
fn tar_listing(path: &Path) -> BTreeMap<String, (u64, char)> {
    tar_entries(path, |entry| {
        let kind = match entry.header().entry_type() {
            tar::EntryType::Directory => 'd',
            tar::EntryType::Symlink => 'l',
            tar::EntryType::Link => 'h',
            tar::EntryType::Char => 'c',
            _ => '-',
        };
        let mut data = Vec::new();
        entry.read_to_end(&mut data).expect("entry data");
        (data.len() as u64, kind)
    })
}

/// An image's config as stored (`imagedb/content/sha256/<hex>`).
fn image_config(env: &TestEnv, id: &str) -> serde_json::Value {
    let path = env
        .data_root()
        .join("image/overlay2/imagedb/content/sha256")
        .join(id.trim_start_matches("sha256:"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_slice(&bytes).expect("JSON")
}

fn image_count(env: &TestEnv) -> usize {
    std::fs::read_dir(env.data_root().join("image/overlay2/imagedb/content/sha256"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
fn diff_lists_added_changed_and_deleted_paths_like_docker() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--name",
        "ctr",
        "busybox",
        "sh",
        "-c",
        "echo hi > /hello; rm /bin/vi; mkdir -p /etc/new; touch /etc/new/f",
    ])
    .assert_code(0);
    // docker diff mdarc-c (the same command in the oracle):
    let docker = "C /bin\nD /bin/vi\nC /etc\nA /etc/new\nA /etc/new/f\nA /hello\n";
    let out = env.minidocker(&["diff", "ctr"]);
    out.assert_clean_success().assert_stdout(docker);
    insta::assert_snapshot!("diff", out.transcript());
    env.minidocker(&["container", "diff", "ctr"])
        .assert_stdout(docker);

    // nothing changed: nothing printed (the init layer's /etc/hosts & co. are not changes)
    env.run(&["--name", "quiet", "busybox", "true"]).assert_code(0);
    env.minidocker(&["diff", "quiet"])
        .assert_clean_success()
        .assert_stdout("");

    // docker diff nosuch → Error response from daemon: No such container: nosuch
    env.minidocker(&["diff", "nosuch"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nosuch\n");
    // docker diff → 'docker diff' requires 1 argument … Run 'docker diff --help'
    let out = env.minidocker(&["diff"]);
    out.assert_code(1).assert_stderr(
        "minidocker: 'minidocker diff' requires 1 argument\n\nUsage:  minidocker diff CONTAINER\n\nRun 'minidocker diff --help' for more information\n",
    );
    env.minidocker(&["diff", "a", "b"]).assert_code(1);
}

#[test]
fn export_import_run() {
    root_test!();
    // Scenario 9: write a file in a container, export it, import the tar as an image: a plain
    // run fails with "No command specified", a run with a command sees the file.
    let env = TestEnv::new();
    env.run(&[
        "--name",
        "web",
        "busybox",
        "sh",
        "-c",
        "echo 1 > /1.txt; rm /bin/vi",
    ])
    .assert_code(0);
    let dir = tempfile::tempdir().expect("a temp dir");
    let tar = dir.path().join("web.tar");
    let tar_arg = tar.to_str().expect("utf-8");
    env.minidocker(&["container", "export", "web", "-o", tar_arg])
        .assert_clean_success()
        .assert_stdout("");
    assert_eq!(
        std::fs::metadata(&tar).expect("exported").permissions().mode() & 0o777,
        0o600
    );
    assert!(
        env.mounts_inside().is_empty(),
        "export left a mount: {:?}",
        env.mounts_inside()
    );

    // what the container sees: its file, no /bin/vi, the init layer's empty files (Docker:
    // -rwxr-xr-x 0 .dockerenv, etc/hosts 0 bytes, etc/mtab -> /proc/mounts), no whiteouts
    let listing = tar_listing(&tar);
    assert_eq!(listing.get("1.txt"), Some(&(2, '-')));
    assert!(!listing.contains_key("bin/vi"), "deleted file exported");
    assert!(listing.contains_key("bin/sh") && listing.contains_key("etc/passwd"));
    for empty in [".dockerenv", "etc/hosts", "etc/hostname", "etc/resolv.conf"] {
        assert_eq!(listing.get(empty).map(|e| e.0), Some(0), "{empty}: {listing:?}");
    }
    assert_eq!(listing.get("etc/mtab").map(|e| e.1), Some('l'));
    assert!(listing.keys().all(|n| !n.contains(".wh.")), "whiteouts exported");
    assert!(listing.contains_key("bin/") && !listing.contains_key("./"));

    // to standard output: the same bytes
    let streamed = dir.path().join("streamed.tar");
    let status = Command::new(minidocker_bin())
        .args(["export", "web"])
        .env("MINIDOCKER_DATA_ROOT", env.data_root())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&streamed).expect("creating"))
        .status()
        .expect("running minidocker");
    assert!(status.success());
    assert_eq!(
        std::fs::read(&streamed).expect("read"),
        std::fs::read(&tar).expect("read")
    );

    // docker image import webserver.tar nginx:webserver → sha256:…
    let out = env.minidocker(&["image", "import", tar_arg, "mdtest/web:imported"]);
    out.assert_clean_success();
    assert!(
        out.stdout.starts_with("sha256:") && out.stdout.len() == 72,
        "{out}"
    );
    // docker run nginx:webserver → docker: Error response from daemon: No command specified.
    let out = env.run(&["--rm", "mdtest/web:imported"]);
    out.assert_code(125);
    assert!(out.stderr.contains("No command specified"), "{out}");
    env.run(&["--rm", "mdtest/web:imported", "cat", "/1.txt"])
        .assert_clean_success()
        .assert_stdout("1\n");
    // ... or with a CMD given at import
    env.minidocker(&[
        "import",
        "-c",
        r#"CMD ["cat", "/1.txt"]"#,
        tar_arg,
        "mdtest/web:cmd",
    ])
    .assert_clean_success();
    env.run(&["--rm", "mdtest/web:cmd"])
        .assert_clean_success()
        .assert_stdout("1\n");
    // docker import -c 'RUN x' … → Error response from daemon: run is not a valid change command
    env.minidocker(&["import", "-c", "RUN x", tar_arg])
        .assert_code(1)
        .assert_stderr("Error response from daemon: run is not a valid change command\n");
}

/// Owners are named as the container names them (dockerd archives in a chroot of the
/// container): `root/root`, `nobody` for 65534, and only the number for uid 1, which busybox
/// does not name (a Debian host calls it `daemon`). Docker (oracle), `tar -tv` of the export:
/// `drwxr-xr-x root/root … bin/`, `-rw-r--r-- 1/1 … f1`.
#[test]
fn export_names_owners_as_the_container_does() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--name",
        "owners",
        "busybox",
        "sh",
        "-c",
        "touch /f1 /f2; chown 1:1 /f1; chown 65534 /f2",
    ])
    .assert_code(0);
    let dir = tempfile::tempdir().expect("a temp dir");
    let tar = dir.path().join("owners.tar");
    env.minidocker(&["export", "-o", tar.to_str().expect("utf-8"), "owners"])
        .assert_clean_success();
    let owners = tar_entries(&tar, |entry| {
        let header = entry.header();
        let named = |n: Option<&[u8]>| String::from_utf8_lossy(n.unwrap_or_default()).into_owned();
        format!(
            "{}/{} {}:{}",
            named(header.username_bytes()),
            named(header.groupname_bytes()),
            header.uid().expect("uid"),
            header.gid().expect("gid")
        )
    });
    assert_eq!(owners.get("bin/").map(String::as_str), Some("root/root 0:0"));
    assert_eq!(owners.get("f1").map(String::as_str), Some("/ 1:1"));
    assert_eq!(owners.get("f2").map(String::as_str), Some("nobody/root 65534:0"));
}

#[test]
fn export_errors_and_a_running_container() {
    root_test!();
    let env = TestEnv::new();
    let dir = tempfile::tempdir().expect("a temp dir");
    let target = dir.path().join("out.tar");
    let target_arg = target.to_str().expect("utf-8");
    // docker export -o ex.tar nosuch → Error response from daemon: No such container: nosuch
    env.minidocker(&["export", "-o", target_arg, "nosuch"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nosuch\n");
    assert!(!target.exists(), "nothing written");
    // docker export -o /nonexistent/dir/x.tar c → failed to export container: invalid output
    // path: stat /nonexistent/dir: no such file or directory
    env.run(&["--name", "ctr", "busybox", "true"]).assert_code(0);
    let missing = dir.path().join("nope/x.tar");
    env.minidocker(&["export", "-o", missing.to_str().expect("utf-8"), "ctr"])
        .assert_code(1)
        .assert_stderr(&format!(
            "failed to export container: invalid output path: stat {}: no such file or directory\n",
            dir.path().join("nope").display()
        ));
    // docker export → 'docker export' requires 1 argument
    let out = env.minidocker(&["export"]);
    out.assert_code(1).assert_stderr(
        "minidocker: 'minidocker export' requires 1 argument\n\nUsage:  minidocker export [OPTIONS] CONTAINER\n\nRun 'minidocker export --help' for more information\n",
    );

    // a running container is exported from its live mount, which stays
    let mut running = env.spawn_run(&[
        "--name",
        "live",
        "busybox",
        "sh",
        "-c",
        "echo x > /running.txt; echo ready; sleep 300",
    ]);
    running.wait_for_line("ready");
    env.wait_for_running("live", Duration::from_secs(10));
    env.minidocker(&["export", "-o", target_arg, "live"])
        .assert_clean_success();
    assert!(tar_listing(&target).contains_key("running.txt"));
    assert_eq!(
        env.mounts_inside().len(),
        1,
        "the container's own mount is still there"
    );
    env.minidocker(&["diff", "live"])
        .assert_stdout("A /running.txt\n");
    env.minidocker(&["rm", "-f", "live"]).assert_clean_success();
    running.wait();
}

#[test]
fn commit_makes_a_runnable_image_of_the_container() {
    root_test!();
    // Scenario 10: change a container, commit -a -m … name:tag → sha256:…; the new image runs
    // with the changes.
    let env = TestEnv::new();
    env.run(&[
        "--name",
        "ctr",
        "-e",
        "FOO=bar",
        "busybox",
        "sh",
        "-c",
        "echo hello > /hello; rm -rf /root",
    ])
    .assert_code(0);
    let out = env.minidocker(&[
        "commit",
        "-m",
        "my msg",
        "-a",
        "Me <me@x>",
        "-c",
        r#"CMD ["cat","/hello"]"#,
        "-c",
        "ENV A=1 B=$FOO",
        "-c",
        "EXPOSE 80",
        "-c",
        r#"LABEL x=y "a b"="c d""#,
        "-c",
        "WORKDIR /etc",
        "ctr",
        "mdtest/committed:1.1",
    ]);
    out.assert_clean_success();
    let id = out.stdout.trim().to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{out}");

    env.run(&["--rm", "mdtest/committed:1.1"])
        .assert_clean_success()
        .assert_stdout("hello\n");
    env.run(&[
        "--rm",
        "mdtest/committed:1.1",
        "sh",
        "-c",
        "test -e /root && echo present || echo gone; echo $A $B",
    ])
    .assert_clean_success()
    .assert_stdout("gone\n1 bar\n");

    // the config, as Docker writes it for the same commit (ids and times redacted)
    let config = image_config(&env, &id);
    assert_eq!(config["author"], "Me <me@x>");
    assert!(
        config.get("comment").is_none(),
        "Docker keeps -m in the history only"
    );
    let history = config["history"].as_array().expect("history");
    let last = &history[history.len() - 1];
    assert_eq!(last["author"], "Me <me@x>");
    assert_eq!(last["comment"], "my msg");
    assert_eq!(last["created_by"], "sh -c echo hello > /hello; rm -rf /root");
    assert_eq!(last["created"], config["created"]);
    assert_eq!(config["rootfs"]["diff_ids"].as_array().map(Vec::len), Some(2));
    let mut shown = config.clone();
    for key in ["created", "architecture"] {
        shown[key] = "<redacted>".into();
    }
    for entry in shown["history"].as_array_mut().expect("history") {
        entry["created"] = "<redacted>".into();
    }
    insta::assert_snapshot!(
        "commit_config",
        redact_ids(&serde_json::to_string_pretty(&shown).expect("JSON"))
    );
    // the parent is recorded
    let parent = env
        .data_root()
        .join("image/overlay2/imagedb/metadata/sha256")
        .join(id.trim_start_matches("sha256:"))
        .join("parent");
    assert_eq!(std::fs::read_to_string(parent).expect("a parent"), env.image_id());
    // docker history shows the message
    let history = env.minidocker(&["history", "mdtest/committed:1.1"]);
    assert!(history.stdout.contains("my msg"), "{history}");

    // the same changes as diff shows, as a layer
    env.run(&["--name", "second", "mdtest/committed:1.1", "true"])
        .assert_code(0);
    env.minidocker(&["diff", "second"]).assert_stdout("");
}

#[test]
fn a_commit_keeps_the_containers_command_environment_and_working_directory() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "ctr", "-e", "FOO=bar", "-w", "/tmp", "busybox", "true"])
        .assert_code(0);
    let out = env.minidocker(&["container", "commit", "ctr"]);
    out.assert_clean_success();
    let config = image_config(&env, out.stdout.trim());
    // docker: {"Env":["FOO=bar"],"Cmd":["true"],"WorkingDir":"/tmp"}
    assert_eq!(config["config"]["Cmd"], serde_json::json!(["true"]));
    assert_eq!(config["config"]["Env"], serde_json::json!(["FOO=bar"]));
    assert_eq!(config["config"]["WorkingDir"], "/tmp");
    let history = config["history"].as_array().expect("history");
    assert_eq!(history[history.len() - 1]["created_by"], "true");
    // untagged: listed as <none>
    let images = env.minidocker(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    assert!(images.stdout.contains("<none>:<none>"), "{images}");
    // (the image's WorkingDir is not applied by `run` yet: only its Env and Cmd)
    env.run(&["--rm", out.stdout.trim(), "sh", "-c", "echo $FOO"])
        .assert_clean_success()
        .assert_stdout("bar\n");
}

#[test]
fn a_commit_without_changes_adds_an_empty_history_entry() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "ctr", "busybox", "true"]).assert_code(0);
    let out = env.minidocker(&["commit", "ctr"]);
    out.assert_clean_success();
    let config = image_config(&env, out.stdout.trim());
    // docker: history {"created_by":"true","empty_layer":true}, still one diff id
    assert_eq!(config["rootfs"]["diff_ids"].as_array().map(Vec::len), Some(1));
    let history = config["history"].as_array().expect("history");
    assert_eq!(history[history.len() - 1]["empty_layer"], true);
}

#[test]
fn commit_errors() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "ctr", "busybox", "true"]).assert_code(0);
    let images = image_count(&env);
    // docker commit nosuch x → Error response from daemon: No such container: nosuch
    env.minidocker(&["commit", "nosuch", "x"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nosuch\n");
    // docker commit -c 'RUN echo' … → Error response from daemon: run is not a valid change command
    env.minidocker(&["commit", "-c", "RUN echo", "ctr"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: run is not a valid change command\n");
    // docker commit -c 'EXPOSE abc' … → Error response from daemon: Invalid containerPort: abc
    env.minidocker(&["commit", "-c", "EXPOSE abc", "ctr"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: Invalid containerPort: abc\n");
    // docker commit c BAD → invalid reference format: repository name (library/BAD) must be lowercase
    env.minidocker(&["commit", "ctr", "BAD"])
        .assert_code(1)
        .assert_stderr("invalid reference format: repository name (library/BAD) must be lowercase\n");
    // docker commit c x@sha256:… → refusing to create a tag with a digest reference
    let digest = format!("x@sha256:{}", "0".repeat(64));
    env.minidocker(&["commit", "ctr", &digest])
        .assert_code(1)
        .assert_stderr("refusing to create a tag with a digest reference\n");
    assert_eq!(image_count(&env), images, "a refused commit made an image");
    // docker commit → 'docker commit' requires at least 1 and at most 2 arguments … Run '…'
    let out = env.minidocker(&["commit"]);
    out.assert_code(1).assert_stderr(
        "minidocker: 'minidocker commit' requires at least 1 and at most 2 arguments\n\nUsage:  minidocker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]\n\nRun 'minidocker commit --help' for more information\n",
    );
    insta::assert_snapshot!("commit_without_arguments", out.transcript());
    env.minidocker(&["commit", "a", "b", "c"]).assert_code(1);
}
