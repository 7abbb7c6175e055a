//! The networks an engine knows, one Docker-shaped JSON record each under
//! `<data-root>/network/networks/<id>.json`, their addresses in chapter 7's IPAM file
//! `<data-root>/network/ipam.json`, and the lock that serialises changes to both.
//!
//! Until the daemon arrives (chapter 10) several `minidocker` processes may change networks
//! at once (two `run`s allocating addresses), so every change happens under an exclusive
//! flock(2) of `<data-root>/network/lock`, held for as long as one change takes.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use ch07_network::{Ipam, Ipv4Net};
use serde::{Deserialize, Serialize};

use super::NetworkError;
use crate::atomic::{Durability, write_json_atomic};

/// The default bridge's Linux bridge (Docker's `docker0`).
pub const DEFAULT_BRIDGE: &str = "minidocker0";
/// The network every container joins unless told otherwise.
pub const DEFAULT_NETWORK: &str = "bridge";
/// The three networks every engine has, which cannot be removed.
pub const PREDEFINED: [&str; 3] = ["bridge", "host", "none"];
/// Docker's option naming a bridge network's Linux bridge.
pub const BRIDGE_NAME_OPTION: &str = "com.docker.network.bridge.name";

/// One `IPAM.Config` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpamConfig {
    pub subnet: String,
    #[serde(rename = "IPRange", default, skip_serializing_if = "String::is_empty")]
    pub ip_range: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub gateway: String,
}

/// `IPAM` of `network inspect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpamSection {
    pub driver: String,
    pub options: Option<BTreeMap<String, String>>,
    pub config: Vec<IpamConfig>,
}

/// `ConfigFrom` of `network inspect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfigFrom {
    pub network: String,
}

/// One entry of `Containers` in `network inspect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkContainer {
    pub name: String,
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    pub mac_address: String,
    #[serde(rename = "IPv4Address")]
    pub ipv4_address: String,
    #[serde(rename = "IPv6Address")]
    pub ipv6_address: String,
}

/// A network as `network inspect` shows it, without `Containers` (worked out from the
/// containers when asked): Docker's field names and order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkRecord {
    pub name: String,
    pub id: String,
    pub created: String,
    pub scope: String,
    pub driver: String,
    #[serde(rename = "EnableIPv6")]
    pub enable_ipv6: bool,
    #[serde(rename = "IPAM")]
    pub ipam: IpamSection,
    pub internal: bool,
    pub attachable: bool,
    pub ingress: bool,
    pub config_from: ConfigFrom,
    pub config_only: bool,
    /// Filled in by `inspect` only, from the running containers (never saved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<BTreeMap<String, NetworkContainer>>,
    pub options: BTreeMap<String, String>,
    pub labels: BTreeMap<String, String>,
}

impl NetworkRecord {
    /// The Linux bridge of a `bridge` network: the name option, else `br-<12 hex of the id>`.
    pub fn bridge_name(&self) -> Option<String> {
        (self.driver == "bridge").then(|| {
            self.options
                .get(BRIDGE_NAME_OPTION)
                .cloned()
                .unwrap_or_else(|| format!("br-{}", &self.id[..12]))
        })
    }

    /// Whether this is one of the three networks every engine has.
    pub fn is_predefined(&self) -> bool {
        PREDEFINED.contains(&self.name.as_str())
    }

    /// Whether containers on it get the embedded DNS server (user-defined bridges only).
    pub fn has_embedded_dns(&self) -> bool {
        self.driver == "bridge" && self.name != DEFAULT_NETWORK
    }

    /// The first subnet, parsed.
    pub fn subnet(&self) -> Option<Ipv4Net> {
        self.ipam.config.first().and_then(|c| c.subnet.parse().ok())
    }
}

/// The records, the IPAM file and the lock, under `<data-root>/network`.
#[derive(Debug, Clone)]
pub struct NetworkStore {
    root: PathBuf,
}

/// The exclusive lock on network state; released when dropped (the descriptor closes).
#[derive(Debug)]
pub struct NetworkLock {
    _lock: nix::fcntl::Flock<File>,
    ipam_path: PathBuf,
}

impl NetworkLock {
    /// Chapter 7's IPAM, read now (under the lock, so nobody else changes it meanwhile).
    pub fn ipam(&self) -> Result<Ipam, NetworkError> {
        Ok(Ipam::open(&self.ipam_path)?)
    }
}

impl NetworkStore {
    pub fn open(data_root: &Path) -> Result<NetworkStore, NetworkError> {
        let root = data_root.join("network");
        let networks = root.join("networks");
        std::fs::create_dir_all(&networks).map_err(|source| NetworkError::Io {
            path: networks.clone(),
            source,
        })?;
        Ok(NetworkStore { root })
    }

    // ANCHOR: network_lock
    /// Takes the exclusive lock on network state: flock(2), waiting for other processes.
    pub fn lock(&self) -> Result<NetworkLock, NetworkError> {
        let path = self.root.join("lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| NetworkError::Io {
                path: path.clone(),
                source,
            })?;
        let lock =
            nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive).map_err(|(_, errno)| {
                NetworkError::Io {
                    path,
                    source: errno.into(),
                }
            })?;
        Ok(NetworkLock {
            _lock: lock,
            ipam_path: self.root.join("ipam.json"),
        })
    }
    // ANCHOR_END: network_lock

    fn record_path(&self, id: &str) -> PathBuf {
        self.root.join("networks").join(format!("{id}.json"))
    }

    /// Every network, sorted by name.
    pub fn list(&self) -> Result<Vec<NetworkRecord>, NetworkError> {
        let dir = self.root.join("networks");
        let entries = std::fs::read_dir(&dir).map_err(|source| NetworkError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut records = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let bytes = std::fs::read(&path).map_err(|source| NetworkError::Io {
                path: path.clone(),
                source,
            })?;
            let record: NetworkRecord =
                serde_json::from_slice(&bytes).map_err(|source| NetworkError::Json { path, source })?;
            records.push(record);
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(records)
    }

    /// The network `name_or_id` names: an exact name or id, else a unique id prefix; Docker's
    /// `network <x> not found` otherwise.
    pub fn find(&self, name_or_id: &str) -> Result<NetworkRecord, NetworkError> {
        let all = self.list()?;
        if let Some(n) = all.iter().find(|n| n.id == name_or_id || n.name == name_or_id) {
            return Ok(n.clone());
        }
        let mut by_prefix = all
            .iter()
            .filter(|n| !name_or_id.is_empty() && n.id.starts_with(name_or_id));
        match (by_prefix.next(), by_prefix.next()) {
            (Some(n), None) => Ok(n.clone()),
            (Some(_), Some(_)) => Err(NetworkError::Ambiguous(name_or_id.to_owned())),
            _ => Err(NetworkError::NotFound(name_or_id.to_owned())),
        }
    }

    pub fn save(&self, record: &NetworkRecord) -> Result<(), NetworkError> {
        let path = self.record_path(&record.id);
        write_json_atomic(&path, record, Durability::Synced)
            .map_err(|source| NetworkError::Io { path, source })
    }

    pub fn remove(&self, id: &str) -> Result<(), NetworkError> {
        let path = self.record_path(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(NetworkError::Io { path, source }),
        }
    }
}
