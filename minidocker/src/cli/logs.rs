//! `docker logs`: what a container wrote, from its json-file log, through
//! `GET /containers/{id}/logs` (the container is inspected first, as the Docker CLI does,
//! to learn whether it has a TTY: then its output comes raw, otherwise in frames).

use std::io::Write;

use clap::Args;
use hyper::Method;
use serde::Deserialize;

use super::lifecycle::{container_path, with_query};
use super::timestamps::get_timestamp;
use super::{ExitCode, args_error};
use crate::client::attach::copy_frames;
use crate::client::autostart::Connector;
use crate::client::{ClientError, RequestBody};

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Show extra details provided to logs
    #[arg(long)]
    pub details: bool,
    /// Follow log output
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)
    #[arg(long, value_name = "string")]
    pub since: Option<String>,
    /// Number of lines to show from the end of the logs (default "all")
    #[arg(
        short = 'n',
        long,
        value_name = "string",
        default_value = "all",
        hide_default_value = true,
        allow_hyphen_values = true
    )]
    pub tail: String,
    /// Show timestamps
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)
    #[arg(long, value_name = "string")]
    pub until: Option<String>,
    #[arg(hide = true)]
    pub containers: Vec<String>,
}

/// What `logs` needs of `GET /containers/{id}/json`: the id, and whether it has a TTY.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct InspectedTty {
    pub id: String,
    #[serde(default)]
    pub config: TtyConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub(super) struct TtyConfig {
    pub tty: bool,
}

/// The query of `GET /containers/{id}/logs`, as the Docker CLI builds it; the error is its
/// message for a `--since`/`--until` it cannot read.
fn logs_query(args: &LogsArgs) -> Result<Vec<(&'static str, String)>, String> {
    let now = chrono::Utc::now();
    let mut params = vec![("stdout", "1".to_owned()), ("stderr", "1".to_owned())];
    for (key, value) in [("since", &args.since), ("until", &args.until)] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            let t = get_timestamp(value, now).map_err(|e| format!("invalid value for \"{key}\": {e}"))?;
            params.push((key, t));
        }
    }
    for (key, on) in [
        ("timestamps", args.timestamps),
        ("follow", args.follow),
        ("details", args.details),
    ] {
        if on {
            params.push((key, "1".to_owned()));
        }
    }
    params.push(("tail", args.tail.clone()));
    Ok(params)
}

/// `docker logs [OPTIONS] CONTAINER`.
pub(super) fn logs(api: &Connector, args: LogsArgs, cmd: &str) -> ExitCode {
    let [name] = args.containers.as_slice() else {
        return args_error(cmd, "requires 1 argument");
    };
    let params = match logs_query(&args) {
        Ok(p) => p,
        Err(problem) => {
            eprintln!("{problem}");
            return 1;
        }
    };
    let copied = api.client().and_then(|client| {
        let container: InspectedTty = client.get_json(&container_path(name, "/json"))?;
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let path = with_query(container_path(&container.id, "/logs"), &pairs);
        let body = client
            .request(Method::GET, &path, RequestBody::Empty)?
            .into_reader();
        let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
        let copied = match container.config.tty {
            true => std::io::copy(&mut { body }, &mut stdout).and_then(|_| stdout.flush()),
            false => copy_frames(body, &mut stdout, &mut stderr),
        };
        copied.map_err(|source| ClientError::Io {
            what: "copying the container's logs".into(),
            source,
        })
    });
    match copied {
        Ok(()) => 0,
        Err(ClientError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => super::api_error(&e),
    }
}
