//! A bridge and two "containers" (network namespaces) on it, pinging each other.
//!
//! Everything lives in namespaces this example creates: a stand-in for the host (so the
//! real host's interfaces are never touched) and two containers. When the example ends, the
//! namespaces and all their links go away with it.
//!
//! Run as root: `cargo run -p ch07-network --example bridge_ping`

use std::net::Ipv4Addr;
use std::process::Command;

use ch07_network::{Ipam, MacAddr, NetNs, Netlink, NetworkRequest};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let host = NetNs::new()?;
    let mut hnl = Netlink::open_in(&host)?;
    hnl.set_up("lo")?;

    // IPAM picks the subnet (172.17.0.0/16, unless the "host" routes it) and the addresses.
    let state = std::env::temp_dir().join(format!("ch07-bridge-ping-{}.json", std::process::id()));
    let mut ipam = Ipam::open(&state)?;
    let network = ipam.add_network("bridge", &NetworkRequest::default(), &hnl.routed_subnets()?)?;
    println!(
        "network bridge: subnet {} gateway {}",
        network.subnet, network.gateway
    );

    hnl.add_bridge("minidocker0")?;
    hnl.add_address("minidocker0", network.gateway_address())?;
    hnl.set_up("minidocker0")?;

    let mut containers = Vec::new();
    for name in ["c1", "c2"] {
        let started = std::time::Instant::now();
        let ns = NetNs::new()?;
        let ip = ipam.allocate("bridge", name, None)?;
        let host_end = format!("veth-{name}");
        // The peer is born inside the container as eth0 (`add_veth` + `move_to_netns` gives
        // the same result, but moving a link costs the kernel tens of milliseconds).
        hnl.add_veth_into(&host_end, "eth0", &ns)?;
        hnl.set_master(&host_end, "minidocker0")?;
        hnl.set_up(&host_end)?;

        let mut cnl = Netlink::open_in(&ns)?;
        cnl.set_up("lo")?;
        cnl.set_mac("eth0", MacAddr::from_ipv4(ip))?;
        cnl.add_address(
            "eth0",
            ch07_network::Ipv4Net::new(ip, network.subnet.prefix()).ok_or("bad prefix")?,
        )?;
        cnl.set_up("eth0")?;
        cnl.add_default_route(network.gateway)?;
        println!(
            "{name}: eth0 {ip}/{} mac {} (netns + IPAM + veth + address + route in {:?})",
            network.subnet.prefix(),
            MacAddr::from_ipv4(ip),
            started.elapsed()
        );
        containers.push((name, ns, ip));
    }

    let ping = |ns: &NetNs, target: Ipv4Addr| -> Result<bool, Error> {
        let out = ns.run(|| {
            Command::new("/bin/busybox")
                .args(["ping", "-c", "2", "-W", "2", &target.to_string()])
                .output()
        })??;
        print!("{}", String::from_utf8_lossy(&out.stdout));
        Ok(out.status.success())
    };
    let (_, ns1, _) = &containers[0];
    let (_, ns2, ip2) = &containers[1];
    let ok = ping(ns1, *ip2)? && ping(ns2, network.gateway)?;
    std::fs::remove_file(&state)?;
    println!(
        "{}",
        if ok {
            "c1 reaches c2, c2 reaches the gateway"
        } else {
            "ping failed"
        }
    );
    std::process::exit(i32::from(!ok));
}
