//! The flags `run` and `create` share, checked on the client side where the Docker CLI checks
//! them, and turned into the body of `POST /containers/create`: every flag here is a field
//! the daemon reads (see `run_options` in daemon/api/lifecycle.rs).

use clap::Args;

use super::kvfile::{self, ListProblem};
use super::network_flags::{FlagProblem, NetworkFlags};
use super::resources::{CreateResourceFlags, go_parse_bool, go_parse_int};
use crate::api_types::{ContainerCreateBody, HostConfigBody};
use crate::container::RestartPolicy;
use crate::engine::volumes::flags::{VolumeFlag, parse_mount_flag, volume_flag};
use crate::log_config::LogConfig;

// The flags of `run` and `create` (`run`'s own, `-d` and the attach options, are in
// [`super::RunArgs`]). Not a doc comment: clap would make it the about of `run` and `create`,
// whose arguments are built only when they run (`#[command(defer = true)]`, after the about).
#[derive(Debug, Args)]
pub struct ContainerFlags {
    /// Automatically remove the container and its associated anonymous volumes when it exits
    #[arg(long)]
    pub rm: bool,
    /// Assign a name to the container
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub name: Option<String>,
    /// Container host name
    #[arg(short = 'h', long, value_name = "string", allow_hyphen_values = true)]
    pub hostname: Option<String>,
    /// Set environment variables
    #[arg(short = 'e', long = "env", value_name = "list", allow_hyphen_values = true)]
    pub env: Vec<String>,
    /// Read in a file of environment variables
    #[arg(long = "env-file", value_name = "list")]
    pub env_file: Vec<String>,
    /// Working directory inside the container
    #[arg(short = 'w', long, value_name = "string", allow_hyphen_values = true)]
    pub workdir: Option<String>,
    /// Username or UID (format: <name|uid>[:<group|gid>])
    #[arg(short = 'u', long, value_name = "string", allow_hyphen_values = true)]
    pub user: Option<String>,
    /// Keep STDIN open even if not attached
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Overwrite the default ENTRYPOINT of the image
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// Set meta data on a container
    #[arg(short = 'l', long = "label", value_name = "list", allow_hyphen_values = true)]
    pub label: Vec<String>,
    /// Read in a line delimited file of labels
    #[arg(long = "label-file", value_name = "list")]
    pub label_file: Vec<String>,
    /// Restart policy to apply when a container exits
    #[arg(long, value_name = "string", default_value = "no")]
    pub restart: String,
    /// Signal to stop the container
    #[arg(long = "stop-signal", value_name = "string")]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) to stop a container
    #[arg(long = "stop-timeout", value_name = "int", allow_hyphen_values = true)]
    pub stop_timeout: Option<String>,
    /// Logging driver for the container
    #[arg(long = "log-driver", value_name = "string")]
    pub log_driver: Option<String>,
    /// Log driver options
    #[arg(long = "log-opt", value_name = "list")]
    pub log_opt: Vec<String>,
    /// Run an init inside the container that forwards signals and reaps processes
    #[arg(
        long,
        value_name = "bool",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub init: Option<String>,
    /// Bind mount a volume
    #[arg(short = 'v', long = "volume", value_name = "list")]
    pub volume: Vec<String>,
    /// Attach a filesystem mount to the container
    #[arg(long, value_name = "mount")]
    pub mount: Vec<String>,
    /// Mount a tmpfs directory
    #[arg(long, value_name = "list")]
    pub tmpfs: Vec<String>,
    /// Write the container ID to the file
    #[arg(long, value_name = "string")]
    pub cidfile: Option<String>,
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
}

/// `--pull`: when to pull the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PullPolicy {
    Always,
    /// The default: only if the daemon has no such image.
    Missing,
    Never,
}

