//! `docker save`: write images as a Docker 25+ archive (docker-archive + OCI layout in one).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Seek, Write};

use serde::Serialize;

use super::{ArchiveError, INDEX_JSON, LEGACY_REPOSITORIES, MANIFEST_JSON, OCI_LAYOUT};
use crate::config::Image;
use crate::digest::{Digest, DigestingWriter};
use crate::manifest::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, Descriptor, ImageIndex, ImageManifest, OCI_CONFIG, OCI_LAYER,
    OCI_MANIFEST,
};
use crate::reference::Reference;

/// One entry of `manifest.json`, with Docker's field names (`RepoTags` is `null` when untagged).
#[derive(Debug, Serialize)]
struct ManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags")]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

fn blob_name(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

fn write_err(e: io::Error) -> ArchiveError {
    super::io_err("writing", std::path::Path::new("the archive"))(e)
}

struct TarWriter<W: Write> {
    tar: tar::Builder<W>,
    written: BTreeSet<String>,
}

impl<W: Write> TarWriter<W> {
    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(kind);
        header.set_mode(mode);
        header.set_size(size);
        header.set_mtime(0); // reproducible: the same images give the same archive
        header.set_uid(0);
        header.set_gid(0);
        header
    }

    fn dir(&mut self, name: &str) -> Result<(), ArchiveError> {
        let mut header = Self::header(tar::EntryType::Directory, 0o755, 0);
        self.tar
            .append_data(&mut header, name, io::empty())
            .map_err(write_err)
    }

    /// Add `name` unless an earlier image already did (blobs are shared).
    fn file(&mut self, name: &str, bytes: &[u8]) -> Result<(), ArchiveError> {
        if self.written.insert(name.to_owned()) {
            let mut header = Self::header(tar::EntryType::Regular, 0o644, bytes.len() as u64);
            self.tar
                .append_data(&mut header, name, bytes)
                .map_err(write_err)?;
        }
        Ok(())
    }
}

// ANCHOR: write_docker_archive
/// Write `images` (each with the names to record for it) to `out` as a tar.
///
/// `layer_tar(diff_id, sink)` must write the layer's uncompressed tar, *byte for byte the tar
/// whose sha256 is `diff_id`*, and return its length; other bytes are refused
/// ([`ArchiveError::LayerMismatch`]) because `docker load` would reject them. Each layer is
/// spooled to an anonymous temporary file first (a tar entry needs its size up front) and
/// written once however many images share it.
pub fn write_docker_archive(
    out: impl Write,
    images: &[(Image, Vec<Reference>)],
    layer_tar: &mut dyn FnMut(&Digest, &mut dyn Write) -> io::Result<u64>,
) -> Result<(), ArchiveError> {
    let mut tar = TarWriter {
        tar: tar::Builder::new(out),
        written: BTreeSet::new(),
    };
    tar.dir("blobs/")?;
    tar.dir("blobs/sha256/")?;
    let mut manifest_json = Vec::new();
    let mut index_entries = Vec::new();
    let mut legacy: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut layer_sizes: BTreeMap<Digest, u64> = BTreeMap::new();

    for (image, references) in images {
        tar.file(&blob_name(&image.id), &image.raw)?;
        let mut layers = Vec::new();
        for diff_id in image.diff_ids() {
            let size = match layer_sizes.get(diff_id) {
                Some(size) => *size,
                None => {
                    let size = spool_layer(&mut tar, diff_id, layer_tar)?;
                    layer_sizes.insert(diff_id.clone(), size);
                    size
                }
            };
            layers.push(Descriptor::new(OCI_LAYER, diff_id.clone(), size));
        }
        let manifest = ImageManifest::oci(Descriptor::of(OCI_CONFIG, &image.raw), layers).to_bytes();
        let manifest_desc = Descriptor::of(OCI_MANIFEST, &manifest);
        tar.file(&blob_name(&manifest_desc.digest), &manifest)?;

        let tags: Vec<&Reference> = references
            .iter()
            .filter(|r| r.tag.is_some() && r.digest.is_none())
            .collect();
        for reference in &tags {
            let mut entry = manifest_desc.clone();
            entry
                .annotations
                .insert(ANNOTATION_IMAGE_NAME.into(), reference.to_string());
            entry.annotations.insert(
                ANNOTATION_REF_NAME.into(),
                reference.tag.clone().unwrap_or_default(),
            );
            index_entries.push(entry);
            if let Some(top) = image.diff_ids().last() {
                legacy
                    .entry(reference.familiar_name())
                    .or_default()
                    .insert(reference.tag.clone().unwrap_or_default(), top.hex().to_owned());
            }
        }
        if tags.is_empty() {
            index_entries.push(manifest_desc);
        }
        manifest_json.push(ManifestEntry {
            config: blob_name(&image.id),
            repo_tags: (!tags.is_empty()).then(|| tags.iter().map(|r| r.familiar_string()).collect()),
            layers: image.diff_ids().iter().map(blob_name).collect(),
        });
    }

    tar.file(INDEX_JSON, &ImageIndex::oci(index_entries).to_bytes())?;
    tar.file(MANIFEST_JSON, &to_json(&manifest_json)?)?;
    tar.file(OCI_LAYOUT, br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    if !legacy.is_empty() {
        tar.file(LEGACY_REPOSITORIES, &to_json(&legacy)?)?;
    }
    tar.tar
        .into_inner()
        .and_then(|mut w| w.flush())
        .map_err(write_err)
}
// ANCHOR_END: write_docker_archive

/// Produce one layer into a temporary file, check it is `diff_id`, and add it to the tar.
fn spool_layer<W: Write>(
    tar: &mut TarWriter<W>,
    diff_id: &Digest,
    layer_tar: &mut dyn FnMut(&Digest, &mut dyn Write) -> io::Result<u64>,
) -> Result<u64, ArchiveError> {
    let spool_dir = std::env::temp_dir();
    let file = tempfile::tempfile().map_err(super::io_err("creating a spool file in", &spool_dir))?;
    let mut writer = DigestingWriter::new(io::BufWriter::new(file));
    layer_tar(diff_id, &mut writer).map_err(|e| ArchiveError::Io {
        op: "producing the tar of layer",
        path: diff_id.to_string().into(),
        source: e,
    })?;
    let (buffered, actual, size) = writer.finish();
    if actual != *diff_id {
        return Err(ArchiveError::LayerMismatch {
            expected: diff_id.clone(),
            actual,
        });
    }
    let mut file = buffered.into_inner().map_err(|e| write_err(e.into_error()))?;
    file.rewind().map_err(write_err)?;
    let name = blob_name(diff_id);
    if tar.written.insert(name.clone()) {
        let mut header = TarWriter::<W>::header(tar::EntryType::Regular, 0o644, size);
        tar.tar.append_data(&mut header, &name, file).map_err(write_err)?;
    }
    Ok(size)
}

fn to_json(value: &impl Serialize) -> Result<Vec<u8>, ArchiveError> {
    serde_json::to_vec(value).map_err(|e| ArchiveError::Invalid(e.to_string()))
}
