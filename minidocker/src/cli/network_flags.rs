//! The network flags of `run` and `create` (chapter 7), checked as the Docker CLI checks them
//! and turned into the create body's fields: `HostConfig.NetworkMode`, `PortBindings`,
//! `PublishAllPorts`, `Dns*`, `ExtraHosts`, `Config.ExposedPorts` and the endpoint's
//! `IPAMConfig` and `Aliases`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use ch07_network::parse_port_spec;
use clap::Args;

use crate::api_types::{ContainerCreateBody, EndpointBody, HostConfigBody, NetworkingConfigBody};
use crate::engine::network::PortBinding;

// The network flags of `run` and `create`. Not a doc comment: clap would make it the about of
// `run` and `create`, whose arguments are built after it (`#[command(defer = true)]`).
#[derive(Debug, Args)]
pub struct NetworkFlags {
    /// Connect a container to a network
    #[arg(
        long = "network",
        visible_alias = "net",
        value_name = "network",
        allow_hyphen_values = true
    )]
    pub network: Option<String>,
    /// Add network-scoped alias for the container
    #[arg(long = "network-alias", visible_alias = "net-alias", value_name = "list")]
    pub network_alias: Vec<String>,
    /// IPv4 address (e.g., 172.30.100.104)
    #[arg(long, value_name = "string")]
    pub ip: Option<String>,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish", value_name = "list")]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Expose a port or a range of ports
    #[arg(long, value_name = "list")]
    pub expose: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host", value_name = "list")]
    pub add_host: Vec<String>,
    /// Set custom DNS servers
    #[arg(long, value_name = "list")]
    pub dns: Vec<String>,
    /// Set DNS options
    #[arg(long = "dns-option", value_name = "list")]
    pub dns_option: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long = "dns-search", value_name = "list")]
    pub dns_search: Vec<String>,
}

/// How a bad flag is reported: as a flag error (with the usage), or as the command's own
/// (`minidocker: …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlagProblem {
    Flag(String),
    Command(String),
}

impl NetworkFlags {
    /// Checks the flags as the Docker CLI does and writes them into `body` and `host`.
    pub fn apply(
        &self,
        body: &mut ContainerCreateBody,
        host: &mut HostConfigBody,
    ) -> Result<(), FlagProblem> {
        let invalid = |value: &str, flag: &str, why: String| {
            FlagProblem::Flag(format!("invalid argument \"{value}\" for \"{flag}\" flag: {why}"))
        };
        let ip = match self.ip.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(raw.parse::<Ipv4Addr>().map_err(|_| {
                invalid(
                    raw,
                    "--ip",
                    format!("invalid string being converted to IP address: {raw}"),
                )
            })?),
        };
        let mut publish = Vec::new();
        for spec in &self.publish {
            publish.extend(parse_port_spec(spec).map_err(|e| FlagProblem::Command(e.to_string()))?);
        }
        let mut exposed: Vec<String> = Vec::new();
        for raw in &self.expose {
            exposed.extend(parse_expose(raw).map_err(FlagProblem::Command)?);
        }
        let mut extra_hosts = Vec::new();
        for raw in &self.add_host {
            let bad = || invalid(raw, "--add-host", format!("bad format for add-host: \"{raw}\""));
            let (name, addr) = raw.split_once(':').ok_or_else(bad)?;
            let addr: IpAddr = addr.parse().map_err(|_| {
                invalid(
                    raw,
                    "--add-host",
                    format!("invalid IP address in add-host: \"{addr}\""),
                )
            })?;
            if name.is_empty() {
                return Err(bad());
            }
            extra_hosts.push(format!("{name}:{addr}"));
        }
        let mut dns = Vec::new();
        for raw in &self.dns {
            let addr = raw
                .parse::<IpAddr>()
                .map_err(|_| invalid(raw, "--dns", format!("{raw} is not an ip address")))?;
            dns.push(addr.to_string());
        }
        let mode = self.network.clone().filter(|m| !m.is_empty());
        if mode.as_deref() == Some("host") && !publish.is_empty() {
            eprintln!("WARNING: Published ports are discarded when using host network mode");
            publish.clear();
        }
        // -p's ports are exposed too, and bound: `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`
        let mut bindings: BTreeMap<String, Option<Vec<PortBinding>>> = BTreeMap::new();
        for mapping in &publish {
            exposed.push(mapping.port_key());
            bindings
                .entry(mapping.port_key())
                .or_default()
                .get_or_insert_with(Vec::new)
                .push(PortBinding {
                    host_ip: mapping.host_ip_string(),
                    host_port: mapping.host_port_string(),
                });
        }
        let mode = mode.unwrap_or_else(|| "default".to_owned());
        if ip.is_some() || !self.network_alias.is_empty() {
            let endpoint = EndpointBody {
                ipam_config: ip.map(|ip| BTreeMap::from([("IPv4Address".to_owned(), ip.to_string())])),
                aliases: Some(self.network_alias.clone()).filter(|a| !a.is_empty()),
            };
            body.networking_config = Some(NetworkingConfigBody {
                endpoints_config: Some(BTreeMap::from([(mode.clone(), endpoint)])),
            });
        }
        if !exposed.is_empty() {
            body.exposed_ports = Some(exposed.into_iter().map(|k| (k, serde_json::json!({}))).collect());
        }
        host.network_mode = mode;
        host.port_bindings = Some(bindings);
        host.publish_all_ports = self.publish_all;
        host.dns = Some(dns);
        host.dns_search = Some(self.dns_search.clone());
        host.dns_options = Some(self.dns_option.clone());
        host.extra_hosts = Some(extra_hosts).filter(|h| !h.is_empty());
        Ok(())
    }
}

