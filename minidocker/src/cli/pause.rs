//! `pause` and `unpause`: freeze and thaw containers (the cgroup freezer, chapter 6).

use std::path::Path;

use clap::Args;

use super::ExitCode;
use crate::engine::{Engine, EngineError};

#[derive(Debug, Args)]
pub struct PauseArgs {
    #[arg(required = true, value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// Runs `action` on each container, printing each name that worked; the errors come last,
/// together, as Docker's CLI prints them. Exit 1 if any failed.
pub(super) fn for_each_container(
    data_root: &Path,
    containers: &[String],
    action: impl Fn(&Engine, &str) -> Result<(), EngineError>,
) -> ExitCode {
    let engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return super::daemon_error(&format!("{e:#}")),
    };
    let mut errors = Vec::new();
    for name in containers {
        match action(&engine, name) {
            Ok(()) => println!("{name}"),
            Err(e) => errors.push(format!("Error response from daemon: {e}")),
        }
    }
    if errors.is_empty() {
        return 0;
    }
    eprintln!("{}", errors.join("\n"));
    1
}

pub(super) fn pause(data_root: &Path, args: PauseArgs) -> ExitCode {
    for_each_container(data_root, &args.containers, |engine, name| {
        engine.pause_container(name).map(drop)
    })
}

pub(super) fn unpause(data_root: &Path, args: PauseArgs) -> ExitCode {
    for_each_container(data_root, &args.containers, |engine, name| {
        engine.unpause_container(name).map(drop)
    })
}
