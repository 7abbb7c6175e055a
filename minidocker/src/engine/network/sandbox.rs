//! A container's network as a whole (Docker calls it the *sandbox*): which namespace it gets
//! for its `--network` mode, its endpoints, its `/etc/hosts` and `/etc/resolv.conf`, its
//! published ports and, on user-defined networks, the embedded DNS server.
//!
//! ```text
//!  run: plan ── checks before anything is made ──▶ launch (init waits on the go pipe)
//!       connect ── endpoints, hosts file, DNS, ports ──▶ go: the command runs
//!       … container exits …
//!       disconnect ── ports, DNS, endpoints released
//! ```

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ch03_rootfs::etc_files::{HostsFile, container_resolv_conf};
use ch07_network::dns::{EmbeddedDns, Resolver};
use ch07_network::{NetNs, PortMapping};

use super::NetworkError;
use super::endpoint::{Attachment, EndpointRequest};
use super::publish::Publication;
use super::resolver::ContainerResolver;
use super::settings::NetworkSettings;
use super::store::{DEFAULT_NETWORK, NetworkRecord};
use crate::container::Container;
use crate::engine::Engine;
use crate::runtime::NetworkNamespace;

/// The network flags of `run` (saved with the run options; `-p` is in hostconfig.json).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct NetworkRunOptions {
    /// `--network`; empty: the default bridge (recorded as `default`, as Docker does).
    pub mode: String,
    /// `--ip`.
    pub ip: Option<Ipv4Addr>,
    /// `--network-alias`.
    pub aliases: Vec<String>,
    /// `-p`, parsed.
    #[serde(skip)]
    pub publish: Vec<PortMapping>,
    /// `-P`: every exposed port on a port the engine picks.
    pub publish_all: bool,
    /// `--add-host host:ip`, checked.
    pub extra_hosts: Vec<(String, IpAddr)>,
    /// `--dns`, `--dns-search`, `--dns-option`.
    pub dns: Vec<IpAddr>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
}

// ANCHOR: network_plan
/// Where the container's network comes from, decided before anything is made.
#[derive(Debug, Clone)]
pub enum NetworkPlan {
    /// `--network none`: only `lo`.
    None,
    /// `--network host`: the engine's own namespace.
    Host,
    /// `--network container:X`: X's namespace (and X's hostname and `/etc` files).
    Container(Box<Container>),
    /// A bridge network: the default one or a user-defined one.
    Bridge(Box<NetworkRecord>),
}
// ANCHOR_END: network_plan

impl NetworkPlan {
    // ANCHOR: plan_namespace
    /// The namespace the init gets.
    pub fn namespace(&self) -> NetworkNamespace {
        match self {
            NetworkPlan::None | NetworkPlan::Bridge(_) => NetworkNamespace::New,
            NetworkPlan::Host => NetworkNamespace::Host,
            NetworkPlan::Container(c) => {
                NetworkNamespace::Join(PathBuf::from(format!("/proc/{}/ns/net", c.state.pid)))
            }
        }
    }
    // ANCHOR_END: plan_namespace

    /// At start, for `--network container:X`: X must run (Docker's 409 otherwise).
    pub fn check_joinable(&self) -> Result<(), NetworkError> {
        match self {
            NetworkPlan::Container(target) if !target.state.running => Err(NetworkError::Conflict(format!(
                "cannot join network of a non running container: {}",
                target.id
            ))),
            _ => Ok(()),
        }
    }

    /// `NetworkSettings` of a container created and not yet started: the network it will
    /// join, with what it asked for (`--ip`, `--network-alias`) and no ids or addresses yet,
    /// as Docker shows it; `--network container:X` has none of its own.
    pub fn created_settings(&self, opts: &NetworkRunOptions) -> NetworkSettings {
        let name = match self {
            NetworkPlan::Container(_) => return NetworkSettings::default(),
            NetworkPlan::None => "none",
            NetworkPlan::Host => "host",
            NetworkPlan::Bridge(record) => record.name.as_str(),
        };
        let endpoint = super::EndpointSettings {
            ipam_config: opts.ip.map(|ip| super::settings::EndpointIpamConfig {
                ipv4_address: ip.to_string(),
            }),
            aliases: (!opts.aliases.is_empty()).then(|| opts.aliases.clone()),
            ..super::EndpointSettings::default()
        };
        NetworkSettings {
            networks: [(name.to_owned(), endpoint)].into(),
            ..NetworkSettings::default()
        }
    }

    /// `HostConfig.NetworkMode`.
    pub fn mode_string(&self, asked: &str) -> String {
        match self {
            NetworkPlan::Container(c) => format!("container:{}", c.id),
            _ if asked.is_empty() => "default".into(),
            _ => asked.to_owned(),
        }
    }
}

