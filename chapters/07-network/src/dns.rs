//! The embedded DNS server: what Docker runs at `127.0.0.11` in every container attached to
//! a user-defined network, so that `ping db` finds the container named `db`.
//!
//! The engine writes `nameserver 127.0.0.11` (and `options ndots:0`) into the container's
//! `/etc/resolv.conf`, and an [`EmbeddedDns`] listens on that address *inside the
//! container's network namespace*, over UDP and TCP. It answers from a [`Resolver`] that
//! the engine supplies (the names of the containers on the networks this one shares: their
//! names, network aliases and short ids, and `PTR` for their addresses) and forwards
//! everything else to the upstream resolvers (the host's, or the ones given with `--dns`).
//! The rules, as moby's `libnetwork/resolver.go` has them, are in `dns/query.rs`.
//!
//! ```text
//!   container network namespace                          host network namespace
//!  ┌──────────────────────────────────────┐
//!  │ app ──query──▶ 127.0.0.11:53 udp/tcp │  socket made here, on a short-lived thread
//!  └───────────────────────┬──────────────┘
//!                          │ served by threads that never entered the container's namespace
//!                          ▼
//!          web → 172.18.0.2 (Resolver)  or  forward ──▶ upstream 10.0.0.1:53 / 127.0.0.53:53
//!                                                         (sockets made in the host's namespace)
//! ```
//!
//! ## Where each socket lives
//!
//! A socket belongs to the network namespace of the thread that created it, for the rest
//! of its life. [`EmbeddedDns::start`] creates the two listening sockets with
//! [`NetNs::run`], on a thread that enters the container's namespace and ends; the threads
//! that then serve them are spawned by the caller and stay in the caller's namespace. The
//! sockets that forward queries are made by those threads, so they live in the namespace
//! `start` was called from: the engine's, the host's. Docker splits this: it dials a
//! nameserver on the host's loopback (systemd-resolved's `127.0.0.53`) from the host's
//! namespace and any other from the container's. Dialing all of them from the host keeps
//! loopback resolvers working and needs no thread inside the container's namespace per
//! query; for a container behind the bridge's MASQUERADE the upstream sees the host's address
//! either way. A network that must not reach out (`--internal`) gets no upstreams: its
//! unknown names then fail with `SERVFAIL`, as Docker's do.
//!
//! ## Why port 53, and not Docker's redirect
//!
//! Docker binds random ports on `127.0.0.11` and adds iptables `DNAT`/`SNAT` rules in the
//! container's namespace that send `127.0.0.11:53` there, so that a container may still run
//! its own DNS server on port 53 of every address. That costs several `iptables` processes
//! per container start, several milliseconds each, when the whole network setup of a
//! container start is meant to take less than 3 ms. This server binds `127.0.0.11:53`
//! itself instead, in well under a millisecond. The price: a container that binds its own
//! server to port 53 of *every* address (`0.0.0.0:53`) gets `EADDRINUSE`, as its `:53` and
//! ours overlap; one that binds `127.0.0.1:53` or its own `eth0` address is unaffected.
//! [`EmbeddedDns::start_on`] takes any address, for whoever wants Docker's way.
//!
//! `127.0.0.11` is reachable only while the namespace's `lo` is up. Binding it works with
//! `lo` down, but queries then fail with `ENETUNREACH`, and a socket bound that early never
//! gets its replies out even once `lo` is up; so the engine brings `lo` up first, and
//! [`EmbeddedDns::start`] refuses to start before (it asks the kernel for a route to the
//! address first).
//!
//! ## Threads and stopping
//!
//! One thread serves UDP: local answers are sent at once, a forwarded query gets a worker
//! thread (at most [`MAX_FORWARDS_IN_FLIGHT`]; beyond that the client gets `REFUSED`, as
//! Docker answers when its limit is reached). One thread accepts TCP connections, each
//! served by its own thread (at most [`MAX_TCP_CONNECTIONS`]) that reads queries until the
//! client closes or stays idle for [`TCP_IDLE_TIMEOUT`]; a message that is not a query
//! closes it. [`EmbeddedDns::stop`] (or dropping it) wakes every one of them at once (see
//! `dns/io.rs`) and joins them all; the port is free when it returns.

