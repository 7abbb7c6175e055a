//! A synchronous rtnetlink(7) connection: one request, then its answers, on a socket.
//!
//! `ip link add ...` is a thin program around exactly this: it builds an `RTM_NEWLINK`
//! message, sends it on a `NETLINK_ROUTE` socket and waits for the kernel's acknowledgement.
//! The messages themselves are built and parsed by the `netlink-packet-route` crate; this
//! module only numbers them, sends them and collects the answers, without an async runtime
//! (the daemon does a handful of these per container, each answered in microseconds).
//!
//! The link, address and route operations are methods of [`Netlink`], in the modules
//! [`link`](crate::link), [`address`](crate::address) and [`route`](crate::route).

use netlink_packet_core::{
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

use crate::error::NetworkError;
use crate::netns::NetNs;

/// A `NETLINK_ROUTE` socket in one network namespace (the one it was opened in).
#[derive(Debug)]
pub struct Netlink {
    socket: Socket,
    sequence: u32,
}

/// What a request is about, for error messages: the message type and the object.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) kind: &'static str,
    pub(crate) object: String,
}

impl Request {
    pub(crate) fn new(kind: &'static str, object: impl Into<String>) -> Request {
        Request {
            kind,
            object: object.into(),
        }
    }

    pub(crate) fn failed(&self, source: std::io::Error) -> NetworkError {
        NetworkError::Netlink {
            request: self.kind,
            object: self.object.clone(),
            source,
        }
    }

    fn bad_answer(&self, reason: impl Into<String>) -> NetworkError {
        NetworkError::NetlinkDecode {
            request: self.kind,
            object: self.object.clone(),
            reason: reason.into(),
        }
    }
}

impl Netlink {
    /// Opens a socket in the caller's network namespace: socket(2) with `AF_NETLINK`,
    /// `NETLINK_ROUTE`, then bind(2) to a port the kernel picks.
    pub fn open() -> Result<Netlink, NetworkError> {
        let req = Request::new("socket(2)", "NETLINK_ROUTE");
        let mut socket = Socket::new(NETLINK_ROUTE).map_err(|e| req.failed(e))?;
        socket.bind_auto().map_err(|e| req.failed(e))?;
        socket
            .connect(&SocketAddr::new(0, 0))
            .map_err(|e| req.failed(e))?;
        Ok(Netlink { socket, sequence: 0 })
    }

    /// Opens a socket inside `netns` (from a short-lived thread there); the socket keeps
    /// working in that namespace from whatever thread uses it.
    pub fn open_in(netns: &NetNs) -> Result<Netlink, NetworkError> {
        netns.run(Netlink::open)?
    }

    /// Sends a request that changes something and waits for the kernel's acknowledgement.
    pub(crate) fn execute(
        &mut self,
        message: RouteNetlinkMessage,
        flags: u16,
        req: &Request,
    ) -> Result<(), NetworkError> {
        self.send(message, NLM_F_REQUEST | NLM_F_ACK | flags, req)?;
        self.collect(req).map(|_| ())
    }

    /// Sends a request that answers with one message (`RTM_GETLINK` of one name).
    pub(crate) fn get(
        &mut self,
        message: RouteNetlinkMessage,
        req: &Request,
    ) -> Result<RouteNetlinkMessage, NetworkError> {
        self.send(message, NLM_F_REQUEST | NLM_F_ACK, req)?;
        self.collect(req)?
            .into_iter()
            .next()
            .ok_or_else(|| req.bad_answer("no message in the answer"))
    }

    /// Sends a dump request and returns every message of the answer.
    pub(crate) fn dump(
        &mut self,
        message: RouteNetlinkMessage,
        req: &Request,
    ) -> Result<Vec<RouteNetlinkMessage>, NetworkError> {
        self.send(message, NLM_F_REQUEST | NLM_F_DUMP, req)?;
        self.collect(req)
    }

    // ANCHOR: send
    fn send(&mut self, message: RouteNetlinkMessage, flags: u16, req: &Request) -> Result<(), NetworkError> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = flags;
        header.sequence_number = self.sequence;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(message));
        packet.finalize();
        let mut buf = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut buf);
        tracing::trace!(request = req.kind, object = %req.object, "netlink send");
        self.socket.send(&buf, 0).map_err(|e| req.failed(e))?;
        Ok(())
    }
    // ANCHOR_END: send

    // ANCHOR: collect
    /// Reads answers to the last request until its end: an `NLMSG_ERROR` (code 0 is the
    /// acknowledgement, anything else a negative errno) or, for a dump, `NLMSG_DONE`.
    fn collect(&mut self, req: &Request) -> Result<Vec<RouteNetlinkMessage>, NetworkError> {
        let mut messages = Vec::new();
        loop {
            let (datagram, _) = self.socket.recv_from_full().map_err(|e| req.failed(e))?;
            let mut offset = 0;
            while offset < datagram.len() {
                let bytes = &datagram[offset..];
                let length = NetlinkBuffer::new_checked(bytes)
                    .map_err(|e| req.bad_answer(e.to_string()))?
                    .length() as usize;
                let packet = NetlinkMessage::<RouteNetlinkMessage>::deserialize(bytes)
                    .map_err(|e| req.bad_answer(e.to_string()))?;
                // Netlink messages are 4-byte aligned inside a datagram.
                offset += length.max(16).next_multiple_of(4);
                if packet.header.sequence_number != self.sequence {
                    continue;
                }
                match packet.payload {
                    NetlinkPayload::InnerMessage(message) => messages.push(message),
                    NetlinkPayload::Done(_) => return Ok(messages),
                    NetlinkPayload::Error(error) => match error.code {
                        None => return Ok(messages),
                        Some(_) => return Err(req.failed(error.to_io())),
                    },
                    _ => {}
                }
            }
        }
    }
    // ANCHOR_END: collect
}