/// What a running container's network holds until [`Engine::disconnect_sandbox`].
#[derive(Debug, Default)]
pub struct Sandbox {
    container_id: String,
    attachments: Vec<Attachment>,
    publication: Option<Publication>,
    dns: Option<EmbeddedDns>,
}

/// A sandbox with nothing running in the process that connected it (no userland proxy, no
/// DNS server): its endpoints, all that [`Engine::disconnect_sandbox`] needs, which another
/// process (the shim again, after its small monitor) can take over.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SandboxEndpoints {
    container_id: String,
    attachments: Vec<Attachment>,
}

impl Sandbox {
    /// Whether some of the sandbox runs as threads of this process: userland proxies of
    /// published ports, an embedded DNS server.
    pub fn runs_in_process(&self) -> bool {
        self.dns.is_some() || self.publication.as_ref().is_some_and(|p| !p.is_empty())
    }

    /// Whether an embedded DNS server answers for the container (a user-defined network):
    /// it looks containers up in their records.
    pub fn has_dns_server(&self) -> bool {
        self.dns.is_some()
    }

    /// Its endpoints, unless some of it runs in this process.
    pub fn endpoints(&self) -> Option<SandboxEndpoints> {
        (!self.runs_in_process()).then(|| SandboxEndpoints {
            container_id: self.container_id.clone(),
            attachments: self.attachments.clone(),
        })
    }
}

impl From<SandboxEndpoints> for Sandbox {
    fn from(endpoints: SandboxEndpoints) -> Sandbox {
        Sandbox {
            container_id: endpoints.container_id,
            attachments: endpoints.attachments,
            ..Sandbox::default()
        }
    }
}

/// A resolver over the containers' records (see [`super::resolver`]).
struct RecordResolver(ContainerResolver);

impl Resolver for RecordResolver {
    fn lookup(&self, name: &str) -> Option<Vec<Ipv4Addr>> {
        let found = self.0.lookup(name);
        (!found.is_empty()).then_some(found)
    }

    fn reverse(&self, ip: Ipv4Addr) -> Option<String> {
        self.0.reverse(ip)
    }
}

/// The nameservers of the host's resolv.conf, as upstreams for the embedded DNS.
fn host_nameservers(resolv_conf: &str) -> Vec<SocketAddr> {
    resolv_conf
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|ip| ip.trim().parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, 53))
        .collect()
}

impl Engine {
    // ANCHOR: plan_network
    /// Checks `--network` and its companions the way Docker does at create time, and says
    /// where the container's network namespace will come from.
    pub fn plan_network(
        &self,
        opts: &NetworkRunOptions,
        hostname_given: bool,
    ) -> Result<NetworkPlan, NetworkError> {
        let mode = if opts.mode.is_empty() {
            DEFAULT_NETWORK
        } else {
            opts.mode.as_str()
        };
        let conflict = |what: &str| NetworkError::Invalid(format!("conflicting options: {what}"));
        if let Some(other) = mode.strip_prefix("container:") {
            if hostname_given {
                return Err(conflict("hostname and the network mode"));
            }
            if !opts.publish.is_empty() || opts.publish_all {
                return Err(conflict("port publishing and the container type network mode"));
            }
            if !opts.dns.is_empty() || !opts.dns_search.is_empty() || !opts.dns_options.is_empty() {
                return Err(conflict("dns and the network mode"));
            }
            if !opts.extra_hosts.is_empty() {
                return Err(conflict("custom host-to-IP mapping and the network mode"));
            }
            let target = self
                .containers
                .find(other)
                .map_err(|_| NetworkError::NoSuchContainer(other.to_owned()))?;
            // whether it runs is checked at start (`NetworkPlan::check_joinable`), as Docker does
            return Ok(NetworkPlan::Container(Box::new(target)));
        }
        let record = match self.networks.find(mode) {
            // a data root the daemon has not started on yet: the predefined ones are made
            // on first use, as at the daemon's start
            Err(NetworkError::NotFound(_)) if super::store::PREDEFINED.contains(&mode) => {
                self.ensure_predefined_networks()?;
                self.networks.find(mode)?
            }
            found => found?,
        };
        let user_defined = !record.is_predefined();
        if opts.ip.is_some() && !user_defined {
            return Err(NetworkError::Invalid(
                "user specified IP address is supported on user defined networks only".into(),
            ));
        }
        if !opts.aliases.is_empty() && !user_defined {
            return Err(NetworkError::Invalid(
                "network-scoped alias is supported only for containers in user defined networks".into(),
            ));
        }
        Ok(match record.driver.as_str() {
            "null" => NetworkPlan::None,
            "host" => NetworkPlan::Host,
            _ => NetworkPlan::Bridge(Box::new(record)),
        })
    }
    // ANCHOR_END: plan_network

