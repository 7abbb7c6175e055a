//! Where the time of a network goes: the steps of `Engine::connect_sandbox` and
//! `Engine::disconnect_sandbox` on a user network, timed one by one.
//!
//! The engine's functions time only as a whole, so this calls, in the engine's order, the same
//! public pieces they are made of: IPAM under the network lock, `bridge::ensure_bridge`,
//! chapter 7's netlink requests as `Engine::attach_endpoint` sends them, `write_hosts`,
//! `EmbeddedDns::start`, `Publication::publish`, and back. It is a breakdown for reading, not
//! the benchmark: [`NetworkBench::start`](crate::network::NetworkBench::start) drives the
//! engine itself, and the sum of these steps should come close to its `connect` and
//! `disconnect` times.
//!
//! Each round is a real start of the `--network none` container: the connect steps run while
//! its init waits on its go pipe (as `connect_sandbox` does, in the `place` closure of
//! `launch_placed`), on its namespace; the teardown steps after it has exited, when the
//! kernel is already tearing that namespace down, as after a real run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ch07_network::dns::{EmbeddedDns, NameTable};
use ch07_network::{Ipv4Net, MacAddr, NetNs, Netlink};
use minidocker::engine::network::bridge::ensure_bridge;
use minidocker::engine::network::publish::Publication;
use minidocker::engine::network::sandbox::write_hosts;

use crate::network::NetworkBench;

/// The steps, in the order they run, with what each does; the last is no engine step but
/// what `ipam_allocate` would cost without its fsync(2)s.
pub const STEPS: [(&str, &str); 14] = [
    (
        "ipam_allocate",
        "flock(2) the network lock, read ipam.json, allocate (temp file, fsync, rename, fsync dir)",
    ),
    (
        "bridge_check",
        "ensure_bridge: netlink socket, RTM_GETLINK of the bridge (it exists)",
    ),
    (
        "veth_create",
        "netlink socket, RTM_NEWLINK veth with its peer born in the container's namespace",
    ),
    (
        "veth_to_bridge",
        "host end: master = bridge, then up (4 requests)",
    ),
    (
        "netlink_inside",
        "a netlink socket inside the container's namespace (a thread setns(2)s in and ends)",
    ),
    (
        "configure_inside",
        "lo up, MAC, address, eth0 up, default route (9 requests)",
    ),
    ("hosts_file", "write the container's /etc/hosts"),
    (
        "dns_start",
        "EmbeddedDns::start: UDP and TCP sockets on 127.0.0.11:53 inside, two threads",
    ),
    (
        "publish",
        "read every container record, Publication::publish with no ports",
    ),
    ("dns_stop", "wake and join the DNS threads, close the sockets"),
    (
        "veth_delete",
        "netlink socket, RTM_GETLINK + RTM_DELLINK of the host end (namespace just released)",
    ),
    (
        "ipam_release",
        "flock(2), read ipam.json, release (atomic write again)",
    ),
    (
        "release_container_addresses",
        "flock(2), read ipam.json, nothing left to release",
    ),
    (
        "ipam_without_fsync",
        "what-if: flock(2), read ipam.json, write it back to a temp file and rename(2) it over, no fsync(2)",
    ),
];

