//! ex3: IPAM hands out each address once, never the gateway, and remembers across restarts.

mod common;

use std::net::Ipv4Addr;
use std::path::Path;

use common::{ip, net};
use lab07_network::{Ipam, Ipv4Net, NetworkRequest};
use proptest::prelude::*;

/// An IPAM with its state file in a temporary directory, and one network `n` on `subnet`.
fn ipam_with(subnet: &str, gateway: Option<&str>) -> (tempfile::TempDir, Ipam) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ipam = Ipam::open(&dir.path().join("ipam.json")).expect("open the state");
    let request = NetworkRequest {
        subnet: Some(net(subnet)),
        gateway: gateway.map(ip),
        ip_range: None,
    };
    ipam.add_network("n", &request, &[]).expect("add network n");
    (dir, ipam)
}

fn state_file(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("ipam.json")).expect("read ipam.json");
    serde_json::from_str(&text).expect("ipam.json is JSON")
}

#[test]
fn ex3_containers_get_the_addresses_after_the_gateway() {
    let (_dir, mut ipam) = ipam_with("172.17.0.0/16", None);
    // docker run … twice on the default bridge: 172.17.0.2, then 172.17.0.3
    assert_eq!(ipam.allocate("n", "c1", None).expect("c1"), ip("172.17.0.2"));
    assert_eq!(ipam.allocate("n", "c2", None).expect("c2"), ip("172.17.0.3"));
    let network = ipam.network("n").expect("network n");
    assert_eq!(
        network.allocated.get(&ip("172.17.0.2")).map(String::as_str),
        Some("c1")
    );
    assert_eq!(
        network.allocated.get(&ip("172.17.0.3")).map(String::as_str),
        Some("c2")
    );
}

#[test]
fn ex3_never_the_network_the_broadcast_or_the_gateway_address() {
    // 10.0.0.0/29 has eight addresses: .0 is the network, .7 broadcast, .6 the gateway here
    let (_dir, mut ipam) = ipam_with("10.0.0.0/29", Some("10.0.0.6"));
    let handed: Vec<Ipv4Addr> = (0..5)
        .map(|i| {
            ipam.allocate("n", &format!("c{i}"), None)
                .expect("a free address")
        })
        .collect();
    assert_eq!(
        handed,
        ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"].map(ip)
    );
    let full = ipam.allocate("n", "c5", None).expect_err("the network is full");
    assert_eq!(
        full.to_string(),
        "no available IPv4 addresses on network n (10.0.0.0/29)"
    );
}

#[test]
fn ex3_a_released_address_is_reused_last() {
    let (_dir, mut ipam) = ipam_with("10.0.0.0/29", None);
    let a = ipam.allocate("n", "a", None).expect("a");
    let b = ipam.allocate("n", "b", None).expect("b");
    assert_eq!((a, b), (ip("10.0.0.2"), ip("10.0.0.3")));
    assert!(ipam.release("n", a).expect("release a"), "a was allocated");
    assert!(
        !ipam.release("n", a).expect("release a again"),
        "a is free already"
    );
    assert!(
        !ipam.release("n", ip("10.0.0.5")).expect("release"),
        "never allocated"
    );
    assert!(!ipam.network("n").expect("n").allocated.contains_key(&a));
    // serial: .4, .5, .6, then round the end (.7 is broadcast) to the released .2
    for expected in ["10.0.0.4", "10.0.0.5", "10.0.0.6", "10.0.0.2"] {
        assert_eq!(ipam.allocate("n", "next", None).expect("next"), ip(expected));
    }
}

