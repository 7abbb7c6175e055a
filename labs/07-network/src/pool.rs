//! Docker's default address pools: where a network's subnet comes from when none is given.
//!
//! **Lab 07 skeleton.** Exercise `ex2`: write [`default_pools`] and [`next_free_subnet`]
//! (the two `todo!()`s; [`AddressPool::subnets`] is done). `labs/check 07` tells you how
//! far you are.
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

/// Docker's default address pools, in order.
pub fn default_pools() -> Vec<AddressPool> {
    // ex2: the table above, in order: fifteen pools of one /16 each, 172.17.0.0/16 to
    // 172.31.0.0/16 (`size` 16), then 192.168.0.0/16 carved into /20s (`size` 20).
    todo!(
        "ex2: AddressPool {{ base: 172.N.0.0/16, size: 16 }} for N in 17..=31, then AddressPool {{ base: 192.168.0.0/16, size: 20 }}"
    )
}

/// The first subnet of the pools that overlaps neither a subnet in use nor a routed one.
pub fn next_free_subnet(pools: &[AddressPool], in_use: &[Ipv4Net], routed: &[Ipv4Net]) -> Option<Ipv4Net> {
    // ex2: every subnet of every pool, in order (`AddressPool::subnets`); the first that
    // overlaps no subnet `in_use` and no `routed` one; `None` when all are taken.
    todo!(
        "ex2: pools.iter().flat_map(AddressPool::subnets).find(|candidate| nothing in in_use or routed overlaps it)"
    )
}
