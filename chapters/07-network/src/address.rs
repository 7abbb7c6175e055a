//! Interface addresses: `RTM_NEWADDR`, `RTM_DELADDR`, `RTM_GETADDR` (rtnetlink(7)).
//!
//! Adding `172.17.0.2/16` to `eth0` also makes the kernel add the subnet route
//! `172.17.0.0/16 dev eth0` (a "connected" route), so the rest of the bridge is reachable
//! at once; only the default route has to be added by hand ([`Netlink::add_default_route`]).

use std::net::{IpAddr, Ipv4Addr};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::cidr::Ipv4Net;
use crate::error::NetworkError;
use crate::netlink::{Netlink, Request};

fn address_message(index: u32, address: Ipv4Net) -> AddressMessage {
    let mut message = AddressMessage::default();
    message.header.family = AddressFamily::Inet;
    message.header.prefix_len = address.prefix();
    message.header.index = index;
    // IFA_LOCAL is the interface's own address; IFA_ADDRESS the peer's on point-to-point
    // links and the same on broadcast ones (what `ip addr add` sends).
    message
        .attributes
        .push(AddressAttribute::Local(IpAddr::V4(address.addr())));
    message
        .attributes
        .push(AddressAttribute::Address(IpAddr::V4(address.addr())));
    if address.prefix() <= 30 {
        message
            .attributes
            .push(AddressAttribute::Broadcast(address.last()));
    }
    message
}

impl Netlink {
    // ANCHOR: add_address
    /// Adds an IPv4 address with its prefix to a link (`ip addr add 172.17.0.2/16 dev eth0`).
    pub fn add_address(&mut self, link: &str, address: Ipv4Net) -> Result<(), NetworkError> {
        let index = self.link_index(link)?;
        tracing::debug!(link, %address, "add address");
        let req = Request::new("RTM_NEWADDR", format!("address {address} on link {link}"));
        self.execute(
            RouteNetlinkMessage::NewAddress(address_message(index, address)),
            NLM_F_CREATE | NLM_F_EXCL,
            &req,
        )
    }
    // ANCHOR_END: add_address

    /// Removes an IPv4 address from a link (`ip addr del 172.17.0.2/16 dev eth0`).
    pub fn delete_address(&mut self, link: &str, address: Ipv4Net) -> Result<(), NetworkError> {
        let index = self.link_index(link)?;
        let req = Request::new("RTM_DELADDR", format!("address {address} on link {link}"));
        self.execute(
            RouteNetlinkMessage::DelAddress(address_message(index, address)),
            0,
            &req,
        )
    }

    /// The IPv4 addresses of a link, with their prefixes (`ip -4 addr show dev LINK`).
    pub fn addresses(&mut self, link: &str) -> Result<Vec<Ipv4Net>, NetworkError> {
        let index = self.link_index(link)?;
        let mut request = AddressMessage::default();
        request.header.family = AddressFamily::Inet;
        let req = Request::new("RTM_GETADDR", format!("addresses of link {link}"));
        let answers = self.dump(RouteNetlinkMessage::GetAddress(request), &req)?;
        let mut addresses = Vec::new();
        for answer in answers {
            let RouteNetlinkMessage::NewAddress(message) = answer else {
                continue;
            };
            if message.header.index != index {
                continue;
            }
            let local = message.attributes.iter().find_map(|a| match a {
                AddressAttribute::Local(IpAddr::V4(ip)) => Some(*ip),
                _ => None,
            });
            if let Some(net) = local.and_then(|ip: Ipv4Addr| Ipv4Net::new(ip, message.header.prefix_len)) {
                addresses.push(net);
            }
        }
        Ok(addresses)
    }
}
