//! The container options of chapter 8 through the daemon, with the real Docker CLI:
//! `--entrypoint`, `--label` (and `ps --filter label=`, events' labels), `--stop-signal`,
//! `--stop-timeout`, `--log-opt max-size/max-file` (json-file rotation), `--log-driver none`
//! and `--init`. What each prints, and the errors, are Docker 20.10's for the same commands
//! (the oracle, CLI 28.2.2).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use minidocker_e2e::{TestDaemon, TestEnv, root_test};

/// Waits until `f` holds.
#[track_caller]
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "not within 20 s: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Unix seconds `n` from now, for `events --since/--until`.
fn seconds_from_now(n: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970");
    (now.as_secs() + n).to_string()
}

/// `docker inspect -f FORMAT NAME`, trimmed.
fn inspect(daemon: &TestDaemon, format: &str, name: &str) -> String {
    let out = daemon.docker(&["inspect", "-f", format, name]);
    out.assert_code(0);
    out.stdout.trim().to_owned()
}

/// The files of a container's directory whose names contain `json.log`, sorted.
fn log_files(env: &TestEnv, id: &str) -> Vec<PathBuf> {
    let dir = env.data_root().join("containers").join(id);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.to_string_lossy().contains("json.log"))
        .collect();
    files.sort();
    files
}

fn name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn entrypoint_replaces_the_images_and_its_cmd() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["run", "--rm", "--entrypoint", "echo", "busybox", "hi", "there"])
        .assert_stdout("hi there\n");
    // an entrypoint given drops the image's CMD (busybox's `sh`): echo alone prints a blank line
    daemon
        .docker(&["run", "--name", "ep", "--entrypoint", "echo", "busybox"])
        .assert_stdout("\n");
    assert_eq!(
        inspect(
            &daemon,
            "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Path}} {{json .Args}}",
            "ep"
        ),
        r#"["echo"] null echo []"#
    );
    // `--entrypoint ""` resets it: the arguments are the whole command…
    daemon
        .docker(&["run", "--rm", "--entrypoint", "", "busybox", "echo", "reset"])
        .assert_stdout("reset\n");
    daemon
        .docker(&["create", "--name", "reset", "--entrypoint", "", "busybox", "ls"])
        .assert_code(0);
    assert_eq!(
        inspect(
            &daemon,
            "{{json .Config.Entrypoint}} {{json .Config.Cmd}}",
            "reset"
        ),
        r#"null ["ls"]"#
    );
    // … and without any there is no command at all (Docker 20.10's words)
    let none = daemon.docker(&["run", "--rm", "--entrypoint", "", "busybox"]);
    assert_eq!(none.code, 125, "{none}");
    assert!(
        none.stderr
            .starts_with("docker: Error response from daemon: No command specified"),
        "{none}"
    );
    // an image with an ENTRYPOINT: arguments go after it, --entrypoint replaces both
    daemon
        .docker(&["create", "--name", "base", "busybox", "true"])
        .assert_code(0);
    daemon
        .docker(&[
            "commit",
            "-c",
            r#"ENTRYPOINT ["echo","ep"]"#,
            "-c",
            r#"CMD ["c1"]"#,
            "base",
            "epimg",
        ])
        .assert_code(0);
    daemon.docker(&["run", "--rm", "epimg"]).assert_stdout("ep c1\n");
    daemon
        .docker(&["run", "--rm", "epimg", "x"])
        .assert_stdout("ep x\n");
    daemon
        .docker(&["run", "--rm", "--entrypoint", "echo", "epimg", "own"])
        .assert_stdout("own\n");
}

