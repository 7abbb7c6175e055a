//! The container commands of the `minidocker` CLI as API clients: `stop`, `kill`, `restart`,
//! `wait`, `logs`, `rename`, `top`, `cp`, `container prune`, `container ls`, `events`,
//! `version` and `info`, with Docker's usage lines, messages and exit codes (Docker CLI 28.2.2
//! against Docker 20.10, quoted in the comments), and Docker's way with several names: an
//! error line per bad one, exit 1, the good ones done.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use minidocker_e2e::text::redact_ids;
use minidocker_e2e::{TestDaemon, TestEnv, root_test};

/// Long enough for a container to start on a loaded machine (a liveness ceiling, not a timing).
const STARTUP: Duration = Duration::from_secs(60);

/// Now, as `--since`/`--until` take it (Unix seconds with nanoseconds).
fn now() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970");
    format!("{}.{:09}", t.as_secs(), t.subsec_nanos())
}

/// The id of container `name`.
#[track_caller]
fn id_of(env: &TestEnv, name: &str) -> String {
    env.find_container(name)
        .unwrap_or_else(|| panic!("container {name} exists"))
        .0
}

/// The Docker CLI's words for a wrong number of arguments.
fn args_error(cmd: &str, requirement: &str, usage: &str) -> String {
    let hint = if requirement.starts_with("requires at least") {
        "See"
    } else {
        "Run"
    };
    format!(
        "minidocker: 'minidocker {cmd}' {requirement}\n\nUsage:  minidocker {usage}\n\n{hint} 'minidocker {cmd} --help' for more information\n"
    )
}

#[test]
fn stop_kill_restart_and_wait_answer_like_docker() {
    root_test!();
    let env = TestEnv::new();
    // a shell that ends with 7 on SIGTERM (it handles the trap between two sleeps)
    let trapping = env.spawn_run(&[
        "--name",
        "trap",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "trap 'exit 7' TERM; while true; do sleep 1; done",
    ]);
    env.wait_for_running("trap", STARTUP);
    env.minidocker(&["stop", "-t", "30", "trap"])
        .assert_clean_success()
        .assert_stdout("trap\n");
    trapping.wait().assert_code(7);
    env.minidocker(&["wait", "trap"])
        .assert_clean_success()
        .assert_stdout("7\n");
    // stopping a stopped container is no error (304)
    env.minidocker(&["container", "stop", "trap"])
        .assert_clean_success()
        .assert_stdout("trap\n");

    let sleeper = env.spawn_run(&[
        "--name",
        "sleeper",
        "--network",
        "none",
        "busybox",
        "sleep",
        "300",
    ]);
    env.wait_for_running("sleeper", STARTUP);
    let id = id_of(&env, "sleeper");
    env.minidocker(&["kill", "-s", "FOO", "sleeper"])
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr("Error response from daemon: Invalid signal: FOO\n");
    env.minidocker(&["kill", "sleeper"])
        .assert_clean_success()
        .assert_stdout("sleeper\n");
    sleeper.wait().assert_code(137);
    env.minidocker(&["container", "wait", "sleeper"])
        .assert_clean_success()
        .assert_stdout("137\n");
    // Docker 20.10: "Cannot kill container: sleeper: Container <id> is not running"
    env.minidocker(&["kill", "sleeper"])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: Cannot kill container: sleeper: Container {id} is not running\n"
        ));

    // restart brings it back, through the daemon
    env.minidocker(&["restart", "-t", "1", "sleeper"])
        .assert_clean_success()
        .assert_stdout("sleeper\n");
    let running = env.minidocker(&["ps", "--format", "{{.Names}} {{.State}}"]);
    assert_eq!(running.stdout, "sleeper running\n", "{running}");
    env.minidocker(&["container", "kill", "sleeper"])
        .assert_clean_success();
    env.minidocker(&["wait", "sleeper"]).assert_stdout("137\n");

    for (cmd, usage) in [
        ("stop", "stop [OPTIONS] CONTAINER [CONTAINER...]"),
        ("kill", "kill [OPTIONS] CONTAINER [CONTAINER...]"),
        ("restart", "restart [OPTIONS] CONTAINER [CONTAINER...]"),
        ("wait", "wait CONTAINER [CONTAINER...]"),
    ] {
        env.minidocker(&[cmd])
            .assert_code(1)
            .assert_stdout("")
            .assert_stderr(&args_error(cmd, "requires at least 1 argument", usage));
    }
}

