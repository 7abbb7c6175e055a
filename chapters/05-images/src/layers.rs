//! The layer database: `layerdb/sha256/<chain id>/`, one directory per layer, as Docker keeps it.
//!
//! ```text
//! diff       sha256:<diff id>        the digest of the layer's uncompressed tar
//! size       1234                    bytes the layer adds on disk
//! cache-id   <id>                    its directory under overlay2/ (chapter 4)
//! parent     sha256:<chain id>       the layer below (absent for the bottom layer)
//! ```
//!
//! A container's writable layer is recorded apart, in `layerdb/mounts/<container id>/`
//! (`mount-id`, `init-id`, `parent`), and counts as a user of its parent layer: an image can be
//! force-removed while a stopped container still runs on its layers, and the layers stay.
//!
//! Chapter 4 owns the directories under `overlay2/`; this is only the index from content
//! (chain id) to those directories. A layer is written to `layerdb/tmp` and renamed into
//! place, so it appears complete or not at all.

use std::path::PathBuf;

use crate::atomic::{read_optional, sync_dir};
use crate::chain::child_chain_id;
use crate::config::Image;
use crate::digest::Digest;
use crate::store::{ImageStore, StoreError, digests_in, io_err, read_digest};

/// A container's writable layer (`layerdb/mounts/<container id>/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountMeta {
    /// Its directory under `overlay2/`.
    pub mount_id: String,
    /// The layer below it holding the files every container gets (`/etc/hosts`, `/.dockerenv`…).
    pub init_id: String,
    /// The image's top layer, none for an image without layers.
    pub parent: Option<Digest>,
}

/// One layer's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerMeta {
    pub chain_id: Digest,
    pub diff_id: Digest,
    /// The layer's directory id under `<data-root>/overlay2/` (chapter 4).
    pub cache_id: String,
    pub size: u64,
    pub parent: Option<Digest>,
}

impl ImageStore {
    fn layer_dir(&self, chain_id: &Digest) -> PathBuf {
        self.root.join("layerdb/sha256").join(chain_id.hex())
    }

    pub fn has_layer(&self, chain_id: &Digest) -> bool {
        self.layer_dir(chain_id).join("diff").is_file()
    }

    // ANCHOR: register_layer
    /// Record a layer whose files chapter 4 unpacked into directory `cache_id`, on top of the
    /// layer `parent_chain` (none for a bottom layer), and return its chain id.
    ///
    /// If the chain id is already registered the existing record wins (and `cache_id` is not
    /// used): check [`ImageStore::has_layer`] before unpacking to avoid doing it twice.
    pub fn register_layer(
        &self,
        parent_chain: Option<&Digest>,
        diff_id: &Digest,
        cache_id: &str,
        size: u64,
    ) -> Result<Digest, StoreError> {
        if cache_id.is_empty() || cache_id == "." || cache_id == ".." || cache_id.contains(['/', '\0']) {
            return Err(StoreError::InvalidCacheId(cache_id.to_owned()));
        }
        let chain_id = match parent_chain {
            None => diff_id.clone(),
            Some(parent) if self.has_layer(parent) => child_chain_id(parent, diff_id),
            Some(parent) => return Err(StoreError::NoSuchLayer(parent.clone())),
        };
        let target = self.layer_dir(&chain_id);
        if self.has_layer(&chain_id) {
            return Ok(chain_id);
        }
        let mut files = vec![
            ("diff", diff_id.to_string()),
            ("size", size.to_string()),
            ("cache-id", cache_id.to_owned()),
        ];
        if let Some(parent) = parent_chain {
            files.push(("parent", parent.to_string()));
        }
        let staged = self.stage_record("layer-", &files, true)?;
        if let Err(e) = std::fs::rename(&staged, &target) {
            let _ = std::fs::remove_dir_all(&staged);
            if self.has_layer(&chain_id) {
                return Ok(chain_id); // registered concurrently
            }
            return Err(io_err("renaming a staged layer to", &target)(e));
        }
        let parent_dir = self.root.join("layerdb/sha256");
        sync_dir(&parent_dir).map_err(io_err("syncing", &parent_dir))?;
        tracing::debug!(%chain_id, %diff_id, cache_id, "registered layer");
        Ok(chain_id)
    }
    // ANCHOR_END: register_layer

