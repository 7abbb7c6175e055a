//! The `minidocker` command line: docker's commands, flags, messages and exit codes.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};

use crate::engine::DEFAULT_DATA_ROOT;

mod container;
mod image;
mod run;

pub use container::{PsArgs, RmArgs};
pub use image::ImportArgs;
pub use run::RunArgs;

/// Docker's help layout: the usage line first (two spaces after `Usage:`), then the summary.
const DOCKER_HELP: &str = "Usage:  {usage}\n\n{about-with-newline}\nOptions:\n{options}\n";

#[derive(Debug, Parser)]
#[command(
    name = "minidocker",
    version,
    about = "A self-sufficient runtime for containers, built one chapter at a time"
)]
#[command(disable_help_subcommand = true)]
#[command(
    help_template = "Usage:  {usage}\n\n{about-with-newline}\nCommands:\n{subcommands}\n\nGlobal Options:\n{options}\n"
)]
pub struct Cli {
    /// Root of persistent state (images, containers), laid out like /var/lib/docker
    #[arg(long, env = "MINIDOCKER_DATA_ROOT", default_value = DEFAULT_DATA_ROOT)]
    pub data_root: PathBuf,
    /// Set the logging level ("debug", "info", "warn", "error")
    #[arg(short = 'l', long, default_value = "warn")]
    pub log_level: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create and run a new container from an image
    #[command(
        override_usage = "minidocker run [OPTIONS] IMAGE [COMMAND] [ARG...]",
        disable_help_flag = true,
        help_template = DOCKER_HELP
    )]
    Run(RunArgs),
    /// Import the contents from a tarball to create a filesystem image
    #[command(override_usage = "minidocker import [OPTIONS] file|- [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Import(ImportArgs),
    /// List containers
    #[command(override_usage = "minidocker ps [OPTIONS]", help_template = DOCKER_HELP)]
    Ps(PsArgs),
    /// Remove one or more containers
    #[command(override_usage = "minidocker rm [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Rm(RmArgs),
}

/// What the process should exit with, after printing.
pub type ExitCode = i32;

/// The subcommand being parsed: the first argument that names one (global flags' values,
/// like `--data-root DIR`, are not mistaken for it).
fn subcommand_of(args: &[OsString]) -> Option<String> {
    let cli = Cli::command();
    let known: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    args.iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| known.contains(a))
        .map(str::to_owned)
}

/// `minidocker run [OPTIONS] IMAGE [COMMAND] [ARG...]`: the usage line clap renders for `cmd`.
fn usage_line(cmd: &str) -> String {
    let mut cli = Cli::command();
    let usage = match cli.find_subcommand_mut(cmd) {
        Some(sub) => sub.render_usage().to_string(),
        None => cli.render_usage().to_string(),
    };
    usage.trim_start_matches("Usage:").trim().to_owned()
}

/// A flag error as docker prints it: the problem, the usage line, where to get help; exit 125.
fn flag_error(cmd: &str, problem: &str) -> ExitCode {
    eprintln!(
        "{problem}\n\nUsage:  {}\n\nRun 'minidocker {cmd} --help' for more information",
        usage_line(cmd)
    );
    125
}

/// Turn clap's errors into docker's wording.
fn report_parse_error(err: &clap::Error, args: &[OsString]) -> ExitCode {
    let cmd = subcommand_of(args).unwrap_or_default();
    let invalid_arg = || match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = err.print();
            0
        }
        ErrorKind::UnknownArgument => {
            let arg = invalid_arg();
            match arg.strip_prefix('-') {
                Some(short) if !short.starts_with('-') => {
                    let letter = short.chars().next().unwrap_or('?');
                    flag_error(&cmd, &format!("unknown shorthand flag: '{letter}' in {arg}"))
                }
                _ => flag_error(&cmd, &format!("unknown flag: {arg}")),
            }
        }
        ErrorKind::InvalidValue | ErrorKind::NoEquals => {
            let typed = args.last().and_then(|a| a.to_str()).unwrap_or_default();
            let problem = match typed.strip_prefix('-') {
                Some(short) if !short.starts_with('-') && !short.is_empty() => {
                    format!("flag needs an argument: '{}' in {typed}", &short[..1])
                }
                _ => format!("flag needs an argument: {typed}"),
            };
            flag_error(&cmd, &problem)
        }
        ErrorKind::MissingRequiredArgument
        | ErrorKind::MissingSubcommand
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            if !cmd.is_empty() =>
        {
            eprintln!(
                "minidocker: 'minidocker {cmd}' requires at least 1 argument\n\nUsage:  {}\n\nSee 'minidocker {cmd} --help' for more information",
                usage_line(&cmd)
            );
            1
        }
        _ => {
            let _ = err.print();
            if err.use_stderr() { 125 } else { 0 }
        }
    }
}

/// Parse `args` and run the command; returns the exit code.
pub fn main_with_args(args: Vec<OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) => return report_parse_error(&err, &args),
    };
    init_logging(&cli.log_level);
    match cli.command {
        Command::Run(args) => run::run(&cli.data_root, args),
        Command::Import(args) => image::import(&cli.data_root, args),
        Command::Ps(args) => container::ps(&cli.data_root, args),
        Command::Rm(args) => container::rm(&cli.data_root, args),
    }
}

/// A daemon-side error of a command other than `run`: `Error response from daemon: …`, exit 1.
fn daemon_error(message: &str) -> ExitCode {
    eprintln!("Error response from daemon: {message}");
    1
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
