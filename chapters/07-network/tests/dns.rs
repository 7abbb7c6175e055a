//! Privileged (for the test namespaces): the embedded DNS server answers at 127.0.0.11:53
//! inside a namespace, forwards what it does not know from the namespace it was started in,
//! and frees its port when stopped.
//!
//! Each test makes two namespaces: a "container", where the server listens, and a "host",
//! from which the server is started (so its upstream sockets live there) and where fake
//! upstream resolvers listen on 127.0.0.1. Nothing is sent anywhere else.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

mod common;

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ch07_network::dns::DNS_ADDRESS;
use ch07_network::{EmbeddedDns, NameTable, NetNs, Netlink, NetworkError};
use common::TestHost;
use simple_dns::rdata::{A, RData};
use simple_dns::{CLASS, Name, Packet, PacketFlag, QCLASS, QTYPE, Question, RCODE, ResourceRecord, TYPE};

const WAIT: Duration = Duration::from_secs(5);
const WEB: Ipv4Addr = Ipv4Addr::new(172, 18, 0, 2);
const DB: Ipv4Addr = Ipv4Addr::new(172, 18, 0, 3);
const UPSTREAM_ANSWER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 7);

fn names() -> Arc<NameTable> {
    let mut table = NameTable::new();
    table
        .insert("web", WEB)
        .insert("web.mynet", WEB)
        .insert("db", DB)
        .insert("db.mynet", DB);
    Arc::new(table)
}

/// Starts the server in `container`, from a thread inside `host`.
fn start(
    host: &TestHost,
    container: &NetNs,
    upstreams: Vec<SocketAddr>,
) -> Result<EmbeddedDns, NetworkError> {
    host.ns
        .run(|| EmbeddedDns::start(container, names(), upstreams))
        .unwrap()
}

fn query(id: u16, name: &str, qtype: TYPE) -> Vec<u8> {
    let mut packet = Packet::new_query(id);
    packet.set_flags(PacketFlag::RECURSION_DESIRED);
    packet.questions.push(Question::new(
        Name::new_unchecked(name),
        QTYPE::TYPE(qtype),
        QCLASS::CLASS(CLASS::IN),
        false,
    ));
    packet.build_bytes_vec().unwrap()
}

/// A UDP query from inside `ns`.
fn ask_udp(ns: &NetNs, server: SocketAddr, query: &[u8]) -> io::Result<Vec<u8>> {
    ns.run(|| {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        socket.set_read_timeout(Some(WAIT))?;
        socket.connect(server)?;
        socket.send(query)?;
        let mut buf = vec![0u8; 65535];
        let len = socket.recv(&mut buf)?;
        Ok(buf[..len].to_vec())
    })
    .unwrap()
}

fn tcp_send(stream: &mut TcpStream, message: &[u8]) -> io::Result<()> {
    let mut framed = u16::try_from(message.len()).unwrap().to_be_bytes().to_vec();
    framed.extend_from_slice(message);
    stream.write_all(&framed)
}

fn tcp_receive(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut length = [0u8; 2];
    stream.read_exact(&mut length)?;
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(length))];
    stream.read_exact(&mut message)?;
    Ok(message)
}

/// A TCP connection to `server` made inside `ns` (usable from any thread afterwards).
fn connect_tcp(ns: &NetNs, server: SocketAddr) -> TcpStream {
    let stream = ns
        .run(|| TcpStream::connect_timeout(&server, WAIT))
        .unwrap()
        .unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    stream
}

fn addresses(packet: &Packet<'_>) -> Vec<Ipv4Addr> {
    packet
        .answers
        .iter()
        .filter_map(|rr| match &rr.rdata {
            RData::A(a) => Some(Ipv4Addr::from(a.address)),
            _ => None,
        })
        .collect()
}

/// A namespace with `lo` up, as a container has one.
fn container() -> NetNs {
    TestHost::new().ns
}