impl PullPolicy {
    pub fn parse(value: &str) -> Result<PullPolicy, String> {
        match value {
            "always" => Ok(PullPolicy::Always),
            "missing" => Ok(PullPolicy::Missing),
            "never" => Ok(PullPolicy::Never),
            other => Err(format!(
                "invalid pull option: '{other}': must be one of \"always\", \"missing\" or \"never\""
            )),
        }
    }
}

/// Everything a create needs: the body, the name, and how to get the image.
#[derive(Debug, Clone)]
pub struct CreateRequest {
    pub body: ContainerCreateBody,
    pub name: Option<String>,
    pub pull: PullPolicy,
    pub quiet: bool,
    pub cidfile: Option<String>,
}

/// Docker's `ParseRestartPolicy`: `name[:count]`.
fn parse_restart(raw: &str) -> Result<RestartPolicy, String> {
    let (name, count) = match raw.split_once(':') {
        Some(("", _)) => {
            return Err("invalid restart policy format: no policy provided before colon".into());
        }
        Some((name, count)) => (name, count),
        None => (raw, ""),
    };
    let maximum_retry_count = match count {
        "" => 0,
        n => n.parse().map_err(|_| {
            "invalid restart policy format: maximum retry count must be an integer".to_owned()
        })?,
    };
    Ok(RestartPolicy {
        name: name.to_owned(),
        maximum_retry_count,
    })
}

