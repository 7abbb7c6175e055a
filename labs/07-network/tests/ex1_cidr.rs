//! ex1: subnets in CIDR notation, and the arithmetic every other part of the chapter uses.

mod common;

use std::net::Ipv4Addr;

use common::{ip, net};
use lab07_network::Ipv4Net;
use proptest::prelude::*;

#[test]
fn ex1_parses_a_subnet_and_keeps_the_address_as_written() {
    let subnet: Ipv4Net = "172.17.0.0/16".parse().expect("172.17.0.0/16");
    assert_eq!((subnet.addr(), subnet.prefix()), (ip("172.17.0.0"), 16));
    let address: Ipv4Net = "172.17.0.2/16".parse().expect("172.17.0.2/16");
    assert_eq!((address.addr(), address.prefix()), (ip("172.17.0.2"), 16));
    assert_eq!(address.to_string(), "172.17.0.2/16");
    for text in ["0.0.0.0/0", "10.1.2.3/32", "192.168.16.0/20", "8.8.8.8/8"] {
        let parsed: Ipv4Net = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(parsed.to_string(), text);
    }
}

#[test]
fn ex1_refuses_what_go_refuses_with_dockers_message() {
    // `docker network create --subnet 172.17.0.0 x` prints: invalid CIDR address: 172.17.0.0
    for bad in [
        "",
        "172.17.0.0",
        "172.17.0.0/",
        "/16",
        "172.17.0.0/33",
        "172.17.0.0/100",
        "172.17.0/16",
        "256.17.0.0/16",
        "172.017.0.0/16",
        "172.17.0.0/+8",
        "172.17.0.0/-1",
        "172.17.0.0/ 8",
        " 172.17.0.0/16",
        "172.17.0.0/16/8",
        "a/8",
        "::1/128",
    ] {
        let err = bad.parse::<Ipv4Net>().expect_err(bad);
        assert_eq!(err.to_string(), format!("invalid CIDR address: {bad}"), "{bad:?}");
    }
}

#[test]
fn ex1_masks_and_network_addresses() {
    let mask = |text: &str| net(text).mask();
    assert_eq!(mask("0.0.0.0/0"), 0);
    assert_eq!(mask("10.0.0.0/8"), 0xff00_0000);
    assert_eq!(mask("172.17.0.0/16"), 0xffff_0000);
    assert_eq!(mask("192.168.16.0/20"), 0xffff_f000);
    assert_eq!(mask("10.0.0.1/31"), 0xffff_fffe);
    assert_eq!(mask("10.0.0.1/32"), 0xffff_ffff);

    let address = net("172.17.0.2/16");
    assert_eq!(address.network(), net("172.17.0.0/16"));
    assert!(!address.is_network());
    assert_eq!(address.last(), ip("172.17.255.255"));
    assert_eq!(address.first_host(), Some(ip("172.17.0.1")), "Docker's gateway");
    assert_eq!(net("192.168.21.7/20").network(), net("192.168.16.0/20"));
}

#[test]
fn ex1_an_address_is_inside_when_its_network_bits_match() {
    let bridge = net("172.17.0.0/16");
    assert!(bridge.contains(ip("172.17.0.1")));
    assert!(bridge.contains(ip("172.17.3.4")));
    assert!(bridge.contains(ip("172.17.255.255")));
    assert!(!bridge.contains(ip("172.18.0.1")));
    assert!(!bridge.contains(ip("172.16.255.255")));
    // written with host bits, the same subnet
    assert!(net("172.17.0.2/16").contains(ip("172.17.200.1")));
    assert!(net("0.0.0.0/0").contains(ip("8.8.8.8")));
    assert!(net("10.0.0.5/32").contains(ip("10.0.0.5")));
    assert!(!net("10.0.0.5/32").contains(ip("10.0.0.4")));
    assert_eq!(bridge.offset_of(ip("172.17.1.0")), Some(256));
    assert_eq!(bridge.offset_of(ip("172.18.0.0")), None);
}

#[test]
fn ex1_subnets_overlap_when_one_holds_the_other() {
    let overlapping = [
        ("172.16.0.0/12", "172.17.0.0/16"),
        ("192.168.0.0/20", "192.168.0.0/24"),
        ("172.17.0.0/16", "172.17.0.0/16"),
        ("0.0.0.0/0", "10.9.8.0/24"),
        ("172.17.5.0/24", "172.17.0.0/16"),
    ];
    for (a, b) in overlapping {
        assert!(net(a).overlaps(&net(b)), "{a} and {b} overlap");
        assert!(net(b).overlaps(&net(a)), "{b} and {a} overlap");
    }
    let apart = [
        ("172.17.0.0/16", "172.18.0.0/16"),
        ("192.168.0.0/20", "192.168.16.0/20"),
        ("10.0.0.0/8", "11.0.0.0/8"),
        ("192.168.0.0/24", "192.168.1.0/24"),
    ];
    for (a, b) in apart {
        assert!(!net(a).overlaps(&net(b)), "{a} and {b} are apart");
        assert!(!net(b).overlaps(&net(a)), "{b} and {a} are apart");
    }
}

#[test]
fn ex1_a_pool_splits_into_subnets() {
    let subnets: Vec<String> = net("192.168.0.0/16").subnets(20).map(|n| n.to_string()).collect();
    assert_eq!(subnets.len(), 16);
    assert_eq!(subnets[0], "192.168.0.0/20");
    assert_eq!(subnets[1], "192.168.16.0/20");
    assert_eq!(subnets[15], "192.168.240.0/20");
}

proptest! {
    // no regression files: on the skeleton every input fails
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn ex1_overlap_is_symmetric_and_means_nesting(a in any::<u32>(), pa in 0u8..=32, b in any::<u32>(), pb in 0u8..=32) {
        let x = Ipv4Net::new(Ipv4Addr::from(a), pa).expect("prefix <= 32");
        let y = Ipv4Net::new(Ipv4Addr::from(b), pb).expect("prefix <= 32");
        prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
        prop_assert_eq!(x.overlaps(&y), x.contains_net(&y) || y.contains_net(&x));
        prop_assert!(x.contains(x.addr()) && x.contains(x.first()) && x.contains(x.last()));
    }

    #[test]
    fn ex1_what_is_printed_parses_back(a in any::<u32>(), prefix in 0u8..=32) {
        let n = Ipv4Net::new(Ipv4Addr::from(a), prefix).expect("prefix <= 32");
        prop_assert_eq!(n.to_string().parse::<Ipv4Net>().expect("parses back"), n);
    }
}
