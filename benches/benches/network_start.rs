//! What does a network add to a container start? `busybox true` started through the chapter
//! crates, with minidocker's own network code around it, in four ways measured in one run:
//!
//! * `none`: `--network none`, a new network namespace with only `lo`;
//! * `bridge`: the default bridge `minidocker0`: a veth pair into the container's namespace,
//!   an address from IPAM (a JSON file changed under a flock(2), written atomically), the MAC
//!   derived from it, the default route, the hosts file; all of it taken down after the exit;
//! * `user_network`: a user-defined bridge network: the same, plus the embedded DNS server
//!   at `127.0.0.11` inside the container's namespace;
//! * `ip_commands`: the `none` start wired to the default bridge by `ip(8)` processes instead
//!   (veth, bridge, `lo`, MAC, address, route; `ip link del` after), the way runtimes that
//!   shell out do it: the floor netlink in-process has to beat.
//!
//! Each start is `minidocker_benches::network::NetworkBench::start`: `Engine::plan_network`,
//! `launch_placed` with `Engine::connect_sandbox` run while the init waits, `supervise`,
//! `Engine::disconnect_sandbox` (see `benches/src/network.rs`).
//!
//! **Where:** the whole process runs in a network namespace it creates first thing in
//! `main`, before any thread exists: the bridges, veths, addresses and iptables rules live
//! there and vanish with the process, even if it is killed. The host's network is never
//! touched. The engine's data root is a temp dir (same filesystem as `/var/lib/minidocker`
//! on this VM, so IPAM's fsync(2)s cost what they cost there).
//!
//! Before criterion's benchmarks, a paired pass (see `minidocker_benches::paired`) runs each
//! networked way and `none` alternately and writes, per way, the median of the per-pair
//! differences (what the network adds to a start) and ratios, and the medians of the wiring
//! (`connect`) and teardown (`disconnect`) parts, to `target/criterion/network_start/paired.json`.
//! Target: a network adds **under 3 ms** to a start.
//!
//! Then a steps pass (`minidocker_benches::network_steps`) times the pieces of
//! `connect_sandbox` and `disconnect_sandbox` one by one, inside real starts, and writes their
//! medians to `target/criterion/network_start/steps.json`: where the time goes.
//!
//! Run as root: `cargo bench -p minidocker-benches --bench network_start && benches/report`.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode};
use minidocker_benches::network::{
    IP_COMMANDS_OWNER, IP_COMMANDS_VETH, NetworkBench, NetworkMode, StartTimes, enter_new_network_namespace,
    link_exists,
};
use minidocker_benches::network_steps::{STEPS, measure_kernel_veth_cleanup, measure_steps};
use minidocker_benches::paired::{Paired, PairedReport, criterion_dir, median, summary};

/// The criterion group, and the directory of `paired.json`.
const GROUP: &str = "network_start";

/// Pairs per networked way in the paired pass: 40-60 ms a pair (mostly the networked run's
/// veth delete), about a minute in all.
const PAIRS: usize = 300;

/// One way of starting the container: its benchmark name and the start.
type Way<'a> = (&'static str, Box<dyn Fn() -> StartTimes + 'a>);

fn ways(bench: &NetworkBench) -> Vec<Way<'_>> {
    let mut ways: Vec<Way<'_>> = NetworkMode::ALL
        .into_iter()
        .map(|mode| -> Way<'_> {
            (
                mode.name(),
                Box::new(move || checked(mode.name(), bench.start(mode))),
            )
        })
        .collect();
    ways.push((
        "ip_commands",
        Box::new(|| checked("ip_commands", bench.start_with_ip_commands())),
    ));
    ways
}

/// The times of a start that exited with 0; panics otherwise.
fn checked(way: &str, result: Result<(i32, StartTimes), String>) -> StartTimes {
    match result {
        Ok((0, times)) => times,
        Ok((code, _)) => panic!("{way}: busybox true exited with {code}"),
        Err(e) => panic!("{way}: {e}"),
    }
}

fn network_start(c: &mut Criterion, bench: &NetworkBench) {
    bench.warm_up().expect("one start of every way");
    check_nothing_left(bench);
    let ways = ways(bench);
    paired_pass(&ways);
    steps_pass(bench);
    check_nothing_left(bench);

    let mut group = c.benchmark_group(GROUP);
    // As container_start: flat sampling, 30 samples in ~6 s per benchmark.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(30);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(6));
    for (name, start) in &ways {
        group.bench_function(*name, |b| b.iter(|| black_box(start())));
    }
    group.finish();
    check_nothing_left(bench);
}

