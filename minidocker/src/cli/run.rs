//! `minidocker run`: the flags, then the engine, with Docker's error layout and exit codes.

use std::path::Path;

use clap::Args;

use super::distribution::PullPolicy;
use super::resources::CreateResourceFlags;
use super::{ExitCode, flag_error};
use crate::engine::{Engine, RunOptions};
use crate::env::{expand_env_flag, validate_env_flag};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Automatically remove the container and its associated anonymous volumes when it exits
    #[arg(long)]
    pub rm: bool,
    /// Assign a name to the container
    #[arg(long, allow_hyphen_values = true)]
    pub name: Option<String>,
    /// Container host name
    #[arg(short = 'h', long, allow_hyphen_values = true)]
    pub hostname: Option<String>,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "list", allow_hyphen_values = true)]
    pub env: Vec<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long, allow_hyphen_values = true)]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long, allow_hyphen_values = true)]
    pub user: Option<String>,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Pull image before running ("always", "missing", "never")
    #[arg(long, value_name = "string", default_value = "missing")]
    pub pull: String,
    /// Suppress the pull output
    #[arg(short = 'q', long)]
    pub quiet: bool,
    #[command(flatten)]
    pub resources: CreateResourceFlags,
    /// Print usage
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// `minidocker: Error response from daemon: <message>` + docker's trailer, for daemon-side
/// errors of `run`.
fn run_error(message: &str, code: ExitCode) -> ExitCode {
    run_failure(&format!("Error response from daemon: {message}"), code)
}

/// `minidocker: <problem>` + docker's trailer.
fn run_failure(problem: &str, code: ExitCode) -> ExitCode {
    eprintln!("minidocker: {problem}\n\nRun 'minidocker run --help' for more information");
    code
}

/// `cgroup_parent` is the engine's default parent of containers' cgroups (`--cgroup-parent`
/// before the command, like dockerd's).
pub(super) fn run(data_root: &Path, cgroup_parent: &str, args: RunArgs) -> ExitCode {
    let (resources, container_cgroup_parent) = match args.resources.parse() {
        Ok(parsed) => parsed,
        Err(problem) => return flag_error("run", &problem),
    };
    let mut env = Vec::new();
    for e in &args.env {
        if let Err(problem) = validate_env_flag(e) {
            return flag_error("run", &problem);
        }
        env.extend(expand_env_flag(e, |k| std::env::var(k).ok()));
    }
    let policy = match PullPolicy::parse(&args.pull) {
        Ok(policy) => policy,
        Err(problem) => return run_failure(&problem, 125),
    };
    if let Err(problem) = ch05_images::Reference::parse_normalized(&args.image) {
        return run_failure(&problem.to_string(), 125);
    }
    let mut engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return run_error(&format!("{e:#}"), 125),
    };
    engine.cgroup_parent = cgroup_parent.to_owned();
    // The daemon checks the limits before it looks for the image (so before any pull).
    let checked = match engine.check_resources(&resources, false).and_then(|checked| {
        engine
            .effective_cgroup_parent(&container_cgroup_parent)
            .map(|_| checked)
    }) {
        Ok(checked) => checked,
        Err(e) => return run_error(&e.to_string(), 125),
    };
    if let Err(failure) = super::distribution::pull_for_run(&engine, &args.image, policy, args.quiet) {
        // Pulled in the stream's own words once it began, as the daemon's answer before.
        return match failure.streamed {
            true => run_failure(&failure.message, 125),
            false => run_error(&failure.message, 125),
        };
    }
    for warning in &checked.warnings {
        eprintln!("WARNING: {warning}");
    }
    let opts = RunOptions {
        image: args.image,
        command: args.command,
        name: args.name,
        hostname: args.hostname,
        env,
        workdir: args.workdir,
        user: args.user,
        interactive: args.interactive,
        auto_remove: args.rm,
        resources,
        cgroup_parent: container_cgroup_parent,
    };
    match engine.run(&opts) {
        Ok(code) => code,
        Err(e) => run_error(&e.message, e.exit_code),
    }
}
