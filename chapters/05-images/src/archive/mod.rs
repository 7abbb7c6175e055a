//! Images as tar archives: `docker save` writes one, `docker load` reads one.
//!
//! We write the layout of Docker 25 and later, which is a docker-archive *and* an OCI image
//! layout at once, with every file stored once under its digest:
//!
//! ```text
//! blobs/sha256/<config hex>      the image config (its digest is the image id)
//! blobs/sha256/<diff id hex>     each layer as an *uncompressed* tar (blob digest = diff id)
//! blobs/sha256/<manifest hex>    an OCI manifest per image
//! index.json                     OCI index: one entry per tag (annotated with its name)
//! manifest.json                  docker-archive: [{"Config","RepoTags","Layers"}], paths into blobs/
//! oci-layout                     {"imageLayoutVersion": "1.0.0"}
//! repositories                   the legacy {"busybox":{"latest":"<top layer hex>"}}
//! ```
//!
//! Reading accepts that layout, the classic docker-archive (`<id>.json`, `<dir>/layer.tar`,
//! symlinked duplicate layers) and a pure OCI layout (only `index.json`), optionally gzipped.
//! Every name inside the archive is confined to it: absolute names and `..` are refused.

mod read;
mod write;

use std::io;
use std::path::{Component, Path, PathBuf};

pub use read::{LoadedArchive, LoadedImage, LoadedLayer, open_layer_tar, read_archive};
pub use write::write_docker_archive;

use crate::digest::Digest;

pub const MANIFEST_JSON: &str = "manifest.json";
pub const INDEX_JSON: &str = "index.json";
pub const OCI_LAYOUT: &str = "oci-layout";
pub const LEGACY_REPOSITORIES: &str = "repositories";

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive entry {0:?} is unsafe: absolute names and '..' are not allowed")]
    UnsafeName(String),
    #[error("archive entry {0:?} is a link that points outside the archive")]
    UnsafeLink(String),
    #[error("invalid archive: {0} is missing")]
    Missing(String),
    #[error("invalid archive: it has neither manifest.json nor index.json")]
    NoManifest,
    #[error("invalid archive: {name}: {source}")]
    InvalidJson {
        name: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("invalid archive: {0}")]
    Invalid(String),
    #[error("invalid manifest, layers length mismatch: expected {expected}, got {actual}")]
    LayerCount { expected: usize, actual: usize },
    #[error("invalid diffID for layer {index}: expected {expected}, got {actual}")]
    InvalidDiffId {
        index: usize,
        expected: Digest,
        actual: Digest,
    },
    #[error("layer tar produced for {expected} does not match its diff id: got {actual}")]
    LayerMismatch { expected: Digest, actual: Digest },
    #[error(transparent)]
    Mismatch(#[from] crate::digest::DigestMismatch),
    #[error(transparent)]
    Manifest(#[from] crate::manifest::ManifestError),
    #[error(transparent)]
    Reference(#[from] crate::reference::ReferenceError),
    #[error("{op} {}: {source}", .path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

pub(crate) fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ArchiveError + 'a {
    move |source| ArchiveError::Io {
        op,
        path: path.to_owned(),
        source,
    }
}

// ANCHOR: confine
/// The relative path an archive entry named `name` may be written to, or an error if the name
/// is absolute or climbs out with `..`. `./` and empty components are dropped.
pub fn confine(name: &str) -> Result<PathBuf, ArchiveError> {
    let unsafe_name = || ArchiveError::UnsafeName(name.to_owned());
    let mut out = PathBuf::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return Err(unsafe_name()),
        }
    }
    if out.as_os_str().is_empty() || name.contains('\0') {
        return Err(unsafe_name());
    }
    Ok(out)
}

/// Where a symlink stored at `link` (already confined) with target `target` points, relative
/// to the archive root; `None` if it would leave the archive.
pub(crate) fn resolve_link(link: &Path, target: &str) -> Option<PathBuf> {
    if target.starts_with('/') {
        return None;
    }
    let mut out: Vec<_> = link.parent()?.components().collect();
    for component in Path::new(target).components() {
        match component {
            Component::Normal(_) => out.push(component),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    let path: PathBuf = out.iter().collect();
    (!path.as_os_str().is_empty()).then_some(path)
}
// ANCHOR_END: confine

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn confines_names() {
        assert_eq!(
            confine("./blobs/sha256/ab").unwrap(),
            PathBuf::from("blobs/sha256/ab")
        );
        assert_eq!(confine("a//b/").unwrap(), PathBuf::from("a/b"));
        for bad in ["../x", "/etc/passwd", "a/../../b", "a/..", "", ".", "./", "a\0b"] {
            assert!(confine(bad).is_err(), "{bad:?} must be refused");
        }
        let err = confine("../evil").unwrap_err().to_string();
        assert!(err.contains("\"../evil\""), "{err}");
    }

    #[test]
    fn resolves_links_inside_only() {
        let link = Path::new("abc/layer.tar");
        assert_eq!(
            resolve_link(link, "../def/layer.tar"),
            Some(PathBuf::from("def/layer.tar"))
        );
        assert_eq!(resolve_link(link, "../../etc/passwd"), None);
        assert_eq!(resolve_link(link, "/etc/passwd"), None);
    }

    proptest! {
        #[test]
        fn confined_names_stay_inside(parts in proptest::collection::vec(
            prop_oneof![Just("..".to_owned()), Just(".".to_owned()), Just(String::new()), "[a-z.]{1,4}"], 0..6),
            absolute in any::<bool>())
        {
            let name = format!("{}{}", if absolute { "/" } else { "" }, parts.join("/"));
            let absolute = name.starts_with('/');
            let climbs = parts.iter().any(|p| p == "..");
            match confine(&name) {
                Ok(path) => {
                    prop_assert!(!absolute && !climbs, "{name:?} accepted");
                    prop_assert!(path.components().all(|c| matches!(c, Component::Normal(_))));
                    prop_assert!(Path::new("/staging").join(&path).starts_with("/staging"));
                }
                Err(_) => prop_assert!(absolute || climbs || parts.iter().all(|p| p.is_empty() || p == ".")),
            }
        }

        #[test]
        fn resolved_links_stay_inside(link in "[a-z]{1,3}(/[a-z]{1,3}){0,2}", target in "(\\.\\./|[a-z]{1,2}/|\\./){0,4}[a-z]{1,3}") {
            if let Some(p) = resolve_link(Path::new(&link), &target) {
                prop_assert!(p.components().all(|c| matches!(c, Component::Normal(_))));
            }
        }
    }
}
