//! Images, the Step 1 way: one unpacked root filesystem per image, found by reference.
//!
//! Chapter 4 replaces the single directory by overlay layers and chapter 5 by a
//! content-addressed store; what stays is the interface the engine uses: resolve a reference
//! (`busybox` → `docker.io/library/busybox:latest`) to an image with an id, a config and a root
//! filesystem. The image id is already Docker's: the sha256 of the image's config JSON, whose
//! `rootfs.diff_ids` holds the sha256 of the imported tar.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::atomic::write_json_atomic;
use crate::reference::{Reference, ReferenceError};

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("No such image: {0}")]
    NotFound(String),
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    #[error("reading image store {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("importing rootfs tar: {0}")]
    Import(String),
    #[error("image store file {path} is corrupt: {source}")]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ImageError + '_ {
    move |source| ImageError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The part of Docker's image config a container starts from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerDefaults {
    pub env: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub working_dir: String,
    pub user: String,
}

/// An image config in the OCI/Docker JSON shape (the subset Step 1 uses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    pub architecture: String,
    pub os: String,
    pub created: String,
    pub config: ContainerDefaults,
    pub rootfs: RootFs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    pub diff_ids: Vec<String>,
}

/// An image found in the store.
#[derive(Debug, Clone)]
pub struct Image {
    /// `sha256:<64 hex>`
    pub id: String,
    pub config: ImageConfig,
    pub rootfs: PathBuf,
}

/// The images under `<data-root>/image/rootfs`.
#[derive(Debug, Clone)]
pub struct ImageStore {
    root: PathBuf,
}

impl ImageStore {
    pub fn open(data_root: &Path) -> Result<ImageStore, ImageError> {
        let root = data_root.join("image/rootfs");
        std::fs::create_dir_all(&root).map_err(io_err(&root))?;
        Ok(ImageStore { root })
    }

    fn repositories_path(&self) -> PathBuf {
        self.root.join("repositories.json")
    }

    /// Normalised reference → image id.
    fn repositories(&self) -> Result<BTreeMap<String, String>, ImageError> {
        let path = self.repositories_path();
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|source| ImageError::Corrupt { path, source })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    fn image_dir(&self, id: &str) -> PathBuf {
        self.root.join(id.trim_start_matches("sha256:"))
    }

