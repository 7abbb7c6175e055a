//! The predefined networks and `network create`, `rm`, `prune`, `ls`'s records and
//! `inspect`'s `Containers`.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ch07_network::{Ipv4Net, Netlink, NetworkRequest};
use rand::RngCore;

use super::store::{
    BRIDGE_NAME_OPTION, ConfigFrom, DEFAULT_BRIDGE, IpamConfig, IpamSection, NetworkContainer, NetworkRecord,
    PREDEFINED,
};
use super::{NetworkError, bridge};
use crate::container::{Container, generate_id, now_rfc3339};
use crate::engine::filters::Filters;
use crate::engine::{Engine, EngineError};

/// What `network create` was asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateNetworkOptions {
    pub name: String,
    /// `bridge` when empty.
    pub driver: String,
    pub subnet: Option<String>,
    pub gateway: Option<String>,
    pub ip_range: Option<String>,
    pub internal: bool,
    pub labels: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

fn parse_net(what: &str) -> Result<Ipv4Net, NetworkError> {
    what.parse()
        .map_err(|_| NetworkError::Invalid(format!("invalid CIDR address: {what}")))
}

fn parse_ip(what: &str) -> Result<Ipv4Addr, NetworkError> {
    what.parse()
        .map_err(|_| NetworkError::Invalid(format!("invalid IP address: {what}")))
}

fn new_record(name: &str, driver: &str) -> NetworkRecord {
    let mut random = rand::rng();
    NetworkRecord {
        name: name.to_owned(),
        id: generate_id(|b| random.fill_bytes(b)),
        created: now_rfc3339(),
        scope: "local".into(),
        driver: driver.to_owned(),
        enable_ipv6: false,
        ipam: IpamSection {
            driver: "default".into(),
            options: None,
            config: Vec::new(),
        },
        internal: false,
        attachable: false,
        ingress: false,
        config_from: ConfigFrom::default(),
        config_only: false,
        containers: None,
        options: BTreeMap::new(),
        labels: BTreeMap::new(),
    }
}

/// The subnets routed in the engine's network namespace, which new networks must avoid.
fn routed_subnets() -> Vec<Ipv4Net> {
    Netlink::open()
        .and_then(|mut nl| nl.routed_subnets())
        .unwrap_or_default()
}

