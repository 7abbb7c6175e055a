//! Forwarding a query to the upstream resolvers, as Docker's embedded DNS does.
//!
//! The query goes out unchanged (same id, same flags, same EDNS options) over the transport
//! the client used: UDP for UDP, TCP for TCP. A UDP answer with the `TC` flag is relayed as
//! it is, so the client asks again over TCP and that query goes upstream over TCP: the
//! truncation fallback costs no code here. Upstreams are tried in order, each for at most
//! [`UPSTREAM_TIMEOUT`]; `SERVFAIL` and `REFUSED` move on to the next one (moby: "this can
//! be a transitional status"), any other answer, `NXDOMAIN` included, is relayed.
//!
//! Each query gets its own socket, so the kernel picks a fresh source port every time and
//! only the upstream's replies reach it (a connected UDP socket drops datagrams from any
//! other address); a reply must also carry the query's id and the `QR` flag.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::os::fd::AsFd;
use std::time::Instant;

use simple_dns::{PacketFlag, RCODE, header_buffer};

use super::io::{Ready, StopSignal, connect, is_transient, read_message, write_message};
use super::{Transport, UPSTREAM_TIMEOUT};

// ANCHOR: forward
/// Asks each upstream in turn; `None` when none gave a usable answer (or the server stops).
pub(crate) fn forward(
    query: &[u8],
    transport: Transport,
    upstreams: &[SocketAddr],
    stop: &StopSignal,
) -> Option<Vec<u8>> {
    let id = header_buffer::id(query).ok()?;
    for &upstream in upstreams {
        let deadline = Instant::now() + UPSTREAM_TIMEOUT;
        let answer = match transport {
            Transport::Udp => exchange_udp(query, id, upstream, deadline, stop),
            Transport::Tcp => exchange_tcp(query, id, upstream, deadline, stop),
        };
        match answer {
            Ok(answer) => match header_buffer::rcode(&answer) {
                Ok(RCODE::ServerFailure | RCODE::Refused) => {
                    tracing::debug!(%upstream, ?transport, "upstream DNS failed or refused; trying the next")
                }
                _ => return Some(answer),
            },
            Err(_) if stop.is_raised() => return None,
            Err(e) => tracing::debug!(%upstream, ?transport, error = %e, "upstream DNS did not answer"),
        }
    }
    None
}
// ANCHOR_END: forward

/// True for a message that answers query `id`.
fn answers(message: &[u8], id: u16) -> bool {
    header_buffer::id(message) == Ok(id)
        && header_buffer::has_flags(message, PacketFlag::RESPONSE) == Ok(true)
}

/// One query over UDP from a fresh socket connected to `upstream`.
fn exchange_udp(
    query: &[u8],
    id: u16,
    upstream: SocketAddr,
    deadline: Instant,
    stop: &StopSignal,
) -> io::Result<Vec<u8>> {
    let any: SocketAddr = match upstream {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(any)?;
    socket.connect(upstream)?;
    socket.set_nonblocking(true)?;
    socket.send(query)?;
    let mut buf = vec![0u8; 65535];
    loop {
        match socket.recv(&mut buf) {
            Ok(len) if answers(&buf[..len], id) => return Ok(buf[..len].to_vec()),
            Ok(_) => {} // a stray or late datagram: keep waiting for ours
            Err(e) if is_transient(&e) => stop.wait(socket.as_fd(), Ready::Read, Some(deadline))?,
            // ECONNREFUSED: the ICMP "port unreachable" of an upstream with nothing on :53
            Err(e) => return Err(e),
        }
    }
}

/// One query over a fresh TCP connection to `upstream`.
fn exchange_tcp(
    query: &[u8],
    id: u16,
    upstream: SocketAddr,
    deadline: Instant,
    stop: &StopSignal,
) -> io::Result<Vec<u8>> {
    let stream = connect(upstream, deadline, stop)?;
    write_message(&stream, query, deadline, stop)?;
    let answer = read_message(&stream, deadline, stop)?;
    if answers(&answer, id) {
        Ok(answer)
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "upstream answered another query",
        ))
    }
}
