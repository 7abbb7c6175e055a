//! `docker ps` as the API answers it (`GET /containers/json`): the containers the filters
//! (`container_filters.rs`) select, newest first, each in Docker's list shape
//! (`types.Container`).
//!
//! ```text
//!  newest ───────────────────────────────────────────────────────────▶ oldest
//!    since=X keeps what is newer than X          before=X keeps what is older than X
//!  stopped containers only with all (-a), a limit (-n) or a status= filter
//! ```

use std::collections::BTreeMap;

use ch05_images::Digest;
use serde::{Deserialize, Serialize};

use super::filters::Filters;
use super::network::EndpointSettings;
use super::network::settings::PortBinding;
use super::{ContainerSummary, Engine, EngineError};
use crate::container::Container;

/// What `GET /containers/json` was asked.
#[derive(Debug, Clone, Default)]
pub struct ContainerListOptions {
    /// Stopped containers too (`-a`); a `status` filter or a `limit` implies it.
    pub all: bool,
    /// At most this many, newest first (`-n`); 0 or less: no limit.
    pub limit: i64,
    /// Compute `SizeRw` and `SizeRootFs` (`-s`).
    pub size: bool,
    pub filters: Filters,
}

fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// One port of a listed container: published (`IP`, `PublicPort`) or only exposed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedPort {
    #[serde(rename = "IP", default, skip_serializing_if = "String::is_empty")]
    pub ip: String,
    pub private_port: u16,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub public_port: u16,
    #[serde(rename = "Type")]
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedHostConfig {
    pub network_mode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListedNetworkSettings {
    pub networks: BTreeMap<String, EndpointSettings>,
}

// ANCHOR: container_list_entry
/// One container as `GET /containers/json` lists it: Docker's `types.Container`, in its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerListEntry {
    #[serde(rename = "Id")]
    pub id: String,
    /// With Docker's leading slash.
    pub names: Vec<String>,
    /// The image as it was asked for, or its id once that name means another image.
    pub image: String,
    #[serde(rename = "ImageID")]
    pub image_id: String,
    pub command: String,
    /// Seconds since the epoch.
    pub created: i64,
    pub ports: Vec<ListedPort>,
    /// The bytes of its own layer; only with `size`, and left out when 0.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size_rw: u64,
    /// The image's bytes plus `SizeRw`; only with `size`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub size_root_fs: u64,
    pub labels: BTreeMap<String, String>,
    /// `created`, `running`, `paused`, `exited`, …
    pub state: String,
    /// `Up 3 seconds`, `Exited (0) 41 seconds ago`, …
    pub status: String,
    pub host_config: ListedHostConfig,
    pub network_settings: ListedNetworkSettings,
    /// Its volumes, bind mounts and tmpfs mounts, as `inspect` shows them.
    pub mounts: Vec<super::volumes::InspectMount>,
}
// ANCHOR_END: container_list_entry

/// `"80/tcp": [bindings]` as the list's ports: one per binding, or one for a port only exposed.
fn listed_ports(ports: &BTreeMap<String, Option<Vec<PortBinding>>>) -> Vec<ListedPort> {
    let mut listed = Vec::new();
    for (key, bindings) in ports {
        let (port, protocol) = key.split_once('/').unwrap_or((key, "tcp"));
        let Ok(private_port) = port.parse::<u16>() else {
            continue;
        };
        let exposed_only = ListedPort {
            ip: String::new(),
            private_port,
            public_port: 0,
            protocol: protocol.to_owned(),
        };
        match bindings.as_deref() {
            None | Some([]) => listed.push(exposed_only),
            Some(bindings) => listed.extend(bindings.iter().map(|b| ListedPort {
                ip: b.host_ip.clone(),
                public_port: b.host_port.parse().unwrap_or(0),
                ..exposed_only.clone()
            })),
        }
    }
    listed
}

impl Engine {
    /// Docker's `refreshImage`: the image as the container asked for it, unless that name now
    /// means another image (or nothing): then the image's id.
    fn listed_image(&self, c: &Container) -> String {
        if c.config.image == c.image {
            return c.image.clone();
        }
        match self.images.resolve(&c.config.image) {
            Ok(id) if id.to_string() == c.image => c.config.image.clone(),
            _ => c.image.clone(),
        }
    }

