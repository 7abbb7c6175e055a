//! `-p`: each published port gets a host port, DNAT rules from chapter 7 and a userland
//! proxy, as dockerd gives it `docker-proxy`.
//!
//! The proxy is what holds the host port (binding it is how a port taken by another program
//! shows up), and it serves connections from the host itself to `127.0.0.1`, which DNAT
//! cannot reach; traffic from elsewhere (or to the host's other addresses) takes the DNAT
//! rules. Without a daemon (until chapter 10) the proxies are threads of the `minidocker run`
//! that started the container and live exactly as long as it does.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;

use ch07_network::{
    Iptables, NetworkError as Chapter7Error, PortMapping, PublishedPort, Rule, UserlandProxy, port_rules,
};

use super::NetworkError;
use super::settings::PortBinding;
use crate::container::Container;

/// Where a port chosen by the engine comes from: the kernel's ephemeral range, as
/// Docker's port allocator reads it.
const LOCAL_PORT_RANGE: &str = "/proc/sys/net/ipv4/ip_local_port_range";
/// Docker's fallback when that file cannot be read.
const DEFAULT_DYNAMIC_RANGE: RangeInclusive<u16> = 49153..=65535;

/// The ports of one container as published: what `NetworkSettings.Ports` shows, and the
/// proxies and rules that make them work until [`Publication::unpublish`].
#[derive(Debug, Default)]
pub struct Publication {
    pub ports: BTreeMap<String, Option<Vec<PortBinding>>>,
    proxies: Vec<UserlandProxy>,
    rules: Vec<Rule>,
}

/// The kernel's ephemeral port range.
fn dynamic_port_range() -> RangeInclusive<u16> {
    let text = std::fs::read_to_string(LOCAL_PORT_RANGE).unwrap_or_default();
    let mut parts = text.split_whitespace().map(str::parse::<u16>);
    match (parts.next(), parts.next()) {
        (Some(Ok(start)), Some(Ok(end))) if start <= end => start..=end,
        _ => DEFAULT_DYNAMIC_RANGE,
    }
}

/// Whether another running container has published `host_ip:port/proto` (Docker's port
/// allocator knows this; without a daemon the containers' records do).
fn allocated_elsewhere(others: &[Container], key_proto: &str, host_ip: &str, port: u16) -> bool {
    others.iter().filter(|c| c.state.running).any(|c| {
        c.network_settings.ports.iter().any(|(key, bindings)| {
            key.ends_with(&format!("/{key_proto}"))
                && bindings.iter().flatten().any(|b| {
                    b.host_port == port.to_string()
                        && (b.host_ip == host_ip || b.host_ip == "0.0.0.0" || host_ip == "0.0.0.0")
                })
        })
    })
}

impl Publication {
    // ANCHOR: publish
    /// Publishes `mappings` of the container at `container_ip` on `bridge`. `exposed` are
    /// the container's other exposed ports (shown as `null`). On error nothing stays
    /// published; the message is Docker's.
    pub fn publish(
        endpoint: &str,
        bridge: &str,
        container_ip: Ipv4Addr,
        mappings: &[PortMapping],
        exposed: &[String],
        others: &[Container],
    ) -> Result<Publication, NetworkError> {
        let mut publication = Publication::default();
        for key in exposed {
            publication.ports.entry(key.clone()).or_insert(None);
        }
        for mapping in mappings {
            if let Err(e) = publication.publish_one(bridge, container_ip, mapping, others) {
                publication.unpublish();
                return Err(NetworkError::Conflict(format!(
                    "driver failed programming external connectivity on endpoint {endpoint}: {e}"
                )));
            }
        }
        Ok(publication)
    }

    fn publish_one(
        &mut self,
        bridge: &str,
        container_ip: Ipv4Addr,
        mapping: &PortMapping,
        others: &[Container],
    ) -> Result<(), String> {
        let host_ip = match mapping.host_ip {
            None => Ipv4Addr::UNSPECIFIED,
            Some(IpAddr::V4(ip)) => ip,
            Some(IpAddr::V6(ip)) => return Err(format!("IPv6 host address {ip} is not supported")),
        };
        let proto = mapping.protocol.as_str();
        let target = SocketAddr::from((container_ip, mapping.container_port));
        let (candidates, chosen) = match &mapping.host_ports {
            Some(range) => (range.clone(), false),
            None => (dynamic_port_range(), true),
        };
        let mut last_error = String::new();
        let proxy = candidates.clone().find_map(|port| {
            if allocated_elsewhere(others, proto, &host_ip.to_string(), port) {
                last_error = format!("Bind for {host_ip}:{port} failed: port is already allocated");
                return None;
            }
            match UserlandProxy::start(mapping.protocol, SocketAddr::from((host_ip, port)), target, None) {
                Ok(proxy) => Some(proxy),
                Err(Chapter7Error::Proxy { source, .. }) => {
                    let reason = match source.kind() {
                        std::io::ErrorKind::AddrInUse => "address already in use".to_owned(),
                        _ => source.to_string(),
                    };
                    last_error = format!(
                        "Error starting userland proxy: listen {proto}4 {host_ip}:{port}: bind: {reason}"
                    );
                    None
                }
                Err(e) => {
                    last_error = e.to_string();
                    None
                }
            }
        });
        let Some(proxy) = proxy else {
            if chosen && last_error.is_empty() {
                last_error = "no free port in the dynamic range".into();
            }
            return Err(last_error);
        };
        let host_port = proxy.local_addr().port();
        let published = PublishedPort {
            protocol: mapping.protocol,
            host_ip: (!host_ip.is_unspecified()).then_some(host_ip),
            host_port,
            container_ip,
            container_port: mapping.container_port,
        };
        let rules = port_rules(bridge, &published, false);
        let iptables = Iptables::new();
        for rule in rules {
            if let Err(e) = iptables.add(&rule) {
                self.proxies.push(proxy);
                return Err(e.to_string());
            }
            self.rules.push(rule);
        }
        self.proxies.push(proxy);
        self.ports
            .entry(mapping.port_key())
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(PortBinding {
                host_ip: host_ip.to_string(),
                host_port: host_port.to_string(),
            });
        Ok(())
    }
    // ANCHOR_END: publish

    /// Whether nothing is published: no proxy, no rule.
    pub fn is_empty(&self) -> bool {
        self.proxies.is_empty() && self.rules.is_empty()
    }

    /// Deletes the rules (last made first) and stops the proxies.
    pub fn unpublish(&mut self) {
        let iptables = Iptables::new();
        for rule in self.rules.drain(..).rev() {
            if let Err(e) = iptables.delete(&rule) {
                tracing::warn!(rule = %rule, error = %e, "deleting a port rule");
            }
        }
        for proxy in self.proxies.drain(..) {
            proxy.stop();
        }
    }
}

impl Drop for Publication {
    fn drop(&mut self) {
        self.unpublish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dynamic_range_is_the_kernels() {
        let range = dynamic_port_range();
        assert!(range.start() <= range.end());
        assert!(*range.start() >= 1024, "{range:?}");
    }
}
