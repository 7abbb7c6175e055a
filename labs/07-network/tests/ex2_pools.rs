//! ex2: Docker's default address pools, and the next free subnet for a new network.

mod common;

use std::net::Ipv4Addr;

use common::{ip, net};
use lab07_network::{AddressPool, Ipam, Ipv4Net, NetworkRequest, default_pools, next_free_subnet};
use proptest::prelude::*;

fn all_candidates() -> Vec<String> {
    default_pools()
        .iter()
        .flat_map(AddressPool::subnets)
        .map(|n| n.to_string())
        .collect()
}

#[test]
fn ex2_the_pools_give_dockers_subnets_in_dockers_order() {
    // `docker network create n1` … `n17` on a fresh dockerd 20.10, after the default bridge:
    let docker = [
        "172.17.0.0/16",
        "172.18.0.0/16",
        "172.19.0.0/16",
        "172.20.0.0/16",
        "172.21.0.0/16",
        "172.22.0.0/16",
        "172.23.0.0/16",
        "172.24.0.0/16",
        "172.25.0.0/16",
        "172.26.0.0/16",
        "172.27.0.0/16",
        "172.28.0.0/16",
        "172.29.0.0/16",
        "172.30.0.0/16",
        "172.31.0.0/16",
        "192.168.0.0/20",
        "192.168.16.0/20",
        "192.168.32.0/20",
    ];
    let ours = all_candidates();
    assert_eq!(&ours[..docker.len()], &docker[..]);
    assert_eq!(
        ours.len(),
        15 + 16,
        "fifteen /16s, then sixteen /20s of 192.168.0.0/16"
    );
    assert_eq!(ours.last().map(String::as_str), Some("192.168.240.0/20"));
}

#[test]
fn ex2_the_next_free_subnet_skips_networks_and_routes() {
    let pools = default_pools();
    assert_eq!(next_free_subnet(&pools, &[], &[]), Some(net("172.17.0.0/16")));
    // a LAN or VPN route inside 172.17.0.0/16 moves the default bridge on
    assert_eq!(
        next_free_subnet(&pools, &[], &[net("172.17.5.0/24")]),
        Some(net("172.18.0.0/16"))
    );
    assert_eq!(
        next_free_subnet(&pools, &[net("172.17.0.0/16"), net("172.18.0.0/16")], &[]),
        Some(net("172.19.0.0/16"))
    );
    // a route covering all of 172.16.0.0/12, and a home LAN on 192.168.0.0/24
    assert_eq!(
        next_free_subnet(&pools, &[], &[net("172.16.0.0/12"), net("192.168.0.0/24")]),
        Some(net("192.168.16.0/20"))
    );
    // a network made with --subnet in the middle of the pools is skipped too
    assert_eq!(
        next_free_subnet(&pools, &[net("172.17.0.0/16"), net("172.18.128.0/24")], &[]),
        Some(net("172.19.0.0/16"))
    );
}

#[test]
fn ex2_no_subnet_when_everything_is_taken() {
    let pools = default_pools();
    assert_eq!(
        next_free_subnet(&pools, &[], &[net("172.0.0.0/8"), net("192.168.0.0/16")]),
        None
    );
    let one = [AddressPool {
        base: net("10.10.0.0/24"),
        size: 25,
    }];
    assert_eq!(
        next_free_subnet(&one, &[net("10.10.0.0/25")], &[]),
        Some(net("10.10.0.128/25"))
    );
    assert_eq!(
        next_free_subnet(&one, &[net("10.10.0.0/25")], &[net("10.10.0.200/32")]),
        None
    );
}

#[test]
fn ex2_new_networks_get_the_next_free_pool_subnet() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let mut ipam = Ipam::open(&dir.path().join("ipam.json")).expect("open the state");
    let bridge = ipam
        .add_network("bridge", &NetworkRequest::default(), &[])
        .expect("the default bridge");
    assert_eq!(
        (bridge.subnet, bridge.gateway),
        (net("172.17.0.0/16"), ip("172.17.0.1"))
    );
    // the host already routes 172.18.0.0/16: the next network gets 172.19.0.0/16
    let user = ipam
        .add_network("net1", &NetworkRequest::default(), &[net("172.18.0.0/16")])
        .expect("a user network");
    assert_eq!(
        (user.subnet, user.gateway),
        (net("172.19.0.0/16"), ip("172.19.0.1"))
    );

    let full = ipam.add_network(
        "net2",
        &NetworkRequest::default(),
        &[net("172.16.0.0/12"), net("192.168.0.0/16")],
    );
    assert_eq!(
        full.expect_err("no subnet left").to_string(),
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
    );
}

proptest! {
    // no regression files: on the skeleton every input fails
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn ex2_the_subnet_chosen_is_the_first_that_overlaps_nothing(taken in proptest::collection::vec((any::<u32>(), 8u8..=28), 0..20)) {
        let taken: Vec<Ipv4Net> = taken
            .into_iter()
            .map(|(a, p)| Ipv4Net::new(Ipv4Addr::from(a), p).expect("prefix <= 28"))
            .collect();
        let pools = default_pools();
        let chosen = next_free_subnet(&pools, &[], &taken);
        let first_free = pools
            .iter()
            .flat_map(AddressPool::subnets)
            .find(|candidate| taken.iter().all(|t| !t.overlaps(candidate)));
        prop_assert_eq!(chosen, first_free);
    }
}
