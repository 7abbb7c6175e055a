//! Containers started on minidocker's networks, for the `network_start` benchmark: the
//! engine's own network code (`Engine::plan_network`, `connect_sandbox`,
//! `disconnect_sandbox`) driven exactly as `minidocker run` drives it, around the busybox
//! container start of `container_start`, all inside a network namespace the benchmark made.
//!
//! ```text
//!  bench process, in its own network namespace (enter_new_network_namespace)
//!  ├── minidocker0 172.17.0.1/16     the default bridge      (made by the first start)
//!  ├── br-<12 hex> 172.18.0.1/16     user network "benchnet" (network create)
//!  ├── iptables chains and rules of both                     (in this namespace only)
//!  └── per start: veth<7 hex> ══ eth0 in the container's own, new namespace
//! ```
//!
//! One start ([`NetworkBench::start`]) does what a container's start does for the network, in
//! its order (see `minidocker/src/engine/run.rs`):
//!
//! 1. `plan_network` (the `--network` records: `none`, `bridge` or the user network);
//! 2. block the forwarded signals, `launch_placed`: clone(2) the init into new namespaces,
//!    and while it waits on its go pipe, `place` runs `connect_sandbox` (veth pair, IPAM,
//!    MAC, address, route, hosts file, on a user network the embedded DNS server) and saves
//!    the container's record with its `NetworkSettings`, as `run` does before the command
//!    starts (its first DNS query looks itself up there);
//! 3. `supervise` until the command exits;
//! 4. `disconnect_sandbox` (DNS server stopped, veth deleted, address back to IPAM) and
//!    `release_container_addresses`, as `run` does after the exit.
//!
//! Left out, because `run` does them the same way whatever the network: the image and its
//! overlay mount, the container's cgroup, its directory and first records, and the `running`
//! / `exited` state saves. The container's `/etc/{hostname,hosts,resolv.conf}` are written
//! once, at setup, as `run` writes them for each mode.
//!
//! [`NetworkBench::start_with_ip_commands`] is the floor of the other way: the same start,
//! wired by `ip(8)` processes (`ip link add … type veth peer … netns <pid>` and friends, the
//! way teaching runtimes shell out), on the default bridge with an address reserved once.

use std::hash::{BuildHasher, RandomState};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ch01_process::{BlockedSignals, Reap, forwarded_signals, supervise};
use ch07_network::{Ipv4Net, MacAddr, NetNs, Netlink};
use minidocker::container::{Config, Container, State, ZERO_TIME, generate_id, now_rfc3339};
use minidocker::engine::Engine;
use minidocker::engine::network::sandbox::{resolv_conf, write_hosts};
use minidocker::engine::network::{CreateNetworkOptions, NetworkPlan, NetworkRecord, NetworkRunOptions};
use minidocker::runtime::{LaunchSpec, Launched, launch_placed};
use nix::sched::CloneFlags;

use crate::BusyboxContainer;

/// The user-defined network the benchmark creates (a bridge network with embedded DNS).
pub const USER_NETWORK: &str = "benchnet";

/// The host end of the veth pair of [`NetworkBench::start_with_ip_commands`].
pub const IP_COMMANDS_VETH: &str = "vethbench0";

/// Who holds, in the engine's IPAM, the address of [`NetworkBench::start_with_ip_commands`].
pub const IP_COMMANDS_OWNER: &str = "ip-commands-floor";

