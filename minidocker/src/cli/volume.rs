//! `minidocker volume`: create, ls, inspect, rm, prune (issues 8 and 9), each a request to
//! the daemon's `/volumes` endpoints, printed as the docker CLI prints it.

use clap::Args;
use hyper::Method;
use serde_json::{Value, json};

use super::images::{confirm, parse_filters, print_rendered};
use super::inspect::{lookup_error, print_inspected};
use super::{ExitCode, api_error, args_error, flag_error, kvfile};
use crate::api_types::VolumeCreateBody;
use crate::client::autostart::Connector;
use crate::client::{ClientError, RequestBody, path_escape, query};
use crate::engine::volumes::{Volume, VolumeList, VolumePruneReport};
use crate::format::format_rows;
use crate::format::units::human_size;

#[derive(Debug, Args)]
pub struct VolumeCreateArgs {
    /// Specify volume driver name
    #[arg(short = 'd', long, value_name = "string", default_value = "local")]
    pub driver: String,
    /// Set metadata for a volume
    #[arg(long, value_name = "list")]
    pub label: Vec<String>,
    /// Set driver specific options
    #[arg(short = 'o', long = "opt", value_name = "map")]
    pub opt: Vec<String>,
    /// Specify volume name
    #[arg(long, value_name = "string", hide = true)]
    pub name: Option<String>,
    #[arg(hide = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Provide filter values (e.g. "dangling=true")
    #[arg(short = 'f', long, value_name = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template
    #[arg(long, value_name = "string")]
    pub format: Option<String>,
    /// Only display volume names
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeInspectArgs {
    /// Format output using a custom template
    #[arg(short = 'f', long, value_name = "string")]
    pub format: Option<String>,
    #[arg(hide = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// Force the removal of one or more volumes
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(hide = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Provide filter values (e.g. "label=<label>")
    #[arg(long, value_name = "filter")]
    pub filter: Vec<String>,
    /// Do not prompt for confirmation
    #[arg(short = 'f', long)]
    pub force: bool,
    #[arg(hide = true)]
    pub extra: Vec<String>,
}

/// The docker CLI's check of a `--label` value (`opts.ValidateLabel`): a name before any
/// `=`, without whitespace.
fn check_label(value: &str) -> Result<(), String> {
    let key = value
        .split_once('=')
        .map_or(value, |(k, _)| k)
        .trim_start_matches([' ', '\t']);
    let why = if key.is_empty() {
        format!("invalid label '{value}': empty name")
    } else if key.contains([' ', '\t']) {
        format!("label '{key}' contains whitespaces")
    } else {
        return Ok(());
    };
    Err(format!(
        "invalid argument \"{value}\" for \"--label\" flag: {why}"
    ))
}

/// `docker volume create [NAME]`: `POST /volumes/create`; prints the volume's name.
pub(super) fn create(api: &Connector, args: VolumeCreateArgs, cmd: &str) -> ExitCode {
    if args.names.len() > 1 {
        return args_error(cmd, "requires at most 1 argument");
    }
    if let Some(problem) = args.label.iter().find_map(|l| check_label(l).err()) {
        return flag_error(cmd, &problem);
    }
    let name = match (args.names.first(), args.name) {
        (Some(_), Some(_)) => {
            eprintln!(
                "conflicting options: cannot specify a volume-name through both --name and as a positional arg"
            );
            return 1;
        }
        (Some(name), None) => name.clone(),
        (None, name) => name.unwrap_or_default(),
    };
    let body = VolumeCreateBody {
        name,
        driver: args.driver,
        driver_opts: kvfile::key_values(&args.opt),
        labels: kvfile::key_values(&args.label),
    };
    match api
        .client()
        .and_then(|c| c.post_json::<Volume>("/volumes/create", &body))
    {
        Ok(volume) => {
            println!("{}", volume.name);
            0
        }
        Err(e) => api_error(&e),
    }
}

/// The headers of `volume ls --format 'table …'`.
const LS_HEADERS: [(&str, &str); 10] = [
    ("Name", "VOLUME NAME"),
    ("Driver", "DRIVER"),
    ("Scope", "SCOPE"),
    ("Mountpoint", "MOUNTPOINT"),
    ("Labels", "LABELS"),
    ("Links", "LINKS"),
    ("Size", "SIZE"),
    ("Group", "GROUP"),
    ("Availability", "AVAILABILITY"),
    ("Status", "STATUS"),
];

/// One row of `volume ls`, with the docker CLI's field names: the labels as `k=v,…`, the
/// usage `N/A` (only `system df -v` has it), the cluster fields `N/A`.
pub(super) fn ls_row(volume: &Volume) -> Value {
    let labels: Vec<String> = volume
        .labels
        .iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let (links, size) = match volume.usage_data {
        Some(usage) => (
            usage.ref_count.to_string(),
            human_size(usage.size.max(0) as u64, 3),
        ),
        None => ("N/A".to_owned(), "N/A".to_owned()),
    };
    json!({
        "Availability": "N/A",
        "Driver": volume.driver,
        "Group": "N/A",
        "Labels": labels.join(","),
        "Links": links,
        "Mountpoint": volume.mountpoint,
        "Name": volume.name,
        "Scope": volume.scope,
        "Size": size,
        "Status": "N/A",
    })
}

/// `docker volume ls`: `GET /volumes?filters=` (the daemon checks the filters).
pub(super) fn ls(api: &Connector, args: VolumeLsArgs, cmd: &str) -> ExitCode {
    if !args.extra.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let filters = match parse_filters(cmd, "-f, --filter", &args.filter) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let path = match filters.is_empty() {
        true => "/volumes".to_owned(),
        false => format!("/volumes?{}", query(&[("filters", &filters.to_json())])),
    };
    let list: VolumeList = match api.client().and_then(|c| c.get_json(&path)) {
        Ok(list) => list,
        Err(e) => return api_error(&e),
    };
    let rows: Vec<Value> = list.volumes.iter().map(ls_row).collect();
    let format = match (args.quiet, args.format.as_deref()) {
        (true, _) => "{{.Name}}",
        (false, Some("json")) => "{{json .}}",
        (false, Some(f)) if !f.is_empty() && f != "table" => f,
        _ => "table {{.Driver}}\t{{.Name}}",
    };
    print_rendered(format_rows(format, &rows, &LS_HEADERS))
}

/// `GET /volumes/{name}`.
fn inspect_volume(api: &Connector, name: &str) -> Result<Volume, ClientError> {
    api.client()?.get_json(&format!("/volumes/{}", path_escape(name)))
}

/// `docker volume inspect VOLUME...`.
pub(super) fn inspect(api: &Connector, args: VolumeInspectArgs, cmd: &str) -> ExitCode {
    if args.names.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    print_inspected(&args.names, args.format.as_deref(), |name| {
        inspect_volume(api, name).map_err(|e| lookup_error(&e))
    })
}

/// `docker volume rm [-f] VOLUME...`: `DELETE /volumes/{name}?force=` each; prints each name
/// removed, then the errors, exit 1 if any.
pub(super) fn rm(api: &Connector, args: VolumeRmArgs, cmd: &str) -> ExitCode {
    if args.names.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let mut errors = Vec::new();
    for name in &args.names {
        let mut path = format!("/volumes/{}", path_escape(name));
        if args.force {
            path.push_str("?force=1");
        }
        match api.client().and_then(|c| c.delete(&path)) {
            Ok(()) => println!("{name}"),
            Err(e) => errors.push(e),
        }
    }
    let mut status = 0;
    for e in &errors {
        status = api_error(e);
    }
    status
}

/// What API 1.41 prunes: every unused volume, named or anonymous.
const PRUNE_WARNING: &str = "WARNING! This will remove all local volumes not used by at least one container.";

/// `docker volume prune`: `POST /volumes/prune?filters=` once confirmed.
pub(super) fn prune(api: &Connector, args: VolumePruneArgs, cmd: &str) -> ExitCode {
    if !args.extra.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let filters = match parse_filters(cmd, "--filter", &args.filter) {
        Ok(f) => f,
        Err(code) => return code,
    };
    if !args.force && !confirm(PRUNE_WARNING) {
        return 0;
    }
    let path = match filters.is_empty() {
        true => "/volumes/prune".to_owned(),
        false => format!("/volumes/prune?{}", query(&[("filters", &filters.to_json())])),
    };
    let report: VolumePruneReport = match api
        .client()
        .and_then(|c| c.request(Method::POST, &path, RequestBody::Empty))
        .and_then(|response| response.json())
    {
        Ok(report) => report,
        Err(e) => return api_error(&e),
    };
    let mut out = String::new();
    if !report.volumes_deleted.is_empty() {
        out.push_str("Deleted Volumes:\n");
        for name in &report.volumes_deleted {
            out.push_str(name);
            out.push('\n');
        }
        out.push('\n');
    }
    out.push_str(&format!(
        "Total reclaimed space: {}\n",
        human_size(report.space_reclaimed, 4)
    ));
    print!("{out}");
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_checked_as_the_docker_cli_checks_them() {
        check_label("a=b").unwrap();
        check_label("a").unwrap();
        assert_eq!(
            check_label("=x").unwrap_err(),
            "invalid argument \"=x\" for \"--label\" flag: invalid label '=x': empty name"
        );
        assert_eq!(
            check_label("a b=x").unwrap_err(),
            "invalid argument \"a b=x\" for \"--label\" flag: label 'a b' contains whitespaces"
        );
    }

    #[test]
    fn a_row_has_the_docker_clis_fields() {
        let volume = Volume {
            created_at: String::new(),
            driver: "local".into(),
            labels: Some(std::collections::BTreeMap::from([
                ("x".into(), "1".into()),
                ("y".into(), String::new()),
            ])),
            mountpoint: "/v/_data".into(),
            name: "v".into(),
            options: None,
            scope: "local".into(),
            usage_data: None,
        };
        assert_eq!(
            ls_row(&volume).to_string(),
            r#"{"Availability":"N/A","Driver":"local","Group":"N/A","Labels":"x=1,y=","Links":"N/A","Mountpoint":"/v/_data","Name":"v","Scope":"local","Size":"N/A","Status":"N/A"}"#
        );
    }
}