#[test]
fn labels_show_in_inspect_and_filter_ps_and_events() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let since = seconds_from_now(0);
    for (name, labels) in [("web", &["tier=front", "team"][..]), ("db", &["tier=back"][..])] {
        let mut args = vec!["create", "--name", name];
        for label in labels {
            args.extend(["--label", label]);
        }
        args.extend(["busybox", "true"]);
        daemon.docker(&args).assert_code(0);
    }
    assert_eq!(
        inspect(&daemon, "{{json .Config.Labels}}", "web"),
        r#"{"team":"","tier":"front"}"#
    );
    let ps = |filter: &str| {
        daemon
            .docker(&["ps", "-a", "--filter", filter, "--format", "{{.Names}}"])
            .stdout
    };
    assert_eq!(ps("label=tier=front"), "web\n");
    assert_eq!(ps("label=team"), "web\n");
    assert_eq!(ps("label=tier"), "db\nweb\n");
    assert_eq!(ps("label=tier=side"), "");
    assert_eq!(
        daemon
            .docker(&["ps", "-a", "--filter", "name=db", "--format", "{{.Labels}}"])
            .stdout,
        "tier=back\n"
    );
    // the container's events carry its labels, and filter by them
    let until = seconds_from_now(1);
    let events = daemon.docker(&[
        "events",
        "--since",
        &since,
        "--until",
        &until,
        "--filter",
        "label=tier=back",
        "--format",
        "{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.tier}}",
    ]);
    events.assert_stdout("create db back\n");
}

#[test]
fn stop_sends_the_stop_signal_and_a_bad_one_is_refused_at_create() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "usr1",
            "--stop-signal",
            "SIGUSR1",
            "busybox",
            "sh",
            "-c",
            "trap 'echo got USR1; exit 5' USR1; trap 'echo got TERM; exit 6' TERM; echo ready; while true; do sleep 0.1; done",
        ])
        .assert_code(0);
    eventually("the trap is set", || {
        daemon.docker(&["logs", "usr1"]).stdout == "ready\n"
    });
    assert_eq!(inspect(&daemon, "{{.Config.StopSignal}}", "usr1"), "SIGUSR1");
    daemon.docker(&["stop", "usr1"]).assert_stdout("usr1\n");
    daemon.docker(&["wait", "usr1"]).assert_stdout("5\n");
    daemon
        .docker(&["logs", "usr1"])
        .assert_stdout("ready\ngot USR1\n");
    // numbers and names without SIG are Docker's too; restart uses the signal as well
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "num",
            "--stop-signal",
            "10",
            "busybox",
            "sh",
            "-c",
            "trap 'echo got USR1; exit 5' USR1; echo ready; while true; do sleep 0.1; done",
        ])
        .assert_code(0);
    eventually("the trap is set", || {
        daemon.docker(&["logs", "num"]).stdout == "ready\n"
    });
    daemon.docker(&["restart", "num"]).assert_stdout("num\n");
    eventually("restarted", || {
        daemon.docker(&["logs", "num"]).stdout == "ready\ngot USR1\nready\n"
    });
    daemon.docker(&["rm", "-f", "num"]).assert_code(0);

    for (flag, message) in [("FOO", "Invalid signal: FOO"), ("0", "Invalid signal: 0")] {
        let refused = daemon.docker(&["create", "--stop-signal", flag, "busybox", "true"]);
        assert_eq!(refused.code, 1, "{refused}");
        assert_eq!(
            refused.stderr,
            format!("Error response from daemon: {message}\n"),
            "{refused}"
        );
    }
    let answer = daemon.http(
        "POST",
        "/v1.41/containers/create",
        Some(r#"{"Image":"busybox","Cmd":["true"],"StopSignal":"SIGNOPE"}"#),
    );
    assert_eq!(answer.status, 400, "{}", answer.body);
    assert_eq!(answer.body.trim(), r#"{"message":"Invalid signal: SIGNOPE"}"#);
}

#[test]
fn stop_timeout_takes_the_sigkill_path_and_t_overrides_it() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    // `sleep` as PID 1 has no SIGTERM handler: the kernel drops the signal, only SIGKILL ends it
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "stubborn",
            "--stop-timeout",
            "1",
            "busybox",
            "sleep",
            "300",
        ])
        .assert_code(0);
    assert_eq!(inspect(&daemon, "{{.Config.StopTimeout}}", "stubborn"), "1");
    let since = "0";
    daemon.docker(&["stop", "stubborn"]).assert_stdout("stubborn\n");
    assert_eq!(
        inspect(&daemon, "{{.State.Status}} {{.State.ExitCode}}", "stubborn"),
        "exited 137"
    );
    let until = seconds_from_now(1);
    // SIGTERM first, SIGKILL once the container's own timeout passed, as dockerd reports it
    let events = daemon.docker(&[
        "events",
        "--since",
        since,
        "--until",
        &until,
        "--filter",
        "container=stubborn",
        "--filter",
        "event=kill",
        "--filter",
        "event=die",
        "--filter",
        "event=stop",
        "--format",
        r#"{{.Action}} {{index .Actor.Attributes "signal"}}{{index .Actor.Attributes "exitCode"}}"#,
    ]);
    events.assert_stdout("kill 15\nkill 9\ndie 137\nstop \n");
    // the API's `t` wins over the container's timeout: -1 waits for ever, so only a signal the
    // container answers ends it (here the trap exits at once)
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "polite",
            "--stop-timeout",
            "0",
            "busybox",
            "sh",
            "-c",
            "trap 'exit 3' TERM; echo ready; while true; do sleep 0.1; done",
        ])
        .assert_code(0);
    eventually("the trap is set", || {
        daemon.docker(&["logs", "polite"]).stdout == "ready\n"
    });
    daemon
        .docker(&["stop", "-t", "-1", "polite"])
        .assert_stdout("polite\n");
    let code = inspect(&daemon, "{{.State.ExitCode}}", "polite");
    let history = daemon.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        &seconds_from_now(1),
        "--filter",
        "container=polite",
        "--format",
        r#"{{.Action}} {{index .Actor.Attributes "signal"}}{{index .Actor.Attributes "exitCode"}}"#,
    ]);
    assert_eq!(code, "3", "{history}");
    let bad = daemon.http("POST", "/v1.41/containers/polite/stop?t=abc", None);
    assert_eq!(
        (bad.status, bad.body.trim()),
        (
            500,
            r#"{"message":"strconv.Atoi: parsing \"abc\": invalid syntax"}"#
        )
    );
}