/// Moves the calling thread into a new, empty network namespace (unshare(2) with
/// `CLONE_NEWNET`) and brings its `lo` up; threads and processes it starts afterwards are born
/// in it. Called first thing in a benchmark's `main`, before any other thread exists, it
/// moves the whole process: every bridge, veth, address and iptables rule the benchmark
/// makes lives there, and goes with the process.
///
/// Fails unless the namespace is really new (another inode than before) and holds only `lo`.
pub fn enter_new_network_namespace() -> Result<NetNs, String> {
    let before = NetNs::current().map_err(|e| e.to_string())?.inode();
    nix::sched::unshare(CloneFlags::CLONE_NEWNET).map_err(|e| format!("unshare(2) CLONE_NEWNET: {e}"))?;
    let ns = NetNs::current().map_err(|e| e.to_string())?;
    if ns.inode() == before {
        return Err(format!(
            "still in network namespace inode {before} after unshare(2)"
        ));
    }
    let mut nl = Netlink::open().map_err(|e| e.to_string())?;
    let links: Vec<String> = nl
        .links()
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|l| l.name)
        .collect();
    if links != ["lo"] {
        return Err(format!(
            "a new network namespace should hold only lo, not {links:?}"
        ));
    }
    nl.set_up("lo").map_err(|e| e.to_string())?;
    Ok(ns)
}

/// The networks a benchmarked container starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NetworkMode {
    /// `--network none`: a new network namespace with only `lo`.
    None,
    /// The default bridge (`minidocker0`): veth, IPAM, MAC, address, route, hosts file.
    Bridge,
    /// A user-defined bridge network: all of the above, plus the embedded DNS server.
    UserNetwork,
}

impl NetworkMode {
    pub const ALL: [NetworkMode; 3] = [NetworkMode::None, NetworkMode::Bridge, NetworkMode::UserNetwork];

    /// The benchmark's name for it.
    pub fn name(self) -> &'static str {
        match self {
            NetworkMode::None => "none",
            NetworkMode::Bridge => "bridge",
            NetworkMode::UserNetwork => "user_network",
        }
    }

    /// What `--network` says.
    pub fn flag(self) -> &'static str {
        match self {
            NetworkMode::None => "none",
            NetworkMode::Bridge => "bridge",
            NetworkMode::UserNetwork => USER_NETWORK,
        }
    }
}

/// How long one start took, and the network's parts of it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StartTimes {
    /// From `plan_network` until the command runs (`launch_placed` returns): the start.
    pub started: Duration,
    /// From `plan_network` to the end of the teardown: the start, the run, the exit and the
    /// teardown.
    pub total: Duration,
    /// The wiring while the init waits: `connect_sandbox` (or the `ip` processes).
    pub connect: Duration,
    /// The teardown after the exit: `disconnect_sandbox` and `release_container_addresses`
    /// (or `ip link del`).
    pub disconnect: Duration,
}

/// One benchmarked container: its record in the engine's store, its directory there (with
/// the `/etc` files the init binds), its network flags and its launch spec.
#[derive(Debug)]
struct BenchContainer {
    record: Container,
    dir: PathBuf,
    options: NetworkRunOptions,
    spec: LaunchSpec,
}

/// What [`NetworkBench::start_with_ip_commands`] configures, fixed once.
#[derive(Debug, Clone)]
struct IpCommandsEndpoint {
    bridge: String,
    address: Ipv4Net,
    gateway: Ipv4Addr,
}