mod io;
mod query;
mod upstream;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use simple_dns::RCODE;

use crate::error::NetworkError;
use crate::netns::NetNs;
use io::{Ready, StopSignal, is_transient};
use query::{Failure, Outcome, respond};

/// Where Docker's embedded DNS server listens, inside the container's namespace.
pub const DNS_ADDRESS: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(127, 0, 0, 11), 53);
/// The TTL of every local answer, in seconds (Docker's `respTTL`).
pub const ANSWER_TTL: u32 = 600;
/// How long one upstream may take to answer (Docker's `extIOTimeout`).
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(4);
/// How many upstreams are tried, in order (Docker's `maxExtDNS`, glibc's `MAXNS`).
pub const MAX_UPSTREAMS: usize = 3;
/// How many forwarded UDP queries may wait for upstream answers at once.
pub const MAX_FORWARDS_IN_FLIGHT: usize = 128;
/// How many TCP connections are served at once.
pub const MAX_TCP_CONNECTIONS: usize = 64;
/// How long a TCP connection may stay silent before it is closed.
pub const TCP_IDLE_TIMEOUT: Duration = Duration::from_secs(8);

// ANCHOR: resolver
/// The names the server answers for, supplied by the engine: the DNS server knows nothing
/// of containers or networks.
pub trait Resolver: Send + Sync {
    /// The IPv4 addresses of `name` (lower case, no trailing dot): `None` when the name is
    /// not ours (the query then goes upstream), an empty list for a name that is ours but
    /// has no IPv4 address.
    fn lookup(&self, name: &str) -> Option<Vec<Ipv4Addr>>;

    /// The name of the container with address `ip`, for `PTR` queries; `None` when the
    /// address is not ours.
    fn reverse(&self, ip: Ipv4Addr) -> Option<String>;
}
// ANCHOR_END: resolver

/// A fixed table of names, for examples and tests: the first name given for an address is
/// the one `PTR` answers.
#[derive(Debug, Default, Clone)]
pub struct NameTable {
    names: BTreeMap<String, Vec<Ipv4Addr>>,
    reverse: BTreeMap<Ipv4Addr, String>,
}

impl NameTable {
    /// An empty table.
    pub fn new() -> NameTable {
        NameTable::default()
    }

    /// Adds `ip` to the addresses of `name` (case-insensitive).
    pub fn insert(&mut self, name: &str, ip: Ipv4Addr) -> &mut NameTable {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        self.reverse.entry(ip).or_insert_with(|| name.clone());
        self.names.entry(name).or_default().push(ip);
        self
    }
}

impl Resolver for NameTable {
    fn lookup(&self, name: &str) -> Option<Vec<Ipv4Addr>> {
        self.names.get(name).cloned()
    }

    fn reverse(&self, ip: Ipv4Addr) -> Option<String> {
        self.reverse.get(&ip).cloned()
    }
}

/// The transport a query came over, and that its forwarding uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    Udp,
    Tcp,
}

/// A running embedded DNS server.
#[derive(Debug)]
pub struct EmbeddedDns {
    udp: SocketAddr,
    tcp: SocketAddr,
    upstreams: Arc<[SocketAddr]>,
    stop: Arc<StopSignal>,
    threads: Vec<JoinHandle<()>>,
}

/// What every serving thread shares.
struct Server {
    resolver: Arc<dyn Resolver>,
    upstreams: Arc<[SocketAddr]>,
    stop: Arc<StopSignal>,
    /// Counts local `A` answers, so that a name with several addresses rotates them.
    rotation: AtomicUsize,
}

