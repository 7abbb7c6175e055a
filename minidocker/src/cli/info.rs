//! `docker info`: the client's few lines, then what the daemon says of itself (`GET /info`)
//! in the Docker CLI's layout, for the fields minidocker's daemon has; or through `--format`.

use clap::Args;
use serde_json::{Value, json};

use super::version::client_version;
use super::{ExitCode, args_error};
use crate::client::autostart::Connector;
use crate::format::Template;

#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Format output using a custom template ('json', or a Go template)
    #[arg(short = 'f', long, value_name = "string")]
    pub format: Option<String>,
    #[arg(hide = true)]
    pub rest: Vec<String>,
}

/// A value as Go's `fmt` prints it in `info`: strings bare, numbers and booleans as they are.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().map(text).collect()
}

/// `Client:`: the CLI's own version, its context and debug mode.
fn client_section(client: &Value, debug: bool) -> String {
    format!(
        "Client:\n Version:    {}\n Context:    {}\n Debug Mode: {debug}\n",
        text(&client["Version"]),
        text(&client["Context"])
    )
}

/// `Server:`, in the order and with the conditions of the Docker CLI's
/// `prettyPrintServerInfo`.
fn server_section(info: &Value) -> String {
    let mut out = String::from("Server:\n");
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line(format!(" Containers: {}", text(&info["Containers"])));
    line(format!("  Running: {}", text(&info["ContainersRunning"])));
    line(format!("  Paused: {}", text(&info["ContainersPaused"])));
    line(format!("  Stopped: {}", text(&info["ContainersStopped"])));
    line(format!(" Images: {}", text(&info["Images"])));
    line(format!(" Server Version: {}", text(&info["ServerVersion"])));
    line(format!(" Storage Driver: {}", text(&info["Driver"])));
    for pair in info["DriverStatus"].as_array().into_iter().flatten() {
        if let [key, value] = strings(pair).as_slice() {
            line(format!("  {key}: {value}"));
        }
    }
    line(format!(" Logging Driver: {}", text(&info["LoggingDriver"])));
    line(format!(" Cgroup Driver: {}", text(&info["CgroupDriver"])));
    if !text(&info["CgroupVersion"]).is_empty() {
        line(format!(" Cgroup Version: {}", text(&info["CgroupVersion"])));
    }
    line(" Plugins:".into());
    let plugins = &info["Plugins"];
    line(format!("  Volume: {}", strings(&plugins["Volume"]).join(" ")));
    line(format!("  Network: {}", strings(&plugins["Network"]).join(" ")));
    let authorization = strings(&plugins["Authorization"]);
    if !authorization.is_empty() {
        line(format!("  Authorization: {}", authorization.join(" ")));
    }
    line(format!("  Log: {}", strings(&plugins["Log"]).join(" ")));
    let swarm = text(&info["Swarm"]["LocalNodeState"]);
    line(format!(
        " Swarm: {}",
        if swarm.is_empty() {
            "inactive".into()
        } else {
            swarm
        }
    ));
    let runtimes: Vec<&String> = info["Runtimes"]
        .as_object()
        .map(|r| r.keys().collect())
        .unwrap_or_default();
    if !runtimes.is_empty() {
        let names: Vec<&str> = runtimes.iter().map(|s| s.as_str()).collect();
        line(format!(" Runtimes: {}", names.join(" ")));
        line(format!(" Default Runtime: {}", text(&info["DefaultRuntime"])));
    }
    if info["OSType"] == "linux" {
        line(format!(" Init Binary: {}", text(&info["InitBinary"])));
        for (name, key) in [
            ("containerd", "ContainerdCommit"),
            ("runc", "RuncCommit"),
            ("init", "InitCommit"),
        ] {
            let id = text(&info[key]["ID"]);
            let expected = text(&info[key]["Expected"]);
            let mut version = format!(" {name} version: {id}");
            if id != expected {
                version.push_str(&format!(" (expected: {expected})"));
            }
            line(version);
        }
        let security = strings(&info["SecurityOptions"]);
        if !security.is_empty() {
            line(" Security Options:".into());
            for option in security {
                // `name=seccomp,profile=default`: the name, then its other keys below it
                let mut parts = option.split(',');
                let name = parts.next().unwrap_or_default();
                line(format!("  {}", name.strip_prefix("name=").unwrap_or(name)));
                for part in parts {
                    let (k, v) = part.split_once('=').unwrap_or((part, ""));
                    let mut key = k.to_owned();
                    if let Some(first) = key.get_mut(0..1) {
                        first.make_ascii_uppercase();
                    }
                    line(format!("   {key}: {v}"));
                }
            }
        }
    }
    line(format!(" Kernel Version: {}", text(&info["KernelVersion"])));
    // the Docker CLI's fprintlnNonEmpty: these lines only with a value
    for (label, key) in [
        ("Operating System", "OperatingSystem"),
        ("OSType", "OSType"),
        ("Architecture", "Architecture"),
    ] {
        let value = text(&info[key]);
        if !value.is_empty() {
            line(format!(" {label}: {value}"));
        }
    }
    line(format!(" CPUs: {}", text(&info["NCPU"])));
    line(format!(
        " Total Memory: {}",
        ch06_cgroups::size::bytes_size(info["MemTotal"].as_f64().unwrap_or(0.0))
    ));
    for (label, key) in [("Name", "Name"), ("ID", "ID")] {
        let value = text(&info[key]);
        if !value.is_empty() {
            line(format!(" {label}: {value}"));
        }
    }
    line(format!(" Docker Root Dir: {}", text(&info["DockerRootDir"])));
    let debug = info["Debug"].as_bool().unwrap_or(false);
    line(format!(" Debug Mode: {debug}"));
    if debug {
        line(format!("  File Descriptors: {}", text(&info["NFd"])));
        line(format!("  Goroutines: {}", text(&info["NGoroutines"])));
        line(format!("  System Time: {}", text(&info["SystemTime"])));
        line(format!("  EventsListeners: {}", text(&info["NEventsListener"])));
    }
    let labels = strings(&info["Labels"]);
    if !labels.is_empty() {
        line(" Labels:".into());
        for label in labels {
            line(format!("  {label}"));
        }
    }
    line(format!(" Experimental: {}", text(&info["ExperimentalBuild"])));
    let registry = &info["RegistryConfig"];
    let insecure = strings(&registry["InsecureRegistryCIDRs"]);
    let insecure_indexes: Vec<&String> = registry["IndexConfigs"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, index)| index["Secure"] == false)
        .map(|(name, _)| name)
        .collect();
    if !insecure.is_empty() || !insecure_indexes.is_empty() {
        line(" Insecure Registries:".into());
        for name in insecure_indexes {
            line(format!("  {name}"));
        }
        for cidr in insecure {
            line(format!("  {cidr}"));
        }
    }
    let mirrors = strings(&registry["Mirrors"]);
    if !mirrors.is_empty() {
        line(" Registry Mirrors:".into());
        for mirror in mirrors {
            line(format!("  {mirror}"));
        }
    }
    line(format!(
        " Live Restore Enabled: {}",
        text(&info["LiveRestoreEnabled"])
    ));
    // and a blank line to end it, as the Docker CLI's
    line(String::new());
    out
}