    // ANCHOR: connect_sandbox
    /// Connects the container (its init is `pid`, waiting to be let go) as `plan` says:
    /// endpoint, `/etc/hosts` in `dir`, DNS server, published ports. Returns what to tear
    /// down later and the container's `NetworkSettings`.
    #[allow(clippy::too_many_arguments)]
    pub fn connect_sandbox(
        &self,
        container: &Container,
        pid: i32,
        plan: &NetworkPlan,
        opts: &NetworkRunOptions,
        exposed: &[String],
        dir: &Path,
    ) -> Result<(Sandbox, NetworkSettings), NetworkError> {
        let mut sandbox = Sandbox {
            container_id: container.id.clone(),
            ..Sandbox::default()
        };
        let mut settings = NetworkSettings::default();
        let NetworkPlan::Bridge(network) = plan else {
            if let NetworkPlan::None = plan {
                settings
                    .networks
                    .insert("none".into(), self.placeholder_endpoint("none")?);
            }
            if let NetworkPlan::Host = plan {
                settings
                    .networks
                    .insert("host".into(), self.placeholder_endpoint("host")?);
            }
            return Ok((sandbox, settings));
        };
        let netns = NetNs::of_pid(pid)?;
        let request = EndpointRequest {
            network: (**network).clone(),
            ip: opts.ip,
            aliases: opts.aliases.clone(),
            interface: "eth0".into(),
            default_route: true,
        };
        let attachment = self.attach_endpoint(&container.id, &netns, &request)?;
        let ip: Ipv4Addr = attachment
            .settings
            .ip_address
            .parse()
            .unwrap_or(Ipv4Addr::UNSPECIFIED);
        settings.sandbox_id = container.id.clone();
        settings.sandbox_key = format!("/proc/{pid}/ns/net");
        settings
            .networks
            .insert(network.name.clone(), attachment.settings.clone());
        let endpoint_id = attachment.settings.endpoint_id.clone();
        self.network_event(network, "connect", Some(&container.id));
        sandbox.attachments.push(attachment);
        settings.refresh_default_bridge_fields();

        let result = (|| -> Result<(), NetworkError> {
            write_hosts(dir, &container.config.hostname, &[ip], &opts.extra_hosts)?;
            if network.has_embedded_dns() {
                let resolver = RecordResolver(ContainerResolver {
                    containers: self.containers.clone(),
                    container_id: container.id.clone(),
                });
                let upstreams = match opts.dns.is_empty() {
                    true => {
                        host_nameservers(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default())
                    }
                    false => opts.dns.iter().map(|ip| SocketAddr::new(*ip, 53)).collect(),
                };
                sandbox.dns = Some(EmbeddedDns::start(&netns, Arc::new(resolver), upstreams)?);
            }
            let mut mappings = opts.publish.clone();
            if opts.publish_all {
                for key in exposed {
                    if mappings.iter().any(|m| &m.port_key() == key) {
                        continue;
                    }
                    mappings.extend(ch07_network::parse_port_spec(key)?);
                }
            }
            let bridge = network.bridge_name().unwrap_or_default();
            // the other containers' ports, to refuse one already taken: read only when needed
            // (it costs a read of every record)
            let others = match mappings.is_empty() {
                true => Vec::new(),
                false => self.containers.list().unwrap_or_default(),
            };
            let endpoint = format!("{} ({endpoint_id})", container.name.trim_start_matches('/'));
            let publication = Publication::publish(&endpoint, &bridge, ip, &mappings, exposed, &others)?;
            settings.ports = publication.ports.clone();
            sandbox.publication = Some(publication);
            Ok(())
        })();
        if let Err(e) = result {
            self.disconnect_sandbox(sandbox);
            return Err(e);
        }
        Ok((sandbox, settings))
    }
    // ANCHOR_END: connect_sandbox

    /// The `Networks` entry of `none` and `host`: the network's id, nothing else.
    fn placeholder_endpoint(&self, name: &str) -> Result<super::EndpointSettings, NetworkError> {
        let record = self.networks.find(name)?;
        Ok(super::EndpointSettings {
            network_id: record.id,
            ..super::EndpointSettings::default()
        })
    }

    // ANCHOR: disconnect_sandbox
    /// Undoes [`Engine::connect_sandbox`]: ports, DNS server, endpoints (addresses back to
    /// IPAM, veth pairs deleted).
    pub fn disconnect_sandbox(&self, mut sandbox: Sandbox) {
        if let Some(mut publication) = sandbox.publication.take() {
            publication.unpublish();
        }
        if let Some(dns) = sandbox.dns.take() {
            dns.stop();
        }
        for attachment in sandbox.attachments.drain(..) {
            if let Ok(ip) = attachment.settings.ip_address.parse() {
                self.release_endpoint(&attachment.network.id, ip, &attachment.host_veth);
            }
            self.network_event(&attachment.network, "disconnect", Some(&sandbox.container_id));
        }
    }
    // ANCHOR_END: disconnect_sandbox
}