#[test]
fn json_file_logs_rotate_and_logs_reads_across_the_files() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let script =
        "i=1; while [ $i -le 100 ]; do echo \"line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; i=$((i+1)); done";
    let run = daemon.docker(&[
        "run",
        "-d",
        "--name",
        "chatty",
        "--log-opt",
        "max-size=1k",
        "--log-opt",
        "max-file=2",
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    run.assert_code(0);
    let id = run.stdout.trim().to_owned();
    daemon.docker(&["wait", "chatty"]).assert_stdout("0\n");
    assert_eq!(
        inspect(&daemon, "{{json .HostConfig.LogConfig}}", "chatty"),
        r#"{"Type":"json-file","Config":{"max-file":"2","max-size":"1k"}}"#
    );
    // two files at most, each rotated once it reached 1000 bytes (1k is decimal here)
    let files = log_files(&env, &id);
    let names: Vec<String> = files.iter().map(|f| name_of(f)).collect();
    assert_eq!(names, [format!("{id}-json.log"), format!("{id}-json.log.1")]);
    for file in &files {
        let len = std::fs::metadata(file).expect("a log file").len();
        assert!(len < 1000 + 200, "{}: {len} bytes", file.display());
    }
    // `docker logs` reads the rotated file, then the live one: the last lines, in order
    let logs = daemon.docker(&["logs", "chatty"]);
    logs.assert_code(0);
    let lines: Vec<&str> = logs.stdout.lines().collect();
    assert!(
        lines.len() > 10 && lines.len() < 40,
        "{} lines: {logs}",
        lines.len()
    );
    let numbers: Vec<u32> = lines
        .iter()
        .map(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .expect("line N")
        })
        .collect();
    let first = numbers[0];
    assert_eq!(numbers, (first..=100).collect::<Vec<_>>(), "{logs}");
    daemon
        .docker(&["logs", "--tail", "2", "chatty"])
        .assert_stdout(&format!(
            "{}\n{}\n",
            lines[lines.len() - 2],
            lines[lines.len() - 1]
        ));

    // values are read when the container starts, with dockerd's messages
    for (opt, message) in [
        (
            "max-size=abc",
            "failed to initialize logging driver: invalid size: 'abc'",
        ),
        (
            "max-size=0",
            "failed to initialize logging driver: max-size must be a positive number",
        ),
    ] {
        let refused = daemon.docker(&["run", "--rm", "--log-opt", opt, "busybox", "true"]);
        assert_eq!(refused.code, 125, "{refused}");
        assert!(
            refused
                .stderr
                .starts_with(&format!("docker: Error response from daemon: {message}")),
            "{refused}"
        );
    }
    // names and drivers at create
    let unknown = daemon.docker(&["create", "--log-opt", "foo=bar", "busybox", "true"]);
    assert_eq!(
        unknown.stderr,
        "Error response from daemon: unknown log opt 'foo' for json-file log driver\n"
    );
    let plugin = daemon.docker(&["create", "--log-driver", "bogus", "busybox", "true"]);
    assert_eq!(
        plugin.stderr,
        "Error response from daemon: error looking up logging plugin bogus: plugin \"bogus\" not found\n"
    );
}

