//! `minidocker run`: the flags, then the engine, with Docker's error layout and exit codes.

use std::path::Path;

use clap::Args;

use super::distribution::PullPolicy;
use super::resources::CreateResourceFlags;
use super::{ExitCode, flag_error};
use crate::engine::network::NetworkRunOptions;
use crate::engine::{Engine, RunOptions};
use crate::env::{expand_env_flag, validate_env_flag};
use ch07_network::parse_port_spec;
use std::net::{IpAddr, Ipv4Addr};

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
    pub network: NetworkFlags,
    #[command(flatten)]
    pub resources: CreateResourceFlags,
    /// Print usage
    #[arg(long, action = clap::ArgAction::Help)]
    pub help: Option<bool>,
    pub image: String,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

/// The network flags of `run` (chapter 7).
#[derive(Debug, Args)]
pub struct NetworkFlags {
    /// Connect a container to a network
    #[arg(
        long = "network",
        visible_alias = "net",
        value_name = "network",
        allow_hyphen_values = true
    )]
    pub network: Option<String>,
    /// Add network-scoped alias for the container
    #[arg(long = "network-alias", visible_alias = "net-alias", value_name = "list")]
    pub network_alias: Vec<String>,
    /// IPv4 address (e.g., 172.30.100.104)
    #[arg(long, value_name = "string")]
    pub ip: Option<String>,
    /// Publish a container's port(s) to the host
    #[arg(short = 'p', long = "publish", value_name = "list")]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Expose a port or a range of ports
    #[arg(long, value_name = "list")]
    pub expose: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip)
    #[arg(long = "add-host", value_name = "list")]
    pub add_host: Vec<String>,
    /// Set custom DNS servers
    #[arg(long, value_name = "list")]
    pub dns: Vec<String>,
    /// Set DNS options
    #[arg(long = "dns-option", value_name = "list")]
    pub dns_option: Vec<String>,
    /// Set custom DNS search domains
    #[arg(long = "dns-search", value_name = "list")]
    pub dns_search: Vec<String>,
}

impl NetworkFlags {
    /// The flags checked as the docker CLI checks them: `Err` is the flag error to print.
    pub fn parse(&self) -> Result<(NetworkRunOptions, Vec<String>), FlagProblem> {
        let invalid = |value: &str, flag: &str, why: String| {
            FlagProblem::Flag(format!("invalid argument \"{value}\" for \"{flag}\" flag: {why}"))
        };
        let ip = match self.ip.as_deref() {
            None | Some("") => None,
            Some(raw) => Some(raw.parse::<Ipv4Addr>().map_err(|_| {
                invalid(
                    raw,
                    "--ip",
                    format!("invalid string being converted to IP address: {raw}"),
                )
            })?),
        };
        let mut publish = Vec::new();
        for spec in &self.publish {
            publish.extend(parse_port_spec(spec).map_err(|e| FlagProblem::Run(e.to_string()))?);
        }
        let mut expose = Vec::new();
        for raw in &self.expose {
            expose.extend(parse_expose(raw).map_err(FlagProblem::Run)?);
        }
        let mut extra_hosts = Vec::new();
        for raw in &self.add_host {
            let bad = || invalid(raw, "--add-host", format!("bad format for add-host: \"{raw}\""));
            let (host, addr) = raw.split_once(':').ok_or_else(bad)?;
            let addr: IpAddr = addr.parse().map_err(|_| {
                invalid(
                    raw,
                    "--add-host",
                    format!("invalid IP address in add-host: \"{addr}\""),
                )
            })?;
            if host.is_empty() {
                return Err(bad());
            }
            extra_hosts.push((host.to_owned(), addr));
        }
        let mut dns = Vec::new();
        for raw in &self.dns {
            dns.push(
                raw.parse::<IpAddr>()
                    .map_err(|_| invalid(raw, "--dns", format!("{raw} is not an ip address")))?,
            );
        }
        let options = NetworkRunOptions {
            mode: self.network.clone().unwrap_or_default(),
            ip,
            aliases: self.network_alias.clone(),
            publish,
            publish_all: self.publish_all,
            extra_hosts,
            dns,
            dns_search: self.dns_search.clone(),
            dns_options: self.dns_option.clone(),
        };
        Ok((options, expose))
    }
}

/// How a bad network flag is reported: as a flag error, or as `run`'s own.
#[derive(Debug)]
pub enum FlagProblem {
    Flag(String),
    Run(String),
}

/// `--expose 80`, `80/udp`, `8000-8010/tcp`: the `80/tcp` keys (go-connections' rules).
fn parse_expose(raw: &str) -> Result<Vec<String>, String> {
    let (ports, proto) = raw.split_once('/').unwrap_or((raw, "tcp"));
    let proto = if proto.is_empty() { "tcp" } else { proto };
    if !["tcp", "udp", "sctp"].contains(&proto) {
        return Err(format!("invalid proto: {proto}"));
    }
    let bad = || {
        format!(
            "invalid range format for --expose: {raw}, error: Invalid range specified for the Port: {ports}"
        )
    };
    let (start, end) = match ports.split_once('-') {
        Some((a, b)) => (
            a.parse::<u16>().map_err(|_| bad())?,
            b.parse::<u16>().map_err(|_| bad())?,
        ),
        None => {
            let port = ports.parse::<u16>().map_err(|_| bad())?;
            (port, port)
        }
    };
    if start > end {
        return Err(bad());
    }
    Ok((start..=end).map(|p| format!("{p}/{proto}")).collect())
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
    let (mut network, expose) = match args.network.parse() {
        Ok(parsed) => parsed,
        Err(FlagProblem::Flag(problem)) => return flag_error("run", &problem),
        Err(FlagProblem::Run(problem)) => return run_failure(&problem, 125),
    };
    if network.mode == "host" && !network.publish.is_empty() {
        eprintln!("WARNING: Published ports are discarded when using host network mode");
        network.publish.clear();
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
        network,
        expose,
        restart_policy: Default::default(),
    };
    match engine.run(&opts) {
        Ok(code) => code,
        Err(e) => run_error(&e.message, e.exit_code),
    }
}
