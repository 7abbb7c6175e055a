//! IPv4 subnets in CIDR notation (`172.17.0.0/16`) and the arithmetic IPAM needs.
//!
//! An [`Ipv4Net`] keeps the address it was written with, so it can stand both for a subnet
//! (`172.17.0.0/16`) and for an interface address with its prefix (`172.17.0.2/16`, what
//! `ip addr` shows); [`Ipv4Net::network`] drops the host bits.

use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::NetworkError;

/// An IPv4 address with a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct Ipv4Net {
    addr: Ipv4Addr,
    prefix: u8,
}

impl Ipv4Net {
    /// `0.0.0.0/0`, every address (the destination of a default route).
    pub const ANY: Ipv4Net = Ipv4Net {
        addr: Ipv4Addr::UNSPECIFIED,
        prefix: 0,
    };

    /// `addr/prefix`; `None` if the prefix is over 32.
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Option<Ipv4Net> {
        (prefix <= 32).then_some(Ipv4Net { addr, prefix })
    }

    /// The address as written.
    pub fn addr(&self) -> Ipv4Addr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// The netmask as an integer (`/16` is `0xffff0000`).
    pub fn mask(&self) -> u32 {
        u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0)
    }

    /// The same prefix with the host bits cleared: `172.17.0.2/16` → `172.17.0.0/16`.
    pub fn network(&self) -> Ipv4Net {
        Ipv4Net {
            addr: Ipv4Addr::from(u32::from(self.addr) & self.mask()),
            prefix: self.prefix,
        }
    }

    /// True when the address has no host bits set.
    pub fn is_network(&self) -> bool {
        self.network().addr == self.addr
    }

    /// The first address of the subnet (the network address).
    pub fn first(&self) -> Ipv4Addr {
        self.network().addr
    }

    /// The last address of the subnet (the broadcast address).
    pub fn last(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }

    /// How many addresses the subnet spans (2^(32-prefix)).
    pub fn size(&self) -> u64 {
        1u64 << (32 - u32::from(self.prefix))
    }

    // ANCHOR: overlaps
    /// Whether `ip` is inside the subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.first())
    }

    /// Whether the two subnets share any address (one then contains the other).
    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        self.contains(other.first()) || other.contains(self.first())
    }
    // ANCHOR_END: overlaps

    /// Whether `other` lies entirely inside this subnet.
    pub fn contains_net(&self, other: &Ipv4Net) -> bool {
        other.prefix >= self.prefix && self.contains(other.first())
    }

    /// The `n`th address of the subnet (0 is the network address), if inside it.
    pub fn nth(&self, n: u64) -> Option<Ipv4Addr> {
        (n < self.size()).then(|| Ipv4Addr::from(u32::from(self.first()).wrapping_add(n as u32)))
    }

    /// The offset of `ip` from the network address, if inside the subnet.
    pub fn offset_of(&self, ip: Ipv4Addr) -> Option<u64> {
        self.contains(ip)
            .then(|| u64::from(u32::from(ip) - u32::from(self.first())))
    }

    // ANCHOR: gateway
    /// The first host address, which Docker makes the gateway (`172.17.0.1` for
    /// `172.17.0.0/16`). `/31` and `/32` have no room for a gateway and a host.
    pub fn first_host(&self) -> Option<Ipv4Addr> {
        (self.prefix <= 30).then(|| Ipv4Addr::from(u32::from(self.first()) + 1))
    }
    // ANCHOR_END: gateway

    /// The last host address (one below broadcast), for prefixes up to `/30`.
    pub fn last_host(&self) -> Option<Ipv4Addr> {
        (self.prefix <= 30).then(|| Ipv4Addr::from(u32::from(self.last()) - 1))
    }

    // ANCHOR: subnets
    /// The subnets of length `prefix` that this one splits into, in order.
    pub fn subnets(&self, prefix: u8) -> impl Iterator<Item = Ipv4Net> + use<> {
        let base = u32::from(self.first());
        let count: u64 = if prefix >= self.prefix && prefix <= 32 {
            1u64 << (prefix - self.prefix)
        } else {
            0
        };
        let step = 1u64 << (32 - u32::from(prefix.min(32)));
        (0..count).map(move |i| Ipv4Net {
            addr: Ipv4Addr::from(base.wrapping_add((i * step) as u32)),
            prefix,
        })
    }
    // ANCHOR_END: subnets
}