#[test]
fn the_none_driver_keeps_no_log_but_attach_still_shows_the_output() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&[
            "run",
            "--name",
            "quiet",
            "--log-driver",
            "none",
            "busybox",
            "echo",
            "hi",
        ])
        .assert_stdout("hi\n");
    let id = inspect(&daemon, "{{.Id}}", "quiet");
    assert_eq!(log_files(&env, &id), Vec::<PathBuf>::new());
    assert_eq!(inspect(&daemon, "{{json .LogPath}}", "quiet"), r#""""#);
    assert_eq!(
        inspect(&daemon, "{{json .HostConfig.LogConfig}}", "quiet"),
        r#"{"Type":"none","Config":{}}"#
    );
    let logs = daemon.docker(&["logs", "quiet"]);
    assert_eq!(logs.code, 1, "{logs}");
    assert_eq!(
        logs.stderr,
        "Error response from daemon: configured logging driver does not support reading\n"
    );
    let answer = daemon.http("GET", "/v1.41/containers/quiet/logs?stdout=1", None);
    assert_eq!(answer.status, 501, "{}", answer.body);
}

#[test]
fn init_is_pid_1_forwards_signals_and_reaps_zombies() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    // the shell leaves an orphan that dies at once, then becomes `sleep`: only an init reaps it
    let orphan = "(sleep 0.1 &); exec sleep 300";
    for name in ["with-init", "without"] {
        let mut args = vec!["run", "-d", "--name", name];
        if name == "with-init" {
            args.push("--init");
        }
        args.extend(["busybox", "sh", "-c", orphan]);
        daemon.docker(&args).assert_code(0);
    }
    assert_eq!(inspect(&daemon, "{{json .HostConfig.Init}}", "with-init"), "true");
    assert_eq!(inspect(&daemon, "{{json .HostConfig.Init}}", "without"), "null");
    let ps = |name: &str| {
        daemon
            .docker(&["exec", name, "ps", "-o", "pid,stat,comm,args"])
            .stdout
    };
    // without an init the orphan stays a zombie of `sleep` at PID 1 (as with Docker)…
    eventually("a zombie under sleep", || {
        ps("without").lines().any(|l| l.contains(" Z "))
    });
    let first = |out: &str| {
        out.lines()
            .nth(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(first(&ps("without")), "1 S sleep sleep 300");
    // … with one, PID 1 is the init (named as Docker's), the command its child, no zombie
    let with_init = ps("with-init");
    assert_eq!(
        first(&with_init),
        "1 S docker-init /sbin/docker-init -- sh -c (sleep 0.1 &); exec sleep 300",
        "{with_init}"
    );
    assert!(
        with_init
            .lines()
            .any(|l| l.contains(" sleep ") && l.contains("sleep 300")),
        "{with_init}"
    );
    // the orphan ends and is gone: no zombie, no `sleep 0.1` left
    eventually("the orphan reaped", || {
        let now = ps("with-init");
        !now.lines().any(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            fields.get(1) == Some(&"Z") || fields.get(2..) == Some(&["sleep", "sleep", "0.1"][..])
        })
    });
    // the init passes `docker stop`'s SIGTERM on: sleep dies of it (143), no 10 s wait for
    // SIGKILL (137)
    daemon.docker(&["stop", "with-init"]).assert_code(0);
    assert_eq!(inspect(&daemon, "{{.State.ExitCode}}", "with-init"), "143");
    // and exits with its child's code: a shell that kills itself dies of it only when it is
    // not PID 1 (chapter 1), 137 with the init, 0 without, as with Docker
    daemon
        .docker(&["run", "--rm", "--init", "busybox", "sh", "-c", "exit 7"])
        .assert_code(7);
    daemon
        .docker(&["run", "--rm", "--init", "busybox", "sh", "-c", "kill -9 $$"])
        .assert_code(137);
    daemon
        .docker(&["run", "--rm", "busybox", "sh", "-c", "kill -9 $$"])
        .assert_code(0);
    daemon.docker(&["rm", "-f", "without"]).assert_code(0);
}

