//! The `minidocker` command line: docker's commands, flags, messages and exit codes.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};

use crate::engine::DEFAULT_DATA_ROOT;

mod archive;
mod commit;
mod container;
mod distribution;
mod image;
mod images;
mod inspect;
mod network;
mod pause;
mod port;
mod resources;
mod run;
mod stats;
mod system;
mod update;

pub use archive::{LoadArgs, SaveArgs};
pub use commit::{CommitArgs, DiffArgs, ExportArgs};
pub use container::{PsArgs, RmArgs};
pub use distribution::{PullArgs, PushArgs};
pub use image::ImportArgs;
pub use images::{HistoryArgs, ImagesArgs, PruneArgs, RmiArgs, TagArgs};
pub use inspect::{ContainerInspectArgs, ImageInspectArgs, InspectArgs};
pub use network::{
    NetworkConnectArgs, NetworkCreateArgs, NetworkDisconnectArgs, NetworkInspectArgs, NetworkLsArgs,
    NetworkPruneArgs, NetworkRmArgs,
};
pub use pause::PauseArgs;
pub use port::PortArgs;
pub use resources::{CreateResourceFlags, Purpose, ResourceFlags};
pub use run::RunArgs;
pub use stats::StatsArgs;
pub use system::DfArgs;
pub use update::UpdateArgs;

/// Docker's help layout: the usage line first (two spaces after `Usage:`), then the summary.
const DOCKER_HELP: &str = "Usage:  {usage}\n\n{about-with-newline}\nOptions:\n{options}\n";

