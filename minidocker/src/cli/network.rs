//! `minidocker network`: create, ls, inspect, rm, prune (chapter 7).

use std::collections::BTreeMap;
use std::path::Path;

use clap::Args;
use serde_json::{Value, json};

use super::images::{confirm, parse_filters, print_rendered};
use super::inspect::print_inspected;
use super::{ExitCode, args_error, daemon_error, flag_error};
use crate::engine::network::networks::{network_matches, validate_network_filters};
use crate::engine::network::{CreateNetworkOptions, NetworkRecord};
use crate::engine::{Engine, EngineError};
use crate::format::format_rows;

#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    /// Driver to manage the Network
    #[arg(short = 'd', long, value_name = "string", default_value = "bridge")]
    pub driver: String,
    /// Subnet in CIDR format that represents a network segment
    #[arg(long, value_name = "strings")]
    pub subnet: Vec<String>,
    /// IPv4 or IPv6 Gateway for the master subnet
    #[arg(long, value_name = "strings")]
    pub gateway: Vec<String>,
    /// Allocate container ip from a sub-range
    #[arg(long = "ip-range", value_name = "strings")]
    pub ip_range: Vec<String>,
    /// Restrict external access to the network
    #[arg(long)]
    pub internal: bool,
    /// Set metadata on a network
    #[arg(long, value_name = "list")]
    pub label: Vec<String>,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt", value_name = "map")]
    pub opt: Vec<String>,
    #[arg(hide = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkConnectArgs {
    /// Add network-scoped alias for the container
    #[arg(long, value_name = "strings")]
    pub alias: Vec<String>,
    /// IPv4 address (e.g., "172.30.100.104")
    #[arg(long, value_name = "string")]
    pub ip: Option<String>,
    #[arg(hide = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkDisconnectArgs {
    /// Force the container to disconnect from a network
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(hide = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkLsArgs {
    /// Provide filter values (e.g. "driver=bridge")
    #[arg(short = 'f', long, value_name = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long, value_name = "string")]
    pub format: Option<String>,
    /// Do not truncate the output
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Only display network IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkInspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long, value_name = "string")]
    pub format: Option<String>,
    /// Verbose output for diagnostics
    #[arg(short = 'v', long)]
    pub verbose: bool,
    #[arg(hide = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkRmArgs {
    /// Do not error if the network does not exist
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(hide = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NetworkPruneArgs {
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long, value_name = "filter")]
    pub filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

fn open(data_root: &Path) -> Result<Engine, ExitCode> {
    let engine = Engine::open(data_root).map_err(|e| daemon_error(&format!("{e:#}")))?;
    engine
        .ensure_predefined_networks()
        .map_err(|e| daemon_error(&e.to_string()))?;
    Ok(engine)
}

/// `key=value` flags (`--label`, `-o`) as a map; a key alone maps to `""`.
fn key_values(values: &[String]) -> BTreeMap<String, String> {
    values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (v.clone(), String::new()),
        })
        .collect()
}

/// `docker network create NAME`: prints the new network's id.
pub(super) fn create(data_root: &Path, args: NetworkCreateArgs, cmd: &str) -> ExitCode {
    if args.names.len() != 1 {
        return args_error(cmd, "requires exactly 1 argument");
    }
    // The CLI's own check: a gateway or range needs a subnet to belong to.
    if args.subnet.is_empty() && (!args.gateway.is_empty() || !args.ip_range.is_empty()) {
        eprintln!("every ip-range or gateway must have a corresponding subnet");
        return 1;
    }
    if args.subnet.len() > 1 || args.gateway.len() > 1 || args.ip_range.len() > 1 {
        eprintln!(
            "Error response from daemon: minidocker networks have one IPv4 subnet (several --subnet given)"
        );
        return 1;
    }
    let engine = match open(data_root) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let opts = CreateNetworkOptions {
        name: args.names[0].clone(),
        driver: args.driver,
        subnet: args.subnet.first().cloned(),
        gateway: args.gateway.first().cloned(),
        ip_range: args.ip_range.first().cloned(),
        internal: args.internal,
        labels: key_values(&args.label),
        options: key_values(&args.opt),
    };
    match engine.create_network(&opts) {
        Ok(record) => {
            println!("{}", record.id);
            0
        }
        Err(e) => daemon_error(&e.to_string()),
    }
}

/// One row of `network ls`, with the docker CLI's field names for `--format`.
fn ls_row(record: &NetworkRecord, no_trunc: bool) -> Value {
    let id = if no_trunc {
        record.id.clone()
    } else {
        record.id[..12].to_owned()
    };
    let labels: Vec<String> = record.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    json!({
        "ID": id,
        "Name": record.name,
        "Driver": record.driver,
        "Scope": record.scope,
        "IPv6": record.enable_ipv6.to_string(),
        "Internal": record.internal.to_string(),
        "Labels": labels.join(","),
        "CreatedAt": record.created,
    })
}

