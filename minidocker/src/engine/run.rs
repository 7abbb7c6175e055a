//! `run`: validate, create the container, start it in the foreground in its own cgroup, record
//! how it ended (and whether the OOM killer ended it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ch01_process::{BlockedSignals, Reap, forwarded_signals, supervise};
use ch03_rootfs::capabilities::DEFAULT_CAPABILITIES;
use ch03_rootfs::process::prepare_workdir;
use ch03_rootfs::{Mount, ProcessSpec, RootfsSpec, UserSpec, resolve_user};
use ch06_cgroups::Resources;
use rand::{Rng, RngCore};

use super::network::sandbox::{Sandbox, SandboxEndpoints, resolv_conf, write_hosts};
use super::network::settings::{NetworkHostConfig, PortBinding};
use super::network::{NetworkPlan, NetworkRunOptions};
use super::volumes::MountRequest;
use super::volumes::mount_points::add_user_mounts;
use super::{CgroupGuard, ContainerLayer, Engine};
use crate::atomic::write_json_atomic;
use crate::container::{
    Config, Container, ContainerStdio, HostConfig, State, ZERO_TIME, generate_id, now_rfc3339, validate_name,
};
use crate::env::container_env;
use crate::log_config::LogConfig;
use crate::names::random_name;
use crate::runtime::{LaunchSpec, Launched, launch_placed};
use ch04_layers::Durability;

/// What `run` was asked to do (the body of `POST /containers/create` from chapter 10 on).
/// Saved at create time as `<container dir>/start.json` (minidocker's own file) for `start`;
/// the resource limits and published ports are not in it: they are in hostconfig.json.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunOptions {
    pub image: String,
    /// Replaces the image's CMD when not empty.
    pub command: Vec<String>,
    pub name: Option<String>,
    pub hostname: Option<String>,
    /// `KEY=value`, already validated and expanded.
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    pub interactive: bool,
    pub auto_remove: bool,
    /// The resource flags as given (`-m`, `--cpus`, …), validated by `run` itself.
    #[serde(skip)]
    pub resources: Resources,
    /// `--cgroup-parent`; empty: the engine's default.
    pub cgroup_parent: String,
    /// `--network`, `-p`, `--dns`, … (chapter 7).
    pub network: NetworkRunOptions,
    /// `--expose`: `80/tcp` keys.
    pub expose: Vec<String>,
    /// `--restart` (chapter 8), carried out by the container's shim.
    pub restart_policy: crate::container::RestartPolicy,
}

/// The file `create` saves the run options in, for `start`.
pub const START_SPEC: &str = "start.json";

/// What `create` records beyond [`RunOptions`] (chapter 8): the entrypoint, labels, stop
/// signal and timeout in `Config`, the log driver and `--init` in `HostConfig`. `start` reads
/// them from there, not from `start.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerOptions {
    /// `--entrypoint`: `None` when not given (the image's), `Some([])` for none at all,
    /// `Some([""])` (`--entrypoint ""`) to reset the image's and its CMD.
    pub entrypoint: Option<Vec<String>>,
    /// `--label`s (the image's are added at create).
    pub labels: BTreeMap<String, String>,
    /// `--stop-signal` as given; empty: the image's STOPSIGNAL, else SIGTERM.
    pub stop_signal: String,
    /// `--stop-timeout` in seconds.
    pub stop_timeout: Option<i64>,
    /// `--log-driver`, `--log-opt`, the daemon's defaults already merged in.
    pub log_config: LogConfig,
    /// `--init`.
    pub init: Option<bool>,
    /// `--kernel-memory` in bytes: recorded as Docker records it ([`Engine::check_kernel_memory`]).
    pub kernel_memory: i64,
    /// `-v`, `--mount`, `--tmpfs` (issues 8 and 9): `Binds`, `Mounts` and `Tmpfs` in
    /// `HostConfig`, `Volumes` in `Config`; the mounts decided in the container's `mounts.json`.
    pub mounts: MountRequest,
    /// `-i`, `-t` and what the client attaches to; `None`: what `minidocker run` in the
    /// foreground records ([`ContainerStdio::foreground`]).
    pub stdio: Option<ContainerStdio>,
}

