//! Manifests: what a registry serves for `name:tag`.
//!
//! **Lab 05 skeleton.** Exercise `ex4`: write [`select_platform`] (the `todo!()`).
//! `labs/check 05` tells you how far you are.
//!
//! An *image manifest* names one config blob and the layer blobs (usually gzip-compressed
//! tars). An *index* (Docker: *manifest list*) names one image manifest per platform. Docker's
//! v2 schema 2 and OCI's formats have the same shape and differ only in media types, so one
//! pair of types reads all four; the `mediaType` field (or, when a manifest leaves it out, the
//! HTTP `Content-Type`) says which one we hold.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub const DOCKER_FOREIGN_LAYER: &str = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

/// The `Accept` header of a manifest request: every format we can read.
pub const ACCEPT_MANIFESTS: [&str; 4] = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST];

/// The annotation `docker save` and OCI layouts use for a tag.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation containerd (and `docker save` since 25) uses for the full image name.
pub const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("unsupported manifest media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("invalid {media_type} manifest: {source}")]
    Invalid {
        media_type: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("no matching manifest for {os}/{architecture} in the manifest list entries")]
    NoMatchingPlatform { os: String, architecture: String },
}

/// A pointer to a blob: what it is, its digest and its size (the field order Docker writes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    pub size: u64,
    pub digest: Digest,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(rename = "os.features", default, skip_serializing_if = "Option::is_none")]
    pub os_features: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// A Docker v2 schema 2 or OCI image manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageManifest {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// A Docker manifest list or OCI image index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageIndex {
    #[serde(rename = "schemaVersion")]
    pub schema_version: u32,
    #[serde(rename = "mediaType", default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    pub manifests: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// What a manifest request can return.
// A handful of these exist at a time; boxing would only make matching on them noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Manifest {
    Image(ImageManifest),
    Index(ImageIndex),
}

impl Descriptor {
    pub fn new(media_type: &str, digest: Digest, size: u64) -> Descriptor {
        Descriptor {
            media_type: media_type.to_owned(),
            size,
            digest,
            urls: Vec::new(),
            annotations: BTreeMap::new(),
            platform: None,
        }
    }

    /// A descriptor of `bytes`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Descriptor {
        Descriptor::new(media_type, Digest::of(bytes), bytes.len() as u64)
    }
}

/// `Content-Type: application/json; charset=utf-8` → `application/json`.
fn bare_media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// Parse a manifest by its `mediaType` field, else by `content_type`, else by its shape
/// (OCI allows leaving the media type out).
pub fn parse_manifest(content_type: Option<&str>, bytes: &[u8]) -> Result<Manifest, ManifestError> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    let invalid = |media_type: &str| {
        let media_type = media_type.to_owned();
        move |source| ManifestError::Invalid { media_type, source }
    };
    let probe: Probe = serde_json::from_slice(bytes).map_err(invalid("unknown"))?;
    let from_header = content_type
        .map(bare_media_type)
        .filter(|t| ACCEPT_MANIFESTS.contains(t));
    let media_type = match (probe.media_type.as_deref(), from_header) {
        (Some(t), _) | (None, Some(t)) => t.to_owned(),
        (None, None) if probe.manifests.is_some() => OCI_INDEX.to_owned(),
        (None, None) => OCI_MANIFEST.to_owned(),
    };
    match media_type.as_str() {
        DOCKER_MANIFEST | OCI_MANIFEST => serde_json::from_slice(bytes)
            .map(Manifest::Image)
            .map_err(invalid(&media_type)),
        DOCKER_MANIFEST_LIST | OCI_INDEX => serde_json::from_slice(bytes)
            .map(Manifest::Index)
            .map_err(invalid(&media_type)),
        _ => Err(ManifestError::UnsupportedMediaType(media_type)),
    }
}

/// The entry of `index` for `os`/`architecture`, as Docker picks it: the variant is ignored on
/// amd64; on arm64 `v8` or none is preferred; on arm `v7`. The first match wins.
pub fn select_platform<'a>(
    index: &'a ImageIndex,
    os: &str,
    architecture: &str,
) -> Result<&'a Descriptor, ManifestError> {
    // ex4: the candidates are the entries of `index.manifests` whose `platform` has this
    // `os` and `architecture`. arm64 prefers variant `v8` or no variant, arm prefers `v7`:
    // the first candidate with the preferred variant wins; otherwise (amd64, or no such
    // variant listed) the first candidate. No candidate is
    // `ManifestError::NoMatchingPlatform { os, architecture }`.
    todo!(
        "ex4: filter index.manifests on platform os/architecture, prefer the variant Docker prefers (v8 or none on arm64, v7 on arm), else take the first; none is NoMatchingPlatform"
    )
}

impl ImageManifest {
    /// A Docker v2 schema 2 manifest, the format `docker push` writes.
    pub fn docker_v2(config: Descriptor, layers: Vec<Descriptor>) -> ImageManifest {
        ImageManifest {
            schema_version: 2,
            media_type: Some(DOCKER_MANIFEST.to_owned()),
            config,
            layers,
            annotations: BTreeMap::new(),
        }
    }

    /// An OCI manifest (`docker save` since Docker 25 writes these, with uncompressed layers).
    pub fn oci(config: Descriptor, layers: Vec<Descriptor>) -> ImageManifest {
        ImageManifest {
            media_type: Some(OCI_MANIFEST.to_owned()),
            ..ImageManifest::docker_v2(config, layers)
        }
    }

    /// The bytes to push. Docker's distribution code indents schema 2 manifests with three
    /// spaces; we do the same so the manifest digest of a push is reproducible by eye.
    pub fn to_bytes(&self) -> Vec<u8> {
        to_indented_json(self)
    }
}

impl ImageIndex {
    pub fn oci(manifests: Vec<Descriptor>) -> ImageIndex {
        ImageIndex {
            schema_version: 2,
            media_type: Some(OCI_INDEX.to_owned()),
            manifests,
            annotations: BTreeMap::new(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        to_indented_json(self)
    }
}

fn to_indented_json(value: &impl Serialize) -> Vec<u8> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"   ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Serialising our own plain structs into a Vec cannot fail.
    let _ = value.serialize(&mut ser);
    out
}
