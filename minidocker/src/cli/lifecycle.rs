//! A container's life from the command line, one request per container: `stop`, `kill`,
//! `restart`, `wait`, `rename`, `pause`, `unpause` and `rm`.
//!
//! Docker's way with several names: each one is tried in turn; the ones that worked are
//! printed on stdout as they are done, the errors after them on stderr, one a line; exit 1
//! if any failed, having done the rest.

use clap::Args;
use hyper::Method;
use serde::Deserialize;

use super::inspect::lookup_error;
use super::{ExitCode, args_error};
use crate::client::autostart::Connector;
use crate::client::{Client, ClientError, RequestBody, percent_encode, query};

/// `/containers/{name}{rest}`, the name escaped for the path.
pub(super) fn container_path(name: &str, rest: &str) -> String {
    format!("/containers/{}{rest}", percent_encode(name))
}

/// `path?k=v&…`, or `path` alone without parameters.
pub(super) fn with_query(path: String, params: &[(&str, &str)]) -> String {
    match params.is_empty() {
        true => path,
        false => format!("{path}?{}", query(params)),
    }
}

/// Runs `action` on each of `names`; the line it returns (a name, an exit code) is printed on
/// stdout, the errors last on stderr. Exit 1 if any failed.
pub(super) fn for_each_container(
    api: &Connector,
    names: &[String],
    action: impl Fn(&Client, &str) -> Result<Option<String>, ClientError>,
) -> ExitCode {
    let client = match api.client() {
        Ok(client) => client,
        Err(e) => return super::api_error(&e),
    };
    let errors: Vec<String> = names
        .iter()
        .filter_map(|name| match action(client, name) {
            Ok(line) => {
                if let Some(line) = line {
                    println!("{line}");
                }
                None
            }
            Err(e) => Some(lookup_error(&e)),
        })
        .collect();
    if errors.is_empty() {
        return 0;
    }
    eprintln!("{}", errors.join("\n"));
    1
}

/// `POST /containers/{name}{action}?{params}` without a body.
fn post(client: &Client, name: &str, action: &str, params: &[(&str, &str)]) -> Result<(), ClientError> {
    client.post(&with_query(container_path(name, action), params))
}

#[derive(Debug, Args)]
pub struct StopArgs {
    /// Seconds to wait before killing the container
    #[arg(short = 't', long = "timeout", value_name = "int", allow_hyphen_values = true)]
    pub timeout: Option<i64>,
    #[arg(hide = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal to send to the container
    #[arg(short = 's', long = "signal", value_name = "string")]
    pub signal: Option<String>,
    #[arg(hide = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ContainersArgs {
    #[arg(hide = true)]
    pub containers: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RenameArgs {
    #[arg(hide = true)]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL)
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Remove anonymous volumes associated with the container
    #[arg(short = 'v', long)]
    pub volumes: bool,
    #[arg(hide = true)]
    pub containers: Vec<String>,
}

/// The `t=` of `stop` and `restart`: only when `-t` was given (the daemon's default is 10 s).
fn timeout_param(timeout: Option<i64>) -> Vec<(&'static str, String)> {
    timeout.map(|t| ("t", t.to_string())).into_iter().collect()
}

fn pairs<'a>(params: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    params.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// `docker stop [-t N] CONTAINER...`: `POST /containers/{id}/stop?t=N` each.
pub(super) fn stop(api: &Connector, args: StopArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let params = timeout_param(args.timeout);
    for_each_container(api, &args.containers, |client, name| {
        post(client, name, "/stop", &pairs(&params)).map(|()| Some(name.to_owned()))
    })
}

/// `docker restart [-t N] CONTAINER...`: `POST /containers/{id}/restart?t=N` each.
pub(super) fn restart(api: &Connector, args: StopArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let params = timeout_param(args.timeout);
    for_each_container(api, &args.containers, |client, name| {
        post(client, name, "/restart", &pairs(&params)).map(|()| Some(name.to_owned()))
    })
}

/// `docker kill [-s SIGNAL] CONTAINER...`: `POST /containers/{id}/kill?signal=` each (the
/// daemon's default is SIGKILL).
pub(super) fn kill(api: &Connector, args: KillArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let signal = args.signal.unwrap_or_default();
    for_each_container(api, &args.containers, |client, name| {
        let params: &[(&str, &str)] = if signal.is_empty() {
            &[]
        } else {
            &[("signal", &signal)]
        };
        post(client, name, "/kill", params).map(|()| Some(name.to_owned()))
    })
}

/// `docker pause CONTAINER...`.
pub(super) fn pause(api: &Connector, args: ContainersArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    for_each_container(api, &args.containers, |client, name| {
        post(client, name, "/pause", &[]).map(|()| Some(name.to_owned()))
    })
}

/// `docker unpause CONTAINER...`.
pub(super) fn unpause(api: &Connector, args: ContainersArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    for_each_container(api, &args.containers, |client, name| {
        post(client, name, "/unpause", &[]).map(|()| Some(name.to_owned()))
    })
}

/// The body `wait` answers with once the container has stopped.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WaitResponse {
    status_code: i64,
    #[serde(default)]
    error: Option<WaitError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WaitError {
    #[serde(default)]
    message: String,
}

/// `POST /containers/{name}/wait`: its exit code once it has stopped.
pub(super) fn wait_for_exit(client: &Client, name: &str) -> Result<i64, ClientError> {
    let waited: WaitResponse = client
        .request(Method::POST, &container_path(name, "/wait"), RequestBody::Empty)?
        .json()?;
    match waited.error {
        Some(e) if !e.message.is_empty() => Err(ClientError::Daemon {
            status: 500,
            message: e.message,
        }),
        _ => Ok(waited.status_code),
    }
}

/// `docker wait CONTAINER...`: each one's exit code, a line each, once it has stopped.
pub(super) fn wait(api: &Connector, args: ContainersArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    for_each_container(api, &args.containers, |client, name| {
        wait_for_exit(client, name).map(|code| Some(code.to_string()))
    })
}

/// `docker rm [-f] [-v] CONTAINER...`: `DELETE /containers/{id}?force=&v=` each. With `-f`
/// a container that is not there is only reported (the Docker CLI's exit code stays 0).
pub(super) fn rm(api: &Connector, args: RmArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let mut params = Vec::new();
    if args.force {
        params.push(("force", "1"));
    }
    if args.volumes {
        params.push(("v", "1"));
    }
    for_each_container(api, &args.containers, |client, name| {
        match client.delete(&with_query(container_path(name, ""), &params)) {
            Ok(()) => Ok(Some(name.to_owned())),
            Err(e) if args.force && e.is_not_found() => {
                eprintln!("{}", lookup_error(&e));
                Ok(None)
            }
            Err(e) => Err(e),
        }
    })
}

/// `docker rename CONTAINER NEW_NAME`: `POST /containers/{id}/rename?name=`.
pub(super) fn rename(api: &Connector, args: RenameArgs, cmd: &str) -> ExitCode {
    let [old, new] = args.names.as_slice() else {
        return args_error(cmd, "requires 2 arguments");
    };
    let (old, new) = (old.trim(), new.trim());
    if old.is_empty() || new.is_empty() {
        eprintln!("Error: Neither old nor new names may be empty");
        return 1;
    }
    let renamed = api
        .client()
        .and_then(|client| post(client, old, "/rename", &[("name", new)]));
    match renamed {
        Ok(()) => 0,
        Err(e) => {
            // the daemon's answer, then the Docker CLI's own line
            eprintln!("{}", lookup_error(&e));
            eprintln!("Error: failed to rename container named {old}");
            1
        }
    }
}
