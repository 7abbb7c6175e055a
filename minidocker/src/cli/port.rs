//! `minidocker port CONTAINER [PRIVATE_PORT[/PROTO]]`: the published ports of a container.

use std::collections::BTreeMap;

use clap::Args;
use serde::Deserialize;

use super::lifecycle::container_path;
use super::{ExitCode, args_error};
use crate::client::autostart::Connector;
use crate::engine::network::{NetworkSettings, PortBinding};

#[derive(Debug, Args)]
pub struct PortArgs {
    #[arg(hide = true)]
    pub args: Vec<String>,
}

/// The lines `port` prints: `80/tcp -> 0.0.0.0:8080` for each binding, sorted by port;
/// with a port asked for, only its `0.0.0.0:8080`s. `None` when that port is not published.
pub fn port_lines(
    ports: &BTreeMap<String, Option<Vec<PortBinding>>>,
    wanted: Option<&str>,
) -> Option<Vec<String>> {
    let mut keys: Vec<&String> = ports.keys().collect();
    // by port number, then protocol, as the docker CLI sorts them
    keys.sort_by_key(|k| {
        let (port, proto) = k.split_once('/').unwrap_or((k, ""));
        (port.parse::<u32>().unwrap_or(0), proto.to_owned())
    });
    let mut lines = Vec::new();
    for key in keys {
        let bindings = ports[key].iter().flatten();
        match wanted {
            Some(w) if w == key => lines.extend(bindings.map(|b| format!("{}:{}", b.host_ip, b.host_port))),
            Some(_) => {}
            None => lines.extend(bindings.map(|b| format!("{key} -> {}:{}", b.host_ip, b.host_port))),
        }
    }
    (wanted.is_none() || !lines.is_empty()).then_some(lines)
}

/// What `port` needs of `GET /containers/{id}/json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InspectedPorts {
    network_settings: NetworkSettings,
}

/// `docker port CONTAINER [PRIVATE_PORT[/PROTO]]`: from the container's inspect.
pub(super) fn port(api: &Connector, args: PortArgs, cmd: &str) -> ExitCode {
    if args.args.is_empty() || args.args.len() > 2 {
        return args_error(cmd, "requires at least 1 and at most 2 arguments");
    }
    let container: InspectedPorts = match api
        .client()
        .and_then(|c| c.get_json(&container_path(&args.args[0], "/json")))
    {
        Ok(c) => c,
        Err(e) => return super::api_error(&e),
    };
    let wanted = args.args.get(1).map(|p| match p.contains('/') {
        true => p.clone(),
        false => format!("{p}/tcp"),
    });
    match port_lines(&container.network_settings.ports, wanted.as_deref()) {
        Some(lines) => {
            for line in lines {
                println!("{line}");
            }
            0
        }
        None => {
            // the port as typed: `'81'`, or `'81/udp'`
            eprintln!(
                "Error: No public port '{}' published for {}",
                args.args[1], args.args[0]
            );
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_listed_by_number_and_one_can_be_asked_for() {
        let binding = |ip: &str, port: &str| PortBinding {
            host_ip: ip.into(),
            host_port: port.into(),
        };
        let ports = [
            ("8080/tcp".to_owned(), Some(vec![binding("0.0.0.0", "49153")])),
            ("80/tcp".to_owned(), Some(vec![binding("127.0.0.1", "8080")])),
            ("53/udp".to_owned(), None),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            port_lines(&ports, None).unwrap(),
            ["80/tcp -> 127.0.0.1:8080", "8080/tcp -> 0.0.0.0:49153"]
        );
        assert_eq!(port_lines(&ports, Some("80/tcp")).unwrap(), ["127.0.0.1:8080"]);
        assert_eq!(port_lines(&ports, Some("53/udp")), None);
    }
}