    // ANCHOR: container_entry
    /// One container in the list's shape, with `SizeRw` and `SizeRootFs` if `with_size`. Its
    /// labels are its own (`--label`) and its image's, as `create` merged them.
    pub fn container_entry(
        &self,
        summary: &ContainerSummary,
        with_size: bool,
    ) -> Result<ContainerListEntry, EngineError> {
        let c = &summary.container;
        let image = c
            .image
            .parse::<Digest>()
            .ok()
            .and_then(|id| self.images.get(&id).ok());
        let (size_rw, size_root_fs) = match with_size {
            true => self.container_sizes(&c.id)?,
            false => (0, 0),
        };
        let network_mode = self
            .containers
            .host_config(&c.id)
            .map(|h| h.network.network_mode)
            .unwrap_or_default();
        Ok(ContainerListEntry {
            id: c.id.clone(),
            names: vec![c.name.clone()],
            image: self.listed_image(c),
            image_id: c.image.clone(),
            command: summary.command(),
            created: summary.created_unix(),
            ports: listed_ports(&c.network_settings.ports),
            size_rw,
            size_root_fs,
            // (an older record has none of its own: the image's then)
            labels: super::run::merged_labels(
                &c.config.labels.clone().unwrap_or_default(),
                image.as_ref().and_then(|i| i.config.config.labels.as_ref()),
            ),
            state: c.state.status.clone(),
            status: summary.status(),
            host_config: ListedHostConfig {
                network_mode: if network_mode.is_empty() {
                    "default".to_owned()
                } else {
                    network_mode
                },
            },
            network_settings: ListedNetworkSettings {
                // the list leaves out what only inspect shows
                networks: c
                    .network_settings
                    .networks
                    .iter()
                    .map(|(name, e)| {
                        let listed = EndpointSettings {
                            links: None,
                            aliases: None,
                            driver_opts: None,
                            ..e.clone()
                        };
                        (name.clone(), listed)
                    })
                    .collect(),
            },
            mounts: self.inspect_mounts(&c.id).unwrap_or_default(),
        })
    }
    // ANCHOR_END: container_entry

    // ANCHOR: container_list
    /// `GET /containers/json`: the containers `opts` select, newest first.
    pub fn container_list(
        &self,
        opts: &ContainerListOptions,
    ) -> Result<Vec<ContainerListEntry>, EngineError> {
        let filter = self.list_filter(&opts.filters)?;
        let all = opts.all || opts.limit > 0 || opts.filters.contains("status");
        let mut before = filter.before.clone();
        let mut listed = Vec::new();
        for summary in self.list_containers()? {
            let id = &summary.container.id;
            if let Some(b) = &before {
                // everything newer than `before`, and `before` itself, is left out
                if b == id {
                    before = None;
                }
                continue;
            }
            if filter.since.as_ref() == Some(id) || (opts.limit > 0 && listed.len() as i64 >= opts.limit) {
                break;
            }
            // a container between two runs of its restart policy is listed too (Docker's
            // `Running` stays set while it restarts)
            if !summary.running && !summary.container.state.restarting && !all {
                continue;
            }
            let mut entry = self.container_entry(&summary, false)?;
            if !filter.matches(&entry, &summary.container, self) {
                continue;
            }
            if opts.size {
                (entry.size_rw, entry.size_root_fs) = self.container_sizes(id)?;
            }
            listed.push(entry);
        }
        Ok(listed)
    }
    // ANCHOR_END: container_list
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(ip: &str, port: &str) -> PortBinding {
        PortBinding {
            host_ip: ip.to_owned(),
            host_port: port.to_owned(),
        }
    }

    #[test]
    fn ports_list_one_entry_per_binding_or_exposed_port() {
        let ports = BTreeMap::from([
            ("53/udp".to_owned(), None),
            (
                "80/tcp".to_owned(),
                Some(vec![binding("0.0.0.0", "8080"), binding("127.0.0.1", "32768")]),
            ),
        ]);
        let json = serde_json::to_string(&listed_ports(&ports)).unwrap();
        assert_eq!(
            json,
            r#"[{"PrivatePort":53,"Type":"udp"},{"IP":"0.0.0.0","PrivatePort":80,"PublicPort":8080,"Type":"tcp"},{"IP":"127.0.0.1","PrivatePort":80,"PublicPort":32768,"Type":"tcp"}]"#
        );
    }

    #[test]
    fn an_entry_has_dockers_keys() {
        let entry = ContainerListEntry {
            id: "ab".repeat(32),
            names: vec!["/web".into()],
            image: "busybox".into(),
            image_id: "sha256:x".into(),
            command: "sh".into(),
            created: 1,
            ports: vec![],
            size_rw: 0,
            size_root_fs: 0,
            labels: BTreeMap::new(),
            state: "exited".into(),
            status: "Exited (0) 1 second ago".into(),
            host_config: ListedHostConfig {
                network_mode: "default".into(),
            },
            network_settings: ListedNetworkSettings {
                networks: BTreeMap::new(),
            },
            mounts: vec![],
        };
        let json = serde_json::to_string(&entry).unwrap();
        assert!(
            json.starts_with(r#"{"Id":"abab"#)
                && json.contains(r#""ImageID":"sha256:x","Command":"sh","Created":1,"Ports":[],"Labels":{},"State":"exited""#)
                && json.ends_with(r#""HostConfig":{"NetworkMode":"default"},"NetworkSettings":{"Networks":{}},"Mounts":[]}"#),
            "{json}"
        );
        let sized = ContainerListEntry {
            size_rw: 6,
            size_root_fs: 10,
            ..entry
        };
        let json = serde_json::to_string(&sized).unwrap();
        assert!(
            json.contains(r#""Ports":[],"SizeRw":6,"SizeRootFs":10,"Labels""#),
            "{json}"
        );
    }
}
