//! `update`: change the resource limits of containers, running or not.

use std::path::Path;

use clap::Args;

use super::resources::{Purpose, ResourceFlags};
use super::{ExitCode, flag_error};
use crate::engine::Engine;

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub limits: ResourceFlags,
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

pub(super) fn update(data_root: &Path, args: UpdateArgs, cmd: &str) -> ExitCode {
    let requested = match args.limits.parse(Purpose::Update) {
        Ok(r) => r,
        Err(problem) => return flag_error(cmd, &problem),
    };
    if args.limits.count() == 0 {
        eprintln!("you must provide one or more flags when using this command");
        return 1;
    }
    let engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return super::daemon_error(&format!("{e:#}")),
    };
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for name in &args.containers {
        match engine.update_container(name, &requested) {
            Ok(w) => {
                println!("{name}");
                warnings.extend(w);
            }
            Err(e) => errors.push(format!("Error response from daemon: {e}")),
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
