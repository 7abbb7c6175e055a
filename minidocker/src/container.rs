//! A container's identity and state, saved as Docker-shaped JSON under
//! `<data-root>/containers/<id>/config.v2.json`, and its [`HostConfig`] (resource limits) in
//! `hostconfig.json` beside it: Docker's own file names and split.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use ch06_cgroups::Resources;
use nix::fcntl::{Flock, FlockArg};

use crate::engine::network::NetworkSettings;
use crate::engine::network::settings::NetworkHostConfig;

use crate::atomic::{Durability, write_json_atomic};

/// Docker's file for a container's [`HostConfig`].
const HOST_CONFIG_FILE: &str = "hostconfig.json";
/// In a container's directory: its files are written without fsync(2)
/// ([`ContainerStore::durability`]).
pub const VOLATILE_MARKER: &str = "volatile";
/// In a container's directory: the file every save of its record locks
/// ([`ContainerStore::update`]).
pub const RECORD_LOCK: &str = "record.lock";

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error(
        "Conflict. The container name \"/{name}\" is already in use by container \"{id}\". You have to remove (or rename) that container to be able to reuse that name."
    )]
    NameInUse { name: String, id: String },
    #[error("No such container: {0}")]
    NotFound(String),
    #[error(
        "You cannot remove a running container {0}. Stop the container before attempting removal or force remove"
    )]
    RemoveRunning(String),
    #[error(
        "You cannot remove a paused container {0}. Unpause and then stop the container before attempting removal or force remove"
    )]
    RemovePaused(String),
    #[error("Invalid container name ({0}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")]
    InvalidName(String),
    #[error("Container {0} is not running")]
    NotRunning(String),
    #[error("Container {0} is already paused")]
    AlreadyPaused(String),
    #[error("Container {0} is not paused")]
    NotPaused(String),
    /// Another `rm` (or a `--rm` container's own removal) holds [`ContainerStore::begin_removal`].
    #[error("removal of container {0} is already in progress")]
    RemovalInProgress(String),
    #[error("container store {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ContainerError + '_ {
    move |source| ContainerError::Io {
        path: path.to_owned(),
        source,
    }
}

/// What the container runs (`Config` in `docker inspect`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Config {
    pub hostname: String,
    pub domainname: String,
    pub user: String,
    pub env: Vec<String>,
    pub cmd: Vec<String>,
    /// `--entrypoint`, else the image's ENTRYPOINT; `null` if none (or `--entrypoint ""`).
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    pub image: String,
    pub working_dir: String,
    /// `-v /path` (anonymous volumes) → `{}`; the image's VOLUMEs are merged in by inspect;
    /// absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    /// `80/tcp` → `{}`: the image's EXPOSE, `--expose` and `-p` ports; absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    /// `--label`s, then the image's labels they do not override (chapter 8); absent in the
    /// records of an older minidocker (the image's then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// `--stop-signal`, else the image's STOPSIGNAL, as given (`SIGUSR1`, `usr1`, `10`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stop_signal: String,
    /// `--stop-timeout` in seconds (`stop` without `-t` waits that long, else 10 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    /// `-i`, `-t` and what the creator attached to.
    #[serde(flatten)]
    pub stdio: ContainerStdio,
}

impl Config {
    /// The signal `stop` sends first (its own or its image's `StopSignal`, else SIGTERM).
    pub fn stop_signal(&self) -> i32 {
        crate::signals::stop_signal(&self.stop_signal)
    }

    /// How long `stop` waits when not told (`-t`): `StopTimeout`, else Docker's 10 s;
    /// negative: for ever.
    pub fn stop_timeout(&self) -> i64 {
        self.stop_timeout.unwrap_or(crate::signals::DEFAULT_STOP_TIMEOUT)
    }
}