    /// The record of layer `chain_id`.
    pub fn layer(&self, chain_id: &Digest) -> Result<LayerMeta, StoreError> {
        let dir = self.layer_dir(chain_id);
        let read = |name: &str| -> Result<Option<String>, StoreError> {
            let path = dir.join(name);
            read_optional(&path).map_err(io_err("reading", &path))
        };
        let corrupt = |name: &str, reason: String| StoreError::Corrupt {
            path: dir.join(name),
            reason,
        };
        let Some(diff) = read("diff")? else {
            return Err(StoreError::NoSuchLayer(chain_id.clone()));
        };
        let diff_id = diff.trim().parse().map_err(|e| corrupt("diff", format!("{e}")))?;
        let size = match read("size")? {
            Some(s) => s.trim().parse().map_err(|e| corrupt("size", format!("{e}")))?,
            None => 0,
        };
        let cache_id = read("cache-id")?
            .map(|s| s.trim().to_owned())
            .ok_or_else(|| corrupt("cache-id", "missing".into()))?;
        let parent = read_digest(&dir.join("parent"))?;
        Ok(LayerMeta {
            chain_id: chain_id.clone(),
            diff_id,
            cache_id,
            size,
            parent,
        })
    }

    /// The layers of `image`, bottom first (the lower dirs of its containers, reversed).
    pub fn layers_of(&self, image: &Image) -> Result<Vec<LayerMeta>, StoreError> {
        image.chain_ids().iter().map(|c| self.layer(c)).collect()
    }

    /// Every registered layer's chain id, sorted.
    pub fn layer_ids(&self) -> Result<Vec<Digest>, StoreError> {
        digests_in(&self.root.join("layerdb/sha256"))
    }

    /// A directory in `layerdb/tmp` holding `files` (name, content), each written and
    /// fsync'ed (unless `synced` is false): the caller renames it into place, so a record
    /// appears whole or not at all.
    fn stage_record(
        &self,
        prefix: &str,
        files: &[(&str, String)],
        synced: bool,
    ) -> Result<PathBuf, StoreError> {
        let tmp_root = self.root.join("layerdb/tmp");
        let staged = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir_in(&tmp_root)
            .map_err(io_err("creating a directory in", &tmp_root))?;
        for (name, value) in files {
            let path = staged.path().join(name);
            std::fs::write(&path, value)
                .and_then(|()| match synced {
                    true => std::fs::File::open(&path)?.sync_all(),
                    false => Ok(()),
                })
                .map_err(io_err("writing", &path))?;
        }
        Ok(staged.keep())
    }

    /// Whether any image is built on layer `chain_id`.
    pub fn layer_in_use(&self, chain_id: &Digest) -> Result<bool, StoreError> {
        Ok(self.image_using_layer(chain_id)?.is_some())
    }

    fn image_using_layer(&self, chain_id: &Digest) -> Result<Option<Digest>, StoreError> {
        for image in self.list()? {
            if image.chain_ids().contains(chain_id) {
                return Ok(Some(image.id));
            }
        }
        Ok(None)
    }

