//! The whole root filesystem of a container, in the order it has to be built.

use std::path::{Path, PathBuf};

use crate::RootfsError;
use crate::devices::create_default_devices;
use crate::masked::{mask_path, readonly_path};
use crate::mounts::{Mount, mount_in_root};
use crate::pivot::{bind_rootfs, make_root_private, pivot_into};
use crate::syscall::Syscall;

/// Everything that decides what the container's `/` looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RootfsSpec {
    /// The host directory that becomes `/`.
    pub rootfs: PathBuf,
    /// Mounts made inside it, in order (see [`crate::mounts::default_mounts`]), then binds.
    pub mounts: Vec<Mount>,
    /// Create the default device nodes in `/dev`.
    pub default_devices: bool,
    pub masked_paths: Vec<PathBuf>,
    pub readonly_paths: Vec<PathBuf>,
}

impl RootfsSpec {
    /// Docker's defaults for `rootfs`: default mounts, devices, masked and read-only paths.
    pub fn docker_default(rootfs: impl Into<PathBuf>) -> Self {
        RootfsSpec {
            rootfs: rootfs.into(),
            mounts: crate::mounts::default_mounts(),
            default_devices: true,
            masked_paths: crate::masked::MASKED_PATHS.iter().map(PathBuf::from).collect(),
            readonly_paths: crate::masked::READONLY_PATHS.iter().map(PathBuf::from).collect(),
        }
    }
}

// ANCHOR: prepare_rootfs
/// Build the container's root filesystem and switch into it.
///
/// Call this in the container's first process, after it is in its own mount namespace (and in
/// its own PID namespace, so that `/proc` shows the container's processes).
pub fn prepare_rootfs(sys: &dyn Syscall, spec: &RootfsSpec) -> Result<(), RootfsError> {
    if !spec.rootfs.is_dir() {
        return Err(RootfsError::NotADirectory {
            path: spec.rootfs.clone(),
        });
    }
    make_root_private(sys)?;
    bind_rootfs(sys, &spec.rootfs)?;
    for m in &spec.mounts {
        mount_in_root(sys, &spec.rootfs, m)?;
    }
    if spec.default_devices {
        create_default_devices(sys, &spec.rootfs)?;
    }
    pivot_into(sys, &spec.rootfs)?;
    // From here on, paths are the container's own.
    // runc's order: freeze first, then hide (a masked path inside a read-only one stays masked).
    for p in &spec.readonly_paths {
        readonly_path(sys, p)?;
    }
    for p in &spec.masked_paths {
        mask_path(sys, p)?;
    }
    Ok(())
}
// ANCHOR_END: prepare_rootfs

/// True when `path` is the same file as the process's root (used by tests and examples).
pub fn is_current_root(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), std::fs::metadata("/")) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::{Call, FileKind, RecordingSyscall};
    use nix::mount::MsFlags;

    fn spec(root: &Path) -> RootfsSpec {
        RootfsSpec::docker_default(root)
    }

    #[test]
    fn private_first_then_bind_then_mounts_then_pivot_then_masks() {
        let dir = tempfile::tempdir().unwrap();
        let sys = RecordingSyscall::new().with_file("/proc/kcore", FileKind::Other);
        prepare_rootfs(&sys, &spec(dir.path())).unwrap();
        let calls = sys.calls();
        assert_eq!(
            calls[0],
            Call::Mount {
                source: None,
                target: "/".into(),
                fstype: None,
                flags: MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                data: None
            }
        );
        let pivot = calls
            .iter()
            .position(|c| matches!(c, Call::PivotRoot { .. }))
            .unwrap();
        let proc_mount = calls
            .iter()
            .position(|c| matches!(c, Call::Mount { fstype: Some(t), .. } if t == "proc"))
            .unwrap();
        let kcore = calls
            .iter()
            .position(|c| matches!(c, Call::Mount { target, .. } if target == Path::new("/proc/kcore")))
            .unwrap();
        assert!(
            proc_mount < pivot,
            "/proc is mounted inside the new root before pivoting"
        );
        assert!(
            pivot < kcore,
            "masks are applied to the container's own /proc, after pivoting"
        );
        assert!(matches!(&calls[pivot + 1], Call::Umount2 { target, .. } if target == Path::new(".")));
    }

    #[test]
    fn a_missing_rootfs_is_refused_before_any_mount() {
        let sys = RecordingSyscall::new();
        let err = prepare_rootfs(&sys, &spec(Path::new("/nonexistent/rootfs"))).unwrap_err();
        assert_eq!(err.to_string(), "rootfs /nonexistent/rootfs is not a directory");
        assert!(sys.calls().is_empty());
    }
}
