//! # Chapter 7: network
//!
//! A container in a new network namespace has one interface, `lo`, and no way out. Docker's
//! default network gives it a cable to the host: a *veth pair*, one end renamed `eth0`
//! inside the container, the other plugged into a *bridge* (a virtual switch) on the host.
//! The bridge has the network's gateway address; NAT rules let containers out and let
//! published ports in.
//!
//! ```text
//!                 host network namespace
//!   ┌──────────────────────────────────────────────────────────────┐
//!   │  eth0 (host)     minidocker0 172.17.0.1/16 (bridge)          │
//!   │     ▲              │                 │                       │
//!   │     │ MASQUERADE   veth1a2b3c       veth4d5e6f               │
//!   │     │ DNAT :8080→172.17.0.2:80                               │
//!   └─────┼──────────────┼─────────────────┼───────────────────────┘
//!         │        ┌─────┴──────┐    ┌─────┴──────┐
//!         │        │ eth0       │    │ eth0       │  container network namespaces
//!         │        │ 172.17.0.2 │    │ 172.17.0.3 │  default route via 172.17.0.1
//!         │        └────────────┘    └────────────┘
//! ```
//!
//! One concept per module:
//!
//! - [`netns`]: network namespaces held by a descriptor, and work done inside them on a
//!   dedicated thread (so the caller's thread never changes namespace);
//! - [`netlink`]: a synchronous rtnetlink socket, the way `ip` talks to the kernel;
//! - [`link`], [`address`], [`route`]: bridges, veth pairs, moving and renaming links,
//!   MAC addresses, hairpin mode; IPv4 addresses; the default route and the routed subnets;
//! - [`cidr`], [`pool`], [`mac`], [`ipam`]: subnets, Docker's default address pools,
//!   MACs derived from IPs, and the persistent address allocator;
//! - [`ports`]: `-p` specs parsed as Docker parses them;
//! - [`nat`]: MASQUERADE, DNAT and isolation rules with iptables (why iptables: see there);
//! - [`proxy`]: the userland proxy for ports published on `127.0.0.1`;
//! - [`dns`]: the embedded DNS server at `127.0.0.11` that finds containers by name on
//!   user-defined networks and forwards other names upstream.
//!
//! Examples (as root; everything is made inside network namespaces the example creates, so
//! the host's own interfaces, routes and firewall are never touched):
//! `cargo run -p ch07-network --example bridge_ping`, `--example publish_port` and
//! `--example embedded_dns`.

pub mod address;
pub mod cidr;
pub mod dns;
pub mod error;
pub mod ipam;
pub mod link;
pub mod mac;
pub mod nat;
pub mod netlink;
pub mod netns;
pub mod pool;
pub mod ports;
pub mod proxy;
pub mod route;

pub use cidr::Ipv4Net;
pub use dns::{EmbeddedDns, NameTable, Resolver};
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
