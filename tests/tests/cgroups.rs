//! Resource limits (chapter 6) end to end: `run`'s limit flags, OOM kills, `--pids-limit`,
//! CPU quota and pinning, `pause`/`unpause`, `stats`, `update`, and that every container's
//! cgroup is gone afterwards. Docker's messages are quoted from the oracle (Docker 20.10 on the
//! reference machine: 2 CPUs, one memory node, cgroup v1 with swap accounting).
//!
//! The same file runs on a cgroup v2 host: the engine picks its backend by detection and so do
//! these tests, reading `memory.max` where v1 has `memory.limit_in_bytes`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ch06_cgroups::{CgroupVersion, Controller, Hierarchy, HostInfo, HostSys};
use minidocker_e2e::text::daemon_error;
use minidocker_e2e::{TestEnv, root_test};
use serde_json::Value;

const MB: i64 = 1024 * 1024;

fn version() -> CgroupVersion {
    Hierarchy::detect()
        .and_then(|h| h.version())
        .expect("a cgroup hierarchy is mounted")
}

fn host() -> HostInfo {
    let hierarchy = Hierarchy::detect().expect("detect the cgroup layout");
    HostInfo::detect(&hierarchy, &HostSys).expect("probe the host")
}

/// A cgroup interface file, trimmed.
#[track_caller]
fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
        .trim()
        .to_owned()
}

/// How long a container may take to be running: a liveness ceiling, not a speed target (in
/// the lab VM under TCG a start takes seconds). The containers of these tests use
/// `--network none`: they are about cgroups, and a bridge's iptables setup is slow there.
const STARTUP: Duration = Duration::from_secs(60);