// ANCHOR: entrypoint_and_cmd
/// What the container runs, by Docker's rules (moby's `merge` at create): an entrypoint
/// given (not empty) replaces the image's and drops the image's CMD too; none given keeps
/// the image's; `[]` means none. The arguments are the run's, else (unless an entrypoint
/// was given) the image's CMD. `[""]`, `--entrypoint ""`, ends up as no entrypoint at all,
/// after the CMD was decided (so `--entrypoint "" image` alone has no command).
/// Returns the entrypoint and CMD to record; the command is one followed by the other.
pub fn entrypoint_and_cmd(
    given_entrypoint: Option<&[String]>,
    given_cmd: &[String],
    image: &ch05_images::ContainerConfig,
) -> (Option<Vec<String>>, Vec<String>) {
    let explicit = given_entrypoint.is_some_and(|e| !e.is_empty());
    let cmd = match (&image.cmd, given_cmd.is_empty() && !explicit) {
        (Some(image_cmd), true) => image_cmd.clone(),
        _ => given_cmd.to_vec(),
    };
    let entrypoint = match given_entrypoint {
        None => image.entrypoint.clone().filter(|e| !e.is_empty()),
        Some([reset]) if reset.is_empty() => None,
        Some(e) => Some(e.to_vec()),
    };
    (entrypoint, cmd)
}
// ANCHOR_END: entrypoint_and_cmd

/// Why a container did not run. The message is Docker's; `exit_code` is what `run` exits with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RunError {
    pub exit_code: i32,
    pub message: String,
}

impl RunError {
    fn engine(message: impl std::fmt::Display) -> Self {
        RunError {
            exit_code: 125,
            message: message.to_string(),
        }
    }
}

impl Engine {
    /// A name no container has yet, the way moby picks one.
    fn generate_name(&self, id: &str) -> Result<String, RunError> {
        let mut rng = rand::rng();
        for retry in 0..6 {
            let name = random_name(retry, &mut |n| rng.random_range(0..n));
            if self.containers.check_name_free(&name).is_ok() {
                return Ok(name);
            }
        }
        Ok(id[..12].to_owned())
    }

    /// `create`: checks everything that can be checked, then makes the container's records
    /// and its layer; returns its id. Nothing is left behind when it fails.
    // ANCHOR: create_checks
    pub fn create_container_with(
        &self,
        opts: &RunOptions,
        more: &ContainerOptions,
    ) -> Result<String, RunError> {
        // Everything that can be checked is checked before anything is created.
        let name = opts
            .name
            .as_deref()
            .map(validate_name)
            .transpose()
            .map_err(RunError::engine)?;
        if !more.stop_signal.is_empty() {
            crate::signals::parse_signal(&more.stop_signal).map_err(RunError::engine)?;
        }
        more.log_config.validate().map_err(RunError::engine)?;
        opts.restart_policy.validate().map_err(RunError::engine)?;
        if opts.auto_remove && !matches!(opts.restart_policy.name.as_str(), "" | "no") {
            return Err(RunError::engine(
                "can't create 'AutoRemove' container with restart policy",
            ));
        }
        // Docker checks the host config before it looks at the image.
        let checked = self
            .check_resources(&opts.resources, false)
            .map_err(RunError::engine)?;
        let (kernel_memory, _) = self
            .check_kernel_memory(more.kernel_memory)
            .map_err(RunError::engine)?;
        self.effective_cgroup_parent(&opts.cgroup_parent)
            .map_err(RunError::engine)?;
        let (image, image_layers) = self.image_with_layers(&opts.image).map_err(RunError::engine)?;
        let defaults = &image.config.config;
        let hostname_given = opts.hostname.as_deref().is_some_and(|h| !h.is_empty());
        // `None`: `--network container:X` with no X yet; dockerd looks X up at start only
        let plan = match self.plan_network(&opts.network, hostname_given) {
            Ok(plan) => Some(plan),
            Err(super::network::NetworkError::NoSuchContainer(_)) => None,
            Err(e) => return Err(RunError::engine(e)),
        };
        // -w and -u override the image's WORKDIR and USER
        let workdir_flag = opts
            .workdir
            .clone()
            .filter(|w| !w.is_empty())
            .or_else(|| defaults.working_dir.clone().filter(|w| !w.is_empty()));
        let user_flag = opts
            .user
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| defaults.user.clone().filter(|u| !u.is_empty()));
        // checked now, used at start
        if let Some(u) = user_flag.as_deref() {
            UserSpec::parse(u).map_err(RunError::engine)?;
        }
        if let Some(w) = workdir_flag.as_deref().filter(|w| !w.starts_with('/')) {
            return Err(RunError::engine(format!(
                "the working directory '{w}' is invalid, it needs to be an absolute path"
            )));
        }
        let (entrypoint, cmd) = entrypoint_and_cmd(more.entrypoint.as_deref(), &opts.command, defaults);
        let command: Vec<String> = entrypoint.iter().flatten().chain(&cmd).cloned().collect();
        if command.is_empty() {
            return Err(RunError::engine("No command specified"));
        }
        if let Some(n) = &name {
            self.containers.check_name_free(n).map_err(RunError::engine)?;
        }
        // ANCHOR_END: create_checks
        // -v, --mount, --tmpfs and the image's VOLUMEs, checked; made once the container is
        let image_volumes = defaults.volumes.iter().flatten().map(|(path, _)| path);
        let planned_mounts = self
            .check_mounts(&more.mounts, image_volumes)
            .map_err(RunError::engine)?;