/// A fake upstream resolver on 127.0.0.1 (UDP and TCP, same port) inside a namespace: it
/// answers every name with `UPSTREAM_ANSWER` and the given rcode, and remembers the names.
struct FakeUpstream {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl FakeUpstream {
    fn start(ns: &NetNs, rcode: RCODE) -> FakeUpstream {
        let (udp, tcp) = ns
            .run(|| -> io::Result<(UdpSocket, TcpListener)> {
                let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
                let tcp = TcpListener::bind(udp.local_addr()?)?;
                Ok((udp, tcp))
            })
            .unwrap()
            .unwrap();
        let addr = udp.local_addr().unwrap();
        let (seen, stop) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(false)));
        udp.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        tcp.set_nonblocking(true).unwrap();
        let udp_thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 65535];
                while !stop.load(Ordering::SeqCst) {
                    if let Ok((len, from)) = udp.recv_from(&mut buf) {
                        let reply = fake_answer(&buf[..len], rcode, &seen);
                        udp.send_to(&reply, from).unwrap();
                    }
                }
            })
        };
        let tcp_thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let Ok((mut conn, _)) = tcp.accept() else {
                        std::thread::sleep(Duration::from_millis(20));
                        continue;
                    };
                    conn.set_nonblocking(false).unwrap();
                    conn.set_read_timeout(Some(WAIT)).unwrap();
                    if let Ok(query) = tcp_receive(&mut conn) {
                        let _ = tcp_send(&mut conn, &fake_answer(&query, rcode, &seen));
                    }
                }
            })
        };
        FakeUpstream {
            addr,
            seen,
            stop,
            threads: vec![udp_thread, tcp_thread],
        }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn fake_answer(query: &[u8], rcode: RCODE, seen: &Mutex<Vec<String>>) -> Vec<u8> {
    let Ok(packet) = Packet::parse(query) else {
        // a type the parser does not know: echo the query as an empty answer
        seen.lock().unwrap().push("(unparsed)".into());
        let mut reply = query.to_vec();
        reply[2] |= 0x80;
        reply[3] = (reply[3] & 0xf0) | rcode as u8;
        return reply;
    };
    let question = packet.questions[0].clone();
    seen.lock().unwrap().push(question.qname.to_string());
    let mut reply = Packet::new_reply(packet.id());
    *reply.rcode_mut() = rcode;
    if rcode == RCODE::NoError {
        reply.answers.push(ResourceRecord::new(
            question.qname.clone(),
            CLASS::IN,
            30,
            RData::A(A::from(UPSTREAM_ANSWER)),
        ));
    }
    reply.questions.push(question);
    reply.build_bytes_vec().unwrap()
}

#[test]
fn a_query_inside_the_namespace_is_answered_with_the_containers_address() {
    if !common::is_root("a_query_inside_the_namespace_is_answered_with_the_containers_address") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let dns = start(&host, &ns, Vec::new()).unwrap();
    assert_eq!(dns.udp_addr(), SocketAddr::from(DNS_ADDRESS));
    assert_eq!(dns.tcp_addr(), SocketAddr::from(DNS_ADDRESS));

    let bytes = ask_udp(&ns, dns.udp_addr(), &query(0x1234, "web", TYPE::A)).unwrap();
    let reply = Packet::parse(&bytes).unwrap();
    assert_eq!(reply.id(), 0x1234);
    assert_eq!(reply.rcode(), RCODE::NoError);
    assert!(reply.has_flags(PacketFlag::RESPONSE | PacketFlag::RECURSION_AVAILABLE));
    assert_eq!(addresses(&reply), [WEB]);
    assert_eq!(reply.answers[0].ttl, 600);

    // the server is in the container's namespace only: the host has nothing on 127.0.0.11
    assert!(ask_udp(&host.ns, dns.udp_addr(), &query(1, "web", TYPE::A)).is_err());
}

#[test]
fn names_are_case_insensitive_and_a_trailing_dot_is_ignored() {
    if !common::is_root("names_are_case_insensitive_and_a_trailing_dot_is_ignored") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let dns = start(&host, &ns, Vec::new()).unwrap();
    for name in ["WEB", "Web.MyNet.", "web.mynet"] {
        let bytes = ask_udp(&ns, dns.udp_addr(), &query(7, name, TYPE::A)).unwrap();
        let reply = Packet::parse(&bytes).unwrap();
        assert_eq!(addresses(&reply), [WEB], "{name}");
        assert_eq!(reply.answers[0].name.to_string(), name.trim_end_matches('.'));
    }
}

#[test]
fn aaaa_of_a_known_name_is_an_empty_noerror() {
    if !common::is_root("aaaa_of_a_known_name_is_an_empty_noerror") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    // an upstream that would answer: the name must not reach it
    let upstream = FakeUpstream::start(&host.ns, RCODE::NoError);
    let dns = start(&host, &ns, vec![upstream.addr]).unwrap();
    let bytes = ask_udp(&ns, dns.udp_addr(), &query(3, "db", TYPE::AAAA)).unwrap();
    let reply = Packet::parse(&bytes).unwrap();
    assert_eq!(reply.rcode(), RCODE::NoError);
    assert!(reply.answers.is_empty());
    assert!(upstream.seen().is_empty(), "forwarded: {:?}", upstream.seen());
}

#[test]
fn ptr_of_a_container_address_is_its_name() {
    if !common::is_root("ptr_of_a_container_address_is_its_name") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let dns = start(&host, &ns, Vec::new()).unwrap();
    let bytes = ask_udp(
        &ns,
        dns.udp_addr(),
        &query(4, "3.0.18.172.in-addr.arpa", TYPE::PTR),
    )
    .unwrap();
    let reply = Packet::parse(&bytes).unwrap();
    let [answer] = reply.answers.as_slice() else {
        panic!("one answer expected: {reply:?}")
    };
    match &answer.rdata {
        RData::PTR(ptr) => assert_eq!(ptr.0.to_string(), "db"),
        other => panic!("not a PTR: {other:?}"),
    }
}

