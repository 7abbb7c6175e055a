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

/// The spare shim (`minidocker spare-shim`) of the daemon `daemon` once there is one other
/// than `taken` (a spare that became a container's shim keeps its command line); panics
/// after 30 s.
#[track_caller]
fn wait_for_spare_shim(daemon: Pid, taken: &[Pid]) -> Pid {
    let deadline = Instant::now() + minidocker_e2e::process::scaled(Duration::from_secs(30));
    loop {
        let spare = std::fs::read_dir("/proc")
            .expect("listing /proc")
            .find_map(|entry| {
                let pid = Pid::from_raw(entry.ok()?.file_name().to_str()?.parse().ok()?);
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
                let is_spare = cmdline.split(|b| *b == 0).nth(1) == Some(&b"spare-shim"[..]);
                (is_spare && parent_of(pid) == daemon && !taken.contains(&pid)).then_some(pid)
            });
        // in the daemon's slot (what a start takes) once the idle thread that started it is
        // done: under load that thread may wait a while for a CPU
        if let Some(spare) =
            spare.filter(|_| !minidocker_e2e::process::has_thread_named(daemon, "spare-refill"))
        {
            return spare;
        }
        assert!(Instant::now() < deadline, "no spare shim under daemon {daemon}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The scheduling policy of `pid` (sched(7): 0 `SCHED_OTHER`, 5 `SCHED_IDLE`).
fn policy_of(pid: Pid) -> i32 {
    // SAFETY: sched_getscheduler(2) takes a pid and touches no memory of ours.
    let policy = unsafe { libc::sched_getscheduler(pid.as_raw()) };
    assert!(
        policy >= 0,
        "sched_getscheduler({pid}): {}",
        std::io::Error::last_os_error()
    );
    policy
}

#[test]
fn a_start_takes_the_spare_shim_the_daemon_starts_the_next_and_a_dead_daemons_spare_ends() {
    root_test!();
    let env = TestEnv::new();
    let daemon = minidocker_e2e::TestDaemon::start(&env, &[]);
    let daemon_pid = daemon.pid();
    let spare = wait_for_spare_shim(daemon_pid, &[]);
    assert_eq!(
        policy_of(spare),
        libc::SCHED_IDLE,
        "a spare starts at idle priority"
    );
    daemon
        .docker(&[
            "run",
            "-d",
            "--name",
            "spared",
            "busybox",
            "sh",
            "-c",
            "echo up; sleep 1000",
        ])
        .assert_code(0);
    let init = env.wait_for_running("spared", Duration::from_secs(30));
    let shim = parent_of(init);
    assert_eq!(shim, spare, "the container's shim is the spare that was ready");
    assert_eq!(
        policy_of(shim),
        libc::SCHED_OTHER,
        "raised when it took its container"
    );
    assert_eq!(policy_of(init), libc::SCHED_OTHER, "the container never ran idle");
    let next = wait_for_spare_shim(daemon_pid, &[spare]);
    // it is that container's shim in every way: its log, its stop, its exit code
    assert_eq!(daemon.docker(&["logs", "spared"]).stdout, "up\n");
    daemon.docker(&["stop", "-t", "1", "spared"]).assert_code(0);
    let (_, c) = env.find_container("spared").expect("the container");
    assert_eq!(c["State"]["ExitCode"], 137);
    daemon.docker(&["start", "spared"]).assert_code(0);
    let init = env.wait_for_running("spared", Duration::from_secs(30));
    assert_eq!(
        parent_of(init),
        next,
        "the start after a stop took the next spare"
    );
    // the daemon killed: its spare reads end-of-file and ends; the container's shim does not
    let spare = wait_for_spare_shim(daemon_pid, &[shim, next]);
    nix::sys::signal::kill(daemon_pid, nix::sys::signal::Signal::SIGKILL).expect("killing the daemon");
    drop(daemon);
    let deadline = Instant::now() + minidocker_e2e::process::scaled(Duration::from_secs(30));
    while std::fs::read(format!("/proc/{spare}/cmdline")).is_ok_and(|c| !c.is_empty()) {
        assert!(
            Instant::now() < deadline,
            "spare shim {spare} outlived its daemon"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        std::path::Path::new(&format!("/proc/{init}")).exists(),
        "the container lives on"
    );
    // the next daemon adopts it
    let next_daemon = minidocker_e2e::TestDaemon::start(&env, &[]);
    next_daemon.docker(&["rm", "-f", "spared"]).assert_code(0);
}
