//! The image store, laid out like Docker's `/var/lib/docker/image/overlay2`:
//!
//! ```text
//! image/overlay2/
//! ├── imagedb/content/sha256/<id>            the config bytes (id = their sha256)
//! ├── imagedb/metadata/sha256/<id>/parent    the image this one was built on (docker build/commit)
//! ├── imagedb/metadata/sha256/<id>/lastUpdated
//! ├── layerdb/sha256/<chain id>/{diff,size,cache-id,parent}     see `layers.rs`
//! ├── distribution/{diffid-by-digest,v2metadata-by-diffid}/…    see `distribution.rs`
//! └── repositories.json                       names → ids, see `tags.rs`
//! ```
//!
//! Every file is written atomically, so a killed daemon leaves the old state or the new one.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use crate::atomic::{read_optional, write_atomic};
use crate::config::Image;
use crate::digest::Digest;
use crate::reference::{Reference, ReferenceError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Docker's wording: `No such image: busybox:latest`, `No such image: sha256:…`.
    #[error("No such image: {0}")]
    NoSuchImage(String),
    #[error("layer {0} does not exist")]
    NoSuchLayer(Digest),
    #[error("failed to get layer {chain_id} for image {image}: layer does not exist")]
    MissingLayer { image: Digest, chain_id: Digest },
    #[error("layer {chain_id} is in use by {user}")]
    LayerInUse { chain_id: Digest, user: String },
    #[error("invalid layer cache id {0:?}: it must be a single path component")]
    InvalidCacheId(String),
    #[error("reference {0} has no tag")]
    NotATag(String),
    #[error("reference {0} has no digest")]
    NotADigest(String),
    #[error("Cannot overwrite digest {0}")]
    DigestConflict(String),
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error("image config {id} is invalid: {source}")]
    InvalidConfig {
        id: Digest,
        #[source]
        source: serde_json::Error,
    },
    #[error("image store file {} is corrupt: {reason}", .path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{op} {}: {source}", .path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

pub(crate) fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        op,
        path: path.to_owned(),
        source,
    }
}

/// The digests named by the entries of `dir` (`<64 hex>` file or directory names), sorted.
pub(crate) fn digests_in(dir: &Path) -> Result<Vec<Digest>, StoreError> {
    let entries = std::fs::read_dir(dir).map_err(io_err("listing", dir))?;
    let mut ids: Vec<Digest> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str().and_then(|n| Digest::from_hex(n).ok()))
        .collect();
    ids.sort();
    Ok(ids)
}

/// The digest written in file `path` (`sha256:<hex>`), or `None` if there is no such file.
pub(crate) fn read_digest(path: &Path) -> Result<Option<Digest>, StoreError> {
    let text = read_optional(path).map_err(io_err("reading", path))?;
    text.map(|t| {
        t.trim()
            .parse()
            .map_err(|e: crate::digest::DigestError| StoreError::Corrupt {
                path: path.to_owned(),
                reason: e.to_string(),
            })
    })
    .transpose()
}

/// Images, layers and names under `<data-root>/image/overlay2`.
#[derive(Debug)]
pub struct ImageStore {
    pub(crate) root: PathBuf,
    /// Serialises read-modify-write cycles of `repositories.json` within this process.
    pub(crate) lock: Mutex<()>,
}

impl ImageStore {
    /// Open (creating if needed) the store of the daemon whose data root is `data_root`.
    pub fn open(data_root: impl AsRef<Path>) -> Result<ImageStore, StoreError> {
        let root = data_root.as_ref().join("image/overlay2");
        for dir in [
            "imagedb/content/sha256",
            "imagedb/metadata/sha256",
            "layerdb/mounts",
            "layerdb/sha256",
            "layerdb/tmp",
        ] {
            let dir = root.join(dir);
            std::fs::create_dir_all(&dir).map_err(io_err("creating", &dir))?;
        }
        Ok(ImageStore {
            root,
            lock: Mutex::new(()),
        })
    }

    /// `<data-root>/image/overlay2`
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn guard(&self) -> MutexGuard<'_, ()> {
        // A panic while holding the lock leaves no half-written file (writes are atomic).
        self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn content_path(&self, id: &Digest) -> PathBuf {
        self.root.join("imagedb/content/sha256").join(id.hex())
    }

    fn metadata_dir(&self, id: &Digest) -> PathBuf {
        self.root.join("imagedb/metadata/sha256").join(id.hex())
    }

    // ANCHOR: put_image
    /// Store an image config and return its id. The image's layers must be registered first
    /// (Docker refuses an image whose top layer it does not have).
    pub fn put_image(&self, config_bytes: &[u8]) -> Result<Digest, StoreError> {
        let image = Image::from_bytes(config_bytes.to_vec()).map_err(|source| StoreError::InvalidConfig {
            id: Digest::of(config_bytes),
            source,
        })?;
        if let Some(top) = image.chain_ids().last() {
            if !self.has_layer(top) {
                return Err(StoreError::MissingLayer {
                    image: image.id,
                    chain_id: top.clone(),
                });
            }
        }
        let path = self.content_path(&image.id);
        if !path.is_file() {
            write_atomic(&path, config_bytes).map_err(io_err("writing", &path))?;
        }
        Ok(image.id)
    }
    // ANCHOR_END: put_image

