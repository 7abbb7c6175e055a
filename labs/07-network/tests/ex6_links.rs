//! ex6: veth pairs, bridges and moving links between namespaces, with netlink messages.
//!
//! Every test needs root. Each makes a network namespace to stand in for the host and
//! others for containers; dropping them at the end of the test (or on a panic) destroys
//! every link made inside.

mod common;

use std::net::SocketAddr;

use common::{TestHost, assert_no_leak, ip, net, serve_once, talk};
use lab07_network::{MacAddr, NetNs, Netlink, NetworkError};

fn names(nl: &mut Netlink) -> Vec<String> {
    let mut names: Vec<String> = nl
        .links()
        .expect("list links")
        .into_iter()
        .map(|l| l.name)
        .collect();
    names.sort();
    names
}

#[test]
fn ex6_a_veth_pair_is_two_interfaces_joined() {
    if !common::is_root("ex6_a_veth_pair_is_two_interfaces_joined") {
        return;
    }
    {
        let mut host = TestHost::new();
        host.nl.add_veth("lab07v0", "lab07v0p").expect("add a veth pair");
        for name in ["lab07v0", "lab07v0p"] {
            let link = host.nl.link(name).expect("both ends exist");
            assert_eq!(link.kind.as_deref(), Some("veth"), "{name}");
            assert!(!link.up, "{name} starts down");
        }
        let err = host
            .nl
            .add_veth("lab07v0", "lab07v9")
            .expect_err("the name is taken");
        assert!(err.to_string().contains("File exists"), "{err}");
        assert!(matches!(
            host.nl.add_veth("lab07v1", "a name too long for a link"),
            Err(NetworkError::InvalidLinkName { .. })
        ));
        // deleting one end deletes the pair
        host.nl.delete_link("lab07v0p").expect("delete one end");
        assert_eq!(names(&mut host.nl), ["lo"]);
    }
    assert_no_leak(&["lab07v0", "lab07v0p", "lab07v1"]);
}

#[test]
fn ex6_the_peer_can_be_born_inside_the_container() {
    if !common::is_root("ex6_the_peer_can_be_born_inside_the_container") {
        return;
    }
    {
        let mut host = TestHost::new();
        let container = NetNs::new().expect("the container's namespace");
        host.nl
            .add_veth_into("lab07v1", "eth0", &container)
            .expect("add a veth pair across namespaces");
        assert_eq!(names(&mut host.nl), ["lab07v1", "lo"]);
        let mut inside = Netlink::open_in(&container).expect("netlink in the container");
        assert_eq!(names(&mut inside), ["eth0", "lo"]);
        assert_eq!(inside.link("eth0").expect("eth0").kind.as_deref(), Some("veth"));
    }
    assert_no_leak(&["lab07v1"]);
}

#[test]
fn ex6_a_link_moves_into_a_namespace_and_is_renamed_on_the_way() {
    if !common::is_root("ex6_a_link_moves_into_a_namespace_and_is_renamed_on_the_way") {
        return;
    }
    {
        let mut host = TestHost::new();
        let container = NetNs::new().expect("the container's namespace");
        let mut inside = Netlink::open_in(&container).expect("netlink in the container");
        host.nl.add_veth("lab07v2", "lab07v2p").expect("add a veth pair");
        host.nl
            .set_mac("lab07v2p", "02:42:0a:00:00:07".parse().expect("a MAC"))
            .expect("a MAC");

        // a name the kernel refuses is refused before anything moves
        assert!(matches!(
            host.nl.move_to_netns("lab07v2p", &container, Some("eth/0")),
            Err(NetworkError::InvalidLinkName { .. })
        ));
        assert!(host.nl.link("lab07v2p").is_ok(), "still on the host");

        host.nl
            .move_to_netns("lab07v2p", &container, Some("eth0"))
            .expect("move the peer in as eth0");
        assert!(matches!(
            host.nl.link("lab07v2p"),
            Err(NetworkError::LinkNotFound { .. })
        ));
        let eth0 = inside.link("eth0").expect("eth0 arrived");
        assert_eq!(
            eth0.mac,
            Some("02:42:0a:00:00:07".parse().expect("a MAC")),
            "the same link"
        );

        // without a new name the link keeps its own
        host.nl.add_veth("lab07v3", "lab07v3p").expect("add a veth pair");
        host.nl
            .move_to_netns("lab07v3p", &container, None)
            .expect("move without renaming");
        assert_eq!(names(&mut inside), ["eth0", "lab07v3p", "lo"]);
        assert_eq!(names(&mut host.nl), ["lab07v2", "lab07v3", "lo"]);
    }
    assert_no_leak(&["lab07v2", "lab07v2p", "lab07v3", "lab07v3p"]);
}