impl Server {
    fn respond(&self, query: &[u8], transport: Transport) -> Outcome {
        let rotation = self.rotation.fetch_add(1, Ordering::Relaxed);
        respond(query, transport, self.resolver.as_ref(), rotation)
    }
}

/// The upstreams actually used: `127.0.0.11` dropped (forwarding there could reach a server
/// like this one, in a loop), duplicates dropped, at most [`MAX_UPSTREAMS`].
pub fn usable_upstreams(upstreams: &[SocketAddr]) -> Vec<SocketAddr> {
    let mut usable: Vec<SocketAddr> = Vec::new();
    for upstream in upstreams {
        if upstream.ip() != *DNS_ADDRESS.ip() && !usable.contains(upstream) {
            usable.push(*upstream);
        }
    }
    usable.truncate(MAX_UPSTREAMS);
    usable
}

impl EmbeddedDns {
    /// Serves DNS on `127.0.0.11:53` (UDP and TCP) inside `netns`, answering from
    /// `resolver` and forwarding the rest to `upstreams` (see [`usable_upstreams`]) from the
    /// caller's own namespace.
    pub fn start(
        netns: &NetNs,
        resolver: Arc<dyn Resolver>,
        upstreams: Vec<SocketAddr>,
    ) -> Result<EmbeddedDns, NetworkError> {
        EmbeddedDns::start_on(netns, DNS_ADDRESS, resolver, upstreams)
    }

    // ANCHOR: start
    /// [`EmbeddedDns::start`] on another address; port 0 picks a free port, for UDP and
    /// TCP separately (see [`EmbeddedDns::udp_addr`] and [`EmbeddedDns::tcp_addr`]).
    pub fn start_on(
        netns: &NetNs,
        listen: SocketAddrV4,
        resolver: Arc<dyn Resolver>,
        upstreams: Vec<SocketAddr>,
    ) -> Result<EmbeddedDns, NetworkError> {
        let fail = |proto, op, source| NetworkError::Dns {
            proto,
            listen: listen.into(),
            op,
            source,
        };
        // The sockets are made inside the container's namespace and stay there; this
        // thread, and the ones it spawns below, stay in the caller's.
        let (udp, tcp) = netns.run(|| {
            // connect(2) of a UDP socket looks the route up: none while lo is down
            UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
                .and_then(|probe| probe.connect(listen))
                .map_err(|e| fail("udp", "route check (is lo up?)", e))?;
            let udp = UdpSocket::bind(listen).map_err(|e| fail("udp", "bind", e))?;
            let tcp = TcpListener::bind(listen).map_err(|e| fail("tcp", "bind", e))?;
            Ok::<_, NetworkError>((udp, tcp))
        })??;
        udp.set_nonblocking(true)
            .map_err(|e| fail("udp", "set non-blocking", e))?;
        tcp.set_nonblocking(true)
            .map_err(|e| fail("tcp", "set non-blocking", e))?;
        let udp_addr = udp.local_addr().map_err(|e| fail("udp", "getsockname", e))?;
        let tcp_addr = tcp.local_addr().map_err(|e| fail("tcp", "getsockname", e))?;
        let stop = Arc::new(StopSignal::new().map_err(|e| fail("udp/tcp", "pipe", e))?);
        let upstreams: Arc<[SocketAddr]> = usable_upstreams(&upstreams).into();
        let server = Arc::new(Server {
            resolver,
            upstreams: upstreams.clone(),
            stop: stop.clone(),
            rotation: AtomicUsize::new(0),
        });
        let mut dns = EmbeddedDns {
            udp: udp_addr,
            tcp: tcp_addr,
            upstreams,
            stop,
            threads: Vec::new(),
        };
        let udp_server = server.clone();
        let thread = std::thread::Builder::new()
            .name("dns-udp".into())
            .spawn(move || serve_udp(&udp, &udp_server))
            .map_err(|e| fail("udp", "spawn thread", e))?;
        dns.threads.push(thread);
        let thread = std::thread::Builder::new()
            .name("dns-tcp".into())
            .spawn(move || serve_tcp(&tcp, &server))
            .map_err(|e| fail("tcp", "spawn thread", e))?; // dropping `dns` stops the UDP thread
        dns.threads.push(thread);
        tracing::debug!(netns = %netns.describe(), udp = %udp_addr, tcp = %tcp_addr,
            upstreams = ?dns.upstreams, "embedded DNS server started");
        Ok(dns)
    }
    // ANCHOR_END: start

