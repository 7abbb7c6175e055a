//! The userland proxy: what `docker-proxy` does for a published port.
//!
//! DNAT rewrites packets that pass through the host's `PREROUTING` or `OUTPUT` chains, but
//! a connection to `127.0.0.1:8080` from the host never leaves the loopback interface, so
//! no DNAT can send it to a container on a bridge. Docker therefore also starts one
//! `docker-proxy` per published port: a plain program that listens on the host port and,
//! for each connection, opens another to the container and copies bytes both ways.
//!
//! Here that is a [`UserlandProxy`]: one listening thread, two copying threads per TCP
//! connection (one per direction), or for UDP one thread per client that relays the
//! replies. [`UserlandProxy::stop`] (or dropping it) shuts everything down and joins every
//! thread. Given a [`NetNs`], all of its threads work inside that namespace.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::NetworkError;
use crate::netns::NetNs;
use crate::ports::Protocol;

/// How long a UDP client may stay silent before its relay is dropped (docker-proxy: 90 s).
pub const UDP_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How often the UDP threads look at the stop flag.
const UDP_POLL: Duration = Duration::from_millis(100);
/// How long connecting to the container may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

type Connections = Arc<Mutex<HashMap<u64, (TcpStream, TcpStream)>>>;

/// A running proxy for one published port.
#[derive(Debug)]
pub struct UserlandProxy {
    protocol: Protocol,
    listen: SocketAddr,
    target: SocketAddr,
    stop: Arc<AtomicBool>,
    listener: Option<TcpListener>,
    connections: Connections,
    thread: Option<JoinHandle<()>>,
}

enum Bound {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

impl UserlandProxy {
    // ANCHOR: start
    /// Listens on `listen` (port 0 picks a free one, see [`UserlandProxy::local_addr`]) and
    /// forwards to `target`, inside `netns` if given. Fails if the port is taken, which is
    /// where Docker's "port is already allocated" comes from.
    pub fn start(
        protocol: Protocol,
        listen: SocketAddr,
        target: SocketAddr,
        netns: Option<&NetNs>,
    ) -> Result<UserlandProxy, NetworkError> {
        let proto = match protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => {
                return Err(NetworkError::Proxy {
                    proto: "sctp",
                    listen,
                    target,
                    op: "start",
                    source: io::Error::new(io::ErrorKind::Unsupported, "no userland proxy for sctp"),
                });
            }
        };
        let fail = move |op, source| NetworkError::Proxy {
            proto,
            listen,
            target,
            op,
            source,
        };
        let netns = netns.map(NetNs::try_clone).transpose()?;
        let stop = Arc::new(AtomicBool::new(false));
        let connections: Connections = Arc::default();
        let (bound_tx, bound_rx) =
            mpsc::channel::<Result<(SocketAddr, Option<TcpListener>), (&'static str, io::Error)>>();
        let (thread_stop, thread_connections) = (stop.clone(), connections.clone());
        let thread = std::thread::spawn(move || {
            if let Some(ns) = netns
                && let Err(e) = ns.enter_this_thread()
            {
                let _ = bound_tx.send(Err(("setns", io::Error::other(e.to_string()))));
                return;
            }
            let bound = match protocol {
                Protocol::Udp => UdpSocket::bind(listen).map(Bound::Udp),
                _ => TcpListener::bind(listen).map(Bound::Tcp),
            };
            let bound = match bound {
                Ok(bound) => bound,
                Err(e) => {
                    let _ = bound_tx.send(Err(("bind", e)));
                    return;
                }
            };
            match bound {
                Bound::Tcp(listener) => {
                    let report = listener
                        .local_addr()
                        .and_then(|addr| Ok((addr, Some(listener.try_clone()?))));
                    let ok = report.is_ok();
                    let _ = bound_tx.send(report.map_err(|e| ("bind", e)));
                    if ok {
                        serve_tcp(listener, target, &thread_stop, &thread_connections);
                    }
                }
                Bound::Udp(socket) => {
                    let report = socket
                        .set_read_timeout(Some(UDP_POLL))
                        .and_then(|()| socket.local_addr())
                        .map(|addr| (addr, None));
                    let ok = report.is_ok();
                    let _ = bound_tx.send(report.map_err(|e| ("bind", e)));
                    if ok {
                        serve_udp(socket, target, &thread_stop);
                    }
                }
            }
        });
        let received = bound_rx.recv();
        let (local, listener) = match received {
            Ok(Ok(bound)) => bound,
            Ok(Err((op, source))) => {
                let _ = thread.join();
                return Err(fail(op, source));
            }
            Err(_) => {
                let _ = thread.join();
                return Err(fail("start", io::Error::other("proxy thread ended early")));
            }
        };
        tracing::debug!(proto, %local, %target, "userland proxy started");
        Ok(UserlandProxy {
            protocol,
            listen: local,
            target,
            stop,
            listener,
            connections,
            thread: Some(thread),
        })
    }
    // ANCHOR_END: start

    /// The address actually listened on.
    pub fn local_addr(&self) -> SocketAddr {
        self.listen
    }

