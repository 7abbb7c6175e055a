//! The `minidocker` command line: docker's commands, flags, messages and exit codes.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Args, Parser, Subcommand};

use crate::engine::{DEFAULT_DATA_ROOT, Engine, RunOptions};
use crate::env::{expand_env_flag, validate_env_flag};

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
    #[arg(long, global = true, env = "MINIDOCKER_DATA_ROOT", default_value = DEFAULT_DATA_ROOT)]
    pub data_root: PathBuf,
    /// Set the logging level ("debug", "info", "warn", "error")
    #[arg(short = 'l', long, global = true, default_value = "warn")]
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
}

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
    /// Print usage
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Set commit message for imported image
    #[arg(short = 'm', long)]
    pub message: Option<String>,
    /// A rootfs tarball, or - for standard input
    pub file: String,
    pub reference: Option<String>,
}

/// What the process should exit with, after printing.
pub type ExitCode = i32;

/// The subcommand being parsed: the first argument that names one (global flags' values,
/// like `--data-root DIR`, are not mistaken for it).
fn subcommand_of(args: &[OsString]) -> Option<String> {
    use clap::CommandFactory;
    let cli = Cli::command();
    let known: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    args.iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find(|a| known.contains(a))
        .map(str::to_owned)
}

fn usage_line(cmd: &str) -> String {
    match cmd {
        "run" => "minidocker run [OPTIONS] IMAGE [COMMAND] [ARG...]".into(),
        "import" => "minidocker import [OPTIONS] file|- [REPOSITORY[:TAG]]".into(),
        _ => "minidocker [OPTIONS] COMMAND".into(),
    }
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
        Command::Run(run) => run_command(&cli.data_root, run),
        Command::Import(import) => import_command(&cli.data_root, import),
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `minidocker: <message>` + docker's trailer, for daemon-side errors of `run`.
fn run_error(message: &str, code: ExitCode) -> ExitCode {
    eprintln!(
        "minidocker: Error response from daemon: {message}\n\nRun 'minidocker run --help' for more information"
    );
    code
}

fn run_command(data_root: &std::path::Path, args: RunArgs) -> ExitCode {
    let mut env = Vec::new();
    for e in &args.env {
        if let Err(problem) = validate_env_flag(e) {
            return flag_error("run", &problem);
        }
        env.extend(expand_env_flag(e, |k| std::env::var(k).ok()));
    }
    if let Err(problem) = crate::reference::Reference::parse_normalized(&args.image) {
        eprintln!("minidocker: {problem}\n\nRun 'minidocker run --help' for more information");
        return 125;
    }
    let engine = match Engine::open(data_root) {
        Ok(e) => e,
        Err(e) => return run_error(&format!("{e:#}"), 125),
    };
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
    };
    match engine.run(&opts) {
        Ok(code) => code,
        Err(e) => run_error(&e.message, e.exit_code),
    }
}

fn import_command(data_root: &std::path::Path, args: ImportArgs) -> ExitCode {
    let result = (|| -> anyhow::Result<String> {
        use anyhow::Context;
        let engine = Engine::open(data_root)?;
        let comment = args
            .message
            .clone()
            .unwrap_or_else(|| format!("Imported from {}", args.file));
        let id = if args.file == "-" {
            engine
                .images
                .import(std::io::stdin().lock(), args.reference.as_deref(), &comment)?
        } else {
            let file = std::fs::File::open(&args.file).with_context(|| format!("open {}", args.file))?;
            engine
                .images
                .import(std::io::BufReader::new(file), args.reference.as_deref(), &comment)?
        };
        Ok(id)
    })();
    match result {
        Ok(id) => {
            let _ = writeln!(std::io::stdout(), "{id}");
            0
        }
        Err(e) => {
            eprintln!("Error response from daemon: {e:#}");
            1
        }
    }
}
