//! Listing containers: `ps` (`container ls`), and `container prune`.

use clap::Args;
use serde_json::{Value, json};

use hyper::Method;

use super::ExitCode;
use super::images::{confirm, parse_filters};
use super::lifecycle::with_query;
use crate::client::autostart::Connector;
use crate::client::{RequestBody, query};
use crate::engine::filters::Filters;
use crate::engine::{ContainerListEntry, ContainerPruneReport, ListedPort};
use crate::format::units::{human_duration, human_size};
use crate::format::{TemplateError, format_rows};

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display container IDs
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Don't truncate output
    #[arg(long)]
    pub no_trunc: bool,
    /// Show n last created containers (includes all states)
    #[arg(short = 'n', long, default_value_t = -1, allow_hyphen_values = true)]
    pub last: i64,
    /// Show the latest created container (includes all states)
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)
    #[arg(long)]
    pub format: Option<String>,
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter", value_name = "filter")]
    pub filter: Vec<String>,
    /// Display total file sizes
    #[arg(short = 's', long)]
    pub size: bool,
}

#[derive(Debug, Args)]
pub struct ContainerPruneArgs {
    /// Provide filter values (e.g. "until=<timestamp>")
    #[arg(long = "filter", value_name = "filter")]
    pub filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

const PS_TABLE: &str =
    "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";
const PS_HEADERS: [(&str, &str); 9] = [
    ("ID", "CONTAINER ID"),
    ("Image", "IMAGE"),
    ("Command", "COMMAND"),
    ("RunningFor", "CREATED"),
    ("Status", "STATUS"),
    ("Ports", "PORTS"),
    ("Names", "NAMES"),
    ("State", "STATE"),
    ("CreatedAt", "CREATED AT"),
];

/// Docker's `formatter.Ellipsis`: at most `width` characters, the last one `…` when cut.
pub(super) fn ellipsis(s: &str, width: usize) -> String {
    if s.chars().count() <= width {
        return s.to_owned();
    }
    s.chars().take(width - 1).chain(std::iter::once('…')).collect()
}

/// The fields of one `ps` row from the API's listing, named as Docker's formatter names them.
pub(super) fn ps_row(c: &ContainerListEntry, trunc: bool) -> Value {
    let mut command = c.command.clone();
    if trunc {
        command = ellipsis(&command, 20);
    }
    let created = chrono::DateTime::from_timestamp(c.created, 0).unwrap_or_default();
    let labels: Vec<String> = c.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let id = if trunc {
        c.id.chars().take(12).collect()
    } else {
        c.id.clone()
    };
    let mut row = json!({
        "ID": id,
        "Image": c.image,
        "Command": format!("{command:?}"),
        "CreatedAt": created.format("%Y-%m-%d %H:%M:%S +0000 UTC").to_string(),
        // the docker CLI's: from `Created`, whole seconds since the epoch
        "RunningFor": format!(
            "{} ago",
            human_duration((chrono::Utc::now().timestamp() - c.created).max(0) as f64)
        ),
        "Status": c.status,
        "State": c.state,
        "Ports": displayable_ports(&c.ports),
        // the first name is the container's own; the others are links
        "Names": c.names.first().map(|n| n.trim_start_matches('/')).unwrap_or_default(),
        "Labels": labels.join(","),
        "LocalVolumes": "0",
        "Mounts": "",
        "Networks": c.network_settings.networks.keys().cloned().collect::<Vec<_>>().join(","),
    });
    if c.size_rw > 0 || c.size_root_fs > 0 {
        row["Size"] = json!(format!(
            "{} (virtual {})",
            human_size(c.size_rw, 3),
            human_size(c.size_root_fs, 3)
        ));
    }
    row
}

/// The PORTS column: `0.0.0.0:8080->80/tcp` per binding, `80/tcp` for a port only exposed,
/// by port number (the docker CLI also folds consecutive ports into ranges; not done here).
fn displayable_ports(ports: &[ListedPort]) -> String {
    let mut ports: Vec<&ListedPort> = ports.iter().collect();
    ports.sort_by_key(|p| (p.private_port, p.protocol.clone(), p.public_port));
    ports
        .iter()
        .map(|p| match p.public_port {
            0 => format!("{}/{}", p.private_port, p.protocol),
            public => format!("{}:{public}->{}/{}", p.ip, p.private_port, p.protocol),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn render_ps(rows: &[Value], args: &PsArgs) -> Result<String, TemplateError> {
    if args.quiet {
        return format_rows("{{.ID}}", rows, &PS_HEADERS);
    }
    match args.format.as_deref() {
        None | Some("") | Some("table") => format_rows(PS_TABLE, rows, &PS_HEADERS),
        Some("json") => format_rows("{{json .}}", rows, &PS_HEADERS),
        Some(f) => format_rows(f, rows, &PS_HEADERS),
    }
}

/// `docker ps`: `GET /containers/json`, then Docker's table or the asked-for template.
pub(super) fn ps(api: &Connector, args: PsArgs) -> ExitCode {
    let filters = match Filters::parse(&args.filter) {
        Ok(f) => f,
        Err(e) => {
            return super::flag_error(
                "ps",
                &format!(
                    "invalid argument \"{}\" for \"-f, --filter\" flag: {e}",
                    args.filter.join(",")
                ),
            );
        }
    };
    let limit = if args.latest { 1 } else { args.last };
    let mut params = vec![("all", if args.all { "1" } else { "0" }.to_owned())];
    if limit > 0 {
        params.push(("limit", limit.to_string()));
    }
    if args.size {
        params.push(("size", "1".to_owned()));
    }
    if !filters.is_empty() {
        params.push(("filters", filters.to_json()));
    }
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let listed: Vec<ContainerListEntry> = match api
        .client()
        .and_then(|c| c.get_json(&format!("/containers/json?{}", query(&pairs))))
    {
        Ok(listed) => listed,
        Err(e) => return super::api_error(&e),
    };
    let rows: Vec<Value> = listed.iter().map(|c| ps_row(c, !args.no_trunc)).collect();
    match render_ps(&rows, &args) {
        Ok(text) => {
            print!("{text}");
            0
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}

const PRUNE_WARNING: &str = "WARNING! This will remove all stopped containers.";

/// `docker container prune [-f] [--filter F]`: `POST /containers/prune?filters=` once
/// confirmed; the containers removed and the space their layers held.
pub(super) fn prune(api: &Connector, args: ContainerPruneArgs, cmd: &str) -> ExitCode {
    if !args.extra.is_empty() {
        return super::args_error(cmd, "accepts no arguments");
    }
    let filters = match parse_filters(cmd, "--filter", &args.filter) {
        Ok(f) => f,
        Err(code) => return code,
    };
    if !args.force && !confirm(PRUNE_WARNING) {
        return 0;
    }
    let params: Vec<(&str, String)> = match filters.is_empty() {
        true => Vec::new(),
        false => vec![("filters", filters.to_json())],
    };
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let report: ContainerPruneReport = match api.client().and_then(|c| {
        c.request(
            Method::POST,
            &with_query("/containers/prune".into(), &pairs),
            RequestBody::Empty,
        )?
        .json()
    }) {
        Ok(report) => report,
        Err(e) => return super::api_error(&e),
    };
    if !report.deleted.is_empty() {
        println!("Deleted Containers:\n{}\n", report.deleted.join("\n"));
    }
    println!("Total reclaimed space: {}", human_size(report.space_reclaimed, 4));
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_cut_like_dockers() {
        assert_eq!(
            ellipsis("/docker-entrypoint.sh nginx -g 'daemon off;'", 20),
            "/docker-entrypoint.…"
        );
        assert_eq!(ellipsis("sleep 300", 20), "sleep 300");
        assert_eq!(
            format!("{:?}", ellipsis("nginx -g 'daemon off;'", 20)),
            "\"nginx -g 'daemon of…\""
        );
    }
}
