//! `exec`: a new process in a running container, by joining its namespaces (chapter 8).
//!
//! ```text
//!  daemon ──spawn──▶ minidocker exec-helper <container>     (a fresh, single-threaded process)
//!                      join the container's cgroup            (write our pid: children inherit it)
//!                      setns(2): pid, uts, ipc, net, cgroup, mnt   (ch02 join_all; mnt last)
//!                      fork(2) ──▶ child: in the container's PID namespace
//!                      wait            user, capabilities, env, cwd, execve(2)  (ch03 exec_process)
//!                      exit with the child's status
//! ```
//!
//! Why the fork: setns(2) with `CLONE_NEWPID` does not move the caller, only the children it
//! makes afterwards (a process's PID cannot change). So the helper joins, then forks, and the
//! child is the one that is PID n inside the container and sees its processes in `ps`.
//! The helper is its own process, not a fork of the multi-threaded daemon, so nothing runs
//! between fork and exec but this code.

use std::path::Path;

use anyhow::{Context, Result, bail};
use ch02_namespaces::{Namespace, join_all};
use ch03_rootfs::capabilities::DEFAULT_CAPABILITIES;
use ch03_rootfs::{ProcessSpec, UserSpec, exec_process, resolve_user};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork};
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::env::container_env;

/// The environment variable the daemon passes an [`ExecSpec`] in (JSON).
pub const SPEC_ENV: &str = "MINIDOCKER_EXEC_SPEC";

/// What `docker exec` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    /// `-e KEY=value`, on top of the container's environment.
    pub env: Vec<String>,
    /// `-u`; empty: the container's user.
    pub user: String,
    /// `-w`; empty: the container's working directory.
    pub working_dir: String,
}

/// The namespaces an exec joins: all of the container's (it has no user namespace).
const JOINED: [Namespace; 6] = [
    Namespace::Pid,
    Namespace::Uts,
    Namespace::Ipc,
    Namespace::Net,
    Namespace::Cgroup,
    Namespace::Mount,
];

/// `minidocker exec-helper <container>`: runs `spec` inside the container; returns the exit
/// code to exit with (the command's, or 126/127 when it could not be started).
// ANCHOR: exec_helper
pub fn run_helper(data_root: &Path, cgroup_parent: &str, container: &str, spec: &ExecSpec) -> Result<i32> {
    let mut engine = Engine::open(data_root)?;
    engine.cgroup_parent = cgroup_parent.to_owned();
    let c = engine.containers.find(container)?;
    if !engine.is_running(&c) {
        bail!("Container {} is not running", c.id);
    }
    // Everything read from the host's view comes first: the rootfs is visible at its
    // merged directory here, not after setns(2).
    let layer = engine
        .container_layer(&c.id)?
        .context("the container has no layer")?;
    let rootfs = layer.driver_root.join(&layer.mount_id).join("merged");
    let user = match spec.user.as_str() {
        "" => c.config.user.clone(),
        u => u.to_owned(),
    };
    let user_spec = UserSpec::parse(if user.is_empty() { "0" } else { &user })?;
    let user = resolve_user(&rootfs, &user_spec)?;
    let image_env = engine
        .images
        .get(&c.image.parse()?)
        .ok()
        .and_then(|i| i.config.config.env.clone())
        .unwrap_or_default();
    let mut user_env = c.config.env.clone();
    user_env.extend(spec.env.iter().cloned());
    let env = container_env(&c.config.hostname, &image_env, &user_env, &user.home);
    let cwd = match (spec.working_dir.as_str(), c.config.working_dir.as_str()) {
        ("", "") => "/".to_owned(),
        ("", w) | (w, _) => w.to_owned(),
    };
    // Its cgroup: the limits count this process too, and children inherit it.
    if let Some(cgroup) = engine.container_cgroup(&c.id)? {
        cgroup.manager().add_process(Pid::this())?;
    }
    join_all(Pid::from_raw(c.state.pid), &JOINED)?;
    let process = ProcessSpec {
        args: spec.cmd.clone(),
        env,
        cwd: cwd.into(),
        user,
        capabilities: DEFAULT_CAPABILITIES.to_vec(),
    };
    // SAFETY: this process is single-threaded (the helper starts no threads before this
    // point), so the child may run any code until it execs.
    match unsafe { fork() }.context("fork(2)")? {
        ForkResult::Child => {
            let failure = exec_process(&process);
            eprintln!(
                "OCI runtime exec failed: exec failed: unable to start container process: {}: unknown",
                failure.message
            );
            // Docker reports any command an exec cannot start as 126 (a `run` says 127 for
            // a missing one).
            std::process::exit(126);
        }
        ForkResult::Parent { child } => loop {
            match waitpid(child, None) {
                Ok(WaitStatus::Exited(_, code)) => return Ok(code),
                Ok(WaitStatus::Signaled(_, signal, _)) => return Ok(128 + signal as i32),
                Ok(_) => continue,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e).context("waitpid(2)"),
            }
        },
    }
}
// ANCHOR_END: exec_helper
