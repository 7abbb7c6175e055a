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
/// How long a client may take to send a request's headers before its connection is closed.
pub const DEFAULT_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

// dockerd's flags that minidocker's daemon takes. Not a doc comment: clap would make it the
// about of `minidocker daemon`, whose arguments are built after it (`#[command(defer = true)]`).
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
    /// Seconds a connection may take to send a request's headers (or stay idle between
    /// requests) before it is closed; hidden: for tests (dockerd has no such flag).
    #[arg(long = "idle-timeout", value_name = "seconds", hide = true)]
    pub idle_timeout: Option<u64>,
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
    /// Default driver for container logs (default "json-file")
    #[arg(long = "log-driver", value_name = "string")]
    pub log_driver: Option<String>,
    /// Default log driver options for containers (default map[])
    #[arg(long = "log-opt", value_name = "map", value_parser = parse_log_opt)]
    pub log_opts: Vec<(String, String)>,
    /// Use TLS; implied by --tlsverify
    #[arg(long = "tls", value_name = "bool", num_args = 0..=1, require_equals = true, default_missing_value = "true", hide_possible_values = true)]
    pub tls: Option<bool>,
    /// Use TLS and verify the remote
    #[arg(long = "tlsverify", value_name = "bool", num_args = 0..=1, require_equals = true, default_missing_value = "true", hide_possible_values = true)]
    pub tlsverify: Option<bool>,
    /// Trust certs signed only by this CA (default "~/.docker/ca.pem")
    #[arg(long = "tlscacert", value_name = "string")]
    pub tlscacert: Option<PathBuf>,
    /// Path to TLS certificate file (default "~/.docker/cert.pem")
    #[arg(long = "tlscert", value_name = "string")]
    pub tlscert: Option<PathBuf>,
    /// Path to TLS key file (default "~/.docker/key.pem")
    #[arg(long = "tlskey", value_name = "string")]
    pub tlskey: Option<PathBuf>,
    /// What dockerd reads from its environment for TLS (`DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`).
    #[arg(skip = crate::tls::TlsEnv::from_process())]
    pub tls_env: crate::tls::TlsEnv,
}

/// `--log-opt max-size=10m`.
fn parse_log_opt(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .ok_or_else(|| format!("bad format for log-opt: {raw}"))
}

/// The configuration in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonConfig {
    pub hosts: Vec<String>,
    pub data_root: PathBuf,
    pub exec_root: PathBuf,
    pub pidfile: PathBuf,
    /// How long a connection may take to send a request's headers, or stay idle between
    /// requests (`--idle-timeout`, default [`DEFAULT_IDLE_TIMEOUT`]).
    pub idle_timeout: std::time::Duration,
    pub bip: Option<ch07_network::Ipv4Net>,
    pub cgroup_parent: String,
    pub live_restore: bool,
    pub group: Option<String>,
    pub log_level: String,
    /// The containers' default log driver and options (`--log-driver`, `--log-opt`).
    pub log_config: crate::log_config::LogConfig,
    pub registry_mirrors: Vec<String>,
    pub insecure_registries: Vec<String>,
    pub default_address_pools: Vec<(String, u8)>,
    /// TLS on the TCP listeners (`--tls`, `--tlsverify` and their files), when on.
    pub tls: Option<super::tls::TlsSettings>,
}

/// The keys `daemon.json` may have (dockerd's names).
const KNOWN_KEYS: &[&str] = &[
    "hosts",
    "data-root",
    "exec-root",
    "pidfile",
    "bip",
    "cgroup-parent",
    "live-restore",
    "group",
    "log-level",
    "log-driver",
    "log-opts",
    "registry-mirrors",
    "insecure-registries",
    "default-address-pools",
    "tls",
    "tlsverify",
    "tlscacert",
    "tlscert",
    "tlskey",
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
        for (key, flag) in [("tls", flags.tls), ("tlsverify", flags.tlsverify)] {
            check(key, flag.is_some(), flag.unwrap_or_default().to_string());
        }
        for (key, flag) in [
            ("tlscacert", &flags.tlscacert),
            ("tlscert", &flags.tlscert),
            ("tlskey", &flags.tlskey),
        ] {
            check(
                key,
                flag.is_some(),
                format!("{:?}", flag.clone().unwrap_or_default()),
            );
        }
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
        check(
            "log-driver",
            flags.log_driver.is_some(),
            flags.log_driver.clone().unwrap_or_default(),
        );
        check(
            "log-opts",
            !flags.log_opts.is_empty(),
            format!("{:?}", flags.log_opts),
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
        let log_config = crate::log_config::LogConfig {
            kind: flags
                .log_driver
                .clone()
                .or_else(|| text("log-driver"))
                .unwrap_or_else(|| crate::log_config::JSON_FILE.to_owned()),
            config: match file.get("log-opts") {
                None => flags.log_opts.iter().cloned().collect(),
                Some(Value::Object(opts)) => opts
                    .iter()
                    .map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                    .collect::<Option<_>>()
                    .ok_or_else(|| bad("log-opts"))?,
                Some(_) => return Err(bad("log-opts")),
            },
        };
        // dockerd checks the names at start; the values when a container starts
        log_config
            .validate()
            .map_err(|e| anyhow::anyhow!("failed to set log opts: {e}"))?;
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
            idle_timeout: flags
                .idle_timeout
                .map_or(DEFAULT_IDLE_TIMEOUT, std::time::Duration::from_secs),
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
            log_config,
            registry_mirrors: file
                .get("registry-mirrors")
                .and_then(string_list)
                .unwrap_or_default(),
            insecure_registries: file
                .get("insecure-registries")
                .and_then(string_list)
                .unwrap_or_default(),
            default_address_pools: pools,
            tls: tls_settings(flags, file, &bad)?,
        })
    }
}

