//! A container's `NetworkSettings` and `HostConfig` network fields, in Docker's JSON.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `IPAMConfig` of an endpoint: the address asked for with `--ip`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointIpamConfig {
    #[serde(rename = "IPv4Address", default, skip_serializing_if = "String::is_empty")]
    pub ipv4_address: String,
}

/// One entry of `NetworkSettings.Networks`: the container's endpoint on one network.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointSettings {
    #[serde(rename = "IPAMConfig")]
    pub ipam_config: Option<EndpointIpamConfig>,
    pub links: Option<Vec<String>>,
    pub aliases: Option<Vec<String>>,
    #[serde(rename = "NetworkID")]
    pub network_id: String,
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    pub gateway: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: u8,
    pub mac_address: String,
    pub driver_opts: Option<BTreeMap<String, String>>,
}

impl EndpointSettings {
    /// What stays of an endpoint once the container has stopped: which network, and what it
    /// asked for; no address.
    pub fn stopped(&self) -> EndpointSettings {
        EndpointSettings {
            ipam_config: self.ipam_config.clone(),
            links: self.links.clone(),
            aliases: self.aliases.clone(),
            network_id: self.network_id.clone(),
            ..EndpointSettings::default()
        }
    }
}

/// One host binding of a port: `{"HostIp": "0.0.0.0", "HostPort": "8080"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: String,
}

impl PortBinding {
    /// What this binding of the container port `key` (`80/tcp`) publishes, as the `-p`
    /// spec it was made from (`ip:hostPort:80/tcp`, or `80/tcp` for an empty binding).
    pub fn mappings(&self, key: &str) -> Result<Vec<ch07_network::PortMapping>, ch07_network::NetworkError> {
        let host = match (self.host_ip.as_str(), self.host_port.as_str()) {
            ("", "") => String::new(),
            (ip, port) => format!("{ip}:{port}:"),
        };
        ch07_network::parse_port_spec(&format!("{host}{key}"))
    }
}

/// `NetworkSettings` of `inspect`, Docker's field order. The top-level address fields repeat
/// the default bridge's endpoint, as Docker does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkSettings {
    pub bridge: String,
    #[serde(rename = "SandboxID")]
    pub sandbox_id: String,
    pub hairpin_mode: bool,
    #[serde(rename = "LinkLocalIPv6Address")]
    pub link_local_ipv6_address: String,
    #[serde(rename = "LinkLocalIPv6PrefixLen")]
    pub link_local_ipv6_prefix_len: u8,
    /// `"80/tcp": [bindings]`, or `null` for a port exposed and not published.
    pub ports: BTreeMap<String, Option<Vec<PortBinding>>>,
    pub sandbox_key: String,
    #[serde(rename = "SecondaryIPAddresses")]
    pub secondary_ip_addresses: Option<Vec<String>>,
    #[serde(rename = "SecondaryIPv6Addresses")]
    pub secondary_ipv6_addresses: Option<Vec<String>>,
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    pub gateway: String,
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: u8,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u8,
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    pub mac_address: String,
    pub networks: BTreeMap<String, EndpointSettings>,
}

impl NetworkSettings {
    /// Copies the default bridge's endpoint (if the container has one) to the top-level
    /// fields, as Docker's `inspect` shows them.
    pub fn refresh_default_bridge_fields(&mut self) {
        let bridge = self
            .networks
            .get(super::DEFAULT_NETWORK)
            .cloned()
            .unwrap_or_default();
        self.endpoint_id = bridge.endpoint_id;
        self.gateway = bridge.gateway;
        self.ip_address = bridge.ip_address;
        self.ip_prefix_len = bridge.ip_prefix_len;
        self.mac_address = bridge.mac_address;
    }

    /// The settings of a stopped container: the same networks, no addresses, no ports bound.
    pub fn stopped(&self) -> NetworkSettings {
        NetworkSettings {
            networks: self
                .networks
                .iter()
                .map(|(name, e)| (name.clone(), e.stopped()))
                .collect(),
            ..NetworkSettings::default()
        }
    }
}

/// The network part of a container's `HostConfig`, as `run` was asked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkHostConfig {
    /// `default`, `bridge`, `none`, `host`, `container:<id>` or a network's name.
    pub network_mode: String,
    pub port_bindings: BTreeMap<String, Vec<PortBinding>>,
    pub publish_all_ports: bool,
    pub dns: Vec<String>,
    pub dns_options: Vec<String>,
    pub dns_search: Vec<String>,
    pub extra_hosts: Option<Vec<String>>,
}
