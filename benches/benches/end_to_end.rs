//! minidocker end to end (CLI → daemon → shim → container) against crun, runc and Docker, in
//! one run on one busybox root filesystem, so the ratios hold:
//!
//! * `run/<way>`: `busybox true`, to its exit and removal:
//!   - `minidocker`: `minidocker -H <its socket> run --rm --network none busybox true`, the
//!     bench's own `minidocker daemon` (`minidocker_benches::engines::MinidockerDaemon`);
//!   - `crun`, `runc`: `<runtime> run` of an OCI bundle of the same rootfs, the runtime's
//!     default spec (`minidocker_benches::oci_peer`);
//!   - `docker`: `docker -H <socket> run --rm --network none busybox true` against the dockerd
//!     of `MINIDOCKER_BENCH_DOCKER_HOST`, when it is set (skipped otherwise, with a notice).
//! * `exec/<way>`: `true` in a running container: `minidocker exec`, `docker exec`, and the
//!   floor `fork_exec` (the same busybox binary started with `std::process::Command`).
//!
//! Before criterion's benchmarks, an **interleaved pass** runs every way in turn, round after
//! round, in an order shuffled each round (`minidocker_benches::paired::interleave`), and
//! writes each way's median and the
//! per-round ratios to `target/criterion/end_to_end/interleaved.json`: the comparison, as in
//! the other groups' paired passes. After them:
//! * **throughput**: 100 `run -d --network none busybox true` one after the other, per engine
//!   (the removal not timed): containers per second, in `throughput.json`;
//! * **memory**: VmRSS and Pss of the idle daemon (at start, and again after everything), of
//!   dockerd and its containerd, and of one shim of a running container, in `memory.json`.
//!
//! And where minidocker's time goes: the Remote API requests of a run (create, start, wait,
//! delete) timed one by one over raw HTTP, in `api_steps.json`.
//!
//! Targets (issue 9): minidocker no slower than crun and at least 10× faster than Docker; a
//! shim under 2 MB, the idle daemon under 20 MB.
//!
//! **Where:** the whole process runs in a network namespace it creates first thing in `main`
//! (every container here has `--network none`; the daemon makes no bridge for them, and none
//! could reach the host's network anyway). The containers' cgroups live under
//! `/minidocker-bench-<pid>` (`minidocker_benches::cgroup_scope`), removed at the end.
//!
//! Run as root, after `cargo build --release -p minidocker`:
//! `MINIDOCKER_BENCH_DOCKER_HOST=unix:///tmp/minidocker-oracle/docker.sock cargo bench -p
//! minidocker-benches --bench end_to_end && benches/report --group end_to_end`.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, SamplingMode};
use minidocker_benches::BusyboxContainer;
use minidocker_benches::cgroup_scope::BenchCgroupScope;
use minidocker_benches::engines::{
    Client, Containers, DOCKER_HOST_ENV, MinidockerDaemon, docker_from_env, minidocker_bin,
};
use minidocker_benches::memory::ProcessMemory;
use minidocker_benches::network::enter_new_network_namespace;
use minidocker_benches::oci_peer::{OciBundle, OciRuntime};
use minidocker_benches::paired::{criterion_dir, interleave, median, ratio_summary, summary};

/// The criterion group, and the directory of the bench's JSON files.
const GROUP: &str = "end_to_end";

/// Rounds of the interleaved pass (each runs every way once: ~0.3 s with Docker).
const ROUNDS: usize = 40;

/// Containers started one after the other by the throughput pass, per engine.
const THROUGHPUT_CONTAINERS: usize = 100;

/// How long a container has run when its shim's memory is measured, on every engine.
const SHIM_SETTLE: Duration = Duration::from_millis(500);

/// `run --rm --network none busybox true`.
const RUN_TRUE: [&str; 6] = ["run", "--rm", "--network", "none", "busybox", "true"];

