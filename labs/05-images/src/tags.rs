//! Names for images: Docker's `repositories.json`.
//!
//! **Lab 05 skeleton.** Exercise `ex5`: write `ImageStore::add_reference` (the `todo!()`),
//! which [`ImageStore::tag`] and [`ImageStore::add_digest_reference`] call; reading and
//! writing the file is done. `labs/check 05` tells you how far you are.
//!
//! ```json
//! {"Repositories":{"busybox":{"busybox:latest":"sha256:<id>","busybox@sha256:<manifest>":"sha256:<id>"}}}
//! ```
//!
//! Grouped by repository (its familiar name), each key the familiar form of a tag or a digest
//! reference. A tag moves when it is given to another image (the old image may become
//! *dangling*, `<none>:<none>`); a digest reference never moves, since it names one manifest.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::atomic::write_atomic;
use crate::digest::Digest;
use crate::reference::Reference;
use crate::store::{ImageStore, StoreError, io_err};

#[derive(Debug, Default, Serialize, Deserialize)]
struct RepositoriesFile {
    #[serde(rename = "Repositories", default)]
    repositories: BTreeMap<String, BTreeMap<String, Digest>>,
}

/// `busybox:1@sha256:…` names the digest; Docker drops the tag before storing it.
fn storable(reference: &Reference) -> Reference {
    match &reference.digest {
        Some(_) => Reference {
            tag: None,
            ..reference.clone()
        },
        None => reference.clone(),
    }
}

impl ImageStore {
    fn repositories_path(&self) -> PathBuf {
        self.root.join("repositories.json")
    }

    fn read_repositories(&self) -> Result<RepositoriesFile, StoreError> {
        let path = self.repositories_path();
        match crate::atomic::read_optional(&path).map_err(io_err("reading", &path))? {
            None => Ok(RepositoriesFile::default()),
            Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                path,
                reason: e.to_string(),
            }),
        }
    }

    fn write_repositories(&self, file: &RepositoriesFile) -> Result<(), StoreError> {
        let path = self.repositories_path();
        let bytes = serde_json::to_vec(file).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        write_atomic(&path, &bytes).map_err(io_err("writing", &path))
    }

    /// Point `reference` at `id`; returns the image it pointed at before, if any.
    fn add_reference(&self, id: &Digest, reference: &Reference) -> Result<Option<Digest>, StoreError> {
        // ex5: the image must exist (`self.exists(id)`, else `StoreError::NoSuchImage`). Then,
        // holding `self.guard()` from the read to the write:
        //   - `storable(reference)` drops a tag that comes with a digest;
        //   - `self.read_repositories()?`; in its `repositories`, the map of
        //     `reference.repository_key()` (`.entry(…).or_default()`);
        //   - insert `reference.familiar_string()` -> `id`. A digest reference that pointed at
        //     another image is `StoreError::DigestConflict` (and nothing is written);
        //   - `self.write_repositories(&file)?`, and return the image that had the name
        //     before, unless it is `id` itself.
        todo!(
            "ex5: under self.guard(): read repositories.json, insert familiar_string -> id into the repository_key map (a digest may not move), write it back, return the image that lost the name"
        )
    }

    /// `docker tag`: give image `id` the tag `reference` (moving it from another image).
    /// Returns the image that lost the tag, if any.
    pub fn tag(&self, id: &Digest, reference: &Reference) -> Result<Option<Digest>, StoreError> {
        if reference.tag.is_none() || reference.digest.is_some() {
            return Err(StoreError::NotATag(reference.familiar_string()));
        }
        self.add_reference(id, reference)
    }

    /// Record that `reference` (`name@sha256:<manifest digest>`) was pulled as image `id`.
    pub fn add_digest_reference(&self, id: &Digest, reference: &Reference) -> Result<(), StoreError> {
        if reference.digest.is_none() {
            return Err(StoreError::NotADigest(reference.familiar_string()));
        }
        self.add_reference(id, reference).map(|_| ())
    }

    /// Remove a tag or digest reference; `false` if there was no such name.
    pub fn untag(&self, reference: &Reference) -> Result<bool, StoreError> {
        let reference = storable(reference);
        let _guard = self.guard();
        let mut file = self.read_repositories()?;
        let key = reference.repository_key();
        let Some(repo) = file.repositories.get_mut(&key) else {
            return Ok(false);
        };
        if repo.remove(&reference.familiar_string()).is_none() {
            return Ok(false);
        }
        if repo.is_empty() {
            file.repositories.remove(&key);
        }
        self.write_repositories(&file)?;
        Ok(true)
    }

    /// The image `reference` names, if it names one.
    pub fn lookup_reference(&self, reference: &Reference) -> Result<Option<Digest>, StoreError> {
        let reference = storable(reference);
        let file = self.read_repositories()?;
        Ok(file
            .repositories
            .get(&reference.repository_key())
            .and_then(|repo| repo.get(&reference.familiar_string()))
            .cloned())
    }

    /// Every name and the image it points at, in the file's (sorted) order.
    pub fn references(&self) -> Result<Vec<(Reference, Digest)>, StoreError> {
        let path = self.repositories_path();
        let file = self.read_repositories()?;
        let mut out = Vec::new();
        for (key, id) in file.repositories.into_values().flatten() {
            let reference = Reference::parse_normalized(&key).map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                reason: format!("{key:?}: {e}"),
            })?;
            out.push((reference, id));
        }
        Ok(out)
    }

    /// The names of image `id`, sorted by their familiar form (tags before digests per repo).
    pub fn references_to(&self, id: &Digest) -> Result<Vec<Reference>, StoreError> {
        let mut refs: Vec<Reference> = self
            .references()?
            .into_iter()
            .filter(|(_, target)| target == id)
            .map(|(r, _)| r)
            .collect();
        refs.sort_by_key(|r| (r.familiar_name(), r.digest.is_some(), r.familiar_string()));
        Ok(refs)
    }
}