#[test]
fn a_daemon_shut_down_stops_its_containers_with_their_signal_unless_live_restore() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let run = daemon.docker(&[
        "run",
        "-d",
        "--name",
        "polite",
        "--restart",
        "unless-stopped",
        "--stop-signal",
        "USR1",
        "busybox",
        "sh",
        "-c",
        "trap 'echo got USR1; exit 4' USR1; echo ready; while true; do sleep 0.1; done",
    ]);
    run.assert_code(0);
    let id = run.stdout.trim().to_owned();
    eventually("the trap is set", || {
        daemon.docker(&["logs", "polite"]).stdout == "ready\n"
    });
    // SIGTERM to the daemon (dockerd without --live-restore): its containers are stopped
    let out = daemon.stop();
    assert_eq!(out.code, 0, "{out}");
    let state = &env.config(&id)["State"];
    assert_eq!(
        (&state["Status"], &state["ExitCode"]),
        (&serde_json::json!("exited"), &serde_json::json!(4)),
        "{state}"
    );
    let log = std::fs::read_to_string(
        env.data_root()
            .join("containers")
            .join(&id)
            .join(format!("{id}-json.log")),
    )
    .expect("the container's log");
    assert!(log.contains("got USR1"), "{log}");
    // not a user's stop: the next daemon starts an unless-stopped container again
    let daemon = TestDaemon::start(&env, &["--live-restore"]);
    eventually("started again", || {
        inspect(&daemon, "{{.State.Status}}", "polite") == "running"
    });
    eventually("the trap is set again", || {
        daemon
            .docker(&["logs", "polite"])
            .stdout
            .ends_with("got USR1\nready\n")
    });
    // with --live-restore it keeps running under its shim
    let pid = inspect(&daemon, "{{.State.Pid}}", "polite");
    daemon.stop().assert_code(0);
    assert!(
        Path::new(&format!("/proc/{pid}")).exists(),
        "the container's process {pid} is gone"
    );
    assert_eq!(env.config(&id)["State"]["Status"], "running");
    let daemon = TestDaemon::start(&env, &[]);
    daemon.docker(&["rm", "-f", "polite"]).assert_code(0);
}
