//! Joining a container path onto the rootfs without ever leaving it.
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

// ANCHOR: secure_join
/// Resolve `unsafe_path` (as seen inside the container) to a host path under `root`.
///
/// Components that do not exist yet are joined as they are, so the result can be created.
pub fn secure_join(root: &Path, unsafe_path: &Path) -> Result<PathBuf, SymlinkLoop> {
    let mut pending: Vec<PathBuf> = components_reversed(unsafe_path);
    let mut resolved = PathBuf::new(); // relative to root, never contains `..`
    let mut symlinks = 0;
    while let Some(part) = pending.pop() {
        if part.as_os_str() == ".." {
            resolved.pop(); // at the root, `..` is the root itself
            continue;
        }
        let candidate = resolved.join(&part);
        match std::fs::read_link(root.join(&candidate)) {
            Ok(target) => {
                symlinks += 1;
                if symlinks > MAX_SYMLINKS {
                    return Err(SymlinkLoop {
                        root: root.to_owned(),
                        path: unsafe_path.to_owned(),
                    });
                }
                if target.is_absolute() {
                    resolved = PathBuf::new();
                }
                pending.extend(components_reversed(&target));
            }
            Err(_) => resolved = candidate, // not a symlink, or not there (yet)
        }
    }
    Ok(root.join(resolved))
}
// ANCHOR_END: secure_join

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn plain_paths_are_joined() {
        let root = Path::new("/r");
        assert_eq!(
            secure_join(root, Path::new("/etc/hosts")).unwrap(),
            Path::new("/r/etc/hosts")
        );
        assert_eq!(
            secure_join(root, Path::new("a/./b")).unwrap(),
            Path::new("/r/a/b")
        );
    }

    #[test]
    fn dotdot_stops_at_the_root() {
        let root = Path::new("/r");
        assert_eq!(
            secure_join(root, Path::new("/../../etc")).unwrap(),
            Path::new("/r/etc")
        );
        assert_eq!(
            secure_join(root, Path::new("a/../../b")).unwrap(),
            Path::new("/r/b")
        );
    }

    #[test]
    fn absolute_symlinks_stay_inside() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        symlink("/", dir.path().join("etc/escape")).unwrap();
        symlink("../../../../tmp", dir.path().join("rel")).unwrap();
        assert_eq!(
            secure_join(dir.path(), Path::new("/etc/escape/passwd")).unwrap(),
            dir.path().join("passwd")
        );
        assert_eq!(
            secure_join(dir.path(), Path::new("/rel/x")).unwrap(),
            dir.path().join("tmp/x")
        );
    }

    #[test]
    fn symlink_loops_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        symlink("b", dir.path().join("a")).unwrap();
        symlink("a", dir.path().join("b")).unwrap();
        let err = secure_join(dir.path(), Path::new("/a/x")).unwrap_err();
        assert!(err.to_string().contains("too many levels"), "{err}");
    }

    proptest! {
        #[test]
        fn never_leaves_the_root(parts in proptest::collection::vec(
            prop_oneof![Just("..".to_owned()), Just(".".to_owned()), Just("/".to_owned()), "[a-z]{1,3}"], 0..12)) {
            let dir = tempfile::tempdir().unwrap();
            // a few hostile symlinks the generated paths may walk through
            symlink("/", dir.path().join("a")).unwrap();
            symlink("../..", dir.path().join("b")).unwrap();
            symlink("/../../etc", dir.path().join("c")).unwrap();
            let path: PathBuf = parts.iter().collect();
            let joined = secure_join(dir.path(), &path).unwrap();
            prop_assert!(joined.starts_with(dir.path()), "{} escaped to {}", path.display(), joined.display());
            prop_assert!(!joined.components().any(|c| c == Component::ParentDir));
        }
    }
}
