//! What the embedded DNS server answers for one container: the names of the running
//! containers it shares a user-defined network with, read from their records on every query
//! (so a container started or connected a moment ago is found, with no daemon to tell us).
//!
//! A name is a container's name, one of its aliases on that network (`--network-alias`, and
//! the short id Docker adds), or either followed by `.<network>`. The default bridge
//! resolves nothing: that is Docker's behaviour, kept for compatibility with old `--link`s.

use std::net::Ipv4Addr;

use crate::container::{Container, ContainerStore};

use super::store::DEFAULT_NETWORK;

/// Looks names up for the container `container_id`.
#[derive(Debug, Clone)]
pub struct ContainerResolver {
    pub containers: ContainerStore,
    pub container_id: String,
}

/// The names a container answers to on network `network`.
fn names_on(container: &Container, network: &str) -> Vec<String> {
    let mut names = vec![container.name.trim_start_matches('/').to_ascii_lowercase()];
    if let Some(endpoint) = container.network_settings.networks.get(network) {
        names.extend(endpoint.aliases.iter().flatten().map(|a| a.to_ascii_lowercase()));
    }
    names
}

// ANCHOR: lookup
/// The addresses `name` has for `asking` among `containers`: on each user-defined network
/// `asking` is on, the running containers whose name or alias is `name` (or
/// `name.network`).
pub fn lookup(containers: &[Container], asking: &str, name: &str) -> Vec<Ipv4Addr> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let Some(me) = containers.iter().find(|c| c.id == asking) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for network in me.network_settings.networks.keys() {
        if network == DEFAULT_NETWORK {
            continue;
        }
        let bare = name
            .strip_suffix(&format!(".{}", network.to_ascii_lowercase()))
            .unwrap_or(&name);
        for other in containers.iter().filter(|c| c.state.running) {
            let Some(endpoint) = other.network_settings.networks.get(network) else {
                continue;
            };
            if endpoint.endpoint_id.is_empty() || !names_on(other, network).iter().any(|n| n == bare) {
                continue;
            }
            if let Ok(ip) = endpoint.ip_address.parse::<Ipv4Addr>()
                && !found.contains(&ip)
            {
                found.push(ip);
            }
        }
    }
    found
}
// ANCHOR_END: lookup

/// The name for a reverse lookup of `ip`: `<container>.<network>` of the container holding
/// it on a network `asking` shares.
pub fn reverse(containers: &[Container], asking: &str, ip: Ipv4Addr) -> Option<String> {
    let me = containers.iter().find(|c| c.id == asking)?;
    let ip = ip.to_string();
    me.network_settings
        .networks
        .keys()
        .filter(|n| *n != DEFAULT_NETWORK)
        .find_map(|network| {
            containers.iter().filter(|c| c.state.running).find_map(|other| {
                let endpoint = other.network_settings.networks.get(network)?;
                (endpoint.ip_address == ip && !endpoint.endpoint_id.is_empty())
                    .then(|| format!("{}.{network}", other.name.trim_start_matches('/')))
            })
        })
}

// ANCHOR: per_query
impl ContainerResolver {
    fn all(&self) -> Vec<Container> {
        self.containers.list().unwrap_or_default()
    }

    pub fn lookup(&self, name: &str) -> Vec<Ipv4Addr> {
        lookup(&self.all(), &self.container_id, name)
    }

    pub fn reverse(&self, ip: Ipv4Addr) -> Option<String> {
        reverse(&self.all(), &self.container_id, ip)
    }
}
// ANCHOR_END: per_query

#[cfg(test)]
mod tests {
    use super::super::settings::EndpointSettings;
    use super::*;

    fn container(id: &str, name: &str, running: bool, networks: &[(&str, &str, &[&str])]) -> Container {
        let mut c = Container {
            id: id.into(),
            name: format!("/{name}"),
            ..Container::default()
        };
        c.state.running = running;
        for (network, ip, aliases) in networks {
            c.network_settings.networks.insert(
                (*network).into(),
                EndpointSettings {
                    endpoint_id: "e".into(),
                    ip_address: (*ip).into(),
                    aliases: Some(aliases.iter().map(|a| (*a).to_string()).collect()),
                    ..EndpointSettings::default()
                },
            );
        }
        c
    }

    #[test]
    fn names_and_aliases_resolve_on_shared_user_networks_only() {
        let all = vec![
            container("a", "web", true, &[("app", "172.20.0.2", &["www"])]),
            container(
                "b",
                "db",
                true,
                &[("app", "172.20.0.3", &["database"]), ("other", "172.21.0.2", &[])],
            ),
            container("c", "lonely", true, &[("other", "172.21.0.3", &[])]),
            container("d", "gone", false, &[("app", "172.20.0.4", &[])]),
            container("e", "plain", true, &[("bridge", "172.17.0.2", &[])]),
            container("f", "plain2", true, &[("bridge", "172.17.0.3", &[])]),
        ];
        let ip = |s: &str| s.parse::<Ipv4Addr>().unwrap();
        assert_eq!(lookup(&all, "a", "db"), vec![ip("172.20.0.3")]);
        assert_eq!(lookup(&all, "a", "DATABASE."), vec![ip("172.20.0.3")]);
        assert_eq!(lookup(&all, "a", "db.app"), vec![ip("172.20.0.3")]);
        assert_eq!(lookup(&all, "b", "www"), vec![ip("172.20.0.2")]);
        assert!(lookup(&all, "a", "lonely").is_empty(), "not on a shared network");
        assert_eq!(lookup(&all, "b", "lonely"), vec![ip("172.21.0.3")]);
        assert!(lookup(&all, "a", "gone").is_empty(), "not running");
        assert!(
            lookup(&all, "e", "plain2").is_empty(),
            "the default bridge resolves nothing"
        );
        assert_eq!(reverse(&all, "a", ip("172.20.0.3")).as_deref(), Some("db.app"));
        assert_eq!(reverse(&all, "a", ip("172.21.0.3")), None);
    }
}
