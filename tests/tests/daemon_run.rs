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

/// `rm -f` of a running `--rm` container races with the container's own removal once it has
/// been killed: `rm -f` wins, as with dockerd (its removal marks the container as being
/// removed, the auto-removal that follows finds that and leaves it), and nothing is left.
#[test]
fn rm_force_of_a_running_rm_container_removes_it_once() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    for round in 0..5 {
        let name = format!("brief{round}");
        daemon
            .docker(&["run", "-d", "--rm", "--name", &name, "busybox", "sleep", "100"])
            .assert_code(0);
        env.wait_for_running(&name, Duration::from_secs(30));
        let rm = daemon.docker(&["rm", "-f", &name]);
        assert_eq!(
            (rm.code, rm.stdout.as_str(), rm.stderr.as_str()),
            (0, format!("{name}\n").as_str(), ""),
            "{rm}"
        );
    }
    assert_eq!(daemon.docker(&["ps", "-aq"]).stdout, "");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !env.container_ids().is_empty() {
        assert!(Instant::now() < deadline, "left: {:?}", env.container_ids());
        std::thread::sleep(Duration::from_millis(50));
    }
    // and the daemon had no failed auto-removal to report
    let daemon_output = daemon.stop();
    assert!(!daemon_output.stderr.contains("auto-removing"), "{daemon_output}");
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
    nix::sys::signal::kill(first.pid(), nix::sys::signal::Signal::SIGKILL).unwrap();
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

/// Waits until `f` holds (the shim restarts with Docker's growing delays).
#[track_caller]
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !f() {
        assert!(Instant::now() < deadline, "not within 20 s: {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn restart_policies_restart_what_they_should_and_count() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let state = |name: &str| {
        daemon
            .docker(&[
                "inspect",
                "-f",
                "{{.State.Status}} {{.RestartCount}} {{.State.ExitCode}}",
                name,
            ])
            .stdout
            .trim()
            .to_owned()
    };
    // on-failure:2: two restarts, then it stays exited with its code
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "flaky",
            "--restart",
            "on-failure:2",
            "busybox",
            "sh",
            "-c",
            "echo run; exit 3",
        ])
        .assert_code(0);
    eventually("flaky restarted twice then exited", || {
        state("flaky") == "exited 2 3"
    });
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(state("flaky"), "exited 2 3", "a third restart");
    // the shim keeps the output pipes for a run to come, and lets them go after the last
    daemon.docker(&["logs", "flaky"]).assert_stdout("run\nrun\nrun\n");
    // a clean exit is not a failure
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "fine",
            "--restart",
            "on-failure",
            "busybox",
            "true",
        ])
        .assert_code(0);
    eventually("fine exited", || state("fine") == "exited 0 0");

    // always: a killed container comes back; a stopped one does not
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "always",
            "--restart",
            "always",
            "busybox",
            "sleep",
            "300",
        ])
        .assert_code(0);
    eventually("always running", || state("always") == "running 0 0");
    daemon.docker(&["kill", "always"]).assert_code(0);
    eventually("always restarted after kill", || state("always") == "running 1 0");
    daemon.docker(&["stop", "-t", "1", "always"]).assert_code(0);
    std::thread::sleep(Duration::from_millis(800));
    assert!(state("always").starts_with("exited 1 "), "{}", state("always"));

    // unless-stopped, stopped by a user
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "unless",
            "--restart",
            "unless-stopped",
            "busybox",
            "sleep",
            "300",
        ])
        .assert_code(0);
    eventually("unless running", || state("unless").starts_with("running"));
    daemon.docker(&["stop", "-t", "1", "unless"]).assert_code(0);

    // a new daemon starts `always` again (even stopped by a user), not `unless-stopped`
    drop(daemon);
    let daemon = TestDaemon::start(&env, &[]);
    let status = |name: &str| {
        daemon
            .docker(&["inspect", "-f", "{{.State.Status}}", name])
            .stdout
            .trim()
            .to_owned()
    };
    eventually("always started by the new daemon", || {
        status("always") == "running"
    });
    assert_eq!(status("unless"), "exited");
    assert_eq!(status("flaky"), "exited");

    // Docker's refusals
    let bad = daemon.docker(&["run", "-d", "--restart", "sometimes", "busybox", "true"]);
    assert_eq!(bad.code, 125, "{bad}");
    assert!(bad.stderr.contains("invalid restart policy"), "{bad}");
    daemon
        .docker(&["rm", "-f", "always", "unless", "flaky", "fine"])
        .assert_code(0);
}