#[test]
fn ex6_a_link_is_plugged_into_a_bridge() {
    if !common::is_root("ex6_a_link_is_plugged_into_a_bridge") {
        return;
    }
    {
        let mut host = TestHost::new();
        host.nl.add_bridge("lab07br1").expect("add a bridge");
        host.nl.add_veth("lab07v4", "lab07v4p").expect("add a veth pair");
        host.nl
            .set_master("lab07v4", "lab07br1")
            .expect("plug into the bridge");
        let bridge = host.nl.link("lab07br1").expect("the bridge");
        assert_eq!(
            host.nl.link("lab07v4").expect("the port").master,
            Some(bridge.index)
        );
        assert_eq!(host.nl.link("lab07v4p").expect("the peer").master, None);
        assert!(matches!(
            host.nl.set_master("lab07v4p", "lab07nobridge"),
            Err(NetworkError::LinkNotFound { .. })
        ));
    }
    assert_no_leak(&["lab07br1", "lab07v4", "lab07v4p"]);
}

#[test]
fn ex6_two_containers_wired_by_hand_talk_through_the_bridge() {
    if !common::is_root("ex6_two_containers_wired_by_hand_talk_through_the_bridge") {
        return;
    }
    {
        let mut host = TestHost::new();
        host.add_bridge("lab07br2", "10.207.9.1/24");
        let gateway = ip("10.207.9.1");
        let mut containers = Vec::new();
        for (host_end, address) in [("lab07w1", "10.207.9.2/24"), ("lab07w2", "10.207.9.3/24")] {
            let address = net(address);
            let ns = NetNs::new().expect("the container's namespace");
            host.nl
                .add_veth_into(host_end, "eth0", &ns)
                .expect("the veth pair");
            host.nl.set_master(host_end, "lab07br2").expect("on the bridge");
            host.nl.set_up(host_end).expect("the host end up");
            let mut inside = Netlink::open_in(&ns).expect("netlink in the container");
            inside.set_up("lo").expect("lo up");
            inside
                .set_mac("eth0", MacAddr::from_ipv4(address.addr()))
                .expect("the MAC");
            inside.add_address("eth0", address).expect("the address");
            inside.set_up("eth0").expect("eth0 up");
            inside.add_default_route(gateway).expect("the default route");
            containers.push((ns, address.addr()));
        }
        let (first, second) = (&containers[0], &containers[1]);

        // container to container, across the bridge
        let (addr, server) = serve_once(&second.0, SocketAddr::from((second.1, 0)), "from the second");
        assert_eq!(talk(&first.0, addr).expect("first to second"), "from the second");
        assert_eq!(server.join().expect("the server thread"), "hello");
        // container to the host, at the gateway address
        let (addr, server) = serve_once(&host.ns, SocketAddr::from((gateway, 0)), "from the host");
        assert_eq!(
            talk(&second.0, addr).expect("second to the host"),
            "from the host"
        );
        assert_eq!(server.join().expect("the server thread"), "hello");
    }
    assert_no_leak(&["lab07br2", "lab07w1", "lab07w2"]);
}