#[test]
fn unknown_containers_are_named_one_line_each_and_the_others_are_done() {
    root_test!();
    let env = TestEnv::new();
    for name in ["c1", "c2"] {
        env.run(&["--name", name, "--network", "none", "busybox", "true"])
            .assert_code(0);
    }
    let two_missing = "Error response from daemon: No such container: nosuch1\nError response from daemon: No such container: nosuch2\n";
    env.minidocker(&["stop", "c1", "nosuch1", "c2", "nosuch2"])
        .assert_code(1)
        .assert_stdout("c1\nc2\n")
        .assert_stderr(two_missing);
    env.minidocker(&["wait", "nosuch1", "c1", "nosuch2"])
        .assert_code(1)
        .assert_stdout("0\n")
        .assert_stderr(two_missing);
    env.minidocker(&["restart", "-t", "0", "nosuch1", "c1", "nosuch2"])
        .assert_code(1)
        .assert_stdout("c1\n")
        .assert_stderr(two_missing);
    let sleeper = env.spawn_run(&["--name", "k1", "--network", "none", "busybox", "sleep", "300"]);
    env.wait_for_running("k1", STARTUP);
    // dockerd 20.10 words a failed kill so
    env.minidocker(&["kill", "k1", "nosuch1", "nosuch2"])
        .assert_code(1)
        .assert_stdout("k1\n")
        .assert_stderr(
            "Error response from daemon: Cannot kill container: nosuch1: No such container: nosuch1\nError response from daemon: Cannot kill container: nosuch2: No such container: nosuch2\n",
        );
    sleeper.wait().assert_code(137);
    env.minidocker(&["rm", "nosuch1", "c1", "nosuch2", "c2", "k1"])
        .assert_code(1)
        .assert_stdout("c1\nc2\nk1\n")
        .assert_stderr(two_missing);
    assert!(env.container_ids().is_empty());
    // Docker CLI 28: with -f a missing container is reported, and is no failure
    env.minidocker(&["rm", "-f", "nosuch1"])
        .assert_code(0)
        .assert_stderr("Error response from daemon: No such container: nosuch1\n");
    env.minidocker(&["logs", "nosuch1"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nosuch1\n");
    env.minidocker(&["top", "nosuch1"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nosuch1\n");
    env.minidocker(&["port", "nosuch1"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nosuch1\n");
}

#[test]
fn logs_show_both_streams_the_last_lines_timestamps_and_follow_to_the_end() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--name",
        "lg",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "echo one; echo two >&2; echo three",
    ])
    .assert_code(0);
    // stdout and stderr each to its own
    env.minidocker(&["logs", "lg"])
        .assert_code(0)
        .assert_stdout("one\nthree\n")
        .assert_stderr("two\n");
    // the last lines (one stream: the order of lines of two streams is the order their
    // copiers logged them in), with their times
    // (lines written apart: lines read in one piece share their time)
    env.run(&[
        "--name",
        "tl",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "echo one; sleep 0.3; echo two; sleep 0.3; echo three",
    ])
    .assert_code(0);
    env.minidocker(&["container", "logs", "--tail", "2", "tl"])
        .assert_stdout("two\nthree\n");
    env.minidocker(&["logs", "-n", "0", "tl"]).assert_stdout("");
    let stamped = env.minidocker(&["logs", "-t", "--tail", "1", "tl"]);
    stamped.assert_clean_success();
    let (time, line) = stamped
        .stdout
        .split_once(' ')
        .expect("a timestamp, then the line");
    assert_eq!(line, "three\n", "{stamped}");
    // RFC 3339 with nanoseconds: 2026-12-02T03:04:30.109366813Z
    assert_eq!(time.len(), 30, "{stamped}");
    assert!(time.ends_with('Z') && time.as_bytes()[10] == b'T', "{stamped}");
    // --since and --until: durations back from now, or the times -t shows
    env.minidocker(&["logs", "--since", "1h", "tl"])
        .assert_stdout("one\ntwo\nthree\n");
    env.minidocker(&["logs", "--until", "1h", "tl"])
        .assert_clean_success()
        .assert_stdout("");
    env.minidocker(&["logs", "--since", time, "tl"])
        .assert_stdout("three\n");
    let all = env.minidocker(&["logs", "-t", "tl"]);
    let second = all
        .stdout
        .lines()
        .nth(1)
        .and_then(|l| l.split_once(' '))
        .expect("a second line")
        .0;
    env.minidocker(&["logs", "--until", second, "tl"])
        .assert_stdout("one\ntwo\n");
    // --details: the entry's attributes (none here) and a space before each line
    env.minidocker(&["logs", "--details", "--tail", "1", "tl"])
        .assert_stdout(" three\n");
    env.minidocker(&["logs", "--since", "bogus", "lg"])
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr("invalid value for \"since\": failed to parse value as time or duration: \"bogus\"\n");
    env.minidocker(&["logs"])
        .assert_code(1)
        .assert_stderr(&args_error(
            "logs",
            "requires 1 argument",
            "logs [OPTIONS] CONTAINER",
        ));

    // -f: what the container writes as it writes it, until it ends
    let writer = env.spawn_run(&[
        "--name",
        "lf",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "echo first; sleep 2; echo second",
    ]);
    env.wait_for_running("lf", STARTUP);
    let followed = env.minidocker(&["logs", "-f", "lf"]);
    followed.assert_clean_success().assert_stdout("first\nsecond\n");
    writer.wait().assert_code(0);
}

#[test]
fn rename_top_and_container_ls() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "old", "--network", "none", "busybox", "true"])
        .assert_code(0);
    env.minidocker(&["rename", "old", "new"])
        .assert_clean_success()
        .assert_stdout("");
    env.minidocker(&["ps", "-a", "--format", "{{.Names}}"])
        .assert_stdout("new\n");
    // Docker CLI 28.2.2: the daemon's answer, then its own line
    env.minidocker(&["rename", "nosuch", "x"])
        .assert_code(1)
        .assert_stderr(
            "Error response from daemon: No such container: nosuch\nError: failed to rename container named nosuch\n",
        );
    env.minidocker(&["rename", "new"])
        .assert_code(1)
        .assert_stderr(&args_error(
            "rename",
            "requires 2 arguments",
            "rename CONTAINER NEW_NAME",
        ));

    // container ls, list and ps are ps
    let ps = env.minidocker(&["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Names}}"]);
    for alias in ["ls", "list", "ps"] {
        env.minidocker(&[
            "container",
            alias,
            "-a",
            "--no-trunc",
            "--format",
            "{{.ID}} {{.Names}}",
        ])
        .assert_clean_success()
        .assert_stdout(&ps.stdout);
    }

    let _sleeper = env.spawn_run(&["--name", "tp", "--network", "none", "busybox", "sleep", "300"]);
    env.wait_for_running("tp", STARTUP);
    let top = env.minidocker(&["top", "tp"]);
    top.assert_clean_success();
    let lines: Vec<&str> = top.stdout.lines().collect();
    assert!(
        lines[0].starts_with("UID                 PID                 PPID"),
        "{top}"
    );
    assert!(lines.iter().skip(1).any(|l| l.ends_with("sleep 300")), "{top}");
    let custom = env.minidocker(&["container", "top", "tp", "-o", "pid,comm"]);
    custom.assert_clean_success();
    assert_eq!(
        custom.stdout.lines().next(),
        Some("PID                 COMMAND"),
        "{custom}"
    );
    assert!(custom.stdout.lines().any(|l| l.ends_with(" sleep")), "{custom}");
    env.minidocker(&["rm", "-f", "tp"]).assert_clean_success();
}