/// An engine on a temporary data root, with a user network, and one container record per
/// [`NetworkMode`] on the busybox root filesystem. Must be created inside a network
/// namespace the caller made ([`enter_new_network_namespace`]): it makes bridges and
/// iptables rules in the caller's.
#[derive(Debug)]
pub struct NetworkBench {
    containers: Vec<(NetworkMode, BenchContainer)>,
    ip_commands: IpCommandsEndpoint,
    user_network: NetworkRecord,
    engine: Engine,
    busybox: BusyboxContainer,
    // Last: removed after the engine is done with it.
    data_root: tempfile::TempDir,
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

impl NetworkBench {
    /// The engine, the user network and the three containers, each running `args`. Runs no
    /// container yet: the first bridge start makes `minidocker0` and its NAT rules, see
    /// [`NetworkBench::warm_up`].
    pub fn create(args: &[&str]) -> Result<NetworkBench, String> {
        let busybox = BusyboxContainer::create().map_err(|e| format!("building the busybox rootfs: {e}"))?;
        let data_root = tempfile::Builder::new()
            .prefix("minidocker-bench-root-")
            .tempdir()
            .map_err(|e| format!("creating the data root: {e}"))?;
        let engine = Engine::open(data_root.path()).map_err(|e| format!("{e:#}"))?;
        let user_network = engine
            .create_network(&CreateNetworkOptions {
                name: USER_NETWORK.into(),
                ..CreateNetworkOptions::default()
            })
            .map_err(|e| format!("network create {USER_NETWORK}: {e}"))?;
        let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let mut containers = Vec::new();
        for mode in NetworkMode::ALL {
            let options = NetworkRunOptions {
                mode: mode.flag().into(),
                ..NetworkRunOptions::default()
            };
            let plan = engine.plan_network(&options, false).map_err(text)?;
            let record = container_record(mode);
            let dir = engine
                .containers
                .create(&record, minidocker::atomic::Durability::Synced)
                .map_err(text)?;
            // what `run`'s write_container_files writes for this mode
            let hostname = &record.config.hostname;
            std::fs::write(dir.join("hostname"), format!("{hostname}\n")).map_err(text)?;
            write_hosts(&dir, hostname, &[], &[]).map_err(text)?;
            std::fs::write(
                dir.join("resolv.conf"),
                resolv_conf(&plan, &options, &host_resolv),
            )
            .map_err(text)?;
            let mut spec = busybox
                .launch_spec_with_files(&dir, args)
                .map_err(|e| format!("resolving the container's user: {e}"))?;
            // its hostname, as in the files and the record
            spec.hostname = hostname.clone();
            for var in &mut spec.process.env {
                if var.starts_with("HOSTNAME=") {
                    *var = format!("HOSTNAME={hostname}");
                }
            }
            containers.push((
                mode,
                BenchContainer {
                    record,
                    dir,
                    options,
                    spec,
                },
            ));
        }
        let ip_commands = reserve_ip_commands_endpoint(&engine)?;
        Ok(NetworkBench {
            containers,
            ip_commands,
            user_network,
            engine,
            busybox,
            data_root,
        })
    }

    /// The engine (on a temporary data root).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The data root, removed on drop.
    pub fn data_root(&self) -> &Path {
        self.data_root.path()
    }

    /// The user network's record.
    pub fn user_network(&self) -> &NetworkRecord {
        &self.user_network
    }

    /// The busybox root filesystem all modes share.
    pub fn busybox(&self) -> &BusyboxContainer {
        &self.busybox
    }

    /// The name of the container of `mode` (without Docker's slash): what the embedded DNS
    /// server answers for.
    pub fn container_name(&self, mode: NetworkMode) -> &str {
        self.container(mode).record.name.trim_start_matches('/')
    }

    fn container(&self, mode: NetworkMode) -> &BenchContainer {
        &self
            .containers
            .iter()
            .find(|(m, _)| *m == mode)
            .expect("NetworkBench::create makes a container for every mode")
            .1
    }

    /// One start of each mode and of the `ip` floor, each checked to exit with 0; the first
    /// bridge start makes the default bridge and runs iptables' setup, so that no measured
    /// start does.
    pub fn warm_up(&self) -> Result<(), String> {
        for mode in NetworkMode::ALL {
            let (code, _) = self.start(mode)?;
            if code != 0 {
                return Err(format!("{}: the container exited with {code}", mode.name()));
            }
        }
        let (code, _) = self.start_with_ip_commands()?;
        if code != 0 {
            return Err(format!("ip_commands: the container exited with {code}"));
        }
        Ok(())
    }

