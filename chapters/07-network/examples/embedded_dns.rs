//! The embedded DNS server: `web` and `db` answered at 127.0.0.11 inside a container's
//! namespace, `PTR` for their addresses, everything else forwarded upstream.
//!
//! A namespace stands in for the container; nothing is forwarded unless upstreams are given
//! as arguments (`IP:PORT`), so by default unknown names get Docker's `SERVFAIL`. The
//! example also times starting and stopping the server, the cost it adds to a container
//! start.
//!
//! Run as root: `cargo run -p ch07-network --example embedded_dns [-- 127.0.0.53:53]`

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use ch07_network::{EmbeddedDns, NameTable, NetNs, Netlink};

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let upstreams = std::env::args()
        .skip(1)
        .map(|arg| arg.parse::<SocketAddr>())
        .collect::<Result<Vec<_>, _>>()?;
    let container = NetNs::new()?;
    Netlink::open_in(&container)?.set_up("lo")?;

    let mut names = NameTable::new();
    names
        .insert("web", Ipv4Addr::new(172, 18, 0, 2))
        .insert("web.mynet", Ipv4Addr::new(172, 18, 0, 2))
        .insert("db", Ipv4Addr::new(172, 18, 0, 3))
        .insert("db.mynet", Ipv4Addr::new(172, 18, 0, 3));
    let names = Arc::new(names);

    // what a container start pays: bind in the namespace, spawn two threads; and the stop
    let rounds = 200u32;
    let (mut starting, mut stopping) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for _ in 0..rounds {
        let started = Instant::now();
        let dns = EmbeddedDns::start(&container, names.clone(), upstreams.clone())?;
        starting += started.elapsed();
        let stopped = Instant::now();
        dns.stop();
        stopping += stopped.elapsed();
    }
    println!(
        "start {:?}, stop {:?} (mean of {rounds})",
        starting / rounds,
        stopping / rounds
    );

    let dns = EmbeddedDns::start(&container, names, upstreams)?;
    println!(
        "serving udp {} and tcp {} inside the namespace; upstreams {:?}",
        dns.udp_addr(),
        dns.tcp_addr(),
        dns.upstreams()
    );
    if !Path::new("/bin/busybox").exists() {
        println!("no /bin/busybox to query with; the tests in tests/dns.rs query the server");
        return Ok(());
    }
    for name in ["web", "DB.mynet", "172.18.0.3", "example.com"] {
        // a process spawned from a thread inside the namespace starts in it
        let output = container.run(|| {
            Command::new("/bin/busybox")
                .args(["nslookup", name, "127.0.0.11"])
                .output()
        })??;
        println!("$ nslookup {name} 127.0.0.11");
        print!("{}", String::from_utf8_lossy(&output.stdout));
        print!("{}", String::from_utf8_lossy(&output.stderr));
    }
    dns.stop();
    Ok(())
}
