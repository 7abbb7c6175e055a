//! Privileged: a cgroup's whole life on the real kernel, through the one interface:
//! create, apply limits, add a process, freeze, thaw, stats, kill, remove.
//! Runs on whichever cgroup version the host has.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use ch06_cgroups::{CgroupError, Controller, FreezerState, Resources, Waits};
use common::{TestCgroup, eventually};

const MB: i64 = 1024 * 1024;

fn proc_state(pid: nix::unistd::Pid) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

#[test]
fn create_limit_add_freeze_thaw_stats_kill_remove() {
    let Some(mut t) = TestCgroup::create("lifecycle") else {
        return;
    };
    let resources = Resources {
        memory: 64 * MB,
        memory_swap: 64 * MB,
        memory_reservation: 32 * MB,
        nano_cpus: 500_000_000,
        cpu_shares: 512,
        pids_limit: Some(50),
        ..Default::default()
    };
    t.cg.apply(&resources).unwrap();

    // The limits are in the kernel's files.
    if t.is_v1() {
        assert_eq!(t.read(Controller::Memory, "memory.limit_in_bytes"), "67108864");
        assert_eq!(
            t.read(Controller::Memory, "memory.memsw.limit_in_bytes"),
            "67108864"
        );
        assert_eq!(
            t.read(Controller::Memory, "memory.soft_limit_in_bytes"),
            "33554432"
        );
        assert_eq!(t.read(Controller::Cpu, "cpu.cfs_quota_us"), "50000");
        assert_eq!(t.read(Controller::Cpu, "cpu.cfs_period_us"), "100000");
        assert_eq!(t.read(Controller::Cpu, "cpu.shares"), "512");
    } else {
        assert_eq!(t.read(Controller::Memory, "memory.max"), "67108864");
        assert_eq!(t.read(Controller::Memory, "memory.low"), "33554432");
        assert_eq!(t.read(Controller::Cpu, "cpu.max"), "50000 100000");
        assert_eq!(t.read(Controller::Cpu, "cpu.weight"), "20");
    }
    assert_eq!(t.read(Controller::Pids, "pids.max"), "50");

    // A process goes in; /proc agrees. (It runs `exec` inside, so its memory and CPU time are
    // charged here: v1 does not move what a process used before it moved.)
    let pid = t.spawn("exec sleep 300");
    assert_eq!(t.cg.pids().unwrap(), [pid]);
    assert!(eventually(|| std::fs::read_to_string(format!(
        "/proc/{pid}/comm"
    ))
    .is_ok_and(|c| c.trim() == "sleep")));
    let proc_cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    let dir = t.cg.controller_dir(Controller::Pids).unwrap();
    let leaf = dir.file_name().unwrap().to_str().unwrap();
    assert!(
        proc_cgroup
            .lines()
            .any(|l| l.ends_with(&format!("/minidocker/{leaf}"))),
        "{proc_cgroup}"
    );

    // Pause and unpause.
    assert_eq!(t.cg.freezer_state().unwrap(), FreezerState::Thawed);
    t.cg.freeze().unwrap();
    assert_eq!(t.cg.freezer_state().unwrap(), FreezerState::Frozen);
    t.cg.thaw().unwrap();
    assert_eq!(t.cg.freezer_state().unwrap(), FreezerState::Thawed);
    assert!(eventually(|| proc_state(pid) == Some('S')));

    // Counters.
    let stats = t.cg.stats().unwrap();
    assert_eq!(stats.pids.current, 1);
    assert_eq!(stats.pids.limit, Some(50));
    assert_eq!(stats.memory.limit, Some(64 << 20));
    assert!(stats.memory.usage > 0, "{stats:?}");
    assert!(stats.cpu.total_usage > 0, "{stats:?}");

    // Kill and remove.
    t.cg.kill_all().unwrap();
    assert!(t.cg.pids().unwrap().is_empty());
    assert_eq!(t.wait(pid).signal(), Some(libc::SIGKILL));
    t.cg.remove().unwrap();
    for dir in t.cg.dirs() {
        assert!(!dir.exists(), "{} still exists", dir.display());
    }
    // Removing again is fine.
    t.cg.remove().unwrap();
}

