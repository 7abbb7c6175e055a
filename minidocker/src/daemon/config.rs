//! The daemon's configuration: dockerd's flags, and the same keys in a JSON file
//! (`--config-file`, default `/etc/minidocker/daemon.json`). A key the file does not know, or
//! one given both as a flag and in the file, is an error worded as dockerd words it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;
use serde_json::Value;

/// The default socket, like `/var/run/docker.sock`.
pub const DEFAULT_SOCKET: &str = "/run/minidocker.sock";
/// The default configuration file, like `/etc/docker/daemon.json`.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/minidocker/daemon.json";
/// Runtime state (pid file, …), like `/var/run/docker`.
pub const DEFAULT_EXEC_ROOT: &str = "/run/minidocker";

/// dockerd's flags that minidocker's daemon takes.
#[derive(Debug, Clone, Default, Args)]
pub struct DaemonFlags {
    /// Daemon socket(s) to connect to
    #[arg(short = 'H', long = "host", value_name = "list")]
    pub hosts: Vec<String>,
    /// Root directory of persistent Docker state
    #[arg(long = "data-root", value_name = "string")]
    pub data_root: Option<PathBuf>,
    /// Root directory for execution state files
    #[arg(long = "exec-root", value_name = "string")]
    pub exec_root: Option<PathBuf>,
    /// Path to use for daemon PID file
    #[arg(short = 'p', long = "pidfile", value_name = "string")]
    pub pidfile: Option<PathBuf>,
    /// Daemon configuration file (default "/etc/minidocker/daemon.json")
    #[arg(long = "config-file", value_name = "string")]
    pub config_file: Option<PathBuf>,
    /// Specify network bridge IP
    #[arg(long = "bip", value_name = "string")]
    pub bip: Option<String>,
    /// Set parent cgroup for all containers
    #[arg(long = "cgroup-parent", value_name = "string")]
    pub cgroup_parent: Option<String>,
    /// Enable live restore of docker when containers are still running
    #[arg(long = "live-restore")]
    pub live_restore: bool,
    /// Group for the unix socket
    #[arg(short = 'G', long = "group", value_name = "string")]
    pub group: Option<String>,
    /// Set the logging level ("debug"|"info"|"warn"|"error"|"fatal")
    #[arg(short = 'l', long = "log-level", value_name = "string")]
    pub log_level: Option<String>,
}

/// The configuration in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonConfig {
    pub hosts: Vec<String>,
    pub data_root: PathBuf,
    pub exec_root: PathBuf,
    pub pidfile: PathBuf,
    pub bip: Option<ch07_network::Ipv4Net>,
    pub cgroup_parent: String,
    pub live_restore: bool,
    pub group: Option<String>,
    pub log_level: String,
    pub registry_mirrors: Vec<String>,
    pub insecure_registries: Vec<String>,
    pub default_address_pools: Vec<(String, u8)>,
}

/// The keys `daemon.json` may have (dockerd's names).
const KNOWN_KEYS: [&str; 12] = [
    "hosts",
    "data-root",
    "exec-root",
    "pidfile",
    "bip",
    "cgroup-parent",
    "live-restore",
    "group",
    "log-level",
    "registry-mirrors",
    "insecure-registries",
    "default-address-pools",
];

