//! `docker push`: every layer the registry lacks, the config, then the manifest naming them.
//!
//! ```text
//!  per layer, top down ("Preparing"):
//!     v2metadata says the registry has it in this repository (HEAD)  ──▶ "Layer already exists"
//!     … in another repository of the same registry (mount)           ──▶ "Mounted from <repo>"
//!     else gzip the layer tar into <data-root>/tmp, upload it         ──▶ "Pushing", "Pushed"
//!  config blob, manifest (Docker v2 schema 2)  ──▶ "<tag>: digest: sha256:… size: N"
//!                                                  and the same for programs (`aux`)
//! ```
//!
//! Every blob pushed or found is remembered in `distribution/v2metadata-by-diffid`, so the
//! next push of the same layer to this registry costs one `HEAD`.

use std::io::{Seek, Write};

use ch05_images::manifest::{DOCKER_CONFIG, DOCKER_LAYER_GZIP, DOCKER_MANIFEST, Descriptor, ImageManifest};
use ch05_images::{Digest, DigestingWriter, LayerMeta, Reference, RegistryClient};

use super::Engine;
use super::distribution::{DistributionError, ProgressOut, add_digest_name, registry_client, unix_now};
use crate::progress::{Aux, JsonMessage, ProgressReader, PushResult};

/// Docker uploads five layers at a time; the others say `Waiting` until their turn.
const CONCURRENT_UPLOADS: usize = 5;

impl Engine {
    // ANCHOR: push
    /// `docker push reference`: its tag, or every tag of its repository when it has none.
    pub fn push(&self, reference: &Reference, out: ProgressOut) -> Result<(), DistributionError> {
        out(JsonMessage::line(format!(
            "The push refers to repository [{}]",
            reference.repository()
        )));
        if reference.digest.is_some() {
            return Err(DistributionError::DigestPush);
        }
        let repository = reference.repository();
        let named: Vec<(Reference, Digest)> = self
            .images
            .references()?
            .into_iter()
            .filter(|(r, _)| r.repository() == repository)
            .collect();
        if named.is_empty() {
            return Err(DistributionError::NoLocalRepository(reference.familiar_name()));
        }
        let targets: Vec<(Reference, Digest)> = match &reference.tag {
            Some(_) => match self.images.lookup_reference(reference)? {
                Some(id) => vec![(reference.clone(), id)],
                None => return Err(DistributionError::NoLocalTag(reference.familiar_string())),
            },
            None => named.into_iter().filter(|(r, _)| r.tag.is_some()).collect(),
        };
        if targets.is_empty() {
            return Err(DistributionError::NoTagsToPush(reference.familiar_name()));
        }
        let client = registry_client(reference);
        client.ping()?;
        for (tagged, id) in &targets {
            self.push_tag(&client, tagged, id, out)?;
        }
        self.image_event(&reference.familiar_string(), &reference.familiar_name(), "push");
        Ok(())
    }
    // ANCHOR_END: push

    fn push_tag(
        &self,
        client: &RegistryClient,
        reference: &Reference,
        id: &Digest,
        out: ProgressOut,
    ) -> Result<(), DistributionError> {
        let repo = reference.registry_path();
        let image = self.images.get(id)?;
        let layers = self.images.layers_of(&image)?;
        for (n, layer) in layers.iter().rev().enumerate() {
            out(JsonMessage::layer(layer.diff_id.short(), "Preparing"));
            if n >= CONCURRENT_UPLOADS {
                out(JsonMessage::layer(layer.diff_id.short(), "Waiting"));
            }
        }
        let mut descriptors = Vec::with_capacity(layers.len());
        for layer in layers.iter().rev() {
            descriptors.push(self.push_layer(client, reference, layer, out)?);
        }
        descriptors.reverse();

        let config_size = image.raw.len() as u64;
        if client.stat_blob(repo, &image.id)?.is_none() {
            client.push_blob(repo, &image.id, config_size, &image.raw[..])?;
        }
        let manifest = ImageManifest::docker_v2(
            Descriptor::new(DOCKER_CONFIG, image.id.clone(), config_size),
            descriptors,
        );
        let bytes = manifest.to_bytes();
        let tag = reference.tag.as_deref().unwrap_or_default();
        let digest = client.put_manifest(repo, tag, DOCKER_MANIFEST, &bytes)?;
        out(JsonMessage::line(format!(
            "{tag}: digest: {digest} size: {}",
            bytes.len()
        )));
        out(JsonMessage::aux(Aux::Push(PushResult {
            tag: tag.to_owned(),
            digest: digest.to_string(),
            size: bytes.len() as u64,
        })));
        add_digest_name(self, id, &reference.with_digest(&digest))?;
        Ok(())
    }

