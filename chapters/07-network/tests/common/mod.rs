//! Shared by the privileged tests: a root check, test namespaces, and leak checks.
//!
//! Host safety: every test makes a fresh network namespace to play the host ([`TestHost`])
//! and builds bridges, veths, addresses and iptables rules inside it. The namespaces are
//! anonymous (held by a descriptor, never bind-mounted under /run/netns), so when the test
//! ends, even by a panic, dropping them destroys everything in them.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;

use ch07_network::{Ipv4Net, MacAddr, NetNs, Netlink};

/// True when running as root; otherwise prints why the test is skipped.
pub fn is_root(test: &str) -> bool {
    let root = nix::unistd::geteuid().is_root();
    if !root {
        eprintln!("skipping {test}: needs root (network namespaces, netlink and iptables are privileged)");
    }
    root
}

/// A network namespace standing in for the host, with `lo` up.
pub struct TestHost {
    pub ns: NetNs,
    pub nl: Netlink,
}

impl TestHost {
    pub fn new() -> TestHost {
        let ns = NetNs::new().expect("create the test host netns");
        let mut nl = Netlink::open_in(&ns).expect("netlink in the test host netns");
        nl.set_up("lo").expect("lo up");
        TestHost { ns, nl }
    }
}

/// A container: its namespace, with `eth0` plugged into `bridge` of `host` through a veth
/// pair named `host_end`, address `ip/prefix`, Docker's MAC and a default route via `gateway`.
pub struct TestContainer {
    pub ns: NetNs,
    pub nl: Netlink,
    pub ip: Ipv4Addr,
}

pub fn attach(
    host: &mut TestHost,
    bridge: &str,
    host_end: &str,
    ip: Ipv4Net,
    gateway: Ipv4Addr,
) -> TestContainer {
    let ns = NetNs::new().expect("create container netns");
    let peer = format!("{host_end}p");
    host.nl.add_veth(host_end, &peer).expect("add veth");
    host.nl.set_master(host_end, bridge).expect("plug into bridge");
    host.nl.set_up(host_end).expect("host end up");
    host.nl
        .move_to_netns(&peer, &ns, Some("eth0"))
        .expect("move peer in as eth0");
    let mut nl = Netlink::open_in(&ns).expect("netlink in container netns");
    nl.set_up("lo").expect("lo up");
    nl.set_mac("eth0", MacAddr::from_ipv4(ip.addr()))
        .expect("set mac");
    nl.add_address("eth0", ip).expect("add address");
    nl.set_up("eth0").expect("eth0 up");
    nl.add_default_route(gateway).expect("default route");
    TestContainer {
        ns,
        nl,
        ip: ip.addr(),
    }
}

/// Pings `target` once from inside `ns` with busybox, if it is installed.
pub fn ping(ns: &NetNs, target: Ipv4Addr) -> Option<bool> {
    if !Path::new("/bin/busybox").exists() {
        eprintln!("no /bin/busybox: skipping ping, the TCP checks still run");
        return None;
    }
    let status = ns
        .run(|| {
            Command::new("/bin/busybox")
                .args(["ping", "-c", "1", "-W", "2", &target.to_string()])
                .output()
        })
        .expect("run in netns")
        .expect("spawn busybox ping");
    Some(status.status.success())
}

/// A TCP server inside `ns` on `addr` that answers each connection with `reply` and closes.
pub fn serve_once(
    ns: &NetNs,
    addr: SocketAddr,
    reply: &'static str,
) -> (SocketAddr, std::thread::JoinHandle<String>) {
    let listener = ns
        .run(|| TcpListener::bind(addr))
        .expect("run in netns")
        .expect("bind test server");
    let local = listener.local_addr().expect("local addr");
    let thread = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut line = [0u8; 64];
        let n = conn.read(&mut line).unwrap_or(0);
        conn.write_all(reply.as_bytes()).expect("reply");
        String::from_utf8_lossy(&line[..n]).into_owned()
    });
    (local, thread)
}

/// Connects from inside `ns`, sends `hello`, returns the reply.
pub fn talk(ns: &NetNs, addr: SocketAddr) -> std::io::Result<String> {
    ns.run(|| -> std::io::Result<String> {
        let mut conn = TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(3))?;
        conn.write_all(b"hello")?;
        conn.shutdown(std::net::Shutdown::Write)?;
        let mut reply = String::new();
        conn.read_to_string(&mut reply)?;
        Ok(reply)
    })
    .expect("run in netns")
}

/// Asserts that nothing of this test reached the real host: no link with these names in
/// the test process's own namespace, and no named network namespace of ours.
pub fn assert_no_leak(link_names: &[&str]) {
    let mut nl = Netlink::open().expect("netlink in the host namespace");
    let links = nl.links().expect("list host links");
    for name in link_names {
        assert!(
            links.iter().all(|l| l.name != *name),
            "link {name} leaked into the host namespace"
        );
    }
    let named = Command::new("ip").args(["-all", "netns", "list"]).output();
    if let Ok(out) = named {
        let listing = String::from_utf8_lossy(&out.stdout);
        assert!(!listing.contains("ch07-test"), "named netns leaked: {listing}");
    }
}
