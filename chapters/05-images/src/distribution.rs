//! What Docker remembers about registry blobs, under `image/overlay2/distribution/`:
//!
//! - `diffid-by-digest/sha256/<blob>`: the diff id of a (compressed) layer blob, so a pull can
//!   tell "Already exists" before downloading;
//! - `v2metadata-by-diffid/sha256/<diff id>`: the blobs a layer was pulled as or pushed to, and
//!   from which repository, so a push can skip blobs the registry already has.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::atomic::{read_optional, write_atomic};
use crate::digest::Digest;
use crate::store::{ImageStore, StoreError, io_err, read_digest};

/// One entry of `v2metadata-by-diffid` (Docker's field names; HMAC is unused here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct V2Metadata {
    #[serde(rename = "Digest")]
    pub digest: Digest,
    #[serde(rename = "SourceRepository")]
    pub source_repository: String,
    #[serde(rename = "HMAC", default)]
    pub hmac: String,
}

impl ImageStore {
    fn distribution_path(&self, kind: &str, digest: &Digest) -> PathBuf {
        self.root
            .join("distribution")
            .join(kind)
            .join("sha256")
            .join(digest.hex())
    }

    /// Remember that registry blob `blob` (in repository `source_repository`, e.g.
    /// `docker.io/library/busybox`) unpacks to the layer `diff_id`.
    pub fn record_blob(
        &self,
        blob: &Digest,
        diff_id: &Digest,
        source_repository: &str,
    ) -> Result<(), StoreError> {
        let by_digest = self.distribution_path("diffid-by-digest", blob);
        let by_diff = self.distribution_path("v2metadata-by-diffid", diff_id);
        for path in [&by_digest, &by_diff] {
            let dir = crate::atomic::parent_of(path).map_err(io_err("creating", path))?;
            std::fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
        }
        write_atomic(&by_digest, diff_id.to_string().as_bytes()).map_err(io_err("writing", &by_digest))?;

        let _guard = self.guard();
        let mut entries = self.blobs_for_diff_id(diff_id)?;
        let entry = V2Metadata {
            digest: blob.clone(),
            source_repository: source_repository.to_owned(),
            hmac: String::new(),
        };
        if !entries.contains(&entry) {
            entries.push(entry);
            let bytes = serde_json::to_vec(&entries).map_err(|e| StoreError::Corrupt {
                path: by_diff.clone(),
                reason: e.to_string(),
            })?;
            write_atomic(&by_diff, &bytes).map_err(io_err("writing", &by_diff))?;
        }
        Ok(())
    }

    /// The diff id of registry blob `blob`, if it was pulled before.
    pub fn diff_id_for_blob(&self, blob: &Digest) -> Result<Option<Digest>, StoreError> {
        read_digest(&self.distribution_path("diffid-by-digest", blob))
    }

    /// The registry blobs layer `diff_id` is known as.
    pub fn blobs_for_diff_id(&self, diff_id: &Digest) -> Result<Vec<V2Metadata>, StoreError> {
        let path = self.distribution_path("v2metadata-by-diffid", diff_id);
        match read_optional(&path).map_err(io_err("reading", &path))? {
            None => Ok(Vec::new()),
            Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                path,
                reason: e.to_string(),
            }),
        }
    }
}
