//! `docker exec` against the daemon (chapter 8): the process joins every namespace of the
//! running container (it sees the container's hostname, PIDs, network and files), its cgroup,
//! its user and working directory; its exit code is the exec's; Docker's errors for a missing
//! command, a stopped and a paused container. Docker 20.10's outputs for the same commands
//! are what the assertions hold us to.

use minidocker_e2e::{TestDaemon, TestEnv, root_test};

#[test]
fn exec_joins_the_containers_namespaces_and_returns_its_exit_code() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&[
            "run", "-d", "--name", "box", "-h", "boxhost", "-e", "FOO=bar", "busybox", "sleep", "300",
        ])
        .assert_code(0);
    let out = daemon.docker(&[
        "exec",
        "box",
        "sh",
        "-c",
        "echo $FOO; hostname; ps -o pid,comm | sed 1d | head -n1; ls /sys/class/net | tr '\\n' ' '; echo; echo err >&2; exit 4",
    ]);
    assert_eq!(out.code, 4, "{out}");
    assert_eq!(out.stderr, "err\n");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "bar", "the container's environment: {out}");
    assert_eq!(lines[1], "boxhost", "its UTS namespace: {out}");
    assert_eq!(
        lines[2].split_whitespace().collect::<Vec<_>>(),
        ["1", "sleep"],
        "its PID namespace: {out}"
    );
    assert_eq!(lines[3].trim(), "eth0 lo", "its network namespace: {out}");

    let user = daemon.docker(&[
        "exec",
        "-u",
        "nobody",
        "-w",
        "/tmp",
        "-e",
        "X=1",
        "box",
        "sh",
        "-c",
        "id -u; pwd; echo $X",
    ]);
    user.assert_clean_success();
    assert_eq!(user.stdout, "65534\n/tmp\n1\n");
    // its cgroup (the cgroup namespace makes it the root)
    let cgroup = daemon.docker(&["exec", "box", "cat", "/proc/self/cgroup"]);
    assert!(cgroup.stdout.lines().all(|l| l.ends_with(":/")), "{cgroup}");

    // Docker: exit 126 and the runtime's message
    let missing = daemon.docker(&["exec", "box", "nosuch"]);
    assert_eq!(missing.code, 126, "{missing}");
    assert_eq!(
        missing.stderr,
        "OCI runtime exec failed: exec failed: unable to start container process: exec: \"nosuch\": executable file not found in $PATH: unknown\n"
    );
    daemon
        .docker(&["exec", "-d", "box", "sleep", "1"])
        .assert_clean_success();

    daemon.docker(&["pause", "box"]).assert_code(0);
    let paused = daemon.docker(&["exec", "box", "true"]);
    assert_eq!(paused.code, 1);
    assert_eq!(
        paused.stderr,
        "Error response from daemon: Container box is paused, unpause the container before exec\n"
    );
    daemon.docker(&["unpause", "box"]).assert_code(0);

    let id = daemon
        .docker(&["inspect", "-f", "{{.Id}}", "box"])
        .stdout
        .trim()
        .to_owned();
    daemon.docker(&["kill", "box"]).assert_code(0);
    daemon.docker(&["wait", "box"]).assert_code(0);
    let stopped = daemon.docker(&["exec", "box", "true"]);
    assert_eq!(stopped.code, 1);
    assert_eq!(
        stopped.stderr,
        format!("Error response from daemon: Container {id} is not running\n")
    );
}
