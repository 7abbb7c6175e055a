//! Docker's default address pools: where a network's subnet comes from when none is given.
//!
//! dockerd 20.10 carves bridge subnets out of these pools, in order (its
//! `default-address-pools` setting, `daemon.json`):
//!
//! | base             | size | gives                                     |
//! |------------------|------|-------------------------------------------|
//! | 172.17.0.0/16    | /16  | 172.17.0.0/16 (the default bridge)        |
//! | 172.18.0.0/16 …  | /16  | 172.18.0.0/16 … 172.31.0.0/16, one each   |
//! | 192.168.0.0/16   | /20  | 192.168.0.0/20, 192.168.16.0/20, … (16)   |
//!
//! A candidate is skipped when it overlaps a subnet already given to another network or a
//! route the host already has (a VPN, a LAN on 192.168.0.0/24, ...): handing it out would
//! make those addresses unreachable from the host.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};

use crate::cidr::Ipv4Net;

/// A base subnet, carved into subnets of `size` prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressPool {
    /// The subnet to carve.
    pub base: Ipv4Net,
    /// The prefix length of each network carved from it.
    pub size: u8,
}

impl AddressPool {
    /// The subnets this pool gives, in order.
    pub fn subnets(&self) -> impl Iterator<Item = Ipv4Net> + use<> {
        self.base.network().subnets(self.size)
    }
}

// ANCHOR: default_pools
/// Docker's default address pools, in order.
pub fn default_pools() -> Vec<AddressPool> {
    let mut pools: Vec<AddressPool> = (17..=31)
        .filter_map(|second| Ipv4Net::new(Ipv4Addr::new(172, second, 0, 0), 16))
        .map(|base| AddressPool { base, size: 16 })
        .collect();
    if let Some(base) = Ipv4Net::new(Ipv4Addr::new(192, 168, 0, 0), 16) {
        pools.push(AddressPool { base, size: 20 });
    }
    pools
}

/// The first subnet of the pools that overlaps neither a subnet in use nor a routed one.
pub fn next_free_subnet(pools: &[AddressPool], in_use: &[Ipv4Net], routed: &[Ipv4Net]) -> Option<Ipv4Net> {
    pools
        .iter()
        .flat_map(AddressPool::subnets)
        .find(|candidate| !in_use.iter().chain(routed).any(|taken| taken.overlaps(candidate)))
}
// ANCHOR_END: default_pools

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn dockers_order() {
        let all: Vec<String> = default_pools()
            .iter()
            .flat_map(AddressPool::subnets)
            .map(|n| n.to_string())
            .collect();
        assert_eq!(all.len(), 15 + 16);
        assert_eq!(all[0], "172.17.0.0/16");
        assert_eq!(all[1], "172.18.0.0/16");
        assert_eq!(all[14], "172.31.0.0/16");
        assert_eq!(all[15], "192.168.0.0/20");
        assert_eq!(all[30], "192.168.240.0/20");
    }

    #[test]
    fn default_bridge_moves_when_172_17_is_routed() {
        let pools = default_pools();
        assert_eq!(next_free_subnet(&pools, &[], &[]), Some(net("172.17.0.0/16")));
        assert_eq!(
            next_free_subnet(&pools, &[], &[net("172.17.5.0/24")]),
            Some(net("172.18.0.0/16"))
        );
        assert_eq!(
            next_free_subnet(&pools, &[net("172.18.0.0/16")], &[net("172.16.0.0/12")]),
            Some(net("192.168.0.0/20"))
        );
        assert_eq!(
            next_free_subnet(&pools, &[], &[net("172.16.0.0/12"), net("192.168.0.0/24")]),
            Some(net("192.168.16.0/20"))
        );
        assert_eq!(
            next_free_subnet(&pools, &[], &[net("172.0.0.0/8"), net("192.168.0.0/16")]),
            None
        );
    }

    proptest! {
        #[test]
        fn chosen_subnet_overlaps_nothing_taken(taken in proptest::collection::vec((any::<u32>(), 8u8..=28), 0..20)) {
            let taken: Vec<Ipv4Net> = taken.into_iter().map(|(a, p)| Ipv4Net::new(Ipv4Addr::from(a), p).unwrap()).collect();
            let pools = default_pools();
            match next_free_subnet(&pools, &taken, &[]) {
                Some(subnet) => {
                    prop_assert!(taken.iter().all(|t| !t.overlaps(&subnet)));
                    // and it is the first such candidate
                    let first = pools.iter().flat_map(AddressPool::subnets).position(|c| c == subnet).unwrap();
                    for earlier in pools.iter().flat_map(AddressPool::subnets).take(first) {
                        prop_assert!(taken.iter().any(|t| t.overlaps(&earlier)));
                    }
                }
                None => {
                    for candidate in pools.iter().flat_map(AddressPool::subnets) {
                        prop_assert!(taken.iter().any(|t| t.overlaps(&candidate)));
                    }
                }
            }
        }
    }
}
