//! `minidocker network`: create, ls, inspect, rm, prune, connect, disconnect (chapter 7), each
//! a request to the daemon's `/networks` endpoints.

use clap::Args;
use hyper::Method;
use serde_json::{Value, json};

use super::images::{confirm, parse_filters, print_rendered};
use super::inspect::{lookup_error, print_inspected};
use super::{ExitCode, api_error, args_error, flag_error, kvfile};
use crate::api_types::{
    EndpointConfigBody, EndpointIpamBody, IpamBody, IpamConfigBody, NetworkConnectBody, NetworkCreateBody,
    NetworkCreateResponse, NetworkDisconnectBody, NetworkPruneReport,
};
use crate::client::autostart::Connector;
use crate::client::{RequestBody, path_escape, query};
use crate::engine::network::NetworkRecord;
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

/// `docker network create NAME`: `POST /networks/create`; prints the new network's id.
pub(super) fn create(api: &Connector, args: NetworkCreateArgs, cmd: &str) -> ExitCode {
    if args.names.len() != 1 {
        return args_error(cmd, "requires exactly 1 argument");
    }
    // The CLI's own check: a gateway or range needs a subnet to belong to.
    if args.gateway.len() > args.subnet.len() || args.ip_range.len() > args.subnet.len() {
        eprintln!("every ip-range or gateway must have a corresponding subnet");
        return 1;
    }
    let config: Vec<IpamConfigBody> = args
        .subnet
        .iter()
        .enumerate()
        .map(|(i, subnet)| IpamConfigBody {
            subnet: subnet.clone(),
            ip_range: args.ip_range.get(i).cloned().unwrap_or_default(),
            gateway: args.gateway.get(i).cloned().unwrap_or_default(),
        })
        .collect();
    let body = NetworkCreateBody {
        name: args.names[0].clone(),
        driver: args.driver,
        internal: args.internal,
        ipam: Some(IpamBody { config: Some(config) }),
        options: Some(kvfile::key_values(&args.opt)),
        labels: Some(kvfile::key_values(&args.label)),
    };
    match api
        .client()
        .and_then(|c| c.post_json::<NetworkCreateResponse>("/networks/create", &body))
    {
        Ok(created) => {
            println!("{}", created.id);
            0
        }
        Err(e) => api_error(&e),
    }
}

/// One row of `network ls`, with the docker CLI's field names for `--format`.
fn ls_row(record: &NetworkRecord, no_trunc: bool) -> Value {
    let id = if no_trunc {
        record.id.clone()
    } else {
        record.id.chars().take(12).collect()
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

/// `docker network ls`: `GET /networks?filters=` (the daemon checks the filters).
pub(super) fn ls(api: &Connector, args: NetworkLsArgs, cmd: &str) -> ExitCode {
    if !args.extra.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let filters = match parse_filters(cmd, "--filter", &args.filter) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let path = match filters.is_empty() {
        true => "/networks".to_owned(),
        false => format!("/networks?{}", query(&[("filters", &filters.to_json())])),
    };
    let records: Vec<NetworkRecord> = match api.client().and_then(|c| c.get_json(&path)) {
        Ok(records) => records,
        Err(e) => return api_error(&e),
    };
    let rows: Vec<Value> = records.iter().map(|r| ls_row(r, args.no_trunc)).collect();
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

/// `GET /networks/{id}`: the network with its containers, or the error as `inspect` prints it
/// (`Error: No such network: …` for one the daemon does not know).
pub(super) fn inspect_network(api: &Connector, name: &str) -> Result<NetworkRecord, String> {
    api.client()
        .and_then(|c| c.get_json(&format!("/networks/{}", path_escape(name))))
        .map_err(|e| match e.is_not_found() {
            true => format!("Error: No such network: {name}"),
            false => lookup_error(&e),
        })
}

/// `docker network inspect NETWORK...`.
pub(super) fn inspect(api: &Connector, args: NetworkInspectArgs, cmd: &str) -> ExitCode {
    if args.names.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    print_inspected(&args.names, args.format.as_deref(), |name| {
        inspect_network(api, name)
    })
}

/// `docker network rm NETWORK...`: `DELETE /networks/{id}` each; prints each name as given,
/// errors as they come, exit 1 if any.
pub(super) fn rm(api: &Connector, args: NetworkRmArgs, cmd: &str) -> ExitCode {
    if args.names.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let mut status = 0;
    for name in &args.names {
        match api
            .client()
            .and_then(|c| c.delete(&format!("/networks/{}", path_escape(name))))
        {
            Ok(()) => println!("{name}"),
            Err(e) if e.is_not_found() && args.force => {}
            Err(e) => status = api_error(&e),
        }
    }
    status
}

const PRUNE_WARNING: &str =
    "WARNING! This will remove all custom networks not used by at least one container.";

/// `docker network prune`: `POST /networks/prune` once confirmed.
pub(super) fn prune(api: &Connector, args: NetworkPruneArgs, cmd: &str) -> ExitCode {
    if !args.extra.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    if !args.filter.is_empty() {
        return flag_error(cmd, "minidocker network prune: --filter is not supported yet");
    }
    if !args.force && !confirm(PRUNE_WARNING) {
        return 0;
    }
    let report: NetworkPruneReport = match api
        .client()
        .and_then(|c| c.request(Method::POST, "/networks/prune", RequestBody::Empty))
        .and_then(|response| response.json())
    {
        Ok(report) => report,
        Err(e) => return api_error(&e),
    };
    let removed = report.networks_deleted.unwrap_or_default();
    if !removed.is_empty() {
        println!("Deleted Networks:\n{}\n", removed.join("\n"));
    }
    0
}

/// `docker network connect [--ip] [--alias] NETWORK CONTAINER`: `POST /networks/{id}/connect`.
pub(super) fn connect(api: &Connector, args: NetworkConnectArgs, cmd: &str) -> ExitCode {
    if args.args.len() != 2 {
        return args_error(cmd, "requires exactly 2 arguments");
    }
    let ip = args.ip.clone().unwrap_or_default();
    if !ip.is_empty() && ip.parse::<std::net::Ipv4Addr>().is_err() {
        return flag_error(
            cmd,
            &format!(
                "invalid argument \"{ip}\" for \"--ip\" flag: invalid string being converted to IP address: {ip}"
            ),
        );
    }
    let body = NetworkConnectBody {
        container: args.args[1].clone(),
        endpoint_config: Some(EndpointConfigBody {
            ipam_config: Some(EndpointIpamBody { ipv4_address: ip }),
            aliases: Some(args.alias),
        }),
    };
    let path = format!("/networks/{}/connect", path_escape(&args.args[0]));
    match api
        .client()
        .and_then(|c| c.request(Method::POST, &path, RequestBody::json(&body)))
    {
        Ok(_) => 0,
        Err(e) => api_error(&e),
    }
}

/// `docker network disconnect [-f] NETWORK CONTAINER`: `POST /networks/{id}/disconnect`.
pub(super) fn disconnect(api: &Connector, args: NetworkDisconnectArgs, cmd: &str) -> ExitCode {
    if args.args.len() != 2 {
        return args_error(cmd, "requires exactly 2 arguments");
    }
    let body = NetworkDisconnectBody {
        container: args.args[1].clone(),
        force: args.force,
    };
    let path = format!("/networks/{}/disconnect", path_escape(&args.args[0]));
    match api
        .client()
        .and_then(|c| c.request(Method::POST, &path, RequestBody::json(&body)))
    {
        Ok(_) => 0,
        Err(e) => api_error(&e),
    }
}