    // ANCHOR: start
    /// Starts the container of `mode` as `minidocker run --network <mode>` does (see the
    /// module documentation), waits for its exit, tears its network down; returns its exit
    /// code and the times.
    pub fn start(&self, mode: NetworkMode) -> Result<(i32, StartTimes), String> {
        let engine = &self.engine;
        let container = self.container(mode);
        let began = Instant::now();
        let plan = engine.plan_network(&container.options, false).map_err(text)?;
        let mut connect = Duration::ZERO;
        let mut connected = None;
        let place = |pid: nix::unistd::Pid| -> Result<(), String> {
            let began = Instant::now();
            let (sandbox, settings) = engine
                .connect_sandbox(
                    &container.record,
                    pid.as_raw(),
                    &plan,
                    &container.options,
                    &[],
                    &container.dir,
                )
                .map_err(text)?;
            connect = began.elapsed();
            let mut record = container.record.clone();
            record.network_settings = settings;
            let saved = engine.containers.save(&record).map_err(text);
            connected = Some(sandbox);
            saved
        };
        let mut started = None;
        let code = launch_and_wait(&container.spec, place, &mut started);
        let began_teardown = Instant::now();
        engine.disconnect_sandbox(connected.unwrap_or_default());
        let released = engine.release_container_addresses(&container.record.id);
        let disconnect = began_teardown.elapsed();
        let total = began.elapsed();
        let code = code?;
        released.map_err(text)?;
        Ok((
            code,
            StartTimes {
                started: started.map_or(total, |at| at - began),
                total,
                connect,
                disconnect,
            },
        ))
    }
    // ANCHOR_END: start

    /// The `--network none` container started with `place` run while its init waits (given
    /// the init's pid), instead of the engine's network code; its exit code. For the
    /// breakdown of [`crate::network_steps`], which does the engine's steps there itself.
    pub fn start_placed(&self, place: impl FnOnce(i32) -> Result<(), String>) -> Result<i32, String> {
        let container = self.container(NetworkMode::None);
        launch_and_wait(&container.spec, |pid| place(pid.as_raw()), &mut None)
    }

