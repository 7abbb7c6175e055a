//! `docker events` against the daemon: the sequence Docker 20.10 reports for a `run` (create,
//! attach, network connect, start, die with exitCode, network disconnect, destroy), the `oom`
//! event of a container killed over its memory limit, network events, filters, and a stream
//! that shows events as they happen.

use std::time::Duration;

use minidocker_e2e::{TestDaemon, TestEnv, root_test};

/// Now, as the `--since`/`--until` the docker CLI accepts (Unix seconds with nanoseconds).
fn now() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970");
    format!("{}.{:09}", t.as_secs(), t.subsec_nanos())
}

/// `docker events --since SINCE --until now ARGS...`: the lines, without their timestamps.
fn events_since(daemon: &TestDaemon, since: &str, args: &[&str]) -> Vec<String> {
    let until = now();
    let mut all = vec!["events", "--since", since, "--until", &until];
    all.extend_from_slice(args);
    let out = daemon.docker(&all);
    out.assert_code(0);
    out.stdout
        .lines()
        .map(|l| {
            l.split_once(' ')
                .map(|(_, rest)| rest.to_owned())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_run_reports_dockers_sequence_of_events() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let since = now();
    daemon
        .docker(&["run", "--name", "evx", "busybox", "true"])
        .assert_code(0);
    daemon.docker(&["rm", "evx"]).assert_code(0);
    let bridge = daemon
        .docker(&["network", "inspect", "-f", "{{.Id}}", "bridge"])
        .stdout
        .trim()
        .to_owned();
    let lines = events_since(&daemon, &since, &[]);
    let id = lines
        .first()
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap_or_default()
        .to_owned();
    assert_eq!(id.len(), 64, "{lines:?}");
    // Docker 20.10, the same commands (ids differ)
    assert_eq!(
        lines,
        [
            format!("container create {id} (image=busybox, name=evx)"),
            format!("container attach {id} (image=busybox, name=evx)"),
            format!("network connect {bridge} (container={id}, name=bridge, type=bridge)"),
            format!("container start {id} (image=busybox, name=evx)"),
            format!("container die {id} (exitCode=0, image=busybox, name=evx)"),
            format!("network disconnect {bridge} (container={id}, name=bridge, type=bridge)"),
            format!("container destroy {id} (image=busybox, name=evx)"),
        ]
    );
    // filters
    let only_network = events_since(&daemon, &since, &["--filter", "type=network"]);
    assert_eq!(only_network.len(), 2, "{only_network:?}");
    let dies = events_since(
        &daemon,
        &since,
        &["--filter", "event=die", "--filter", "container=evx"],
    );
    assert_eq!(
        dies,
        [format!(
            "container die {id} (exitCode=0, image=busybox, name=evx)"
        )]
    );
}

#[test]
fn a_container_over_its_memory_limit_is_oom_killed_with_an_oom_event() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let since = now();
    let out = daemon.docker(&[
        "run",
        "--name",
        "hog",
        "-m",
        "16m",
        "busybox",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=64M",
        "count=1",
    ]);
    assert_eq!(out.code, 137, "{out}");
    let state = daemon.docker(&["inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog"]);
    assert_eq!(state.stdout, "true 137\n");
    let id = daemon
        .docker(&["inspect", "-f", "{{.Id}}", "hog"])
        .stdout
        .trim()
        .to_owned();
    let ooms = events_since(&daemon, &since, &["--filter", "event=oom"]);
    assert_eq!(ooms, [format!("container oom {id} (image=busybox, name=hog)")]);
    // the oom comes before the die, as in Docker
    let both = events_since(
        &daemon,
        &since,
        &["--filter", "event=oom", "--filter", "event=die"],
    );
    assert_eq!(
        both,
        [
            format!("container oom {id} (image=busybox, name=hog)"),
            format!("container die {id} (exitCode=137, image=busybox, name=hog)"),
        ]
    );
}

#[test]
fn events_stream_as_they_happen_and_networks_report_theirs() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let mut stream = daemon
        .docker_cmd(&[
            "events",
            "--filter",
            "type=network",
            "--format",
            "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}",
        ])
        .timeout(Duration::from_secs(60))
        .spawn();
    std::thread::sleep(Duration::from_millis(300)); // let it subscribe
    daemon.docker(&["network", "create", "evnet"]).assert_code(0);
    assert_eq!(stream.wait_for_line("network create"), "network create evnet");
    daemon.docker(&["network", "rm", "evnet"]).assert_code(0);
    assert_eq!(stream.wait_for_line("network destroy"), "network destroy evnet");
}