impl fmt::Display for Ipv4Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Ipv4Net {
    type Err = NetworkError;

    /// Parses `a.b.c.d/n` as Go's `net.ParseCIDR` does for IPv4 (no leading zeros, no
    /// signs, prefix 0 to 32); the error is Docker's `invalid CIDR address: ...`.
    fn from_str(s: &str) -> Result<Ipv4Net, NetworkError> {
        let bad = || NetworkError::InvalidCidr { cidr: s.to_string() };
        let (addr, prefix) = s.split_once('/').ok_or_else(bad)?;
        if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
        Ipv4Net::new(addr, prefix).ok_or_else(bad)
    }
}

impl From<Ipv4Net> for String {
    fn from(net: Ipv4Net) -> String {
        net.to_string()
    }
}

impl TryFrom<String> for Ipv4Net {
    type Error = NetworkError;
    fn try_from(s: String) -> Result<Ipv4Net, NetworkError> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    #[test]
    fn docker_default_bridge() {
        let n = net("172.17.0.0/16");
        assert_eq!(n.first_host(), Some(Ipv4Addr::new(172, 17, 0, 1)));
        assert_eq!(n.last_host(), Some(Ipv4Addr::new(172, 17, 255, 254)));
        assert_eq!(n.last(), Ipv4Addr::new(172, 17, 255, 255));
        assert_eq!(n.size(), 65536);
        assert!(n.contains(Ipv4Addr::new(172, 17, 3, 4)));
        assert!(!n.contains(Ipv4Addr::new(172, 18, 0, 1)));
    }

    #[test]
    fn address_with_prefix_keeps_the_address() {
        let n = net("172.17.0.2/16");
        assert_eq!(n.to_string(), "172.17.0.2/16");
        assert_eq!(n.network().to_string(), "172.17.0.0/16");
        assert!(!n.is_network());
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "",
            "172.17.0.0",
            "172.17.0.0/",
            "172.17.0.0/33",
            "172.17.0/16",
            "172.17.0.0/+8",
            "172.17.0.0/-1",
            "a/8",
            "172.017.0.0/16",
        ] {
            let err = bad.parse::<Ipv4Net>().unwrap_err();
            assert_eq!(err.to_string(), format!("invalid CIDR address: {bad}"));
        }
    }

    #[test]
    fn splits_into_subnets() {
        let subnets: Vec<String> = net("192.168.0.0/16").subnets(20).map(|n| n.to_string()).collect();
        assert_eq!(subnets.len(), 16);
        assert_eq!(subnets[0], "192.168.0.0/20");
        assert_eq!(subnets[1], "192.168.16.0/20");
        assert_eq!(subnets[15], "192.168.240.0/20");
        assert_eq!(net("10.0.0.0/8").subnets(7).count(), 0);
    }

    #[test]
    fn small_prefixes() {
        assert_eq!(net("10.0.0.0/31").first_host(), None);
        assert_eq!(net("0.0.0.0/0").size(), 1 << 32);
        assert!(net("0.0.0.0/0").contains(Ipv4Addr::new(8, 8, 8, 8)));
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(ip in any::<u32>(), prefix in 0u8..=32) {
            let n = Ipv4Net::new(Ipv4Addr::from(ip), prefix).unwrap();
            prop_assert_eq!(n.to_string().parse::<Ipv4Net>().unwrap(), n);
        }

        #[test]
        fn network_contains_its_addresses(ip in any::<u32>(), prefix in 0u8..=32) {
            let n = Ipv4Net::new(Ipv4Addr::from(ip), prefix).unwrap();
            prop_assert!(n.contains(n.addr()));
            prop_assert!(n.contains(n.first()));
            prop_assert!(n.contains(n.last()));
            prop_assert_eq!(n.offset_of(n.last()), Some(n.size() - 1));
            prop_assert_eq!(n.nth(n.size()), None);
        }

        #[test]
        fn overlap_is_symmetric_and_means_containment(a in any::<u32>(), pa in 0u8..=32, b in any::<u32>(), pb in 0u8..=32) {
            let x = Ipv4Net::new(Ipv4Addr::from(a), pa).unwrap();
            let y = Ipv4Net::new(Ipv4Addr::from(b), pb).unwrap();
            prop_assert_eq!(x.overlaps(&y), y.overlaps(&x));
            prop_assert_eq!(x.overlaps(&y), x.contains_net(&y) || y.contains_net(&x));
        }
    }
}