/// A file's text.
#[track_caller]
fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn cp_copies_both_ways_with_dockers_path_rules() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--name",
        "box",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "mkdir /data && echo hi > /data/f",
    ])
    .assert_code(0);
    let host = tempfile::tempdir().expect("a temporary directory");
    let at = |name: &str| host.path().join(name);
    let s = |p: std::path::PathBuf| p.display().to_string();

    // from the container: a file to a new name, a directory to a new name, into a directory
    env.minidocker(&["cp", "box:/data/f", &s(at("copy"))])
        .assert_clean_success();
    assert_eq!(read(&at("copy")), "hi\n");
    env.minidocker(&["cp", "box:/data", &s(at("d"))])
        .assert_clean_success();
    assert_eq!(read(&at("d/f")), "hi\n");
    std::fs::create_dir(at("into")).unwrap();
    env.minidocker(&["container", "cp", "box:/data", &s(at("into"))])
        .assert_clean_success();
    assert_eq!(read(&at("into/data/f")), "hi\n");
    // DIR/. : the contents
    env.minidocker(&["cp", "box:/data/.", &s(at("contents"))])
        .assert_clean_success();
    assert_eq!(read(&at("contents/f")), "hi\n");
    // -: a tar on stdout
    let tar = env.minidocker(&["cp", "box:/data/f", "-"]);
    tar.assert_code(0);
    let mut archive = tar::Archive::new(tar.stdout.as_bytes());
    let names: Vec<String> = archive
        .entries()
        .expect("a tar")
        .map(|e| e.expect("an entry").path().expect("a path").display().to_string())
        .collect();
    assert_eq!(names, ["f"]);

    // to the container: a file into a directory, a directory to a new name, a tar from stdin
    std::fs::write(at("up.txt"), "up\n").unwrap();
    env.minidocker(&["cp", &s(at("up.txt")), "box:/data/"])
        .assert_clean_success();
    std::fs::create_dir(at("tree")).unwrap();
    std::fs::write(at("tree/leaf"), "leaf\n").unwrap();
    env.minidocker(&["cp", &s(at("tree")), "box:/planted"])
        .assert_clean_success();
    let mut upload = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(4);
    header.set_mode(0o644);
    header.set_cksum();
    upload.append_data(&mut header, "fromtar", &b"tar\n"[..]).unwrap();
    let upload = upload.into_inner().unwrap();
    env.cmd(&["cp", "-", "box:/data"])
        .stdin(upload)
        .output()
        .assert_clean_success();
    env.minidocker(&["cp", "box:/data", &s(at("back"))])
        .assert_clean_success();
    assert_eq!(read(&at("back/up.txt")), "up\n");
    assert_eq!(read(&at("back/fromtar")), "tar\n");
    env.minidocker(&["cp", "box:/planted/leaf", &s(at("leaf"))])
        .assert_clean_success();
    assert_eq!(read(&at("leaf")), "leaf\n");

    // Docker's refusals
    env.minidocker(&["cp", "a", "b"])
        .assert_code(1)
        .assert_stderr("must specify at least one container source\n");
    env.minidocker(&["cp", "box:/a", "box:/b"])
        .assert_code(1)
        .assert_stderr("copying between containers is not supported\n");
    env.minidocker(&["cp", "box:/nosuch", &s(at("x"))])
        .assert_code(1)
        .assert_stderr("Error response from daemon: Could not find the file /nosuch in container box\n");
    env.minidocker(&["cp", &s(at("nosuch")), "box:/tmp"])
        .assert_code(1)
        .assert_stderr(&format!("lstat {}: no such file or directory\n", s(at("nosuch"))));
    env.minidocker(&["cp", "box:/data", &s(at("copy"))])
        .assert_code(1)
        .assert_stderr("cannot copy directory\n");
    env.minidocker(&["cp", "box:/data/f", &s(at("nodir/x"))])
        .assert_code(1)
        .assert_stderr(&format!(
            "invalid output path: directory \"{}\" does not exist\n",
            s(at("nodir"))
        ));
    env.cmd(&["cp", "-", "box:/data/f"])
        .stdin(Vec::new())
        .output()
        .assert_code(1)
        .assert_stderr("destination \"box:/data/f\" must be a directory\n");
}

