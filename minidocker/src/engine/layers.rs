//! Layers: chapter 4's directories indexed by chapter 5's layer database.
//!
//! ```text
//!  layer tar ──▶ layertars/<diff id>  (kept, byte for byte: `save` and `push` send it again)
//!            └─▶ overlay2/<cache id>/diff        (chapter 4 applies it)
//!                layerdb/sha256/<chain id>/       (chapter 5 records it)
//!
//!  container ──▶ overlay2/<mount id>-init/diff   /etc/hosts, /.dockerenv … (mount points)
//!                overlay2/<mount id>/diff        its changes (the upper dir)
//!                layerdb/mounts/<container id>/   which is which, and the image layer below
//! ```
//!
//! Docker keeps a `tar-split` index to rebuild a layer's exact tar from its files; we keep the
//! tar itself, which costs disk but teaches the same invariant: a layer's diff id is the sha256
//! of one exact byte stream, and anything sent to a registry or into an archive must be it.

use std::io::Read;
use std::path::{Path, PathBuf};

use ch04_layers::{ApplyLimits, Durability, MountApi, apply_layer_tar};
use ch05_images::{BlobStore, Digest, LayerMeta, MountMeta};
use rand::RngCore;

use super::{Engine, EngineError};

/// The empty files and directories every container's init layer holds, as Docker's
/// `initlayer.Setup` makes them: mount points for the files the engine bind-mounts and for
/// the kernel filesystems.
const INIT_DIRS: [&str; 5] = ["dev/pts", "dev/shm", "proc", "sys", "etc"];
const INIT_FILES: [&str; 5] = [
    ".dockerenv",
    "etc/hostname",
    "etc/hosts",
    "etc/resolv.conf",
    "dev/console",
];

/// An init layer's `diff/` (`init`) filled: [`INIT_DIRS`], [`INIT_FILES`] and `etc/mtab`.
pub(super) fn populate_init_layer(init: &Path) -> Result<(), EngineError> {
    let io = |what: PathBuf| {
        move |e: std::io::Error| EngineError::Io {
            path: what,
            source: e,
        }
    };
    for dir in INIT_DIRS {
        let path = init.join(dir);
        std::fs::create_dir_all(&path).map_err(io(path.clone()))?;
    }
    for file in INIT_FILES {
        let path = init.join(file);
        std::fs::write(&path, b"").map_err(io(path.clone()))?;
        // moby's initlayer.Setup creates them all 0755
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .map_err(io(path.clone()))?;
    }
    let mtab = init.join("etc/mtab");
    std::os::unix::fs::symlink("/proc/mounts", &mtab).map_err(io(mtab))
}

/// Where a container's root filesystem comes from, handed to its init (see `runtime.rs`).
#[derive(Debug, Clone)]
pub struct ContainerLayer {
    /// `<data-root>/overlay2`
    pub driver_root: PathBuf,
    /// The container's own layer (the overlay's upper dir).
    pub mount_id: String,
    pub api: MountApi,
}

/// A random 64-hex id (Docker's cache and mount ids).
pub(super) fn random_hex_id() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The layer tars, keyed by diff id, under `<data-root>/image/overlay2/layertars`.
pub(super) fn open_layer_tars(images_root: &std::path::Path) -> Result<BlobStore, EngineError> {
    Ok(BlobStore::open(images_root.join("layertars"))?)
}

