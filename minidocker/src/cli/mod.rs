//! The `minidocker` command line: docker's commands, flags, messages and exit codes.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{CommandFactory, Parser, Subcommand};

use crate::client::ClientError;
use crate::client::autostart::{ConnectOptions, Connector};
use crate::engine::DEFAULT_DATA_ROOT;

mod archive;
mod attach;
mod commit;
mod container;
mod container_flags;
mod cp;
mod create;
mod distribution;
mod events;
mod exec;
mod image;
mod images;
mod info;
mod inspect;
mod kvfile;
mod lifecycle;
mod logs;
mod network;
mod network_flags;
mod port;
mod resources;
mod run;
mod signal_relay;
mod stats;
mod system;
pub(crate) mod terminal;
mod timestamps;
mod top;
mod update;
mod version;
mod volume;

pub use archive::{LoadArgs, SaveArgs};
pub use attach::{AttachArgs, StartArgs};
pub use commit::{CommitArgs, DiffArgs, ExportArgs};
pub use container::{ContainerPruneArgs, PsArgs};
pub use container_flags::ContainerFlags;
pub use cp::CpArgs;
pub use create::CreateArgs;
pub use distribution::{PullArgs, PushArgs};
pub use events::EventsArgs;
pub use exec::ExecArgs;
pub use image::ImportArgs;
pub use images::{HistoryArgs, ImagesArgs, PruneArgs, RmiArgs, TagArgs};
pub use info::InfoArgs;
pub use inspect::{ContainerInspectArgs, ImageInspectArgs, InspectArgs};
pub use lifecycle::{ContainersArgs, KillArgs, RenameArgs, RmArgs, StopArgs};
pub use logs::LogsArgs;
pub use network::{
    NetworkConnectArgs, NetworkCreateArgs, NetworkDisconnectArgs, NetworkInspectArgs, NetworkLsArgs,
    NetworkPruneArgs, NetworkRmArgs,
};
pub use network_flags::NetworkFlags;
pub use port::PortArgs;
pub use resources::{CreateResourceFlags, Purpose, ResourceFlags};
pub use run::RunArgs;
pub use stats::StatsArgs;
pub use system::DfArgs;
pub use top::TopArgs;
pub use update::UpdateArgs;
pub use version::VersionArgs;
pub use volume::{VolumeCreateArgs, VolumeInspectArgs, VolumeLsArgs, VolumePruneArgs, VolumeRmArgs};

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
    /// Daemon socket to connect to (unix:///PATH or tcp://HOST:PORT)
    #[arg(short = 'H', long = "host", env = "DOCKER_HOST", value_name = "list")]
    pub host: Option<String>,
    /// Enable debug mode
    #[arg(short = 'D', long)]
    pub debug: bool,
    /// Root of persistent state (images, containers) of the daemon started when none answers
    #[arg(long, env = "MINIDOCKER_DATA_ROOT", default_value = DEFAULT_DATA_ROOT)]
    pub data_root: PathBuf,
    /// Default parent cgroup of containers of the daemon started when none answers
    #[arg(long = "cgroup-parent", env = "MINIDOCKER_CGROUP_PARENT", value_name = "string", default_value = ch06_cgroups::CgroupParent::DEFAULT)]
    pub cgroup_parent: String,
    /// Set the logging level ("debug", "info", "warn", "error")
    #[arg(short = 'l', long, default_value = "warn")]
    pub log_level: String,
    // the Docker CLI's TLS flags: --tls, --tlsverify, --tlscacert, --tlscert, --tlskey
    #[command(flatten)]
    pub tls: crate::client::tls::TlsFlags,
    #[command(subcommand)]
    pub command: Command,
}

