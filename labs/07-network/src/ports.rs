//! `-p` port specs, parsed as Docker parses them (go-connections `nat.ParsePortSpec`), with
//! Docker's own error messages.
//!
//! **Lab 07 skeleton.** Exercise `ex4`: write [`parse_port_spec`] (the `todo!()`; the
//! helpers `parse_u16`, `parse_range`, `split_parts` and `split_proto` are done).
//! `labs/check 07` tells you how far you are.
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

/// Parses one `-p` value into the mappings it means, or Docker's error for it
/// (`invalid hostPort: 99999`, `invalid proto: foo`, ...).
pub fn parse_port_spec(raw: &str) -> Result<Vec<PortMapping>, NetworkError> {
    // ex4: go-connections' `ParsePortSpec`, step by step, every error `error(message)`:
    //   1. `split_parts(raw)` gives ip, host port and container port; `split_proto` splits
    //      the container port `80/udp` into protocol and port;
    //   2. an ip in brackets (`[::1]`) loses them, a `[` without its `]` is
    //      `Invalid ip address {ip}: missing ']' in address`; an ip that does not parse is
    //      `invalid IP address: {ip}`; no ip is `None`;
    //   3. an empty container port is `no port specified: {raw}<empty>`; then `parse_range`
    //      each side: `invalid containerPort: {port}`, `invalid hostPort: {port}`;
    //   4. with a container range, the host range must be as long:
    //      `invalid ranges specified for container and host Ports: {container} and {host}`;
    //   5. the protocol, in any case: tcp, udp or sctp, else `invalid proto: {proto}`;
    //   6. one `PortMapping` per container port, whose host ports are the matching port of
    //      the host range, or the whole host range for a single container port.
    todo!(
        "ex4: split_parts and split_proto; the ip (brackets, parse); both ranges; their lengths; the protocol; one PortMapping per container port"
    )
}