#[test]
fn ex3_a_requested_address_must_be_free_and_inside() {
    let (_dir, mut ipam) = ipam_with("10.0.0.0/24", None);
    // docker run --ip 10.0.0.50
    assert_eq!(
        ipam.allocate("n", "c1", Some(ip("10.0.0.50"))).expect("--ip"),
        ip("10.0.0.50")
    );
    let again = ipam
        .allocate("n", "c2", Some(ip("10.0.0.50")))
        .expect_err("taken");
    assert_eq!(
        again.to_string(),
        "Address already in use: 10.0.0.50 on network n"
    );
    let gateway = ipam
        .allocate("n", "c2", Some(ip("10.0.0.1")))
        .expect_err("gateway");
    assert_eq!(
        gateway.to_string(),
        "Address already in use: 10.0.0.1 on network n"
    );
    let outside = ipam
        .allocate("n", "c2", Some(ip("10.0.1.5")))
        .expect_err("outside");
    assert_eq!(
        outside.to_string(),
        "Invalid address 10.0.1.5: It does not belong to any of this network's subnets"
    );
    let unknown = ipam.allocate("nope", "c2", None).expect_err("no such network");
    assert_eq!(unknown.to_string(), "network nope not found");
    // a requested address does not move the serial search
    assert_eq!(ipam.allocate("n", "c3", None).expect("c3"), ip("10.0.0.2"));
}

#[test]
fn ex3_addresses_come_from_the_ip_range() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ipam = Ipam::open(&dir.path().join("ipam.json")).expect("open the state");
    let request = NetworkRequest {
        subnet: Some(net("10.1.0.0/16")),
        gateway: None,
        ip_range: Some(net("10.1.5.0/30")),
    };
    ipam.add_network("n", &request, &[]).expect("add network n");
    let range = net("10.1.5.0/30");
    let mut handed = Vec::new();
    while let Ok(address) = ipam.allocate("n", "c", None) {
        assert!(
            range.contains(address),
            "{address} is outside --ip-range 10.1.5.0/30"
        );
        assert!(!handed.contains(&address), "{address} handed out twice");
        handed.push(address);
    }
    assert_eq!(handed.len(), 4, "every address of the range: {handed:?}");
}

#[test]
fn ex3_the_state_survives_a_restart() {
    let (dir, mut ipam) = ipam_with("172.17.0.0/16", None);
    ipam.allocate("n", "c1", None).expect("c1");
    ipam.allocate("n", "c2", None).expect("c2");
    ipam.release("n", ip("172.17.0.2")).expect("release c1's address");
    // what is on disk is what is in memory
    let on_disk = state_file(dir.path());
    let allocated = &on_disk["networks"]["n"]["allocated"];
    assert_eq!(allocated, &serde_json::json!({"172.17.0.3": "c2"}), "{on_disk:#}");
    drop(ipam);

    let mut again = Ipam::open(&dir.path().join("ipam.json")).expect("reopen the state");
    let network = again.network("n").expect("network n after the restart");
    assert_eq!(network.allocated.len(), 1);
    assert_eq!(again.allocate("n", "c3", None).expect("c3"), ip("172.17.0.4"));
}

proptest! {
    // every allocation writes and fsyncs a file: few cases, each with many operations; no
    // regression files: on the skeleton every input fails
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn ex3_never_hands_out_an_address_twice(prefix in 26u8..=29, ops in proptest::collection::vec(any::<bool>(), 1..100)) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut ipam = Ipam::open(&dir.path().join("ipam.json")).expect("open the state");
        let subnet = Ipv4Net::new(Ipv4Addr::new(10, 3, 0, 0), prefix).expect("prefix <= 29");
        let request = NetworkRequest { subnet: Some(subnet), ..Default::default() };
        ipam.add_network("n", &request, &[]).expect("add network n");
        let mut held: Vec<Ipv4Addr> = Vec::new();
        for (i, allocate) in ops.into_iter().enumerate() {
            if allocate || held.is_empty() {
                match ipam.allocate("n", &format!("c{i}"), None) {
                    Ok(address) => {
                        prop_assert!(!held.contains(&address), "{} handed out twice", address);
                        prop_assert!(subnet.contains(address));
                        prop_assert!(address != subnet.first() && address != subnet.last());
                        prop_assert!(address != Ipv4Addr::new(10, 3, 0, 1), "the gateway");
                        held.push(address);
                    }
                    Err(_) => prop_assert_eq!(held.len() as u64, subnet.size() - 3),
                }
            } else {
                let address = held.remove(i % held.len());
                prop_assert!(ipam.release("n", address).expect("release"));
            }
        }
    }
}