impl ContainerFlags {
    /// The flags checked as the Docker CLI checks them, in its order, and the request made of
    /// them; `Err` is the problem to report (a flag error, or the command's own).
    pub fn request(&self, image: &str, command: &[String]) -> Result<CreateRequest, FlagProblem> {
        let (resources, cgroup_parent) = self.resources.parse().map_err(FlagProblem::Flag)?;
        let kernel_memory = self.resources.kernel_memory().map_err(FlagProblem::Flag)?;
        let cwd = std::env::current_dir().unwrap_or_default();
        let mounts = self
            .mount
            .iter()
            .map(|value| {
                parse_mount_flag(value, &cwd).map_err(|why| {
                    FlagProblem::Flag(format!("invalid argument {value:?} for \"--mount\" flag: {why}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let list = |p: ListProblem| match p {
            ListProblem::Flag(problem) => FlagProblem::Flag(problem),
            ListProblem::File(problem) => FlagProblem::Command(problem),
        };
        let env = kvfile::environment(&self.env_file, &self.env).map_err(list)?;
        let mut body = ContainerCreateBody::default();
        let mut host = HostConfigBody::default();
        self.network.apply(&mut body, &mut host)?;
        let pull = PullPolicy::parse(&self.pull).map_err(FlagProblem::Command)?;
        let labels = kvfile::labels(&self.label_file, &self.label).map_err(list)?;
        let stop_timeout = match self.stop_timeout.as_deref() {
            None => None,
            Some(raw) => Some(go_parse_int(raw).map_err(|why| {
                FlagProblem::Flag(format!(
                    "invalid argument \"{raw}\" for \"--stop-timeout\" flag: {why}"
                ))
            })?),
        };
        let init = match self.init.as_deref() {
            None => None,
            Some(raw) => Some(go_parse_bool(raw).map_err(|why| {
                FlagProblem::Flag(format!("invalid argument \"{raw}\" for \"--init\" flag: {why}"))
            })?),
        };
        // -v with a source is a bind (a volume's name, or a host path), without one an
        // anonymous volume; --tmpfs is DEST[:OPTIONS]
        let mut binds = Vec::new();
        let mut volumes = std::collections::BTreeMap::new();
        for spec in &self.volume {
            match volume_flag(spec, &cwd).map_err(FlagProblem::Command)? {
                VolumeFlag::Bind(bind) => binds.push(bind),
                VolumeFlag::Volume(path) => {
                    volumes.insert(path, serde_json::json!({}));
                }
            }
        }
        let tmpfs: std::collections::BTreeMap<String, String> = self
            .tmpfs
            .iter()
            .map(|t| match t.split_once(':') {
                Some((dest, options)) => (dest.to_owned(), options.to_owned()),
                None => (t.clone(), String::new()),
            })
            .collect();
        let restart_policy = parse_restart(&self.restart).map_err(FlagProblem::Command)?;
        if self.rm && !matches!(restart_policy.name.as_str(), "" | "no") {
            return Err(FlagProblem::Command(
                "conflicting options: cannot specify both --restart and --rm".into(),
            ));
        }
        let log_driver = self.log_driver.clone().unwrap_or_default();
        if log_driver == crate::log_config::NONE && !self.log_opt.is_empty() {
            return Err(FlagProblem::Command(format!(
                "invalid logging opts for driver {log_driver}"
            )));
        }

        host.set_resources(resources);
        host.kernel_memory = kernel_memory;
        host.cgroup_parent = cgroup_parent;
        host.auto_remove = self.rm;
        host.restart_policy = Some(restart_policy);
        // an empty driver is the daemon's default one
        host.log_config = Some(LogConfig {
            kind: log_driver,
            config: kvfile::key_values(&self.log_opt),
        });
        host.init = init;
        host.binds = (!binds.is_empty()).then_some(binds);
        host.mounts = (!mounts.is_empty()).then_some(mounts);
        host.tmpfs = (!tmpfs.is_empty()).then_some(tmpfs);
        body.volumes = (!volumes.is_empty()).then_some(volumes);
        body.image = image.to_owned();
        body.cmd = Some(command.to_vec()).filter(|c| !c.is_empty());
        // `--entrypoint ""` resets the image's
        body.entrypoint = self.entrypoint.as_ref().map(|e| serde_json::json!([e]));
        body.env = Some(env);
        body.working_dir = self.workdir.clone().unwrap_or_default();
        body.user = self.user.clone().unwrap_or_default();
        body.hostname = self.hostname.clone().unwrap_or_default();
        body.tty = self.tty;
        body.open_stdin = self.interactive;
        // what a client attaches to (`run -d` attaches nothing); the input closes with the
        // first client's (Docker's StdinOnce for an attached -i)
        body.attach_stdin = self.interactive;
        body.attach_stdout = true;
        body.attach_stderr = true;
        body.stdin_once = self.interactive;
        body.labels = Some(labels);
        body.stop_signal = self.stop_signal.clone().unwrap_or_default();
        body.stop_timeout = stop_timeout;
        body.host_config = Some(host);
        Ok(CreateRequest {
            body,
            name: self.name.clone().filter(|n| !n.is_empty()),
            pull,
            quiet: self.quiet,
            cidfile: self.cidfile.clone().filter(|f| !f.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_policies_parse_as_dockers() {
        assert_eq!(parse_restart("no").unwrap(), RestartPolicy::default());
        let p = parse_restart("on-failure:3").unwrap();
        assert_eq!((p.name.as_str(), p.maximum_retry_count), ("on-failure", 3));
        // the daemon judges the name
        assert_eq!(parse_restart("sometimes").unwrap().name, "sometimes");
        assert_eq!(
            parse_restart(":3").unwrap_err(),
            "invalid restart policy format: no policy provided before colon"
        );
        assert_eq!(
            parse_restart("on-failure:x").unwrap_err(),
            "invalid restart policy format: maximum retry count must be an integer"
        );
    }

    #[test]
    fn pull_policies_are_dockers() {
        assert_eq!(PullPolicy::parse("always"), Ok(PullPolicy::Always));
        assert_eq!(PullPolicy::parse("missing"), Ok(PullPolicy::Missing));
        assert_eq!(PullPolicy::parse("never"), Ok(PullPolicy::Never));
        assert_eq!(
            PullPolicy::parse("bogus").unwrap_err(),
            r#"invalid pull option: 'bogus': must be one of "always", "missing" or "never""#
        );
    }
}