// ANCHOR: tls_settings
/// dockerd 20.10's TLS rules: `--tlsverify` given at all (even `=false`) turns TLS on;
/// TLS on without a word about verification verifies clients (`--tls` alone does too);
/// `DOCKER_TLS_VERIFY` counts as `--tlsverify`. Files not named by a flag or the file are
/// `ca.pem`, `cert.pem` and `key.pem` in `DOCKER_CERT_PATH` (else `~/.docker`).
fn tls_settings(
    flags: &DaemonFlags,
    file: &BTreeMap<String, Value>,
    bad: &dyn Fn(&str) -> anyhow::Error,
) -> Result<Option<super::tls::TlsSettings>> {
    let switch = |flag: Option<bool>, key: &str| match (flag, file.get(key)) {
        (Some(on), _) => Ok(Some(on)),
        (None, None) => Ok(None),
        (None, Some(Value::Bool(on))) => Ok(Some(*on)),
        (None, Some(_)) => Err(bad(key)),
    };
    let tls = switch(flags.tls, "tls")?;
    let verify = switch(flags.tlsverify, "tlsverify")?.or(flags.tls_env.verify.then_some(true));
    if verify.is_none() && tls != Some(true) {
        return Ok(None);
    }
    let path = |flag: &Option<PathBuf>, key: &str, default: &str| match (flag, file.get(key)) {
        (Some(path), _) => Ok(path.clone()),
        (None, None) => Ok(flags.tls_env.default_file(default)),
        (None, Some(Value::String(path))) => Ok(PathBuf::from(path)),
        (None, Some(_)) => Err(bad(key)),
    };
    Ok(Some(super::tls::TlsSettings {
        verify_clients: verify.unwrap_or(true),
        ca: path(&flags.tlscacert, "tlscacert", crate::tls::CA_FILE)?,
        cert: path(&flags.tlscert, "tlscert", crate::tls::CERT_FILE)?,
        key: path(&flags.tlskey, "tlskey", crate::tls::KEY_FILE)?,
    }))
}
// ANCHOR_END: tls_settings

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
        assert_eq!(c.log_config, crate::log_config::LogConfig::default());
    }

    #[test]
    fn log_defaults_come_from_flags_or_the_file_and_are_checked() {
        let flags = DaemonFlags {
            log_opts: vec![("max-size".into(), "1k".into())],
            ..DaemonFlags::default()
        };
        let c = DaemonConfig::merge(&flags, &file("{}"), Path::new("d.json")).unwrap();
        assert_eq!(c.log_config.kind, "json-file");
        assert_eq!(c.log_config.config["max-size"], "1k");
        let c = DaemonConfig::merge(
            &DaemonFlags::default(),
            &file(r#"{"log-driver": "none", "log-opts": {"max-file": "2"}}"#),
            Path::new("d.json"),
        )
        .unwrap();
        assert_eq!(c.log_config.kind, "none");
        let refused = |json: &str| {
            DaemonConfig::merge(&DaemonFlags::default(), &file(json), Path::new("d.json"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused(r#"{"log-opts": {"foo": "1"}}"#),
            "failed to set log opts: unknown log opt 'foo' for json-file log driver"
        );
        assert_eq!(
            refused(r#"{"log-driver": "bogus"}"#),
            "failed to set log opts: error looking up logging plugin bogus: plugin \"bogus\" not found"
        );
        assert_eq!(
            refused(r#"{"log-opts": {"max-size": 1}}"#),
            "invalid value for \"log-opts\" in d.json"
        );
        assert_eq!(
            parse_log_opt("max-size"),
            Err("bad format for log-opt: max-size".into())
        );
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

    fn tls_of(flags: DaemonFlags, json: &str) -> Option<crate::daemon::tls::TlsSettings> {
        let flags = DaemonFlags {
            tls_env: crate::tls::TlsEnv {
                cert_dir: PathBuf::from("/home/u/.docker"),
                ..flags.tls_env.clone()
            },
            ..flags
        };
        DaemonConfig::merge(&flags, &file(json), Path::new("d.json"))
            .unwrap()
            .tls
    }

    #[test]
    fn tls_is_off_unless_asked_and_tlsverify_implies_tls() {
        assert_eq!(tls_of(DaemonFlags::default(), "{}"), None);
        assert_eq!(
            tls_of(
                DaemonFlags {
                    tls: Some(false),
                    ..DaemonFlags::default()
                },
                "{}"
            ),
            None
        );
        let verify = tls_of(
            DaemonFlags {
                tlsverify: Some(true),
                ..DaemonFlags::default()
            },
            "{}",
        )
        .unwrap();
        assert!(verify.verify_clients);
        // the defaults: ~/.docker/{ca,cert,key}.pem
        assert_eq!(verify.ca, PathBuf::from("/home/u/.docker/ca.pem"));
        assert_eq!(verify.cert, PathBuf::from("/home/u/.docker/cert.pem"));
        assert_eq!(verify.key, PathBuf::from("/home/u/.docker/key.pem"));
        // --tlsverify=false still turns TLS on, without client verification
        let unverified = tls_of(
            DaemonFlags {
                tlsverify: Some(false),
                ..DaemonFlags::default()
            },
            "{}",
        )
        .unwrap();
        assert!(!unverified.verify_clients);
    }

    #[test]
    fn tls_switches_parse_as_dockerd_s_booleans() {
        #[derive(clap::Parser)]
        struct Daemon {
            #[command(flatten)]
            flags: DaemonFlags,
        }
        let parse = |args: &[&str]| {
            let flags = <Daemon as clap::Parser>::try_parse_from([&["daemon"], args].concat())
                .map(|d| d.flags)
                .map_err(|e| e.kind());
            flags.map(|f| (f.tls, f.tlsverify))
        };
        assert_eq!(parse(&[]), Ok((None, None)));
        assert_eq!(parse(&["--tlsverify"]), Ok((None, Some(true))));
        assert_eq!(
            parse(&["--tls", "--tlsverify=false"]),
            Ok((Some(true), Some(false)))
        );
        // a bare flag takes no separate value: `--tlsverify false` is not `=false`
        assert!(parse(&["--tlsverify", "false"]).is_err());
    }

    #[test]
    fn tls_alone_verifies_clients_as_dockerd_20_10_does() {
        let tls = tls_of(
            DaemonFlags {
                tls: Some(true),
                ..DaemonFlags::default()
            },
            "{}",
        )
        .unwrap();
        assert!(tls.verify_clients);
        let both = DaemonFlags {
            tls: Some(true),
            tlsverify: Some(false),
            ..DaemonFlags::default()
        };
        assert!(!tls_of(both, "{}").unwrap().verify_clients);
        // the same from daemon.json
        assert!(
            tls_of(DaemonFlags::default(), r#"{"tls": true}"#)
                .unwrap()
                .verify_clients
        );
        assert!(
            !tls_of(DaemonFlags::default(), r#"{"tls": true, "tlsverify": false}"#)
                .unwrap()
                .verify_clients
        );
        // DOCKER_TLS_VERIFY is --tlsverify
        let env = DaemonFlags {
            tls_env: crate::tls::TlsEnv {
                verify: true,
                ..crate::tls::TlsEnv::default()
            },
            ..DaemonFlags::default()
        };
        assert!(tls_of(env, "{}").unwrap().verify_clients);
    }

    #[test]
    fn tls_files_come_from_flags_or_the_file() {
        let flags = DaemonFlags {
            tlsverify: Some(true),
            tlscert: Some("/etc/md/server.pem".into()),
            ..DaemonFlags::default()
        };
        let tls = tls_of(
            flags,
            r#"{"tlscacert": "/etc/md/ca.pem", "tlskey": "/etc/md/server-key.pem"}"#,
        )
        .unwrap();
        assert_eq!(
            (tls.ca, tls.cert, tls.key),
            (
                PathBuf::from("/etc/md/ca.pem"),
                PathBuf::from("/etc/md/server.pem"),
                PathBuf::from("/etc/md/server-key.pem")
            )
        );
        let refused = |flags: DaemonFlags, json: &str| {
            DaemonConfig::merge(&flags, &file(json), Path::new("d.json"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused(
                DaemonFlags {
                    tlsverify: Some(true),
                    ..DaemonFlags::default()
                },
                r#"{"tlsverify": true}"#
            ),
            "unable to configure the Docker daemon with file d.json: the following directives are specified both as a flag and in the configuration file: tlsverify: (from flag: true, from file: true)"
        );
        assert_eq!(
            refused(
                DaemonFlags {
                    tlscacert: Some("b".into()),
                    ..DaemonFlags::default()
                },
                r#"{"tlscacert": "a"}"#
            ),
            r#"unable to configure the Docker daemon with file d.json: the following directives are specified both as a flag and in the configuration file: tlscacert: (from flag: "b", from file: "a")"#
        );
        assert_eq!(
            refused(DaemonFlags::default(), r#"{"tls": "yes"}"#),
            "invalid value for \"tls\" in d.json"
        );
        assert_eq!(
            refused(DaemonFlags::default(), r#"{"tlsverify": true, "tlscert": 1}"#),
            "invalid value for \"tlscert\" in d.json"
        );
    }
}
