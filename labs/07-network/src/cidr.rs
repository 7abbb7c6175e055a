//! IPv4 subnets in CIDR notation (`172.17.0.0/16`) and the arithmetic IPAM needs.
//!
//! **Lab 07 skeleton.** Exercise `ex1`: write [`Ipv4Net::mask`], [`Ipv4Net::contains`],
//! [`Ipv4Net::overlaps`] and `Ipv4Net::from_str` (the four `todo!()`s; the rest of the file
//! is built on them, and so is every later exercise). `labs/check 07` tells you how far you
//! are.
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
        // ex1: `prefix` ones from the top bit down, zeros below: /16 is 0xffff_0000, /32 all
        // ones, /0 nothing. Shifting a u32 by 32 overflows: `checked_shl` says so with a `None`.
        todo!("ex1: u32::MAX shifted left by 32 - prefix (checked_shl), 0 when that shift is 32")
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

    /// Whether `ip` is inside the subnet.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        // ex1: `ip` is inside when its network bits, the ones the mask keeps, are the subnet's.
        todo!("ex1: u32::from(ip) & self.mask() == u32::from(self.first())")
    }

    /// Whether the two subnets share any address (one then contains the other).
    pub fn overlaps(&self, other: &Ipv4Net) -> bool {
        // ex1: two CIDR blocks either nest or do not meet at all, so they overlap exactly when one
        // contains the other's first address.
        todo!("ex1: self.contains(other.first()) || other.contains(self.first())")
    }

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

    /// The first host address, which Docker makes the gateway (`172.17.0.1` for
    /// `172.17.0.0/16`). `/31` and `/32` have no room for a gateway and a host.
    pub fn first_host(&self) -> Option<Ipv4Addr> {
        (self.prefix <= 30).then(|| Ipv4Addr::from(u32::from(self.first()) + 1))
    }

    /// The last host address (one below broadcast), for prefixes up to `/30`.
    pub fn last_host(&self) -> Option<Ipv4Addr> {
        (self.prefix <= 30).then(|| Ipv4Addr::from(u32::from(self.last()) - 1))
    }

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
        // ex1: Go's `net.ParseCIDR`, for IPv4: `address/prefix`, where the prefix is one or two
        // ASCII digits (no sign, no space) worth at most 32, and the address is what
        // `Ipv4Addr::from_str` accepts (like Go, it refuses leading zeros such as `017`). Every
        // failure is the same error, `NetworkError::InvalidCidr { cidr: s.to_string() }`: Docker's
        // `invalid CIDR address: …`.
        todo!(
            "ex1: split_once('/'); the prefix 1-2 ASCII digits and <= 32; the address with Ipv4Addr::from_str; any failure is NetworkError::InvalidCidr {{ cidr: s.to_string() }}"
        )
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
