//! `docker load`: unpack an archive into a staging directory and find the images in it.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{ArchiveError, INDEX_JSON, MANIFEST_JSON, confine, io_err, resolve_link};
use crate::config::{Image, host_architecture};
use crate::digest::{Digest, DigestingReader, as_mismatch};
use crate::manifest::{
    ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, Manifest, parse_manifest, select_platform,
};
use crate::reference::Reference;

/// The images found in an archive; their files stay in the staging directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedArchive {
    pub images: Vec<LoadedImage>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedImage {
    /// The image id: the sha256 of `config`.
    pub id: Digest,
    pub config: Vec<u8>,
    /// The names to give it (`Loaded image: busybox:latest`); empty for `Loaded image ID: …`.
    pub repo_tags: Vec<Reference>,
    /// The layers, bottom first, each checked against the config's diff ids.
    pub layers: Vec<LoadedLayer>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadedLayer {
    pub diff_id: Digest,
    /// The layer tar in the staging directory, possibly gzipped: read it with [`open_layer_tar`].
    pub path: PathBuf,
}

/// `input` with gzip undone if its first bytes are gzip's magic number.
fn decompressed<'a>(input: impl Read + 'a) -> io::Result<Box<dyn Read + 'a>> {
    let mut buffered = BufReader::new(input);
    let magic = buffered.fill_buf()?;
    Ok(if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    })
}

/// Open a layer tar from an archive, gunzipping it if needed.
pub fn open_layer_tar(path: &Path) -> io::Result<Box<dyn Read>> {
    decompressed(File::open(path)?)
}

// ANCHOR: read_archive
/// Unpack `input` (a tar, gzipped or not) into `staging_dir` and describe its images.
///
/// Only regular files and directories are written; links are remembered and followed
/// inside the archive only. Every layer is hashed and must match its diff id in the config.
pub fn read_archive(input: impl Read, staging_dir: &Path) -> Result<LoadedArchive, ArchiveError> {
    let reading = |e| io_err("reading the archive into", staging_dir)(e);
    let mut archive = tar::Archive::new(decompressed(input).map_err(reading)?);
    let mut links: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for entry in archive.entries().map_err(reading)? {
        let mut entry = entry.map_err(reading)?;
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = confine(&raw_name)?;
        let target = staging_dir.join(&name);
        match entry.header().entry_type() {
            tar::EntryType::Directory => {
                std::fs::create_dir_all(&target).map_err(io_err("creating", &target))?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent).map_err(io_err("creating", parent))?;
                }
                let mut file = File::create(&target).map_err(io_err("creating", &target))?;
                io::copy(&mut entry, &mut file).map_err(io_err("writing", &target))?;
            }
            kind @ (tar::EntryType::Symlink | tar::EntryType::Link) => {
                let link = entry.link_name_bytes().unwrap_or_default();
                let link = String::from_utf8_lossy(&link).into_owned();
                let resolved = match kind {
                    tar::EntryType::Symlink => resolve_link(&name, &link),
                    _ => confine(&link).ok(), // hard links name a path from the root
                };
                let resolved = resolved.ok_or_else(|| ArchiveError::UnsafeLink(raw_name.clone()))?;
                links.insert(name, resolved);
            }
            _ => tracing::debug!(name = raw_name, "ignoring special file in archive"),
        }
    }
    let staged = Staged {
        root: staging_dir,
        links,
    };
    if staged.find(MANIFEST_JSON).is_ok() {
        read_docker_manifest(&staged)
    } else if staged.find(INDEX_JSON).is_ok() {
        read_oci_layout(&staged)
    } else {
        Err(ArchiveError::NoManifest)
    }
}
// ANCHOR_END: read_archive

/// The unpacked archive: files under `root`, links by name.
struct Staged<'a> {
    root: &'a Path,
    links: BTreeMap<PathBuf, PathBuf>,
}

impl Staged<'_> {
    /// The staged file an archive name refers to, following links (at most 16 of them).
    fn find(&self, name: &str) -> Result<PathBuf, ArchiveError> {
        let mut path = confine(name)?;
        for _ in 0..16 {
            match self.links.get(&path) {
                Some(next) => path = next.clone(),
                None => {
                    let full = self.root.join(&path);
                    return match full.is_file() {
                        true => Ok(full),
                        false => Err(ArchiveError::Missing(name.to_owned())),
                    };
                }
            }
        }
        Err(ArchiveError::UnsafeLink(name.to_owned()))
    }

    fn read(&self, name: &str) -> Result<Vec<u8>, ArchiveError> {
        let path = self.find(name)?;
        std::fs::read(&path).map_err(io_err("reading", &path))
    }

    fn json<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<T, ArchiveError> {
        serde_json::from_slice(&self.read(name)?).map_err(|source| ArchiveError::InvalidJson {
            name: name.to_owned(),
            source,
        })
    }

    /// A blob of an OCI layout, checked against its name.
    fn blob(&self, digest: &Digest) -> Result<Vec<u8>, ArchiveError> {
        let bytes = self.read(&blob_name(digest))?;
        let actual = Digest::of(&bytes);
        match actual == *digest {
            true => Ok(bytes),
            false => Err(crate::digest::DigestMismatch {
                expected: digest.clone(),
                actual,
            }
            .into()),
        }
    }
}