        let mut random = rand::rng();
        let id = generate_id(|b| random.fill_bytes(b));
        let name = match name {
            Some(n) => n,
            None => self.generate_name(&id)?,
        };
        // Docker: the host's name with --network host, the other container's with
        // container:<x>, else -h or the short id.
        let hostname = match &plan {
            Some(NetworkPlan::Container(other)) => other.config.hostname.clone(),
            Some(NetworkPlan::Host) if !hostname_given => nix::unistd::gethostname()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_else(|_| id[..12].to_owned()),
            _ => opts
                .hostname
                .clone()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| id[..12].to_owned()),
        };
        let exposed = exposed_ports(
            defaults.exposed_ports.iter().flatten().map(|(k, _)| k.as_str()),
            opts,
        );
        let container = Container {
            id: id.clone(),
            created: now_rfc3339(),
            path: command[0].clone(),
            args: command[1..].to_vec(),
            config: Config {
                hostname: hostname.clone(),
                domainname: String::new(),
                user: user_flag.clone().unwrap_or_default(),
                env: opts.env.clone(),
                cmd,
                entrypoint,
                image: opts.image.clone(),
                working_dir: workdir_flag.clone().unwrap_or_default(),
                volumes: (!more.mounts.volumes.is_empty()).then(|| {
                    more.mounts
                        .volumes
                        .iter()
                        .map(|path| (path.clone(), serde_json::json!({})))
                        .collect()
                }),
                exposed_ports: (!exposed.is_empty()).then(|| {
                    exposed
                        .iter()
                        .map(|k| (k.clone(), serde_json::json!({})))
                        .collect()
                }),
                // Docker keeps the merged labels and stop signal in the container's config.
                labels: Some(merged_labels(&more.labels, defaults.labels.as_ref())),
                stop_signal: match more.stop_signal.as_str() {
                    "" => defaults.stop_signal.clone().unwrap_or_default(),
                    given => given.to_owned(),
                },
                stop_timeout: more.stop_timeout,
                stdio: more
                    .stdio
                    .unwrap_or_else(|| ContainerStdio::foreground(opts.interactive)),
            },
            state: State {
                status: "created".into(),
                started_at: ZERO_TIME.into(),
                finished_at: ZERO_TIME.into(),
                ..State::default()
            },
            image: image.id.to_string(),
            name: format!("/{name}"),
            network_settings: plan
                .as_ref()
                .map(|plan| plan.created_settings(&opts.network))
                .unwrap_or_default(),
            restart_count: 0,
        };
        let durability = if opts.auto_remove {
            Durability::Volatile
        } else {
            Durability::Synced
        };
        let dir = self
            .containers
            .create(&container, durability)
            .map_err(RunError::engine)?;
        let mut host_config = HostConfig::with_resources(&checked.resources, &opts.cgroup_parent);
        host_config.network = network_host_config(plan.as_ref(), opts);
        host_config.restart_policy = opts.restart_policy.clone();
        host_config.auto_remove = opts.auto_remove;
        host_config.binds = (!more.mounts.binds.is_empty()).then(|| more.mounts.binds.clone());
        host_config.mounts = more.mounts.mounts.clone();
        host_config.tmpfs = more.mounts.tmpfs.clone();
        host_config.log_config = more.log_config.clone();
        host_config.init = more.init;
        host_config.kernel_memory = kernel_memory;
        if let Err(e) = self.containers.save_host_config(&id, &host_config) {
            let _ = self.containers.remove(&id);
            return Err(RunError::engine(e));
        }
        let saved = write_json_atomic(&dir.join(START_SPEC), opts, durability).map_err(RunError::engine);
        if let Err(e) = saved.and_then(|()| {
            self.create_container_layer(&id, image_layers.last(), durability)
                .map_err(RunError::engine)
        }) {
            // not created after all: leave nothing behind
            let _ = self.containers.remove(&id);
            return Err(e);
        }
        if let Err(e) = self.register_mounts(&container, planned_mounts) {
            let _ = self.remove_container_layer(&id);
            let _ = self.containers.remove(&id);
            return Err(RunError::engine(e));
        }
        self.container_event(&container, "create", &[]);
        Ok(id)
    }

    /// `start` of a created container, by this process (the shim's, chapter 8): returns once
    /// its init runs and the record says so, with what its exit undoes
    /// ([`Engine::finish_run`]). A container with a terminal (`-t`) sends its master over
    /// `console` ([`crate::terminal`]).
    pub fn start_created(
        &self,
        id: &str,
        console: Option<std::os::fd::BorrowedFd<'_>>,
    ) -> Result<RunningContainer<'_>, RunError> {
        let mut container = self.containers.load(id).map_err(RunError::engine)?;
        if self.is_running(&container) {
            return Err(RunError::engine(format!("container {id} is already running")));
        }
        let console = match (container.config.stdio.tty, console) {
            (true, None) => {
                return Err(RunError::engine(format!(
                    "container {id} has a terminal (-t): only its shim can start it"
                )));
            }
            (true, Some(socket)) => Some(std::os::fd::AsRawFd::as_raw_fd(&socket)),
            (false, _) => None,
        };
        let dir = self.containers.dir(id);
        let host_config = self.containers.host_config(id).map_err(RunError::engine)?;
        let opts = self.start_spec(id)?;
        let image = self
            .images
            .get(&container.image.parse().map_err(RunError::engine)?)
            .map_err(RunError::engine)?;
        let image_env = image.config.config.env.clone().unwrap_or_default();
        let layer = self
            .container_layer(id)
            .map_err(RunError::engine)?
            .ok_or_else(|| RunError::engine(format!("container {id} has no layer")))?;
        let user_spec = match container.config.user.as_str() {
            "" => None,
            u => Some(UserSpec::parse(u).map_err(RunError::engine)?),
        };
        let workdir = match container.config.working_dir.as_str() {
            "" => PathBuf::from("/"),
            w => PathBuf::from(w),
        };
        let plan = self
            .plan_network(&opts.network, false)
            .map_err(RunError::engine)?;
        plan.check_joinable().map_err(RunError::engine)?;
        let exposed: Vec<String> = container
            .config
            .exposed_ports
            .iter()
            .flatten()
            .map(|(k, _)| k.clone())
            .collect();
        self.launch_container(
            &mut container,
            &dir,
            &layer,
            &image_env,
            &opts,
            user_spec.as_ref(),
            &workdir,
            &host_config.resources(),
            &plan,
            &exposed,
            host_config.init == Some(true),
            console,
        )
    }

    /// The saved `start.json`, with the limits and published ports put back from the host
    /// config.
    pub fn start_spec(&self, id: &str) -> Result<RunOptions, RunError> {
        let host_config = self.containers.host_config(id).map_err(RunError::engine)?;
        let path = self.containers.dir(id).join(START_SPEC);
        let bytes = std::fs::read(&path).map_err(|e| RunError::engine(format!("{}: {e}", path.display())))?;
        let mut opts: RunOptions = serde_json::from_slice(&bytes)
            .map_err(|e| RunError::engine(format!("{}: {e}", path.display())))?;
        opts.resources = host_config.resources();
        for (key, bindings) in &host_config.network.port_bindings {
            for binding in bindings {
                opts.network
                    .publish
                    .extend(binding.mappings(key).map_err(RunError::engine)?);
            }
        }
        Ok(opts)
    }

    #[allow(clippy::too_many_arguments)]
    fn launch_container(
        &self,
        container: &mut Container,
        dir: &Path,
        layer: &ContainerLayer,
        image_env: &[String],
        opts: &RunOptions,
        user_spec: Option<&UserSpec>,
        workdir: &Path,
        resources: &Resources,
        plan: &NetworkPlan,
        exposed: &[String],
        init: bool,
        console: Option<std::os::fd::RawFd>,
    ) -> Result<RunningContainer<'_>, RunError> {
        let fail_start = |container: &mut Container, err: RunError| {
            container.state.exit_code = err.exit_code;
            container.state.error = err.message.clone();
            let _ = self.containers.save(container);
            err
        };
        let hostname = container.config.hostname.clone();
        // Mounted in the host's mount namespace, as Docker does: `merged` shows the container's
        // files on the host while it runs. The guard unmounts it however this function ends.
        let durability = self.containers.durability(&container.id);
        let mounted = MountedLayer::mount(self, layer, durability).map_err(RunError::engine)?;
        let rootfs = mounted.merged.clone();
        let prepared = self
            .write_container_files(dir, &hostname, plan, &opts.network)
            .and_then(|()| {
                prepare_workdir(&rootfs, workdir).map_err(RunError::engine)?;
                match user_spec {
                    Some(spec) => resolve_user(&rootfs, spec).map_err(RunError::engine),
                    None => resolve_user(
                        &rootfs,
                        &UserSpec {
                            user: "0".into(),
                            group: None,
                        },
                    )
                    .map_err(RunError::engine),
                }
            });
        let user = match prepared {
            Ok(user) => user,
            Err(e) => return Err(fail_start(container, e)),
        };
        let env = container_env(&hostname, image_env, &opts.env, &user.home);
        // The cgroup exists, limits applied, before the init does; the guard removes it (and
        // anything in it) however this function ends.
        let cgroup = match self.create_cgroup(&container.id, &opts.cgroup_parent, resources) {
            Ok(cgroup) => cgroup,
            Err(e) => return Err(fail_start(container, RunError::engine(e))),
        };
        let mut rootfs_spec = RootfsSpec::docker_default(&rootfs);
        // With container:<x> the files are x's, shared as Docker shares them.
        let files_dir = match plan {
            NetworkPlan::Container(other) => self.containers.dir(&other.id),
            _ => dir.to_owned(),
        };
        for file in ["resolv.conf", "hostname", "hosts"] {
            rootfs_spec
                .mounts
                .push(Mount::bind(files_dir.join(file), format!("/etc/{file}")));
        }
        if let Some(cg) = cgroup.cgroup() {
            rootfs_spec.mounts.extend(cg.rootfs_mounts());
        }
        // Volumes, binds and tmpfs, in the container's mount namespace over the defaults.
        match self.start_mounts(container) {
            Ok(mounts) => add_user_mounts(&mut rootfs_spec.mounts, mounts),
            Err(e) => return Err(fail_start(container, RunError::engine(e))),
        }
        let spec = LaunchSpec {
            rootfs: rootfs_spec,
            process: ProcessSpec {
                args: std::iter::once(container.path.clone())
                    .chain(container.args.iter().cloned())
                    .collect(),
                env,
                cwd: workdir.to_owned(),
                user,
                capabilities: DEFAULT_CAPABILITIES.to_vec(),
            },
            hostname,
            network: plan.namespace(),
            keep_stdin: opts.interactive,
            init,
            console_socket: console,
            // v1: the init joins by itself, cheaply; v2: the parent places it below
            join_cgroups: cgroup
                .cgroup()
                .map(|cg| cg.manager().self_join_files())
                .unwrap_or_default(),
        };

        let _blocked = BlockedSignals::block(&forwarded_signals()).map_err(RunError::engine)?;
        // While the init waits: into its cgroup, then its network (veth, address, hosts
        // file, DNS server, ports), so the command starts with everything in place.
        let mut connected = None;
        let place = |pid: nix::unistd::Pid| -> Result<(), String> {
            if let Some(cg) = cgroup.cgroup()
                && spec.join_cgroups.is_empty()
            {
                cg.manager().add_process(pid).map_err(|e| e.to_string())?;
            }
            let (sandbox, settings) = self
                .connect_sandbox(container, pid.as_raw(), plan, &opts.network, exposed, dir)
                .map_err(|e| e.to_string())?;
            // On record before the command runs where a DNS server answers for its network:
            // its first query looks itself up there. (Elsewhere the save of the running
            // container, a moment later, is the first that matters: none here, no waiter
            // woken for nothing.)
            let saved = if sandbox.has_dns_server() {
                let mut record = container.clone();
                record.network_settings = settings.clone();
                self.containers.save(&record).map_err(|e| e.to_string())
            } else {
                Ok(())
            };
            connected = Some((sandbox, settings));
            saved
        };
        let launched = match launch_placed(&spec, place) {
            Ok(launched) => launched,
            Err(e) => return Err(fail_start(container, RunError::engine(e))),
        };
        let (sandbox, network_settings) = connected.unwrap_or_default();
        let pid = match launched {
            Launched::Running(pid) => pid,
            Launched::Failed { pid, failure } => {
                let _ = ch01_process::wait_for_exit(pid);
                self.disconnect_sandbox(sandbox);
                let message = format!(
                    "failed to create shim task: OCI runtime create failed: minidocker create failed: unable to start container process: {}: unknown",
                    failure.message
                );
                return Err(fail_start(
                    container,
                    RunError {
                        exit_code: failure.exit_code,
                        message,
                    },
                ));
            }
        };
        container.state = State {
            status: "running".into(),
            running: true,
            pid: pid.as_raw(),
            started_at: now_rfc3339(),
            finished_at: ZERO_TIME.into(),
            ..State::default()
        };
        container.network_settings = network_settings;
        self.containers.save(container).map_err(RunError::engine)?;
        self.container_event(container, "start", &[]);
        tracing::info!(container = %container.id, pid = pid.as_raw(), "started");

        Ok(RunningContainer {
            container: container.clone(),
            pid,
            mounted,
            cgroup,
            sandbox,
            _blocked,
        })
    }

    /// Container `id`'s run as this process's earlier self left it when it handed the init
    /// over to the small monitor (execve(2) keeps the pid, hence the children): its record,
    /// its mounted layer, its cgroup and `sandbox`, so that [`Engine::finish_run`] undoes them.
    pub fn adopt_running(&self, id: &str, sandbox: Sandbox) -> Result<RunningContainer<'_>, RunError> {
        let container = self.containers.load(id).map_err(RunError::engine)?;
        let layer = self
            .container_layer(id)
            .map_err(RunError::engine)?
            .ok_or_else(|| RunError::engine(format!("container {id} has no layer")))?;
        let cgroup = self.adopt_cgroup(id).map_err(RunError::engine)?;
        Ok(RunningContainer {
            pid: nix::unistd::Pid::from_raw(container.state.pid),
            container,
            mounted: MountedLayer::adopt(self, &layer, self.containers.durability(id)),
            cgroup,
            sandbox,
            _blocked: BlockedSignals::block(&forwarded_signals()).map_err(RunError::engine)?,
        })
    }

    /// Supervises `running` in this process until its init ends, then [`Engine::finish_run`].
    pub fn run_to_exit(
        &self,
        running: RunningContainer<'_>,
        restarts: &dyn Fn(i32, &Container) -> bool,
    ) -> Result<i32, RunError> {
        match running.supervise() {
            Ok(code) => self.finish_run(running, code, restarts),
            Err(e) => {
                self.disconnect_sandbox(running.sandbox);
                Err(RunError::engine(e))
            }
        }
    }

    /// What follows the end of a container's init (exit `code`): Docker's `oom` and `die`
    /// events, its network, layer and cgroup undone, the exit recorded. `restarts` says, given
    /// the exit code and the container, whether its restart policy runs it again: then the
    /// exit is recorded as Docker's `SetRestarting` does (`restarting`, still `Running`,
    /// `RestartCount` one more), else as `exited`, in the same write; it is asked before
    /// anything else is done. Returns `code`.
    pub fn finish_run(
        &self,
        running: RunningContainer<'_>,
        code: i32,
        restarts: &dyn Fn(i32, &Container) -> bool,
    ) -> Result<i32, RunError> {
        // the layer is unmounted as `_mounted` drops, once the exit is on record
        let RunningContainer {
            mut container,
            mounted: _mounted,
            cgroup,
            sandbox,
            ..
        } = running;
        let container = &mut container;
        // `rename` may have renamed it meanwhile: its events and its record keep the new name.
        if let Ok(now) = self.containers.load(&container.id) {
            container.name = now.name;
        }
        // asked first: the caller may let go of what only another run would need
        let again = restarts(code, container);
        // Docker's OOMKilled: the kernel's OOM killer killed a process of the container.
        let oom_killed = cgroup.cgroup().is_some_and(|cg| cg.oom_kills() > 0);
        // Docker's order: oom, die, then the network goes.
        if oom_killed {
            self.container_event(container, "oom", &[]);
        }
        self.container_event(container, "die", &[("exitCode", code.to_string())]);
        self.disconnect_sandbox(sandbox);
        self.unmount_events(container);
        if let Err(e) = cgroup.destroy() {
            // Kept on record: `rm` tries again.
            tracing::warn!(container = %container.id, error = %e, "removing the container's cgroup");
        }
        container.state.status = "exited".into();
        container.state.running = false;
        container.state.paused = false;
        container.state.oom_killed = oom_killed;
        container.state.pid = 0;
        container.state.exit_code = code;
        container.state.finished_at = now_rfc3339();
        // `network connect` from another terminal may have added endpoints: the record on
        // disk has them, and their addresses go back too.
        if let Ok(now) = self.containers.load(&container.id) {
            container.network_settings = now.network_settings;
        }
        if let Err(e) = self.release_container_addresses(&container.id) {
            tracing::warn!(container = %container.id, error = %e, "releasing addresses");
        }
        container.network_settings = container.network_settings.stopped();
        if again {
            container.state.status = "restarting".into();
            container.state.running = true;
            container.state.restarting = true;
            container.restart_count += 1;
        }
        // `rm -f` from another terminal may have removed the container already (even while we
        // save): then there is nothing to record.
        if let Err(e) = self.containers.save(container) {
            if self.containers.dir(&container.id).exists() {
                return Err(RunError::engine(e));
            }
        }
        Ok(code)
    }

    /// The container's `/etc/{hostname,hosts,resolv.conf}`, bind-mounted over the empty files
    /// of its init layer. The hosts file gets the container's address once it has one
    /// ([`Engine::connect_sandbox`]); with `--network host` it is the host's.
    fn write_container_files(
        &self,
        dir: &Path,
        hostname: &str,
        plan: &NetworkPlan,
        network: &NetworkRunOptions,
    ) -> Result<(), RunError> {
        let io = |what: &str| {
            let what = what.to_owned();
            move |e: std::io::Error| RunError::engine(format!("{what}: {e}"))
        };
        std::fs::write(dir.join("hostname"), format!("{hostname}\n")).map_err(io("writing hostname"))?;
        match plan {
            NetworkPlan::Host => {
                let mut hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
                for (name, ip) in &network.extra_hosts {
                    hosts.push_str(&format!("{ip}\t{name}\n"));
                }
                std::fs::write(dir.join("hosts"), hosts).map_err(io("writing hosts"))?;
            }
            _ => write_hosts(dir, hostname, &[], &network.extra_hosts).map_err(RunError::engine)?,
        }
        let host_resolv = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        std::fs::write(dir.join("resolv.conf"), resolv_conf(plan, network, &host_resolv))
            .map_err(io("writing resolv.conf"))
    }
}