    /// Make sure the registry has `layer` in `reference`'s repository; returns its descriptor.
    fn push_layer(
        &self,
        client: &RegistryClient,
        reference: &Reference,
        layer: &LayerMeta,
        out: ProgressOut,
    ) -> Result<Descriptor, DistributionError> {
        let id = layer.diff_id.short();
        let repo = reference.registry_path();
        let source = reference.repository().to_string();
        let descriptor = |digest: &Digest, size| Descriptor::new(DOCKER_LAYER_GZIP, digest.clone(), size);

        // What earlier pulls and pushes know about this layer in this registry, this repository first.
        let mut known: Vec<(Reference, Digest)> = self
            .images
            .blobs_for_diff_id(&layer.diff_id)?
            .into_iter()
            .filter_map(|m| {
                let from = Reference::parse_name(&m.source_repository).ok()?;
                (from.domain == reference.domain).then_some((from, m.digest))
            })
            .collect();
        known.sort_by_key(|(from, _)| from.path != repo);
        for (from, digest) in &known {
            if from.path == repo {
                if let Some(size) = client.stat_blob(repo, digest)? {
                    out(JsonMessage::layer(id, "Layer already exists"));
                    return Ok(descriptor(digest, size));
                }
            } else if client.mount_blob(repo, digest, &from.path)? {
                if let Some(size) = client.stat_blob(repo, digest)? {
                    self.images.record_blob(digest, &layer.diff_id, &source)?;
                    out(JsonMessage::layer(id, format!("Mounted from {}", from.path)));
                    return Ok(descriptor(digest, size));
                }
            }
        }

        let (file, digest, size) = self.compress_layer(&layer.diff_id)?;
        if let Some(size) = client.stat_blob(repo, &digest)? {
            self.images.record_blob(&digest, &layer.diff_id, &source)?;
            out(JsonMessage::layer(id, "Layer already exists"));
            return Ok(descriptor(&digest, size));
        }
        let start = unix_now();
        let reader = ProgressReader::new(file, size, |done, total| {
            out(JsonMessage::transfer(id, "Pushing", done, total, start));
        });
        client.push_blob(repo, &digest, size, reader)?;
        self.images.record_blob(&digest, &layer.diff_id, &source)?;
        out(JsonMessage::layer(id, "Pushed"));
        Ok(descriptor(&digest, size))
    }

    /// Layer `diff_id`'s tar, gzipped into an unnamed file under `<data-root>/tmp` and rewound,
    /// with the compressed blob's digest and size.
    fn compress_layer(&self, diff_id: &Digest) -> Result<(std::fs::File, Digest, u64), DistributionError> {
        let failed = |source| DistributionError::Compress {
            diff_id: diff_id.clone(),
            source,
        };
        let staged = tempfile::tempfile_in(self.staging_root()?).map_err(failed)?;
        let mut gzip =
            flate2::write::GzEncoder::new(DigestingWriter::new(staged), flate2::Compression::default());
        self.copy_layer_tar(diff_id, &mut gzip).map_err(failed)?;
        let mut digesting = gzip.finish().map_err(failed)?;
        digesting.flush().map_err(failed)?;
        let (mut staged, digest, size) = digesting.finish();
        staged.rewind().map_err(failed)?;
        Ok((staged, digest, size))
    }
}
