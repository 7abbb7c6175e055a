//! Privileged: a process that allocates past its memory limit is killed by the kernel's OOM
//! killer, and the cgroup's OOM counters say so.

mod common;

use std::os::unix::process::ExitStatusExt;

use ch06_cgroups::{Hierarchy, HostInfo, HostSys, Resources, validate};
use common::TestCgroup;

/// `-m <memory> --memory-swap <memory>` (no swap), through Docker's validation for this host.
fn no_swap(memory: i64) -> Resources {
    let hierarchy = Hierarchy::detect().expect("detect the cgroup layout");
    let host = HostInfo::detect(&hierarchy, &HostSys).expect("probe the host");
    let requested = Resources {
        memory,
        memory_swap: memory,
        ..Default::default()
    };
    validate(&requested, &host, false)
        .expect("valid for Docker")
        .resources
}

const MB: i64 = 1024 * 1024;

#[test]
fn a_memory_hog_is_oom_killed_and_counted() {
    let Some(mut t) = TestCgroup::create("oom") else {
        return;
    };
    t.cg.apply(&no_swap(16 * MB)).unwrap();
    // dd's 64 MiB block buffer is filled from /dev/zero: every page of it is touched.
    let pid = t.spawn("exec dd if=/dev/zero of=/dev/null bs=64M count=1");
    let status = t.wait(pid);
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");

    let stats = t.cg.stats().unwrap();
    assert!(stats.oom.oom_kills >= 1, "{:?}", stats.oom);
    if let Some(events) = stats.oom.oom_events {
        assert!(events >= 1, "{:?}", stats.oom);
    }
    assert_eq!(
        stats.memory.max_usage.unwrap_or(16 << 20),
        16 << 20,
        "{:?}",
        stats.memory
    );
    assert!(t.cg.pids().unwrap().is_empty());
}

#[test]
fn a_process_within_its_limit_is_left_alone() {
    let Some(mut t) = TestCgroup::create("nooom") else {
        return;
    };
    t.cg.apply(&no_swap(64 * MB)).unwrap();
    let pid = t.spawn("exec dd if=/dev/zero of=/dev/null bs=8M count=2");
    let status = t.wait(pid);
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert_eq!(t.cg.stats().unwrap().oom.oom_kills, 0);
}