/// Each networked way and `none` alternately, [`PAIRS`] times; see the module documentation.
/// Two cases per way: `start/<way>` compares the starts (until the command runs), `run/<way>`
/// the same pairs' whole runs (start, exit, teardown).
fn paired_pass(ways: &[Way<'_>]) {
    let (_, none) = ways
        .iter()
        .find(|(name, _)| *name == NetworkMode::None.name())
        .expect("none is one of the ways");
    let mut report = PairedReport::new(GROUP, "network", "none");
    for (name, start) in ways.iter().filter(|(name, _)| *name != NetworkMode::None.name()) {
        let times: RefCell<[Vec<StartTimes>; 2]> = RefCell::default();
        let paired = Paired::measure(
            PAIRS,
            || {
                let t = start();
                times.borrow_mut()[0].push(t);
                t.started
            },
            || {
                let t = none();
                times.borrow_mut()[1].push(t);
                t.started
            },
        );
        let [network, none_times] = times.into_inner();
        let ns = |all: &[StartTimes], part: fn(&StartTimes) -> Duration| -> Vec<f64> {
            all.iter().map(|t| part(t).as_secs_f64() * 1e9).collect()
        };
        let start_case = format!("start/{name}");
        report.add(&start_case, paired);
        for (side, all) in [("network", &network), ("none", &none_times)] {
            report.add_part(&start_case, &format!("{side}.connect"), ns(all, |t| t.connect));
            report.add_part(
                &start_case,
                &format!("{side}.disconnect"),
                ns(all, |t| t.disconnect),
            );
        }
        let run = Paired {
            a: ns(&network, |t| t.total),
            b: ns(&none_times, |t| t.total),
        };
        report.add(&format!("run/{name}"), run);
    }
    match report.write() {
        Ok(path) => eprintln!("{GROUP}: paired results in {}", path.display()),
        Err(e) => eprintln!("{GROUP}: writing the paired results: {e}"),
    }
}

/// Rounds of the steps pass (a few ms each).
const STEP_ROUNDS: usize = 200;

/// Where the time of a network goes (`minidocker_benches::network_steps`): each step's
/// median, printed and written to `target/criterion/network_start/steps.json`, with how long
/// the kernel takes to delete a veth pair by itself once its namespace is released.
fn steps_pass(bench: &NetworkBench) {
    let steps = measure_steps(bench, STEP_ROUNDS).expect("timing the steps of a network");
    let cleanup = measure_kernel_veth_cleanup(STEP_ROUNDS / 4).expect("timing the kernel's veth cleanup");
    let kernel = (
        "kernel_veth_cleanup",
        "what-if: the kernel deletes the pair by itself once the namespace is released (no RTM_DELLINK)",
    );
    let cleanup = (kernel.0, cleanup);
    let all = steps.iter().chain([&cleanup]);
    let mut json = Vec::new();
    for ((name, ns), (_, what)) in all.zip(STEPS.iter().chain([&kernel])) {
        let mut entry = summary(ns);
        entry["step"] = (*name).into();
        entry["what"] = (*what).into();
        json.push(entry);
        let median = Duration::from_secs_f64(median(ns.clone()) / 1e9);
        eprintln!("{GROUP}: step {name}: {median:?}");
    }
    let dir = criterion_dir().join(GROUP);
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let json = serde_json::json!({ "rounds": STEP_ROUNDS, "steps": json });
        std::fs::write(dir.join("steps.json"), serde_json::to_vec_pretty(&json)?)
    });
    match written {
        Ok(()) => eprintln!("{GROUP}: steps in {}", dir.join("steps.json").display()),
        Err(e) => eprintln!("{GROUP}: writing the steps: {e}"),
    }
}

/// Every start gave back what it took: no veth on the bench's side, and in IPAM no address
/// but the one the `ip` floor reserved.
fn check_nothing_left(bench: &NetworkBench) {
    let mut nl = ch07_network::Netlink::open().expect("netlink in the bench's namespace");
    let veths: Vec<String> = nl
        .links()
        .expect("listing links")
        .into_iter()
        .map(|l| l.name)
        .filter(|name| name.starts_with("veth"))
        .collect();
    assert!(veths.is_empty(), "veth pairs left behind: {veths:?}");
    assert!(!link_exists(IP_COMMANDS_VETH));
    let lock = bench.engine().networks.lock().expect("network lock");
    let ipam = lock.ipam().expect("reading IPAM");
    let held: Vec<String> = ipam
        .networks()
        .flat_map(|(_, n)| n.allocated.values().cloned())
        .filter(|owner| owner != IP_COMMANDS_OWNER)
        .collect();
    assert!(held.is_empty(), "addresses still allocated to {held:?}");
}

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("{GROUP}: skipped, needs root (namespaces, mounts, veth pairs, iptables)");
        return;
    }
    // Criterion finds its output directory with `cargo metadata`, which needs the registry:
    // ask it while the host's network is still there (it starts processes, no threads).
    let mut criterion = Criterion::default().configure_from_args();
    // Then, while this is the only thread, the namespace: every thread and process after this
    // is born in it.
    let threads = std::fs::read_dir("/proc/self/task").map_or(0, Iterator::count);
    assert_eq!(
        threads, 1,
        "entering the network namespace must come before any thread"
    );
    let netns = enter_new_network_namespace().expect("entering a new network namespace");
    eprintln!(
        "{GROUP}: running in a new network namespace (inode {})",
        netns.inode()
    );
    let bench = NetworkBench::create(&["/bin/true"]).expect("setting up the engine and its networks");
    network_start(&mut criterion, &bench);
    drop(bench);
    criterion.final_summary();
}
