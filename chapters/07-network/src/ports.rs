//! `-p` port specs, parsed as Docker parses them (go-connections `nat.ParsePortSpec`), with
//! Docker's own error messages.
//!
//! ```text
//!   -p 8080:80              host port 8080 → container port 80/tcp, on every host address
//!   -p 127.0.0.1:8080:80/udp  only on 127.0.0.1, UDP
//!   -p 80                   container port 80, a free host port chosen at start
//!   -p 127.0.0.1::80        the same, only on 127.0.0.1
//!   -p 8000-8001:80-81      two mappings, 8000→80 and 8001→81
//!   -p 8000-8010:80         one mapping, to the first free host port of 8000..=8010
//! ```

use std::fmt;
use std::net::IpAddr;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::NetworkError;

/// A transport protocol a port can be published for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
    /// SCTP (accepted by Docker; no proxy for it here).
    Sctp,
}

impl Protocol {
    /// `tcp`, `udp` or `sctp`: the name in `80/tcp` and in iptables' `-p`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One container port and how it is published: one entry of `HostConfig.PortBindings`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    /// The port inside the container.
    pub container_port: u16,
    /// Its protocol.
    pub protocol: Protocol,
    /// The host address to listen on; `None` is every address (Docker's `""`).
    pub host_ip: Option<IpAddr>,
    /// The host ports to use (one port, or a range to pick a free one from); `None`
    /// lets the daemon choose one.
    pub host_ports: Option<RangeInclusive<u16>>,
}

impl PortMapping {
    /// Docker's key for the container side: `80/tcp`.
    pub fn port_key(&self) -> String {
        format!("{}/{}", self.container_port, self.protocol)
    }

    /// Docker's `HostIp` string: the address, or `""` for all.
    pub fn host_ip_string(&self) -> String {
        self.host_ip.map(|ip| ip.to_string()).unwrap_or_default()
    }

    /// Docker's `HostPort` string: `""`, `8080`, or `8000-8010`.
    pub fn host_port_string(&self) -> String {
        match &self.host_ports {
            None => String::new(),
            Some(r) if r.start() == r.end() => r.start().to_string(),
            Some(r) => format!("{}-{}", r.start(), r.end()),
        }
    }
}

fn error(message: String) -> NetworkError {
    NetworkError::PortSpec { message }
}

/// Go's `strconv.ParseUint(s, 10, 16)`: ASCII digits only, no sign, fits in 16 bits.
fn parse_u16(s: &str) -> Option<u16> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// go-connections `ParsePortRange`: `80` or `8000-8010` (parts after a second `-` are
/// ignored, as in Go).
fn parse_range(s: &str) -> Option<(u16, u16)> {
    if !s.contains('-') {
        let port = parse_u16(s)?;
        return Some((port, port));
    }
    let mut parts = s.split('-');
    let start = parse_u16(parts.next()?)?;
    let end = parse_u16(parts.next()?)?;
    (end >= start).then_some((start, end))
}

/// go-connections `splitParts`: `[ip:]hostPort:containerPort`, where the ip may itself
/// contain colons (IPv6).
fn split_parts(raw: &str) -> (String, &str, &str) {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    match n {
        1 => (String::new(), "", parts[0]),
        2 => (String::new(), parts[0], parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2], parts[n - 1]),
    }
}

/// go-connections `SplitProtoPort`: `80/udp` → (`udp`, `80`); no protocol is `tcp`.
fn split_proto(raw: &str) -> (&str, &str) {
    let parts: Vec<&str> = raw.split('/').collect();
    if raw.is_empty() || parts[0].is_empty() {
        return ("", "");
    }
    if parts.len() == 1 || parts[1].is_empty() {
        return ("tcp", parts[0]);
    }
    (parts[1], parts[0])
}

