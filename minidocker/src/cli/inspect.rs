//! `image inspect`, `container inspect` and `inspect`: the JSON array Docker prints, or a
//! template per object.
//!
//! `inspect` looks names up as Docker does: among containers, then images, then networks;
//! volumes join it when they can be inspected.

use std::path::Path;

use clap::Args;
use serde::Serialize;

use super::{ExitCode, args_error, daemon_error};
use crate::container::ContainerError;
use crate::engine::{ContainerInspect, Engine, EngineError};
use crate::format::Template;

#[derive(Debug, Args)]
pub struct ImageInspectArgs {
    /// Format output using a custom template ('json', or a Go template)
    #[arg(short = 'f', long, value_name = "string")]
    pub format: Option<String>,
    #[arg(hide = true)]
    pub images: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainerInspectArgs {
    /// Format output using a custom template ('json', or a Go template)
    #[arg(short = 'f', long, value_name = "string")]
    pub format: Option<String>,
    /// Display total file sizes
    #[arg(short = 's', long)]
    pub size: bool,
    #[arg(hide = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format output using a custom template ('json', or a Go template)
    #[arg(short = 'f', long, value_name = "string")]
    pub format: Option<String>,
    /// Display total file sizes if the type is container
    #[arg(short = 's', long)]
    pub size: bool,
    /// Only inspect objects of the given type
    #[arg(long = "type", value_name = "string")]
    pub kind: Option<String>,
    #[arg(hide = true)]
    pub names: Vec<String>,
}

/// The object types `docker inspect --type` knows.
const OBJECT_TYPES: [&str; 10] = [
    "config",
    "container",
    "image",
    "network",
    "node",
    "plugin",
    "secret",
    "service",
    "task",
    "volume",
];

/// One object `inspect` found, printed with its own type's field order.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Inspected {
    Container(Box<crate::engine::ContainerInspect>),
    Image(Box<crate::engine::ImageInspect>),
    Network(Box<crate::engine::network::NetworkRecord>),
}

/// Docker's JSON for inspect: 4-space indentation, `[]` when nothing was found.
fn indented_json<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    match value.serialize(&mut ser) {
        Ok(()) => String::from_utf8_lossy(&out).into_owned(),
        Err(e) => format!("{e}"),
    }
}

/// Print the objects found (as JSON or through `format`), then the errors; exit 1 if any.
/// A template that does not parse is exit 64, before anything is looked up.
pub(super) fn print_inspected<T, F>(names: &[String], format: Option<&str>, mut lookup: F) -> ExitCode
where
    T: Serialize,
    F: FnMut(&str) -> Result<T, String>,
{
    let template = match format {
        None | Some("") | Some("json") => None,
        Some(f) => match Template::parse(&f.replace("\\t", "\t").replace("\\n", "\n")) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("{e}");
                return 64;
            }
        },
    };
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut out = String::new();
    for name in names {
        match lookup(name) {
            Ok(inspect) => match &template {
                Some(t) => match serde_json::to_value(&inspect)
                    .map_err(|e| e.to_string())
                    .and_then(|v| t.render(&v).map_err(|e| e.to_string()))
                {
                    Ok(text) => {
                        out.push_str(&text);
                        out.push('\n');
                    }
                    Err(e) => errors.push(e),
                },
                None => found.push(inspect),
            },
            Err(e) => errors.push(e),
        }
    }
    match (format, &template) {
        // the docker CLI prints `--format json` compact, without a final newline
        (Some("json"), _) => out.push_str(&serde_json::to_string(&found).unwrap_or_default()),
        (_, None) => {
            out.push_str(&indented_json(&found));
            out.push('\n');
        }
        _ => {}
    }
    print!("{out}");
    if errors.is_empty() {
        return 0;
    }
    eprintln!("{}", errors.join("\n"));
    1
}

/// `docker image inspect IMAGE...`.
pub(super) fn image_inspect(data_root: &Path, args: ImageInspectArgs, cmd: &str) -> ExitCode {
    if args.images.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return daemon_error(&format!("{e:#}")),
    };
    print_inspected(&args.images, args.format.as_deref(), |name| {
        engine
            .inspect_image(name)
            .map_err(|e| format!("Error response from daemon: no such image: {name}: {e}"))
    })
}

/// Container `name`, or `None` when there is none by that name or id; any other failure is
/// the error to print.
fn find_container(engine: &Engine, name: &str, size: bool) -> Result<Option<ContainerInspect>, String> {
    match engine.inspect_container_with_size(name, size) {
        Ok(c) => Ok(Some(c)),
        Err(EngineError::Container(ContainerError::NotFound(_))) => Ok(None),
        Err(e) => Err(format!("Error response from daemon: {e}")),
    }
}

/// `docker container inspect CONTAINER...`.
pub(super) fn container_inspect(data_root: &Path, args: ContainerInspectArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return daemon_error(&format!("{e:#}")),
    };
    print_inspected(&args.containers, args.format.as_deref(), |name| {
        find_container(&engine, name, args.size)?.ok_or_else(|| format!("Error: No such container: {name}"))
    })
}

/// `docker inspect NAME...`: containers, images and networks.
pub(super) fn inspect(data_root: &Path, args: InspectArgs, cmd: &str) -> ExitCode {
    if args.names.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    match args.kind.as_deref() {
        None | Some("") | Some("container") | Some("image") | Some("network") => {}
        Some(t) if OBJECT_TYPES.contains(&t) => {
            eprintln!(
                "minidocker inspect --type {t}: not supported yet, only containers, images and networks can be inspected"
            );
            return 1;
        }
        Some(t) => {
            let types: Vec<String> = OBJECT_TYPES.iter().map(|t| format!("{t:?}")).collect();
            eprintln!("unknown type: {t:?}: must be one of {}", types.join(", "));
            return 1;
        }
    }
    let engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return daemon_error(&format!("{e:#}")),
    };
    let kind = args.kind.clone().unwrap_or_default();
    print_inspected(&args.names, args.format.as_deref(), |name| {
        if matches!(kind.as_str(), "" | "container") {
            if let Some(c) = find_container(&engine, name, args.size)? {
                return Ok(Inspected::Container(Box::new(c)));
            }
        }
        let image_result = engine.inspect_image(name);
        let image_error = image_result
            .as_ref()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        let image = || image_result.ok().map(|i| Inspected::Image(Box::new(i)));
        let network = || {
            let _ = engine.ensure_predefined_networks();
            let record = engine.networks.find(name).ok()?;
            Some(Inspected::Network(Box::new(engine.inspect_network(&record))))
        };
        let found = match kind.as_str() {
            "container" => None,
            "image" => image(),
            "network" => network(),
            _ => image().or_else(network),
        };
        found.ok_or_else(|| match kind.as_str() {
            "container" => format!("Error: No such container: {name}"),
            "image" => format!("Error response from daemon: no such image: {name}: {image_error}"),
            "network" => format!("Error: No such network: {name}"),
            _ => format!("Error: No such object: {name}"),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_indented_like_dockers() {
        let v = serde_json::json!([{"Id": "x", "RepoTags": [], "Data": {"A": "b"}}]);
        assert_eq!(
            indented_json(&v),
            "[\n    {\n        \"Data\": {\n            \"A\": \"b\"\n        },\n        \"Id\": \"x\",\n        \"RepoTags\": []\n    }\n]"
        );
        assert_eq!(indented_json(&Vec::<serde_json::Value>::new()), "[]");
    }
}
