//! `docker pull`: a manifest, its config, its layers, then the names.
//!
//! ```text
//!  GET manifest (through an index to linux/<arch>)     nothing is shown before it answers
//!  image config already here? ──yes──▶ only the names change ("Image is up to date")
//!  GET config blob (verified)                          its diff ids are the truth
//!  per layer, bottom up:
//!     known blob + layer chain already here?  ──▶ "Already exists"
//!     GET blob into <data-root>/tmp (verified) ──▶ "Verifying Checksum", "Download complete"
//!     gunzip → unpack_layer(parent, tar, diff id) ──▶ "Extracting", "Pull complete"
//!  put_image(config), tag, name@digest, distribution metadata
//! ```
//!
//! Until the image is stored nothing names it, and any failure removes the layers this pull
//! registered: a failed pull leaves the store as it found it.

use std::io::{BufRead, BufReader, Read};

use ch05_images::config::host_architecture;
use ch05_images::manifest::{Descriptor, ImageManifest};
use ch05_images::{BlobError, BlobStore, Digest, Image, LayerMeta, Reference, RegistryClient};

use super::distribution::{DistributionError, ProgressOut, add_digest_name, registry_client, unix_now};
use super::{Engine, EngineError};
use crate::progress::{JsonMessage, ProgressReader, Throttle};

/// Docker downloads three layers at a time; the others say `Waiting` until their turn.
const CONCURRENT_DOWNLOADS: usize = 3;

impl Engine {
    // ANCHOR: pull
    /// `docker pull reference` (every tag of its repository with `all_tags`), reporting
    /// progress to `out` as dockerd streams it. A reference without tag or digest pulls `latest`.
    pub fn pull(
        &self,
        reference: &Reference,
        all_tags: bool,
        out: ProgressOut,
    ) -> Result<(), DistributionError> {
        if all_tags && (reference.tag.is_some() || reference.digest.is_some()) {
            return Err(DistributionError::TagWithAllTags);
        }
        let client = registry_client(reference);
        let targets = if all_tags {
            let mut targets = Vec::new();
            for tag in client.list_tags(reference.registry_path())? {
                targets.push(reference.with_tag(&tag).map_err(EngineError::from)?);
            }
            targets
        } else if reference.tag.is_none() && reference.digest.is_none() {
            vec![
                reference
                    .with_tag(ch05_images::reference::DEFAULT_TAG)
                    .map_err(EngineError::from)?,
            ]
        } else {
            vec![reference.clone()]
        };
        let mut updated = false;
        for target in &targets {
            updated |= self.pull_one(&client, target, out)?;
        }
        let named = match targets.as_slice() {
            [one] if !all_tags => one.familiar_string(),
            _ => reference.familiar_name(),
        };
        let status = match updated {
            true => "Downloaded newer image for",
            false => "Image is up to date for",
        };
        out(JsonMessage::line(format!("Status: {status} {named}")));
        self.image_event(&reference.familiar_string(), &reference.familiar_name(), "pull");
        Ok(())
    }
    // ANCHOR_END: pull

    /// Pull one tag or digest; `true` if a name now points somewhere new.
    fn pull_one(
        &self,
        client: &RegistryClient,
        reference: &Reference,
        out: ProgressOut,
    ) -> Result<bool, DistributionError> {
        let repo = reference.registry_path();
        let (asked, shown) = match (&reference.digest, &reference.tag) {
            (Some(digest), _) => (digest.clone(), reference.to_string()),
            (None, Some(tag)) => (tag.clone(), tag.clone()),
            (None, None) => return Err(EngineError::Invalid(format!("{reference} has no tag")).into()),
        };
        let resolved = client.resolve_image(repo, &asked, "linux", host_architecture())?;
        out(JsonMessage::about(shown, format!("Pulling from {repo}")));
        let config = &resolved.manifest.config.digest;
        let id = match self.images.exists(config) {
            true => config.clone(),
            false => self.download_image(client, reference, &resolved.manifest, out)?,
        };
        out(JsonMessage::line(format!("Digest: {}", resolved.digest)));
        let named_by_digest = add_digest_name(self, &id, &reference.with_digest(&resolved.digest))?;
        let updated = match reference.digest {
            Some(_) => named_by_digest,
            None => {
                let before = self.images.lookup_reference(reference)?;
                if before.as_ref() != Some(&id) {
                    self.images.tag(&id, reference)?;
                }
                before.as_ref() != Some(&id)
            }
        };
        if updated {
            self.images.set_last_updated(&id, chrono::Utc::now())?;
        }
        Ok(updated)
    }

