//! The container endpoints `docker diff`, `export`, `top`, `rename`, `cp`, `update` and
//! `container prune` use, driven with the real Docker CLI (28.2.2) against `minidocker
//! daemon`, raw HTTP where the CLI hides the answer; and the daemon's deadline for a
//! request's headers. Docker's outputs quoted here are the Docker 20.10 oracle's for the same
//! commands.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use minidocker_e2e::daemon::HttpAnswer;
use minidocker_e2e::{TestDaemon, TestEnv, root_test};

/// The JSON of an answer's body.
#[track_caller]
fn body(answer: &HttpAnswer) -> Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {answer:?}"))
}

/// An error answer: its status and `message`, the only key.
#[track_caller]
fn error(answer: &HttpAnswer) -> (u16, String) {
    let v = body(answer);
    assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{answer:?}");
    (
        answer.status,
        v["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Waits until `check` holds (a container's command has done its part).
#[track_caller]
fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within 30 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `docker run -d --name NAME busybox sh -c SCRIPT`, then waits for `ready` to exist in it
/// (the script touches it when it has done its part).
#[track_caller]
fn started(daemon: &TestDaemon, name: &str, script: &str) {
    let run = daemon.docker(&["run", "-d", "--name", name, "busybox", "sh", "-c", script]);
    run.assert_code(0);
    wait_until(&format!("{name} ready"), || {
        daemon.docker(&["exec", name, "test", "-e", "/ready"]).code == 0
    });
}

/// One HTTP/1.0 request with a binary body on the daemon's socket: status, headers, body.
fn raw_request(socket: &Path, method: &str, path: &str, body: &[u8]) -> (u16, Vec<String>, Vec<u8>) {
    let mut stream = UnixStream::connect(socket).expect("connecting to the daemon");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a read timeout");
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: docker\r\nContent-Type: application/x-tar\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("sending the request");
    stream.write_all(body).expect("sending the body");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("reading the answer");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    (
        status,
        lines.map(str::to_owned).collect(),
        raw[split + 4..].to_vec(),
    )
}

/// A tar of `(name, kind, data or link target)`, names written as they are (as a hostile
/// client would: the tar crate's own helpers refuse `..`).
fn tar_of(entries: &[(&str, tar::EntryType, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, kind, data) in entries {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(*kind);
        header.set_mode(0o644);
        header.set_mtime(1_700_000_000);
        let (size, content, link) = match kind {
            tar::EntryType::Symlink | tar::EntryType::Link => (0, "", *data),
            _ => (data.len() as u64, *data, ""),
        };
        header.set_size(size);
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.as_old_mut().linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_cksum();
        builder
            .append(&header, content.as_bytes())
            .expect("a tar in memory");
    }
    builder.into_inner().expect("a tar in memory")
}

/// The names in a tar file.
fn tar_names(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut archive = tar::Archive::new(file);
    archive
        .entries()
        .expect("a tar")
        .map(|e| String::from_utf8_lossy(&e.expect("a tar entry").path_bytes()).into_owned())
        .collect()
}

#[test]
fn diff_export_and_top_of_a_running_container() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    started(
        &daemon,
        "box",
        "echo x > /tmp/new; rm /etc/group; mkdir /made; touch /ready; exec sleep 300",
    );
    let diff = daemon.docker(&["diff", "box"]);
    diff.assert_code(0);
    let mut lines: Vec<&str> = diff.stdout.lines().collect();
    lines.sort_unstable();
    // the oracle lists the same changes (in its own order)
    assert_eq!(
        lines,
        [
            "A /made",
            "A /ready",
            "A /tmp/new",
            "C /etc",
            "C /tmp",
            "D /etc/group"
        ],
        "{diff}"
    );
    let changes = body(&daemon.http("GET", "/v1.41/containers/box/changes", None));
    insta::assert_json_snapshot!("changes", changes);

    let exported = tempfile::tempdir().unwrap();
    let tar = exported.path().join("box.tar");
    daemon
        .docker(&["export", "-o", &tar.display().to_string(), "box"])
        .assert_clean_success();
    let names = tar_names(&tar);
    for present in ["tmp/new", "made/", "bin/busybox", "etc/passwd"] {
        assert!(names.iter().any(|n| n == present), "{present} not in {names:?}");
    }
    assert!(
        !names.iter().any(|n| n == "etc/group"),
        "a deleted file was exported"
    );

    // UID  PID  PPID  C  STIME  TTY  TIME  CMD, and the container's one process
    let top = daemon.docker(&["top", "box"]);
    top.assert_code(0);
    let header: Vec<&str> = top
        .stdout
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
        "{top}"
    );
    assert_eq!(top.stdout.lines().count(), 2, "{top}");
    assert!(top.stdout.lines().nth(1).unwrap().ends_with("sleep 300"), "{top}");
    let custom = body(&daemon.http("GET", "/containers/box/top?ps_args=-o%20pid,comm", None));
    assert_eq!(custom["Titles"], json!(["PID", "COMMAND"]));
    assert_eq!(custom["Processes"][0][1], "sleep");
    let refused = daemon.http("GET", "/containers/box/top?ps_args=-o%20user=PID", None);
    assert_eq!(
        error(&refused),
        (500, r#"specifying "user=PID" is not allowed"#.to_owned())
    );

    daemon.docker(&["kill", "box"]).assert_code(0);
    daemon.docker(&["wait", "box"]).assert_code(0);
    let id = env.find_container("box").expect("box").0;
    let stopped = daemon.docker(&["top", "box"]);
    assert_eq!(
        (stopped.code, stopped.stderr.as_str()),
        (
            1,
            format!("Error response from daemon: Container {id} is not running\n").as_str()
        )
    );
    // a stopped container's diff and export work too (its layers are mounted for the export)
    daemon.docker(&["diff", "box"]).assert_stdout(&diff.stdout);
    daemon
        .docker(&["export", "-o", &tar.display().to_string(), "box"])
        .assert_clean_success();
    assert!(tar_names(&tar).iter().any(|n| n == "tmp/new"));

    for args in [["diff", "nope"], ["export", "nope"], ["top", "nope"]] {
        let missing = daemon.docker(&args);
        assert_eq!(
            (missing.code, missing.stderr.as_str()),
            (1, "Error response from daemon: No such container: nope\n"),
            "{missing}"
        );
    }
    let empty = daemon.docker(&["create", "--name", "untouched", "busybox", "true"]);
    empty.assert_code(0);
    assert_eq!(
        daemon.http("GET", "/containers/untouched/changes", None).body,
        "null\n"
    );
}

#[test]
fn rename_reaches_ps_events_and_the_record_its_shim_writes() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["create", "--name", "old", "busybox", "true"])
        .assert_code(0);
    daemon
        .docker(&["create", "--name", "other", "busybox", "true"])
        .assert_code(0);
    daemon
        .docker(&["rename", "old", "new"])
        .assert_clean_success()
        .assert_stdout("");
    let names = daemon.docker(&["ps", "-a", "--format", "{{.Names}}"]);
    let mut names: Vec<&str> = names.stdout.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["new", "other"]);

    let other = env.find_container("other").expect("other").0;
    // the oracle's messages for the same renames
    for (args, expected) in [
        (
            ["rename", "new", "other"],
            format!(
                "Error response from daemon: Error when allocating new name: Conflict. The container name \"/other\" is already in use by container \"{other}\". You have to remove (or rename) that container to be able to reuse that name.\nError: failed to rename container named new\n"
            ),
        ),
        (
            ["rename", "new", "bad name"],
            "Error response from daemon: Error when allocating new name: Invalid container name (/bad name), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\nError: failed to rename container named new\n".to_owned(),
        ),
        (
            ["rename", "new", "new"],
            "Error response from daemon: Renaming a container with the same name as its current name\nError: failed to rename container named new\n".to_owned(),
        ),
        (
            ["rename", "nope", "x"],
            "Error response from daemon: No such container: nope\nError: failed to rename container named nope\n".to_owned(),
        ),
    ] {
        let out = daemon.docker(&args);
        assert_eq!((out.code, out.stderr.as_str()), (1, expected.as_str()), "{out}");
    }
    assert_eq!(
        error(&daemon.http("POST", "/containers/new/rename?name=other", None)).0,
        409
    );
    assert_eq!(
        error(&daemon.http("POST", "/containers/new/rename?name=a", None)).0,
        400
    );
    assert_eq!(
        error(&daemon.http("POST", "/containers/new/rename", None)),
        (400, "Neither old nor new names may be empty".to_owned())
    );

    // a running container keeps its new name when it ends: its shim's record and its events
    daemon
        .docker(&["run", "-d", "--name", "runner", "busybox", "sleep", "300"])
        .assert_code(0);
    daemon.docker(&["rename", "runner", "walker"]).assert_code(0);
    daemon.docker(&["stop", "-t", "1", "walker"]).assert_code(0);
    let after = daemon.docker(&["ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}"]);
    let mut after: Vec<&str> = after.stdout.lines().collect();
    after.sort_unstable();
    assert_eq!(after, ["walker"]);
    let until = format!("{}", chrono_now_secs() + 1);
    let events = daemon.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        &until,
        "--filter",
        "event=rename",
        "--filter",
        "event=die",
        "--format",
        "{{.Action}} {{json .Actor.Attributes}}",
    ]);
    let renamed: Vec<&str> = events.stdout.lines().collect();
    assert_eq!(
        renamed,
        [
            r#"rename {"image":"busybox","name":"new","oldName":"/old"}"#,
            r#"rename {"image":"busybox","name":"walker","oldName":"/runner"}"#,
            // sleep as PID 1 ignores SIGTERM: the SIGKILL after 1 s ends it
            r#"die {"exitCode":"137","image":"busybox","name":"walker"}"#,
        ],
        "{events}"
    );
}