    fn mount_dir(&self, container_id: &str) -> Result<PathBuf, StoreError> {
        if container_id.is_empty() || !container_id.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(StoreError::InvalidCacheId(container_id.to_owned()));
        }
        Ok(self.root.join("layerdb/mounts").join(container_id))
    }

    // ANCHOR: mounts
    /// Record container `container_id`'s writable layer: its directory `mount_id` under
    /// `overlay2/`, the `init_id` layer below it, and the image layer `parent` (none for an
    /// image without layers) they both sit on.
    pub fn create_mount(&self, container_id: &str, mount: &MountMeta) -> Result<(), StoreError> {
        self.write_mount(container_id, mount, true)
    }

    /// [`ImageStore::create_mount`] without fsync(2), for a container that goes when it ends
    /// (`run --rm`): a crash of the machine may lose the record, so such a container's
    /// layers are named after it (`mount_id` its id), where the engine finds them anyway.
    pub fn create_mount_unsynced(&self, container_id: &str, mount: &MountMeta) -> Result<(), StoreError> {
        self.write_mount(container_id, mount, false)
    }

    fn write_mount(&self, container_id: &str, mount: &MountMeta, synced: bool) -> Result<(), StoreError> {
        let dir = self.mount_dir(container_id)?;
        for id in [&mount.mount_id, &mount.init_id] {
            if id.is_empty() || id.contains(['/', '\0']) || id.starts_with('.') {
                return Err(StoreError::InvalidCacheId(id.clone()));
            }
        }
        if let Some(parent) = &mount.parent {
            if !self.has_layer(parent) {
                return Err(StoreError::NoSuchLayer(parent.clone()));
            }
        }
        let mut files = vec![
            ("mount-id", mount.mount_id.clone()),
            ("init-id", mount.init_id.clone()),
        ];
        if let Some(parent) = &mount.parent {
            files.push(("parent", parent.to_string()));
        }
        let mounts = self.root.join("layerdb/mounts");
        std::fs::create_dir_all(&mounts).map_err(io_err("creating", &mounts))?;
        let staged = self.stage_record("mount-", &files, synced)?;
        std::fs::rename(&staged, &dir).map_err(|e| {
            let _ = std::fs::remove_dir_all(&staged);
            io_err("renaming a staged mount record to", &dir)(e)
        })?;
        match synced {
            true => sync_dir(&mounts).map_err(io_err("syncing", &mounts)),
            false => Ok(()),
        }
    }
    // ANCHOR_END: mounts

    /// The writable layer of container `container_id`, if it has one.
    pub fn mount(&self, container_id: &str) -> Result<Option<MountMeta>, StoreError> {
        let dir = self.mount_dir(container_id)?;
        let read = |name: &str| -> Result<Option<String>, StoreError> {
            let path = dir.join(name);
            read_optional(&path).map_err(io_err("reading", &path))
        };
        let Some(mount_id) = read("mount-id")? else {
            return Ok(None);
        };
        let init_id = read("init-id")?.unwrap_or_default();
        let parent = read_digest(&dir.join("parent"))?;
        Ok(Some(MountMeta {
            mount_id: mount_id.trim().to_owned(),
            init_id: init_id.trim().to_owned(),
            parent,
        }))
    }

    /// Forget container `container_id`'s writable layer (the caller removes its directories).
    pub fn remove_mount(&self, container_id: &str) -> Result<(), StoreError> {
        self.remove_mount_with(container_id, &|dir| std::fs::remove_dir_all(dir))
    }

    /// [`ImageStore::remove_mount`], the record's directory taken away by `delete` (an engine
    /// may rename it somewhere to delete it later). A record that is not there is no error.
    pub fn remove_mount_with(
        &self,
        container_id: &str,
        delete: &dyn Fn(&std::path::Path) -> std::io::Result<()>,
    ) -> Result<(), StoreError> {
        let dir = self.mount_dir(container_id)?;
        match delete(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_err("removing", &dir)(e)),
            _ => Ok(()),
        }
    }

    /// Every container with a writable layer, and that layer.
    pub fn mounts(&self) -> Result<Vec<(String, MountMeta)>, StoreError> {
        let dir = self.root.join("layerdb/mounts");
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err("listing", &dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if let Ok(Some(meta)) = self.mount(&name) {
                out.push((name, meta));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Forget layer `chain_id`. Refused while an image or another layer is built on it; the
    /// caller deletes the layer's directory (`cache_id`) afterwards.
    pub fn remove_layer(&self, chain_id: &Digest) -> Result<(), StoreError> {
        if !self.has_layer(chain_id) {
            return Err(StoreError::NoSuchLayer(chain_id.clone()));
        }
        if let Some(image) = self.image_using_layer(chain_id)? {
            return Err(StoreError::LayerInUse {
                chain_id: chain_id.clone(),
                user: format!("image {image}"),
            });
        }
        for (container, mount) in self.mounts()? {
            if mount.parent.as_ref() == Some(chain_id) {
                return Err(StoreError::LayerInUse {
                    chain_id: chain_id.clone(),
                    user: format!("container {container}"),
                });
            }
        }
        for other in self.layer_ids()? {
            if self.layer(&other)?.parent.as_ref() == Some(chain_id) {
                return Err(StoreError::LayerInUse {
                    chain_id: chain_id.clone(),
                    user: format!("layer {other}"),
                });
            }
        }
        let dir = self.layer_dir(chain_id);
        // Rename first so a crash never leaves a half-deleted record under its real name.
        let doomed = self
            .root
            .join("layerdb/tmp")
            .join(format!("removing-{}", chain_id.hex()));
        std::fs::rename(&dir, &doomed).map_err(io_err("renaming", &dir))?;
        std::fs::remove_dir_all(&doomed).map_err(io_err("removing", &doomed))
    }
}
