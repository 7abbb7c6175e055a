//! A daemon killed with SIGKILL loses nothing (issue 9): its containers keep running under
//! their shims and keep logging, a container that ends while no daemon runs has its exit
//! recorded, and the next daemon finds all of it: containers, their logs and exit codes, the
//! images, the user networks, the events. The next daemon also removes the `--rm` containers
//! the first left behind, as dockerd's restore does, and what a crash of the machine leaves of
//! them (their files are written without fsync). Then 50 containers started and removed in
//! parallel leave nothing behind.

use std::time::{Duration, Instant};

use minidocker_e2e::{TestDaemon, TestEnv, root_test};

/// The size of container `id`'s json-file log.
fn log_size(env: &TestEnv, id: &str) -> u64 {
    let path = env.containers_dir().join(id).join(format!("{id}-json.log"));
    std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
}

#[test]
fn a_daemon_killed_with_sigkill_loses_nothing() {
    root_test!();
    let env = TestEnv::new();
    let first = TestDaemon::start(&env, &[]);
    first.docker(&["network", "create", "kept"]).assert_code(0);
    let ticker = first.docker(&[
        "run",
        "-d",
        "--name",
        "ticker",
        "--network",
        "kept",
        "busybox",
        "sh",
        "-c",
        "while true; do echo tick; sleep 0.1; done",
    ]);
    ticker.assert_code(0);
    let ticker_id = ticker.stdout.trim().to_owned();
    let short = first.docker(&[
        "run",
        "-d",
        "--name",
        "short",
        "busybox",
        "sh",
        "-c",
        "sleep 2; echo bye; exit 7",
    ]);
    short.assert_code(0);
    let ticker_pid = env.wait_for_running("ticker", Duration::from_secs(30));
    env.wait_for_running("short", Duration::from_secs(30));
    let images_before = first
        .docker(&["images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"])
        .stdout;

    nix::sys::signal::kill(first.pid(), nix::sys::signal::Signal::SIGKILL).expect("killing the daemon");
    drop(first);

    // With no daemon: the container runs on and its log grows; `short` ends.
    let size = log_size(&env, &ticker_id);
    let deadline = Instant::now() + Duration::from_secs(30);
    while log_size(&env, &ticker_id) <= size {
        assert!(Instant::now() < deadline, "the log did not grow without a daemon");
        std::thread::sleep(Duration::from_millis(50));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while env
        .find_container("short")
        .is_some_and(|(_, c)| c["State"]["Running"] == true)
    {
        assert!(Instant::now() < deadline, "short did not end without a daemon");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        nix::sys::signal::kill(ticker_pid, None).is_ok(),
        "ticker died with its daemon"
    );

    let second = TestDaemon::start(&env, &[]);
    second
        .docker(&["ps", "--format", "{{.Names}} {{.Status}}"])
        .assert_code(0);
    assert!(
        second.docker(&["ps", "--format", "{{.Names}}"]).stdout == "ticker\n",
        "the running container was not found again"
    );
    // the exit that happened while no daemon ran is on record, with its output
    let state = second.docker(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "short"]);
    assert_eq!(state.stdout, "exited 7\n", "{state}");
    assert_eq!(second.docker(&["wait", "short"]).stdout, "7\n");
    assert_eq!(second.docker(&["logs", "short"]).stdout, "bye\n");
    // The docker CLI sends `--until` in whole seconds, and `short` ended less than a second
    // ago: a second from now is after its `die` (the stream waits until then).
    let until = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_secs()
        + 1)
    .to_string();
    let events = second.docker(&[
        "events",
        "--since",
        "0",
        "--until",
        &until,
        "--filter",
        "container=short",
        "--filter",
        "event=die",
        "--format",
        "{{.Status}} {{index .Actor.Attributes \"exitCode\"}}",
    ]);
    assert_eq!(events.stdout, "die 7\n", "{events}");
    // images and networks are all there
    assert_eq!(
        second
            .docker(&["images", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"])
            .stdout,
        images_before
    );
    assert!(
        second
            .docker(&["network", "ls", "--format", "{{.Name}}"])
            .stdout
            .lines()
            .any(|n| n == "kept"),
        "the user network was lost"
    );
    // the adopted container is still the daemon's to stop, and its end is reported
    let logs = second.docker(&["logs", "--tail", "1", "ticker"]);
    assert_eq!(logs.stdout, "tick\n", "{logs}");
    second
        .docker(&["stop", "-t", "1", "ticker"])
        .assert_clean_success();
    let stopped = second.docker(&["inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ticker"]);
    assert_eq!(stopped.stdout, "exited 137\n", "{stopped}");
    second.docker(&["rm", "ticker", "short"]).assert_code(0);
    second.docker(&["network", "rm", "kept"]).assert_code(0);
}

#[test]
fn a_daemon_that_starts_removes_the_rm_containers_an_earlier_one_left() {
    root_test!();
    let env = TestEnv::new();
    let first = TestDaemon::start(&env, &[]);
    let run_rm = |name: &str, script: &str| {
        let out = first.docker(&["run", "-d", "--rm", "--name", name, "busybox", "sh", "-c", script]);
        out.assert_code(0);
        out.stdout.trim().to_owned()
    };
    let ended = run_rm("ended", "sleep 1000");
    let later = run_rm("later", "sleep 1000");
    let never = first.docker(&["create", "--rm", "--name", "never", "busybox", "true"]);
    never.assert_code(0);
    let wreck = first.docker(&["create", "--rm", "--name", "wreck", "busybox", "true"]);
    wreck.assert_code(0);
    let wreck = wreck.stdout.trim().to_owned();
    let ended_pid = env.wait_for_running("ended", Duration::from_secs(30));
    env.wait_for_running("later", Duration::from_secs(30));
    let layers: Vec<_> = env
        .container_ids()
        .iter()
        .map(|id| env.container_layer_dir(id))
        .collect();
    assert_eq!(layers.len(), 4);

    nix::sys::signal::kill(first.pid(), nix::sys::signal::Signal::SIGKILL).expect("killing the daemon");
    drop(first);
    // `ended` ends while no daemon runs to remove it
    nix::sys::signal::kill(ended_pid, nix::sys::signal::Signal::SIGKILL).expect("killing ended's init");
    let deadline = Instant::now() + Duration::from_secs(30);
    while env
        .find_container("ended")
        .is_some_and(|(_, c)| c["State"]["Status"] != "exited")
    {
        assert!(Instant::now() < deadline, "ended did not end without a daemon");
        std::thread::sleep(Duration::from_millis(50));
    }
    // what a power cut can leave of files written without fsync(2): empty ones
    let wreck_layer = env.container_layer_dir(&wreck);
    for file in [
        env.containers_dir().join(&wreck).join("config.v2.json"),
        env.containers_dir().join(&wreck).join("hostconfig.json"),
        env.data_root()
            .join("image/overlay2/layerdb/mounts")
            .join(&wreck)
            .join("mount-id"),
        wreck_layer.join("link"),
        wreck_layer.join("lower"),
    ] {
        std::fs::write(&file, "").unwrap_or_else(|e| panic!("emptying {}: {e}", file.display()));
    }

    let second = TestDaemon::start(&env, &[]);
    assert_eq!(
        env.container_ids(),
        [later],
        "ended {ended}, never and wreck are removed"
    );
    let ps = second.docker(&["ps", "-a", "--format", "{{.Names}} {{.State}}"]);
    assert_eq!(ps.stdout, "later running\n", "{ps}");
    // the adopted one goes when it ends under this daemon
    second.docker(&["kill", "later"]).assert_code(0);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !env.container_ids().is_empty() {
        assert!(Instant::now() < deadline, "later was not removed when it ended");
        std::thread::sleep(Duration::from_millis(50));
    }
    for layer in &layers {
        assert!(!layer.exists(), "{} is left", layer.display());
    }
    let links = std::fs::read_dir(env.data_root().join("overlay2/l"))
        .expect("overlay2/l")
        .count();
    let image_layers = std::fs::read_dir(env.data_root().join("overlay2"))
        .expect("overlay2")
        .count()
        - 1;
    assert_eq!(
        links, image_layers,
        "one short link per layer left, none dangling"
    );
    env.assert_nothing_left();
}

#[test]
fn fifty_containers_started_and_removed_in_parallel_leave_nothing_behind() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let runs: Vec<_> = (0..50)
        .map(|i| {
            daemon
                .docker_cmd(&[
                    "run",
                    "--rm",
                    "--name",
                    &format!("par{i}"),
                    "busybox",
                    "sh",
                    "-c",
                    &format!("echo {i}"),
                ])
                .timeout(Duration::from_secs(300))
                .spawn()
        })
        .collect();
    for (i, run) in runs.into_iter().enumerate() {
        let out = run.wait();
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, format!("{i}\n").as_str()),
            "par{i}: {out}"
        );
    }
    assert_eq!(daemon.docker(&["ps", "-aq"]).stdout, "");
    assert_eq!(env.container_ids(), Vec::<String>::new(), "containers left");
    env.assert_nothing_left();
}