/// A container's layer mounted at `overlay2/<mount id>/merged` until dropped.
#[derive(Debug)]
struct MountedLayer<'a> {
    engine: &'a Engine,
    mount_id: String,
    merged: PathBuf,
    /// [`Durability::Volatile`]: the layer goes with its (`--rm`) container once it ends, and
    /// its empty mount point with it ([`ch04_layers::LayerDriver::unmount_only`]).
    durability: Durability,
}

impl<'a> MountedLayer<'a> {
    /// Mounts `layer` with its container's durability: a `--rm` container's layer `volatile`
    /// (no syncs, none at the unmount either: the layer goes with the container), every
    /// other's synced, as Docker mounts all.
    fn mount(
        engine: &'a Engine,
        layer: &ContainerLayer,
        durability: Durability,
    ) -> Result<Self, ch04_layers::LayerError> {
        let merged = engine.layers.mount_with(&layer.mount_id, layer.api, durability)?;
        Ok(MountedLayer {
            engine,
            mount_id: layer.mount_id.clone(),
            merged,
            durability,
        })
    }
}

impl MountedLayer<'_> {
    /// The guard of `layer`, mounted already (by this process before an execve(2)).
    fn adopt<'a>(engine: &'a Engine, layer: &ContainerLayer, durability: Durability) -> MountedLayer<'a> {
        MountedLayer {
            engine,
            mount_id: layer.mount_id.clone(),
            merged: engine.layers.root().join(&layer.mount_id).join("merged"),
            durability,
        }
    }
}