/// Everything the ways run against. Fields drop in declaration order: the daemon (it stops
/// its containers), the bundles, then the cgroup scope (every runtime's cgroups gone by then),
/// then the rootfs.
struct Peers {
    docker: Option<Client>,
    minidocker: MinidockerDaemon,
    bundles: Vec<OciBundle>,
    _cgroups: BenchCgroupScope,
    rootfs: BusyboxContainer,
    /// Why a peer is not measured, by name.
    skipped: BTreeMap<&'static str, String>,
    _config_dir: tempfile::TempDir,
}

impl Peers {
    fn create() -> Peers {
        let rootfs = BusyboxContainer::create().expect("building the busybox rootfs");
        let cgroups = BenchCgroupScope::reserve().expect("reserving the bench's cgroup scope");
        let mut skipped = BTreeMap::new();
        let mut bundles = Vec::new();
        for runtime in OciRuntime::ALL {
            match OciBundle::create(runtime, &rootfs.rootfs(), &cgroups.child(runtime.name())) {
                Ok(bundle) => bundles.push(bundle),
                Err(why) => {
                    eprintln!("{GROUP}: skipping {}: {why}", runtime.name());
                    skipped.insert(runtime.name(), why);
                }
            }
        }
        let binary = minidocker_bin().unwrap_or_else(|e| panic!("{e}"));
        eprintln!("{GROUP}: minidocker is {}", binary.display());
        let tar = rootfs.rootfs_tar().expect("the busybox rootfs as a tar");
        let minidocker = MinidockerDaemon::start(&binary, &cgroups.child("minidocker"), &tar)
            .unwrap_or_else(|e| panic!("starting the bench's minidocker daemon: {e}"));
        let config_dir = tempfile::Builder::new()
            .prefix("minidocker-bench-cli-")
            .tempdir()
            .expect("a CLI configuration directory");
        let docker = match docker_from_env(config_dir.path()) {
            Ok(Some(docker)) => {
                eprintln!("{GROUP}: Docker is the daemon on {}", docker.socket().display());
                Some(docker)
            }
            Ok(None) => {
                let why = format!("{DOCKER_HOST_ENV} is not set");
                eprintln!("{GROUP}: skipping docker: {why}");
                skipped.insert("docker", why);
                None
            }
            Err(why) => {
                eprintln!("{GROUP}: skipping docker: {why}");
                skipped.insert("docker", why);
                None
            }
        };
        Peers {
            rootfs,
            _cgroups: cgroups,
            bundles,
            minidocker,
            docker,
            skipped,
            _config_dir: config_dir,
        }
    }

    /// Every engine with a Docker CLI: minidocker, then Docker when there is one.
    fn clients(&self) -> Vec<(&'static str, &Client)> {
        let mut clients = vec![("minidocker", self.minidocker.client())];
        clients.extend(self.docker.iter().map(|d| ("docker", d)));
        clients
    }
}

/// One way of running `busybox true`: its name and one timed run.
type Way<'a> = (&'static str, Box<dyn FnMut() -> Duration + 'a>);

fn run_ways(peers: &Peers) -> Vec<Way<'_>> {
    let mut ways: Vec<Way<'_>> = Vec::new();
    for (name, client) in peers.clients() {
        ways.push((
            name,
            Box::new(move || {
                let start = Instant::now();
                assert!(client.succeeds(&RUN_TRUE), "{name} run --rm busybox true failed");
                start.elapsed()
            }),
        ));
    }
    for bundle in &peers.bundles {
        let name = bundle.runtime().name();
        ways.push((
            name,
            Box::new(move || {
                let start = Instant::now();
                let status = bundle.run().expect("starting the runtime");
                let elapsed = start.elapsed();
                assert!(status.success(), "{name} run: {status}");
                elapsed
            }),
        ));
    }
    ways
}