impl Engine {
    // ANCHOR: unpack_layer
    /// Store the layer tar `tar` on top of layer `parent` and return its record.
    ///
    /// The tar is first copied into the layer-tar store (which hashes it: that hash is the diff
    /// id, checked against `expected` when the caller knows it), then applied from there into a
    /// new `overlay2/<cache id>/diff` by chapter 4. A layer whose chain id is already known is
    /// not unpacked twice. On any error the new directory is removed.
    pub fn unpack_layer(
        &self,
        parent: Option<&LayerMeta>,
        tar: impl Read,
        expected: Option<&Digest>,
    ) -> Result<LayerMeta, EngineError> {
        let (diff_id, _) = self.layer_tars.put_stream(tar, expected)?;
        let chain_id = match parent {
            None => diff_id.clone(),
            Some(p) => ch05_images::chain::child_chain_id(&p.chain_id, &diff_id),
        };
        if self.images.has_layer(&chain_id) {
            return Ok(self.images.layer(&chain_id)?);
        }
        let cache_id = random_hex_id();
        self.layers
            .create(&cache_id, parent.map(|p| p.cache_id.as_str()))?;
        let applied = (|| -> Result<LayerMeta, EngineError> {
            let reader = self.layer_tars.open_blob(&diff_id)?;
            let diff_dir = self.layers.diff_dir(&cache_id);
            apply_layer_tar(&diff_dir, reader, &ApplyLimits::default())?;
            // Docker's layer size: what the diff dir holds (symlinks count their length).
            let size = super::system::dir_size(&diff_dir);
            let chain = self
                .images
                .register_layer(parent.map(|p| &p.chain_id), &diff_id, &cache_id, size)?;
            Ok(self.images.layer(&chain)?)
        })();
        match applied {
            Ok(meta) => {
                if meta.cache_id != cache_id {
                    let _ = self.layers.remove(&cache_id); // registered concurrently
                }
                Ok(meta)
            }
            Err(e) => {
                let _ = self.layers.remove(&cache_id);
                self.remove_layer_tar_if_unused(&diff_id);
                Err(e)
            }
        }
    }
    // ANCHOR_END: unpack_layer

    /// Write layer `diff_id`'s tar, byte for byte, to `out`; returns its length.
    pub fn copy_layer_tar(&self, diff_id: &Digest, out: &mut dyn std::io::Write) -> std::io::Result<u64> {
        let mut reader = self
            .layer_tars
            .open_blob(diff_id)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        std::io::copy(&mut reader, out)
    }

    // ANCHOR: create_container_layer
    /// Give container `container_id` its layers on top of the image whose top layer is `top`:
    /// `<mount id>-init` with the mount points every container needs, and `<mount id>` for its
    /// own changes. Docker splits them the same way so `docker diff` and `commit` never see the
    /// files the engine itself puts in every container. A [`Durability::Volatile`] (`--rm`)
    /// container's are written without fsync(2), its mount id is its own id, so that what a
    /// crash of the machine leaves of them can be found without their records.
    pub fn create_container_layer(
        &self,
        container_id: &str,
        top: Option<&LayerMeta>,
        durability: Durability,
    ) -> Result<ContainerLayer, EngineError> {
        let mount_id = match durability {
            Durability::Synced => random_hex_id(),
            Durability::Volatile => container_id.to_owned(),
        };
        let init_id = format!("{mount_id}-init");
        let parent = top.map(|t| t.cache_id.as_str());
        // a --rm container's layers may be made already (`spare_layers.rs`)
        let spare = durability == Durability::Volatile && self.take_spare_layers(parent, &init_id, &mount_id);
        if !spare {
            self.make_container_layers(&init_id, &mount_id, parent, durability)?;
        }
        let record = MountMeta {
            mount_id: mount_id.clone(),
            init_id: init_id.clone(),
            parent: top.map(|t| t.chain_id.clone()),
        };
        let saved = match durability {
            Durability::Synced => self.images.create_mount(container_id, &record),
            Durability::Volatile => self.images.create_mount_unsynced(container_id, &record),
        };
        if let Err(e) = saved {
            let _ = self.layers.remove(&mount_id);
            let _ = self.layers.remove(&init_id);
            return Err(e.into());
        }
        Ok(ContainerLayer {
            driver_root: self.layers.root().to_owned(),
            mount_id,
            api: self.mount_api,
        })
    }
    // ANCHOR_END: create_container_layer