    // ANCHOR: resolve
    /// Find the image `reference` names: a tag, a full `sha256:` id, or a unique id prefix.
    pub fn resolve(&self, reference: &str) -> Result<Image, ImageError> {
        let repos = self.repositories()?;
        let by_id = reference.strip_prefix("sha256:").unwrap_or(reference);
        let is_id_prefix = by_id.len() >= 12 && by_id.chars().all(|c| c.is_ascii_hexdigit());
        if is_id_prefix {
            let mut matches = std::fs::read_dir(&self.root)
                .map_err(io_err(&self.root))?
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|name| name.len() == 64 && name.starts_with(by_id));
            if let (Some(id), None) = (matches.next(), matches.next()) {
                return self.load(&format!("sha256:{id}"));
            }
        }
        let normalized = Reference::parse_normalized(reference)?;
        match repos.get(&normalized.to_string()) {
            Some(id) => self.load(id),
            None => Err(ImageError::NotFound(normalized.familiar_string())),
        }
    }
    // ANCHOR_END: resolve

    fn load(&self, id: &str) -> Result<Image, ImageError> {
        let dir = self.image_dir(id);
        let config_path = dir.join("config.json");
        let bytes = std::fs::read(&config_path).map_err(io_err(&config_path))?;
        let config = serde_json::from_slice(&bytes).map_err(|source| ImageError::Corrupt {
            path: config_path,
            source,
        })?;
        Ok(Image {
            id: id.to_owned(),
            config,
            rootfs: dir.join("rootfs"),
        })
    }

    /// Unpack a flat rootfs tar as a new image, tag it, and return its id (`docker import`).
    ///
    /// The tar is unpacked into a staging directory and renamed into place only when complete,
    /// so a failed import leaves nothing behind.
    pub fn import(&self, tar: impl Read, tag: Option<&str>, comment: &str) -> Result<String, ImageError> {
        let reference = tag.map(Reference::parse_normalized).transpose()?;
        let staging = tempfile::Builder::new()
            .prefix("import-")
            .tempdir_in(&self.root)
            .map_err(io_err(&self.root))?;
        let rootfs = staging.path().join("rootfs");
        std::fs::create_dir(&rootfs).map_err(io_err(&rootfs))?;
        let mut hashing = HashingReader {
            inner: tar,
            hasher: Sha256::new(),
        };
        let mut archive = tar::Archive::new(&mut hashing);
        archive.set_preserve_permissions(true);
        archive.set_preserve_ownerships(true);
        archive
            .unpack(&rootfs)
            .map_err(|e| ImageError::Import(error_chain(&e)))?;
        std::io::copy(&mut hashing, &mut std::io::sink()).map_err(|e| ImageError::Import(e.to_string()))?;
        let diff_id = format!("sha256:{}", hex::encode(hashing.hasher.finalize()));

        let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
        let config = ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            created,
            config: ContainerDefaults::default(),
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: vec![diff_id],
            },
        };
        let config_json = serde_json::to_vec(&config).map_err(|e| ImageError::Import(e.to_string()))?;
        let id = format!("sha256:{}", hex::encode(Sha256::digest(&config_json)));
        let _ = comment; // recorded in the image history from chapter 5 on
        let config_path = staging.path().join("config.json");
        std::fs::write(&config_path, &config_json).map_err(io_err(&config_path))?;

        let final_dir = self.image_dir(&id);
        if !final_dir.exists() {
            let staged = staging.keep();
            std::fs::rename(&staged, &final_dir).map_err(io_err(&final_dir))?;
        }
        if let Some(r) = reference {
            self.tag(&id, &r)?;
        }
        Ok(id)
    }

    /// Point `reference` at image `id` (moving it if it pointed elsewhere).
    pub fn tag(&self, id: &str, reference: &Reference) -> Result<(), ImageError> {
        let mut repos = self.repositories()?;
        repos.insert(reference.to_string(), id.to_owned());
        let path = self.repositories_path();
        write_json_atomic(&path, &repos).map_err(io_err(&path))
    }
}

/// An error and its causes on one line (the tar crate puts the useful part in the source).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Hashes everything read through it (the diff id of an imported tar).
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_tar() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut dir = tar::Header::new_gnu();
        dir.set_entry_type(tar::EntryType::Directory);
        dir.set_mode(0o755);
        dir.set_uid(0);
        dir.set_gid(0);
        dir.set_mtime(0);
        dir.set_size(0);
        dir.set_cksum();
        b.append_data(&mut dir, "etc/", std::io::empty()).unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_size(6);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "etc/motd", &b"hello\n"[..]).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn import_then_resolve_by_name_and_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        let id = store.import(&tiny_tar()[..], Some("busybox"), "test").unwrap();
        assert!(id.starts_with("sha256:") && id.len() == 71);
        let by_name = store.resolve("busybox").unwrap();
        assert_eq!(by_name.id, id);
        assert_eq!(
            std::fs::read_to_string(by_name.rootfs.join("etc/motd")).unwrap(),
            "hello\n"
        );
        assert_eq!(store.resolve("docker.io/library/busybox:latest").unwrap().id, id);
        assert_eq!(store.resolve(&id[7..19]).unwrap().id, id);
        let expected_diff = format!("sha256:{}", hex::encode(Sha256::digest(tiny_tar())));
        assert_eq!(by_name.config.rootfs.diff_ids, vec![expected_diff]);
    }

    #[test]
    fn unknown_images_are_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        assert_eq!(
            store.resolve("nosuch").unwrap_err().to_string(),
            "No such image: nosuch:latest"
        );
        assert_eq!(
            store.resolve("Bad").unwrap_err().to_string(),
            "invalid reference format: repository name (library/Bad) must be lowercase"
        );
    }

    #[test]
    fn a_broken_tar_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = ImageStore::open(dir.path()).unwrap();
        let mut bad = tiny_tar();
        bad.truncate(700); // header fine, then truncated data
        assert!(store.import(&bad[..], Some("broken"), "test").is_err());
        let left: Vec<_> = std::fs::read_dir(dir.path().join("image/rootfs"))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "staging removed: {left:?}");
        assert!(store.resolve("broken").is_err());
    }
}