// `defer`: a subcommand's arguments are built only when it is parsed or its help shown. Building
// all of them (~90 commands, hundreds of flags) took ~1.5 ms of every start of this binary: the
// CLI's, and a container shim's, which runs it twice per container (issue 9).
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Create and run a new container from an image
    #[command(
        override_usage = "minidocker run [OPTIONS] IMAGE [COMMAND] [ARG...]",
        disable_help_flag = true,
        help_template = DOCKER_HELP
    )]
    Run(Box<RunArgs>),
    /// Create a new container
    #[command(
        override_usage = "minidocker create [OPTIONS] IMAGE [COMMAND] [ARG...]",
        disable_help_flag = true,
        help_template = DOCKER_HELP
    )]
    Create(Box<CreateArgs>),
    /// Start one or more stopped containers
    #[command(override_usage = "minidocker start [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Start(StartArgs),
    /// Attach local standard input, output, and error streams to a running container
    #[command(override_usage = "minidocker attach [OPTIONS] CONTAINER", help_template = DOCKER_HELP)]
    Attach(AttachArgs),
    /// Execute a command in a running container
    #[command(override_usage = "minidocker exec [OPTIONS] CONTAINER COMMAND [ARG...]", help_template = DOCKER_HELP)]
    Exec(ExecArgs),
    /// Import the contents from a tarball to create a filesystem image
    #[command(override_usage = "minidocker import [OPTIONS] file|- [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Import(ImportArgs),
    /// List containers
    #[command(override_usage = "minidocker ps [OPTIONS]", help_template = DOCKER_HELP)]
    Ps(PsArgs),
    /// Remove one or more containers
    #[command(override_usage = "minidocker rm [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Rm(RmArgs),
    /// Stop one or more running containers
    #[command(override_usage = "minidocker stop [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Stop(StopArgs),
    /// Kill one or more running containers
    #[command(override_usage = "minidocker kill [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Kill(KillArgs),
    /// Restart one or more containers
    #[command(override_usage = "minidocker restart [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Restart(StopArgs),
    /// Block until one or more containers stop, then print their exit codes
    #[command(override_usage = "minidocker wait CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Wait(ContainersArgs),
    /// Fetch the logs of a container
    #[command(override_usage = "minidocker logs [OPTIONS] CONTAINER", help_template = DOCKER_HELP)]
    Logs(LogsArgs),
    /// Rename a container
    #[command(override_usage = "minidocker rename CONTAINER NEW_NAME", help_template = DOCKER_HELP)]
    Rename(RenameArgs),
    /// Display the running processes of a container
    #[command(override_usage = "minidocker top CONTAINER [ps OPTIONS]", help_template = DOCKER_HELP)]
    Top(TopArgs),
    /// Copy files/folders between a container and the local filesystem
    #[command(
        override_usage = "minidocker cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tminidocker cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
        help_template = DOCKER_HELP
    )]
    Cp(CpArgs),
    /// Get real time events from the server
    #[command(override_usage = "minidocker events [OPTIONS]", help_template = DOCKER_HELP)]
    Events(EventsArgs),
    /// Show the Docker version information
    #[command(override_usage = "minidocker version [OPTIONS]", help_template = DOCKER_HELP)]
    Version(VersionArgs),
    /// Display system-wide information
    #[command(override_usage = "minidocker info [OPTIONS]", help_template = DOCKER_HELP)]
    Info(InfoArgs),
    /// Display a live stream of container(s) resource usage statistics
    #[command(override_usage = "minidocker stats [OPTIONS] [CONTAINER...]", help_template = DOCKER_HELP)]
    Stats(StatsArgs),
    /// Pause all processes within one or more containers
    #[command(override_usage = "minidocker pause CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Pause(ContainersArgs),
    /// List port mappings or a specific mapping for the container
    #[command(override_usage = "minidocker port CONTAINER [PRIVATE_PORT[/PROTO]]", help_template = DOCKER_HELP)]
    Port(PortArgs),
    /// Unpause all processes within one or more containers
    #[command(override_usage = "minidocker unpause CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Unpause(ContainersArgs),
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
    /// Manage volumes
    #[command(subcommand, disable_help_subcommand = true, override_usage = "minidocker volume COMMAND", help_template = group_help!("volume"))]
    Volume(VolumeCommand),
    /// Run one created container for the daemon (its shim; not for people)
    #[command(hide = true)]
    Shim {
        id: String,
        /// The shim's state, from itself before its monitor (JSON)
        #[arg(long, requires = "exit_code")]
        handoff: Option<String>,
        /// How the container's init ended, from the monitor
        #[arg(long, requires = "handoff", allow_negative_numbers = true)]
        exit_code: Option<i32>,
    },
    /// A shim started ahead of its container, which the daemon sends on stdin (not for people)
    #[command(hide = true, name = "spare-shim")]
    SpareShim,
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
#[command(defer = true)]
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