/// `docker network ls`.
pub(super) fn ls(data_root: &Path, args: NetworkLsArgs, cmd: &str) -> ExitCode {
    if !args.extra.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let filters = match parse_filters(cmd, "--filter", &args.filter) {
        Ok(f) => f,
        Err(code) => return code,
    };
    if let Err(e) = validate_network_filters(&filters) {
        return daemon_error(&e.to_string());
    }
    let engine = match open(data_root) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let records = match engine.networks.list() {
        Ok(r) => r,
        Err(e) => return daemon_error(&e.to_string()),
    };
    let rows: Vec<Value> = records
        .iter()
        .filter(|r| network_matches(&filters, r))
        .map(|r| ls_row(r, args.no_trunc))
        .collect();
    let format = match (args.quiet, args.format.as_deref()) {
        (true, _) => "{{.ID}}".to_owned(),
        (false, Some(f)) if !f.is_empty() && f != "table" => f.to_owned(),
        _ => "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}".to_owned(),
    };
    let headers = [
        ("ID", "NETWORK ID"),
        ("Name", "NAME"),
        ("Driver", "DRIVER"),
        ("Scope", "SCOPE"),
        ("IPv6", "IPV6"),
        ("Internal", "INTERNAL"),
        ("Labels", "LABELS"),
        ("CreatedAt", "CREATED AT"),
    ];
    print_rendered(format_rows(&format, &rows, &headers))
}

/// `docker network inspect NETWORK...`.
pub(super) fn inspect(data_root: &Path, args: NetworkInspectArgs, cmd: &str) -> ExitCode {
    if args.names.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let engine = match open(data_root) {
        Ok(e) => e,
        Err(code) => return code,
    };
    print_inspected(&args.names, args.format.as_deref(), |name| {
        engine
            .networks
            .find(name)
            .map(|record| engine.inspect_network(&record))
            .map_err(|_| format!("Error: No such network: {name}"))
    })
}

/// `docker network rm NETWORK...`: prints each name as given; errors after, exit 1.
pub(super) fn rm(data_root: &Path, args: NetworkRmArgs, cmd: &str) -> ExitCode {
    if args.names.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let engine = match open(data_root) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let mut status = 0;
    for name in &args.names {
        match engine.remove_network(name) {
            Ok(_) => println!("{name}"),
            Err(crate::engine::network::NetworkError::NotFound(_)) if args.force => {}
            Err(e) => {
                eprintln!("Error response from daemon: {}", EngineError::from(e));
                status = 1;
            }
        }
    }
    status
}

const PRUNE_WARNING: &str =
    "WARNING! This will remove all custom networks not used by at least one container.";

/// `docker network prune`.
pub(super) fn prune(data_root: &Path, args: NetworkPruneArgs, cmd: &str) -> ExitCode {
    if !args.extra.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    if !args.filter.is_empty() {
        return flag_error(cmd, "minidocker network prune: --filter is not supported yet");
    }
    if !args.force && !confirm(PRUNE_WARNING) {
        return 0;
    }
    let engine = match open(data_root) {
        Ok(e) => e,
        Err(code) => return code,
    };
    match engine.prune_networks() {
        Ok(removed) => {
            if !removed.is_empty() {
                println!("Deleted Networks:\n{}\n", removed.join("\n"));
            }
            0
        }
        Err(e) => daemon_error(&e.to_string()),
    }
}

/// `docker network connect [--ip] [--alias] NETWORK CONTAINER`.
pub(super) fn connect(data_root: &Path, args: NetworkConnectArgs, cmd: &str) -> ExitCode {
    if args.args.len() != 2 {
        return args_error(cmd, "requires exactly 2 arguments");
    }
    let ip = match args.ip.as_deref() {
        None | Some("") => None,
        Some(raw) => match raw.parse() {
            Ok(ip) => Some(ip),
            Err(_) => {
                return flag_error(
                    cmd,
                    &format!(
                        "invalid argument \"{raw}\" for \"--ip\" flag: invalid string being converted to IP address: {raw}"
                    ),
                );
            }
        },
    };
    let engine = match open(data_root) {
        Ok(e) => e,
        Err(code) => return code,
    };
    match engine.connect_container(&args.args[0], &args.args[1], ip, &args.alias) {
        Ok(()) => 0,
        Err(e) => daemon_error(&e.to_string()),
    }
}

/// `docker network disconnect NETWORK CONTAINER`.
pub(super) fn disconnect(data_root: &Path, args: NetworkDisconnectArgs, cmd: &str) -> ExitCode {
    if args.args.len() != 2 {
        return args_error(cmd, "requires exactly 2 arguments");
    }
    let engine = match open(data_root) {
        Ok(e) => e,
        Err(code) => return code,
    };
    match engine.disconnect_container(&args.args[0], &args.args[1]) {
        Ok(()) => 0,
        Err(e) => daemon_error(&e.to_string()),
    }
}
