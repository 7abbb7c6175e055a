//! Privileged: a bridge and two veth'd namespaces reach each other; link operations do what
//! `ip link` would show.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

mod common;

use std::net::{Ipv4Addr, SocketAddr};

use ch07_network::{Ipv4Net, MacAddr, NetNs, NetworkError};
use common::{TestHost, assert_no_leak, attach, ping, serve_once, talk};

fn net(s: &str) -> Ipv4Net {
    s.parse().unwrap()
}

#[test]
fn two_namespaces_on_a_bridge_reach_each_other() {
    if !common::is_root("two_namespaces_on_a_bridge_reach_each_other") {
        return;
    }
    {
        let mut host = TestHost::new();
        host.nl.add_bridge("ch07br0").unwrap();
        host.nl.add_address("ch07br0", net("10.207.0.1/24")).unwrap();
        host.nl.set_up("ch07br0").unwrap();
        let gw = Ipv4Addr::new(10, 207, 0, 1);
        let mut c1 = attach(&mut host, "ch07br0", "ch07v1", net("10.207.0.2/24"), gw);
        let c2 = attach(&mut host, "ch07br0", "ch07v2", net("10.207.0.3/24"), gw);

        // what the container sees
        let eth0 = c1.nl.link("eth0").unwrap();
        assert!(eth0.up);
        assert_eq!(eth0.mac, Some("02:42:0a:cf:00:02".parse().unwrap()));
        assert_eq!(c1.nl.addresses("eth0").unwrap(), vec![net("10.207.0.2/24")]);
        let routes = c1.nl.routes().unwrap();
        assert!(
            routes
                .iter()
                .any(|r| r.destination.prefix() == 0 && r.gateway == Some(gw)),
            "{routes:?}"
        );
        assert!(c1.nl.routed_subnets().unwrap().contains(&net("10.207.0.0/24")));

        // what the host sees: both ports on the bridge, the peers gone into the containers
        let bridge = host.nl.link("ch07br0").unwrap();
        assert_eq!(bridge.kind.as_deref(), Some("bridge"));
        let v1 = host.nl.link("ch07v1").unwrap();
        assert_eq!(v1.master, Some(bridge.index));
        assert_eq!(v1.kind.as_deref(), Some("veth"));
        assert!(matches!(
            host.nl.link("ch07v1p"),
            Err(NetworkError::LinkNotFound { .. })
        ));

        // traffic: container to container, container to gateway
        if let Some(ok) = ping(&c1.ns, c2.ip) {
            assert!(ok, "ping 10.207.0.3 from c1");
            assert_eq!(ping(&c2.ns, gw), Some(true), "ping the gateway from c2");
        }
        let (addr, server) = serve_once(&c2.ns, SocketAddr::from((c2.ip, 0)), "from c2");
        assert_eq!(talk(&c1.ns, addr).unwrap(), "from c2");
        assert_eq!(server.join().unwrap(), "hello");

        // deleting the host end removes the container's eth0 with it
        host.nl.delete_link("ch07v1").unwrap();
        assert!(matches!(
            c1.nl.link("eth0"),
            Err(NetworkError::LinkNotFound { .. })
        ));
    }
    assert_no_leak(&["ch07br0", "ch07v1", "ch07v1p", "ch07v2", "ch07v2p"]);
}

#[test]
fn link_state_name_mac_mtu_and_hairpin() {
    if !common::is_root("link_state_name_mac_mtu_and_hairpin") {
        return;
    }
    {
        let mut host = TestHost::new();
        host.nl.add_bridge("ch07br1").unwrap();
        host.nl.add_veth("ch07a", "ch07b").unwrap();
        assert!(matches!(
            host.nl.add_veth("ch07a", "ch07c"),
            Err(NetworkError::Netlink { .. })
        ));
        host.nl.set_master("ch07a", "ch07br1").unwrap();

        assert!(!host.nl.hairpin("ch07a").unwrap());
        host.nl.set_hairpin("ch07a", true).unwrap();
        assert!(host.nl.hairpin("ch07a").unwrap());
        host.nl.set_hairpin("ch07a", false).unwrap();
        assert!(!host.nl.hairpin("ch07a").unwrap());

        host.nl.set_up("ch07b").unwrap();
        assert!(host.nl.link("ch07b").unwrap().up);
        host.nl.set_down("ch07b").unwrap();
        assert!(!host.nl.link("ch07b").unwrap().up);
        host.nl.rename("ch07b", "ch07renamed").unwrap();
        let mac = MacAddr::from_ipv4(Ipv4Addr::new(172, 17, 0, 2));
        host.nl.set_mac("ch07renamed", mac).unwrap();
        host.nl.set_mtu("ch07renamed", 1400).unwrap();
        let link = host.nl.link("ch07renamed").unwrap();
        assert_eq!((link.mac, link.mtu), (Some(mac), Some(1400)));
        assert_eq!(link.mac.unwrap().to_string(), "02:42:ac:11:00:02");

        // into another namespace by descriptor, keeping the name
        let other = NetNs::new().unwrap();
        host.nl.move_to_netns("ch07renamed", &other, None).unwrap();
        let mut inside = ch07_network::Netlink::open_in(&other).unwrap();
        assert!(inside.link("ch07renamed").is_ok());

        host.nl.delete_link("ch07br1").unwrap();
        assert!(host.nl.links().unwrap().iter().all(|l| l.name != "ch07br1"));
        assert!(matches!(
            host.nl.delete_link("ch07br1"),
            Err(NetworkError::LinkNotFound { .. })
        ));
    }
    assert_no_leak(&["ch07br1", "ch07a", "ch07b", "ch07renamed"]);
}

#[test]
fn a_veth_peer_can_be_born_inside_another_namespace() {
    if !common::is_root("a_veth_peer_can_be_born_inside_another_namespace") {
        return;
    }
    {
        let mut host = TestHost::new();
        let container = NetNs::new().unwrap();
        host.nl.add_veth_into("ch07born", "eth0", &container).unwrap();
        assert!(host.nl.link("ch07born").is_ok());
        assert!(matches!(
            host.nl.link("eth0"),
            Err(NetworkError::LinkNotFound { .. })
        ));
        let mut inside = ch07_network::Netlink::open_in(&container).unwrap();
        assert_eq!(inside.link("eth0").unwrap().kind.as_deref(), Some("veth"));
        host.nl.delete_link("ch07born").unwrap();
        assert!(matches!(
            inside.link("eth0"),
            Err(NetworkError::LinkNotFound { .. })
        ));
    }
    assert_no_leak(&["ch07born"]);
}

#[test]
fn the_caller_thread_never_changes_namespace() {
    if !common::is_root("the_caller_thread_never_changes_namespace") {
        return;
    }
    let before = NetNs::current().unwrap().inode();
    let ns = NetNs::new().unwrap();
    let inside = ns.run(|| NetNs::current().map(|n| n.inode())).unwrap().unwrap();
    assert_eq!(inside, ns.inode());
    assert_ne!(inside, before);
    assert_eq!(NetNs::current().unwrap().inode(), before);
}