/// Seconds since the epoch, now.
fn chrono_now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[test]
fn docker_cp_both_ways_running_and_stopped() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    started(
        &daemon,
        "cp",
        "mkdir -p /d/sub; echo hi > /d/sub/f; ln -s /d/sub /dlink; touch /ready; exec sleep 300",
    );
    let host = tempfile::tempdir().unwrap();
    let at = |p: &str| host.path().join(p).display().to_string();
    let read = |p: &str| std::fs::read_to_string(host.path().join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));

    // out of the container: a file, a directory, a directory's contents (`/.`), a symlink
    daemon
        .docker(&["cp", "cp:/d/sub/f", &at("f")])
        .assert_clean_success();
    assert_eq!(read("f"), "hi\n");
    daemon.docker(&["cp", "cp:/d", &at("d")]).assert_clean_success();
    assert_eq!(read("d/sub/f"), "hi\n");
    daemon
        .docker(&["cp", "cp:/d/sub/.", &at("contents")])
        .assert_clean_success();
    assert_eq!(read("contents/f"), "hi\n");
    daemon
        .docker(&["cp", "cp:/dlink/", &at("followed")])
        .assert_clean_success();
    assert_eq!(read("followed/f"), "hi\n");

    // into it: a file, a directory, into a directory of it
    std::fs::write(host.path().join("in.txt"), "from the host\n").unwrap();
    std::fs::create_dir_all(host.path().join("tree/deeper")).unwrap();
    std::fs::write(host.path().join("tree/deeper/leaf"), "leaf\n").unwrap();
    daemon
        .docker(&["cp", &at("in.txt"), "cp:/d/new.txt"])
        .assert_clean_success();
    daemon
        .docker(&["cp", &at("tree"), "cp:/d/"])
        .assert_clean_success();
    daemon
        .docker(&["cp", &at("in.txt"), "cp:/dlink/"])
        .assert_clean_success();
    daemon
        .docker(&[
            "exec",
            "cp",
            "cat",
            "/d/new.txt",
            "/d/tree/deeper/leaf",
            "/d/sub/in.txt",
        ])
        .assert_stdout("from the host\nleaf\nfrom the host\n");

    // the stat header `docker cp` reads: base64 JSON, Docker's Go file mode
    let (status, headers, _) = raw_request(
        &daemon.socket(),
        "HEAD",
        "/v1.41/containers/cp/archive?path=/dlink",
        b"",
    );
    assert_eq!(status, 200);
    let stat = headers
        .iter()
        .find_map(|h| {
            h.strip_prefix("X-Docker-Container-Path-Stat: ")
                .or_else(|| h.strip_prefix("x-docker-container-path-stat: "))
        })
        .expect("the stat header");
    let mut stat: Value = serde_json::from_slice(&base64_decode(stat.trim())).unwrap();
    assert!(stat["mtime"].as_str().is_some_and(|t| t.len() > 19), "{stat}");
    stat["mtime"] = json!("[mtime]");
    insta::assert_json_snapshot!("path_stat_of_a_symlink", stat);

    // errors as Docker words them
    let missing = daemon.docker(&["cp", "cp:/nope", &at("x")]);
    assert_eq!(
        (missing.code, missing.stderr.as_str()),
        (
            1,
            "Error response from daemon: Could not find the file /nope in container cp\n"
        )
    );
    let nowhere = daemon.docker(&["cp", &at("in.txt"), "cp:/nonexist/x"]);
    assert_eq!(
        (nowhere.code, nowhere.stderr.as_str()),
        (
            1,
            "Error response from daemon: Could not find the file /nonexist in container cp\n"
        )
    );
    assert_eq!(
        error(&daemon.http("GET", "/containers/cp/archive", None)),
        (400, "bad parameter: pathcannot be empty".to_owned())
    );
    let on_a_file = raw_request(
        &daemon.socket(),
        "PUT",
        "/containers/cp/archive?path=/d/sub/f",
        &tar_of(&[]),
    );
    assert_eq!(on_a_file.0, 500);
    assert_eq!(
        String::from_utf8_lossy(&on_a_file.2),
        "{\"message\":\"extraction point is not a directory\"}\n"
    );

    // a stopped container: its layers are mounted for the copy, and unmounted after
    daemon
        .docker(&["create", "--name", "idle", "busybox", "true"])
        .assert_code(0);
    daemon
        .docker(&["cp", &at("in.txt"), "idle:/tmp/in.txt"])
        .assert_clean_success();
    daemon
        .docker(&["cp", "idle:/tmp/in.txt", &at("back.txt")])
        .assert_clean_success();
    assert_eq!(read("back.txt"), "from the host\n");
    daemon
        .docker(&["diff", "idle"])
        .assert_stdout("C /tmp\nA /tmp/in.txt\n");
    let idle = env.find_container("idle").expect("idle").0;
    let merged = env.container_layer_dir(&idle).join("merged");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(
        !mounts.contains(&merged.display().to_string()),
        "the stopped container's filesystem is still mounted"
    );
}

