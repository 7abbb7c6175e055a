//! The one error type of this chapter: every variant names the syscall and the path it was given.

use std::path::PathBuf;

use nix::errno::Errno;

/// What went wrong while building a container's root filesystem or process.
#[derive(Debug, thiserror::Error)]
pub enum RootfsError {
    #[error("mount(2) of {source_desc} on {target} ({fstype}) failed: {errno}")]
    Mount {
        source_desc: String,
        target: PathBuf,
        fstype: String,
        errno: Errno,
    },
    #[error("umount2(2) of {path} failed: {errno}")]
    Unmount { path: PathBuf, errno: Errno },
    #[error("pivot_root(2) into {new_root} failed: {errno}")]
    PivotRoot { new_root: PathBuf, errno: Errno },
    #[error("{op} of {path} failed: {errno}")]
    Path {
        op: &'static str,
        path: PathBuf,
        errno: Errno,
    },
    #[error("rootfs {path} is not a directory")]
    NotADirectory { path: PathBuf },
    #[error("capability operation {op} failed: {message}")]
    Capabilities { op: &'static str, message: String },
    #[error("{op} failed: {errno}")]
    Credentials { op: &'static str, errno: Errno },
    #[error("{0}")]
    User(String),
}

impl RootfsError {
    pub(crate) fn path(op: &'static str, path: impl Into<PathBuf>, errno: Errno) -> Self {
        RootfsError::Path {
            op,
            path: path.into(),
            errno,
        }
    }
}