impl Engine {
    // ANCHOR: forget_container_network
    /// For a container whose `minidocker run` died with it (SIGKILL): gives back the addresses
    /// it still holds and deletes the port rules its record still shows. Its veth pairs went
    /// with its network namespace.
    pub fn forget_container_network(&self, container: &Container) -> Result<(), NetworkError> {
        self.release_container_addresses(&container.id)?;
        let iptables = ch07_network::Iptables::new();
        for (name, endpoint) in &container.network_settings.networks {
            let (Ok(record), Ok(container_ip)) = (self.networks.find(name), endpoint.ip_address.parse())
            else {
                continue;
            };
            let Some(bridge) = record.bridge_name() else {
                continue;
            };
            for (key, bindings) in &container.network_settings.ports {
                let Ok([mapping]) = <[PortMapping; 1]>::try_from(ch07_network::parse_port_spec(key)?) else {
                    continue;
                };
                for binding in bindings.iter().flatten() {
                    let Ok(host_port) = binding.host_port.parse() else {
                        continue;
                    };
                    let published = ch07_network::PublishedPort {
                        protocol: mapping.protocol,
                        host_ip: binding
                            .host_ip
                            .parse()
                            .ok()
                            .filter(|ip: &Ipv4Addr| !ip.is_unspecified()),
                        host_port,
                        container_ip,
                        container_port: mapping.container_port,
                    };
                    for rule in ch07_network::port_rules(&bridge, &published, false) {
                        if iptables.exists(&rule).unwrap_or(false) {
                            iptables.delete(&rule)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
    // ANCHOR_END: forget_container_network
}

// ANCHOR: write_hosts
/// The container's `/etc/hosts`: Docker's defaults, `--add-host` entries, then its own
/// address with its hostname.
///
/// Written in place (truncated, not replaced): the file is bind-mounted into the running
/// container, and a new file would not be what it sees.
pub fn write_hosts(
    dir: &Path,
    hostname: &str,
    ips: &[Ipv4Addr],
    extra_hosts: &[(String, IpAddr)],
) -> Result<(), NetworkError> {
    let mut hosts = HostsFile::default();
    for (name, addr) in extra_hosts {
        hosts.entries.push((*addr, vec![name.clone()]));
    }
    for ip in ips {
        hosts.entries.push((IpAddr::V4(*ip), vec![hostname.to_owned()]));
    }
    let path = dir.join("hosts");
    std::fs::write(&path, hosts.render()).map_err(|source| NetworkError::Io { path, source })
}
// ANCHOR_END: write_hosts

/// The container's `/etc/resolv.conf`: on user-defined networks the embedded DNS server
/// (`nameserver 127.0.0.11`, `options ndots:0`) with the host's search domains; elsewhere
/// the host's, loopback servers dropped; `--dns`, `--dns-search`, `--dns-option` replace
/// the matching lines. With `--network host` the host's file as it is.
pub fn resolv_conf(plan: &NetworkPlan, opts: &NetworkRunOptions, host: &str) -> String {
    if let NetworkPlan::Host = plan
        && opts.dns.is_empty()
        && opts.dns_search.is_empty()
        && opts.dns_options.is_empty()
    {
        return host.to_owned();
    }
    let embedded = matches!(plan, NetworkPlan::Bridge(n) if n.has_embedded_dns());
    let base = container_resolv_conf(host);
    let mut nameservers: Vec<String> = Vec::new();
    let mut search: Vec<String> = Vec::new();
    let mut options: Vec<String> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    for line in base.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => nameservers.extend(words.map(str::to_owned)),
            Some("search") => search = words.map(str::to_owned).collect(),
            Some("options") => options.extend(words.map(str::to_owned)),
            Some(_) => others.push(line.to_owned()),
            None => {}
        }
    }
    if !opts.dns.is_empty() {
        nameservers = opts.dns.iter().map(|ip| ip.to_string()).collect();
    }
    if !opts.dns_search.is_empty() {
        search = opts.dns_search.clone();
    }
    if !opts.dns_options.is_empty() {
        options = opts.dns_options.clone();
    }
    if embedded {
        nameservers = vec!["127.0.0.11".into()];
        if !options.iter().any(|o| o.starts_with("ndots:")) {
            options.push("ndots:0".into());
        }
    }
    let mut out = String::new();
    for line in others {
        out.push_str(&line);
        out.push('\n');
    }
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    for ns in nameservers {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    out
}
