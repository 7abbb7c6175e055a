//! `image inspect`, `container inspect` and `inspect`: the JSON array Docker prints, or a
//! template per object.
//!
//! `inspect` looks names up as Docker does: among containers, then images, then networks;
//! volumes join it when they can be inspected.

use clap::Args;
use hyper::Method;
use serde::Serialize;
use serde_json::Value;

use super::lifecycle::{container_path, with_query};
use super::{ExitCode, args_error};
use crate::client::autostart::Connector;
use crate::client::{ClientError, RequestBody, path_escape, percent_encode};
use crate::engine::ImageInspect;
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

// ANCHOR: indent_json
/// Go's `json.Indent` with four spaces, as the Docker CLI prints what it inspected: the
/// daemon's JSON as it came (fields in the daemon's order), a line per value, `[]` and `{}`
/// kept whole.
fn indent_json(raw: &[u8]) -> String {
    let mut out = Vec::with_capacity(raw.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 4));
    };
    let mut bytes = raw.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        if in_string {
            out.push(b);
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                in_string = true;
                out.push(b);
            }
            b'{' | b'[' => {
                out.push(b);
                while bytes.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    bytes.next();
                }
                if let Some(&close @ (b'}' | b']')) = bytes.peek() {
                    out.push(close);
                    bytes.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(b);
            }
            b',' => {
                out.push(b);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
// ANCHOR_END: indent_json

/// Print the objects found, each the JSON the daemon sent (an array of them, indented; compact
/// with `--format json`; or each through the template), then the errors; exit 1 if any. A
/// template that does not parse is exit 64, before anything is looked up.
pub(super) fn print_inspected_json<F>(names: &[String], format: Option<&str>, mut lookup: F) -> ExitCode
where
    F: FnMut(&str) -> Result<Vec<u8>, String>,
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
    let mut found: Vec<Vec<u8>> = Vec::new();
    let mut errors = Vec::new();
    let mut out = String::new();
    for name in names {
        match lookup(name) {
            Ok(raw) => match &template {
                Some(t) => match serde_json::from_slice::<Value>(&raw)
                    .map_err(|e| e.to_string())
                    .and_then(|v| t.render(&v).map_err(|e| e.to_string()))
                {
                    Ok(text) => {
                        out.push_str(&text);
                        out.push('\n');
                    }
                    Err(e) => errors.push(e),
                },
                None => found.push(raw),
            },
            Err(e) => errors.push(e),
        }
    }
    let array = format!(
        "[{}]",
        found
            .iter()
            .map(|raw| String::from_utf8_lossy(raw))
            .collect::<Vec<_>>()
            .join(",")
    );
    match (format, &template) {
        // the docker CLI prints `--format json` compact, without a final newline
        (Some("json"), _) => out.push_str(&array),
        (_, None) => {
            out.push_str(&indent_json(array.as_bytes()));
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

/// [`print_inspected_json`] for objects at hand (serialized as the daemon would send them).
pub(super) fn print_inspected<T, F>(names: &[String], format: Option<&str>, mut lookup: F) -> ExitCode
where
    T: Serialize,
    F: FnMut(&str) -> Result<T, String>,
{
    print_inspected_json(names, format, |name| {
        lookup(name).and_then(|found| serde_json::to_vec(&found).map_err(|e| e.to_string()))
    })
}

/// `GET /images/{name}/json`: the image, or the error as the docker CLI prints it (`Error
/// response from daemon: no such image: …`). `inspect` looks images up with it too.
pub(super) fn inspect_image(api: &Connector, name: &str) -> Result<ImageInspect, ClientError> {
    api.client()?
        .get_json(&format!("/images/{}/json", path_escape(name)))
}

/// A failed lookup as `inspect` lists it among its errors: the daemon's answer after
/// `Error response from daemon:`, anything else (no daemon) as it is.
pub(super) fn lookup_error(e: &ClientError) -> String {
    match e {
        ClientError::Daemon { message, .. } => format!("Error response from daemon: {message}"),
        other => other.to_string(),
    }
}

/// `docker image inspect IMAGE...`.
pub(super) fn image_inspect(api: &Connector, args: ImageInspectArgs, cmd: &str) -> ExitCode {
    if args.images.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    print_inspected(&args.images, args.format.as_deref(), |name| {
        inspect_image(api, name).map_err(|e| lookup_error(&e))
    })
}

/// One way to look a name up: the object's JSON, or why not.
type RawLookup<'a> = dyn Fn() -> Result<Vec<u8>, ClientError> + 'a;

/// `GET path`'s body as it came.
fn raw_json(api: &Connector, path: &str) -> Result<Vec<u8>, ClientError> {
    api.client()?
        .request(Method::GET, path, RequestBody::Empty)?
        .bytes()
}

/// `GET /containers/{name}/json`, with the sizes when asked (`-s`).
fn container_json(api: &Connector, name: &str, size: bool) -> Result<Vec<u8>, ClientError> {
    let params: &[(&str, &str)] = if size { &[("size", "1")] } else { &[] };
    raw_json(api, &with_query(container_path(name, "/json"), params))
}

/// `docker container inspect CONTAINER...`.
pub(super) fn container_inspect(api: &Connector, args: ContainerInspectArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    print_inspected_json(&args.containers, args.format.as_deref(), |name| {
        container_json(api, name, args.size).map_err(|e| lookup_error(&e))
    })
}

/// `docker inspect NAME...`: each name looked up as a container, then an image, then a
/// network (only the `--type` asked for, if one was), as the Docker CLI does through the
/// API: a kind that does not have it answers 404 and the next is asked.
pub(super) fn inspect(api: &Connector, args: InspectArgs, cmd: &str) -> ExitCode {
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
    let kind = args.kind.clone().unwrap_or_default();
    print_inspected_json(&args.names, args.format.as_deref(), |name| {
        let kinds: [(&str, &RawLookup); 3] = [
            ("container", &|| container_json(api, name, args.size)),
            ("image", &|| {
                raw_json(api, &format!("/images/{}/json", path_escape(name)))
            }),
            ("network", &|| {
                raw_json(api, &format!("/networks/{}", percent_encode(name)))
            }),
        ];
        for (object_type, lookup) in kinds {
            if !kind.is_empty() && kind != object_type {
                continue;
            }
            match lookup() {
                Ok(raw) => return Ok(raw),
                Err(e) if kind.is_empty() && e.is_not_found() => continue,
                Err(e) => return Err(lookup_error(&e)),
            }
        }
        Err(format!("Error: No such object: {name}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_indented_like_dockers() {
        let raw = br#"[{"Id":"x","RepoTags":[],"Data":{"A":"b, \"c\": [d]"},"Empty":{ },"N":[1,2]}]"#;
        assert_eq!(
            indent_json(raw),
            "[\n    {\n        \"Id\": \"x\",\n        \"RepoTags\": [],\n        \"Data\": {\n            \"A\": \"b, \\\"c\\\": [d]\"\n        },\n        \"Empty\": {},\n        \"N\": [\n            1,\n            2\n        ]\n    }\n]"
        );
        assert_eq!(indent_json(b"[]"), "[]");
    }

    #[test]
    fn indenting_matches_serde_jsons_pretty_printer() {
        let v = serde_json::json!([{"Id": "x", "Tags": [], "Map": {}, "Nested": {"A": [1, {"B": null}], "S": "{[,:]}"}}]);
        let mut pretty = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
        v.serialize(&mut serde_json::Serializer::with_formatter(
            &mut pretty,
            formatter,
        ))
        .unwrap();
        assert_eq!(
            indent_json(&serde_json::to_vec(&v).unwrap()),
            String::from_utf8(pretty).unwrap()
        );
    }
}