fn string_list(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

impl DaemonConfig {
    /// The flags merged with the file `--config-file` names (a missing default file is fine;
    /// a missing file named explicitly is not).
    pub fn load(flags: &DaemonFlags) -> Result<DaemonConfig> {
        let path = flags
            .config_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
        let file: BTreeMap<String, Value> = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                anyhow::anyhow!(
                    "unable to configure the Docker daemon with file {}: {e}",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && flags.config_file.is_none() => {
                BTreeMap::new()
            }
            Err(e) => bail!(
                "unable to configure the Docker daemon with file {}: {e}",
                path.display()
            ),
        };
        Self::merge(flags, &file, &path)
    }

    /// dockerd's rules: unknown keys and keys set both ways are errors; flags fill the rest.
    pub fn merge(flags: &DaemonFlags, file: &BTreeMap<String, Value>, path: &Path) -> Result<DaemonConfig> {
        // ANCHOR: config_unknown_keys
        let unknown: Vec<&str> = file
            .keys()
            .map(String::as_str)
            .filter(|k| !KNOWN_KEYS.contains(k))
            .collect();
        if !unknown.is_empty() {
            bail!(
                "the following directives don't match any configuration option: {}",
                unknown.join(", ")
            );
        }
        // ANCHOR_END: config_unknown_keys
        let mut conflicts = Vec::new();
        let mut check = |key: &str, given: bool, shown: String| {
            if given && let Some(v) = file.get(key) {
                conflicts.push(format!("{key}: (from flag: {shown}, from file: {v})"));
            }
        };
        check("hosts", !flags.hosts.is_empty(), format!("{:?}", flags.hosts));
        check(
            "data-root",
            flags.data_root.is_some(),
            format!("{:?}", flags.data_root.clone().unwrap_or_default()),
        );
        check(
            "exec-root",
            flags.exec_root.is_some(),
            format!("{:?}", flags.exec_root.clone().unwrap_or_default()),
        );
        check(
            "pidfile",
            flags.pidfile.is_some(),
            format!("{:?}", flags.pidfile.clone().unwrap_or_default()),
        );
        check("bip", flags.bip.is_some(), flags.bip.clone().unwrap_or_default());
        check(
            "cgroup-parent",
            flags.cgroup_parent.is_some(),
            flags.cgroup_parent.clone().unwrap_or_default(),
        );
        check("live-restore", flags.live_restore, "true".into());
        check(
            "group",
            flags.group.is_some(),
            flags.group.clone().unwrap_or_default(),
        );
        check(
            "log-level",
            flags.log_level.is_some(),
            flags.log_level.clone().unwrap_or_default(),
        );
        if !conflicts.is_empty() {
            bail!(
                "unable to configure the Docker daemon with file {}: the following directives are specified both as a flag and in the configuration file: {}",
                path.display(),
                conflicts.join(", ")
            );
        }
        let text = |key: &str| file.get(key).and_then(Value::as_str).map(str::to_owned);
        let bad = |key: &str| anyhow::anyhow!("invalid value for \"{key}\" in {}", path.display());
        let hosts = match (&flags.hosts, file.get("hosts")) {
            (h, _) if !h.is_empty() => h.clone(),
            (_, Some(v)) => string_list(v).ok_or_else(|| bad("hosts"))?,
            _ => vec![format!("unix://{DEFAULT_SOCKET}")],
        };
        let exec_root = flags
            .exec_root
            .clone()
            .or_else(|| text("exec-root").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_EXEC_ROOT));
        let bip = match flags.bip.clone().or_else(|| text("bip")) {
            None => None,
            Some(raw) => Some(
                raw.parse()
                    .map_err(|_| anyhow::anyhow!("invalid bip address {raw:?}"))?,
            ),
        };
        let log_level = flags
            .log_level
            .clone()
            .or_else(|| text("log-level"))
            .unwrap_or_else(|| "info".into());
        if !["debug", "info", "warn", "error", "fatal"].contains(&log_level.as_str()) {
            bail!("unable to parse logging level: {log_level}");
        }
        let pools = match file.get("default-address-pools") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|p| {
                    let base = p
                        .get("base")
                        .and_then(Value::as_str)
                        .ok_or_else(|| bad("default-address-pools"))?;
                    let size = p
                        .get("size")
                        .and_then(Value::as_u64)
                        .ok_or_else(|| bad("default-address-pools"))?;
                    Ok((
                        base.to_owned(),
                        u8::try_from(size).map_err(|_| bad("default-address-pools"))?,
                    ))
                })
                .collect::<Result<Vec<_>>>()?,
            Some(_) => return Err(bad("default-address-pools")),
        };
        Ok(DaemonConfig {
            hosts,
            data_root: flags
                .data_root
                .clone()
                .or_else(|| text("data-root").map(PathBuf::from))
                .unwrap_or_else(|| PathBuf::from(crate::engine::DEFAULT_DATA_ROOT)),
            pidfile: flags
                .pidfile
                .clone()
                .or_else(|| text("pidfile").map(PathBuf::from))
                .unwrap_or_else(|| exec_root.join("minidocker.pid")),
            exec_root,
            bip,
            cgroup_parent: flags
                .cgroup_parent
                .clone()
                .or_else(|| text("cgroup-parent"))
                .unwrap_or_else(|| ch06_cgroups::CgroupParent::DEFAULT.to_owned()),
            live_restore: flags.live_restore
                || file.get("live-restore").and_then(Value::as_bool).unwrap_or(false),
            group: flags.group.clone().or_else(|| text("group")),
            log_level,
            registry_mirrors: file
                .get("registry-mirrors")
                .and_then(string_list)
                .unwrap_or_default(),
            insecure_registries: file
                .get("insecure-registries")
                .and_then(string_list)
                .unwrap_or_default(),
            default_address_pools: pools,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(json: &str) -> BTreeMap<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn flags_fill_in_and_defaults_are_dockerds() {
        let flags = DaemonFlags {
            data_root: Some("/tmp/x".into()),
            ..DaemonFlags::default()
        };
        let c = DaemonConfig::merge(
            &flags,
            &file(r#"{"bip": "10.9.0.1/24", "live-restore": true}"#),
            Path::new("d.json"),
        )
        .unwrap();
        assert_eq!(c.data_root, PathBuf::from("/tmp/x"));
        assert_eq!(c.hosts, ["unix:///run/minidocker.sock"]);
        assert_eq!(c.bip.unwrap().to_string(), "10.9.0.1/24");
        assert!(c.live_restore);
        assert_eq!(c.pidfile, PathBuf::from("/run/minidocker/minidocker.pid"));
    }

    #[test]
    fn unknown_keys_and_keys_given_twice_are_refused_as_dockerd_does() {
        let e = DaemonConfig::merge(
            &DaemonFlags::default(),
            &file(r#"{"foo": 1}"#),
            Path::new("d.json"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the following directives don't match any configuration option: foo"
        );
        let flags = DaemonFlags {
            hosts: vec!["unix:///tmp/a.sock".into()],
            ..DaemonFlags::default()
        };
        let e = DaemonConfig::merge(
            &flags,
            &file(r#"{"hosts": ["unix:///tmp/b.sock"]}"#),
            Path::new("d.json"),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"unable to configure the Docker daemon with file d.json: the following directives are specified both as a flag and in the configuration file: hosts: (from flag: ["unix:///tmp/a.sock"], from file: ["unix:///tmp/b.sock"])"#
        );
    }
}