    /// Download, verify and unpack the image of `manifest`; returns its id. On failure the
    /// layers registered here are removed again.
    fn download_image(
        &self,
        client: &RegistryClient,
        reference: &Reference,
        manifest: &ImageManifest,
        out: ProgressOut,
    ) -> Result<Digest, DistributionError> {
        let repo = reference.registry_path();
        let staging = tempfile::Builder::new()
            .prefix("pull-")
            .tempdir_in(self.staging_root()?)
            .map_err(|source| EngineError::Io {
                path: self.data_root.join("tmp"),
                source,
            })?;
        let blobs = BlobStore::open(staging.path())?;
        let config_digest = &manifest.config.digest;
        client
            .fetch_blob(repo, config_digest, &blobs, &mut |_, _| {})
            .map_err(|e| match e.is_digest_mismatch() {
                true => DistributionError::ConfigVerification(config_digest.clone()),
                false => e.into(),
            })?;
        let image =
            Image::from_bytes(blobs.read(config_digest)?).map_err(|e| DistributionError::InvalidConfig {
                digest: config_digest.clone(),
                reason: e.to_string(),
            })?;
        let diff_ids = image.diff_ids();
        if diff_ids.len() != manifest.layers.len() {
            return Err(DistributionError::RootFsMismatch);
        }

        // The bottom layers this store has: their blob was seen before and its chain exists.
        let chains = image.chain_ids();
        let mut present = 0;
        for (i, layer) in manifest.layers.iter().enumerate() {
            let known = self.images.diff_id_for_blob(&layer.digest)?;
            if known.as_ref() != Some(&diff_ids[i]) || !self.images.has_layer(&chains[i]) {
                break;
            }
            out(JsonMessage::layer(layer.digest.short(), "Already exists"));
            present += 1;
        }
        for (n, layer) in manifest.layers[present..].iter().enumerate() {
            out(JsonMessage::layer(layer.digest.short(), "Pulling fs layer"));
            if n >= CONCURRENT_DOWNLOADS {
                out(JsonMessage::layer(layer.digest.short(), "Waiting"));
            }
        }

        let mut parent = match present {
            0 => None,
            n => Some(self.images.layer(&chains[n - 1])?),
        };
        let mut registered: Vec<LayerMeta> = Vec::new();
        let stored = (|| -> Result<Digest, DistributionError> {
            for (i, layer) in manifest.layers.iter().enumerate().skip(present) {
                let diff_id = &diff_ids[i];
                self.download_layer(client, repo, layer, &blobs, out)?;
                let is_new = !self.images.has_layer(&chains[i]);
                let meta = self.extract_layer(&blobs, layer, parent.as_ref(), diff_id, out)?;
                if is_new {
                    registered.push(meta.clone());
                }
                out(JsonMessage::layer(layer.digest.short(), "Pull complete"));
                parent = Some(meta);
            }
            Ok(self.images.put_image(&image.raw)?)
        })();
        let id = match stored {
            Ok(id) => id,
            Err(e) => {
                for meta in registered.iter().rev() {
                    if let Err(err) = self.images.remove_layer(&meta.chain_id) {
                        tracing::warn!(chain_id = %meta.chain_id, error = %err, "removing a layer of a failed pull");
                        continue;
                    }
                    self.delete_layer_files(meta);
                }
                return Err(e);
            }
        };
        let source = reference.repository().to_string();
        for (layer, diff_id) in manifest.layers.iter().zip(diff_ids) {
            self.images.record_blob(&layer.digest, diff_id, &source)?;
        }
        Ok(id)
    }

