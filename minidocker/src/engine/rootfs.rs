//! A container's filesystem as it sees it, for the daemon to read and write (`export`,
//! `docker cp`), running or not.
//!
//! ```text
//!  running:  overlay2/<mount id>/merged   mounted by its start (on the host, as Docker does)
//!  stopped:  overlay2/<mount id>/merged   mounted here, unmounted when the view is dropped
//! ```
//!
//! Writes through the view land in the container's own layer (the overlay's upper dir), where
//! `diff` and `commit` find them, as they would had the container written them itself.

use std::path::{Path, PathBuf};

use super::confined::ConfinedRoot;
use super::{Engine, EngineError};
use crate::container::Container;

/// A container's merged filesystem, mounted for as long as this lives if it was not already.
#[derive(Debug)]
pub struct ContainerRootfs<'a> {
    merged: PathBuf,
    /// The mount id to unmount on drop: the container was not running, we mounted it.
    mounted_by_us: Option<(&'a Engine, String)>,
}

impl ContainerRootfs<'_> {
    /// The merged directory on the host.
    pub fn path(&self) -> &Path {
        &self.merged
    }

    /// The filesystem opened for confined lookups (see `confined.rs`).
    pub fn confined(&self) -> Result<ConfinedRoot, EngineError> {
        ConfinedRoot::new(&self.merged).map_err(|errno| EngineError::Io {
            path: self.merged.clone(),
            source: errno.into(),
        })
    }
}

impl Drop for ContainerRootfs<'_> {
    fn drop(&mut self) {
        if let Some((engine, mount_id)) = &self.mounted_by_us
            && let Err(e) = engine.layers.unmount(mount_id)
        {
            tracing::warn!(%mount_id, error = %e, "unmounting a stopped container's filesystem");
        }
    }
}

impl Engine {
    // ANCHOR: container_rootfs
    /// The filesystem of `container` as it sees it: a running container's mount is used where
    /// it is; a stopped one is mounted until the returned view is dropped.
    pub fn container_rootfs(&self, container: &Container) -> Result<ContainerRootfs<'_>, EngineError> {
        let mount = self
            .images
            .mount(&container.id)?
            .ok_or_else(|| EngineError::NoLayer(container.id.clone()))?;
        let running = self.is_running(container);
        let merged = self.layers.mount(&mount.mount_id, self.mount_api)?;
        Ok(ContainerRootfs {
            merged,
            mounted_by_us: (!running).then_some((self, mount.mount_id)),
        })
    }
    // ANCHOR_END: container_rootfs
}