/// The times of each step over `rounds` rounds, in nanoseconds, by step name (in
/// [`STEPS`] order).
pub fn measure_steps(bench: &NetworkBench, rounds: usize) -> Result<Vec<(&'static str, Vec<f64>)>, String> {
    let mut times: Vec<(&'static str, Vec<f64>)> =
        STEPS.iter().map(|(name, _)| (*name, Vec::new())).collect();
    for round in 0..rounds {
        let step_times = one_round(bench, round)?;
        for ((_, all), (_, d)) in times.iter_mut().zip(step_times) {
            all.push(d.as_secs_f64() * 1e9);
        }
    }
    Ok(times)
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Times `work`, appending its duration to `times` under `name`.
fn step<T>(
    times: &mut Vec<(&'static str, Duration)>,
    name: &'static str,
    work: impl FnOnce() -> Result<T, String>,
) -> Result<T, String> {
    let began = Instant::now();
    let result = work()?;
    times.push((name, began.elapsed()));
    Ok(result)
}

fn one_round(bench: &NetworkBench, round: usize) -> Result<Vec<(&'static str, Duration)>, String> {
    let engine = bench.engine();
    let network = bench.user_network();
    let owner = format!("steps-{round}");
    let bridge = network.bridge_name().ok_or("the user network has no bridge")?;
    let host_veth = format!("vethstep{}", round % 1000);
    let mut t = Vec::new();
    let mut connected = None;
    let code = bench.start_placed(|pid| {
        let netns = NetNs::of_pid(pid).map_err(text)?;
        let (ip, gateway, gateway_address) = step(&mut t, "ipam_allocate", || {
            let lock = engine.networks.lock().map_err(text)?;
            let mut ipam = lock.ipam().map_err(text)?;
            let allocation = ipam.network(&network.id).cloned().ok_or("no IPAM entry")?;
            let ip = ipam.allocate(&network.id, &owner, None).map_err(text)?;
            let net = Ipv4Net::new(ip, allocation.subnet.prefix()).unwrap_or(allocation.subnet);
            Ok((net, allocation.gateway, allocation.gateway_address()))
        })?;
        step(&mut t, "bridge_check", || {
            ensure_bridge(network, gateway_address).map_err(text)
        })?;
        let mut host = step(&mut t, "veth_create", || {
            let mut host = Netlink::open().map_err(text)?;
            host.add_veth_into(&host_veth, "eth0", &netns).map_err(text)?;
            Ok(host)
        })?;
        step(&mut t, "veth_to_bridge", || {
            host.set_master(&host_veth, &bridge).map_err(text)?;
            host.set_up(&host_veth).map_err(text)
        })?;
        let mut inside = step(&mut t, "netlink_inside", || {
            Netlink::open_in(&netns).map_err(text)
        })?;
        step(&mut t, "configure_inside", || {
            inside.set_up("lo").map_err(text)?;
            inside
                .set_mac("eth0", MacAddr::from_ipv4(ip.addr()))
                .map_err(text)?;
            inside.add_address("eth0", ip).map_err(text)?;
            inside.set_up("eth0").map_err(text)?;
            inside.add_default_route(gateway).map_err(text)
        })?;
        let dir = bench.data_root().join("steps-files");
        std::fs::create_dir_all(&dir).map_err(text)?;
        step(&mut t, "hosts_file", || {
            write_hosts(&dir, "steps", &[ip.addr()], &[]).map_err(text)
        })?;
        let dns = step(&mut t, "dns_start", || {
            EmbeddedDns::start(&netns, Arc::new(NameTable::new()), Vec::new()).map_err(text)
        })?;
        let publication = step(&mut t, "publish", || {
            let others = engine.containers.list().unwrap_or_default();
            Publication::publish("steps", &bridge, ip.addr(), &[], &[], &others).map_err(text)
        })?;
        // As connect_sandbox: the namespace's descriptor goes now; the DNS server's sockets
        // keep the namespace until they close.
        connected = Some((ip, dns, publication));
        Ok(())
    })?;
    let Some((ip, dns, mut publication)) = connected else {
        return Err("the init was never placed".into());
    };
    if code != 0 {
        return Err(format!("the container exited with {code}"));
    }
    // The container has exited. As disconnect_sandbox: ports, DNS server (its sockets were
    // the last hold on the namespace: the kernel starts tearing it down, the pair with it,
    // while the engine deletes the pair too), then the endpoint.
    publication.unpublish();
    step(&mut t, "dns_stop", || {
        dns.stop();
        Ok(())
    })?;
    step(&mut t, "veth_delete", || {
        let mut nl = Netlink::open().map_err(text)?;
        if nl.link(&host_veth).is_ok()
            && let Err(e) = nl.delete_link(&host_veth)
            && nl.link(&host_veth).is_ok()
        {
            return Err(e.to_string());
        }
        Ok(())
    })?;
    step(&mut t, "ipam_release", || {
        let lock = engine.networks.lock().map_err(text)?;
        let mut ipam = lock.ipam().map_err(text)?;
        ipam.release(&network.id, ip.addr()).map_err(text)
    })?;
    step(&mut t, "release_container_addresses", || {
        engine.release_container_addresses(&owner).map_err(text)
    })?;
    step(&mut t, "ipam_without_fsync", || rewrite_ipam_without_fsync(bench))?;
    Ok(t)
}

/// An IPAM change without durability: under the network lock, IPAM read (and parsed) as
/// `Ipam::open` does, the same bytes written to a temp file beside it and renamed over it,
/// atomic against other processes and crashes of the engine, not against power loss.
fn rewrite_ipam_without_fsync(bench: &NetworkBench) -> Result<(), String> {
    let engine = bench.engine();
    let lock = engine.networks.lock().map_err(text)?;
    let _parsed = lock.ipam().map_err(text)?;
    let path = bench.data_root().join("network/ipam.json");
    let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let tmp = path.with_extension("json.tmp-steps");
    std::fs::write(&tmp, &bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display()))
}

/// How long the kernel takes to delete a veth pair by itself once the namespace of its peer
/// is released (nothing deletes it explicitly), over `rounds` rounds, in nanoseconds: the
/// time until the host end is gone, polled every 100 µs.
pub fn measure_kernel_veth_cleanup(rounds: usize) -> Result<Vec<f64>, String> {
    let mut times = Vec::new();
    let mut nl = Netlink::open().map_err(text)?;
    for round in 0..rounds {
        let veth = format!("vethgone{}", round % 1000);
        let netns = NetNs::new().map_err(text)?;
        nl.add_veth_into(&veth, "eth0", &netns).map_err(text)?;
        let began = Instant::now();
        drop(netns);
        while nl.link(&veth).is_ok() {
            if began.elapsed() > Duration::from_secs(5) {
                return Err(format!("{veth} still there 5 s after its peer's namespace went"));
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        times.push(began.elapsed().as_secs_f64() * 1e9);
    }
    Ok(times)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{enter_new_network_namespace, link_exists};

    /// The breakdown runs every step and leaves no veth and no address behind; the kernel
    /// deletes a pair whose peer's namespace is gone. Needs root; in a network namespace
    /// this test's thread enters first.
    #[test]
    fn the_steps_run_and_give_everything_back() {
        if !nix::unistd::geteuid().is_root() || !std::path::Path::new(crate::HOST_BUSYBOX).exists() {
            eprintln!("skipped: needs root and {}", crate::HOST_BUSYBOX);
            return;
        }
        enter_new_network_namespace().expect("a new network namespace");
        let bench = NetworkBench::create(&["/bin/true"]).expect("fixture");
        let steps = measure_steps(&bench, 2).expect("two rounds");
        let names: Vec<&str> = steps.iter().map(|(name, _)| *name).collect();
        assert_eq!(names, STEPS.map(|(name, _)| name));
        assert!(
            steps
                .iter()
                .all(|(_, ns)| ns.len() == 2 && ns.iter().all(|t| *t > 0.0))
        );
        assert!(!link_exists("vethstep0") && !link_exists("vethstep1"));
        let held = {
            let lock = bench.engine().networks.lock().expect("lock");
            let ipam = lock.ipam().expect("ipam");
            ipam.networks()
                .flat_map(|(_, n)| n.allocated.values().cloned().collect::<Vec<_>>())
                .filter(|owner| owner.starts_with("steps-"))
                .count()
        };
        assert_eq!(held, 0, "every step address is released");
        let cleanup = measure_kernel_veth_cleanup(2).expect("the kernel deletes the pairs");
        assert_eq!(cleanup.len(), 2);
        assert!(!link_exists("vethgone0") && !link_exists("vethgone1"));
    }
}
