//! Container commands: `ps` and `rm`.

use std::path::Path;

use clap::Args;
use serde_json::{Value, json};

use super::ExitCode;
use crate::engine::{ContainerSummary, Engine};
use crate::format::units::human_duration;
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
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
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

/// The fields of one `ps` row, named as Docker's formatter names them.
pub(super) fn ps_row(s: &ContainerSummary, trunc: bool) -> Value {
    let c = &s.container;
    let mut command = s.command();
    if trunc {
        command = ellipsis(&command, 20);
    }
    let created_at = chrono::DateTime::parse_from_rfc3339(&c.created)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%d %H:%M:%S +0000 UTC")
                .to_string()
        })
        .unwrap_or_default();
    json!({
        "ID": if trunc { c.id[..12].to_owned() } else { c.id.clone() },
        "Image": c.config.image,
        "Command": format!("{command:?}"),
        "CreatedAt": created_at,
        // the docker CLI's: from `Created`, whole seconds since the epoch
        "RunningFor": format!(
            "{} ago",
            human_duration((chrono::Utc::now().timestamp() - s.created_unix()).max(0) as f64)
        ),
        "Status": s.status(),
        "State": c.state.status,
        "Ports": displayable_ports(&c.network_settings.ports),
        "Names": c.name.trim_start_matches('/'),
        "Labels": "",
        "LocalVolumes": "0",
        "Mounts": "",
        "Networks": c.network_settings.networks.keys().cloned().collect::<Vec<_>>().join(","),
    })
}

/// The PORTS column: `0.0.0.0:8080->80/tcp` per binding, `80/tcp` for a port only exposed,
/// by port number (the docker CLI also folds consecutive ports into ranges; not done here).
fn displayable_ports(
    ports: &std::collections::BTreeMap<String, Option<Vec<crate::engine::network::PortBinding>>>,
) -> String {
    let mut keys: Vec<&String> = ports.keys().collect();
    keys.sort_by_key(|k| {
        let (port, proto) = k.split_once('/').unwrap_or((k, ""));
        (port.parse::<u32>().unwrap_or(0), proto.to_owned())
    });
    let mut shown = Vec::new();
    for key in keys {
        match &ports[key] {
            Some(bindings) if !bindings.is_empty() => shown.extend(
                bindings
                    .iter()
                    .map(|b| format!("{}:{}->{key}", b.host_ip, b.host_port)),
            ),
            _ => shown.push(key.clone()),
        }
    }
    shown.join(", ")
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

pub(super) fn ps(data_root: &Path, args: PsArgs) -> ExitCode {
    let engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return super::daemon_error(&format!("{e:#}")),
    };
    let summaries = match engine.list_containers() {
        Ok(s) => s,
        Err(e) => return super::daemon_error(&e.to_string()),
    };
    let limit = if args.latest { 1 } else { args.last };
    let show_all = args.all || limit > 0;
    let rows: Vec<Value> = summaries
        .iter()
        .filter(|s| show_all || s.running)
        .take(if limit > 0 { limit as usize } else { usize::MAX })
        .map(|s| ps_row(s, !args.no_trunc))
        .collect();
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

pub(super) fn rm(data_root: &Path, args: RmArgs) -> ExitCode {
    let engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return super::daemon_error(&format!("{e:#}")),
    };
    let mut code = 0;
    for name in &args.containers {
        match engine.remove_container(name, args.force) {
            Ok(()) => println!("{name}"),
            Err(e) => code = super::daemon_error(&e.to_string()),
        }
    }
    code
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