#[test]
fn container_prune_asks_first_and_removes_the_stopped_ones() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "done", "--network", "none", "busybox", "true"])
        .assert_code(0);
    let done = id_of(&env, "done");
    let _sleeper = env.spawn_run(&["--name", "up", "--network", "none", "busybox", "sleep", "300"]);
    env.wait_for_running("up", STARTUP);

    let declined = env.cmd(&["container", "prune"]).stdin("n\n").output();
    declined.assert_code(0).assert_stdout(
        "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ",
    );
    assert!(env.find_container("done").is_some(), "declined, yet removed");

    let pruned = env.cmd(&["container", "prune"]).stdin("y\n").output();
    pruned.assert_clean_success();
    let text = pruned.stdout.replace(&done, "<id>");
    assert!(
        text.starts_with(
            "WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] Deleted Containers:\n<id>\n\nTotal reclaimed space: "
        ),
        "{pruned}"
    );
    assert!(env.find_container("done").is_none());
    assert!(
        env.find_container("up").is_some(),
        "a running container was pruned"
    );
    env.minidocker(&["container", "prune", "-f"])
        .assert_clean_success()
        .assert_stdout("Total reclaimed space: 0B\n");
    env.minidocker(&["container", "prune", "-f", "--filter", "bad"])
        .assert_code(125);
    env.minidocker(&["rm", "-f", "up"]).assert_clean_success();
}