/// The help of a group of commands (`minidocker image`): its commands, then where to learn more.
macro_rules! group_help {
    ($group:literal) => {
        concat!(
            "Usage:  {usage}\n\n{about-with-newline}\nCommands:\n{subcommands}\n\nRun 'minidocker ",
            $group,
            " COMMAND --help' for more information on a command.\n"
        )
    };
}

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
    /// Default parent cgroup of containers, relative to minidocker's own cgroup unless absolute
    #[arg(long = "cgroup-parent", env = "MINIDOCKER_CGROUP_PARENT", value_name = "string", default_value = ch06_cgroups::CgroupParent::DEFAULT)]
    pub cgroup_parent: String,
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
    Run(Box<RunArgs>),
    /// Import the contents from a tarball to create a filesystem image
    #[command(override_usage = "minidocker import [OPTIONS] file|- [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Import(ImportArgs),
    /// List containers
    #[command(override_usage = "minidocker ps [OPTIONS]", help_template = DOCKER_HELP)]
    Ps(PsArgs),
    /// Remove one or more containers
    #[command(override_usage = "minidocker rm [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Rm(RmArgs),
    /// Display a live stream of container(s) resource usage statistics
    #[command(override_usage = "minidocker stats [OPTIONS] [CONTAINER...]", help_template = DOCKER_HELP)]
    Stats(StatsArgs),
    /// Pause all processes within one or more containers
    #[command(override_usage = "minidocker pause CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Pause(PauseArgs),
    /// List port mappings or a specific mapping for the container
    #[command(override_usage = "minidocker port CONTAINER [PRIVATE_PORT[/PROTO]]", help_template = DOCKER_HELP)]
    Port(PortArgs),
    /// Unpause all processes within one or more containers
    #[command(override_usage = "minidocker unpause CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Unpause(PauseArgs),
    /// Update configuration of one or more containers
    #[command(override_usage = "minidocker update [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Update(UpdateArgs),
    /// Download an image from a registry
    #[command(override_usage = "minidocker pull [OPTIONS] NAME[:TAG|@DIGEST]", help_template = DOCKER_HELP)]
    Pull(PullArgs),
    /// Upload an image to a registry
    #[command(override_usage = "minidocker push [OPTIONS] NAME[:TAG]", help_template = DOCKER_HELP)]
    Push(PushArgs),
    /// List images
    #[command(override_usage = "minidocker images [OPTIONS] [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Images(ImagesArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    #[command(override_usage = "minidocker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", help_template = DOCKER_HELP)]
    Tag(TagArgs),
    /// Remove one or more images
    #[command(override_usage = "minidocker rmi [OPTIONS] IMAGE [IMAGE...]", help_template = DOCKER_HELP)]
    Rmi(RmiArgs),
    /// Show the history of an image
    #[command(override_usage = "minidocker history [OPTIONS] IMAGE", help_template = DOCKER_HELP)]
    History(HistoryArgs),
    /// Return low-level information on Docker objects
    #[command(override_usage = "minidocker inspect [OPTIONS] NAME|ID [NAME|ID...]", help_template = DOCKER_HELP)]
    Inspect(InspectArgs),
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    #[command(override_usage = "minidocker save [OPTIONS] IMAGE [IMAGE...]", help_template = DOCKER_HELP)]
    Save(SaveArgs),
    /// Load an image from a tar archive or STDIN
    #[command(override_usage = "minidocker load [OPTIONS]", help_template = DOCKER_HELP)]
    Load(LoadArgs),
    /// Create a new image from a container's changes
    #[command(override_usage = "minidocker commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Commit(CommitArgs),
    /// Inspect changes to files or directories on a container's filesystem
    #[command(override_usage = "minidocker diff CONTAINER", help_template = DOCKER_HELP)]
    Diff(DiffArgs),
    /// Export a container's filesystem as a tar archive
    #[command(override_usage = "minidocker export [OPTIONS] CONTAINER", help_template = DOCKER_HELP)]
    Export(ExportArgs),
    /// Manage containers
    #[command(subcommand, override_usage = "minidocker container COMMAND", help_template = group_help!("container"))]
    Container(ContainerCommand),
    /// Manage images
    #[command(subcommand, disable_help_subcommand = true, override_usage = "minidocker image COMMAND", help_template = group_help!("image"))]
    Image(ImageCommand),
    /// Manage networks
    #[command(subcommand, disable_help_subcommand = true, override_usage = "minidocker network COMMAND", help_template = group_help!("network"))]
    Network(NetworkCommand),
    /// Run one created container for the daemon (its shim; not for people)
    #[command(hide = true)]
    Shim { id: String },
    /// Run a process in a running container for the daemon (`exec`; not for people)
    #[command(hide = true, name = "exec-helper")]
    ExecHelper { id: String },
    /// Serve the Docker Remote API (dockerd's flags and daemon.json)
    #[command(override_usage = "minidocker daemon [OPTIONS]", help_template = DOCKER_HELP)]
    Daemon(crate::daemon::DaemonFlags),
    /// Manage Docker
    #[command(subcommand, disable_help_subcommand = true, override_usage = "minidocker system COMMAND", help_template = group_help!("system"))]
    System(SystemCommand),
}

/// `minidocker network COMMAND`.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Connect a container to a network
    #[command(override_usage = "minidocker network connect [OPTIONS] NETWORK CONTAINER", help_template = DOCKER_HELP)]
    Connect(NetworkConnectArgs),
    /// Create a network
    #[command(override_usage = "minidocker network create [OPTIONS] NETWORK", help_template = DOCKER_HELP)]
    Create(NetworkCreateArgs),
    /// Disconnect a container from a network
    #[command(override_usage = "minidocker network disconnect [OPTIONS] NETWORK CONTAINER", help_template = DOCKER_HELP)]
    Disconnect(NetworkDisconnectArgs),
    /// Display detailed information on one or more networks
    #[command(override_usage = "minidocker network inspect [OPTIONS] NETWORK [NETWORK...]", help_template = DOCKER_HELP)]
    Inspect(NetworkInspectArgs),
    /// List networks
    #[command(alias = "list", override_usage = "minidocker network ls [OPTIONS]", help_template = DOCKER_HELP)]
    Ls(NetworkLsArgs),
    /// Remove all unused networks
    #[command(override_usage = "minidocker network prune [OPTIONS]", help_template = DOCKER_HELP)]
    Prune(NetworkPruneArgs),
    /// Remove one or more networks
    #[command(alias = "remove", override_usage = "minidocker network rm NETWORK [NETWORK...]", help_template = DOCKER_HELP)]
    Rm(NetworkRmArgs),
}

