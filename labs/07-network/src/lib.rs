//! # Lab 07: network
//!
//! The exercises of chapter 7 (`chapters/07-network`, crate `ch07_network`): you write the
//! bodies marked `todo!()` and `labs/check 07` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/cidr.rs` | [`Ipv4Net::mask`], [`Ipv4Net::contains`], [`Ipv4Net::overlaps`], `Ipv4Net::from_str` |
//! | `ex2` | `src/pool.rs` | [`default_pools`], [`next_free_subnet`] |
//! | `ex3` | `src/ipam.rs` | `NetworkAllocation::next_free`, [`Ipam::allocate`], [`Ipam::release`] |
//! | `ex4` | `src/ports.rs` | [`parse_port_spec`] |
//! | `ex5` | `src/nat.rs` | [`bridge_rules`], [`port_rules`] |
//! | `ex6` | `src/link.rs` | [`Netlink::add_veth`], [`Netlink::add_veth_into`], [`Netlink::set_master`], [`Netlink::move_to_netns`] |
//!
//! Three modules come from the chapter crate as they are, re-exported: the error type, MAC
//! addresses and network namespaces use nothing you write. The others are the chapter's own
//! files, compiled here by `#[path]` (one copy of the code, not two): the netlink socket and
//! the address and route requests are methods of the same `Netlink` as your link requests,
//! and the userland proxy speaks your `Protocol`, so they have to be compiled into this
//! crate. With `--features reference` the chapter's files replace the exercise files as well
//! (that is how `labs/check --verify` proves every test can pass).

/// The chapter's modules that use nothing of the lab's, re-exported.
pub use ch07_network::{error, mac, netns};

// The chapter's modules that are not exercises, compiled against the lab's.
#[path = "../../../chapters/07-network/src/address.rs"]
pub mod address;
#[path = "../../../chapters/07-network/src/netlink.rs"]
pub mod netlink;
#[path = "../../../chapters/07-network/src/proxy.rs"]
pub mod proxy;
#[path = "../../../chapters/07-network/src/route.rs"]
pub mod route;

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, some arguments, imports and helpers are unused.
#[cfg_attr(feature = "reference", path = "../../../chapters/07-network/src/cidr.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod cidr;
#[cfg_attr(feature = "reference", path = "../../../chapters/07-network/src/ipam.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod ipam;
#[cfg_attr(feature = "reference", path = "../../../chapters/07-network/src/link.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod link;
#[cfg_attr(feature = "reference", path = "../../../chapters/07-network/src/nat.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod nat;
#[cfg_attr(feature = "reference", path = "../../../chapters/07-network/src/pool.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod pool;
#[cfg_attr(feature = "reference", path = "../../../chapters/07-network/src/ports.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod ports;

pub use cidr::Ipv4Net;
pub use error::NetworkError;
pub use ipam::{Ipam, NetworkAllocation, NetworkRequest, write_atomic};
pub use link::{Link, validate_link_name};
pub use mac::MacAddr;
pub use nat::{BridgeNetwork, Iptables, PublishedPort, Rule, Table, bridge_rules, port_rules};
pub use netlink::Netlink;
pub use netns::NetNs;
pub use pool::{AddressPool, default_pools, next_free_subnet};
pub use ports::{PortMapping, Protocol, parse_port_spec};
pub use proxy::UserlandProxy;
pub use route::Route;