    /// The same start as `--network none` (same container, same new namespace), wired to the
    /// default bridge by `ip(8)` processes while the init waits, and unwired by `ip link del`
    /// after it exits: no IPAM, hosts file or DNS server, an address reserved once.
    pub fn start_with_ip_commands(&self) -> Result<(i32, StartTimes), String> {
        let container = self.container(NetworkMode::None);
        let endpoint = &self.ip_commands;
        let began = Instant::now();
        let mut connect = Duration::ZERO;
        let mut wired = false;
        let place = |pid: nix::unistd::Pid| -> Result<(), String> {
            let began = Instant::now();
            wired = true;
            wire_with_ip_commands(pid.as_raw(), endpoint)?;
            connect = began.elapsed();
            Ok(())
        };
        let mut started = None;
        let code = launch_and_wait(&container.spec, place, &mut started);
        let began_teardown = Instant::now();
        // As `release_endpoint` does: the kernel may have deleted the pair with the
        // container's namespace already.
        let unwired = match wired {
            true => ip(&["link", "del", IP_COMMANDS_VETH]).or_else(|e| match link_exists(IP_COMMANDS_VETH) {
                false => Ok(()),
                true => Err(e),
            }),
            false => Ok(()),
        };
        let disconnect = began_teardown.elapsed();
        let total = began.elapsed();
        let code = code?;
        unwired?;
        Ok((
            code,
            StartTimes {
                started: started.map_or(total, |at| at - began),
                total,
                connect,
                disconnect,
            },
        ))
    }
}

impl Drop for NetworkBench {
    fn drop(&mut self) {
        // The bridge and its rules: gone with the namespace anyway, but a test's namespace
        // may outlive the fixture. The records first: they say their containers are on it.
        for (_, container) in &self.containers {
            let _ = self.engine.containers.remove(&container.record.id);
        }
        if let Err(e) = self.engine.remove_network(&self.user_network.id) {
            eprintln!("network_start: removing {USER_NETWORK}: {e}");
        }
    }
}

/// A container record as `run` creates it (running, as `run` saves it once started: the
/// embedded DNS server only answers for running containers).
fn container_record(mode: NetworkMode) -> Container {
    let id = generate_id(random_bytes);
    Container {
        id: id.clone(),
        created: now_rfc3339(),
        path: "/bin/true".into(),
        config: Config {
            hostname: id[..12].to_owned(),
            image: "busybox".into(),
            ..Config::default()
        },
        state: State {
            status: "running".into(),
            running: true,
            started_at: now_rfc3339(),
            finished_at: ZERO_TIME.into(),
            ..State::default()
        },
        name: format!("/bench-{}", mode.name().replace('_', "-")),
        ..Container::default()
    }
}

/// Random bytes for ids, from the standard library's randomly keyed hasher (a new key
/// each time).
fn random_bytes(bytes: &mut [u8]) {
    for chunk in bytes.chunks_mut(8) {
        let word = RandomState::new().hash_one(0u8).to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

/// Blocks the forwarded signals, launches `spec` with `place` run while the init waits (and
/// sets `started` once the command runs, or the init failed), supervises it until it exits;
/// its exit code.
fn launch_and_wait(
    spec: &LaunchSpec,
    place: impl FnOnce(nix::unistd::Pid) -> Result<(), String>,
    started: &mut Option<Instant>,
) -> Result<i32, String> {
    let _blocked = BlockedSignals::block(&forwarded_signals()).map_err(text)?;
    let launched = launch_placed(spec, place).map_err(text)?;
    *started = Some(Instant::now());
    match launched {
        Launched::Running(pid) => supervise(pid, Reap::MainChildOnly)
            .map(|s| s.code())
            .map_err(text),
        Launched::Failed { pid, failure } => {
            let _ = ch01_process::wait_for_exit(pid);
            Err(format!(
                "container init failed ({}): {}",
                failure.exit_code, failure.message
            ))
        }
    }
}

/// An address on the default bridge for the `ip` floor, allocated once from the engine's
/// IPAM (so no engine start gets it), with the bridge and gateway.
fn reserve_ip_commands_endpoint(engine: &Engine) -> Result<IpCommandsEndpoint, String> {
    let plan = engine
        .plan_network(
            &NetworkRunOptions {
                mode: NetworkMode::Bridge.flag().into(),
                ..NetworkRunOptions::default()
            },
            false,
        )
        .map_err(text)?;
    let NetworkPlan::Bridge(network) = plan else {
        return Err("the default network is not a bridge network".into());
    };
    let bridge = network.bridge_name().ok_or("the default network has no bridge")?;
    let lock = engine.networks.lock().map_err(text)?;
    let mut ipam = lock.ipam().map_err(text)?;
    let allocation = ipam
        .network(&network.id)
        .cloned()
        .ok_or("the default network has no IPAM entry")?;
    let ip = ipam
        .allocate(&network.id, IP_COMMANDS_OWNER, None)
        .map_err(text)?;
    Ok(IpCommandsEndpoint {
        bridge,
        address: Ipv4Net::new(ip, allocation.subnet.prefix()).unwrap_or(allocation.subnet),
        gateway: allocation.gateway,
    })
}

/// What `Engine::attach_endpoint` does over netlink, as `ip(8)` commands: the veth pair born
/// with its peer in the container's namespace, the host end on the bridge and up; inside,
/// `lo` up, the MAC derived from the address, the address, `eth0` up, the default route.
fn wire_with_ip_commands(pid: i32, endpoint: &IpCommandsEndpoint) -> Result<(), String> {
    let pid = pid.to_string();
    let address = endpoint.address.to_string();
    let mac = MacAddr::from_ipv4(endpoint.address.addr()).to_string();
    let gateway = endpoint.gateway.to_string();
    ip(&[
        "link",
        "add",
        IP_COMMANDS_VETH,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        &pid,
    ])?;
    ip(&["link", "set", IP_COMMANDS_VETH, "master", &endpoint.bridge, "up"])?;
    let netns = format!("--net=/proc/{pid}/ns/net");
    for inside in [
        &["link", "set", "lo", "up"][..],
        &["link", "set", "eth0", "address", &mac, "up"],
        &["addr", "add", &address, "dev", "eth0"],
        &["route", "add", "default", "via", &gateway],
    ] {
        run_checked(Command::new("nsenter").arg(&netns).arg("ip").args(inside))?;
    }
    Ok(())
}

/// `ip <args>` in the caller's network namespace.
fn ip(args: &[&str]) -> Result<(), String> {
    run_checked(Command::new("ip").args(args))
}

/// Runs `command`; its stderr in the error unless it succeeds.
fn run_checked(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{shown}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{shown}: {}: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Whether the caller's network namespace has a link `name`.
pub fn link_exists(name: &str) -> bool {
    Netlink::open().is_ok_and(|mut nl| nl.link(name).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the container sees, as its exit code: 10 only `lo` (`none`); else `eth0` with a
    /// 172.x address, the MAC derived from it, the default route, and then 13 without its
    /// address in /etc/hosts (the `ip` floor writes none), 11 with it (the default bridge),
    /// 12 with it and its own name resolved by the embedded DNS server (a user network).
    /// Anything else names the check that failed.
    const WHAT_THE_CONTAINER_SEES: &str = r#"
        test "$(ip -o link | wc -l)" = 1 && exit 10
        ip -o -4 addr show eth0 | grep -q ' inet 172\.' || exit 2
        grep -q '^02:42:ac:' /sys/class/net/eth0/address || exit 3
        ip route | grep -q '^default via 172\.[0-9.]*\.1 dev eth0' || exit 4
        grep -q "^172\..*$(hostname)" /etc/hosts || exit 13
        grep -q '^nameserver 127\.0\.0\.11$' /etc/resolv.conf || exit 11
        nslookup bench-user-network 127.0.0.11 | grep -q 'Address: *172\.' || exit 5
        exit 12
    "#;

    fn is_root() -> bool {
        nix::unistd::geteuid().is_root()
    }

    /// Every way wires what it says, and gives everything back: no veth, no address held.
    /// Runs in a network namespace this test's thread enters first. Needs root.
    #[test]
    fn each_way_wires_what_it_says_and_gives_it_back() {
        if !is_root() || !Path::new(crate::HOST_BUSYBOX).exists() {
            eprintln!("skipped: needs root and {}", crate::HOST_BUSYBOX);
            return;
        }
        let host_netns = NetNs::current().expect("this thread's network namespace").inode();
        let netns = enter_new_network_namespace().expect("a new network namespace");
        assert_ne!(netns.inode(), host_netns);
        let bench = NetworkBench::create(&["/bin/sh", "-c", WHAT_THE_CONTAINER_SEES]).expect("fixture");
        for (mode, expected) in [
            (NetworkMode::None, 10),
            (NetworkMode::Bridge, 11),
            (NetworkMode::UserNetwork, 12),
        ] {
            let (code, times) = bench.start(mode).expect("start");
            assert_eq!(code, expected, "{}: exit code of the checks", mode.name());
            assert!(times.connect <= times.started && times.started <= times.total);
        }
        let (code, _) = bench.start_with_ip_commands().expect("start with ip commands");
        assert_eq!(code, 13, "ip_commands: exit code of the checks");

        let mut nl = Netlink::open().expect("netlink");
        let mut links: Vec<String> = nl.links().expect("links").into_iter().map(|l| l.name).collect();
        links.sort();
        let user_bridge = bench.user_network().bridge_name().expect("a bridge network");
        assert_eq!(links, [user_bridge.clone(), "lo".into(), "minidocker0".into()]);
        let lock = bench.engine().networks.lock().expect("lock");
        let held: Vec<String> = lock
            .ipam()
            .expect("ipam")
            .networks()
            .flat_map(|(_, n)| n.allocated.values().cloned().collect::<Vec<_>>())
            .collect();
        assert_eq!(held, [IP_COMMANDS_OWNER], "only the floor's address is held");
        drop(lock);
        let data_root = bench.data_root().to_owned();
        drop(bench);
        assert!(!data_root.exists(), "the data root is removed on drop");
        assert!(
            !link_exists(&user_bridge),
            "the user network's bridge is removed on drop"
        );
    }

    #[test]
    fn modes_have_the_names_of_the_benchmarks_and_the_flags_of_run() {
        let names: Vec<_> = NetworkMode::ALL.iter().map(|m| (m.name(), m.flag())).collect();
        assert_eq!(
            names,
            [
                ("none", "none"),
                ("bridge", "bridge"),
                ("user_network", USER_NETWORK)
            ]
        );
    }
}