/// `minidocker image COMMAND`.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Show the history of an image
    #[command(override_usage = "minidocker image history [OPTIONS] IMAGE", help_template = DOCKER_HELP)]
    History(HistoryArgs),
    /// Display detailed information on one or more images
    #[command(override_usage = "minidocker image inspect [OPTIONS] IMAGE [IMAGE...]", help_template = DOCKER_HELP)]
    Inspect(ImageInspectArgs),
    /// Import the contents from a tarball to create a filesystem image
    #[command(override_usage = "minidocker image import [OPTIONS] file|- [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Import(ImportArgs),
    /// Load an image from a tar archive or STDIN
    #[command(override_usage = "minidocker image load [OPTIONS]", help_template = DOCKER_HELP)]
    Load(LoadArgs),
    /// List images
    #[command(alias = "list", override_usage = "minidocker image ls [OPTIONS] [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Ls(ImagesArgs),
    /// Remove unused images
    #[command(override_usage = "minidocker image prune [OPTIONS]", help_template = DOCKER_HELP)]
    Prune(PruneArgs),
    /// Download an image from a registry
    #[command(override_usage = "minidocker image pull [OPTIONS] NAME[:TAG|@DIGEST]", help_template = DOCKER_HELP)]
    Pull(PullArgs),
    /// Upload an image to a registry
    #[command(override_usage = "minidocker image push [OPTIONS] NAME[:TAG]", help_template = DOCKER_HELP)]
    Push(PushArgs),
    /// Remove one or more images
    #[command(alias = "remove", override_usage = "minidocker image rm [OPTIONS] IMAGE [IMAGE...]", help_template = DOCKER_HELP)]
    Rm(RmiArgs),
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    #[command(override_usage = "minidocker image save [OPTIONS] IMAGE [IMAGE...]", help_template = DOCKER_HELP)]
    Save(SaveArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    #[command(override_usage = "minidocker image tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]", help_template = DOCKER_HELP)]
    Tag(TagArgs),
}

/// `minidocker container COMMAND`.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Create a new image from a container's changes
    #[command(override_usage = "minidocker container commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Commit(CommitArgs),
    /// Inspect changes to files or directories on a container's filesystem
    #[command(override_usage = "minidocker container diff CONTAINER", help_template = DOCKER_HELP)]
    Diff(DiffArgs),
    /// Export a container's filesystem as a tar archive
    #[command(override_usage = "minidocker container export [OPTIONS] CONTAINER", help_template = DOCKER_HELP)]
    Export(ExportArgs),
    /// Display detailed information on one or more containers
    #[command(override_usage = "minidocker container inspect [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Inspect(ContainerInspectArgs),
    /// Pause all processes within one or more containers
    #[command(override_usage = "minidocker container pause CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Pause(PauseArgs),
    /// Display a live stream of container(s) resource usage statistics
    #[command(override_usage = "minidocker container stats [OPTIONS] [CONTAINER...]", help_template = DOCKER_HELP)]
    Stats(StatsArgs),
    /// Unpause all processes within one or more containers
    #[command(override_usage = "minidocker container unpause CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Unpause(PauseArgs),
    /// Update configuration of one or more containers
    #[command(override_usage = "minidocker container update [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Update(UpdateArgs),
}

/// `minidocker system COMMAND`.
#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Show docker disk usage
    #[command(override_usage = "minidocker system df [OPTIONS]", help_template = DOCKER_HELP)]
    Df(DfArgs),
}

/// What the process should exit with, after printing.
pub type ExitCode = i32;

/// The subcommand being parsed: the first argument that names one (global flags' values,
/// like `--data-root DIR`, are not mistaken for it), then, for a group like `image`, the
/// first argument after it that names one of its commands: `image ls` (aliases resolved).
fn subcommand_of(args: &[OsString]) -> Option<String> {
    let cli = Cli::command();
    let mut rest = args.iter().skip(1).filter_map(|a| a.to_str());
    let top = rest.by_ref().find_map(|a| cli.find_subcommand(a))?;
    let mut path = top.get_name().to_owned();
    if top.has_subcommands() {
        if let Some(sub) = rest.find_map(|a| top.find_subcommand(a)) {
            path = format!("{path} {}", sub.get_name());
        }
    }
    Some(path)
}