// ANCHOR: parse_port_spec
/// Parses one `-p` value into the mappings it means, or Docker's error for it
/// (`invalid hostPort: 99999`, `invalid proto: foo`, ...).
pub fn parse_port_spec(raw: &str) -> Result<Vec<PortMapping>, NetworkError> {
    let (mut ip, host_port, container_port) = split_parts(raw);
    let (proto, container_port) = split_proto(container_port);
    if ip.starts_with('[') {
        // [::1] → ::1 (Go: net.SplitHostPort(ip + ":"))
        match ip.strip_prefix('[').and_then(|rest| rest.strip_suffix(']')) {
            Some(inner) if !inner.contains(['[', ']']) => ip = inner.to_string(),
            _ => return Err(error(format!("Invalid ip address {ip}: missing ']' in address"))),
        }
    }
    let host_ip = match ip.as_str() {
        "" => None,
        ip => Some(
            ip.parse::<IpAddr>()
                .map_err(|_| error(format!("invalid IP address: {ip}")))?,
        ),
    };
    if container_port.is_empty() {
        return Err(error(format!("no port specified: {raw}<empty>")));
    }
    let (start, end) = parse_range(container_port)
        .ok_or_else(|| error(format!("invalid containerPort: {container_port}")))?;
    let host = match host_port {
        "" => None,
        h => Some(parse_range(h).ok_or_else(|| error(format!("invalid hostPort: {h}")))?),
    };
    if let Some((host_start, host_end)) = host
        && end - start != host_end - host_start
        && end != start
    {
        return Err(error(format!(
            "invalid ranges specified for container and host Ports: {container_port} and {host_port}"
        )));
    }
    let protocol = match proto.to_ascii_lowercase().as_str() {
        "tcp" => Protocol::Tcp,
        "udp" => Protocol::Udp,
        "sctp" => Protocol::Sctp,
        _ => return Err(error(format!("invalid proto: {proto}"))),
    };
    Ok((start..=end)
        .enumerate()
        .map(|(i, container_port)| PortMapping {
            container_port,
            protocol,
            host_ip,
            host_ports: host.map(|(host_start, host_end)| {
                if start == end {
                    // one container port, a host range: pick from the range at start
                    host_start..=host_end
                } else {
                    let port = host_start + i as u16;
                    port..=port
                }
            }),
        })
        .collect())
}
// ANCHOR_END: parse_port_spec

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// `HostConfig.PortBindings` as Docker 20.10 stores it, in spec order.
    fn bindings(spec: &str) -> Vec<(String, String, String)> {
        parse_port_spec(spec)
            .unwrap()
            .iter()
            .map(|m| (m.port_key(), m.host_ip_string(), m.host_port_string()))
            .collect()
    }

    fn b(key: &str, ip: &str, port: &str) -> (String, String, String) {
        (key.into(), ip.into(), port.into())
    }

    #[test]
    fn matches_docker_20_10_bindings() {
        // Each expectation is what `docker create -p SPEC` stored (dockerd 20.10.24).
        assert_eq!(bindings("8080:80"), vec![b("80/tcp", "", "8080")]);
        assert_eq!(
            bindings("127.0.0.1:8080:80/udp"),
            vec![b("80/udp", "127.0.0.1", "8080")]
        );
        assert_eq!(bindings("80"), vec![b("80/tcp", "", "")]);
        assert_eq!(bindings("80/udp"), vec![b("80/udp", "", "")]);
        assert_eq!(bindings("0:80"), vec![b("80/tcp", "", "0")]);
        assert_eq!(bindings(":80"), vec![b("80/tcp", "", "")]);
        assert_eq!(bindings("127.0.0.1::80"), vec![b("80/tcp", "127.0.0.1", "")]);
        assert_eq!(bindings("[::1]:80:80"), vec![b("80/tcp", "::1", "80")]);
        assert_eq!(bindings("8080:80/sctp"), vec![b("80/sctp", "", "8080")]);
        assert_eq!(bindings("8080:80/TCP"), vec![b("80/tcp", "", "8080")]);
        assert_eq!(bindings("8000-8001:80"), vec![b("80/tcp", "", "8000-8001")]);
        assert_eq!(
            bindings("8000-8001:80-81/tcp"),
            vec![b("80/tcp", "", "8000"), b("81/tcp", "", "8001")]
        );
        assert_eq!(
            bindings("0.0.0.0:80-81:80-81"),
            vec![b("80/tcp", "0.0.0.0", "80"), b("81/tcp", "0.0.0.0", "81")]
        );
        assert_eq!(bindings("80-81"), vec![b("80/tcp", "", ""), b("81/tcp", "", "")]);
        assert_eq!(bindings("0"), vec![b("0/tcp", "", "")]);
        assert_eq!(bindings("80:0"), vec![b("0/tcp", "", "80")]);
    }

    #[test]
    fn matches_docker_20_10_errors() {
        // Each message is what `docker create -p SPEC` printed after `docker: `.
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
            assert_eq!(
                parse_port_spec(spec).unwrap_err().to_string(),
                message,
                "-p {spec:?}"
            );
        }
    }

    #[test]
    fn signs_and_spaces_are_not_numbers() {
        assert!(parse_port_spec("+80").is_err());
        assert!(parse_port_spec(" 80").is_err());
        assert!(parse_port_spec("8080:+80").is_err());
    }

    proptest! {
        #[test]
        fn host_and_container_ranges_pair_up(host in 1u16..60000, cont in 1u16..60000, len in 0u16..5) {
            let spec = format!("{}-{}:{}-{}/udp", host, host + len, cont, cont + len);
            let mappings = parse_port_spec(&spec).unwrap();
            prop_assert_eq!(mappings.len(), usize::from(len) + 1);
            for (i, m) in mappings.iter().enumerate() {
                let i = i as u16;
                prop_assert_eq!(m.container_port, cont + i);
                prop_assert_eq!(m.host_ports.clone(), Some(host + i..=host + i));
                prop_assert_eq!(m.protocol, Protocol::Udp);
            }
        }

        #[test]
        fn never_panics(spec in "[0-9a-z:/\\-\\[\\].]{0,24}") {
            let _ = parse_port_spec(&spec);
        }

        #[test]
        fn single_ports_round_trip(ip in proptest::option::of(any::<[u8; 4]>()), host in proptest::option::of(any::<u16>()), cont in any::<u16>(), udp in any::<bool>()) {
            let proto = if udp { "udp" } else { "tcp" };
            let host_part = host.map(|h| h.to_string()).unwrap_or_default();
            let spec = match ip {
                Some(ip) => format!("{}:{}:{}/{}", std::net::Ipv4Addr::from(ip), host_part, cont, proto),
                None if host.is_some() => format!("{host_part}:{cont}/{proto}"),
                None => format!("{cont}/{proto}"),
            };
            let m = parse_port_spec(&spec).unwrap();
            prop_assert_eq!(m.len(), 1);
            prop_assert_eq!(m[0].container_port, cont);
            prop_assert_eq!(m[0].host_ports.clone(), host.map(|h| h..=h));
            prop_assert_eq!(m[0].host_ip, ip.map(|ip| IpAddr::from(std::net::Ipv4Addr::from(ip))));
        }
    }
}
