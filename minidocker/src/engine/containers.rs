//! Listing and removing containers (`ps`, `rm`).
//!
//! A running container may be paused (frozen in its cgroup): it is still running, its status
//! says `paused`. Removing one kills every process in its cgroup (the freezer is thawed for the
//! SIGKILL to land), then removes the cgroup.

use std::os::unix::fs::MetadataExt;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::Engine;
use crate::container::{Container, ContainerError, now_rfc3339};
use crate::format::units::human_duration;

/// One row of `ps`, before formatting.
#[derive(Debug, Clone)]
pub struct ContainerSummary {
    pub container: Container,
    /// Running right now (checked against the kernel, not only the saved state).
    pub running: bool,
}

/// Seconds from an RFC 3339 time to now (0 for an unreadable one).
fn seconds_since(rfc3339: &str) -> f64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_milliseconds() as f64 / 1000.0)
        .unwrap_or(0.0)
}

impl ContainerSummary {
    // ANCHOR: summary_text
    /// The command line as `ps` shows it (moby's `daemon/list.go`): the arguments that contain
    /// a space in single quotes.
    pub fn command(&self) -> String {
        let c = &self.container;
        std::iter::once(c.path.clone())
            .chain(c.args.iter().map(|a| {
                if a.contains(' ') {
                    format!("'{a}'")
                } else {
                    a.clone()
                }
            }))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The status column (Docker's `State.String()`): `Up 3 seconds`, `Up 3 seconds (Paused)`,
    /// `Restarting (1) 2 seconds ago`, `Exited (0) 41 seconds ago`, `Created`.
    pub fn status(&self) -> String {
        let state = &self.container.state;
        match state.status.as_str() {
            "running" | "paused" if self.running => {
                let up = format!("Up {}", human_duration(seconds_since(&state.started_at)));
                match state.paused {
                    true => format!("{up} (Paused)"),
                    false => up,
                }
            }
            "exited" => format!(
                "Exited ({}) {} ago",
                state.exit_code,
                human_duration(seconds_since(&state.finished_at))
            ),
            // between two runs of a restart policy: the last exit, and how long ago
            "restarting" => format!(
                "Restarting ({}) {} ago",
                state.exit_code,
                human_duration(seconds_since(&state.finished_at))
            ),
            "removing" => "Removal In Progress".into(),
            "dead" => "Dead".into(),
            "created" => "Created".into(),
            other => other.to_owned(),
        }
    }
    // ANCHOR_END: summary_text

    /// When it was created, in seconds since the epoch (0 for an unreadable time).
    pub fn created_unix(&self) -> i64 {
        chrono::DateTime::parse_from_rfc3339(&self.container.created).map_or(0, |t| t.timestamp())
    }
}

impl Engine {
    /// Whether the container's init is alive: the saved pid exists *and* its root directory is
    /// this container's mounted layer (a recycled pid belongs to some other process with
    /// another root).
    pub fn is_running(&self, c: &Container) -> bool {
        if !matches!(c.state.status.as_str(), "running" | "paused") || c.state.pid <= 0 {
            return false;
        }
        let Ok(Some(layer)) = self.images.mount(&c.id) else {
            return false;
        };
        let rootfs = self.layers.root().join(&layer.mount_id).join("merged");
        match (
            std::fs::metadata(format!("/proc/{}/root", c.state.pid)),
            std::fs::metadata(rootfs),
        ) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }

    /// Every container, newest first, with a saved "running" state corrected when its process
    /// is gone (its `minidocker run` was killed, and the container with it).
    pub fn list_containers(&self) -> Result<Vec<ContainerSummary>, ContainerError> {
        let mut all: Vec<ContainerSummary> = self
            .containers
            .list()?
            .into_iter()
            .map(|mut container| {
                let alive = self.is_running(&container);
                let on_record = matches!(container.state.status.as_str(), "running" | "paused");
                // its process has ended and its shim is about to record how: running until
                // then, as in Docker until containerd reports the exit
                let ending =
                    on_record && !alive && crate::shim::has_live_shim(&self.containers.dir(&container.id));
                let mut running = alive || ending;
                // Read again: the record read above may be older than the shim's last write,
                // made just before it went (it writes how its container ended, then lets go
                // of its lock). Only a record still unchanged now is one nobody will correct.
                if on_record && !running {
                    let changed = self.containers.load(&container.id).ok().filter(|now| {
                        now.state.status != container.state.status
                            || now.state.pid != container.state.pid
                            || now.state.started_at != container.state.started_at
                    });
                    if let Some(now) = changed {
                        container = now;
                        running = self.is_running(&container);
                    } else {
                        container.state.status = "exited".into();
                        container.state.running = false;
                        container.state.paused = false;
                        container.state.pid = 0;
                        container.state.exit_code = 137;
                        container.state.finished_at = now_rfc3339();
                        let _ = self.containers.save(&container);
                        // its `minidocker run` died before it could unmount the layer
                        if let Ok(Some(layer)) = self.images.mount(&container.id) {
                            let _ = self.layers.unmount(&layer.mount_id);
                        }
                        // (its cgroup, empty now, is left for `rm`: this may be the moment its `run`
                        // reads the OOM counter before removing it)
                    }
                }
                ContainerSummary { container, running }
            })
            .collect();
        all.sort_by(|a, b| b.container.created.cmp(&a.container.created));
        Ok(all)
    }

    /// `docker rm [-f]`: a running (or paused) container is refused unless `force`, then every
    /// process in its cgroup is killed with SIGKILL and waited for; its cgroup is removed.
    pub fn remove_container(&self, name_or_id: &str, force: bool) -> Result<(), super::EngineError> {
        self.remove_container_with_volumes(name_or_id, force, false)
    }

    /// `docker rm [-f] [-v]`: [`Engine::remove_container`], and with `volumes` its anonymous
    /// volumes too (those no other container uses), before it goes, as dockerd orders it.
    pub fn remove_container_with_volumes(
        &self,
        name_or_id: &str,
        force: bool,
        volumes: bool,
    ) -> Result<(), super::EngineError> {
        let c = self.containers.find(name_or_id)?;
        let _removal = self.containers.begin_removal(&c.id, name_or_id)?;
        if self.is_running(&c) {
            if !force {
                return Err(match c.state.paused {
                    true => ContainerError::RemovePaused(c.id),
                    false => ContainerError::RemoveRunning(c.id),
                }
                .into());
            }
            // The init first (its death takes its PID namespace with it), then the whole
            // cgroup: whatever is left, frozen or not.
            let pid = Pid::from_raw(c.state.pid);
            let _ = kill(pid, Signal::SIGKILL);
            if let Some(cgroup) = self.container_cgroup(&c.id)? {
                cgroup.kill_all()?;
            }
            // Not our child: wait for it to disappear, then (briefly) for its `minidocker run` to
            // reap it and record the exit, so we do not delete the directory under that write.
            for _ in 0..500 {
                if !self.is_running(&c) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            for _ in 0..200 {
                match self.containers.find(&c.id) {
                    Ok(now) if matches!(now.state.status.as_str(), "running" | "paused") => {
                        std::thread::sleep(std::time::Duration::from_millis(10))
                    }
                    _ => break,
                }
            }
        }
        // Its `run` removes the cgroup when the container ends; this is for one that died.
        self.remove_container_cgroup(&c.id)?;
        // Likewise its addresses and port rules, if its `run` could not give them back.
        self.forget_container_network(&self.containers.load(&c.id).unwrap_or(c.clone()))?;
        self.remove_container_layer(&c.id)?;
        self.release_mounts(&c.id, volumes)
            .map_err(|e| super::EngineError::System(e.to_string()))?;
        self.containers.remove(&c.id)?;
        self.container_event(&c, "destroy", &[]);
        Ok(())
    }

    /// Removes what a crash of the machine left of a volatile (`--rm`) container whose
    /// record is unreadable ([`crate::container::ContainerStore::volatile_wrecks`]), as far
    /// as it can be found without that record: its layers (named after it), its addresses,
    /// its anonymous volumes and its cgroup if their records survived.
    pub fn remove_volatile_wreck(&self, id: &str) -> Result<(), super::EngineError> {
        let _removal = self.containers.begin_removal(id, id)?;
        // cgroups and iptables rules do not outlive the machine: only records can be left
        let _ = self.remove_container_cgroup(id);
        self.release_container_addresses(id)?;
        // by the layer store's record, then by name: what an emptied record does not name
        if let Err(e) = self.remove_container_layer(id) {
            tracing::info!(container = %id, error = %e, "its layer record is unreadable");
        }
        self.discard_layer(id)?;
        self.discard_layer(&format!("{id}-init"))?;
        self.discard_layerdb_record(id)?;
        let _ = self.release_mounts(id, true);
        self.containers.remove(id)?;
        Ok(())
    }
}
