//! Routes: `RTM_NEWROUTE` for a container's default route, and an `RTM_GETROUTE` dump for
//! the subnets the host already routes, which IPAM must not hand out again.

use std::net::Ipv4Addr;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::cidr::Ipv4Net;
use crate::error::NetworkError;
use crate::netlink::{Netlink, Request};

/// One IPv4 route of the main table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The destination (`0.0.0.0/0` for the default route).
    pub destination: Ipv4Net,
    /// The next hop, if not directly connected.
    pub gateway: Option<Ipv4Addr>,
    /// The index of the outgoing link.
    pub link_index: Option<u32>,
}

fn default_route_message(gateway: Ipv4Addr) -> RouteMessage {
    let mut message = RouteMessage::default();
    message.header.address_family = AddressFamily::Inet;
    message.header.table = RouteHeader::RT_TABLE_MAIN;
    message.header.protocol = RouteProtocol::Boot;
    message.header.scope = RouteScope::Universe;
    message.header.kind = RouteType::Unicast;
    message
        .attributes
        .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway)));
    message
}

impl Netlink {
    // ANCHOR: default_route
    /// Adds the default route through `gateway` (`ip route add default via GATEWAY`). The
    /// gateway must already be reachable: add the address on the link first.
    pub fn add_default_route(&mut self, gateway: Ipv4Addr) -> Result<(), NetworkError> {
        tracing::debug!(%gateway, "add default route");
        let req = Request::new("RTM_NEWROUTE", format!("default route via {gateway}"));
        self.execute(
            RouteNetlinkMessage::NewRoute(default_route_message(gateway)),
            NLM_F_CREATE | NLM_F_EXCL,
            &req,
        )
    }
    // ANCHOR_END: default_route

    /// Removes the default route through `gateway` (`ip route del default via GATEWAY`).
    pub fn delete_default_route(&mut self, gateway: Ipv4Addr) -> Result<(), NetworkError> {
        let req = Request::new("RTM_DELROUTE", format!("default route via {gateway}"));
        self.execute(
            RouteNetlinkMessage::DelRoute(default_route_message(gateway)),
            0,
            &req,
        )
    }

    // ANCHOR: routes
    /// The IPv4 routes of the main table (`ip -4 route show`).
    pub fn routes(&mut self) -> Result<Vec<Route>, NetworkError> {
        let mut request = RouteMessage::default();
        request.header.address_family = AddressFamily::Inet;
        let req = Request::new("RTM_GETROUTE", "IPv4 routes");
        let answers = self.dump(RouteNetlinkMessage::GetRoute(request), &req)?;
        let mut routes = Vec::new();
        for answer in answers {
            let RouteNetlinkMessage::NewRoute(message) = answer else {
                continue;
            };
            let mut table = u32::from(message.header.table);
            let mut destination = Ipv4Addr::UNSPECIFIED;
            let mut route = Route {
                destination: Ipv4Net::ANY,
                gateway: None,
                link_index: None,
            };
            for attribute in &message.attributes {
                match attribute {
                    RouteAttribute::Table(t) => table = *t,
                    RouteAttribute::Destination(RouteAddress::Inet(ip)) => destination = *ip,
                    RouteAttribute::Gateway(RouteAddress::Inet(ip)) => route.gateway = Some(*ip),
                    RouteAttribute::Oif(index) => route.link_index = Some(*index),
                    _ => {}
                }
            }
            if table != u32::from(RouteHeader::RT_TABLE_MAIN) {
                continue;
            }
            let Some(net) = Ipv4Net::new(destination, message.header.destination_prefix_length) else {
                continue;
            };
            route.destination = net;
            routes.push(route);
        }
        Ok(routes)
    }
    // ANCHOR_END: routes

    // ANCHOR: routed_subnets
    /// The subnets routed in this namespace, default route excluded: what Docker checks a
    /// candidate bridge subnet against (a subnet that overlaps one of these would shadow
    /// or be shadowed by a real network of the host).
    pub fn routed_subnets(&mut self) -> Result<Vec<Ipv4Net>, NetworkError> {
        Ok(self
            .routes()?
            .into_iter()
            .filter(|r| r.destination.prefix() > 0)
            .map(|r| r.destination.network())
            .collect())
    }
    // ANCHOR_END: routed_subnets
}