/// Standard base64, as the stat header carries it.
fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let digits: Vec<u8> = text.bytes().filter(|c| *c != b'=').map(value).collect();
    digits
        .chunks(4)
        .flat_map(|chunk| {
            let n = chunk.iter().fold(0u32, |n, d| (n << 6) | u32::from(*d)) << (6 * (4 - chunk.len()));
            let bytes = n.to_be_bytes();
            bytes[1..chunk.len()].to_vec()
        })
        .collect()
}

#[test]
fn a_hostile_tar_stays_inside_the_container() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    // the container points a symlink at a directory of the *host* (its absolute host path)
    let victim = tempfile::tempdir().unwrap();
    std::fs::write(victim.path().join("victim"), "victim").unwrap();
    let victim_path = victim.path().display().to_string();
    started(
        &daemon,
        "target",
        &format!(
            "mkdir -p /d {victim_path}; ln -s {victim_path} /d/evil; ln -s ../../../../.. /d/up; touch /ready; exec sleep 300"
        ),
    );
    let put = |entries: &[(&str, tar::EntryType, &str)]| {
        let (status, _, body) = raw_request(
            &daemon.socket(),
            "PUT",
            "/containers/target/archive?path=/d",
            &tar_of(entries),
        );
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    use tar::EntryType::{Link, Regular, Symlink};
    // refused, with Docker's messages (the oracle's for the same tars)
    assert_eq!(
        put(&[("../../../../etc/evil", Regular, "pwned")]),
        (
            500,
            format!(
                "{}\n",
                r#"{"message":"Error processing tar file(exit status 1): \"../../../../etc/evil\" is outside of \"/d\""}"#
            )
        )
    );
    assert_eq!(
        put(&[("esc", Symlink, "../../../../../../tmp")]),
        (
            500,
            format!(
                "{}\n",
                r#"{"message":"Error processing tar file(exit status 1): invalid symlink \"/d/esc\" -> \"../../../../../../tmp\""}"#
            )
        )
    );
    assert_eq!(
        put(&[("hl", Link, "../../etc/passwd")]),
        (
            500,
            format!(
                "{}\n",
                r#"{"message":"Error processing tar file(exit status 1): invalid hardlink \"/etc/passwd\" -> \"../../etc/passwd\""}"#
            )
        )
    );
    // accepted, and confined: through the container's symlinks, never the host's paths
    let accepted = put(&[
        ("evil/victim", Regular, "pwned"),
        ("up/at_root", Regular, "root"),
        ("absl", Symlink, "/etc"),
        ("absl/through", Regular, "through"),
        ("/abs_file", Regular, "abs"),
    ]);
    assert_eq!(accepted, (200, String::new()));
    assert_eq!(
        std::fs::read_to_string(victim.path().join("victim")).unwrap(),
        "victim"
    );
    assert_eq!(std::fs::read_dir(victim.path()).unwrap().count(), 1);
    let inside = format!("{victim_path}/victim");
    daemon
        .docker(&[
            "exec",
            "target",
            "cat",
            &inside,
            "/at_root",
            "/etc/through",
            "/d/abs_file",
        ])
        .assert_stdout("pwnedrootthroughabs");
}

