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
        c.state.paused = true;
        c.state.status = "paused".into();
        self.containers.save(&c)?;
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
        c.state.paused = false;
        c.state.status = "running".into();
        self.containers.save(&c)?;
        self.container_event(&c, "unpause", &[]);
        Ok(c)
    }
}