#[test]
fn remove_waits_then_names_the_pids_still_inside() {
    let waits = Waits {
        freeze: Duration::from_secs(5),
        empty: Duration::from_millis(200),
    };
    let Some(mut t) = TestCgroup::create_with("busy", waits) else {
        return;
    };
    let pid = t.spawn_sleeper();
    match t.cg.remove() {
        Err(CgroupError::Busy { pids, .. }) => assert_eq!(pids, [pid.as_raw()]),
        other => panic!("expected Busy, got {other:?}"),
    }
    let message = t.cg.remove().unwrap_err().to_string();
    assert!(message.contains(&pid.to_string()), "{message}");
    t.cg.kill_all().unwrap();
    t.cg.remove().unwrap();
}

#[test]
fn an_existing_cgroup_is_never_adopted() {
    let Some(t) = TestCgroup::create("exists") else {
        return;
    };
    match t.cg.create() {
        Err(CgroupError::AlreadyExists { path }) => assert!(path.ends_with(path.file_name().unwrap())),
        other => panic!("expected AlreadyExists, got {other:?}"),
    }
    // The failed create removed nothing of the existing cgroup.
    for dir in t.cg.dirs() {
        assert!(dir.exists(), "{}", dir.display());
    }
}

#[test]
fn a_paused_cgroup_is_killed_too() {
    let Some(mut t) = TestCgroup::create("killpaused") else {
        return;
    };
    let a = t.spawn("sleep 300");
    let b = t.spawn("while :; do sleep 1; done");
    assert!(eventually(|| t.cg.pids().map(|p| p.len() >= 3).unwrap_or(false)));
    t.cg.freeze().unwrap();
    t.cg.kill_all().unwrap();
    assert!(t.cg.pids().unwrap().is_empty());
    assert_eq!(t.wait(a).signal(), Some(libc::SIGKILL));
    assert_eq!(t.wait(b).signal(), Some(libc::SIGKILL));
    assert_eq!(t.cg.freezer_state().unwrap(), FreezerState::Thawed);
}

#[test]
fn a_cpu_quota_shows_in_the_throttling_counters() {
    let Some(mut t) = TestCgroup::create("quota") else {
        return;
    };
    // A tenth of a CPU: 10ms of CPU time in every 100ms period.
    t.cg.apply(&Resources {
        nano_cpus: 100_000_000,
        ..Default::default()
    })
    .unwrap();
    t.spawn("while :; do :; done");
    assert!(eventually(|| t
        .cg
        .stats()
        .map(|s| s.cpu.throttling.periods >= 5)
        .unwrap_or(false)));
    let stats = t.cg.stats().unwrap();
    let throttling = &stats.cpu.throttling;
    eprintln!(
        "cpus=0.1: {} ns of CPU over {} periods, {} throttled for {} ns",
        stats.cpu.total_usage, throttling.periods, throttling.throttled_periods, throttling.throttled_time
    );
    assert!(throttling.throttled_periods > 0, "{throttling:?}");
    assert!(throttling.throttled_time > 0, "{throttling:?}");
    // Usage per period cannot exceed the quota by much (one tick of slack per period).
    assert!(
        stats.cpu.total_usage <= (throttling.periods + 1) * 10_000_000 * 2,
        "{} ns over {} periods",
        stats.cpu.total_usage,
        throttling.periods
    );
}

/// cgroup v1: a process writes `0` to each of `self_join_files` and is in the cgroup in every
/// hierarchy, as if the parent had written its pid to `cgroup.procs`. v2 has no such files.
#[test]
fn a_process_joins_by_itself_through_the_self_join_files() {
    let Some(mut t) = TestCgroup::create("self_join") else {
        return;
    };
    let files = t.cg.self_join_files();
    if !t.is_v1() {
        assert!(files.is_empty(), "{files:?}");
        return;
    }
    assert!(!files.is_empty());
    assert!(files.iter().all(|f| f.ends_with("tasks")), "{files:?}");
    let list = files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let pid = t.spawn_unplaced(
        "for f in $FILES; do echo 0 > \"$f\" || exit 1; done; exec sleep 300",
        &[("FILES", list)],
    );
    assert!(
        eventually(|| t.cg.pids().is_ok_and(|pids| pids.contains(&pid))),
        "the process never showed up in the cgroup"
    );
    // in every hierarchy: each file's directory is the cgroup the process is in there
    let own = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    for file in &files {
        let dir = file.parent().unwrap().display().to_string();
        assert!(
            own.lines()
                .filter_map(|l| l.splitn(3, ':').nth(2))
                .any(|path| path != "/" && dir.ends_with(path)),
            "{dir} not in /proc/{pid}/cgroup:\n{own}"
        );
    }
}

