//! Joining a container path onto the rootfs without ever leaving it.
//!
//! **Lab 03 skeleton.** Exercise `ex1`: write [`secure_join`] (the `todo!()`; the helper
//! `components_reversed` is done). `labs/check 03` tells you how far you are.
//!
//! `rootfs.join("/etc/hosts")` is wrong twice: an absolute path replaces the base, and a
//! symlink inside the image (`/etc -> /`, `/proc -> ../../..`) would let a hostile image
//! steer our mounts onto the host. [`secure_join`] resolves every component *as if* the
//! rootfs were `/`: `..` stops at the root and absolute symlinks restart from the rootfs.

use std::path::{Component, Path, PathBuf};

/// More symlinks than this in one path is a loop (the kernel's own limit is 40).
const MAX_SYMLINKS: usize = 255;

/// Why a path could not be resolved inside the root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("too many levels of symbolic links resolving {path} in {root}")]
pub struct SymlinkLoop {
    pub root: PathBuf,
    pub path: PathBuf,
}

/// Resolve `unsafe_path` (as seen inside the container) to a host path under `root`.
///
/// Components that do not exist yet are joined as they are, so the result can be created.
pub fn secure_join(root: &Path, unsafe_path: &Path) -> Result<PathBuf, SymlinkLoop> {
    // ex1: keep a stack of components still to walk (`components_reversed(unsafe_path)`)
    // and the part resolved so far, relative to `root` (never containing `..`). Pop one:
    //   - `..` removes the last resolved component (at the root, it stays the root);
    //   - otherwise, if `root/<resolved>/<part>` is a symlink (`std::fs::read_link`), push
    //     the components of its target; an absolute target restarts from the root;
    //     count them: more than MAX_SYMLINKS is a `SymlinkLoop`;
    //   - anything else (a file, a directory, nothing yet) is appended to the resolved part.
    // The answer is `root.join(resolved)`.
    todo!(
        "ex1: walk the components with a stack: `..` stops at the root, symlinks are read and followed as if root were /"
    )
}

/// The normal and `..` components of a path, last first (a stack to pop from).
fn components_reversed(path: &Path) -> Vec<PathBuf> {
    let mut parts: Vec<PathBuf> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(p) => Some(PathBuf::from(p)),
            Component::ParentDir => Some(PathBuf::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect();
    parts.reverse();
    parts
}