/// How a container's standard streams are connected: `Config`'s `AttachStdin` … `StdinOnce`
/// in `docker inspect`, as the create body gave them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerStdio {
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    /// `-t`: its stdio is a pseudo-terminal (see [`crate::terminal`]).
    pub tty: bool,
    /// `-i`: it has a standard input that attached clients can feed.
    pub open_stdin: bool,
    /// Its standard input closes when the first attached client closes its own.
    pub stdin_once: bool,
}

impl ContainerStdio {
    /// What `minidocker run` in the foreground records: attached to the output, and to the
    /// input with `-i`.
    pub fn foreground(interactive: bool) -> ContainerStdio {
        ContainerStdio {
            attach_stdin: interactive,
            attach_stdout: true,
            attach_stderr: true,
            tty: false,
            open_stdin: interactive,
            stdin_once: interactive,
        }
    }
}

/// Where the container is in its life (`State` in `docker inspect`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct State {
    pub status: String,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    pub dead: bool,
    pub pid: i32,
    pub exit_code: i32,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
}

/// `HostConfig.RestartPolicy`: `no`, `always`, `unless-stopped`, `on-failure` (with a
/// maximum number of retries, 0 for none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestartPolicy {
    pub name: String,
    /// 0 when a client leaves it out (`{"Name": "always"}`), as Docker reads it.
    #[serde(default)]
    pub maximum_retry_count: i64,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy {
            name: "no".into(),
            maximum_retry_count: 0,
        }
    }
}

impl RestartPolicy {
    /// Docker's check of a policy (`--restart` on `run`/`create`): the name, and a count only
    /// with `on-failure`.
    pub fn validate(&self) -> Result<(), String> {
        match self.name.as_str() {
            "" | "no" | "always" | "unless-stopped" if self.maximum_retry_count != 0 => Err(format!(
                "maximum retry count cannot be used with restart policy '{}'",
                self.name
            )),
            "" | "no" | "always" | "unless-stopped" => Ok(()),
            "on-failure" if self.maximum_retry_count < 0 => {
                Err("maximum retry count cannot be negative".into())
            }
            "on-failure" => Ok(()),
            other => Err(format!("invalid restart policy '{other}'")),
        }
    }

    /// Whether a container that ended with `code` after `restarts` restarts, `stopped` saying
    /// whether a user stopped it (`docker stop`): then no policy restarts it.
    pub fn restarts(&self, code: i32, restarts: i64, stopped: bool) -> bool {
        if stopped {
            return false;
        }
        match self.name.as_str() {
            "always" | "unless-stopped" => true,
            "on-failure" => {
                code != 0 && (self.maximum_retry_count == 0 || restarts < self.maximum_retry_count)
            }
            _ => false,
        }
    }
}

/// The settings `run` decided for the host side of a container (`HostConfig` in
/// `docker inspect`, `hostconfig.json` on disk): for now its resource limits, with Docker's
/// field names, order and units (bytes, µs, nano-CPUs), after Docker's create-time defaults
/// (`-m` alone gives `MemorySwap` twice `Memory`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    pub cpu_shares: i64,
    pub memory: i64,
    pub nano_cpus: i64,
    /// `--cgroup-parent` as given; empty: the engine's default.
    pub cgroup_parent: String,
    pub blkio_weight: u16,
    pub cpu_period: i64,
    pub cpu_quota: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
    pub memory_reservation: i64,
    pub memory_swap: i64,
    /// `null` where the kernel has no such switch (cgroup v2).
    pub oom_kill_disable: Option<bool>,
    /// `null`: no limit.
    pub pids_limit: Option<i64>,
    /// `--kernel-memory`: recorded, never applied (deprecated; v1's kmem limit is gone).
    pub kernel_memory: i64,
    /// `-v` flags with a source (`Binds`); absent (`null` in inspect) when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binds: Option<Vec<String>>,
    /// `--mount` flags (`Mounts`); absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<crate::engine::volumes::MountSpec>,
    /// `--tmpfs` flags (`Tmpfs`): destination → mount options; absent when none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tmpfs: BTreeMap<String, String>,
    /// `--network`, `-p`, `--dns`, `--add-host` (chapter 7).
    #[serde(flatten)]
    pub network: NetworkHostConfig,
    /// `--restart` (chapter 8).
    pub restart_policy: RestartPolicy,
    /// `--rm`.
    pub auto_remove: bool,
    /// `--log-driver` and `--log-opt` (chapter 8), after the daemon's defaults.
    pub log_config: crate::log_config::LogConfig,
    /// `--init`: a tiny init is the container's PID 1 (`null`: not asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
}

