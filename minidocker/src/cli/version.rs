//! `docker version`: the client's own versions, then the daemon's (`GET /version`), laid out
//! as the Docker CLI lays them out, or through `--format`.

use clap::Args;
use serde_json::{Value, json};

use super::{ExitCode, args_error};
use crate::client::API_VERSION;
use crate::client::autostart::Connector;
use crate::format::Template;

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Format output using a custom template ('json', or a Go template)
    #[arg(short = 'f', long, value_name = "string")]
    pub format: Option<String>,
    #[arg(hide = true)]
    pub rest: Vec<String>,
}

/// The client's half of `version`, with the Docker CLI's field names (`{{.Client.Version}}`).
pub(super) fn client_version() -> Value {
    json!({
        "Platform": {"Name": "minidocker"},
        "Version": env!("CARGO_PKG_VERSION"),
        "ApiVersion": API_VERSION,
        "DefaultAPIVersion": API_VERSION,
        "GitCommit": "",
        "GoVersion": "",
        "Os": std::env::consts::OS,
        "Arch": std::env::consts::ARCH.replace("x86_64", "amd64").replace("aarch64", "arm64"),
        "BuildTime": "",
        "Context": "default",
    })
}

/// `label` padded as Go's tabwriter pads the Docker CLI's version table (minimum width 20,
/// padding 1), then `value`.
pub(super) fn field(label: &str, value: &str) -> String {
    let width = (label.chars().count() + 1).max(20);
    format!("{label:<width$}{value}\n")
}

fn text(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn platform_suffix(v: &Value) -> String {
    match v["Platform"]["Name"].as_str() {
        Some(name) if !name.is_empty() => format!(" {name}"),
        _ => String::new(),
    }
}

/// `Client:`, as the Docker CLI's default version template prints it.
fn client_section(client: &Value) -> String {
    let mut out = format!("Client:{}\n", platform_suffix(client));
    let mut api = text(client, "ApiVersion");
    if api != text(client, "DefaultAPIVersion") {
        api = format!("{api} (downgraded from {})", text(client, "DefaultAPIVersion"));
    }
    out.push_str(&field(" Version:", &text(client, "Version")));
    out.push_str(&field(" API version:", &api));
    out.push_str(&field(" Go version:", &text(client, "GoVersion")));
    out.push_str(&field(" Git commit:", &text(client, "GitCommit")));
    out.push_str(&field(" Built:", &text(client, "BuildTime")));
    out.push_str(&field(
        " OS/Arch:",
        &format!("{}/{}", text(client, "Os"), text(client, "Arch")),
    ));
    out.push_str(&field(" Context:", &text(client, "Context")));
    out
}

/// `Server:` and its components, as the Docker CLI's default version template prints them.
fn server_section(server: &Value) -> String {
    let mut out = format!("Server:{}\n", platform_suffix(server));
    for component in server["Components"].as_array().into_iter().flatten() {
        let details = &component["Details"];
        out.push_str(&format!(" {}:\n", text(component, "Name")));
        if component["Name"] == "Engine" {
            out.push_str(&field("  Version:", &text(component, "Version")));
            out.push_str(&field(
                "  API version:",
                &format!(
                    "{} (minimum version {})",
                    text(details, "ApiVersion"),
                    text(details, "MinAPIVersion")
                ),
            ));
            out.push_str(&field("  Go version:", &text(details, "GoVersion")));
            out.push_str(&field("  Git commit:", &text(details, "GitCommit")));
            out.push_str(&field("  Built:", &text(details, "BuildTime")));
            out.push_str(&field(
                "  OS/Arch:",
                &format!("{}/{}", text(details, "Os"), text(details, "Arch")),
            ));
            out.push_str(&field("  Experimental:", &text(details, "Experimental")));
        } else {
            out.push_str(&field("  Version:", &text(component, "Version")));
            for (key, value) in details.as_object().into_iter().flatten() {
                out.push_str(&field(&format!("  {key}:"), value.as_str().unwrap_or_default()));
            }
        }
    }
    out
}

/// `docker version [--format F]`: the client's part even when the daemon cannot be reached
/// (then its error, exit 1).
pub(super) fn version(api: &Connector, args: VersionArgs, cmd: &str) -> ExitCode {
    if !args.rest.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let template = match args.format.as_deref() {
        None | Some("") => None,
        Some("json") => Some(Template::parse("{{json .}}")),
        Some(f) => Some(Template::parse(&f.replace("\\t", "\t").replace("\\n", "\n"))),
    };
    let template = match template.transpose() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("template parsing error: {e}");
            return 64;
        }
    };
    let client = client_version();
    let server = api.client().and_then(|c| c.get_json::<Value>("/version"));
    match &template {
        Some(t) => {
            let dot = json!({"Client": client, "Server": server.as_ref().ok()});
            match t.render(&dot) {
                Ok(text) => println!("{text}"),
                Err(e) => {
                    eprintln!("template: {e}");
                    return 1;
                }
            }
        }
        None => {
            print!("{}", client_section(&client));
            if let Ok(server) = &server {
                print!("\n{}", server_section(server));
            }
        }
    }
    match server {
        Ok(_) => 0,
        Err(e) => super::api_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_section_is_laid_out_like_the_docker_clis() {
        // Docker 20.10's /version, the Engine part
        let server = json!({
            "Platform": {"Name": ""},
            "Components": [{"Name": "Engine", "Version": "20.10.24+dfsg1", "Details": {
                "ApiVersion": "1.41", "Arch": "amd64", "BuildTime": "Thu May  7 21:09:36 2026",
                "Experimental": "false", "GitCommit": "5d6db84", "GoVersion": "go1.19.8",
                "MinAPIVersion": "1.12", "Os": "linux"}}],
        });
        assert_eq!(
            server_section(&server),
            "Server:\n Engine:\n  Version:          20.10.24+dfsg1\n  API version:      1.41 (minimum version 1.12)\n  Go version:       go1.19.8\n  Git commit:       5d6db84\n  Built:            Thu May  7 21:09:36 2026\n  OS/Arch:          linux/amd64\n  Experimental:     false\n"
        );
    }
}
