//! What does an overlay mount cost through chapter 4, per lower layer, compared with the bare
//! system call?
//!
//! One iteration mounts N one-file lower layers (plus an upper and a work dir) on a mount point
//! and unmounts it again, for N = 1, 8, 32, 64, 128:
//!
//! * `ours_legacy/N`: `ch04_layers::mount_overlay(.., MountApi::Legacy)` (builds the data
//!   string, checks it fits in a page, mount(2) through nix), then `ch04_layers::unmount`;
//! * `raw_mount/N`: `libc::mount` with the *same* data string (from `legacy_mount_data`,
//!   prepared once, outside the loop), then `libc::umount2`: the floor;
//! * `ours_fsconfig/N`: the same layers through the new mount API (fsopen(2), one
//!   `fsconfig(.., "lowerdir+", ..)` per layer, fsmount(2), move_mount(2)), then also
//!   N = 500, overlayfs' maximum, which one mount(2) page cannot describe.
//!
//! Everything happens in a private mount namespace (nothing reaches the host's mount table,
//! even if the process is killed), on a tmpfs mounted on a temp dir: with the upper dir on a
//! disk filesystem, every unmount syncs that whole filesystem (overlayfs' `sync_fs`), and the
//! time then depends on what the rest of the machine has written. Guards unmount the
//! overlay (whatever an iteration that panicked left mounted) and the tmpfs.
//!
//! Before criterion's benchmarks, a paired pass (see `minidocker_benches::paired`) runs ours
//! and raw alternately, 400 times per N, and writes the medians and the median ratio to
//! `target/criterion/overlay_mount/paired.json`: on 2 busy cores one mount costs anything from
//! 0.2 to 1.5 ms (an unmount waits for an RCU grace period, which the other core's load
//! stretches), so only runs taken a moment apart compare well. `benches/report` fits
//! time = a + b × N to each side's paired medians: b, the cost of one more layer, is compared
//! between ours and raw.
//!
//! Run as root: `cargo bench -p minidocker-benches --bench overlay_mount && benches/report`.

use std::ffi::{CStr, CString};
use std::hint::black_box;
use std::time::Duration;

use ch04_layers::overlay::{OVL_MAX_STACK, mount_data_limit};
use ch04_layers::{MountApi, OverlayLayers, detect_mount_api, legacy_mount_data, mount_overlay, unmount};
use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use minidocker_benches::mounts::{LayerStack, MountGuard, c_path, is_mount_point, private_mount_namespace};
use minidocker_benches::paired::{Paired, PairedReport};
use minidocker_benches::timed;

/// The layer counts of the legacy (one-page) comparison. 128 is Docker's `maxDepth`.
const COUNTS: [usize; 5] = [1, 8, 32, 64, 128];

fn overlay_mount(c: &mut Criterion) {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("overlay_mount: skipped, needs root (mount(2), overlayfs)");
        return;
    }
    private_mount_namespace().expect("unshare(CLONE_NEWNS) and making / private");
    let fsconfig = detect_mount_api() == MountApi::FsConfig;
    let count = if fsconfig { OVL_MAX_STACK } else { 128 };
    let stack = LayerStack::create(count, true).expect("creating the lower layers on a tmpfs");
    let merged = stack.merged();
    let c_merged = c_path(&merged);
    let guard = MountGuard::new(&merged);
    check_setup(&stack, fsconfig);
    paired_pass(&stack);

    let mut group = c.benchmark_group("overlay_mount");
    // Flat sampling (every sample the same number of iterations), so that `benches/report` can
    // use the median sample, which a burst of load elsewhere barely moves. 16 benchmarks of
    // ~3 s each, plus criterion's analysis and plots: about two minutes.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(30);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(2));

    for n in COUNTS {
        let layers = stack.layers(n);
        let data = c_data(&layers);
        let ours = || {
            mount_overlay(black_box(&layers), &merged, MountApi::Legacy).expect("mount_overlay");
            unmount(&merged).expect("unmount");
        };
        let raw = || {
            raw_mount(black_box(&data), &c_merged);
            raw_umount(&c_merged);
        };
        group.bench_function(BenchmarkId::new("ours_legacy", n), |b| b.iter(ours));
        group.bench_function(BenchmarkId::new("raw_mount", n), |b| b.iter(raw));
        if fsconfig {
            group.bench_with_input(BenchmarkId::new("ours_fsconfig", n), &layers, |b, layers| {
                b.iter(|| {
                    mount_overlay(black_box(layers), &merged, MountApi::FsConfig).expect("mount_overlay");
                    unmount(&merged).expect("unmount");
                });
            });
        }
    }
    if fsconfig {
        let layers = stack.layers(OVL_MAX_STACK);
        group.bench_with_input(
            BenchmarkId::new("ours_fsconfig", OVL_MAX_STACK),
            &layers,
            |b, layers| {
                b.iter(|| {
                    mount_overlay(black_box(layers), &merged, MountApi::FsConfig).expect("mount_overlay");
                    unmount(&merged).expect("unmount");
                });
            },
        );
    } else {
        eprintln!(
            "overlay_mount: ours_fsconfig skipped: this kernel's overlayfs has no fsconfig \
             `lowerdir+` (Linux >= 6.8), so 500 layers cannot be mounted"
        );
    }
    group.finish();
    drop(guard);
}