/// The value of `key` in a flat-keyed file (`cpu.stat`, `pids.events`, `memory.oom_control`).
fn keyed(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Polls `check` every 20ms until it holds or `timeout` passes.
fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + minidocker_e2e::process::scaled(timeout);
    loop {
        if check() {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A container's `hostconfig.json`.
#[track_caller]
fn host_config(env: &TestEnv, id: &str) -> Value {
    let path = env.containers_dir().join(id).join("hostconfig.json");
    serde_json::from_str(&read(&path)).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// After a test: no container cgroup is left under the test's parent.
#[track_caller]
fn assert_no_cgroups(env: &TestEnv) {
    let left = env.cgroups_inside();
    assert!(left.is_empty(), "cgroups left behind: {left:?}");
}

/// The controller's directory of container `id`, which must exist.
#[track_caller]
fn cgroup_dir(env: &TestEnv, controller: Controller, id: &str) -> PathBuf {
    let dir = env
        .cgroup_dir(controller, id)
        .unwrap_or_else(|| panic!("the {controller} controller is not mounted"));
    assert!(dir.is_dir(), "{} does not exist", dir.display());
    dir
}

#[test]
fn a_memory_hog_is_oom_killed_and_its_state_says_so() {
    root_test!();
    let env = TestEnv::new();
    // dd fills a 64 MiB buffer from /dev/zero: every page is touched, 16 MiB is the limit.
    let out = env.run(&[
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
    out.assert_code(137);
    let (id, config) = env.find_container("hog").expect("hog exists");
    assert_eq!(config["State"]["OOMKilled"], true, "{config}");
    assert_eq!(config["State"]["ExitCode"], 137);
    let hc = host_config(&env, &id);
    assert_eq!(hc["Memory"], 16 * MB);
    // Docker's default: as much swap again (memory + swap = twice the memory).
    assert_eq!(hc["MemorySwap"], 32 * MB);

    // Within its limit, the same command is left alone.
    env.run(&[
        "--name",
        "fine",
        "-m",
        "64m",
        "busybox",
        "dd",
        "if=/dev/zero",
        "of=/dev/null",
        "bs=8M",
        "count=2",
    ])
    .assert_code(0);
    let (_, fine) = env.find_container("fine").expect("fine exists");
    assert_eq!(fine["State"]["OOMKilled"], false);
    assert_no_cgroups(&env);
}

#[test]
fn a_fork_bomb_is_contained_by_the_pids_limit() {
    root_test!();
    let env = TestEnv::new();
    let bomb = env.spawn_run(&[
        "--name",
        "bomb",
        "--network",
        "none",
        "--pids-limit",
        "20",
        "busybox",
        "sh",
        "-c",
        // The init forks once, then execs: once the bomb has used up the pids, it could not
        // fork again (and a shell that cannot fork exits).
        "bomb() { bomb | bomb & }; (bomb) & exec sleep 600",
    ]);
    env.wait_for_running("bomb", STARTUP);
    let (id, _) = env.find_container("bomb").expect("bomb exists");
    let pids = cgroup_dir(&env, Controller::Pids, &id);
    assert_eq!(read(&pids.join("pids.max")), "20");
    // The kernel refuses forks past the limit (pids.events counts them)...
    assert!(
        eventually(Duration::from_secs(30), || {
            keyed(&read(&pids.join("pids.events")), "max").unwrap_or(0) > 0
        }),
        "no fork was refused: {}",
        read(&pids.join("pids.events"))
    );
    let current: u64 = read(&pids.join("pids.current")).parse().expect("a number");
    assert!(current <= 20, "pids.current {current} is over the limit");
    // ...and the host goes on: other containers run, minidocker answers.
    env.run(&["--rm", "busybox", "echo", "still here"])
        .assert_clean_success()
        .assert_stdout("still here\n");
    let stats = env.minidocker(&["stats", "--no-stream", "--format", "{{.PIDs}}", "bomb"]);
    stats.assert_code(0);
    let shown: u64 = stats.stdout.trim().parse().expect("PIDS is a number");
    assert!(shown <= 20, "{stats}");

    // rm -f kills every process of the container, not only its init.
    env.minidocker(&["rm", "-f", "bomb"]).assert_clean_success();
    bomb.wait().assert_code(137);
    assert!(env.processes_inside().is_empty(), "{:?}", env.processes_inside());
    assert!(!pids.exists(), "{} is still there", pids.display());
    assert_no_cgroups(&env);
}

#[test]
fn a_cpu_quota_shows_in_the_cgroup_and_its_counters() {
    root_test!();
    let env = TestEnv::new();
    // A spinner under --cpus 0.2; after 20 CFS periods the container reports its own view of
    // the quota and the counters (v1: cpu.cfs_*, cpu.stat, cpuacct.usage; v2: cpu.max, cpu.stat).
    let script = r#"
        while :; do :; done &
        cd /sys/fs/cgroup
        if [ -f cpu.max ]; then stat=cpu.stat; else stat=cpu/cpu.stat; fi
        while [ "$(awk '/^nr_periods/ {print $2}' $stat)" -lt 20 ]; do sleep 0.1; done
        if [ -f cpu.max ]; then
            set -- $(cat cpu.max); echo "quota=$1 period=$2"
            echo "usage_ns=$(( $(awk '/^usage_usec/ {print $2}' cpu.stat) * 1000 ))"
        else
            echo "quota=$(cat cpu/cpu.cfs_quota_us) period=$(cat cpu/cpu.cfs_period_us)"
            echo "usage_ns=$(cat cpuacct/cpuacct.usage)"
        fi
        echo "periods=$(awk '/^nr_periods/ {print $2}' $stat)"
        echo "throttled=$(awk '/^nr_throttled/ {print $2}' $stat)"
    "#;
    let out = env.run(&["--rm", "--cpus", "0.2", "busybox", "sh", "-c", script]);
    out.assert_clean_success();
    let value = |key: &str| -> u64 {
        out.stdout
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in:\n{out}"))
    };
    assert_eq!((value("quota"), value("period")), (20_000, 100_000), "{out}");
    let periods = value("periods");
    assert!(periods >= 20, "{out}");
    assert!(value("throttled") >= 1, "the spinner was never throttled:\n{out}");
    // At most 20ms of CPU per 100ms period (a little slack for the setup before the spinner);
    // unthrottled, one spinner would use the whole 100ms.
    let allowed = (periods + 2) * 20_000_000 * 5 / 4;
    assert!(
        value("usage_ns") <= allowed,
        "used {}ns in {periods} periods (at most {allowed}ns allowed):\n{out}",
        value("usage_ns")
    );
    assert_no_cgroups(&env);
}

#[test]
fn cpuset_pinning_is_visible_inside() {
    root_test!();
    let env = TestEnv::new();
    let out = env.run(&[
        "--name",
        "pinned",
        "--cpuset-cpus",
        "0",
        "busybox",
        "grep",
        "Cpus_allowed_list",
        "/proc/self/status",
    ]);
    out.assert_clean_success()
        .assert_stdout("Cpus_allowed_list:\t0\n");
    let (id, _) = env.find_container("pinned").expect("pinned exists");
    assert_eq!(host_config(&env, &id)["CpusetCpus"], "0");
    assert_no_cgroups(&env);
}

#[test]
fn the_container_sees_its_own_cgroup_read_only() {
    root_test!();
    let env = TestEnv::new();
    let script = match version() {
        CgroupVersion::V1 => {
            "cat /proc/self/cgroup | grep -c -v ':/$'; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; \
             cat /sys/fs/cgroup/pids/pids.max; touch /sys/fs/cgroup/pids/x 2>&1; mkdir /sys/fs/cgroup/y 2>&1; true"
        }
        CgroupVersion::V2 => {
            "cat /proc/self/cgroup | grep -c -v ':/$'; cat /sys/fs/cgroup/memory.max; \
             cat /sys/fs/cgroup/pids.max; touch /sys/fs/cgroup/x 2>&1; mkdir /sys/fs/cgroup/y 2>&1; true"
        }
    };
    let out = env.run(&[
        "--rm",
        "-m",
        "32m",
        "--pids-limit",
        "50",
        "busybox",
        "sh",
        "-c",
        script,
    ]);
    out.assert_code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    // Every line of /proc/self/cgroup says `/`: the container's cgroup is its namespace's root.
    assert_eq!(lines[0], "0", "{out}");
    assert_eq!(lines[1], (32 * MB).to_string(), "{out}");
    assert_eq!(lines[2], "50", "{out}");
    assert!(lines[3].ends_with("Read-only file system"), "{out}");
    assert!(lines[4].ends_with("Read-only file system"), "{out}");
    assert_no_cgroups(&env);
}

#[test]
fn pause_freezes_the_container_and_unpause_resumes_it() {
    root_test!();
    let env = TestEnv::new();
    let run = env.spawn_run(&[
        "--name",
        "counter",
        "--network",
        "none",
        "busybox",
        "sh",
        "-c",
        "i=0; while :; do i=$((i+1)); echo $i > /tmp/c.new; mv /tmp/c.new /tmp/c; sleep 0.01; done",
    ]);
    let pid = env.wait_for_running("counter", STARTUP);
    let (id, _) = env.find_container("counter").expect("counter exists");
    let counter_file = PathBuf::from(format!("/proc/{pid}/root/tmp/c"));
    let counter = || -> u64 {
        std::fs::read_to_string(&counter_file)
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    };
    assert!(
        eventually(Duration::from_secs(30), || counter() > 2),
        "the counter never ran"
    );

    env.minidocker(&["pause", "counter"])
        .assert_clean_success()
        .assert_stdout("counter\n");
    let ps = env.minidocker(&["ps", "--format", "{{.Status}}|{{.State}}"]);
    assert!(ps.stdout.trim_end().ends_with("(Paused)|paused"), "{ps}");
    let config = env.config(&id);
    assert_eq!(config["State"]["Paused"], true);
    assert_eq!(config["State"]["Running"], true);
    assert_eq!(config["State"]["Status"], "paused");
    let frozen_at = counter();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(counter(), frozen_at, "the counter moved while paused");

    env.minidocker(&["pause", "counter"])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: Container {id} is already paused\n"
        ));
    env.minidocker(&["rm", "counter"]).assert_code(1).assert_stderr(&format!(
        "Error response from daemon: You cannot remove a paused container {id}. Unpause and then stop the container before attempting removal or force remove\n"
    ));

    env.minidocker(&["unpause", "counter"])
        .assert_clean_success()
        .assert_stdout("counter\n");
    assert!(
        eventually(Duration::from_secs(30), || counter() > frozen_at),
        "the counter did not resume"
    );
    assert_eq!(env.config(&id)["State"]["Status"], "running");
    env.minidocker(&["unpause", "counter"])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: Container {id} is not paused\n"
        ));

    // A paused container is killed by rm -f all the same (the freezer is thawed for SIGKILL).
    env.minidocker(&["pause", "counter"]).assert_clean_success();
    env.minidocker(&["rm", "-f", "counter"])
        .assert_clean_success()
        .assert_stdout("counter\n");
    run.wait().assert_code(137);
    assert!(env.processes_inside().is_empty());
    assert_no_cgroups(&env);
}

#[test]
fn pause_and_unpause_refuse_containers_that_do_not_run() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "done", "busybox", "true"]).assert_code(0);
    let (id, _) = env.find_container("done").expect("done exists");
    // Docker's CLI goes on after an error and reports them all at the end, exit 1.
    env.minidocker(&["pause", "done", "nosuch"])
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr(&format!(
            "Error response from daemon: Container {id} is not running\nError response from daemon: No such container: nosuch\n"
        ));
    env.minidocker(&["unpause", "done"])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: Container {id} is not paused\n"
        ));
    env.minidocker(&["pause"]).assert_code(1).assert_stderr(
        "minidocker: 'minidocker pause' requires at least 1 argument\n\nUsage:  minidocker pause CONTAINER [CONTAINER...]\n\nSee 'minidocker pause --help' for more information\n",
    );
}

