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
