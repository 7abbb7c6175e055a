//! Two (or more) builds of minidocker side by side, with crun between them: the tool for
//! deciding whether a change to the run path made it faster, before the whole `end_to_end`
//! bench.
//!
//! `cargo run --release -p minidocker-benches --example ab_run -- ROUNDS BIN_A [BIN_B …]`
//!
//! Each binary gets a daemon of its own (`MinidockerDaemon`: private data root, socket and
//! cgroup parent, busybox imported), all in one new network namespace; crun runs the same
//! rootfs from an OCI bundle. Every round runs `run --rm --network none busybox true` once on
//! each daemon and `crun run` once, in an order shuffled each round
//! (`minidocker_benches::paired::interleave`). Printed: each way's median, p10 and p90, and
//! the median per-round ratio of every way to the first binary and to crun; then each way's
//! median by the way that ran just before it, since what one way leaves running (a daemon's
//! deferred deletions, its next spare shim) is paid by whichever runs next. With
//! `AB_SETTLE_MS=N` in the environment every run starts N ms after the previous one ended, so
//! that nothing one way left running is in the next one's time. Run as root.

use std::time::{Duration, Instant};

use minidocker_benches::BusyboxContainer;
use minidocker_benches::cgroup_scope::BenchCgroupScope;
use minidocker_benches::engines::MinidockerDaemon;
use minidocker_benches::network::enter_new_network_namespace;
use minidocker_benches::oci_peer::{OciBundle, OciRuntime};
use minidocker_benches::paired::{Paired, interleave, median};

const RUN_TRUE: [&str; 6] = ["run", "--rm", "--network", "none", "busybox", "true"];

/// A way's name without the binary's directory: `0:before`, `crun`.
fn short(name: &str) -> String {
    match name.split_once(':') {
        Some((i, path)) => format!("{i}:{}", path.rsplit('/').next().unwrap_or(path)),
        None => name.to_owned(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rounds), binaries) = (
        args.first().and_then(|r| r.parse::<usize>().ok()),
        &args[1.min(args.len())..],
    ) else {
        eprintln!("usage: ab_run ROUNDS MINIDOCKER_BIN [MINIDOCKER_BIN …]");
        std::process::exit(2);
    };
    if binaries.is_empty() || !nix::unistd::geteuid().is_root() {
        eprintln!("ab_run: needs at least one minidocker binary, and root");
        std::process::exit(2);
    }
    enter_new_network_namespace().unwrap_or_else(|e| panic!("entering a new network namespace: {e}"));
    let rootfs = BusyboxContainer::create().expect("building the busybox rootfs");
    let tar = rootfs.rootfs_tar().expect("the busybox rootfs as a tar");
    let cgroups = BenchCgroupScope::reserve().unwrap_or_else(|e| panic!("{e}"));
    let crun = OciBundle::create(OciRuntime::Crun, &rootfs.rootfs(), &cgroups.child("crun"))
        .unwrap_or_else(|e| panic!("crun: {e}"));
    let daemons: Vec<MinidockerDaemon> = binaries
        .iter()
        .enumerate()
        .map(|(i, bin)| {
            MinidockerDaemon::start(bin.as_ref(), &cgroups.child(&format!("m{i}")), &tar)
                .unwrap_or_else(|e| panic!("daemon of {bin}: {e}"))
        })
        .collect();
    let mut names: Vec<String> = binaries
        .iter()
        .enumerate()
        .map(|(i, b)| format!("{i}:{b}"))
        .collect();
    names.push("crun".into());

    // which way ran, in order: to find each run's predecessor
    let ran = std::cell::RefCell::new(Vec::<usize>::new());
    let ran = &ran;
    let mut ways: Vec<Box<dyn FnMut() -> Duration + '_>> = Vec::new();
    for (i, daemon) in daemons.iter().enumerate() {
        ways.push(Box::new(move || {
            ran.borrow_mut().push(i);
            let start = Instant::now();
            assert!(
                daemon.client().succeeds(&RUN_TRUE),
                "run --rm busybox true failed"
            );
            start.elapsed()
        }));
    }
    let crun_index = daemons.len();
    let crun_bundle = &crun;
    ways.push(Box::new(move || {
        ran.borrow_mut().push(crun_index);
        let start = Instant::now();
        let status = crun_bundle.run().expect("starting crun");
        let elapsed = start.elapsed();
        assert!(status.success(), "crun run: {status}");
        elapsed
    }));
    // Warm every way up once, untimed.
    for way in &mut ways {
        way();
    }
    ran.borrow_mut().clear();
    let settle = std::env::var("AB_SETTLE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(Duration::from_millis);
    if let Some(settle) = settle {
        println!("every run starts {settle:?} after the previous one ended");
        for way in &mut ways {
            let inner = std::mem::replace(way, Box::new(|| Duration::ZERO));
            let mut inner = inner;
            *way = Box::new(move || {
                std::thread::sleep(settle);
                inner()
            });
        }
    }
    let mut fns: Vec<&mut dyn FnMut() -> Duration> = ways.iter_mut().map(|w| w.as_mut() as _).collect();
    let times = interleave(rounds, &mut fns);

    let ms = |ns: f64| ns / 1e6;
    let ratio = |a: &[f64], b: &[f64]| median(a.iter().zip(b).map(|(a, b)| a / b).collect());
    let crun_times = &times[times.len() - 1];
    for (name, ns) in names.iter().zip(&times) {
        let [p10, p50, p90] = Paired::percentiles(ns);
        println!(
            "{name:>40}: median {:6.2} ms (p10 {:6.2}, p90 {:6.2})  ×first {:.3}  ×crun {:.3}",
            ms(p50),
            ms(p10),
            ms(p90),
            ratio(ns, &times[0]),
            ratio(ns, crun_times),
        );
    }
    // each way's median by the way that ran just before it (the first run has none)
    let order = ran.borrow().clone();
    let mut seen = vec![0usize; names.len()];
    let mut after: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); names.len()]; names.len()];
    for (k, &way) in order.iter().enumerate() {
        let t = times[way][seen[way]];
        seen[way] += 1;
        if k > 0 {
            after[way][order[k - 1]].push(t);
        }
    }
    println!("median by the way that ran just before (ms):");
    for (way, name) in names.iter().enumerate() {
        let cells: Vec<String> = (0..names.len())
            .filter(|&before| before != way || !after[way][before].is_empty())
            .map(|before| {
                let ts = &after[way][before];
                format!(
                    "after {}: {:6.2} ({:2})",
                    short(&names[before]),
                    ms(median(ts.clone())),
                    ts.len()
                )
            })
            .collect();
        println!("{:>12}  {}", short(name), cells.join("   "));
    }
    // the daemons stop their containers before the cgroup scope goes
    drop(fns);
    drop(ways);
    drop(daemons);
    drop(crun);
    drop(cgroups);
}