#[test]
fn stats_shows_dockers_columns_from_the_cgroup() {
    root_test!();
    let env = TestEnv::new();
    // --network none: only lo, whose traffic Docker does not count
    let _web = env.spawn_run(&[
        "--name",
        "web",
        "--network",
        "none",
        "-m",
        "64m",
        "busybox",
        "sleep",
        "300",
    ]);
    env.wait_for_running("web", STARTUP);
    let (id, _) = env.find_container("web").expect("web exists");

    let out = env.minidocker(&["stats", "--no-stream", "web"]);
    out.assert_clean_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS",
        "{out}"
    );
    assert_eq!(lines.len(), 2, "{out}");
    let cells: Vec<&str> = lines[1]
        .split("   ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cells[0], &id[..12], "{out}");
    assert_eq!(cells[1], "web");
    assert!(cells[2].ends_with('%'), "{out}");
    assert!(cells[3].ends_with(" / 64MiB"), "{out}");
    assert_eq!(cells[5], "0B / 0B", "only lo: no network traffic counted\n{out}");
    assert_eq!(cells[7], "1", "{out}");

    let json = env.minidocker(&["stats", "--no-stream", "--no-trunc", "--format", "json"]);
    let row: Value = serde_json::from_str(json.stdout.trim()).expect("one JSON row");
    let keys: Vec<&str> = row
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "BlockIO",
            "CPUPerc",
            "Container",
            "ID",
            "MemPerc",
            "MemUsage",
            "Name",
            "NetIO",
            "PIDs"
        ]
    );
    assert_eq!(row["ID"], id.as_str());
    assert_eq!(
        row["Container"],
        id.as_str(),
        "listing: the Container column is the id"
    );

    // A stopped container reads all zero; -a lists it.
    env.run(&["--name", "stopped", "busybox", "true"]).assert_code(0);
    let all = env.minidocker(&[
        "stats",
        "--no-stream",
        "-a",
        "--format",
        "{{.Name}}|{{.MemUsage}}|{{.PIDs}}",
    ]);
    assert!(all.stdout.lines().any(|l| l == "stopped|0B / 0B|0"), "{all}");
    let running = env.minidocker(&["stats", "--no-stream", "--format", "{{.Name}}"]);
    assert_eq!(running.stdout, "web\n");

    env.minidocker(&["stats", "--no-stream", "web", "nosuch1", "nosuch2"])
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr(
            "Error response from daemon: No such container: nosuch1\nError response from daemon: No such container: nosuch2\n",
        );

    // Streaming: the table is redrawn in place every second until interrupted.
    let mut stream = env.cmd(&["stats", "web"]).spawn();
    let first = stream.wait_for_line("CONTAINER ID");
    assert!(first.starts_with("\x1b[H"), "{first:?}");
    stream.wait_for_line("CONTAINER ID");
    stream.signal(nix::sys::signal::Signal::SIGINT);
    let ended = stream.wait();
    assert!(ended.stdout.contains("\x1b[K\n"), "{ended}");
    env.minidocker(&["rm", "-f", "web"]).assert_clean_success();
    assert_no_cgroups(&env);
}