/// `minidocker volume COMMAND`.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum VolumeCommand {
    /// Create a volume
    #[command(override_usage = "minidocker volume create [OPTIONS] [VOLUME]", help_template = DOCKER_HELP)]
    Create(VolumeCreateArgs),
    /// Display detailed information on one or more volumes
    #[command(override_usage = "minidocker volume inspect [OPTIONS] VOLUME [VOLUME...]", help_template = DOCKER_HELP)]
    Inspect(VolumeInspectArgs),
    /// List volumes
    #[command(alias = "list", override_usage = "minidocker volume ls [OPTIONS]", help_template = DOCKER_HELP)]
    Ls(VolumeLsArgs),
    /// Remove unused local volumes
    #[command(override_usage = "minidocker volume prune [OPTIONS]", help_template = DOCKER_HELP)]
    Prune(VolumePruneArgs),
    /// Remove one or more volumes
    #[command(alias = "remove", override_usage = "minidocker volume rm [OPTIONS] VOLUME [VOLUME...]", help_template = DOCKER_HELP)]
    Rm(VolumeRmArgs),
}

/// `minidocker image COMMAND`.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
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
#[command(defer = true)]
pub enum ContainerCommand {
    /// Attach local standard input, output, and error streams to a running container
    #[command(override_usage = "minidocker container attach [OPTIONS] CONTAINER", help_template = DOCKER_HELP)]
    Attach(AttachArgs),
    /// Create a new image from a container's changes
    #[command(override_usage = "minidocker container commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]", help_template = DOCKER_HELP)]
    Commit(CommitArgs),
    /// Create a new container
    #[command(
        override_usage = "minidocker container create [OPTIONS] IMAGE [COMMAND] [ARG...]",
        disable_help_flag = true,
        help_template = DOCKER_HELP
    )]
    Create(Box<CreateArgs>),
    /// Copy files/folders between a container and the local filesystem
    #[command(
        override_usage = "minidocker container cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tminidocker container cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
        help_template = DOCKER_HELP
    )]
    Cp(CpArgs),
    /// Inspect changes to files or directories on a container's filesystem
    #[command(override_usage = "minidocker container diff CONTAINER", help_template = DOCKER_HELP)]
    Diff(DiffArgs),
    /// Execute a command in a running container
    #[command(override_usage = "minidocker container exec [OPTIONS] CONTAINER COMMAND [ARG...]", help_template = DOCKER_HELP)]
    Exec(ExecArgs),
    /// Export a container's filesystem as a tar archive
    #[command(override_usage = "minidocker container export [OPTIONS] CONTAINER", help_template = DOCKER_HELP)]
    Export(ExportArgs),
    /// Display detailed information on one or more containers
    #[command(override_usage = "minidocker container inspect [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Inspect(ContainerInspectArgs),
    /// Kill one or more running containers
    #[command(override_usage = "minidocker container kill [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Kill(KillArgs),
    /// Fetch the logs of a container
    #[command(override_usage = "minidocker container logs [OPTIONS] CONTAINER", help_template = DOCKER_HELP)]
    Logs(LogsArgs),
    /// List containers
    #[command(aliases = ["list", "ps"], override_usage = "minidocker container ls [OPTIONS]", help_template = DOCKER_HELP)]
    Ls(PsArgs),
    /// Pause all processes within one or more containers
    #[command(override_usage = "minidocker container pause CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Pause(ContainersArgs),
    /// List port mappings or a specific mapping for the container
    #[command(override_usage = "minidocker container port CONTAINER [PRIVATE_PORT[/PROTO]]", help_template = DOCKER_HELP)]
    Port(PortArgs),
    /// Remove all stopped containers
    #[command(override_usage = "minidocker container prune [OPTIONS]", help_template = DOCKER_HELP)]
    Prune(ContainerPruneArgs),
    /// Rename a container
    #[command(override_usage = "minidocker container rename CONTAINER NEW_NAME", help_template = DOCKER_HELP)]
    Rename(RenameArgs),
    /// Restart one or more containers
    #[command(override_usage = "minidocker container restart [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Restart(StopArgs),
    /// Remove one or more containers
    #[command(alias = "remove", override_usage = "minidocker container rm [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Rm(RmArgs),
    /// Create and run a new container from an image
    #[command(
        override_usage = "minidocker container run [OPTIONS] IMAGE [COMMAND] [ARG...]",
        disable_help_flag = true,
        help_template = DOCKER_HELP
    )]
    Run(Box<RunArgs>),
    /// Start one or more stopped containers
    #[command(override_usage = "minidocker container start [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Start(StartArgs),
    /// Display a live stream of container(s) resource usage statistics
    #[command(override_usage = "minidocker container stats [OPTIONS] [CONTAINER...]", help_template = DOCKER_HELP)]
    Stats(StatsArgs),
    /// Stop one or more running containers
    #[command(override_usage = "minidocker container stop [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Stop(StopArgs),
    /// Display the running processes of a container
    #[command(override_usage = "minidocker container top CONTAINER [ps OPTIONS]", help_template = DOCKER_HELP)]
    Top(TopArgs),
    /// Unpause all processes within one or more containers
    #[command(override_usage = "minidocker container unpause CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Unpause(ContainersArgs),
    /// Update configuration of one or more containers
    #[command(override_usage = "minidocker container update [OPTIONS] CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Update(UpdateArgs),
    /// Block until one or more containers stop, then print their exit codes
    #[command(override_usage = "minidocker container wait CONTAINER [CONTAINER...]", help_template = DOCKER_HELP)]
    Wait(ContainersArgs),
}