// ANCHOR: running_container
/// A container whose init runs, started by this process (its shim): what
/// [`Engine::finish_run`] undoes once the init has ended. Dropped instead, it undoes them all
/// the same (its layer, its cgroup), without a record.
#[derive(Debug)]
pub struct RunningContainer<'a> {
    /// The record as saved when the init started.
    pub container: Container,
    /// The container's init, a child of this process.
    pub pid: nix::unistd::Pid,
    mounted: MountedLayer<'a>,
    cgroup: CgroupGuard,
    sandbox: Sandbox,
    /// The signals [`RunningContainer::supervise`] forwards, blocked since before the init
    /// was cloned.
    _blocked: BlockedSignals,
}

impl RunningContainer<'_> {
    /// What the exit phase needs of the network, unless some of it runs in this process
    /// (userland proxies of published ports, an embedded DNS server: threads): then the
    /// container needs this process until it ends.
    pub fn sandbox_endpoints(&self) -> Option<SandboxEndpoints> {
        self.sandbox.endpoints()
    }

    /// Chapter 1's supervision in this process: signals forwarded to the init until it
    /// ends; its exit code.
    pub fn supervise(&self) -> Result<i32, ch01_process::ProcessError> {
        supervise(self.pid, Reap::MainChildOnly).map(|status| status.code())
    }

    /// Whether the init has ended, or ends within `grace`: poll(2) of a pidfd of it
    /// (pidfd_open(2)), which becomes readable when the process exits. The init is left
    /// to [`RunningContainer::supervise`] to reap; signals stay blocked meanwhile.
    pub fn ends_within(&self, grace: std::time::Duration) -> bool {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        use std::os::fd::AsFd;
        let Ok(pidfd) = ch02_namespaces::PidFd::open(self.pid) else {
            return false;
        };
        let timeout = PollTimeout::try_from(grace).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(pidfd.as_fd(), PollFlags::POLLIN)];
        poll(&mut fds, timeout).is_ok_and(|ready| ready > 0)
    }
}
// ANCHOR_END: running_container