#[test]
fn update_changes_the_limits_of_a_running_container() {
    root_test!();
    let env = TestEnv::new();
    let _app = env.spawn_run(&[
        "--name",
        "app",
        "--network",
        "none",
        "-m",
        "50m",
        "busybox",
        "sleep",
        "300",
    ]);
    env.wait_for_running("app", STARTUP);
    let (id, _) = env.find_container("app").expect("app exists");

    env.minidocker(&[
        "update",
        "-m",
        "100m",
        "--memory-swap",
        "200m",
        "--cpus",
        "0.5",
        "--pids-limit",
        "30",
        "app",
    ])
    .assert_clean_success()
    .assert_stdout("app\n");
    let hc = host_config(&env, &id);
    assert_eq!(hc["Memory"], 100 * MB);
    assert_eq!(hc["MemorySwap"], 200 * MB);
    assert_eq!(hc["NanoCpus"], 500_000_000);
    assert_eq!(hc["PidsLimit"], 30);
    let memory = cgroup_dir(&env, Controller::Memory, &id);
    let cpu = cgroup_dir(&env, Controller::Cpu, &id);
    let pids = cgroup_dir(&env, Controller::Pids, &id);
    match version() {
        CgroupVersion::V1 => {
            assert_eq!(
                read(&memory.join("memory.limit_in_bytes")),
                (100 * MB).to_string()
            );
            assert_eq!(
                read(&memory.join("memory.memsw.limit_in_bytes")),
                (200 * MB).to_string()
            );
            assert_eq!(read(&cpu.join("cpu.cfs_quota_us")), "50000");
        }
        CgroupVersion::V2 => {
            assert_eq!(read(&memory.join("memory.max")), (100 * MB).to_string());
            assert_eq!(read(&cpu.join("cpu.max")), "50000 100000");
        }
    }
    assert_eq!(read(&pids.join("pids.max")), "30");

    // Docker's errors: the merge with what is saved, the host checks, the CLI's own.
    env.minidocker(&["update", "-m", "500m", "app"]).assert_code(1).assert_stderr(&format!(
        "Error response from daemon: Cannot update container {id}: Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time\n"
    ));
    env.minidocker(&["update", "--cpu-quota", "20000", "app"])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: Cannot update container {id}: Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set\n"
        ));
    env.minidocker(&["update", "-m", "1m", "app"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: Minimum memory limit allowed is 6MB\n");
    env.minidocker(&["update", "app"])
        .assert_code(1)
        .assert_stderr("you must provide one or more flags when using this command\n");
    env.minidocker(&["update", "-m", "1zb", "app"]).assert_code(125).assert_stderr(
        "invalid argument \"1zb\" for \"-m, --memory\" flag: invalid suffix: 'zb'\n\nUsage:  minidocker update [OPTIONS] CONTAINER [CONTAINER...]\n\nRun 'minidocker update --help' for more information\n",
    );
    env.minidocker(&["update", "--pids-limit", "-1", "app", "nosuch"])
        .assert_code(1)
        .assert_stdout("app\n")
        .assert_stderr("Error response from daemon: No such container: nosuch\n");
    assert_eq!(host_config(&env, &id)["PidsLimit"], 0);
    assert_eq!(read(&pids.join("pids.max")), "max");

    // A stopped container: only its saved config changes.
    env.run(&["--name", "idle", "-m", "50m", "busybox", "true"])
        .assert_code(0);
    let (idle, _) = env.find_container("idle").expect("idle exists");
    env.minidocker(&["update", "--cpu-shares", "512", "idle"])
        .assert_clean_success();
    assert_eq!(host_config(&env, &idle)["CpuShares"], 512);

    env.minidocker(&["rm", "-f", "app"]).assert_clean_success();
    assert_no_cgroups(&env);
}

#[test]
fn bad_limits_get_dockers_errors_before_anything_is_created() {
    root_test!();
    let env = TestEnv::new();
    let host = host();
    let flag_error = |problem: &str| {
        format!(
            "{problem}\n\nUsage:  minidocker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nRun 'minidocker run --help' for more information\n"
        )
    };
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["-m", "1m"],
            daemon_error("Minimum memory limit allowed is 6MB"),
        ),
        (
            vec!["-m", "12zb"],
            flag_error("invalid argument \"12zb\" for \"-m, --memory\" flag: invalid suffix: 'zb'"),
        ),
        (
            vec!["--memory-swap", "10m"],
            daemon_error("You should always set the Memory limit when using Memoryswap limit, see usage"),
        ),
        (
            vec!["-m", "10m", "--memory-swap", "5m"],
            daemon_error("Minimum memoryswap limit should be larger than memory limit, see usage"),
        ),
        (
            vec!["--memory-reservation", "1k"],
            daemon_error("Minimum memory reservation allowed is 6MB"),
        ),
        (
            vec!["--cpus", "99"],
            daemon_error(&format!(
                "Range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available",
                n = host.ncpu
            )),
        ),
        (
            vec!["--cpus", "abc"],
            flag_error(
                "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number",
            ),
        ),
        (
            vec!["--cpu-period", "10"],
            daemon_error(
                "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)",
            ),
        ),
        (
            vec!["--cpu-quota", "10"],
            daemon_error("CPU cfs quota can not be less than 1ms (i.e. 1000)"),
        ),
        (
            vec!["--cpus", "1", "--cpu-period", "100000"],
            daemon_error("Conflicting options: Nano CPUs and CPU Period cannot both be set"),
        ),
        (
            vec!["--cpuset-cpus", "99"],
            daemon_error(&format!(
                "Requested CPUs are not available - requested 99, available: {}",
                host.cpus
            )),
        ),
        (
            vec!["--cpuset-mems", "99"],
            daemon_error(&format!(
                "Requested memory nodes are not available - requested 99, available: {}",
                host.mems
            )),
        ),
        (
            vec!["-c", "x"],
            flag_error(
                "invalid argument \"x\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"x\": invalid syntax",
            ),
        ),
        (
            vec!["--pids-limit", "abc"],
            flag_error(
                "invalid argument \"abc\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax",
            ),
        ),
        (
            vec!["--blkio-weight", "5000000"],
            flag_error(
                "invalid argument \"5000000\" for \"--blkio-weight\" flag: strconv.ParseUint: parsing \"5000000\": value out of range",
            ),
        ),
        (
            vec!["--oom-kill-disable=maybe"],
            flag_error(
                "invalid argument \"maybe\" for \"--oom-kill-disable\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax",
            ),
        ),
        // Docker accepts this and cleans the path; minidocker refuses to climb out of its parent.
        (
            vec!["--cgroup-parent", "../x"],
            daemon_error("invalid cgroup path \"../x\": '.' and '..' are not allowed"),
        ),
    ];
    for (flags, expected) in cases {
        let args: Vec<&str> = flags.iter().copied().chain(["busybox", "true"]).collect();
        env.run(&args).assert_code(125).assert_stderr(&expected);
    }
    // The limits are checked before the image is looked for (no pull, no "Unable to find").
    env.run(&["-m", "1m", "nosuch-image", "true"])
        .assert_code(125)
        .assert_stderr(&daemon_error("Minimum memory limit allowed is 6MB"));
    assert!(env.container_ids().is_empty(), "{:?}", env.container_ids());
    assert_no_cgroups(&env);
}