#[test]
fn events_over_a_start_and_a_stop_read_as_the_docker_clis() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let since = now();
    let sleeper = env.spawn_run(&["--name", "ev", "--network", "none", "busybox", "sleep", "300"]);
    env.wait_for_running("ev", STARTUP);
    // the shim notes the start once the container runs: wait for it before the stop
    let started = std::time::Instant::now();
    while !env
        .minidocker(&[
            "events",
            "--since",
            &since,
            "--until",
            &now(),
            "--filter",
            "event=start",
        ])
        .stdout
        .contains(" container start ")
    {
        assert!(started.elapsed() < STARTUP, "no start event");
        std::thread::sleep(Duration::from_millis(50));
    }
    env.minidocker(&["stop", "-t", "1", "ev"]).assert_clean_success();
    sleeper.wait().assert_code(137);
    let until = now();
    let args = [
        "events",
        "--since",
        since.as_str(),
        "--until",
        until.as_str(),
        "--filter",
        "container=ev",
    ];
    let ours = env.minidocker(&args);
    ours.assert_clean_success();
    // the same lines as the Docker CLI prints from the same daemon
    daemon
        .docker(&args)
        .assert_clean_success()
        .assert_stdout(&ours.stdout);
    let id = id_of(&env, "ev");
    let actions: Vec<String> = ours
        .stdout
        .lines()
        .map(|l| {
            let (time, rest) = l.split_once(' ').expect("a time, then the event");
            assert_eq!(time.len(), 30, "{l}");
            rest.replace(&id, "<id>")
        })
        .collect();
    assert_eq!(
        actions,
        [
            "container create <id> (image=busybox, name=ev)",
            "container attach <id> (image=busybox, name=ev)",
            "container start <id> (image=busybox, name=ev)",
            "container kill <id> (image=busybox, name=ev, signal=15)",
            "container kill <id> (image=busybox, name=ev, signal=9)",
            "container die <id> (exitCode=137, image=busybox, name=ev)",
            "container stop <id> (image=busybox, name=ev)",
        ],
        "{ours}"
    );
    let formatted = env.minidocker(&[
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        "event=start",
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
    ]);
    formatted
        .assert_clean_success()
        .assert_stdout("container start ev\n");
    env.minidocker(&["events", "--since", "bogus", "--until", &until])
        .assert_code(1)
        .assert_stderr("failed to parse value as time or duration: \"bogus\"\n");
    env.minidocker(&["events", "--until", &until, "--format", "{{"])
        .assert_code(64);
}

/// `text` with the value after each `label:` replaced where it varies from machine to machine.
fn redact_values(text: &str, variable: &[&str]) -> String {
    text.lines()
        .map(|line| match line.split_once(':') {
            Some((label, _)) if variable.contains(&label.trim()) => format!("{label}: <{}>", label.trim()),
            _ => line.to_owned(),
        })
        .map(|line| line.trim_end().to_owned() + "\n")
        .collect()
}

/// The part of `text` from its `Server:` line on.
fn server_part(text: &str) -> &str {
    text.find("Server:").map_or("", |at| &text[at..])
}

#[test]
fn version_and_info_are_laid_out_like_the_docker_clis() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);

    let ours = env.minidocker(&["version"]);
    ours.assert_clean_success();
    let docker = daemon.docker(&["version"]);
    docker.assert_clean_success();
    assert_eq!(server_part(&ours.stdout), server_part(&docker.stdout));
    insta::assert_snapshot!(
        "version",
        redact_values(&ours.stdout, &["Version", "OS/Arch", "API version"])
    );
    let server_version = env.minidocker(&["version", "--format", "{{.Server.Version}}"]);
    server_version.assert_clean_success();
    assert_eq!(
        server_version.stdout,
        daemon
            .docker(&["version", "--format", "{{.Server.Version}}"])
            .stdout
    );

    let ours = env.minidocker(&["info"]);
    ours.assert_clean_success();
    let docker = daemon.docker(&["info"]);
    docker.assert_clean_success();
    assert_eq!(server_part(&ours.stdout), server_part(&docker.stdout));
    let shape = redact_values(
        &redact_ids(&ours.stdout),
        &[
            "Version",
            "Containers",
            "Running",
            "Paused",
            "Stopped",
            "Images",
            "Server Version",
            "Backing Filesystem",
            "Cgroup Version",
            "Kernel Version",
            "Operating System",
            "Architecture",
            "CPUs",
            "Total Memory",
            "Name",
            "Docker Root Dir",
        ],
    );
    insta::assert_snapshot!("info", shape);
    env.minidocker(&["system", "info", "--format", "{{.Containers}} {{.Driver}}"])
        .assert_clean_success()
        .assert_stdout("0 overlay2\n");
    env.minidocker(&["version", "extra"])
        .assert_code(1)
        .assert_stderr(&args_error(
            "version",
            "accepts no arguments",
            "version [OPTIONS]",
        ));
    let _ = std::io::stdout().flush();
}