    /// The UDP address served, inside the namespace.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp
    }

    /// The TCP address served, inside the namespace.
    pub fn tcp_addr(&self) -> SocketAddr {
        self.tcp
    }

    /// The upstreams queries are forwarded to, in order.
    pub fn upstreams(&self) -> &[SocketAddr] {
        &self.upstreams
    }

    /// Stops serving, closes every socket and joins every thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.raise();
        let threads = std::mem::take(&mut self.threads);
        if threads.is_empty() {
            return;
        }
        for thread in threads {
            let _ = thread.join();
        }
        tracing::debug!(udp = %self.udp, tcp = %self.tcp, "embedded DNS server stopped");
    }
}

impl Drop for EmbeddedDns {
    fn drop(&mut self) {
        self.shutdown();
    }
}

// ANCHOR: serve_udp
fn serve_udp(socket: &UdpSocket, server: &Arc<Server>) {
    let mut forwards: Vec<JoinHandle<()>> = Vec::new();
    let mut buf = vec![0u8; 65535];
    loop {
        let (len, client) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) if is_transient(&e) => match server.stop.wait(socket.as_fd(), Ready::Read, None) {
                Ok(()) => continue,
                Err(_) => break, // stopping
            },
            Err(e) => {
                tracing::warn!(error = %e, "embedded DNS: udp receive failed");
                break;
            }
        };
        let query = &buf[..len];
        match server.respond(query, Transport::Udp) {
            Outcome::Reply(reply) => {
                let _ = socket.send_to(&reply, client);
            }
            Outcome::Ignore => {}
            Outcome::Forward(failure) => {
                forwards.retain(|f| !f.is_finished());
                if forwards.len() >= MAX_FORWARDS_IN_FLIGHT {
                    let _ = socket.send_to(&failure.reply(RCODE::Refused), client);
                } else if let Some(worker) = spawn_forward(query.to_vec(), client, failure, socket, server) {
                    forwards.push(worker);
                }
            }
        }
    }
    for forward in forwards {
        let _ = forward.join();
    }
}

/// A thread that forwards one UDP query and sends the client the answer, or `SERVFAIL`.
fn spawn_forward(
    query: Vec<u8>,
    client: SocketAddr,
    failure: Failure,
    socket: &UdpSocket,
    server: &Arc<Server>,
) -> Option<JoinHandle<()>> {
    let (socket, server) = (socket.try_clone().ok()?, server.clone());
    std::thread::Builder::new()
        .name("dns-forward".into())
        .spawn(move || {
            let answer = upstream::forward(&query, Transport::Udp, &server.upstreams, &server.stop);
            if server.stop.is_raised() {
                return;
            }
            let answer = answer.unwrap_or_else(|| failure.reply(RCODE::ServerFailure));
            let _ = socket.send_to(&answer, client);
        })
        .ok()
}
// ANCHOR_END: serve_udp