/// `--expose 80`, `80/udp`, `8000-8010/tcp`: the `80/tcp` keys (go-connections' rules).
fn parse_expose(raw: &str) -> Result<Vec<String>, String> {
    let (ports, proto) = raw.split_once('/').unwrap_or((raw, "tcp"));
    let proto = if proto.is_empty() { "tcp" } else { proto };
    if !["tcp", "udp", "sctp"].contains(&proto) {
        return Err(format!("invalid proto: {proto}"));
    }
    let bad = || {
        format!(
            "invalid range format for --expose: {raw}, error: Invalid range specified for the Port: {ports}"
        )
    };
    let (start, end) = match ports.split_once('-') {
        Some((a, b)) => (
            a.parse::<u16>().map_err(|_| bad())?,
            b.parse::<u16>().map_err(|_| bad())?,
        ),
        None => {
            let port = ports.parse::<u16>().map_err(|_| bad())?;
            (port, port)
        }
    };
    if start > end {
        return Err(bad());
    }
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> NetworkFlags {
        NetworkFlags {
            network: None,
            network_alias: Vec::new(),
            ip: None,
            publish: Vec::new(),
            publish_all: false,
            expose: Vec::new(),
            add_host: Vec::new(),
            dns: Vec::new(),
            dns_option: Vec::new(),
            dns_search: Vec::new(),
        }
    }

    #[test]
    fn ports_become_bindings_and_exposed_ports() {
        let mut f = flags();
        f.publish = vec!["127.0.0.1:8080:80".into(), "53/udp".into()];
        f.expose = vec!["90-91".into()];
        let (mut body, mut host) = (ContainerCreateBody::default(), HostConfigBody::default());
        f.apply(&mut body, &mut host).unwrap();
        let json = serde_json::to_value(&host).unwrap();
        assert_eq!(
            json["PortBindings"],
            serde_json::json!({
                "53/udp": [{"HostIp": "", "HostPort": ""}],
                "80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}],
            })
        );
        assert_eq!(json["NetworkMode"], "default");
        let exposed: Vec<&String> = body.exposed_ports.as_ref().unwrap().keys().collect();
        assert_eq!(exposed, ["53/udp", "80/tcp", "90/tcp", "91/tcp"]);
        // the daemon reads each binding back into the same -p mapping
        let binding = &host.port_bindings.unwrap()["80/tcp"].clone().unwrap()[0];
        assert_eq!(
            binding.mappings("80/tcp").unwrap(),
            parse_port_spec("127.0.0.1:8080:80").unwrap()
        );
    }

    #[test]
    fn the_endpoint_is_keyed_by_the_network() {
        let mut f = flags();
        f.network = Some("mynet".into());
        f.ip = Some("10.1.0.9".into());
        f.network_alias = vec!["db".into()];
        let (mut body, mut host) = (ContainerCreateBody::default(), HostConfigBody::default());
        f.apply(&mut body, &mut host).unwrap();
        let json = serde_json::to_value(&body.networking_config).unwrap();
        assert_eq!(
            json["EndpointsConfig"]["mynet"],
            serde_json::json!({"IPAMConfig": {"IPv4Address": "10.1.0.9"}, "Aliases": ["db"]})
        );
    }

    #[test]
    fn bad_values_are_dockers_flag_errors() {
        let mut f = flags();
        f.dns = vec!["nope".into()];
        let (mut body, mut host) = (ContainerCreateBody::default(), HostConfigBody::default());
        assert_eq!(
            f.apply(&mut body, &mut host).unwrap_err(),
            FlagProblem::Flag(
                "invalid argument \"nope\" for \"--dns\" flag: nope is not an ip address".into()
            )
        );
        assert_eq!(parse_expose("80/bogus").unwrap_err(), "invalid proto: bogus");
    }
}
