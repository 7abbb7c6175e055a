//! While its container runs, a container's shim is the small `minidocker-shim` (issue 9):
//! same pid, same children, its lock still held; the shim comes back for the exit, which is
//! recorded as before. A shim whose container's network runs in it (a published port's
//! proxy) stays the whole `minidocker`.

use std::time::{Duration, Instant};

use minidocker_e2e::{TestEnv, root_test};
use nix::unistd::Pid;

/// The parent of `pid` (field 4 of `/proc/<pid>/stat`, after the command name).
fn parent_of(pid: Pid) -> Pid {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the init's stat");
    let ppid = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(1))
        .and_then(|p| p.parse().ok())
        .expect("a parent pid");
    Pid::from_raw(ppid)
}

/// The program `pid` runs (`/proc/<pid>/exe`'s file name).
fn program_of(pid: Pid) -> String {
    std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .and_then(|exe| exe.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// Waits until `pid` runs `program`; panics after 30 s with what it runs.
#[track_caller]
fn wait_for_program(pid: Pid, program: &str) {
    let deadline = Instant::now() + minidocker_e2e::process::scaled(Duration::from_secs(30));
    while program_of(pid) != program {
        assert!(
            Instant::now() < deadline,
            "{pid} runs {:?}, not {program}",
            program_of(pid)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_running_containers_shim_is_the_small_monitor_and_comes_back_for_the_exit() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "-d",
        "--name",
        "small",
        "busybox",
        "sh",
        "-c",
        "echo started; sleep 1000",
    ])
    .assert_code(0);
    let init = env.wait_for_running("small", Duration::from_secs(30));
    let shim = parent_of(init);
    wait_for_program(shim, "minidocker-shim");
    assert_eq!(parent_of(init), shim, "the init's parent is still the shim's pid");
    // its lock is held across the exec: the container is up, not "killed"
    let ps = env.minidocker(&["ps", "--format", "{{.Names}} {{.Status}}"]);
    ps.assert_code(0);
    assert!(ps.stdout.starts_with("small Up"), "ps: {}", ps.stdout);
    env.minidocker(&["exec", "small", "echo", "from exec"])
        .assert_code(0);
    env.minidocker(&["stop", "-t", "1", "small"]).assert_code(0);
    let (_, c) = env.find_container("small").expect("the container");
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["State"]["ExitCode"], 137);
    assert_eq!(c["State"]["Pid"], 0);
    let logs = env.minidocker(&["logs", "small"]);
    assert_eq!(logs.stdout, "started\n");
    // and it runs again, through the monitor again
    env.minidocker(&["start", "small"]).assert_code(0);
    let init = env.wait_for_running("small", Duration::from_secs(30));
    wait_for_program(parent_of(init), "minidocker-shim");
    env.minidocker(&["rm", "-f", "small"]).assert_code(0);
}

#[test]
fn a_restart_policy_runs_on_across_the_monitor() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "-d",
        "--name",
        "again",
        "--restart",
        "on-failure:2",
        "busybox",
        "sh",
        "-c",
        "echo run; exit 3",
    ])
    .assert_code(0);
    let deadline = Instant::now() + minidocker_e2e::process::scaled(Duration::from_secs(30));
    loop {
        let (_, c) = env.find_container("again").expect("the container");
        if c["State"]["Status"] == "exited" {
            assert_eq!(c["RestartCount"], 2);
            assert_eq!(c["State"]["ExitCode"], 3);
            break;
        }
        assert!(Instant::now() < deadline, "still {}", c["State"]["Status"]);
        std::thread::sleep(Duration::from_millis(20));
    }
    let logs = env.minidocker(&["logs", "again"]);
    assert_eq!(logs.stdout, "run\nrun\nrun\n");
}

#[test]
fn a_published_port_keeps_the_whole_shim() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["-d", "--name", "served", "-p", "80", "busybox", "sleep", "1000"])
        .assert_code(0);
    let init = env.wait_for_running("served", Duration::from_secs(30));
    // its proxy is a thread of the shim, which stays `minidocker` as long as the container runs
    assert_eq!(program_of(parent_of(init)), "minidocker");
    env.minidocker(&["rm", "-f", "served"]).assert_code(0);
}