impl HostConfig {
    /// The limits as chapter 6 applies them.
    pub fn resources(&self) -> Resources {
        Resources {
            memory: self.memory,
            memory_swap: self.memory_swap,
            memory_reservation: self.memory_reservation,
            oom_kill_disable: self.oom_kill_disable,
            nano_cpus: self.nano_cpus,
            cpu_shares: self.cpu_shares,
            cpu_period: self.cpu_period,
            cpu_quota: self.cpu_quota,
            cpuset_cpus: self.cpuset_cpus.clone(),
            cpuset_mems: self.cpuset_mems.clone(),
            pids_limit: self.pids_limit,
            blkio_weight: self.blkio_weight,
        }
    }

    /// A host config with `resources` (already validated) under `cgroup_parent`.
    pub fn with_resources(resources: &Resources, cgroup_parent: &str) -> Self {
        HostConfig {
            cpu_shares: resources.cpu_shares,
            memory: resources.memory,
            nano_cpus: resources.nano_cpus,
            cgroup_parent: cgroup_parent.to_owned(),
            blkio_weight: resources.blkio_weight,
            cpu_period: resources.cpu_period,
            cpu_quota: resources.cpu_quota,
            cpuset_cpus: resources.cpuset_cpus.clone(),
            cpuset_mems: resources.cpuset_mems.clone(),
            memory_reservation: resources.memory_reservation,
            memory_swap: resources.memory_swap,
            oom_kill_disable: resources.oom_kill_disable,
            pids_limit: resources.pids_limit,
            kernel_memory: 0,
            binds: None,
            mounts: Vec::new(),
            tmpfs: BTreeMap::new(),
            network: NetworkHostConfig::default(),
            restart_policy: RestartPolicy::default(),
            auto_remove: false,
            log_config: crate::log_config::LogConfig::default(),
            init: None,
        }
    }
}

/// The whole saved record of one container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Container {
    #[serde(rename = "ID")]
    pub id: String,
    pub created: String,
    pub path: String,
    pub args: Vec<String>,
    pub config: Config,
    pub state: State,
    /// The image id, `sha256:…`.
    pub image: String,
    /// With Docker's leading slash: `/vigilant_sanderson`.
    pub name: String,
    /// Its networks and published ports (chapter 7).
    #[serde(default)]
    pub network_settings: NetworkSettings,
    /// How many times its restart policy has restarted it (chapter 8).
    #[serde(default)]
    pub restart_count: i64,
}

pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

/// A random 64-hex id, never all digits (so a short id can never be mistaken for a number).
pub fn generate_id(mut random_bytes: impl FnMut(&mut [u8])) -> String {
    loop {
        let mut bytes = [0u8; 32];
        random_bytes(&mut bytes);
        let id = hex::encode(bytes);
        if id[..12].chars().any(|c| c.is_ascii_alphabetic()) {
            return id;
        }
    }
}

/// `--name`: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, an optional leading slash.
pub fn validate_name(name: &str) -> Result<String, ContainerError> {
    let bare = name.strip_prefix('/').unwrap_or(name);
    let mut chars = bare.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest_ok = bare.len() >= 2 && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if first_ok && rest_ok {
        Ok(bare.to_owned())
    } else {
        Err(ContainerError::InvalidName(name.to_owned()))
    }
}

/// The containers under `<data-root>/containers`.
#[derive(Debug, Clone)]
pub struct ContainerStore {
    root: PathBuf,
    /// Where removed containers' directories go to be deleted later.
    trash: crate::trash::Trash,
}