/// The kernel, with a count of what was read or listed (every other call passed through).
#[derive(Debug, Default)]
struct CountingSys {
    reads_and_listings: std::sync::atomic::AtomicUsize,
}

impl ch06_cgroups::Sys for CountingSys {
    fn mkdir(&self, path: &std::path::Path) -> std::io::Result<()> {
        ch06_cgroups::HostSys.mkdir(path)
    }
    fn rmdir(&self, path: &std::path::Path) -> std::io::Result<()> {
        ch06_cgroups::HostSys.rmdir(path)
    }
    fn read(&self, path: &std::path::Path) -> std::io::Result<String> {
        self.reads_and_listings
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ch06_cgroups::HostSys.read(path)
    }
    fn write(&self, path: &std::path::Path, value: &str) -> std::io::Result<()> {
        ch06_cgroups::HostSys.write(path, value)
    }
    fn exists(&self, path: &std::path::Path) -> bool {
        ch06_cgroups::HostSys.exists(path)
    }
    fn subdirs(&self, path: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
        self.reads_and_listings
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        ch06_cgroups::HostSys.subdirs(path)
    }
    fn kill(&self, pid: nix::unistd::Pid, signal: nix::sys::signal::Signal) -> Result<(), nix::errno::Errno> {
        ch06_cgroups::HostSys.kill(pid, signal)
    }
}

#[test]
fn an_empty_cgroup_goes_with_one_rmdir_per_directory_a_child_cgroup_the_careful_way() {
    if !common::is_root("an_empty_cgroup_goes_with_one_rmdir_per_directory") {
        return;
    }
    use ch06_cgroups::{CgroupParent, Hierarchy, open_in};
    let hierarchy = Hierarchy::detect().unwrap();
    let sys = std::sync::Arc::new(CountingSys::default());
    let name = format!("ch06-test-rmdir-first-{}", std::process::id());
    let cg = open_in(
        &hierarchy,
        &name,
        &CgroupParent::default(),
        Waits::default(),
        sys.clone(),
    )
    .unwrap();
    cg.create().unwrap();
    let dirs = cg.dirs();
    // whatever the test leaves when it fails, child cgroup first
    struct RemoveOnDrop(Vec<std::path::PathBuf>);
    impl Drop for RemoveOnDrop {
        fn drop(&mut self) {
            for dir in &self.0 {
                let _ = std::fs::remove_dir(dir);
            }
        }
    }
    let _guard = RemoveOnDrop(
        std::iter::once(dirs[0].join("inner"))
            .chain(dirs.clone())
            .collect(),
    );
    let counted = || sys.reads_and_listings.load(std::sync::atomic::Ordering::Relaxed);
    let before = counted();
    cg.remove().unwrap();
    assert_eq!(
        counted(),
        before,
        "an empty cgroup: nothing read or listed, only rmdir(2)"
    );
    assert!(dirs.iter().all(|d| !d.exists()), "{dirs:?}");

    // a child cgroup inside (what a container may make): rmdir(2) refuses, the careful way
    // removes it child first
    cg.create().unwrap();
    let child = dirs[0].join("inner");
    std::fs::create_dir(&child).unwrap();
    cg.remove().unwrap();
    assert!(counted() > before, "the careful way looked inside");
    assert!(!child.exists() && dirs.iter().all(|d| !d.exists()), "{dirs:?}");
}

#[test]
fn remove_if_empty_leaves_a_cgroup_with_a_process_in_it() {
    let Some(mut t) = TestCgroup::create("remove-if-empty") else {
        return;
    };
    let pid = t.spawn_sleeper();
    assert!(!t.cg.remove_if_empty(), "a process is inside");
    assert!(t.cg.dirs().iter().all(|d| d.exists()), "every directory stays");
    assert_eq!(t.cg.pids().unwrap(), vec![pid]);
    // the careful way still works (and the guard has nothing left to do)
    t.cg.kill_all().unwrap();
    t.cg.remove().unwrap();
    assert!(t.cg.dirs().iter().all(|d| !d.exists()));
}
