//! Running containers through the daemon with the real Docker CLI: `docker run` (attached,
//! `-d`, `--rm`), `logs`, `wait`, `stop`, `kill`, `rm`, exit codes, and a container that
//! outlives a daemon killed with SIGKILL (its shim keeps it). Docker's outputs for the same
//! commands (20.10 oracle, CLI 28.2.2) are what the assertions hold us to.

use std::time::{Duration, Instant};

use minidocker_e2e::{TestDaemon, TestEnv, root_test};

#[test]
fn docker_run_prints_the_output_and_exits_with_the_containers_code() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let out = daemon.docker(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (3, "out\n", "err\n"),
        "{out}"
    );
    let missing = daemon.docker(&["run", "--rm", "busybox", "/nonexistent"]);
    assert_eq!(missing.code, 127, "{missing}");
    assert!(missing.stderr.contains("/nonexistent"), "{missing}");
    // --rm: nothing left
    assert_eq!(daemon.docker(&["ps", "-aq"]).stdout, "");
    assert_eq!(env.container_ids(), Vec::<String>::new());
}

#[test]
fn a_detached_container_logs_stops_and_is_removed() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let run = daemon.docker(&[
        "run",
        "-d",
        "--name",
        "ticker",
        "busybox",
        "sh",
        "-c",
        "echo started; trap 'echo bye; exit 0' TERM; while true; do sleep 0.1; done",
    ]);
    run.assert_clean_success();
    let id = run.stdout.trim().to_owned();
    assert_eq!(id.len(), 64, "{run}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let logs = daemon.docker(&["logs", "ticker"]);
        if logs.stdout == "started\n" {
            break;
        }
        assert!(Instant::now() < deadline, "no log line: {logs}");
        std::thread::sleep(Duration::from_millis(50));
    }
    let ps = daemon.docker(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    assert!(ps.stdout.starts_with("ticker Up "), "{ps}");
    daemon.docker(&["stop", "ticker"]).assert_stdout("ticker\n");
    // SIGTERM reached the trap: it said bye and exited 0
    daemon.docker(&["logs", "ticker"]).assert_stdout("started\nbye\n");
    daemon.docker(&["wait", "ticker"]).assert_stdout("0\n");
    let status = daemon.docker(&["ps", "-a", "--format", "{{.Status}}"]);
    assert!(status.stdout.starts_with("Exited (0) "), "{status}");
    // stopping a stopped container is fine (304), removing it works
    daemon.docker(&["stop", "ticker"]).assert_clean_success();
    daemon.docker(&["rm", "ticker"]).assert_stdout("ticker\n");
    let gone = daemon.docker(&["logs", "ticker"]);
    assert_eq!(gone.code, 1);
    assert_eq!(
        gone.stderr,
        "Error response from daemon: No such container: ticker\n"
    );
}

#[test]
fn kill_and_wait_report_the_signal_in_the_exit_code() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["run", "-d", "--name", "sleeper", "busybox", "sleep", "300"])
        .assert_code(0);
    daemon.docker(&["kill", "sleeper"]).assert_stdout("sleeper\n");
    daemon.docker(&["wait", "sleeper"]).assert_stdout("137\n");
    let again = daemon.docker(&["kill", "sleeper"]);
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("is not running"), "{again}");
    let running = daemon.docker(&["run", "-d", "--name", "busy", "busybox", "sleep", "300"]);
    running.assert_code(0);
    let refused = daemon.docker(&["rm", "busy"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("You cannot remove a running container"),
        "{refused}"
    );
    daemon
        .docker(&["rm", "-f", "busy", "sleeper"])
        .assert_stdout("busy\nsleeper\n");
}

// ANCHOR: survives_sigkill
#[test]
fn a_container_survives_its_daemon_being_killed_and_the_next_daemon_stops_it() {
    root_test!();
    let env = TestEnv::new();
    let first = TestDaemon::start(&env, &[]);
    first
        .docker(&["run", "-d", "--name", "survivor", "busybox", "sleep", "300"])
        .assert_code(0);
    let pid = env.wait_for_running("survivor", Duration::from_secs(10));
    let daemon_pid: i32 = std::fs::read_to_string(first.pidfile())
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon_pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    drop(first);
    assert!(
        nix::sys::signal::kill(pid, None).is_ok(),
        "the container died with its daemon"
    );
    let second = TestDaemon::start(&env, &[]);
    let ps = second.docker(&["ps", "--format", "{{.Names}}"]);
    assert_eq!(ps.stdout, "survivor\n");
    second
        .docker(&["stop", "-t", "1", "survivor"])
        .assert_clean_success();
    second.docker(&["rm", "survivor"]).assert_clean_success();
}
// ANCHOR_END: survives_sigkill

#[test]
fn docker_create_refuses_dockers_bad_limits_and_stats_reads_the_cgroup() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    // Docker 20.10: "Error response from daemon: Minimum memory limit allowed is 6MB"
    let small = daemon.docker(&["create", "-m", "4m", "busybox", "true"]);
    assert_eq!(small.code, 1, "{small}");
    assert_eq!(
        small.stderr,
        "Error response from daemon: Minimum memory limit allowed is 6MB\n"
    );
    let cpus = daemon.docker(&["create", "--cpus", "99", "busybox", "true"]);
    assert_eq!(cpus.code, 1, "{cpus}");
    assert!(
        cpus.stderr
            .starts_with("Error response from daemon: Range of CPUs is from 0.01 to "),
        "{cpus}"
    );
    assert_eq!(
        env.container_ids(),
        Vec::<String>::new(),
        "a refused create left a container"
    );

    daemon
        .docker(&[
            "run", "-d", "--name", "st", "-m", "64m", "busybox", "sleep", "300",
        ])
        .assert_code(0);
    let stats = daemon.docker(&[
        "stats",
        "--no-stream",
        "--format",
        "{{.Name}} {{.MemUsage}} {{.PIDs}}",
        "st",
    ]);
    stats.assert_code(0);
    let line = stats.stdout.trim();
    assert!(
        line.starts_with("st ") && line.contains(" / 64MiB ") && line.ends_with(" 1"),
        "{stats}"
    );
    // the API's JSON has Docker's fields
    let raw = daemon.http(
        "GET",
        "/v1.41/containers/st/stats?stream=false&one-shot=true",
        None,
    );
    assert_eq!(raw.status, 200);
    let v: serde_json::Value = serde_json::from_str(raw.body.trim()).expect("one JSON object");
    for key in [
        "read",
        "preread",
        "pids_stats",
        "blkio_stats",
        "num_procs",
        "storage_stats",
        "cpu_stats",
        "precpu_stats",
        "memory_stats",
        "name",
        "id",
    ] {
        assert!(v.get(key).is_some(), "no {key} in {v}");
    }
    assert_eq!(v["memory_stats"]["limit"], 64 << 20);
    assert_eq!(v["name"], "/st");
    daemon.docker(&["rm", "-f", "st"]).assert_code(0);
}
