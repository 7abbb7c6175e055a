//! Privileged (for the test namespace): the userland proxy forwards TCP and UDP on
//! loopback, and stops cleanly.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

mod common;

use std::net::{Ipv4Addr, SocketAddr, UdpSocket};
use std::time::Duration;

use ch07_network::{Protocol, UserlandProxy};
use common::{TestHost, serve_once, talk};

#[test]
fn tcp_connection_is_forwarded_on_loopback() {
    if !common::is_root("tcp_connection_is_forwarded_on_loopback") {
        return;
    }
    let host = TestHost::new();
    let (target, server) = serve_once(&host.ns, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), "pong");
    let proxy = UserlandProxy::start(
        Protocol::Tcp,
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        target,
        Some(&host.ns),
    )
    .unwrap();
    let front = proxy.local_addr();
    assert_ne!(front.port(), 0);
    assert_eq!(talk(&host.ns, front).unwrap(), "pong");
    assert_eq!(server.join().unwrap(), "hello");

    // the port is taken while the proxy runs: Docker's "port is already allocated"
    let again = UserlandProxy::start(Protocol::Tcp, front, target, Some(&host.ns));
    assert!(again.unwrap_err().to_string().contains("bind failed"));

    proxy.stop();
    assert!(talk(&host.ns, front).is_err(), "nothing listens after stop");
}

#[test]
fn udp_datagrams_are_forwarded_and_answered() {
    if !common::is_root("udp_datagrams_are_forwarded_and_answered") {
        return;
    }
    let host = TestHost::new();
    let echo = host
        .ns
        .run(|| UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)))
        .unwrap()
        .unwrap();
    let target = echo.local_addr().unwrap();
    let echo_thread = std::thread::spawn(move || {
        let mut buf = [0u8; 64];
        let (n, from) = echo.recv_from(&mut buf).unwrap();
        let mut reply = b"echo ".to_vec();
        reply.extend_from_slice(&buf[..n]);
        echo.send_to(&reply, from).unwrap();
    });
    let proxy = UserlandProxy::start(
        Protocol::Udp,
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        target,
        Some(&host.ns),
    )
    .unwrap();
    let front = proxy.local_addr();
    let reply = host
        .ns
        .run(|| -> std::io::Result<String> {
            let client = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
            client.set_read_timeout(Some(Duration::from_secs(3)))?;
            client.send_to(b"ping", front)?;
            let mut buf = [0u8; 64];
            let (n, _) = client.recv_from(&mut buf)?;
            Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
        })
        .unwrap()
        .unwrap();
    assert_eq!(reply, "echo ping");
    echo_thread.join().unwrap();
    let started = std::time::Instant::now();
    drop(proxy);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stopping took {:?}",
        started.elapsed()
    );
}

#[test]
fn proxy_works_in_the_callers_namespace_without_root() {
    // Loopback in the test process's own namespace: no privilege needed, no host change.
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let target = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = Vec::new();
        conn.read_to_end(&mut buf).unwrap();
        conn.write_all(&buf).unwrap();
    });
    let proxy = UserlandProxy::start(
        Protocol::Tcp,
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        target,
        None,
    )
    .unwrap();
    {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(proxy.local_addr()).unwrap();
        conn.write_all(b"round trip").unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        let mut back = String::new();
        conn.read_to_string(&mut back).unwrap();
        assert_eq!(back, "round trip");
    }
    server.join().unwrap();
    proxy.stop();
}