#[test]
fn unknown_names_are_forwarded_from_the_starting_namespace_and_relayed() {
    if !common::is_root("unknown_names_are_forwarded_from_the_starting_namespace_and_relayed") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    // The upstream listens on 127.0.0.1 of the *host* namespace; nothing listens there in
    // the container's. An answer therefore proves the query left from the host's side.
    let upstream = FakeUpstream::start(&host.ns, RCODE::NoError);
    let dns = start(&host, &ns, vec![upstream.addr]).unwrap();
    assert_eq!(dns.upstreams(), [upstream.addr]);

    for name in ["example.com", "nosuchcontainer"] {
        // a single label is forwarded too, as Docker does (unless ndots is set)
        let bytes = ask_udp(&ns, dns.udp_addr(), &query(0x5151, name, TYPE::A)).unwrap();
        let reply = Packet::parse(&bytes).unwrap();
        assert_eq!(reply.id(), 0x5151);
        assert_eq!(addresses(&reply), [UPSTREAM_ANSWER], "{name}");
        assert_eq!(reply.answers[0].ttl, 30, "the upstream's answer, as it came");
    }
    assert_eq!(upstream.seen(), ["example.com", "nosuchcontainer"]);

    // a record type the parser does not know goes upstream as it is
    let mut unknown = query(0x5252, "example.com", TYPE::A);
    let at = unknown.len() - 4;
    unknown[at..at + 2].copy_from_slice(&65280u16.to_be_bytes());
    let bytes = ask_udp(&ns, dns.udp_addr(), &unknown).unwrap();
    assert_eq!(simple_dns::header_buffer::id(&bytes), Ok(0x5252));
    assert_eq!(simple_dns::header_buffer::rcode(&bytes), Ok(RCODE::NoError));
    assert_eq!(upstream.seen().last().map(String::as_str), Some("(unparsed)"));
}

#[test]
fn failing_upstreams_are_skipped_and_with_none_left_the_answer_is_servfail() {
    if !common::is_root("failing_upstreams_are_skipped_and_with_none_left_the_answer_is_servfail") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let refusing = FakeUpstream::start(&host.ns, RCODE::Refused);
    let good = FakeUpstream::start(&host.ns, RCODE::NoError);
    let closed: SocketAddr = {
        // a port nothing listens on: the query meets ICMP "port unreachable" at once
        let socket = host
            .ns
            .run(|| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)))
            .unwrap()
            .unwrap();
        socket.local_addr().unwrap()
    };

    let dns = start(&host, &ns, vec![closed, refusing.addr, good.addr]).unwrap();
    let bytes = ask_udp(&ns, dns.udp_addr(), &query(1, "example.com", TYPE::A)).unwrap();
    assert_eq!(addresses(&Packet::parse(&bytes).unwrap()), [UPSTREAM_ANSWER]);
    assert_eq!(refusing.seen(), ["example.com"]);
    dns.stop();

    for upstreams in [
        vec![],
        vec![closed, refusing.addr],
        vec![SocketAddr::from(DNS_ADDRESS)],
    ] {
        let dns = start(&host, &ns, upstreams.clone()).unwrap();
        let bytes = ask_udp(&ns, dns.udp_addr(), &query(2, "example.com", TYPE::A)).unwrap();
        let reply = Packet::parse(&bytes).unwrap();
        assert_eq!(reply.rcode(), RCODE::ServerFailure, "{upstreams:?}");
        assert_eq!(reply.id(), 2);
        dns.stop();
    }
}

