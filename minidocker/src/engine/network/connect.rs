//! `network connect` and `network disconnect` of a container that may be running in another
//! `minidocker run`: its network namespace is reached through `/proc/<pid>/ns/net`, its record
//! and `/etc/hosts` are rewritten in place (the file is bind-mounted, so the container sees
//! the change at once), and the embedded DNS server of its `run`, which reads the records on
//! every query, answers for the new network from then on.

use std::net::Ipv4Addr;

use ch07_network::{NetNs, Netlink};

use super::NetworkError;
use super::endpoint::EndpointRequest;
use super::sandbox::write_hosts;
use super::settings::EndpointSettings;
use super::store::NetworkRecord;
use crate::container::Container;
use crate::engine::Engine;

/// Docker's refusal for containers whose network namespace is not their own.
const SHARED_NAMESPACE: &str = "container sharing network namespace with another container or host cannot be connected to any other network";

impl Engine {
    fn connectable(&self, container: &Container) -> Result<(), NetworkError> {
        let mode = self
            .containers
            .host_config(&container.id)
            .map(|h| h.network.network_mode)
            .unwrap_or_default();
        match mode.as_str() {
            "host" => Err(NetworkError::Invalid(SHARED_NAMESPACE.into())),
            m if m.starts_with("container:") => Err(NetworkError::Invalid(SHARED_NAMESPACE.into())),
            "none" => Err(NetworkError::Invalid(
                "container cannot be connected to multiple networks with one of the networks in private (none) mode"
                    .into(),
            )),
            _ => Ok(()),
        }
    }

    /// The network and the container a `connect` or `disconnect` names.
    fn network_and_container(
        &self,
        network: &str,
        container: &str,
    ) -> Result<(NetworkRecord, Container), NetworkError> {
        self.ensure_predefined_networks()?;
        let record = self.networks.find(network)?;
        let c = self
            .containers
            .find(container)
            .map_err(|e| NetworkError::Invalid(e.to_string()))?;
        Ok((record, c))
    }

    // ANCHOR: connect_container
    /// `network connect [--ip] [--alias] NETWORK CONTAINER`.
    pub fn connect_container(
        &self,
        network: &str,
        container: &str,
        ip: Option<Ipv4Addr>,
        aliases: &[String],
    ) -> Result<(), NetworkError> {
        let (record, mut c) = self.network_and_container(network, container)?;
        if record.driver != "bridge" {
            return Err(NetworkError::Invalid(SHARED_NAMESPACE.into()));
        }
        self.connectable(&c)?;
        if c.network_settings.networks.contains_key(&record.name) {
            return Err(NetworkError::Conflict(format!(
                "endpoint with name {} already exists in network {}",
                c.name.trim_start_matches('/'),
                record.name
            )));
        }
        if record.is_predefined() && (ip.is_some() || !aliases.is_empty()) {
            return Err(NetworkError::Invalid(
                "network-scoped alias is supported only for containers in user defined networks".into(),
            ));
        }
        if !self.is_running(&c) {
            // Recorded now, made when the container starts (as Docker does).
            c.network_settings.networks.insert(
                record.name.clone(),
                EndpointSettings {
                    network_id: record.id.clone(),
                    aliases: (!aliases.is_empty()).then(|| aliases.to_vec()),
                    ..EndpointSettings::default()
                },
            );
            return self.save_network_settings(&c);
        }
        let netns = NetNs::of_pid(c.state.pid)?;
        let request = EndpointRequest {
            network: record.clone(),
            ip,
            aliases: aliases.to_vec(),
            interface: format!("eth{}", self.interfaces_in(&netns)?),
            default_route: false,
        };
        let attachment = self.attach_endpoint(&c.id, &netns, &request)?;
        c.network_settings
            .networks
            .insert(record.name.clone(), attachment.settings);
        c.network_settings.refresh_default_bridge_fields();
        self.save_network_settings(&c)?;
        self.network_event(&record, "connect", Some(&c.id));
        self.rewrite_hosts(&c)
    }
    // ANCHOR_END: connect_container

    /// `network disconnect NETWORK CONTAINER`.
    pub fn disconnect_container(&self, network: &str, container: &str) -> Result<(), NetworkError> {
        let (record, mut c) = self.network_and_container(network, container)?;
        let Some(endpoint) = c.network_settings.networks.get(&record.name).cloned() else {
            return Err(NetworkError::Invalid(format!(
                "container {} is not connected to network {}",
                c.id, record.name
            )));
        };
        if record.driver != "bridge" {
            return Err(NetworkError::Invalid(
                "container cannot be disconnected from host network or connected to host network".into(),
            ));
        }
        if self.is_running(&c)
            && let Ok(ip) = endpoint.ip_address.parse::<Ipv4Addr>()
        {
            self.unplug(&c, &record, ip)?;
        }
        c.network_settings.networks.remove(&record.name);
        c.network_settings.refresh_default_bridge_fields();
        self.save_network_settings(&c)?;
        self.network_event(&record, "disconnect", Some(&c.id));
        if self.is_running(&c) {
            self.rewrite_hosts(&c)?;
        }
        Ok(())
    }

    /// Deletes the container's interface holding `ip` (its veth peer goes with it) and gives
    /// the address back.
    fn unplug(&self, c: &Container, record: &NetworkRecord, ip: Ipv4Addr) -> Result<(), NetworkError> {
        let netns = NetNs::of_pid(c.state.pid)?;
        let mut inside = Netlink::open_in(&netns)?;
        for link in inside.links()? {
            if inside.addresses(&link.name)?.iter().any(|a| a.addr() == ip) {
                inside.delete_link(&link.name)?;
            }
        }
        let lock = self.networks.lock()?;
        lock.ipam()?.release(&record.id, ip)?;
        Ok(())
    }

    /// How many interfaces besides `lo` the namespace has: the next one is `eth<that>`.
    fn interfaces_in(&self, netns: &NetNs) -> Result<usize, NetworkError> {
        let mut inside = Netlink::open_in(netns)?;
        Ok(inside.links()?.iter().filter(|l| l.name != "lo").count())
    }

    /// Saves the container's network settings into its current record (the rest of it may
    /// have changed since it was read).
    fn save_network_settings(&self, c: &Container) -> Result<(), NetworkError> {
        let mut now = self
            .containers
            .load(&c.id)
            .map_err(|e| NetworkError::Invalid(e.to_string()))?;
        now.network_settings = c.network_settings.clone();
        self.containers
            .save(&now)
            .map_err(|e| NetworkError::Invalid(e.to_string()))
    }

    /// `/etc/hosts` with one line per address the container has now.
    fn rewrite_hosts(&self, c: &Container) -> Result<(), NetworkError> {
        let extra_hosts: Vec<(String, std::net::IpAddr)> = self
            .containers
            .host_config(&c.id)
            .ok()
            .and_then(|h| h.network.extra_hosts)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| {
                let (host, ip) = e.split_once(':')?;
                Some((host.to_owned(), ip.parse().ok()?))
            })
            .collect();
        let ips: Vec<Ipv4Addr> = c
            .network_settings
            .networks
            .values()
            .filter_map(|e| e.ip_address.parse().ok())
            .collect();
        write_hosts(
            &self.containers.dir(&c.id),
            &c.config.hostname,
            &ips,
            &extra_hosts,
        )
    }
}