fn blob_name(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

#[derive(Debug, Deserialize)]
struct ManifestEntry {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers", default)]
    layers: Vec<String>,
}

fn read_docker_manifest(staged: &Staged) -> Result<LoadedArchive, ArchiveError> {
    let entries: Vec<ManifestEntry> = staged.json(MANIFEST_JSON)?;
    let mut images = Vec::new();
    for entry in entries {
        let config = staged.read(&entry.config)?;
        let layer_paths = entry
            .layers
            .iter()
            .map(|l| staged.find(l))
            .collect::<Result<Vec<_>, _>>()?;
        let repo_tags = entry
            .repo_tags
            .unwrap_or_default()
            .iter()
            .map(|t| Reference::parse_normalized(t))
            .collect::<Result<Vec<_>, _>>()?;
        images.push(checked_image(config, repo_tags, layer_paths)?);
    }
    Ok(LoadedArchive { images })
}

fn read_oci_layout(staged: &Staged) -> Result<LoadedArchive, ArchiveError> {
    let index = match parse_manifest(None, &staged.read(INDEX_JSON)?)? {
        Manifest::Index(index) => index,
        Manifest::Image(_) => return Err(ArchiveError::Invalid("index.json is not an index".into())),
    };
    let mut images: Vec<LoadedImage> = Vec::new();
    for entry in &index.manifests {
        let mut bytes = staged.blob(&entry.digest)?;
        let manifest = loop {
            match parse_manifest(Some(&entry.media_type), &bytes)? {
                Manifest::Image(m) => break m,
                Manifest::Index(nested) => {
                    let chosen = select_platform(&nested, "linux", host_architecture())?;
                    bytes = staged.blob(&chosen.digest)?;
                }
            }
        };
        let name = entry_name(&entry.annotations);
        let config = staged.blob(&manifest.config.digest)?;
        if let Some(existing) = images.iter_mut().find(|i| i.id == manifest.config.digest) {
            existing.repo_tags.extend(name);
            continue;
        }
        let layer_paths = manifest
            .layers
            .iter()
            .map(|l| {
                let path = staged.find(&blob_name(&l.digest))?;
                let (actual, _) = hash(File::open(&path).map_err(io_err("opening", &path))?, &path)?;
                match actual == l.digest {
                    true => Ok(path),
                    false => Err(ArchiveError::Mismatch(crate::digest::DigestMismatch {
                        expected: l.digest.clone(),
                        actual,
                    })),
                }
            })
            .collect::<Result<Vec<_>, ArchiveError>>()?;
        images.push(checked_image(config, name.into_iter().collect(), layer_paths)?);
    }
    Ok(LoadedArchive { images })
}

/// The name of an OCI index entry: containerd's full-name annotation, else a ref.name that is
/// a whole reference. A bare tag (`latest`) names no repository, so the image stays untagged.
fn entry_name(annotations: &BTreeMap<String, String>) -> Option<Reference> {
    let full = annotations.get(ANNOTATION_IMAGE_NAME).or_else(|| {
        annotations
            .get(ANNOTATION_REF_NAME)
            .filter(|r| r.contains(['/', ':']))
    })?;
    Reference::parse_normalized(full).ok().filter(|r| r.tag.is_some())
}

// ANCHOR: check_diff_ids
/// Parse the config and check that each layer hashes (uncompressed) to its diff id.
fn checked_image(
    config: Vec<u8>,
    repo_tags: Vec<Reference>,
    layer_paths: Vec<PathBuf>,
) -> Result<LoadedImage, ArchiveError> {
    let image = Image::from_bytes(config).map_err(|source| ArchiveError::InvalidJson {
        name: "image config".into(),
        source,
    })?;
    let diff_ids = image.diff_ids();
    if diff_ids.len() != layer_paths.len() {
        return Err(ArchiveError::LayerCount {
            expected: diff_ids.len(),
            actual: layer_paths.len(),
        });
    }
    let mut layers = Vec::new();
    for (index, (expected, path)) in diff_ids.iter().zip(layer_paths).enumerate() {
        let (actual, _) = hash(open_layer_tar(&path).map_err(io_err("opening", &path))?, &path)?;
        if actual != *expected {
            return Err(ArchiveError::InvalidDiffId {
                index,
                expected: expected.clone(),
                actual,
            });
        }
        layers.push(LoadedLayer {
            diff_id: actual,
            path,
        });
    }
    Ok(LoadedImage {
        id: image.id,
        config: image.raw,
        repo_tags,
        layers,
    })
}
// ANCHOR_END: check_diff_ids

fn hash(reader: impl Read, path: &Path) -> Result<(Digest, u64), ArchiveError> {
    let mut digesting = DigestingReader::new(reader);
    io::copy(&mut digesting, &mut io::sink()).map_err(|e| match as_mismatch(&e) {
        Some(m) => ArchiveError::Mismatch(m.clone()),
        None => io_err("reading", path)(e),
    })?;
    Ok(digesting.finish())
}
