//! The filesystems every container gets, and mounting them inside the new root.
//!
//! The table is Docker's default (moby's `oci/defaults.go`): `/proc` for the new PID
//! namespace, `/dev` as a small tmpfs (device nodes are added in [`crate::devices`]), a
//! private `devpts` so the container's ptys are its own, `/dev/shm`, `/dev/mqueue` for the new
//! IPC namespace, and `/sys` read-only.

use std::path::{Path, PathBuf};

use nix::mount::MsFlags;

use crate::RootfsError;
use crate::secure_join::secure_join;
use crate::syscall::Syscall;

/// One mount, as a container's configuration describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// Where it appears inside the container (absolute).
    pub destination: PathBuf,
    /// The filesystem type (`proc`, `tmpfs`, …), or `None` for a bind mount.
    pub fstype: Option<String>,
    /// The device or, for a bind mount, the host path.
    pub source: PathBuf,
    pub flags: MsFlags,
    /// Filesystem-specific options (`mode=755,size=65536k`).
    pub data: Option<String>,
}

impl Mount {
    fn new(destination: &str, fstype: &str, source: &str, flags: MsFlags, data: Option<&str>) -> Self {
        Mount {
            destination: destination.into(),
            fstype: Some(fstype.to_owned()),
            source: source.into(),
            flags,
            data: data.map(str::to_owned),
        }
    }

    /// A bind mount of a host file or directory (how `/etc/hosts` & co. get in).
    pub fn bind(source: impl Into<PathBuf>, destination: impl Into<PathBuf>) -> Self {
        Mount {
            destination: destination.into(),
            fstype: None,
            source: source.into(),
            flags: MsFlags::MS_BIND | MsFlags::MS_REC,
            data: None,
        }
    }

    pub fn is_bind(&self) -> bool {
        self.flags.contains(MsFlags::MS_BIND)
    }
}

// ANCHOR: default_mounts
/// Docker's default mounts, in the order they must happen (`/dev` before `/dev/pts`).
pub fn default_mounts() -> Vec<Mount> {
    let nosuid_noexec_nodev = MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC | MsFlags::MS_NODEV;
    vec![
        Mount::new("/proc", "proc", "proc", nosuid_noexec_nodev, None),
        Mount::new(
            "/dev",
            "tmpfs",
            "tmpfs",
            MsFlags::MS_NOSUID | MsFlags::MS_STRICTATIME,
            Some("mode=755,size=65536k"),
        ),
        Mount::new(
            "/dev/pts",
            "devpts",
            "devpts",
            MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
            Some("newinstance,ptmxmode=0666,mode=0620,gid=5"),
        ),
        Mount::new(
            "/sys",
            "sysfs",
            "sysfs",
            nosuid_noexec_nodev | MsFlags::MS_RDONLY,
            None,
        ),
        Mount::new("/dev/mqueue", "mqueue", "mqueue", nosuid_noexec_nodev, None),
        Mount::new(
            "/dev/shm",
            "tmpfs",
            "shm",
            nosuid_noexec_nodev,
            Some("mode=1777,size=65536k"),
        ),
    ]
}
// ANCHOR_END: default_mounts

// ANCHOR: mount_in_root
/// Mount `m` inside `root` (before `pivot_root`, so `root` is a host path).
///
/// The destination is resolved with [`secure_join`], so a symlink in the image cannot point a
/// mount at the host. A bind mount of a file needs a file to mount over; everything else a
/// directory.
pub fn mount_in_root(sys: &dyn Syscall, root: &Path, m: &Mount) -> Result<(), RootfsError> {
    let target = secure_join(root, &m.destination).map_err(|e| RootfsError::User(e.to_string()))?;
    let source_is_file = m.is_bind() && !m.source.is_dir();
    if source_is_file {
        if let Some(parent) = target.parent() {
            sys.mkdir_all(parent, 0o755)?;
        }
        sys.create_file(&target)?;
    } else {
        sys.mkdir_all(&target, 0o755)?;
    }
    sys.mount(
        Some(&m.source),
        &target,
        m.fstype.as_deref(),
        m.flags,
        m.data.as_deref(),
    )?;
    // MS_RDONLY is ignored on the first mount(2) of a bind mount: it takes a remount.
    if m.is_bind() && m.flags.contains(MsFlags::MS_RDONLY) {
        sys.mount(None, &target, None, m.flags | MsFlags::MS_REMOUNT, None)?;
    }
    Ok(())
}
// ANCHOR_END: mount_in_root

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::RecordingSyscall;

    #[test]
    fn dev_comes_before_what_lives_in_it() {
        let order: Vec<_> = default_mounts().into_iter().map(|m| m.destination).collect();
        let pos = |p: &str| order.iter().position(|d| d == Path::new(p)).unwrap();
        assert!(pos("/dev") < pos("/dev/pts"));
        assert!(pos("/dev") < pos("/dev/shm"));
        assert!(pos("/dev") < pos("/dev/mqueue"));
    }

    #[test]
    fn sys_is_read_only_and_proc_is_noexec() {
        let mounts = default_mounts();
        let find = |d: &str| mounts.iter().find(|m| m.destination == Path::new(d)).unwrap();
        assert!(find("/sys").flags.contains(MsFlags::MS_RDONLY));
        assert!(
            find("/proc")
                .flags
                .contains(MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID)
        );
        assert_eq!(
            find("/dev/pts").data.as_deref(),
            Some("newinstance,ptmxmode=0666,mode=0620,gid=5")
        );
    }

    #[test]
    fn mounts_land_inside_the_root() {
        let sys = RecordingSyscall::new();
        for m in default_mounts() {
            mount_in_root(&sys, Path::new("/rootfs"), &m).unwrap();
        }
        for (target, _, _) in sys.mounts() {
            assert!(target.starts_with("/rootfs"), "{}", target.display());
        }
        assert_eq!(sys.mounts().len(), default_mounts().len());
    }

    #[test]
    fn read_only_bind_takes_a_remount() {
        let sys = RecordingSyscall::new();
        let mut m = Mount::bind("/nonexistent-source-file", "/etc/hosts");
        m.flags |= MsFlags::MS_RDONLY;
        mount_in_root(&sys, Path::new("/r"), &m).unwrap();
        let mounts = sys.mounts();
        assert_eq!(mounts.len(), 2);
        assert!(mounts[1].2.contains(MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY));
    }
}
