//! What `pull` and `push` share: their errors, the registry client, a staging directory.
//!
//! Both report progress as [`JsonMessage`]s through a callback, in the order dockerd streams
//! them; the CLI shows them (see `progress.rs`), and from chapter 10 on the daemon sends them
//! as the body of `POST /images/create` and `POST /images/<name>/push`.

use std::path::PathBuf;

use ch04_layers::LayerError;
use ch05_images::{BlobError, Digest, Reference, RegistryClient, RegistryError, StoreError};

use super::{Engine, EngineError};
use crate::progress::JsonMessage;

/// Where progress goes.
pub type ProgressOut<'a> = &'a mut dyn FnMut(JsonMessage);

/// Why a pull or a push failed, in Docker's words.
#[derive(Debug, thiserror::Error)]
pub enum DistributionError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// A layer blob that does not hash to the digest the manifest gives it.
    #[error("filesystem layer verification failed for digest {0}")]
    LayerVerification(Digest),
    #[error("image config verification failed for digest {0}")]
    ConfigVerification(Digest),
    /// The layers unpacked to other diff ids than the image config lists (or not as many).
    #[error("layers from manifest don't match image configuration")]
    RootFsMismatch,
    #[error("invalid image config {digest}: {reason}")]
    InvalidConfig { digest: Digest, reason: String },
    #[error("unsupported layer compression {compression} for layer {digest}")]
    UnsupportedCompression { digest: Digest, compression: String },
    #[error("tag can't be used with --all-tags/-a")]
    TagWithAllTags,
    #[error("An image does not exist locally with the tag: {0}")]
    NoLocalRepository(String),
    #[error("tag does not exist: {0}")]
    NoLocalTag(String),
    #[error("no tags to push for {0}")]
    NoTagsToPush(String),
    #[error("cannot push a digest reference")]
    DigestPush,
    #[error("compressing layer {diff_id}: {source}")]
    Compress {
        diff_id: Digest,
        #[source]
        source: std::io::Error,
    },
}

impl From<StoreError> for DistributionError {
    fn from(e: StoreError) -> Self {
        DistributionError::Engine(e.into())
    }
}

impl From<BlobError> for DistributionError {
    fn from(e: BlobError) -> Self {
        DistributionError::Engine(e.into())
    }
}

impl From<LayerError> for DistributionError {
    fn from(e: LayerError) -> Self {
        DistributionError::Engine(e.into())
    }
}

/// A client for the registry `reference` lives in (plain http for loopback hosts, as Docker's
/// default insecure registries `127.0.0.0/8`).
pub(super) fn registry_client(reference: &Reference) -> RegistryClient {
    RegistryClient::new(&reference.domain, false)
}

/// Seconds since the epoch: the `start` of a transfer's progress.
pub(super) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The digest reference `repository@digest` names `id`, unless the store already has that
/// name (a digest names one manifest forever; Docker logs a changed one and keeps the old).
pub(super) fn add_digest_name(
    engine: &Engine,
    id: &Digest,
    by_digest: &Reference,
) -> Result<bool, StoreError> {
    if engine.images.lookup_reference(by_digest)?.is_some() {
        return Ok(false);
    }
    engine.images.add_digest_reference(id, by_digest)?;
    Ok(true)
}

impl Engine {
    /// `<data-root>/tmp`, where downloads and compressed layers are staged (like Docker's).
    pub(super) fn staging_root(&self) -> Result<PathBuf, EngineError> {
        let dir = self.data_root.join("tmp");
        std::fs::create_dir_all(&dir).map_err(|source| EngineError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(dir)
    }
}
