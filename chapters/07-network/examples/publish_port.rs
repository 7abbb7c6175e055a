//! Publishing a port: `-p 8080:80` as iptables rules (DNAT, ACCEPT, hairpin MASQUERADE),
//! and `-p 127.0.0.1:8081:80` through the userland proxy.
//!
//! A namespace stands in for the host, so the real host's firewall is never touched; the
//! rules are listed, used, removed, and the namespaces vanish when the example ends.
//!
//! Run as root: `cargo run -p ch07-network --example publish_port`

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};

use ch07_network::nat::Table;
use ch07_network::{
    BridgeNetwork, Iptables, Ipv4Net, NetNs, Netlink, Protocol, PublishedPort, UserlandProxy, bridge_rules,
    parse_port_spec, port_rules,
};

type Error = Box<dyn std::error::Error>;

fn get(ns: &NetNs, addr: SocketAddr) -> Result<String, Error> {
    let reply = ns.run(|| -> std::io::Result<String> {
        let mut conn = TcpStream::connect(addr)?;
        conn.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
        let mut reply = String::new();
        conn.read_to_string(&mut reply)?;
        Ok(reply)
    })??;
    Ok(reply)
}

fn main() -> Result<(), Error> {
    let (host, container) = (NetNs::new()?, NetNs::new()?);
    let (mut hnl, mut cnl) = (Netlink::open_in(&host)?, Netlink::open_in(&container)?);
    let subnet: Ipv4Net = "172.17.0.0/16".parse()?;
    let (gateway, ip) = (Ipv4Addr::new(172, 17, 0, 1), Ipv4Addr::new(172, 17, 0, 2));
    hnl.set_up("lo")?;
    hnl.add_bridge("minidocker0")?;
    hnl.add_address("minidocker0", Ipv4Net::new(gateway, 16).ok_or("prefix")?)?;
    hnl.set_up("minidocker0")?;
    hnl.add_veth("vethc1", "vethc1p")?;
    hnl.set_master("vethc1", "minidocker0")?;
    hnl.set_up("vethc1")?;
    hnl.move_to_netns("vethc1p", &container, Some("eth0"))?;
    cnl.set_up("lo")?;
    cnl.add_address("eth0", Ipv4Net::new(ip, 16).ok_or("prefix")?)?;
    cnl.set_up("eth0")?;
    cnl.add_default_route(gateway)?;

    // the "container": a tiny web server on port 80
    let listener = container.run(|| TcpListener::bind((Ipv4Addr::UNSPECIFIED, 80)))??;
    let server = std::thread::spawn(move || {
        for conn in listener.incoming().take(2) {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0u8; 256];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(b"HTTP/1.0 200 OK\r\n\r\nhello from 172.17.0.2:80\n");
        }
    });

    // -p 8080:80 → iptables
    let mapping = &parse_port_spec("8080:80")?[0];
    let port = PublishedPort {
        protocol: mapping.protocol,
        host_ip: None,
        host_port: 8080,
        container_ip: ip,
        container_port: mapping.container_port,
    };
    let ipt = Iptables::in_netns(&host);
    ipt.setup()?;
    let network = BridgeNetwork {
        bridge: "minidocker0".into(),
        subnet,
        internal: false,
    };
    let mut rules = bridge_rules(&network);
    rules.extend(port_rules("minidocker0", &port, false));
    ipt.add_all(&rules)?;
    println!("iptables -t nat -S:");
    for line in ipt.list(Table::Nat, None)? {
        println!("  {line}");
    }
    let reply = get(&host, SocketAddr::from((gateway, 8080)))?;
    println!(
        "GET http://172.17.0.1:8080/ (DNAT) → {}",
        reply.lines().last().unwrap_or("")
    );

    // -p 127.0.0.1:8081:80 → the userland proxy (DNAT cannot serve loopback)
    let proxy = UserlandProxy::start(
        Protocol::Tcp,
        SocketAddr::from((Ipv4Addr::LOCALHOST, 8081)),
        SocketAddr::from((ip, 80)),
        Some(&host),
    )?;
    let reply = get(&host, proxy.local_addr())?;
    println!(
        "GET http://127.0.0.1:8081/ (proxy) → {}",
        reply.lines().last().unwrap_or("")
    );
    proxy.stop();
    server.join().map_err(|_| "server thread panicked")?;

    ipt.delete_all(&rules)?;
    ipt.teardown()?;
    println!(
        "rules removed; nat table now has {} lines",
        ipt.list(Table::Nat, None)?.len()
    );
    Ok(())
}
