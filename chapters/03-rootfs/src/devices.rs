//! The device nodes and links of a container's `/dev`.
//!
//! `/dev` is a fresh tmpfs (see [`crate::mounts`]), so it starts empty: we create only the
//! harmless character devices every program expects. No disks, no `/dev/mem`: what is not
//! there cannot be opened. `/dev/ptmx` points into the container's own devpts instance.

use std::path::Path;

use crate::RootfsError;
use crate::secure_join::secure_join;
use crate::syscall::Syscall;

/// A character device node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device {
    pub path: &'static str,
    pub major: u64,
    pub minor: u64,
    pub mode: u32,
}

// ANCHOR: default_devices
/// The nodes runc and Docker create (see `Documentation/admin-guide/devices.txt`).
pub const DEFAULT_DEVICES: [Device; 6] = [
    Device {
        path: "/dev/null",
        major: 1,
        minor: 3,
        mode: 0o666,
    },
    Device {
        path: "/dev/zero",
        major: 1,
        minor: 5,
        mode: 0o666,
    },
    Device {
        path: "/dev/full",
        major: 1,
        minor: 7,
        mode: 0o666,
    },
    Device {
        path: "/dev/random",
        major: 1,
        minor: 8,
        mode: 0o666,
    },
    Device {
        path: "/dev/urandom",
        major: 1,
        minor: 9,
        mode: 0o666,
    },
    Device {
        path: "/dev/tty",
        major: 5,
        minor: 0,
        mode: 0o666,
    },
];

/// Symlinks into `/proc/self` and devpts: `(link, target)`.
pub const DEFAULT_LINKS: [(&str, &str); 5] = [
    ("/dev/fd", "/proc/self/fd"),
    ("/dev/stdin", "/proc/self/fd/0"),
    ("/dev/stdout", "/proc/self/fd/1"),
    ("/dev/stderr", "/proc/self/fd/2"),
    ("/dev/ptmx", "pts/ptmx"),
];
// ANCHOR_END: default_devices

/// Create the default nodes and links under `root` (after `/dev` is mounted, before pivot).
pub fn create_default_devices(sys: &dyn Syscall, root: &Path) -> Result<(), RootfsError> {
    for dev in DEFAULT_DEVICES {
        let path = secure_join(root, Path::new(dev.path)).map_err(|e| RootfsError::User(e.to_string()))?;
        sys.mknod_char(&path, dev.major, dev.minor, dev.mode)?;
    }
    for (link, target) in DEFAULT_LINKS {
        let path = secure_join(root, Path::new(link)).map_err(|e| RootfsError::User(e.to_string()))?;
        sys.symlink(Path::new(target), &path)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syscall::{Call, RecordingSyscall};

    #[test]
    fn creates_every_node_world_writable_and_every_link() {
        let sys = RecordingSyscall::new();
        create_default_devices(&sys, Path::new("/r")).unwrap();
        let calls = sys.calls();
        assert!(calls.contains(&Call::MknodChar {
            path: "/r/dev/null".into(),
            major: 1,
            minor: 3,
            mode: 0o666
        }));
        assert!(calls.contains(&Call::Symlink {
            target: "pts/ptmx".into(),
            link: "/r/dev/ptmx".into()
        }));
        assert_eq!(calls.len(), DEFAULT_DEVICES.len() + DEFAULT_LINKS.len());
    }
}