/// Ours and raw alternately, [`PAIRS`] times per layer count; see the module documentation.
fn paired_pass(stack: &LayerStack) {
    let merged = stack.merged();
    let c_merged = c_path(&merged);
    let mut report = PairedReport::new("overlay_mount", "ours_legacy", "raw_mount");
    for n in COUNTS {
        let layers = stack.layers(n);
        let data = c_data(&layers);
        let ours = || {
            timed(|| {
                mount_overlay(&layers, &merged, MountApi::Legacy).expect("mount_overlay");
                unmount(&merged).expect("unmount");
            })
        };
        let raw = || {
            timed(|| {
                raw_mount(&data, &c_merged);
                raw_umount(&c_merged);
            })
        };
        report.add(&n.to_string(), Paired::measure(PAIRS, ours, raw));
    }
    match report.write() {
        Ok(path) => eprintln!("overlay_mount: paired results in {}", path.display()),
        Err(e) => eprintln!("overlay_mount: writing the paired results: {e}"),
    }
}

/// Pairs per layer count in the paired pass: a few seconds in all.
const PAIRS: usize = 400;

/// Outside the measurement: every way of mounting works and shows every layer, the mount point
/// is free again afterwards, and (when the kernel has it) 500 layers mount through fsconfig
/// while mount(2) could not even be asked.
fn check_setup(stack: &LayerStack, fsconfig: bool) {
    let merged = stack.merged();
    let visible = || std::fs::read_dir(&merged).map(Iterator::count).unwrap_or(0);
    let data = legacy_mount_data(&stack.layers(128));
    assert!(
        data.len() <= mount_data_limit(),
        "overlay_mount: 128 layers need {} bytes of mount(2) data, over the {}-byte page: \
         set TMPDIR to a shorter directory",
        data.len(),
        mount_data_limit()
    );
    for n in COUNTS {
        mount_overlay(&stack.layers(n), &merged, MountApi::Legacy).expect("mount_overlay (legacy)");
        assert_eq!(visible(), n, "ours_legacy/{n}: every layer's file is visible");
        unmount(&merged).expect("unmount");
        raw_mount(&c_data(&stack.layers(n)), &c_path(&merged));
        assert_eq!(visible(), n, "raw_mount/{n}: every layer's file is visible");
        raw_umount(&c_path(&merged));
        assert!(!is_mount_point(&merged), "the mount point is free again");
    }
    if fsconfig {
        let all = stack.layers(OVL_MAX_STACK);
        assert!(
            legacy_mount_data(&all).len() > mount_data_limit(),
            "500 layers do not fit in one mount(2) page"
        );
        if let Err(e) = mount_overlay(&all, &merged, MountApi::FsConfig) {
            panic!(
                "overlay_mount: {OVL_MAX_STACK} lower layers must mount through fsopen/fsconfig \
                 `lowerdir+` (MountApi::FsConfig) on this kernel, but: {e}"
            );
        }
        assert_eq!(
            visible(),
            OVL_MAX_STACK,
            "ours_fsconfig/{OVL_MAX_STACK}: every layer's file is visible"
        );
        unmount(&merged).expect("unmount");
        eprintln!("overlay_mount: {OVL_MAX_STACK} lower layers mounted through fsconfig lowerdir+");
    }
}

/// The mount(2) data string chapter 4 builds for `layers`, as a C string.
fn c_data(layers: &OverlayLayers) -> CString {
    CString::new(legacy_mount_data(layers)).expect("mount data without NUL bytes")
}

/// mount(2), nothing else: `mount("overlay", target, "overlay", 0, data)`.
fn raw_mount(data: &CStr, target: &CStr) {
    // SAFETY: mount(2) with three NUL-terminated strings that outlive the call and a data
    // string the kernel copies (one page at most) before it returns.
    let rc = unsafe {
        libc::mount(
            c"overlay".as_ptr(),
            target.as_ptr(),
            c"overlay".as_ptr(),
            0,
            data.as_ptr().cast(),
        )
    };
    assert_eq!(rc, 0, "mount(2): {}", std::io::Error::last_os_error());
}

/// umount2(2) without flags, as `ch04_layers::unmount` does.
fn raw_umount(target: &CStr) {
    // SAFETY: umount2(2) with a NUL-terminated path that outlives the call.
    let rc = unsafe { libc::umount2(target.as_ptr(), 0) };
    assert_eq!(rc, 0, "umount2(2): {}", std::io::Error::last_os_error());
}

criterion_group!(benches, overlay_mount);
criterion_main!(benches);