#[test]
fn docker_update_changes_limits_and_the_restart_policy() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&[
            "run", "-d", "--name", "limited", "-m", "50m", "busybox", "sleep", "300",
        ])
        .assert_code(0);
    daemon
        .docker(&["update", "--memory", "60m", "--memory-swap", "120m", "limited"])
        .assert_clean_success()
        .assert_stdout("limited\n");
    let inspect = daemon.docker(&[
        "inspect",
        "-f",
        "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}",
        "limited",
    ]);
    inspect.assert_stdout("62914560 125829120\n");
    let id = env.find_container("limited").expect("limited").0;
    let limit = env
        .cgroup_dir(ch06_cgroups::Controller::Memory, &id)
        .map(|dir| {
            let v1 = dir.join("memory.limit_in_bytes");
            std::fs::read_to_string(if v1.exists() { v1 } else { dir.join("memory.max") }).unwrap()
        })
        .expect("the container's memory cgroup");
    assert_eq!(limit.trim(), "62914560");

    // the oracle's answers for the same requests
    let answer = daemon.http(
        "POST",
        "/v1.41/containers/limited/update",
        Some(r#"{"CpuShares": 512}"#),
    );
    assert_eq!((answer.status, body(&answer)), (200, json!({"Warnings": null})));
    let grow = daemon.http(
        "POST",
        "/containers/limited/update",
        Some(r#"{"Memory": 524288000}"#),
    );
    assert_eq!(
        error(&grow),
        (
            409,
            format!(
                "Cannot update container {id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time"
            )
        )
    );
    daemon
        .docker(&["update", "--restart", "on-failure:3", "limited"])
        .assert_code(0);
    daemon
        .docker(&["inspect", "-f", "{{json .HostConfig.RestartPolicy}}", "limited"])
        .assert_stdout("{\"Name\":\"on-failure\",\"MaximumRetryCount\":3}\n");
    let bad = daemon.http(
        "POST",
        "/containers/limited/update",
        Some(r#"{"RestartPolicy": {"Name": "bogus"}}"#),
    );
    assert_eq!(error(&bad), (400, "invalid restart policy 'bogus'".to_owned()));

    daemon
        .docker(&[
            "run",
            "-d",
            "--rm",
            "--name",
            "temporary",
            "busybox",
            "sleep",
            "300",
        ])
        .assert_code(0);
    let temporary = env.find_container("temporary").expect("temporary").0;
    let refused = daemon.docker(&["update", "--restart", "always", "temporary"]);
    assert_eq!(
        (refused.code, refused.stderr.as_str()),
        (
            1,
            format!("Error response from daemon: Cannot update container {temporary}: Restart policy cannot be updated because AutoRemove is enabled for the container\n").as_str()
        )
    );
    let missing = daemon.docker(&["update", "--cpu-shares", "512", "nope"]);
    assert_eq!(missing.code, 1, "{missing}");
    assert!(missing.stderr.contains("No such container: nope"), "{missing}");
    daemon.docker(&["rm", "-f", "limited"]).assert_code(0);
    // (--rm removes it once killed: an `rm -f` would race with that removal)
    daemon.docker(&["kill", "temporary"]).assert_code(0);
}

#[test]
fn container_prune_removes_what_is_not_running() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["create", "--name", "created", "busybox", "true"])
        .assert_code(0);
    daemon
        .docker(&[
            "run",
            "--name",
            "exited",
            "busybox",
            "sh",
            "-c",
            "echo 12345 > /file",
        ])
        .assert_code(0);
    daemon
        .docker(&["run", "-d", "--name", "running", "busybox", "sleep", "300"])
        .assert_code(0);
    let created = env.find_container("created").expect("created").0;
    let exited = env.find_container("exited").expect("exited").0;

    // filters that keep everything: `until` an hour ago, a label nobody has
    let answer = daemon.http(
        "POST",
        "/containers/prune?filters=%7B%22until%22%3A%7B%221h%22%3Atrue%7D%7D",
        None,
    );
    assert_eq!(
        body(&answer),
        json!({"ContainersDeleted": null, "SpaceReclaimed": 0})
    );
    let none = daemon.docker(&["container", "prune", "-f", "--filter", "label=nobody"]);
    none.assert_stdout("Total reclaimed space: 0B\n");
    let bad = daemon.http(
        "POST",
        "/containers/prune?filters=%7B%22bogus%22%3A%7B%22x%22%3Atrue%7D%7D",
        None,
    );
    assert_eq!(error(&bad), (400, "Invalid filter 'bogus'".to_owned()));

    let pruned = daemon.docker(&["container", "prune", "-f"]);
    pruned.assert_code(0);
    let lines: Vec<&str> = pruned.stdout.lines().collect();
    assert_eq!(lines[0], "Deleted Containers:", "{pruned}");
    let mut deleted = lines[1..3].to_vec();
    deleted.sort_unstable();
    let mut expected = vec![created.as_str(), exited.as_str()];
    expected.sort_unstable();
    assert_eq!(deleted, expected, "{pruned}");
    // the exited container's layer held /file (6 bytes) and nothing else of its own
    assert_eq!(lines[3..], ["", "Total reclaimed space: 6B"], "{pruned}");
    daemon
        .docker(&["ps", "-a", "--format", "{{.Names}}"])
        .assert_stdout("running\n");
    let until = format!("{}", chrono_now_secs() + 1);
    let events = daemon.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        &until,
        "--filter",
        "event=prune",
        "--format",
        "{{json .}}",
    ]);
    let last: Value = serde_json::from_str(events.stdout.lines().last().unwrap_or("{}")).unwrap();
    let mut last = last;
    last["time"] = json!(0);
    last["timeNano"] = json!(0);
    insta::assert_json_snapshot!("prune_event", last);
    daemon.docker(&["rm", "-f", "running"]).assert_code(0);
}