/// `docker info [--format F]`: the daemon's warnings go to stderr, as the Docker CLI's.
pub(super) fn info(api: &Connector, args: InfoArgs, debug: bool, cmd: &str) -> ExitCode {
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
    let server = api.client().and_then(|c| c.get_json::<Value>("/info"));
    if let Some(t) = &template {
        let mut dot = server.as_ref().ok().cloned().unwrap_or_else(|| json!({}));
        dot["ClientInfo"] = json!({
            "Debug": debug,
            "Version": client["Version"],
            "Context": client["Context"],
            "Plugins": [],
            "Warnings": null,
        });
        return match t.render(&dot) {
            Ok(text) => {
                println!("{text}");
                match server {
                    Ok(_) => 0,
                    Err(e) => super::api_error(&e),
                }
            }
            Err(e) => {
                eprintln!("template: {e}");
                1
            }
        };
    }
    print!("{}", client_section(&client, debug));
    match server {
        Ok(info) => {
            print!("\n{}", server_section(&info));
            for warning in strings(&info["Warnings"]) {
                eprintln!("{warning}");
            }
            0
        }
        Err(e) => {
            println!();
            println!("Server:");
            super::api_error(&e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_come_first_and_memory_is_in_binary_units() {
        let info = json!({
            "Containers": 9, "ContainersRunning": 3, "ContainersPaused": 0, "ContainersStopped": 6,
            "Images": 6, "ServerVersion": "20.10.24+dfsg1", "Driver": "overlay2",
            "DriverStatus": [["Backing Filesystem", "extfs"]], "MemTotal": 25_276_510_208u64,
            "OSType": "linux", "SecurityOptions": ["name=seccomp,profile=default"],
            "RegistryConfig": {"InsecureRegistryCIDRs": ["127.0.0.0/8"], "IndexConfigs": {}},
        });
        let text = server_section(&info);
        assert!(
            text.starts_with(
                "Server:\n Containers: 9\n  Running: 3\n  Paused: 0\n  Stopped: 6\n Images: 6\n Server Version: 20.10.24+dfsg1\n Storage Driver: overlay2\n  Backing Filesystem: extfs\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("\n Security Options:\n  seccomp\n   Profile: default\n"),
            "{text}"
        );
        assert!(text.contains("\n Total Memory: 23.54GiB\n"), "{text}");
        assert!(
            text.contains("\n Insecure Registries:\n  127.0.0.0/8\n"),
            "{text}"
        );
    }
}