fn serve_tcp(listener: &TcpListener, server: &Arc<Server>) {
    let mut connections: Vec<JoinHandle<()>> = Vec::new();
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if is_transient(&e) => match server.stop.wait(listener.as_fd(), Ready::Read, None) {
                Ok(()) => continue,
                Err(_) => break, // stopping
            },
            Err(e) => {
                // EMFILE and the like: wait a little rather than spin
                tracing::warn!(error = %e, "embedded DNS: tcp accept failed");
                let later = Instant::now() + Duration::from_millis(50);
                match server.stop.wait(listener.as_fd(), Ready::Read, Some(later)) {
                    Err(_) if server.stop.is_raised() => break,
                    _ => continue,
                }
            }
        };
        connections.retain(|c| !c.is_finished());
        if connections.len() >= MAX_TCP_CONNECTIONS || stream.set_nonblocking(true).is_err() {
            continue; // dropping the stream closes it
        }
        let server = server.clone();
        let spawned = std::thread::Builder::new()
            .name("dns-tcp-conn".into())
            .spawn(move || serve_connection(&stream, &server));
        if let Ok(connection) = spawned {
            connections.push(connection);
        }
    }
    for connection in connections {
        let _ = connection.join();
    }
}

/// Answers the queries of one TCP connection, one after the other.
fn serve_connection(stream: &TcpStream, server: &Server) {
    loop {
        let deadline = Instant::now() + TCP_IDLE_TIMEOUT;
        let Ok(query) = io::read_message(stream, deadline, &server.stop) else {
            return; // closed, idle, or stopping
        };
        let reply = match server.respond(&query, Transport::Tcp) {
            Outcome::Reply(reply) => reply,
            Outcome::Forward(failure) => {
                match upstream::forward(&query, Transport::Tcp, &server.upstreams, &server.stop) {
                    Some(answer) => answer,
                    None if server.stop.is_raised() => return,
                    None => failure.reply(RCODE::ServerFailure),
                }
            }
            Outcome::Ignore => return, // not a DNS query: close the connection
        };
        let deadline = Instant::now() + TCP_IDLE_TIMEOUT;
        if io::write_message(stream, &reply, deadline, &server.stop).is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn upstreams_drop_ourselves_duplicates_and_beyond_three() {
        let given = [
            addr("127.0.0.11:53"),
            addr("10.0.0.1:53"),
            addr("10.0.0.1:53"),
            addr("127.0.0.53:53"),
            addr("127.0.0.11:5353"),
            addr("[2001:db8::1]:53"),
            addr("10.0.0.2:53"),
        ];
        assert_eq!(
            usable_upstreams(&given),
            [
                addr("10.0.0.1:53"),
                addr("127.0.0.53:53"),
                addr("[2001:db8::1]:53")
            ]
        );
        assert!(usable_upstreams(&[]).is_empty());
    }

    #[test]
    fn the_name_table_is_case_insensitive_and_reverses_to_the_first_name() {
        let mut table = NameTable::new();
        table
            .insert("Web.", Ipv4Addr::new(172, 18, 0, 2))
            .insert("web.mynet", Ipv4Addr::new(172, 18, 0, 2));
        assert_eq!(table.lookup("web"), Some(vec![Ipv4Addr::new(172, 18, 0, 2)]));
        assert_eq!(table.lookup("db"), None);
        assert_eq!(
            table.reverse(Ipv4Addr::new(172, 18, 0, 2)).as_deref(),
            Some("web")
        );
        assert_eq!(table.reverse(Ipv4Addr::new(172, 18, 0, 9)), None);
    }

    proptest::proptest! {
        #[test]
        fn a_server_without_upstreams_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            // the whole path of a UDP datagram, forwarding included, minus the socket
            let stop = Arc::new(StopSignal::new().unwrap_or_else(|e| panic!("pipe: {e}")));
            let server = Server {
                resolver: Arc::new(NameTable::new()),
                upstreams: Arc::from(Vec::new()),
                stop: stop.clone(),
                rotation: AtomicUsize::new(0),
            };
            if let Outcome::Forward(failure) = server.respond(&bytes, Transport::Udp) {
                let answer = upstream::forward(&bytes, Transport::Udp, &server.upstreams, &stop);
                prop_assert!(answer.is_none(), "no upstream, no answer");
                let servfail = failure.reply(RCODE::ServerFailure);
                prop_assert_eq!(simple_dns::header_buffer::rcode(&servfail), Ok(RCODE::ServerFailure));
            }
        }
    }
}
