//! How long does it take to start `busybox true` as a container, compared with the floors?
//!
//! Three benchmarks in one group, measured in one run on one busybox rootfs, so their *ratios*
//! hold even on a busy machine:
//!
//! * `fork_exec`: `std::process::Command` runs `<rootfs>/bin/busybox true`: the floor of any
//!   process start (fork, exec, exit, wait).
//! * `unshare`: util-linux `unshare -fpmiun --mount-proc <rootfs>/bin/busybox true`: five new
//!   namespaces and a `/proc` mount, the floor of a container start.
//! * `chapter_crates`: the container minidocker starts, through the chapter crates
//!   (`minidocker::runtime::launch`): six namespaces, Docker's mounts, devices, `pivot_root`,
//!   masked paths, the capability drop, then `supervise` until it exits.
//!
//! Run as root: `cargo bench -p minidocker-benches --bench container_start && benches/report`.

use std::hint::black_box;
use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use minidocker_benches::{BusyboxContainer, run_container};

fn container_start(c: &mut Criterion) {
    if !running_as_root() {
        eprintln!("container_start: skipped, needs root (namespaces, mounts, pivot_root)");
        return;
    }
    let container = BusyboxContainer::create().expect("building the busybox rootfs");
    let busybox = container.busybox();
    let spec = container
        .launch_spec(&["/bin/true"])
        .expect("resolving the container's user");
    // Fail fast, outside the measurement, if any path cannot start at all.
    assert_eq!(run_container(&spec), Ok(0), "chapter crates: busybox true");
    assert!(
        unshare(&busybox).success(),
        "unshare -fpmiun --mount-proc busybox true"
    );

    let mut group = c.benchmark_group("container_start");
    // Each iteration takes milliseconds: flat sampling (same iteration count in every sample),
    // 30 samples in ~6 s per benchmark keep the whole run well under a minute.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(30);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(6));

    group.bench_function("chapter_crates", |b| {
        b.iter(|| {
            let code = run_container(black_box(&spec)).expect("starting the container");
            assert_eq!(code, 0, "busybox true in the container");
        });
    });
    group.bench_function("fork_exec", |b| {
        b.iter(|| {
            let status = Command::new(black_box(&busybox))
                .arg("true")
                .status()
                .expect("spawning busybox");
            assert!(status.success());
        });
    });
    group.bench_function("unshare", |b| {
        b.iter(|| assert!(unshare(black_box(&busybox)).success()));
    });
    group.finish();
}

/// `unshare -fpmiun --mount-proc <busybox> true`: new PID, mount, IPC, UTS and network
/// namespaces, `/proc` remounted, fork, exec.
fn unshare(busybox: &std::path::Path) -> std::process::ExitStatus {
    Command::new("unshare")
        .args(["-fpmiun", "--mount-proc"])
        .arg(busybox)
        .arg("true")
        .stdin(Stdio::null())
        .status()
        .expect("running unshare(1) from util-linux")
}

/// Effective uid 0, read from `/proc/self/status` (no libc dependency for one call).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                l.strip_prefix("Uid:")
                    .map(|v| v.split_whitespace().nth(1) == Some("0"))
            })
        })
        .unwrap_or(false)
}

criterion_group!(benches, container_start);
criterion_main!(benches);
