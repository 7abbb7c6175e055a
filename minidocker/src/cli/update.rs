//! `update`: change the resource limits of containers, running or not, through
//! `POST /containers/{id}/update`.

use clap::Args;
use serde::Deserialize;

use super::inspect::lookup_error;
use super::lifecycle::container_path;
use super::resources::{Purpose, ResourceFlags};
use super::{ExitCode, args_error, flag_error};
use crate::api_types::HostConfigBody;
use crate::client::autostart::Connector;

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub limits: ResourceFlags,
    #[arg(hide = true)]
    pub containers: Vec<String>,
}

/// The answer of `POST /containers/{id}/update`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct UpdateResponse {
    warnings: Option<Vec<String>>,
}

pub(super) fn update(api: &Connector, args: UpdateArgs, cmd: &str) -> ExitCode {
    if args.containers.is_empty() {
        return args_error(cmd, "requires at least 1 argument");
    }
    let requested = match args.limits.parse(Purpose::Update) {
        Ok(r) => r,
        Err(problem) => return flag_error(cmd, &problem),
    };
    if args.limits.count() == 0 {
        eprintln!("you must provide one or more flags when using this command");
        return 1;
    }
    let client = match api.client() {
        Ok(c) => c,
        Err(e) => return super::api_error(&e),
    };
    let mut body = HostConfigBody::default();
    body.set_resources(requested);
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for name in &args.containers {
        match client.post_json::<UpdateResponse>(&container_path(name, "/update"), &body) {
            Ok(answer) => {
                println!("{name}");
                warnings.extend(answer.warnings.unwrap_or_default());
            }
            Err(e) => errors.push(lookup_error(&e)),
        }
    }
    // Docker's CLI prints the daemon's warnings on stdout, after the names.
    if !warnings.is_empty() {
        println!("{}", warnings.join("\n"));
    }
    if errors.is_empty() {
        return 0;
    }
    eprintln!("{}", errors.join("\n"));
    1
}