    /// Where connections go.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// The protocol forwarded.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// Stops listening, closes every forwarded connection and joins every thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    // ANCHOR: shutdown
    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(listener) = self.listener.take() {
            // shutdown(2) of a listening socket wakes the thread blocked in accept(2) on
            // Linux (it returns EINVAL); closing the descriptor would not.
            // SAFETY: shutdown(2) takes a descriptor we own (listener lives until the end of
            // this block) and an integer; it touches no memory.
            unsafe { libc::shutdown(listener.as_raw_fd(), libc::SHUT_RDWR) };
        }
        if let Ok(connections) = self.connections.lock() {
            for (client, server) in connections.values() {
                let _ = client.shutdown(Shutdown::Both);
                let _ = server.shutdown(Shutdown::Both);
            }
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
            tracing::debug!(listen = %self.listen, target = %self.target, "userland proxy stopped");
        }
    }
    // ANCHOR_END: shutdown
}

impl Drop for UserlandProxy {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn serve_tcp(listener: TcpListener, target: SocketAddr, stop: &AtomicBool, connections: &Connections) {
    let mut workers: Vec<JoinHandle<()>> = Vec::new();
    let mut next_id = 0u64;
    loop {
        let accepted = listener.accept();
        if stop.load(Ordering::SeqCst) {
            break;
        }
        workers.retain(|w| !w.is_finished());
        let client = match accepted {
            Ok((client, _)) => client,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                tracing::warn!(error = %e, "userland proxy: accept failed");
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        next_id += 1;
        let id = next_id;
        let connections = connections.clone();
        workers.push(std::thread::spawn(move || {
            forward_tcp(id, client, target, &connections)
        }));
    }
    for worker in workers {
        let _ = worker.join();
    }
}

// ANCHOR: forward_tcp
/// Copies one connection both ways until each side has closed its half.
fn forward_tcp(id: u64, client: TcpStream, target: SocketAddr, connections: &Connections) {
    let Ok(server) = TcpStream::connect_timeout(&target, CONNECT_TIMEOUT) else {
        return; // dropping the client closes it, as docker-proxy does
    };
    let (Ok(client_w), Ok(server_w)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    if let (Ok(c), Ok(s), Ok(mut registry)) = (client.try_clone(), server.try_clone(), connections.lock()) {
        registry.insert(id, (c, s));
    }
    let upstream = std::thread::spawn(move || {
        let (mut from, mut to) = (client, server_w);
        let _ = io::copy(&mut from, &mut to);
        let _ = to.shutdown(Shutdown::Write);
    });
    let (mut from, mut to) = (server, client_w);
    let _ = io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
    let _ = upstream.join();
    if let Ok(mut registry) = connections.lock() {
        registry.remove(&id);
    }
}
// ANCHOR_END: forward_tcp

struct UdpClient {
    upstream: UdpSocket,
    last_seen: Arc<Mutex<Instant>>,
    relay: JoinHandle<()>,
}

fn serve_udp(socket: UdpSocket, target: SocketAddr, stop: &AtomicBool) {
    let stop_flag = Arc::new(AtomicBool::new(false));
    let mut clients: HashMap<SocketAddr, UdpClient> = HashMap::new();
    let mut buf = vec![0u8; 65535];
    while !stop.load(Ordering::SeqCst) {
        clients.retain(|_, c| !c.relay.is_finished());
        let (len, from) = match socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "userland proxy: udp receive failed");
                break;
            }
        };
        let client = match clients.entry(from) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => match new_udp_client(&socket, from, target, &stop_flag) {
                Some(client) => entry.insert(client),
                None => continue,
            },
        };
        if let Ok(mut seen) = client.last_seen.lock() {
            *seen = Instant::now();
        }
        let _ = client.upstream.send(&buf[..len]);
    }
    stop_flag.store(true, Ordering::SeqCst);
    for (_, client) in clients {
        let _ = client.relay.join();
    }
}

/// A socket connected to the container for one client, and a thread relaying its replies.
fn new_udp_client(
    socket: &UdpSocket,
    client: SocketAddr,
    target: SocketAddr,
    stop: &Arc<AtomicBool>,
) -> Option<UdpClient> {
    let any: SocketAddr = if target.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }
        .parse()
        .ok()?;
    let upstream = UdpSocket::bind(any).ok()?;
    upstream.connect(target).ok()?;
    upstream.set_read_timeout(Some(UDP_POLL)).ok()?;
    let (replies, back) = (upstream.try_clone().ok()?, socket.try_clone().ok()?);
    let last_seen = Arc::new(Mutex::new(Instant::now()));
    let (seen, stop) = (last_seen.clone(), stop.clone());
    let relay = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65535];
        while !stop.load(Ordering::SeqCst) {
            if seen
                .lock()
                .map(|t| t.elapsed() > UDP_IDLE_TIMEOUT)
                .unwrap_or(true)
            {
                break;
            }
            match replies.recv(&mut buf) {
                Ok(len) => {
                    let _ = back.send_to(&buf[..len], client);
                    if let Ok(mut t) = seen.lock() {
                        *t = Instant::now();
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => break,
            }
        }
    });
    Some(UdpClient {
        upstream,
        last_seen,
        relay,
    })
}
