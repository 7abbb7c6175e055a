//! ex4: `-p` specs, read as Docker reads them, with Docker's error messages.

use std::net::IpAddr;

use lab07_network::{Protocol, parse_port_spec};
use proptest::prelude::*;

/// `HostConfig.PortBindings` as Docker 20.10 stores it: (`80/tcp`, HostIp, HostPort).
fn bindings(spec: &str) -> Vec<(String, String, String)> {
    parse_port_spec(spec)
        .unwrap_or_else(|e| panic!("-p {spec}: {e}"))
        .iter()
        .map(|m| (m.port_key(), m.host_ip_string(), m.host_port_string()))
        .collect()
}

fn b(key: &str, ip: &str, port: &str) -> (String, String, String) {
    (key.into(), ip.into(), port.into())
}

#[test]
fn ex4_one_port_in_every_spelling() {
    // Each expectation is what `docker create -p SPEC` stored (dockerd 20.10).
    assert_eq!(bindings("8080:80"), vec![b("80/tcp", "", "8080")]);
    assert_eq!(
        bindings("127.0.0.1:8080:80/udp"),
        vec![b("80/udp", "127.0.0.1", "8080")]
    );
    assert_eq!(bindings("80"), vec![b("80/tcp", "", "")]);
    assert_eq!(bindings("80/udp"), vec![b("80/udp", "", "")]);
    assert_eq!(bindings(":80"), vec![b("80/tcp", "", "")]);
    assert_eq!(bindings("0:80"), vec![b("80/tcp", "", "0")]);
    assert_eq!(bindings("127.0.0.1::80"), vec![b("80/tcp", "127.0.0.1", "")]);
    assert_eq!(bindings("[::1]:80:80"), vec![b("80/tcp", "::1", "80")]);
    assert_eq!(bindings("8080:80/sctp"), vec![b("80/sctp", "", "8080")]);
    assert_eq!(bindings("8080:80/TCP"), vec![b("80/tcp", "", "8080")]);
}

#[test]
fn ex4_ranges_pair_up_or_leave_the_choice_to_the_daemon() {
    assert_eq!(
        bindings("8000-8001:80-81/tcp"),
        vec![b("80/tcp", "", "8000"), b("81/tcp", "", "8001")]
    );
    assert_eq!(
        bindings("0.0.0.0:80-81:80-81"),
        vec![b("80/tcp", "0.0.0.0", "80"), b("81/tcp", "0.0.0.0", "81")]
    );
    // one container port, a host range: the daemon picks a free one from it at start
    assert_eq!(bindings("8000-8010:80"), vec![b("80/tcp", "", "8000-8010")]);
    assert_eq!(bindings("80-81"), vec![b("80/tcp", "", ""), b("81/tcp", "", "")]);
    let mapping = &parse_port_spec("8000-8010:80/udp").expect("a range")[0];
    assert_eq!(mapping.host_ports, Some(8000..=8010));
    assert_eq!((mapping.container_port, mapping.protocol), (80, Protocol::Udp));
    assert_eq!(mapping.host_ip, None);
}

#[test]
fn ex4_bad_specs_get_dockers_messages() {
    // Each message is what `docker run -p SPEC` printed after `docker: `.
    let cases = [
        ("99999:80", "invalid hostPort: 99999"),
        ("80:99999", "invalid containerPort: 99999"),
        ("65536", "invalid containerPort: 65536"),
        ("abc:80", "invalid hostPort: abc"),
        ("a-b:80", "invalid hostPort: a-b"),
        ("80-70:80", "invalid hostPort: 80-70"),
        ("127.0.0.1:80", "invalid hostPort: 127.0.0.1"),
        ("8080:80/foo", "invalid proto: foo"),
        (
            "8000-8002:80-81",
            "invalid ranges specified for container and host Ports: 80-81 and 8000-8002",
        ),
        ("1.2.3.4.5:80:80", "invalid IP address: 1.2.3.4.5"),
        ("127.0.0.1:8080:80/udp:x", "invalid IP address: 127.0.0.1:8080"),
        ("8080:80:90:100", "invalid IP address: 8080:80"),
        ("8080:", "no port specified: 8080:<empty>"),
        ("", "no port specified: <empty>"),
    ];
    for (spec, message) in cases {
        let err = parse_port_spec(spec).expect_err(spec);
        assert_eq!(err.to_string(), message, "-p {spec:?}");
    }
    // Go's strconv.ParseUint takes neither signs nor spaces
    for spec in ["+80", " 80", "8080:+80", "80 "] {
        assert!(parse_port_spec(spec).is_err(), "-p {spec:?} is refused");
    }
}

proptest! {
    // no regression files: on the skeleton every input fails
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn ex4_host_and_container_ranges_pair_up(host in 1u16..60000, container in 1u16..60000, len in 0u16..5) {
        let spec = format!("{}-{}:{}-{}/udp", host, host + len, container, container + len);
        let mappings = parse_port_spec(&spec).expect("a valid range spec");
        prop_assert_eq!(mappings.len(), usize::from(len) + 1);
        for (i, m) in mappings.iter().enumerate() {
            let i = i as u16;
            prop_assert_eq!(m.container_port, container + i);
            prop_assert_eq!(m.host_ports.clone(), Some(host + i..=host + i));
            prop_assert_eq!(m.protocol, Protocol::Udp);
        }
    }

    #[test]
    fn ex4_single_ports_round_trip(ip in proptest::option::of(any::<[u8; 4]>()), host in proptest::option::of(any::<u16>()), container in any::<u16>(), udp in any::<bool>()) {
        let proto = if udp { "udp" } else { "tcp" };
        let host_part = host.map(|h| h.to_string()).unwrap_or_default();
        let spec = match ip {
            Some(ip) => format!("{}:{}:{}/{}", std::net::Ipv4Addr::from(ip), host_part, container, proto),
            None if host.is_some() => format!("{host_part}:{container}/{proto}"),
            None => format!("{container}/{proto}"),
        };
        let m = parse_port_spec(&spec).expect("a valid spec");
        prop_assert_eq!(m.len(), 1);
        prop_assert_eq!(m[0].container_port, container);
        prop_assert_eq!(m[0].host_ports.clone(), host.map(|h| h..=h));
        prop_assert_eq!(m[0].host_ip, ip.map(|ip| IpAddr::from(std::net::Ipv4Addr::from(ip))));
    }
}