impl Engine {
    /// Makes `bridge`, `host` and `none` if they are missing (a fresh data root). The default
    /// bridge takes 172.17.0.0/16, or the next free subnet if that one is routed here already,
    /// or `--bip` when given.
    pub fn ensure_predefined_networks(&self) -> Result<(), NetworkError> {
        // the common case, on every `run`: one listing, nothing to make
        let names: Vec<String> = self.networks.list()?.into_iter().map(|n| n.name).collect();
        if PREDEFINED.iter().all(|p| names.iter().any(|n| n == p)) {
            return Ok(());
        }
        let lock = self.networks.lock()?;
        let existing: Vec<String> = self.networks.list()?.into_iter().map(|n| n.name).collect();
        for (name, driver) in [("bridge", "bridge"), ("host", "host"), ("none", "null")] {
            if existing.iter().any(|n| n == name) {
                continue;
            }
            let mut record = new_record(name, driver);
            if name == "bridge" {
                let request = match self.bip {
                    Some(bip) => NetworkRequest {
                        subnet: Some(bip.network()),
                        gateway: Some(bip.addr()),
                        ip_range: None,
                    },
                    None => NetworkRequest::default(),
                };
                let allocation = lock
                    .ipam()?
                    .add_network(&record.id, &request, &routed_subnets())?;
                record.ipam.options = None;
                // Docker shows the default bridge's gateway only when --bip chose it.
                record.ipam.config = vec![IpamConfig {
                    subnet: allocation.subnet.to_string(),
                    ip_range: String::new(),
                    gateway: match self.bip {
                        Some(_) => allocation.gateway.to_string(),
                        None => String::new(),
                    },
                }];
                record.options = [
                    ("com.docker.network.bridge.default_bridge", "true"),
                    ("com.docker.network.bridge.enable_icc", "true"),
                    ("com.docker.network.bridge.enable_ip_masquerade", "true"),
                    ("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"),
                    (BRIDGE_NAME_OPTION, DEFAULT_BRIDGE),
                    ("com.docker.network.driver.mtu", "1500"),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            } else {
                record.ipam.config = Vec::new();
            }
            self.networks.save(&record)?;
        }
        Ok(())
    }

    /// `network create`: Docker's checks, an address range from IPAM, the Linux bridge and
    /// its NAT rules.
    // ANCHOR: create_network
    pub fn create_network(&self, opts: &CreateNetworkOptions) -> Result<NetworkRecord, NetworkError> {
        self.ensure_predefined_networks()?;
        let driver = if opts.driver.is_empty() {
            "bridge"
        } else {
            &opts.driver
        };
        match driver {
            "bridge" => {}
            "host" | "null" => {
                return Err(NetworkError::Conflict(format!(
                    "only one instance of \"{driver}\" network is allowed"
                )));
            }
            other => return Err(NetworkError::Invalid(format!("plugin \"{other}\" not found"))),
        }
        let request = NetworkRequest {
            subnet: opts.subnet.as_deref().map(parse_net).transpose()?,
            gateway: opts.gateway.as_deref().map(parse_ip).transpose()?,
            ip_range: opts.ip_range.as_deref().map(parse_net).transpose()?,
        };
        let lock = self.networks.lock()?;
        if self.networks.list()?.iter().any(|n| n.name == opts.name) {
            return Err(NetworkError::NameInUse(opts.name.clone()));
        }
        let mut record = new_record(&opts.name, driver);
        record.internal = opts.internal;
        record.labels = opts.labels.clone();
        record.options = opts.options.clone();
        record.ipam.options = Some(BTreeMap::new());
        let mut ipam = lock.ipam()?;
        let allocation = ipam.add_network(&record.id, &request, &routed_subnets())?;
        record.ipam.config = vec![IpamConfig {
            subnet: allocation.subnet.to_string(),
            ip_range: allocation.ip_range.map(|r| r.to_string()).unwrap_or_default(),
            gateway: allocation.gateway.to_string(),
        }];
        if let Err(e) = bridge::ensure_bridge(&record, allocation.gateway_address()) {
            let _ = ipam.remove_network(&record.id);
            return Err(e);
        }
        if let Err(e) = self.networks.save(&record) {
            let _ = bridge::remove_bridge(&record);
            let _ = ipam.remove_network(&record.id);
            return Err(e);
        }
        self.network_event(&record, "create", None);
        Ok(record)
    }
    // ANCHOR_END: create_network

    /// The running containers with an endpoint on network `id`.
    pub fn containers_on_network(&self, id: &str) -> Vec<(Container, super::EndpointSettings)> {
        let containers = self.containers.list().unwrap_or_default();
        containers
            .into_iter()
            .filter_map(|c| {
                let endpoint = c
                    .network_settings
                    .networks
                    .values()
                    .find(|e| e.network_id == id && !e.endpoint_id.is_empty())
                    .cloned()?;
                Some((c, endpoint))
            })
            .collect()
    }

    /// `network rm`: not a predefined one, not one with containers on it.
    pub fn remove_network(&self, name_or_id: &str) -> Result<NetworkRecord, NetworkError> {
        self.ensure_predefined_networks()?;
        let record = self.networks.find(name_or_id)?;
        if record.is_predefined() {
            return Err(NetworkError::Predefined(record.name));
        }
        let lock = self.networks.lock()?;
        if !self.containers_on_network(&record.id).is_empty() {
            return Err(NetworkError::ActiveEndpoints {
                name: record.name,
                id: record.id,
            });
        }
        bridge::remove_bridge(&record)?;
        lock.ipam()?.remove_network(&record.id)?;
        self.networks.remove(&record.id)?;
        self.network_event(&record, "destroy", None);
        Ok(record)
    }

    /// `network prune`: every user-defined network no running container is on that the
    /// filters keep (created before `until`, with the `label`s asked for and none of the
    /// `label!`s, as Docker's `NetworksPrune`). Emits `destroy` for each, then `prune`.
    pub fn prune_networks(&self, filters: &Filters) -> Result<Vec<String>, EngineError> {
        filters.validate(&["label", "label!", "until"])?;
        let until = crate::engine::container_prune::prune_until(filters)?;
        self.ensure_predefined_networks()?;
        let mut removed = Vec::new();
        for record in self.networks.list()? {
            if record.is_predefined() || !self.containers_on_network(&record.id).is_empty() {
                continue;
            }
            let created = chrono::DateTime::parse_from_rfc3339(&record.created).ok();
            if until.is_some_and(|u| created.is_some_and(|t| t > u))
                || !filters.match_kv_list("label", &record.labels)
                || (filters.contains("label!") && filters.match_kv_list("label!", &record.labels))
            {
                continue;
            }
            self.remove_network(&record.id)?;
            removed.push(record.name);
        }
        self.prune_event("network", 0);
        Ok(removed)
    }

    /// `network inspect`: the record with its `Containers`.
    pub fn inspect_network(&self, record: &NetworkRecord) -> NetworkRecord {
        let containers = self
            .containers_on_network(&record.id)
            .into_iter()
            .map(|(c, endpoint)| {
                let entry = NetworkContainer {
                    name: c.name.trim_start_matches('/').to_owned(),
                    endpoint_id: endpoint.endpoint_id,
                    mac_address: endpoint.mac_address,
                    ipv4_address: format!("{}/{}", endpoint.ip_address, endpoint.ip_prefix_len),
                    ipv6_address: String::new(),
                };
                (c.id, entry)
            })
            .collect();
        NetworkRecord {
            containers: Some(containers),
            ..record.clone()
        }
    }
}

/// The filters `network ls` and `GET /networks` accept, with Docker's errors.
pub fn validate_network_filters(filters: &Filters) -> Result<(), EngineError> {
    filters.validate(&["driver", "id", "label", "name", "scope", "type", "dangling"])?;
    for kind in filters.get("type") {
        if kind != "custom" && kind != "builtin" {
            return Err(EngineError::Invalid(format!("invalid filter: 'type'='{kind}'")));
        }
    }
    Ok(())
}

/// Docker's network filters: driver, id (prefix), label, name (substring), scope, type.
pub fn network_matches(filters: &Filters, record: &NetworkRecord) -> bool {
    let any = |name: &str, test: &dyn Fn(&str) -> bool| {
        let values = filters.get(name);
        values.is_empty() || values.iter().any(|v| test(v))
    };
    any("driver", &|v| record.driver == v)
        && any("id", &|v| record.id.starts_with(v))
        && any("name", &|v| record.name.contains(v))
        && any("scope", &|v| record.scope == v)
        && any("type", &|v| match v {
            "builtin" => record.is_predefined(),
            "custom" => !record.is_predefined(),
            _ => false,
        })
        && filters.match_kv_list("label", &record.labels)
}