    /// Fetch one layer blob into `blobs`, verified against its digest.
    fn download_layer(
        &self,
        client: &RegistryClient,
        repo: &str,
        layer: &Descriptor,
        blobs: &BlobStore,
        out: ProgressOut,
    ) -> Result<(), DistributionError> {
        let id = layer.digest.short();
        let start = unix_now();
        let mut throttle = Throttle::default();
        let mut verifying = false;
        let fetched = client.fetch_blob(repo, &layer.digest, blobs, &mut |done, total| {
            let total = if total == 0 { layer.size } else { total };
            if throttle.due(done, total) {
                out(JsonMessage::transfer(id, "Downloading", done, total, start));
            }
            if done == total && !verifying {
                verifying = true;
                out(JsonMessage::layer(id, "Verifying Checksum"));
            }
        });
        if !verifying && (fetched.is_ok() || fetched.as_ref().is_err_and(|e| e.is_digest_mismatch())) {
            out(JsonMessage::layer(id, "Verifying Checksum"));
        }
        match fetched {
            Err(e) if e.is_digest_mismatch() => {
                Err(DistributionError::LayerVerification(layer.digest.clone()))
            }
            Err(e) => Err(e.into()),
            Ok(_) => {
                out(JsonMessage::layer(id, "Download complete"));
                Ok(())
            }
        }
    }

    /// Unpack a downloaded layer blob (gzip or plain tar) on top of `parent`; its tar must
    /// hash to `diff_id`.
    fn extract_layer(
        &self,
        blobs: &BlobStore,
        layer: &Descriptor,
        parent: Option<&LayerMeta>,
        diff_id: &Digest,
        out: ProgressOut,
    ) -> Result<LayerMeta, DistributionError> {
        let id = layer.digest.short();
        let path = blobs.path(&layer.digest);
        let file = std::fs::File::open(&path).map_err(|source| EngineError::Io {
            path: path.clone(),
            source,
        })?;
        let total = blobs.size(&layer.digest)?;
        let start = unix_now();
        let progress = ProgressReader::new(file, total, |done, total| {
            out(JsonMessage::transfer(id, "Extracting", done, total, start));
        });
        let tar = decompressed(progress).map_err(|source| EngineError::Io { path, source })?;
        let tar = match tar {
            Layer::Tar(tar) => tar,
            Layer::Unsupported(compression) => {
                return Err(DistributionError::UnsupportedCompression {
                    digest: layer.digest.clone(),
                    compression: compression.to_owned(),
                });
            }
        };
        let had_tar = self.layer_tars.exists(diff_id);
        match self.unpack_layer(parent, tar, Some(diff_id)) {
            Ok(meta) => Ok(meta),
            Err(e) => {
                // unpack_layer keeps the tar it stored when applying it fails: drop it again.
                if !had_tar {
                    let _ = self.layer_tars.remove(diff_id);
                }
                match e {
                    EngineError::Blob(BlobError::Mismatch(_)) => Err(DistributionError::RootFsMismatch),
                    other => Err(other.into()),
                }
            }
        }
    }
}

/// A layer blob's content, by its first bytes (Docker's `DecompressStream` also looks).
pub(super) enum Layer<'a> {
    Tar(Box<dyn Read + 'a>),
    Unsupported(&'static str),
}

/// `input` as a tar: gunzipped if it is gzip, as it is if it is no compression we know.
pub(super) fn decompressed<'a>(input: impl Read + 'a) -> std::io::Result<Layer<'a>> {
    let mut buffered = BufReader::new(input);
    let magic = buffered.fill_buf()?;
    Ok(match magic {
        [0x1f, 0x8b, ..] => Layer::Tar(Box::new(flate2::read::MultiGzDecoder::new(buffered))),
        [0x28, 0xb5, 0x2f, 0xfd, ..] => Layer::Unsupported("zstd"),
        [b'B', b'Z', b'h', ..] => Layer::Unsupported("bzip2"),
        [0xfd, b'7', b'z', b'X', b'Z', 0x00, ..] => Layer::Unsupported("xz"),
        _ => Layer::Tar(Box::new(buffered)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(layer: Layer<'_>) -> Vec<u8> {
        match layer {
            Layer::Tar(mut r) => {
                let mut out = Vec::new();
                r.read_to_end(&mut out).unwrap();
                out
            }
            Layer::Unsupported(c) => panic!("unsupported {c}"),
        }
    }

    #[test]
    fn layers_are_gunzipped_or_passed_through_by_their_first_bytes() {
        use std::io::Write;
        let tar = b"plain tar bytes".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(read_all(decompressed(&gz[..]).unwrap()), tar);
        assert_eq!(read_all(decompressed(&tar[..]).unwrap()), tar);
        assert_eq!(read_all(decompressed(&b""[..]).unwrap()), b"");
        assert!(matches!(
            decompressed(&[0x28, 0xb5, 0x2f, 0xfd, 0][..]).unwrap(),
            Layer::Unsupported("zstd")
        ));
    }
}