#[test]
fn a_silent_connection_is_closed_while_others_and_streams_go_on() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &["--idle-timeout", "2"]);
    let connect = || {
        let stream = UnixStream::connect(daemon.socket()).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        stream
    };
    // one says nothing, one sends half a request, one follows the events
    let mut silent = connect();
    let mut half = connect();
    half.write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n")
        .unwrap();
    let mut events = connect();
    events
        .write_all(b"GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n")
        .unwrap();
    // meanwhile the daemon answers others
    let ping = daemon.http("GET", "/_ping", None);
    assert_eq!((ping.status, ping.body.as_str()), (200, "OK"));

    let mut rest = Vec::new();
    let closed = silent.read_to_end(&mut rest);
    assert!(
        matches!(closed, Ok(0)),
        "the silent connection was not closed: {closed:?}"
    );
    let closed = half.read_to_end(&mut rest);
    assert!(closed.is_ok(), "{closed:?}");
    assert!(
        rest.is_empty() || String::from_utf8_lossy(&rest).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&rest)
    );

    // the events stream outlived both deadlines: it still brings what happens
    daemon
        .docker(&["create", "--name", "late", "busybox", "true"])
        .assert_code(0);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("\"Action\":\"create\"") {
        let n = events.read(&mut buf).expect("the events stream is still open");
        assert!(
            n > 0,
            "the events stream ended: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(String::from_utf8_lossy(&seen).starts_with("HTTP/1.1 200 OK"));
}
