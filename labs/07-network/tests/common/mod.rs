//! Shared by the lab's tests: a root check, subnets written as text, and, for the privileged
//! tests, network namespaces that stand in for the host and for containers.
//!
//! Host safety: every privileged test makes a fresh network namespace to play the host
//! ([`TestHost`]) and builds its bridges, veth pairs, addresses and iptables rules inside
//! it. The namespaces are anonymous (held by a descriptor, never bind-mounted under
//! /run/netns), so when a test ends, even by a panic, dropping them destroys everything in
//! them. Traffic goes only to addresses inside those namespaces.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use lab07_network::{Ipv4Net, NetNs, Netlink};

/// Notes a skipped test for `labs/check` (in the file `$LAB_CHECK_SKIPPED`), so that the
/// checker can tell a skipped test from a passed one.
fn note_skipped(test: &str, why: &str) {
    eprintln!("skipping {test}: {why}");
    if let Some(path) = std::env::var_os("LAB_CHECK_SKIPPED") {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{test}");
        }
    }
}

/// True when running as root; otherwise says why `test` is skipped.
pub fn is_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    note_skipped(
        test,
        "needs root (network namespaces, netlink changes and iptables are privileged)",
    );
    false
}

/// True when the `iptables` program runs; otherwise says why `test` is skipped.
pub fn iptables_available(test: &str) -> bool {
    let found = std::process::Command::new("iptables")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        note_skipped(test, "no iptables program (apt install iptables)");
    }
    found
}

/// A subnet written as text, parsed by the chapter's code (so that tests of later exercises
/// do not depend on your `from_str` of ex1) and rebuilt as the lab's type.
pub fn net(text: &str) -> Ipv4Net {
    let parsed: ch07_network::Ipv4Net = text.parse().expect("a valid CIDR in the test");
    Ipv4Net::new(parsed.addr(), parsed.prefix()).expect("a prefix of at most 32")
}

/// An IPv4 address written as text.
pub fn ip(text: &str) -> Ipv4Addr {
    text.parse().expect("a valid IPv4 address in the test")
}

/// A network namespace standing in for the host, with `lo` up.
pub struct TestHost {
    pub ns: NetNs,
    pub nl: Netlink,
}

impl TestHost {
    pub fn new() -> TestHost {
        let ns = NetNs::new().expect("create the test host's network namespace");
        let mut nl = Netlink::open_in(&ns).expect("netlink in the test host's namespace");
        nl.set_up("lo").expect("lo up in the test host");
        TestHost { ns, nl }
    }

    /// A bridge with the gateway address `gateway` (e.g. `10.207.0.1/24`), up.
    pub fn add_bridge(&mut self, name: &str, gateway: &str) {
        self.nl.add_bridge(name).expect("add the bridge");
        self.nl
            .add_address(name, net(gateway))
            .expect("the bridge's address");
        self.nl.set_up(name).expect("the bridge up");
    }
}

/// A container: its namespace, and its address.
pub struct TestContainer {
    pub ns: NetNs,
    pub ip: Ipv4Addr,
}

/// A container plugged into `bridge` of `host` with the *chapter's* link code (not yours),
/// for the tests of exercises before ex6: a veth pair whose host end `host_end` is on the
/// bridge and whose peer is the container's `eth0`, with `address` (e.g. `10.208.0.2/24`),
/// Docker's MAC and a default route via `gateway`.
pub fn attach_with_chapter_code(
    host: &TestHost,
    bridge: &str,
    host_end: &str,
    address: &str,
    gateway: Ipv4Addr,
) -> TestContainer {
    let address: ch07_network::Ipv4Net = address.parse().expect("a valid address in the test");
    let ns = NetNs::new().expect("create the container's network namespace");
    let mut hnl = ch07_network::Netlink::open_in(&host.ns).expect("netlink in the test host");
    hnl.add_veth_into(host_end, "eth0", &ns)
        .expect("add the veth pair");
    hnl.set_master(host_end, bridge)
        .expect("plug the host end into the bridge");
    hnl.set_up(host_end).expect("the host end up");
    let mut cnl = ch07_network::Netlink::open_in(&ns).expect("netlink in the container");
    cnl.set_up("lo").expect("lo up in the container");
    cnl.set_mac("eth0", ch07_network::MacAddr::from_ipv4(address.addr()))
        .expect("the container's MAC");
    cnl.add_address("eth0", address).expect("the container's address");
    cnl.set_up("eth0").expect("eth0 up");
    cnl.add_default_route(gateway).expect("the default route");
    TestContainer {
        ns,
        ip: address.addr(),
    }
}

/// A TCP server inside `ns` on `addr` that answers one connection with `reply`; the thread
/// returns what the client sent.
pub fn serve_once(
    ns: &NetNs,
    addr: SocketAddr,
    reply: &'static str,
) -> (SocketAddr, std::thread::JoinHandle<String>) {
    let listener = ns
        .run(|| TcpListener::bind(addr))
        .expect("run in the namespace")
        .expect("bind the test server");
    let local = listener.local_addr().expect("the server's address");
    let thread = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut line = [0u8; 64];
        let n = conn.read(&mut line).unwrap_or(0);
        conn.write_all(reply.as_bytes()).expect("reply");
        String::from_utf8_lossy(&line[..n]).into_owned()
    });
    (local, thread)
}

/// Connects from inside `ns` to `addr` (giving up after two seconds), sends `hello` and
/// returns the reply.
pub fn talk(ns: &NetNs, addr: SocketAddr) -> std::io::Result<String> {
    ns.run(|| -> std::io::Result<String> {
        let mut conn = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        conn.write_all(b"hello")?;
        conn.shutdown(std::net::Shutdown::Write)?;
        let mut reply = String::new();
        conn.read_to_string(&mut reply)?;
        Ok(reply)
    })
    .expect("run in the namespace")
}

/// Asserts that no link with these names reached the test process's own namespace.
pub fn assert_no_leak(link_names: &[&str]) {
    let mut nl = ch07_network::Netlink::open().expect("netlink in the test's own namespace");
    let links = nl.links().expect("list the links");
    for name in link_names {
        assert!(
            links.iter().all(|l| l.name != *name),
            "link {name} leaked into the test's own network namespace"
        );
    }
}
