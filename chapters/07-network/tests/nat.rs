//! Privileged: NAT rules are created and removed exactly, and a published port is reached
//! through DNAT. All inside a test network namespace: the host's firewall is never touched.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

mod common;

use std::net::{Ipv4Addr, SocketAddr};

use ch07_network::nat::{self, Iptables, Table};
use ch07_network::{BridgeNetwork, Ipv4Net, Protocol, PublishedPort, bridge_rules, port_rules};
use common::{TestHost, assert_no_leak, attach, serve_once, talk};

fn iptables_available() -> bool {
    let found = std::process::Command::new("iptables")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipping: no iptables binary");
    }
    found
}

fn all_rules(ipt: &Iptables<'_>) -> (Vec<String>, Vec<String>) {
    (
        ipt.list(Table::Nat, None).unwrap(),
        ipt.list(Table::Filter, None).unwrap(),
    )
}

#[test]
fn rules_are_created_and_removed_exactly() {
    if !common::is_root("rules_are_created_and_removed_exactly") || !iptables_available() {
        return;
    }
    {
        let host = TestHost::new();
        let ipt = Iptables::in_netns(&host.ns);
        let pristine = all_rules(&ipt);

        ipt.setup().unwrap();
        ipt.setup().unwrap(); // idempotent
        let base = all_rules(&ipt);
        assert!(base.0.contains(&"-N MINIDOCKER".to_string()), "{:?}", base.0);
        assert!(
            base.0
                .contains(&"-A PREROUTING -m addrtype --dst-type LOCAL -j MINIDOCKER".to_string())
        );
        assert!(
            base.0.contains(
                &"-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j MINIDOCKER".to_string()
            )
        );
        assert!(
            base.1
                .contains(&"-A FORWARD -j MINIDOCKER-ISOLATION-STAGE-1".to_string()),
            "{:?}",
            base.1
        );

        let network = BridgeNetwork {
            bridge: "ch07nat0".into(),
            subnet: "172.18.0.0/16".parse().unwrap(),
            internal: false,
        };
        let port = PublishedPort {
            protocol: Protocol::Tcp,
            host_ip: None,
            host_port: 8080,
            container_ip: Ipv4Addr::new(172, 18, 0, 2),
            container_port: 80,
        };
        let mut rules = bridge_rules(&network);
        rules.extend(port_rules("ch07nat0", &port, false));
        ipt.add_all(&rules).unwrap();
        ipt.add_all(&rules).unwrap(); // never twice
        let (nat_rules, filter_rules) = all_rules(&ipt);
        for rule in &rules {
            let listing = if rule.table == Table::Nat {
                &nat_rules
            } else {
                &filter_rules
            };
            let count = listing.iter().filter(|l| **l == rule.to_string()).count();
            assert_eq!(count, 1, "{rule} listed {count} times in {listing:?}");
        }
        // what iptables lists is exactly base + our rules
        assert_eq!(
            nat_rules.len() + filter_rules.len(),
            base.0.len() + base.1.len() + rules.len()
        );
        assert_eq!(
            ipt.list(Table::Filter, Some(nat::ISOLATION_STAGE_1)).unwrap(),
            [
                "-N MINIDOCKER-ISOLATION-STAGE-1",
                "-A MINIDOCKER-ISOLATION-STAGE-1 -i ch07nat0 ! -o ch07nat0 -j MINIDOCKER-ISOLATION-STAGE-2",
                "-A MINIDOCKER-ISOLATION-STAGE-1 -j RETURN",
            ]
        );

        // removing the port's rules leaves the bridge's; removing those leaves the base
        ipt.delete_all(&port_rules("ch07nat0", &port, false)).unwrap();
        assert_eq!(
            all_rules(&ipt).0.len() + all_rules(&ipt).1.len(),
            base.0.len() + base.1.len() + rules.len() - 3
        );
        ipt.delete_all(&bridge_rules(&network)).unwrap();
        assert_eq!(all_rules(&ipt), base);
        ipt.teardown().unwrap();
        assert_eq!(all_rules(&ipt), pristine);
    }
    assert_no_leak(&["ch07nat0"]);
}

#[test]
fn a_published_port_is_reached_through_dnat() {
    if !common::is_root("a_published_port_is_reached_through_dnat") || !iptables_available() {
        return;
    }
    {
        let mut host = TestHost::new();
        let gw = Ipv4Addr::new(10, 208, 0, 1);
        host.nl.add_bridge("ch07pub0").unwrap();
        host.nl
            .add_address("ch07pub0", "10.208.0.1/24".parse().unwrap())
            .unwrap();
        host.nl.set_up("ch07pub0").unwrap();
        let container = attach(
            &mut host,
            "ch07pub0",
            "ch07pv1",
            "10.208.0.2/24".parse::<Ipv4Net>().unwrap(),
            gw,
        );

        let ipt = Iptables::in_netns(&host.ns);
        ipt.setup().unwrap();
        let network = BridgeNetwork {
            bridge: "ch07pub0".into(),
            subnet: "10.208.0.0/24".parse().unwrap(),
            internal: false,
        };
        let (server_addr, server) = serve_once(
            &container.ns,
            SocketAddr::from((container.ip, 80)),
            "hello from the container",
        );
        let port = PublishedPort {
            protocol: Protocol::Tcp,
            host_ip: None,
            host_port: 8080,
            container_ip: container.ip,
            container_port: server_addr.port(),
        };
        let mut rules = bridge_rules(&network);
        rules.extend(port_rules("ch07pub0", &port, false));
        ipt.add_all(&rules).unwrap();

        // From the host to one of its own addresses, port 8080: OUTPUT → MINIDOCKER → DNAT.
        let reply = talk(&host.ns, SocketAddr::from((gw, 8080))).unwrap();
        assert_eq!(reply, "hello from the container");
        assert_eq!(server.join().unwrap(), "hello");

        ipt.delete_all(&rules).unwrap();
        // without the DNAT nothing listens on 8080
        assert!(talk(&host.ns, SocketAddr::from((gw, 8080))).is_err());
        ipt.teardown().unwrap();
    }
    assert_no_leak(&["ch07pub0", "ch07pv1"]);
}