    /// The init layer `init_id` on top of `parent`, its mount points made, and `mount_id` on
    /// top of it; neither is left behind if either fails.
    fn make_container_layers(
        &self,
        init_id: &str,
        mount_id: &str,
        parent: Option<&str>,
        durability: Durability,
    ) -> Result<(), EngineError> {
        self.layers.create_with(init_id, parent, durability)?;
        let made = populate_init_layer(&self.layers.diff_dir(init_id))
            .and_then(|()| Ok(self.layers.create_with(mount_id, Some(init_id), durability)?));
        if made.is_err() {
            let _ = self.layers.remove(init_id);
        }
        made
    }

    /// The container's layer, if it has one.
    pub fn container_layer(&self, container_id: &str) -> Result<Option<ContainerLayer>, EngineError> {
        Ok(self.images.mount(container_id)?.map(|m| ContainerLayer {
            driver_root: self.layers.root().to_owned(),
            mount_id: m.mount_id,
            api: self.mount_api,
        }))
    }

    // ANCHOR: remove_container_layer
    /// Delete container `container_id`'s layers and their record. Image layers that only this
    /// container still held (its image was removed with `rmi -f`) are released too, top down,
    /// as Docker's layer store does when their last reference goes.
    pub fn remove_container_layer(&self, container_id: &str) -> Result<(), EngineError> {
        let Some(mount) = self.images.mount(container_id)? else {
            return Ok(());
        };
        self.discard_layer(&mount.mount_id)?;
        self.discard_layer(&mount.init_id)?;
        self.discard_layerdb_record(container_id)?;
        let mut next = mount.parent;
        while let Some(chain_id) = next {
            let Ok(layer) = self.images.layer(&chain_id) else {
                break;
            };
            match self.images.remove_layer(&chain_id) {
                Ok(()) => self.delete_layer_files(&layer),
                Err(ch05_images::StoreError::LayerInUse { .. }) => break,
                Err(e) => return Err(e.into()),
            }
            next = layer.parent;
        }
        Ok(())
    }
    // ANCHOR_END: remove_container_layer

    /// Chapter 4's `remove` of a container's layer, its directory sent to the data root's
    /// trash (`trash.rs`) instead of deleted file by file before `rm` can answer.
    pub(super) fn discard_layer(&self, id: &str) -> Result<(), EngineError> {
        let trash = self.containers.trash();
        Ok(self.layers.remove_with(id, &|dir| trash.discard(dir))?)
    }

    /// Chapter 5's record of a container's layer, sent to the trash like its directories.
    pub(super) fn discard_layerdb_record(&self, container_id: &str) -> Result<(), EngineError> {
        let trash = self.containers.trash();
        Ok(self
            .images
            .remove_mount_with(container_id, &|dir| trash.discard(dir))?)
    }

    /// The diff dirs below a container's own layer (init layer first, then the image's, top
    /// down) and its own diff dir: what `diff`, `export` and `commit` read.
    pub fn container_dirs(&self, container_id: &str) -> Result<(Vec<PathBuf>, PathBuf), EngineError> {
        let mount = self
            .images
            .mount(container_id)?
            .ok_or_else(|| EngineError::NoLayer(container_id.to_owned()))?;
        let lowers = self.layers.lower_dirs(&mount.mount_id)?;
        Ok((lowers, self.layers.diff_dir(&mount.mount_id)))
    }

    /// Remove a released layer's directory and tar (after `rmi` or `image prune`).
    pub(super) fn delete_layer_files(&self, layer: &LayerMeta) {
        if let Err(e) = self.layers.remove(&layer.cache_id) {
            tracing::warn!(cache_id = %layer.cache_id, error = %e, "removing layer directory");
        }
        self.remove_layer_tar_if_unused(&layer.diff_id);
    }

    /// Delete the tar of `diff_id` unless a registered layer still has that diff id.
    fn remove_layer_tar_if_unused(&self, diff_id: &Digest) {
        let still_used = self
            .images
            .layer_ids()
            .unwrap_or_default()
            .iter()
            .filter_map(|c| self.images.layer(c).ok())
            .any(|l| l.diff_id == *diff_id);
        if !still_used {
            let _ = self.layer_tars.remove(diff_id);
        }
    }
}