#[test]
fn unsupported_or_risky_settings_get_dockers_warnings() {
    root_test!();
    let env = TestEnv::new();
    let out = env.run(&["--rm", "--oom-kill-disable", "busybox", "true"]);
    out.assert_code(0);
    let expected = match host().oom_kill_disable {
        true => {
            "WARNING: OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.\n"
        }
        false => "WARNING: Your kernel does not support OomKillDisable. OomKillDisable discarded.\n",
    };
    out.assert_stderr(expected);
}

#[test]
fn oom_kill_disable_leaves_a_hog_waiting_on_v1() {
    root_test!();
    if version() != CgroupVersion::V1 {
        eprintln!("skipped: cgroup v2 has no OOM-kill switch (the flag is dropped with a warning)");
        return;
    }
    let env = TestEnv::new();
    let hog = env.spawn_run(&[
        "--name",
        "waiting",
        "--network",
        "none",
        "--oom-kill-disable",
        "-m",
        "16m",
        // A hog that touches its memory itself: only faults of user space wait under OOM (a
        // charge in the kernel, like read(2) filling dd's buffer, fails with ENOMEM instead).
        "busybox",
        "awk",
        "BEGIN { s = \"x\"; while (1) s = s s }",
    ]);
    env.wait_for_running("waiting", STARTUP);
    let (id, _) = env.find_container("waiting").expect("waiting exists");
    let memory = cgroup_dir(&env, Controller::Memory, &id);
    // Not killed: the hog waits under OOM for memory that never comes.
    assert!(
        eventually(Duration::from_secs(30), || {
            keyed(&read(&memory.join("memory.oom_control")), "under_oom") == Some(1)
        }),
        "{}",
        read(&memory.join("memory.oom_control"))
    );
    assert_eq!(
        keyed(&read(&memory.join("memory.oom_control")), "oom_kill"),
        Some(0)
    );
    assert_eq!(host_config(&env, &id)["OomKillDisable"], true);
    env.minidocker(&["rm", "-f", "waiting"]).assert_clean_success();
    hog.wait().assert_code(137);
    assert_no_cgroups(&env);
}

#[test]
fn cgroup_parent_places_the_cgroup_under_it() {
    root_test!();
    let env = TestEnv::new();
    let parent = format!("{}/custom", env.cgroup_parent());
    let _c = env.spawn_run(&[
        "--name",
        "placed",
        "--network",
        "none",
        "--cgroup-parent",
        &parent,
        "busybox",
        "sleep",
        "300",
    ]);
    env.wait_for_running("placed", STARTUP);
    let (id, _) = env.find_container("placed").expect("placed exists");
    assert_eq!(host_config(&env, &id)["CgroupParent"], parent.as_str());
    let pids = env
        .cgroup_dir(Controller::Pids, "custom")
        .expect("pids is mounted")
        .join(&id);
    assert!(pids.is_dir(), "{} does not exist", pids.display());
    env.minidocker(&["rm", "-f", "placed"]).assert_clean_success();
    assert!(!pids.exists(), "{} is still there", pids.display());
}