impl Drop for MountedLayer<'_> {
    fn drop(&mut self) {
        // `rm -f` from another terminal may have removed the layer already.
        let unmounted = match self.durability {
            Durability::Volatile => self.engine.layers.unmount_only(&self.mount_id).map(drop),
            Durability::Synced => self.engine.layers.unmount(&self.mount_id),
        };
        if let Err(e) = unmounted {
            tracing::debug!(mount_id = %self.mount_id, error = %e, "unmounting container layer");
        }
    }
}

/// `--label`s, then the image's labels they do not set (Docker's merge).
pub fn merged_labels(
    given: &BTreeMap<String, String>,
    image: Option<&BTreeMap<String, String>>,
) -> BTreeMap<String, String> {
    let mut labels = given.clone();
    for (key, value) in image.into_iter().flatten() {
        labels.entry(key.clone()).or_insert_with(|| value.clone());
    }
    labels
}

/// `Config.ExposedPorts`: the image's EXPOSE, `--expose`, and the ports `-p` publishes.
fn exposed_ports<'a>(image: impl Iterator<Item = &'a str>, opts: &RunOptions) -> Vec<String> {
    let mut keys: Vec<String> = image.map(str::to_owned).collect();
    keys.extend(opts.expose.iter().cloned());
    keys.extend(opts.network.publish.iter().map(|m| m.port_key()));
    keys.sort();
    keys.dedup();
    keys
}

/// The network fields of `HostConfig`, as asked.
fn network_host_config(plan: Option<&NetworkPlan>, opts: &RunOptions) -> NetworkHostConfig {
    let network = &opts.network;
    let mut port_bindings: std::collections::BTreeMap<String, Vec<PortBinding>> = Default::default();
    for mapping in &network.publish {
        port_bindings
            .entry(mapping.port_key())
            .or_default()
            .push(PortBinding {
                host_ip: mapping.host_ip_string(),
                host_port: mapping.host_port_string(),
            });
    }
    NetworkHostConfig {
        network_mode: plan.map_or_else(|| network.mode.clone(), |plan| plan.mode_string(&network.mode)),
        port_bindings,
        publish_all_ports: network.publish_all,
        dns: network.dns.iter().map(|ip| ip.to_string()).collect(),
        dns_options: network.dns_options.clone(),
        dns_search: network.dns_search.clone(),
        extra_hosts: (!network.extra_hosts.is_empty()).then(|| {
            network
                .extra_hosts
                .iter()
                .map(|(h, ip)| format!("{h}:{ip}"))
                .collect()
        }),
    }
}
