//! Paths Docker hides or freezes inside every container.
//!
//! Even in its own namespaces a container sees the *host's* `/proc` files for things that are
//! not namespaced: kernel memory (`/proc/kcore`), keys, timers, the scheduler. Docker masks
//! them (a read-only empty tmpfs over a directory, `/dev/null` over a file) and makes kernel
//! knobs read-only (`/proc/sys`, `/proc/sysrq-trigger`). This runs after `pivot_root`, so the
//! paths are the container's own.

use std::path::Path;

use nix::mount::MsFlags;

use crate::RootfsError;
use crate::syscall::{FileKind, Syscall};

// ANCHOR: masked_paths
/// Docker's default masked paths (moby `oci/defaults.go`).
pub const MASKED_PATHS: [&str; 11] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Docker's default read-only paths.
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];
// ANCHOR_END: masked_paths

// ANCHOR: mask_path
/// Hide `path`: a read-only empty tmpfs over a directory, `/dev/null` over anything else.
/// A path the kernel does not have is skipped.
pub fn mask_path(sys: &dyn Syscall, path: &Path) -> Result<(), RootfsError> {
    match sys.file_kind(path) {
        None => Ok(()),
        Some(FileKind::Directory) => sys.mount(
            Some(Path::new("tmpfs")),
            path,
            Some("tmpfs"),
            MsFlags::MS_RDONLY,
            None,
        ),
        Some(FileKind::Other) => sys.mount(Some(Path::new("/dev/null")), path, None, MsFlags::MS_BIND, None),
    }
}

/// Make `path` read-only: bind it onto itself, then remount that bind read-only.
pub fn readonly_path(sys: &dyn Syscall, path: &Path) -> Result<(), RootfsError> {
    if sys.file_kind(path).is_none() {
        return Ok(());
    }
    sys.mount(Some(path), path, None, MsFlags::MS_BIND | MsFlags::MS_REC, None)?;
    let flags = MsFlags::MS_BIND
        | MsFlags::MS_REMOUNT
        | MsFlags::MS_RDONLY
        | MsFlags::MS_REC
        | MsFlags::MS_NOSUID
        | MsFlags::MS_NODEV
        | MsFlags::MS_NOEXEC;
    sys.mount(Some(path), path, None, flags, None)
}
// ANCHOR_END: mask_path

/// Apply Docker's default masked and read-only paths.
pub fn apply_default_masks(sys: &dyn Syscall) -> Result<(), RootfsError> {
    for p in READONLY_PATHS {
        readonly_path(sys, Path::new(p))?;
    }
    for p in MASKED_PATHS {
        mask_path(sys, Path::new(p))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::RecordingSyscall;
    use std::path::PathBuf;

    #[test]
    fn directories_get_tmpfs_and_files_get_dev_null() {
        let sys = RecordingSyscall::new()
            .with_file("/proc/scsi", FileKind::Directory)
            .with_file("/proc/kcore", FileKind::Other);
        apply_default_masks(&sys).unwrap();
        let mounts = sys.mounts();
        assert_eq!(mounts.len(), 2, "absent paths are skipped: {mounts:?}");
        assert_eq!(mounts[0], (PathBuf::from("/proc/kcore"), None, MsFlags::MS_BIND));
        assert_eq!(
            mounts[1],
            (
                PathBuf::from("/proc/scsi"),
                Some("tmpfs".into()),
                MsFlags::MS_RDONLY
            )
        );
    }

    #[test]
    fn readonly_is_a_bind_then_a_readonly_remount() {
        let sys = RecordingSyscall::new().with_file("/proc/sys", FileKind::Directory);
        readonly_path(&sys, Path::new("/proc/sys")).unwrap();
        let mounts = sys.mounts();
        assert_eq!(mounts.len(), 2);
        assert!(!mounts[0].2.contains(MsFlags::MS_RDONLY));
        assert!(
            mounts[1]
                .2
                .contains(MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY | MsFlags::MS_BIND)
        );
    }
}