#[test]
fn tcp_queries_are_answered_and_forwarded_over_tcp() {
    if !common::is_root("tcp_queries_are_answered_and_forwarded_over_tcp") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let upstream = FakeUpstream::start(&host.ns, RCODE::NoError);
    let dns = start(&host, &ns, vec![upstream.addr]).unwrap();

    // two queries on one connection: one answered here, one by the upstream over TCP
    let mut conn = connect_tcp(&ns, dns.tcp_addr());
    tcp_send(&mut conn, &query(10, "web", TYPE::A)).unwrap();
    let reply = tcp_receive(&mut conn).unwrap();
    assert_eq!(addresses(&Packet::parse(&reply).unwrap()), [WEB]);
    tcp_send(&mut conn, &query(11, "example.org", TYPE::A)).unwrap();
    let reply = tcp_receive(&mut conn).unwrap();
    let reply = Packet::parse(&reply).unwrap();
    assert_eq!(reply.id(), 11);
    assert_eq!(addresses(&reply), [UPSTREAM_ANSWER]);
    assert_eq!(upstream.seen(), ["example.org"]);

    // what is not a DNS query closes the connection
    tcp_send(&mut conn, b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut rest = Vec::new();
    assert_eq!(conn.read_to_end(&mut rest).unwrap(), 0);
}

#[test]
fn malformed_datagrams_are_ignored_and_the_server_keeps_answering() {
    if !common::is_root("malformed_datagrams_are_ignored_and_the_server_keeps_answering") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let dns = start(&host, &ns, Vec::new()).unwrap();
    ns.run(|| -> io::Result<()> {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        socket.connect(dns.udp_addr())?;
        for garbage in [
            &b""[..],
            b"\x00",
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff",
        ] {
            socket.send(garbage)?;
        }
        socket.send(&query(99, "db", TYPE::A))?;
        socket.set_read_timeout(Some(WAIT))?;
        let mut buf = [0u8; 512];
        let len = socket.recv(&mut buf)?;
        // the first (and only) reply is the real query's
        assert_eq!(simple_dns::header_buffer::id(&buf[..len]), Ok(99));
        Ok(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn stop_frees_port_53_for_the_next_server() {
    if !common::is_root("stop_frees_port_53_for_the_next_server") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let dns = start(&host, &ns, Vec::new()).unwrap();
    // a TCP connection left open, to be closed by the stop
    let mut idle = connect_tcp(&ns, dns.tcp_addr());

    let again = start(&host, &ns, Vec::new());
    let message = again.unwrap_err().to_string();
    assert!(message.contains("127.0.0.11:53: bind failed"), "{message}");

    dns.stop();
    let mut rest = Vec::new();
    assert_eq!(
        idle.read_to_end(&mut rest).unwrap_or(0),
        0,
        "stop closes connections"
    );
    assert!(ask_udp(&ns, SocketAddr::from(DNS_ADDRESS), &query(1, "web", TYPE::A)).is_err());

    let dns = start(&host, &ns, Vec::new()).unwrap();
    let bytes = ask_udp(&ns, dns.udp_addr(), &query(1, "web", TYPE::A)).unwrap();
    assert_eq!(addresses(&Packet::parse(&bytes).unwrap()), [WEB]);
    drop(dns);
}

#[test]
fn a_containers_own_server_on_every_address_collides_with_ours() {
    if !common::is_root("a_containers_own_server_on_every_address_collides_with_ours") {
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let _dns = start(&host, &ns, Vec::new()).unwrap();
    let (any, loopback) = ns
        .run(|| {
            (
                UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 53)).map(drop),
                UdpSocket::bind((Ipv4Addr::LOCALHOST, 53)).map(drop),
            )
        })
        .unwrap();
    assert_eq!(any.unwrap_err().kind(), io::ErrorKind::AddrInUse);
    assert!(loopback.is_ok(), "127.0.0.1:53 stays free: {loopback:?}");
}

#[test]
fn starting_before_lo_is_up_is_refused() {
    if !common::is_root("starting_before_lo_is_up_is_refused") {
        return;
    }
    let host = TestHost::new();
    let bare = NetNs::new().unwrap();
    let message = start(&host, &bare, Vec::new()).unwrap_err().to_string();
    assert!(message.contains("is lo up?"), "{message}");
    assert!(message.contains("Network is unreachable"), "{message}");

    Netlink::open_in(&bare).unwrap().set_up("lo").unwrap();
    let dns = start(&host, &bare, Vec::new()).unwrap();
    let bytes = ask_udp(&bare, dns.udp_addr(), &query(1, "web", TYPE::A)).unwrap();
    assert_eq!(addresses(&Packet::parse(&bytes).unwrap()), [WEB]);
}

#[test]
fn busybox_nslookup_finds_containers_and_forwarded_names() {
    if !common::is_root("busybox_nslookup_finds_containers_and_forwarded_names") {
        return;
    }
    if !Path::new("/bin/busybox").exists() {
        eprintln!("no /bin/busybox: skipping nslookup, the other tests still query the server");
        return;
    }
    let (host, ns) = (TestHost::new(), container());
    let upstream = FakeUpstream::start(&host.ns, RCODE::NoError);
    let dns = start(&host, &ns, vec![upstream.addr]).unwrap();
    let nslookup = |name: &str| {
        // a process spawned from a thread inside the namespace starts in it
        let output = ns
            .run(|| {
                Command::new("/bin/busybox")
                    .args(["nslookup", name, "127.0.0.11"])
                    .output()
            })
            .unwrap()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let web = nslookup("web");
    assert!(web.contains(&WEB.to_string()), "{web}");
    let forwarded = nslookup("example.com");
    assert!(forwarded.contains(&UPSTREAM_ANSWER.to_string()), "{forwarded}");
    drop(dns);
}