/// `minidocker system COMMAND`.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum SystemCommand {
    /// Show docker disk usage
    #[command(override_usage = "minidocker system df [OPTIONS]", help_template = DOCKER_HELP)]
    Df(DfArgs),
    /// Get real time events from the server
    #[command(override_usage = "minidocker system events [OPTIONS]", help_template = DOCKER_HELP)]
    Events(EventsArgs),
    /// Display system-wide information
    #[command(override_usage = "minidocker system info [OPTIONS]", help_template = DOCKER_HELP)]
    Info(InfoArgs),
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
    // cobra's RequiresMinArgs says "See"; the others (exact, range, none) say "Run", but
    // the docker CLI's RequiresMaxArgs has a typo, "SRun" (checked with docker 28.2.2)
    let hint = if requirement.contains("at least") && !requirement.contains("at most") {
        "See"
    } else if requirement.starts_with("requires at most") {
        "SRun"
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
        Command::Daemon(_) | Command::Shim { .. } | Command::SpareShim | Command::ExecHelper { .. }
    ) {
        init_logging(if cli.debug { "debug" } else { &cli.log_level });
    }
    let api = Connector::new(ConnectOptions {
        host: cli.host.clone().filter(|h| !h.is_empty()),
        data_root: cli.data_root.clone(),
        cgroup_parent: cli.cgroup_parent.clone(),
        tls: cli.tls.resolve(&crate::tls::TlsEnv::from_process()),
    });
    match cli.command {
        Command::Run(args) => run::run(&api, *args, "run"),
        Command::Create(args) => create::create(&api, *args, "create"),
        Command::Start(args) => attach::start(&api, args, "start"),
        Command::Attach(args) => attach::attach(&api, args, "attach"),
        Command::Exec(args) => exec::exec(&api, args, "exec"),
        Command::Stats(args) => stats::stats(&api, args),
        Command::Pause(args) => lifecycle::pause(&api, args, "pause"),
        Command::Port(args) => port::port(&api, args, "port"),
        Command::Unpause(args) => lifecycle::unpause(&api, args, "unpause"),
        Command::Update(args) => update::update(&api, args, "update"),
        Command::Import(args) => image::import(&api, args),
        Command::Ps(args) => container::ps(&api, args),
        Command::Rm(args) => lifecycle::rm(&api, args, "rm"),
        Command::Stop(args) => lifecycle::stop(&api, args, "stop"),
        Command::Kill(args) => lifecycle::kill(&api, args, "kill"),
        Command::Restart(args) => lifecycle::restart(&api, args, "restart"),
        Command::Wait(args) => lifecycle::wait(&api, args, "wait"),
        Command::Logs(args) => logs::logs(&api, args, "logs"),
        Command::Rename(args) => lifecycle::rename(&api, args, "rename"),
        Command::Top(args) => top::top(&api, args, "top"),
        Command::Cp(args) => cp::cp(&api, args, "cp"),
        Command::Events(args) => events::events(&api, args, "events"),
        Command::Version(args) => version::version(&api, args, "version"),
        Command::Info(args) => info::info(&api, args, cli.debug, "info"),
        Command::Pull(args) => distribution::pull(&api, args, "pull"),
        Command::Push(args) => distribution::push(&api, args, "push"),
        Command::Images(args) => images::list(&api, args, "images"),
        Command::Tag(args) => images::tag(&api, args, "tag"),
        Command::Rmi(args) => images::rmi(&api, args, "rmi"),
        Command::History(args) => images::history(&api, args, "history"),
        Command::Inspect(args) => inspect::inspect(&api, args, "inspect"),
        Command::Save(args) => archive::save(&api, args, "save"),
        Command::Load(args) => archive::load(&api, args, "load"),
        Command::Commit(args) => commit::commit(&api, args, "commit"),
        Command::Diff(args) => commit::diff(&api, args, "diff"),
        Command::Export(args) => commit::export(&api, args, "export"),
        Command::Container(sub) => match sub {
            ContainerCommand::Attach(args) => attach::attach(&api, args, "container attach"),
            ContainerCommand::Create(args) => create::create(&api, *args, "container create"),
            ContainerCommand::Exec(args) => exec::exec(&api, args, "container exec"),
            ContainerCommand::Run(args) => run::run(&api, *args, "container run"),
            ContainerCommand::Start(args) => attach::start(&api, args, "container start"),
            ContainerCommand::Commit(args) => commit::commit(&api, args, "container commit"),
            ContainerCommand::Diff(args) => commit::diff(&api, args, "container diff"),
            ContainerCommand::Export(args) => commit::export(&api, args, "container export"),
            ContainerCommand::Inspect(args) => inspect::container_inspect(&api, args, "container inspect"),
            ContainerCommand::Kill(args) => lifecycle::kill(&api, args, "container kill"),
            ContainerCommand::Logs(args) => logs::logs(&api, args, "container logs"),
            ContainerCommand::Ls(args) => container::ps(&api, args),
            ContainerCommand::Pause(args) => lifecycle::pause(&api, args, "container pause"),
            ContainerCommand::Port(args) => port::port(&api, args, "container port"),
            ContainerCommand::Prune(args) => container::prune(&api, args, "container prune"),
            ContainerCommand::Rename(args) => lifecycle::rename(&api, args, "container rename"),
            ContainerCommand::Restart(args) => lifecycle::restart(&api, args, "container restart"),
            ContainerCommand::Rm(args) => lifecycle::rm(&api, args, "container rm"),
            ContainerCommand::Stats(args) => stats::stats(&api, args),
            ContainerCommand::Stop(args) => lifecycle::stop(&api, args, "container stop"),
            ContainerCommand::Top(args) => top::top(&api, args, "container top"),
            ContainerCommand::Cp(args) => cp::cp(&api, args, "container cp"),
            ContainerCommand::Unpause(args) => lifecycle::unpause(&api, args, "container unpause"),
            ContainerCommand::Wait(args) => lifecycle::wait(&api, args, "container wait"),
            ContainerCommand::Update(args) => update::update(&api, args, "container update"),
        },
        Command::Image(sub) => match sub {
            ImageCommand::History(args) => images::history(&api, args, "image history"),
            ImageCommand::Inspect(args) => inspect::image_inspect(&api, args, "image inspect"),
            ImageCommand::Import(args) => image::import(&api, args),
            ImageCommand::Load(args) => archive::load(&api, args, "image load"),
            ImageCommand::Ls(args) => images::list(&api, args, "image ls"),
            ImageCommand::Prune(args) => images::prune(&api, args, "image prune"),
            ImageCommand::Pull(args) => distribution::pull(&api, args, "image pull"),
            ImageCommand::Push(args) => distribution::push(&api, args, "image push"),
            ImageCommand::Rm(args) => images::rmi(&api, args, "image rm"),
            ImageCommand::Save(args) => archive::save(&api, args, "image save"),
            ImageCommand::Tag(args) => images::tag(&api, args, "image tag"),
        },
        Command::Network(sub) => match sub {
            NetworkCommand::Connect(args) => network::connect(&api, args, "network connect"),
            NetworkCommand::Create(args) => network::create(&api, args, "network create"),
            NetworkCommand::Disconnect(args) => network::disconnect(&api, args, "network disconnect"),
            NetworkCommand::Inspect(args) => network::inspect(&api, args, "network inspect"),
            NetworkCommand::Ls(args) => network::ls(&api, args, "network ls"),
            NetworkCommand::Prune(args) => network::prune(&api, args, "network prune"),
            NetworkCommand::Rm(args) => network::rm(&api, args, "network rm"),
        },
        Command::Volume(sub) => match sub {
            VolumeCommand::Create(args) => volume::create(&api, args, "volume create"),
            VolumeCommand::Inspect(args) => volume::inspect(&api, args, "volume inspect"),
            VolumeCommand::Ls(args) => volume::ls(&api, args, "volume ls"),
            VolumeCommand::Prune(args) => volume::prune(&api, args, "volume prune"),
            VolumeCommand::Rm(args) => volume::rm(&api, args, "volume rm"),
        },
        Command::System(SystemCommand::Df(args)) => system::df(&api, args, "system df"),
        Command::System(SystemCommand::Events(args)) => events::events(&api, args, "system events"),
        Command::System(SystemCommand::Info(args)) => info::info(&api, args, cli.debug, "system info"),
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
        Command::Shim {
            id,
            handoff,
            exit_code,
        } => {
            let ran = match (handoff, exit_code) {
                (Some(handoff), Some(code)) => {
                    crate::shim::resume(&cli.data_root, &cli.cgroup_parent, &id, &handoff, code)
                }
                _ => crate::shim::run(&cli.data_root, &cli.cgroup_parent, &id),
            };
            shim_exit_code(ran)
        }
        Command::SpareShim => shim_exit_code(crate::shim::run_spare(&cli.data_root, &cli.cgroup_parent)),
    }
}

/// A shim's exit code: its own, or 125 with the error on stderr (its log).
fn shim_exit_code(ran: anyhow::Result<i32>) -> ExitCode {
    match ran {
        Ok(code) => code,
        Err(e) => {
            eprintln!("minidocker shim: {e:#}");
            125
        }
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

/// A failed request as the Docker CLI reports it: the daemon's answer as
/// `Error response from daemon: …`, anything else (no daemon, a broken connection) as it is;
/// exit 1.
fn api_error(e: &ClientError) -> ExitCode {
    match e {
        ClientError::Daemon { message, .. } => daemon_error(message),
        other => {
            eprintln!("{other}");
            1
        }
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