/// A container's removal in progress ([`ContainerStore::begin_removal`]); dropping it ends it.
#[derive(Debug)]
pub struct RemovalGuard {
    _lock: nix::fcntl::Flock<std::fs::File>,
}

impl ContainerStore {
    pub fn open(data_root: &Path) -> Result<ContainerStore, ContainerError> {
        let root = data_root.join("containers");
        std::fs::create_dir_all(&root).map_err(io_err(&root))?;
        Ok(ContainerStore {
            root,
            trash: crate::trash::Trash::of(data_root),
        })
    }

    /// The directory holding one container's files (state, hostname, hosts, resolv.conf, rootfs).
    pub fn dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    pub fn list(&self) -> Result<Vec<Container>, ContainerError> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&self.root).map_err(io_err(&self.root))? {
            let entry = entry.map_err(io_err(&self.root))?;
            let path = entry.path().join("config.v2.json");
            if let Ok(bytes) = std::fs::read(&path) {
                if let Ok(c) = serde_json::from_slice(&bytes) {
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// The container `name_or_id` names: its name (with or without the slash), its full id, or a
    /// unique id prefix, as Docker resolves them (an exact name wins over an id prefix).
    pub fn find(&self, name_or_id: &str) -> Result<Container, ContainerError> {
        // Docker's order: a full id first (found without reading every record), then a
        // name, then an id prefix.
        if ch05_images::Digest::from_hex(name_or_id).is_ok() {
            if let Ok(c) = self.load(name_or_id) {
                return Ok(c);
            }
        }
        let all = self.list()?;
        let wanted_name = format!("/{}", name_or_id.trim_start_matches('/'));
        if let Some(c) = all.iter().find(|c| c.id == name_or_id || c.name == wanted_name) {
            return Ok(c.clone());
        }
        let mut by_prefix = all
            .iter()
            .filter(|c| !name_or_id.is_empty() && c.id.starts_with(name_or_id));
        match (by_prefix.next(), by_prefix.next()) {
            (Some(c), None) => Ok(c.clone()),
            _ => Err(ContainerError::NotFound(name_or_id.to_owned())),
        }
    }

    /// Fail with Docker's conflict message if another container has `name`.
    pub fn check_name_free(&self, name: &str) -> Result<(), ContainerError> {
        let wanted = format!("/{name}");
        match self.list()?.into_iter().find(|c| c.name == wanted) {
            Some(c) => Err(ContainerError::NameInUse {
                name: name.to_owned(),
                id: c.id,
            }),
            None => Ok(()),
        }
    }

    // ANCHOR: durability
    /// Create the container's directory and save its first state. A [`Durability::Volatile`]
    /// container (a `--rm` one: it goes when it ends) has its files written without
    /// fsync(2), which is most of what `docker run --rm` would otherwise wait for the disk
    /// on. A crash of the machine can leave its records empty; the next daemon removes it
    /// whatever is left ([`ContainerStore::durability`] still says what it was).
    pub fn create(&self, container: &Container, durability: Durability) -> Result<PathBuf, ContainerError> {
        let dir = self.dir(&container.id);
        std::fs::create_dir(&dir).map_err(io_err(&dir))?;
        if durability == Durability::Volatile {
            let marker = dir.join(VOLATILE_MARKER);
            if let Err(e) = std::fs::write(&marker, b"") {
                let _ = std::fs::remove_dir(&dir);
                return Err(ContainerError::Io {
                    path: marker,
                    source: e,
                });
            }
        }
        self.save(container)?;
        Ok(dir)
    }

    /// How container `id`'s files are written: without fsync(2) if it was created
    /// [`Durability::Volatile`] (its directory has the marker, an empty file, which a crash
    /// cannot turn into something else).
    pub fn durability(&self, id: &str) -> Durability {
        if self.dir(id).join(VOLATILE_MARKER).exists() {
            Durability::Volatile
        } else {
            Durability::Synced
        }
    }
    // ANCHOR_END: durability

    pub fn save(&self, container: &Container) -> Result<(), ContainerError> {
        let _lock = self.lock_record(&container.id)?;
        self.save_locked(container)
    }

    fn save_locked(&self, container: &Container) -> Result<(), ContainerError> {
        let path = self.dir(&container.id).join("config.v2.json");
        write_json_atomic(&path, container, self.durability(&container.id)).map_err(io_err(&path))
    }

    // ANCHOR: record_lock
    /// Container `id`'s record read, changed by `change` and saved, with no other save in
    /// between (another process's included: the shim records an exit while `unpause` runs).
    /// `change` returns whether to save. `Ok(None)`: nothing saved.
    pub fn update(
        &self,
        id: &str,
        change: impl FnOnce(&mut Container) -> bool,
    ) -> Result<Option<Container>, ContainerError> {
        let _lock = self.lock_record(id)?;
        let mut container = self.load(id)?;
        if !change(&mut container) {
            return Ok(None);
        }
        self.save_locked(&container)?;
        Ok(Some(container))
    }

    /// The lock every save of container `id`'s record is made under: flock(2) of `record.lock`
    /// in its directory, held until the guard is dropped.
    fn lock_record(&self, id: &str) -> Result<Flock<std::fs::File>, ContainerError> {
        let path = self.dir(id).join(RECORD_LOCK);
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => ContainerError::NotFound(id.to_owned()),
                _ => ContainerError::Io {
                    path: path.clone(),
                    source: e,
                },
            })?;
        Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, errno)| ContainerError::Io {
            path,
            source: errno.into(),
        })
    }
    // ANCHOR_END: record_lock

    /// The container with exactly this id, as saved now (another command may have changed it
    /// since it was read: `pause` sets `State.Paused` while `run` waits for the container).
    pub fn load(&self, id: &str) -> Result<Container, ContainerError> {
        let path = self.dir(id).join("config.v2.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ContainerError::Io {
                path,
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(ContainerError::NotFound(id.to_owned()))
            }
            Err(e) => Err(ContainerError::Io { path, source: e }),
        }
    }

    /// The container's `hostconfig.json`; the defaults (no limits) when it has none.
    pub fn host_config(&self, id: &str) -> Result<HostConfig, ContainerError> {
        let path = self.dir(id).join(HOST_CONFIG_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| ContainerError::Io {
                path,
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(HostConfig::default()),
            Err(e) => Err(ContainerError::Io { path, source: e }),
        }
    }

    pub fn save_host_config(&self, id: &str, host_config: &HostConfig) -> Result<(), ContainerError> {
        let path = self.dir(id).join(HOST_CONFIG_FILE);
        write_json_atomic(&path, host_config, self.durability(id)).map_err(io_err(&path))
    }

    /// Marks container `id` as being removed, until the guard is dropped: an exclusive
    /// flock(2) of its directory, taken without waiting. Of two removers (`rm -f` and the
    /// removal of a `--rm` container that `rm -f` has just killed), the second gets
    /// [`ContainerError::RemovalInProgress`], as from dockerd's `setRemovalInProgress`;
    /// `name` is how the caller named the container, for the messages.
    pub fn begin_removal(&self, id: &str, name: &str) -> Result<RemovalGuard, ContainerError> {
        let dir = self.dir(id);
        let handle = std::fs::File::open(&dir).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => ContainerError::NotFound(name.to_owned()),
            _ => ContainerError::Io {
                path: dir.clone(),
                source,
            },
        })?;
        match nix::fcntl::Flock::lock(handle, nix::fcntl::FlockArg::LockExclusiveNonblock) {
            Ok(lock) if dir.exists() => Ok(RemovalGuard { _lock: lock }),
            // removed by the holder just before we locked
            Ok(_) => Err(ContainerError::NotFound(name.to_owned())),
            Err((_, nix::errno::Errno::EWOULDBLOCK)) => {
                Err(ContainerError::RemovalInProgress(name.to_owned()))
            }
            Err((_, errno)) => Err(ContainerError::Io {
                path: dir,
                source: errno.into(),
            }),
        }
    }

    /// What a crash of the machine left of [`Durability::Volatile`] containers: the ids of
    /// those whose record is gone or unreadable (their files were never fsync(2)ed).
    pub fn volatile_wrecks(&self) -> Result<Vec<String>, ContainerError> {
        let mut wrecks = Vec::new();
        for entry in std::fs::read_dir(&self.root).map_err(io_err(&self.root))? {
            let id = entry
                .map_err(io_err(&self.root))?
                .file_name()
                .to_string_lossy()
                .into_owned();
            if self.durability(&id) == Durability::Volatile && self.load(&id).is_err() {
                wrecks.push(id);
            }
        }
        Ok(wrecks)
    }

    /// Remove the container and everything in its directory: gone for every reader at once
    /// (one rename(2) into the data root's trash), its files deleted in the background.
    pub fn remove(&self, id: &str) -> Result<(), ContainerError> {
        let dir = self.dir(id);
        self.trash.discard(&dir).map_err(io_err(&dir))
    }

    /// The trash of this store's data root.
    pub fn trash(&self) -> &crate::trash::Trash {
        &self.trash
    }

    /// The directory holding every container's directory (`<data-root>/containers`).
    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_64_hex_and_not_all_digits_at_the_front() {
        let mut n = 0u8;
        let id = generate_id(|b| {
            n += 1;
            b.fill(if n == 1 { 0x11 } else { 0xab }); // first try is all digits and is refused
        });
        assert_eq!(id, "ab".repeat(32));
    }

    #[test]
    fn names_follow_dockers_pattern() {
        assert_eq!(validate_name("web-1.a_b").unwrap(), "web-1.a_b");
        assert_eq!(validate_name("/web").unwrap(), "web");
        for bad in ["", "a", "-web", "bad name", "_x", "a/b"] {
            let err = validate_name(bad).unwrap_err().to_string();
            assert_eq!(
                err,
                format!("Invalid container name ({bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
            );
        }
    }

    #[test]
    fn host_config_has_dockers_field_names_and_order() {
        let hc = HostConfig::with_resources(
            &Resources {
                memory: 50 << 20,
                memory_swap: 100 << 20,
                oom_kill_disable: Some(false),
                ..Default::default()
            },
            "",
        );
        let json = serde_json::to_string(&hc).unwrap();
        assert_eq!(
            json,
            r#"{"CpuShares":0,"Memory":52428800,"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,"CpuPeriod":0,"CpuQuota":0,"CpusetCpus":"","CpusetMems":"","MemoryReservation":0,"MemorySwap":104857600,"OomKillDisable":false,"PidsLimit":null,"KernelMemory":0,"NetworkMode":"","PortBindings":{},"PublishAllPorts":false,"Dns":[],"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,"LogConfig":{"Type":"json-file","Config":{}}}"#
        );
        assert_eq!(hc.resources().memory_swap, 100 << 20);
        // A record without some fields (an older minidocker) reads with the defaults.
        let old: HostConfig = serde_json::from_str(r#"{"Memory":1}"#).unwrap();
        assert_eq!(old.memory, 1);
        assert_eq!(old.pids_limit, None);
    }

    #[test]
    fn update_saves_only_what_its_change_accepts() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContainerStore::open(dir.path()).unwrap();
        let mut c = Container {
            id: "ab".repeat(32),
            ..Container::default()
        };
        c.state.status = "paused".into();
        std::fs::create_dir_all(store.dir(&c.id)).unwrap();
        store.save(&c).unwrap();
        // another writer got there first: the change sees its record and declines
        let declined = store
            .update(&c.id, |now| {
                let paused = now.state.status == "paused";
                if paused {
                    now.state.status = "running".into();
                }
                paused && now.state.pid == 42
            })
            .unwrap();
        assert!(declined.is_none());
        assert_eq!(store.load(&c.id).unwrap().state.status, "paused");
        let saved = store
            .update(&c.id, |now| {
                now.state.status = "running".into();
                true
            })
            .unwrap();
        assert_eq!(saved.map(|c| c.state.status), Some("running".to_owned()));
        assert_eq!(store.load(&c.id).unwrap().state.status, "running");
        assert!(matches!(
            store.update(&"cd".repeat(32), |_| true),
            Err(ContainerError::NotFound(_))
        ));
    }

    #[test]
    fn missing_host_config_means_no_limits() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContainerStore::open(dir.path()).unwrap();
        std::fs::create_dir(store.dir("abc")).unwrap();
        assert_eq!(store.host_config("abc").unwrap(), HostConfig::default());
        let hc = HostConfig {
            pids_limit: Some(20),
            ..Default::default()
        };
        store.save_host_config("abc", &hc).unwrap();
        assert_eq!(store.host_config("abc").unwrap(), hc);
        assert!(matches!(store.load("nosuch"), Err(ContainerError::NotFound(_))));
    }

    /// A container as `create` makes it: id `pair` 32 times, named `/name`, running `true`.
    fn created_container(pair: &str, name: &str) -> Container {
        Container {
            id: pair.repeat(32),
            created: now_rfc3339(),
            path: "true".into(),
            image: "sha256:x".into(),
            name: format!("/{name}"),
            ..Container::default()
        }
    }

    #[test]
    fn a_taken_name_is_a_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContainerStore::open(dir.path()).unwrap();
        let c = created_container("ab", "web");
        store.create(&c, Durability::Synced).unwrap();
        let err = store.check_name_free("web").unwrap_err().to_string();
        assert!(
            err.starts_with("Conflict. The container name \"/web\" is already in use by container \"abab"),
            "{err}"
        );
        store.check_name_free("db").unwrap();
        store.remove(&c.id).unwrap();
        store.check_name_free("web").unwrap();
    }

    #[test]
    fn find_takes_a_full_id_first_then_a_name_then_an_id_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContainerStore::open(dir.path()).unwrap();
        let a = created_container("ab", "web");
        // a valid name that is the other container's full id
        let b = created_container("cd", &"ab".repeat(32));
        store.create(&a, Durability::Synced).unwrap();
        store.create(&b, Durability::Synced).unwrap();
        assert_eq!(
            store.find(&a.id).unwrap().id,
            a.id,
            "the full id wins over the name"
        );
        assert_eq!(store.find("web").unwrap().id, a.id);
        assert_eq!(store.find("/web").unwrap().id, a.id);
        assert_eq!(store.find("cdcd").unwrap().id, b.id);
        assert_eq!(store.find(&b.id).unwrap().id, b.id);
        store.remove(&a.id).unwrap();
        assert_eq!(store.find(&a.id).unwrap().id, b.id, "then it is the other's name");
        store.remove(&b.id).unwrap();
        assert!(matches!(store.find(&b.id), Err(ContainerError::NotFound(_))));
    }

    #[test]
    fn a_volatile_container_stays_volatile_for_every_later_save() {
        let dir = tempfile::tempdir().unwrap();
        let store = ContainerStore::open(dir.path()).unwrap();
        let (kept, removed) = (created_container("ab", "ab"), created_container("cd", "cd"));
        store.create(&kept, Durability::Synced).unwrap();
        store.create(&removed, Durability::Volatile).unwrap();
        assert_eq!(store.durability(&kept.id), Durability::Synced);
        assert_eq!(store.durability(&removed.id), Durability::Volatile);
        store
            .save_host_config(&removed.id, &HostConfig::default())
            .unwrap();
        assert_eq!(store.load(&removed.id).unwrap().name, "/cd");
        store.remove(&removed.id).unwrap();
        assert!(
            !store.dir(&removed.id).exists(),
            "the marker goes with the container"
        );
    }
}