    /// The image with this id, checked against its content.
    pub fn get(&self, id: &Digest) -> Result<Image, StoreError> {
        let path = self.content_path(id);
        let raw = match std::fs::read(&path) {
            Ok(raw) => raw,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NoSuchImage(id.to_string()));
            }
            Err(e) => return Err(io_err("reading", &path)(e)),
        };
        let image = Image::from_bytes(raw).map_err(|source| StoreError::InvalidConfig {
            id: id.clone(),
            source,
        })?;
        if image.id != *id {
            return Err(StoreError::Corrupt {
                path,
                reason: format!("content digest is {}", image.id),
            });
        }
        Ok(image)
    }

    pub fn exists(&self, id: &Digest) -> bool {
        self.content_path(id).is_file()
    }

    /// The ids of all images, sorted.
    pub fn ids(&self) -> Result<Vec<Digest>, StoreError> {
        digests_in(&self.root.join("imagedb/content/sha256"))
    }

    /// Every image, sorted by id. An unreadable image is logged and skipped, as Docker does
    /// when it restores its store.
    pub fn list(&self) -> Result<Vec<Image>, StoreError> {
        let mut images = Vec::new();
        for id in self.ids()? {
            match self.get(&id) {
                Ok(image) => images.push(image),
                Err(e) => tracing::warn!(%id, error = %e, "skipping unreadable image"),
            }
        }
        Ok(images)
    }

    // ANCHOR: remove_image
    /// Delete the image, every name pointing at it, and the layers no other image uses
    /// (top down). Returns the released layers so the caller can delete their directories
    /// (`cache_id`) and print Docker's `Deleted: sha256:<chain id>` lines.
    pub fn remove(&self, id: &Digest) -> Result<Vec<crate::layers::LayerMeta>, StoreError> {
        let image = self.get(id)?;
        for reference in self.references_to(id)? {
            self.untag(&reference)?;
        }
        let path = self.content_path(id);
        std::fs::remove_file(&path).map_err(io_err("removing", &path))?;
        let meta = self.metadata_dir(id);
        match std::fs::remove_dir_all(&meta) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_err("removing", &meta)(e)),
            _ => {}
        }
        let mut released = Vec::new();
        for chain_id in image.chain_ids().iter().rev() {
            if self.layer_in_use(chain_id)? || !self.has_layer(chain_id) {
                break; // the layers below are then in use too
            }
            let meta = self.layer(chain_id)?;
            match self.remove_layer(chain_id) {
                Ok(()) => released.push(meta),
                Err(StoreError::LayerInUse { .. }) => break, // another layer is built on it
                Err(e) => return Err(e),
            }
        }
        Ok(released)
    }
    // ANCHOR_END: remove_image

    /// Record the image `id` was built on (`docker build`, `docker commit`).
    pub fn set_parent(&self, id: &Digest, parent: &Digest) -> Result<(), StoreError> {
        self.write_metadata(id, "parent", parent.to_string().as_bytes())
    }

    pub fn get_parent(&self, id: &Digest) -> Result<Option<Digest>, StoreError> {
        read_digest(&self.metadata_dir(id).join("parent"))
    }

    /// The images whose parent is `id` (Docker refuses to delete an image with children).
    pub fn children(&self, id: &Digest) -> Result<Vec<Digest>, StoreError> {
        let mut out = Vec::new();
        for candidate in self.ids()? {
            if self.get_parent(&candidate)?.as_ref() == Some(id) {
                out.push(candidate);
            }
        }
        Ok(out)
    }

    /// Docker's `lastUpdated`: when the image was last pulled, loaded or tagged by a build.
    pub fn set_last_updated(
        &self,
        id: &Digest,
        when: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        let text = when.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        self.write_metadata(id, "lastUpdated", text.as_bytes())
    }

    pub fn last_updated(&self, id: &Digest) -> Result<Option<String>, StoreError> {
        let path = self.metadata_dir(id).join("lastUpdated");
        read_optional(&path).map_err(io_err("reading", &path))
    }

    fn write_metadata(&self, id: &Digest, key: &str, value: &[u8]) -> Result<(), StoreError> {
        if !self.exists(id) {
            return Err(StoreError::NoSuchImage(id.to_string()));
        }
        let dir = self.metadata_dir(id);
        std::fs::create_dir_all(&dir).map_err(io_err("creating", &dir))?;
        let path = dir.join(key);
        write_atomic(&path, value).map_err(io_err("writing", &path))
    }

    // ANCHOR: resolve
    /// The image id `s` names, tried in Docker's order:
    ///
    /// 1. a full id, `sha256:<64 hex>` or the bare 64 hex;
    /// 2. a reference: `busybox` (= `busybox:latest`), `busybox:1.36`, `busybox@sha256:…`;
    /// 3. a unique prefix of an id, any length, with or without `sha256:` (`docker rmi 3f5`).
    ///
    /// Anything else is `No such image: <s>` (with `:latest` added to a bare name), and a
    /// string that is no valid reference is Docker's `invalid reference format` error.
    pub fn resolve(&self, s: &str) -> Result<Digest, StoreError> {
        let full = s.strip_prefix("sha256:").unwrap_or(s);
        if let Ok(id) = Digest::from_hex(full) {
            return match self.exists(&id) {
                true => Ok(id),
                false => Err(StoreError::NoSuchImage(id.to_string())),
            };
        }
        let prefix_search = || -> Result<Option<Digest>, StoreError> {
            if full.is_empty()
                || !full
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            {
                return Ok(None);
            }
            let mut matches = self.ids()?.into_iter().filter(|id| id.hex().starts_with(full));
            Ok(match (matches.next(), matches.next()) {
                (Some(id), None) => Some(id),
                _ => None, // none, or ambiguous: Docker says "No such image" for both
            })
        };
        let reference = match Reference::parse_normalized(s) {
            Ok(r) => r,
            Err(e) => return prefix_search()?.ok_or(StoreError::Reference(e)),
        };
        if let Some(id) = self.lookup_reference(&reference)? {
            return Ok(id);
        }
        prefix_search()?.ok_or_else(|| StoreError::NoSuchImage(reference.familiar_string()))
    }
    // ANCHOR_END: resolve
}