fn exec_ways<'a>(peers: &'a Peers, containers: &'a [(&'static str, &'a Client, String)]) -> Vec<Way<'a>> {
    let mut ways: Vec<Way<'a>> = Vec::new();
    for (name, client, id) in containers {
        ways.push((
            name,
            Box::new(move || {
                let start = Instant::now();
                assert!(client.succeeds(&["exec", id, "true"]), "{name} exec true failed");
                start.elapsed()
            }),
        ));
    }
    let busybox = peers.rootfs.busybox();
    ways.push((
        "fork_exec",
        Box::new(move || {
            let start = Instant::now();
            let status = Command::new(&busybox)
                .arg("true")
                .status()
                .expect("spawning busybox");
            let elapsed = start.elapsed();
            assert!(status.success());
            elapsed
        }),
    ));
    ways
}

/// Every way once, its output shown if it fails: before anything is timed.
fn check_every_way(peers: &Peers) {
    for (name, client) in peers.clients() {
        client.output(&RUN_TRUE).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for bundle in &peers.bundles {
        let out = bundle.run_with_output().expect("starting the runtime");
        assert!(
            out.status.success(),
            "{} run: {}: {}",
            bundle.runtime().name(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The interleaved pass of `kind` (`run`, `exec`): each way's summary, and the per-round
/// ratios of every way to `reference`.
fn interleaved(kind: &str, ways: &mut [Way<'_>], reference: &str) -> serde_json::Value {
    let names: Vec<&str> = ways.iter().map(|(n, _)| *n).collect();
    let mut fns: Vec<&mut dyn FnMut() -> Duration> = ways.iter_mut().map(|(_, f)| f.as_mut() as _).collect();
    let times = interleave(ROUNDS, &mut fns);
    let by_name: BTreeMap<&str, &Vec<f64>> = names.iter().copied().zip(&times).collect();
    let mut json = serde_json::Map::new();
    for (name, ns) in &by_name {
        let mut entry = summary(ns);
        if let Some(reference_ns) = by_name.get(reference) {
            entry[format!("ratio_to_{reference}")] = ratio_summary(ns, reference_ns);
        }
        eprintln!(
            "{GROUP}: interleaved {kind}/{name}: median {:?}",
            Duration::from_secs_f64(median(ns.to_vec()) / 1e9)
        );
        json.insert((*name).to_owned(), entry);
    }
    serde_json::json!({ "reference": reference, "rounds": ROUNDS, "ways": json })
}

fn criterion_benches(c: &mut Criterion, kind: &str, ways: &mut [Way<'_>]) {
    let mut group = c.benchmark_group(GROUP);
    // Runs take 5 to 200 ms: flat sampling, 20 samples of a few seconds each.
    group.sampling_mode(SamplingMode::Flat);
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    for (name, way) in ways.iter_mut() {
        group.bench_function(BenchmarkId::new(kind, *name), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| way()).sum());
        });
    }
    group.finish();
}

/// The Remote API requests `minidocker run --rm` is made of, timed one by one (the CLI also
/// attaches before the start; `--rm` makes the daemon remove the container after the exit,
/// where here an explicit `DELETE` does): where the time of a run goes, per request.
const API_STEPS: [&str; 4] = ["create", "start", "wait", "delete"];

/// [`API_STEPS`] through raw HTTP on `client`'s socket, `rounds` times; each step's times.
fn api_steps(client: &Client, rounds: usize) -> Vec<Vec<f64>> {
    let body = r#"{"Image":"busybox","Cmd":["true"],"HostConfig":{"NetworkMode":"none"}}"#;
    let mut times = vec![Vec::with_capacity(rounds); API_STEPS.len()];
    for _ in 0..rounds {
        let mut step = 0;
        let mut timed = |method: &str, path: &str, body: &str, want: u16| {
            let start = Instant::now();
            let (status, answer) = client.http(method, path, body).unwrap_or_else(|e| panic!("{e}"));
            times[step].push(start.elapsed().as_secs_f64() * 1e9);
            step += 1;
            assert_eq!(status, want, "{method} {path}: {answer}");
            answer
        };
        let created = timed("POST", "/v1.41/containers/create", body, 201);
        let id = serde_json::from_str::<serde_json::Value>(&created)
            .ok()
            .and_then(|v| v["Id"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("no Id in {created}"));
        timed("POST", &format!("/v1.41/containers/{id}/start"), "", 204);
        timed("POST", &format!("/v1.41/containers/{id}/wait"), "", 200);
        timed("DELETE", &format!("/v1.41/containers/{id}"), "", 204);
    }
    times
}

/// 100 `run -d` one after the other on `client`; containers per second. Removal not timed.
fn throughput(name: &str, client: &Client) -> serde_json::Value {
    let mut containers = Containers::new(client);
    let args = ["run", "-d", "--network", "none", "busybox", "true"];
    let mut times = Vec::with_capacity(THROUGHPUT_CONTAINERS);
    let start = Instant::now();
    for _ in 0..THROUGHPUT_CONTAINERS {
        let one = Instant::now();
        let id = client
            .output(&args)
            .unwrap_or_else(|e| panic!("{name} run -d: {e}"));
        times.push(one.elapsed().as_secs_f64() * 1e9);
        containers.adopt(id);
    }
    let total = start.elapsed();
    containers
        .remove_all()
        .unwrap_or_else(|e| panic!("{name} rm -f: {e}"));
    let per_second = THROUGHPUT_CONTAINERS as f64 / total.as_secs_f64();
    eprintln!(
        "{GROUP}: throughput {name}: {THROUGHPUT_CONTAINERS} run -d in {total:?}: {per_second:.1} containers/s"
    );
    serde_json::json!({
        "containers": THROUGHPUT_CONTAINERS,
        "total_ns": total.as_secs_f64() * 1e9,
        "per_second": per_second,
        "run_d": summary(&times),
    })
}

fn memory_json(mems: &[ProcessMemory]) -> serde_json::Value {
    let rss: u64 = mems.iter().map(|m| m.rss_kib).sum();
    let pss: u64 = mems.iter().map(|m| m.pss_kib).sum();
    let anonymous: u64 = mems.iter().map(|m| m.anonymous_kib).sum();
    serde_json::json!({
        "processes": mems.iter().map(ProcessMemory::to_json).collect::<Vec<_>>(),
        "rss_kib": rss,
        "pss_kib": pss,
        "anonymous_kib": anonymous,
    })
}

/// The daemon's own processes, and apart from them its spare shim (`minidocker spare-shim`,
/// a shim started ahead for the next container: `minidocker/src/spare_shim.rs`), which the
/// report shows on a row of its own, its memory beside the daemon's.
fn split_spare_shim(mems: Vec<ProcessMemory>) -> (Vec<ProcessMemory>, Vec<ProcessMemory>) {
    mems.into_iter().partition(|m| {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", m.pid)).unwrap_or_default();
        cmdline.split(|b| *b == 0).nth(1) != Some(&b"spare-shim"[..])
    })
}

/// Prints and records the idle minidocker daemon (`key`) and its spare shim (`key_spare_shim`).
fn record_idle_daemon(
    memory: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    what: &str,
    mems: Vec<ProcessMemory>,
) {
    let (daemon, spare) = split_spare_shim(mems);
    print_memory(what, &daemon);
    memory.insert(key.into(), memory_json(&daemon));
    if !spare.is_empty() {
        print_memory(&format!("{what}: its spare shim"), &spare);
        memory.insert(format!("{key}_spare_shim"), memory_json(&spare));
    }
}

fn print_memory(what: &str, mems: &[ProcessMemory]) {
    for m in mems {
        eprintln!(
            "{GROUP}: memory {what}: {} (pid {}): VmRSS {} KiB, Pss {} KiB, anonymous {} KiB",
            m.name, m.pid, m.rss_kib, m.pss_kib, m.anonymous_kib
        );
    }
}

fn write_json(name: &str, json: &serde_json::Value) {
    let dir = criterion_dir().join(GROUP);
    let path = dir.join(name);
    let written = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, serde_json::to_vec_pretty(json).unwrap_or_default()));
    match written {
        Ok(()) => eprintln!("{GROUP}: wrote {}", path.display()),
        Err(e) => eprintln!("{GROUP}: writing {}: {e}", path.display()),
    }
}

fn end_to_end(c: &mut Criterion, peers: &Peers) {
    let mut memory = serde_json::Map::new();
    let idle = peers
        .minidocker
        .client()
        .daemon_memory()
        .expect("the daemon's memory");
    record_idle_daemon(
        &mut memory,
        "minidocker_daemon_idle",
        "minidocker daemon, idle at start",
        idle,
    );
    if let Some(docker) = &peers.docker {
        match docker.daemon_memory() {
            Ok(mems) => {
                print_memory("dockerd and its children", &mems);
                memory.insert("docker_daemon".into(), memory_json(&mems));
            }
            // dockerd in another pid namespace, or the socket is a proxy: say so, go on.
            Err(e) => eprintln!("{GROUP}: dockerd's memory: {e}"),
        }
    }

    check_every_way(peers);
    let mut run = run_ways(peers);
    let run_json = interleaved("run", &mut run, "minidocker");

    // One running container per engine for exec (and its shim's memory).
    let mut sleepers: Vec<Containers<'_>> = Vec::new();
    let mut exec_targets: Vec<(&'static str, &Client, String)> = Vec::new();
    for (name, client) in peers.clients() {
        let mut set = Containers::new(client);
        let id = set
            .run_detached(&["--network", "none", "busybox", "sleep", "100000"])
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        // A shim's size while its container runs, not while it starts it: minidocker's
        // becomes the small monitor only once the container has run HANDOVER_GRACE (20 ms).
        std::thread::sleep(SHIM_SETTLE);
        let shim = client
            .shim_memory(&id)
            .unwrap_or_else(|e| panic!("{name} shim: {e}"));
        print_memory(&format!("{name} shim"), std::slice::from_ref(&shim));
        memory.insert(format!("{name}_shim"), memory_json(&[shim]));
        exec_targets.push((name, client, id));
        sleepers.push(set);
    }
    let mut exec = exec_ways(peers, &exec_targets);
    let exec_json = interleaved("exec", &mut exec, "minidocker");
    let skipped: serde_json::Map<String, serde_json::Value> = peers
        .skipped
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone().into()))
        .collect();
    let steps = api_steps(peers.minidocker.client(), ROUNDS);
    let mut steps_json = serde_json::Map::new();
    for (name, ns) in API_STEPS.iter().zip(&steps) {
        eprintln!(
            "{GROUP}: minidocker API step {name}: median {:?}",
            Duration::from_secs_f64(median(ns.clone()) / 1e9)
        );
        steps_json.insert((*name).to_owned(), summary(ns));
    }
    write_json("api_steps.json", &steps_json.into());
    write_json(
        "interleaved.json",
        &serde_json::json!({ "run": run_json, "exec": exec_json, "skipped": skipped }),
    );

    criterion_benches(c, "run", &mut run);
    criterion_benches(c, "exec", &mut exec);
    drop(exec);
    for mut set in sleepers {
        set.remove_all().expect("removing the exec containers");
    }

    let mut rates = serde_json::Map::new();
    for (name, client) in peers.clients() {
        rates.insert(name.to_owned(), throughput(name, client));
    }
    write_json("throughput.json", &rates.into());

    // Let the daemon settle (freed memory, finished shims), then measure it idle again.
    std::thread::sleep(Duration::from_secs(2));
    let after = peers
        .minidocker
        .client()
        .daemon_memory()
        .expect("the daemon's memory");
    record_idle_daemon(
        &mut memory,
        "minidocker_daemon_idle_after",
        "minidocker daemon, idle after the benchmarks",
        after,
    );
    write_json("memory.json", &memory.into());
}

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("{GROUP}: skipped, needs root (namespaces, mounts, cgroups)");
        return;
    }
    // Criterion finds its output directory with `cargo metadata` (processes, no threads):
    // before the namespace, as in network_start.
    let mut criterion = Criterion::default().configure_from_args();
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
    let peers = Peers::create();
    end_to_end(&mut criterion, &peers);
    drop(peers);
    criterion.final_summary();
}