/// `minidocker run [OPTIONS] IMAGE [COMMAND] [ARG...]`: the usage line clap renders for `cmd`
/// (a command path like `image ls` for a command of a group).
fn usage_line(cmd: &str) -> String {
    let mut command = Cli::command();
    for name in cmd.split_whitespace() {
        match command.find_subcommand(name) {
            Some(sub) => command = sub.clone(),
            None => break,
        }
    }
    let usage = command.render_usage().to_string();
    usage.trim_start_matches("Usage:").trim().to_owned()
}

/// A wrong number of arguments, as docker words it (`requires 2 arguments`, `accepts no
/// arguments`, `requires at least 1 argument`); exit 1.
fn args_error(cmd: &str, requirement: &str) -> ExitCode {
    // cobra's RequiresMinArgs says "See"; the others (exact, range, none) say "Run"
    let hint = if requirement.contains("at least") && !requirement.contains("at most") {
        "See"
    } else {
        "Run"
    };
    eprintln!(
        "minidocker: 'minidocker {cmd}' {requirement}\n\nUsage:  {}\n\n{hint} 'minidocker {cmd} --help' for more information",
        usage_line(cmd)
    );
    1
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
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            if !cmd.is_empty() && !cmd.contains(' ') =>
        {
            // a group without its command (`minidocker image`): its help, as docker does
            let mut group = Cli::command();
            match group.find_subcommand_mut(&cmd) {
                Some(sub) => print!("{}", sub.render_help()),
                None => print!("{}", group.render_help()),
            }
            0
        }
        ErrorKind::InvalidSubcommand if !cmd.is_empty() => {
            let typed = match err.get(ContextKind::InvalidSubcommand) {
                Some(ContextValue::String(s)) => s.clone(),
                _ => String::new(),
            };
            eprintln!(
                "minidocker: unknown command: minidocker {cmd} {typed}\n\nUsage:  minidocker {cmd}\n\nRun 'minidocker {cmd} --help' for more information"
            );
            1
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
    // The daemon takes its level from its own flags; the shim's stderr is its container's.
    if !matches!(
        cli.command,
        Command::Daemon(_) | Command::Shim { .. } | Command::ExecHelper { .. }
    ) {
        init_logging(&cli.log_level);
    }
    match cli.command {
        Command::Run(args) => run::run(&cli.data_root, &cli.cgroup_parent, *args),
        Command::Stats(args) => stats::stats(&cli.data_root, args),
        Command::Pause(args) => pause::pause(&cli.data_root, args),
        Command::Port(args) => port::port(&cli.data_root, args, "port"),
        Command::Unpause(args) => pause::unpause(&cli.data_root, args),
        Command::Update(args) => update::update(&cli.data_root, args, "update"),
        Command::Import(args) => image::import(&cli.data_root, args),
        Command::Ps(args) => container::ps(&cli.data_root, args),
        Command::Rm(args) => container::rm(&cli.data_root, args),
        Command::Pull(args) => distribution::pull(&cli.data_root, args, "pull"),
        Command::Push(args) => distribution::push(&cli.data_root, args, "push"),
        Command::Images(args) => images::list(&cli.data_root, args, "images"),
        Command::Tag(args) => images::tag(&cli.data_root, args, "tag"),
        Command::Rmi(args) => images::rmi(&cli.data_root, args, "rmi"),
        Command::History(args) => images::history(&cli.data_root, args, "history"),
        Command::Inspect(args) => inspect::inspect(&cli.data_root, args, "inspect"),
        Command::Save(args) => archive::save(&cli.data_root, args, "save"),
        Command::Load(args) => archive::load(&cli.data_root, args, "load"),
        Command::Commit(args) => commit::commit(&cli.data_root, args, "commit"),
        Command::Diff(args) => commit::diff(&cli.data_root, args, "diff"),
        Command::Export(args) => commit::export(&cli.data_root, args, "export"),
        Command::Container(sub) => match sub {
            ContainerCommand::Commit(args) => commit::commit(&cli.data_root, args, "container commit"),
            ContainerCommand::Diff(args) => commit::diff(&cli.data_root, args, "container diff"),
            ContainerCommand::Export(args) => commit::export(&cli.data_root, args, "container export"),
            ContainerCommand::Inspect(args) => {
                inspect::container_inspect(&cli.data_root, args, "container inspect")
            }
            ContainerCommand::Pause(args) => pause::pause(&cli.data_root, args),
            ContainerCommand::Stats(args) => stats::stats(&cli.data_root, args),
            ContainerCommand::Unpause(args) => pause::unpause(&cli.data_root, args),
            ContainerCommand::Update(args) => update::update(&cli.data_root, args, "container update"),
        },
        Command::Image(sub) => match sub {
            ImageCommand::History(args) => images::history(&cli.data_root, args, "image history"),
            ImageCommand::Inspect(args) => inspect::image_inspect(&cli.data_root, args, "image inspect"),
            ImageCommand::Import(args) => image::import(&cli.data_root, args),
            ImageCommand::Load(args) => archive::load(&cli.data_root, args, "image load"),
            ImageCommand::Ls(args) => images::list(&cli.data_root, args, "image ls"),
            ImageCommand::Prune(args) => images::prune(&cli.data_root, args, "image prune"),
            ImageCommand::Pull(args) => distribution::pull(&cli.data_root, args, "image pull"),
            ImageCommand::Push(args) => distribution::push(&cli.data_root, args, "image push"),
            ImageCommand::Rm(args) => images::rmi(&cli.data_root, args, "image rm"),
            ImageCommand::Save(args) => archive::save(&cli.data_root, args, "image save"),
            ImageCommand::Tag(args) => images::tag(&cli.data_root, args, "image tag"),
        },
        Command::Network(sub) => match sub {
            NetworkCommand::Connect(args) => network::connect(&cli.data_root, args, "network connect"),
            NetworkCommand::Create(args) => network::create(&cli.data_root, args, "network create"),
            NetworkCommand::Disconnect(args) => {
                network::disconnect(&cli.data_root, args, "network disconnect")
            }
            NetworkCommand::Inspect(args) => network::inspect(&cli.data_root, args, "network inspect"),
            NetworkCommand::Ls(args) => network::ls(&cli.data_root, args, "network ls"),
            NetworkCommand::Prune(args) => network::prune(&cli.data_root, args, "network prune"),
            NetworkCommand::Rm(args) => network::rm(&cli.data_root, args, "network rm"),
        },
        Command::System(SystemCommand::Df(args)) => system::df(&cli.data_root, args, "system df"),
        Command::Daemon(flags) => daemon(&flags),
        Command::ExecHelper { id } => {
            let spec: crate::exec::ExecSpec = match std::env::var(crate::exec::SPEC_ENV)
                .map_err(anyhow::Error::from)
                .and_then(|json| serde_json::from_str(&json).map_err(anyhow::Error::from))
            {
                Ok(spec) => spec,
                Err(e) => {
                    eprintln!(
                        "minidocker exec-helper: no exec spec in {}: {e}",
                        crate::exec::SPEC_ENV
                    );
                    return 125;
                }
            };
            match crate::exec::run_helper(&cli.data_root, &cli.cgroup_parent, &id, &spec) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("{e:#}");
                    126
                }
            }
        }
        Command::Shim { id } => match crate::shim::run(&cli.data_root, &cli.cgroup_parent, &id) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("minidocker shim: {e:#}");
                125
            }
        },
    }
}

/// `minidocker daemon`: runs in the foreground until SIGTERM or SIGINT.
fn daemon(flags: &crate::daemon::DaemonFlags) -> ExitCode {
    let config = match crate::daemon::DaemonConfig::load(flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("minidocker daemon: {e:#}");
            return 1;
        }
    };
    init_logging(&config.log_level);
    match crate::daemon::run(config) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("minidocker daemon: {e:#}");
            1
        }
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
