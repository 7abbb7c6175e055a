//! `exec`: a new process in a running container, by joining it (chapter 8, `ch08_exec`).
//! What is the engine's here: finding the container, its user, environment and working
//! directory, and the console socket the daemon passes.
//!
//! ```text
//!  daemon ──spawn──▶ minidocker exec-helper <container>     (a fresh, single-threaded process)
//!                      user, env, cwd from the container's config and rootfs (host view)
//!                      join_container: its cgroups, setns(2) into its namespaces, mnt last
//!                      (-t) a pty from the container's /dev/ptmx; the master to the daemon
//!                      fork_child ──▶ child: in the container's PID namespace
//!                      │               (-t) setsid, the slave its controlling terminal and stdio
//!                      │               user, capabilities, env, cwd, execve(2)  (ch03 exec_process)
//!                      wait_exit_code, exit with it
//! ```
//!
//! The helper is its own process, not a fork of the multi-threaded daemon, so nothing runs
//! between fork and exec but this code.

use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;

use anyhow::{Context, Result, bail};
use ch03_rootfs::capabilities::DEFAULT_CAPABILITIES;
use ch03_rootfs::{ProcessSpec, UserSpec, exec_process, resolve_user};
use ch08_exec::console::{send_master, take_inherited};
use ch08_exec::terminal::{Terminal, become_session_leader};
use ch08_exec::{fork_child, join_container, wait_exit_code};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use crate::engine::Engine;
use crate::env::container_env;

/// The environment variable the daemon passes an [`ExecSpec`] in (JSON).
pub const SPEC_ENV: &str = "MINIDOCKER_EXEC_SPEC";

/// What `docker exec` asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExecSpec {
    /// `-t`: the helper's inherited unix socket to send the terminal's master to (the
    /// daemon relays it); the command's stdio is the terminal's slave.
    pub console_fd: Option<i32>,
    pub cmd: Vec<String>,
    /// `-e KEY=value`, on top of the container's environment.
    pub env: Vec<String>,
    /// `-u`; empty: the container's user.
    pub user: String,
    /// `-w`; empty: the container's working directory.
    pub working_dir: String,
}

/// `minidocker exec-helper <container>`: runs `spec` inside the container; returns the exit
/// code to exit with (the command's, or 126/127 when it could not be started).
// ANCHOR: exec_helper
pub fn run_helper(data_root: &Path, cgroup_parent: &str, container: &str, spec: &ExecSpec) -> Result<i32> {
    let console = spec.console_fd.map(take_console).transpose()?;
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
    // Its cgroups, then its namespaces (chapter 8): mnt last, the pid namespace our children's.
    join_container(Pid::from_raw(c.state.pid))?;
    // In the container's mount namespace now: its /dev/ptmx, its devpts.
    let terminal = console.as_ref().map(|_| Terminal::open()).transpose()?;
    let process = ProcessSpec {
        args: spec.cmd.clone(),
        env,
        cwd: cwd.into(),
        user,
        capabilities: DEFAULT_CAPABILITIES.to_vec(),
    };
    if let (Some(terminal), Some(console)) = (&terminal, &console) {
        // the daemon gets the master now; the slave goes to the child
        send_master(console.as_fd(), terminal.master.as_fd())?;
    }
    let uid = process.user.uid;
    // SAFETY: this process is single-threaded (the helper starts no threads), so the child
    // may run any code until it execs.
    let child = unsafe {
        fork_child(move || {
            // in the container's PID namespace: what ps shows inside
            if let Some(terminal) = terminal
                && let Err(e) = become_session_leader(terminal, uid)
            {
                eprintln!("minidocker exec-helper: {e}");
                return 126;
            }
            let failure = exec_process(&process);
            eprintln!(
                "OCI runtime exec failed: exec failed: unable to start container process: {}: unknown",
                failure.message
            );
            // Docker reports any command an exec cannot start as 126 (a `run` says 127 for
            // a missing one).
            126
        })
    }?;
    Ok(wait_exit_code(child)?)
}
// ANCHOR_END: exec_helper

/// The console socket the daemon left open at `fd` (its number in [`ExecSpec::console_fd`]),
/// owned from now on and close-on-exec again, so the command does not inherit it.
fn take_console(fd: i32) -> Result<OwnedFd> {
    // SAFETY: the daemon passed this descriptor on purpose (cleared FD_CLOEXEC on it before
    // execve(2)) and nothing else in this process knows it: taking ownership is sound.
    unsafe { take_inherited(fd) }.with_context(|| format!("fcntl(2) on the console socket (fd {fd})"))
}
