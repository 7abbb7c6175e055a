//! The exit code of `minidocker run` (docs/oracle §2-§4): the command's own, 128+N for a death
//! by signal N, 125 for engine errors, 126 when the command cannot be invoked, 127 when it is
//! not found; with Docker's messages.

use std::time::Duration;

use minidocker_e2e::text::{daemon_error, start_error};
use minidocker_e2e::{TestEnv, root_test};
use nix::sys::signal::{Signal, kill};

#[test]
fn success_is_0() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "busybox", "true"])
        .assert_clean_success()
        .assert_stdout("");
}

#[test]
fn the_commands_exit_status_is_passed_through() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "busybox", "sh", "-c", "exit 3"])
        .assert_code(3)
        .assert_stdout("")
        .assert_stderr("");
    env.run(&["--rm", "busybox", "false"])
        .assert_code(1)
        .assert_stderr("");
}

#[test]
fn pid_1_survives_its_own_sigkill() {
    root_test!();
    let env = TestEnv::new();
    // The kernel drops signals a PID namespace's init sends itself without a handler (§4).
    env.run(&["--rm", "busybox", "sh", "-c", "kill -9 $$; echo after-kill rc=$?"])
        .assert_clean_success()
        .assert_stdout("after-kill rc=0\n");
}

#[test]
fn a_child_killed_by_a_signal_is_137_for_its_parent() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "sleep 100 & kill -9 $!; wait $!; echo $?",
    ])
    .assert_code(0)
    .assert_stdout("137\n")
    .assert_stderr("Killed\n");
}

#[test]
fn init_killed_from_outside_gives_137() {
    root_test!();
    let env = TestEnv::new();
    let mut run = env.spawn_run(&[
        "--name",
        "victim",
        "busybox",
        "sh",
        "-c",
        "echo ready; exec sleep 30",
    ]);
    run.wait_for_line("ready");
    let pid = env.wait_for_running("victim", Duration::from_secs(10));
    kill(pid, Signal::SIGKILL).expect("kill -9 the container's init");
    run.wait()
        .assert_code(137)
        .assert_stdout("ready\n")
        .assert_stderr("");
    let (_, config) = env
        .find_container("victim")
        .expect("the container is kept without --rm");
    assert_eq!(config["State"]["Status"], "exited", "{config:#}");
    assert_eq!(config["State"]["ExitCode"], 137, "{config:#}");
    assert_eq!(config["State"]["Pid"], 0, "{config:#}");
    assert!(
        env.processes_inside().is_empty(),
        "container processes left: {:?}",
        env.processes_inside()
    );
}

#[test]
fn unknown_image_is_125() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "--pull=never", "nosuch", "true"])
        .assert_code(125)
        .assert_stdout("")
        .assert_stderr(&daemon_error("No such image: nosuch:latest"));
    assert!(
        env.container_ids().is_empty(),
        "a container was created: {:?}",
        env.container_ids()
    );
}

#[test]
fn non_executable_is_126() {
    root_test!();
    let env = TestEnv::new();
    for path in ["/etc/passwd", "/etc"] {
        env.run(&["--rm", "busybox", path])
            .assert_code(126)
            .assert_stdout("")
            .assert_stderr(&start_error(&format!("exec: \"{path}\": permission denied")));
    }
}

#[test]
fn not_found_is_127() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "busybox", "/nonexistent"])
        .assert_code(127)
        .assert_stdout("")
        .assert_stderr(&start_error(
            "exec: \"/nonexistent\": stat /nonexistent: no such file or directory",
        ));
    env.run(&["--rm", "busybox", "nonexistentcmd"])
        .assert_code(127)
        .assert_stdout("")
        .assert_stderr(&start_error(
            "exec: \"nonexistentcmd\": executable file not found in $PATH",
        ));
}
