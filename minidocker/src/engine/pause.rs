//! `pause` and `unpause`: the cgroup freezer (chapter 6) stops and restarts every process of a
//! container at once. A paused container is still running (`State.Running`), with
//! `State.Paused` set and the status `paused`.

use super::{Engine, EngineError};
use crate::container::{Container, ContainerError};

impl Engine {
    // ANCHOR: pause
    /// `docker pause`: freezes every process of a running container.
    pub fn pause_container(&self, name_or_id: &str) -> Result<Container, EngineError> {
        let mut c = self.containers.find(name_or_id)?;
        if !self.is_running(&c) {
            return Err(ContainerError::NotRunning(c.id).into());
        }
        if c.state.paused {
            return Err(ContainerError::AlreadyPaused(c.id).into());
        }
        let cgroup = self
            .container_cgroup(&c.id)?
            .ok_or_else(|| ContainerError::NotRunning(c.id.clone()))?;
        cgroup.manager().freeze()?;
        self.record_paused(&mut c, true)?;
        self.container_event(&c, "pause", &[]);
        Ok(c)
    }
    // ANCHOR_END: pause

    /// `docker unpause`: lets a paused container's processes run again.
    pub fn unpause_container(&self, name_or_id: &str) -> Result<Container, EngineError> {
        let mut c = self.containers.find(name_or_id)?;
        if !c.state.paused || !self.is_running(&c) {
            return Err(ContainerError::NotPaused(c.id).into());
        }
        let cgroup = self
            .container_cgroup(&c.id)?
            .ok_or_else(|| ContainerError::NotPaused(c.id.clone()))?;
        cgroup.manager().thaw()?;
        self.record_paused(&mut c, false)?;
        self.container_event(&c, "unpause", &[]);
        Ok(c)
    }

    /// `c` paused or running again (`State.Paused`, the status `paused` or `running`), and
    /// its record too if it still holds this run, changed under the record's lock: the run may
    /// have ended meanwhile (thawed, a container killed while frozen ends at once) and its
    /// shim recorded how, which the state read before must not overwrite.
    fn record_paused(&self, c: &mut Container, paused: bool) -> Result<(), EngineError> {
        let set = |state: &mut crate::container::State| {
            state.paused = paused;
            state.status = if paused { "paused" } else { "running" }.into();
        };
        set(&mut c.state);
        self.containers.update(&c.id, |now| {
            let same_run = now.state.running && now.state.pid == c.state.pid && now.state.paused != paused;
            if same_run {
                set(&mut now.state);
            }
            same_run
        })?;
        Ok(())
    }

    // ANCHOR: resume_after_signal
    /// After `signal` was sent to `c`: a paused container is resumed, as dockerd does, when
    /// the signal is one that ends it (its own stop signal or SIGKILL, or any signal when it
    /// has no stop signal of its own), so that the signal is handled and the container can
    /// end. Other signals wait in the frozen processes.
    pub fn resume_after_signal(&self, c: &Container, signal: i32) -> Result<(), EngineError> {
        let Ok(now) = self.containers.load(&c.id) else {
            return Ok(()); // gone already
        };
        let ends_it =
            c.config.stop_signal.is_empty() || signal == libc::SIGKILL || signal == c.config.stop_signal();
        if !now.state.paused || !ends_it {
            return Ok(());
        }
        match self.unpause_container(&c.id) {
            // ended meanwhile: SIGKILL ends frozen processes, and the shim's exit may have
            // removed the cgroups before its record says so
            Err(EngineError::Cgroup(e)) if e.is_not_found() => Ok(()),
            resumed => resumed.map(|_| ()),
        }
    }
    // ANCHOR_END: resume_after_signal
}
