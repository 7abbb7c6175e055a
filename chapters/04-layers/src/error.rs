//! The one error type of this chapter. Every variant names what it was working on: the path,
//! the mount target, the layer id or the tar entry, so a failed `docker pull` or `docker run`
//! can be traced to the exact file.

use std::path::PathBuf;

use nix::errno::Errno;

use crate::overlay::MountApi;

/// What went wrong while mounting, diffing, exporting or applying layers.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// A system call on one path failed.
    #[error("{op} of {path} failed: {errno}")]
    Path {
        op: &'static str,
        path: PathBuf,
        errno: Errno,
    },

    /// The kernel refused the overlay mount; `kernel_log` holds what overlayfs said (new API only).
    #[error(
        "overlay mount on {target} with {api} failed: {errno}{}",
        kernel_suffix(kernel_log)
    )]
    Mount {
        target: PathBuf,
        api: MountApi,
        errno: Errno,
        kernel_log: Vec<String>,
    },
    #[error("umount2(2) of {path} failed: {errno}")]
    Unmount { path: PathBuf, errno: Errno },
    #[error("overlay mount data for {target} is {len} bytes; mount(2) copies at most {limit}")]
    MountDataTooLong {
        target: PathBuf,
        len: usize,
        limit: usize,
    },
    #[error("overlay mount on {target} needs at least one lower layer")]
    NoLowerLayers { target: PathBuf },
    #[error("{count} lower layers for {target} exceed overlayfs' limit of {limit} (OVL_MAX_STACK)")]
    TooManyLowers {
        target: PathBuf,
        count: usize,
        limit: usize,
    },
    #[error("{path} is {len} bytes; fsconfig(2) takes paths of at most {limit}")]
    FsconfigPathTooLong { path: PathBuf, len: usize, limit: usize },
    #[error("path {path} cannot be passed to the kernel: it contains a NUL byte")]
    NulInPath { path: PathBuf },

    /// A layer tar entry was refused. `entry` is the name exactly as the archive spells it.
    #[error("invalid path {entry:?} in layer tar: {reason}")]
    InvalidEntryName { entry: String, reason: &'static str },
    #[error("invalid hardlink {entry:?} -> {target:?} in layer tar: {reason}")]
    InvalidHardlink {
        entry: String,
        target: String,
        reason: &'static str,
    },
    #[error("layer tar entry {entry:?} declares {size} bytes, over the per-file limit of {limit}")]
    FileTooLarge { entry: String, size: u64, limit: u64 },
    #[error("layer tar entry {entry:?} brings the file data over the total limit of {limit} bytes")]
    TotalTooLarge { entry: String, limit: u64 },
    #[error("layer tar has more than {limit} entries")]
    TooManyEntries { limit: u64 },
    #[error("layer tar entry {entry:?} has an unsupported type ({kind})")]
    UnsupportedEntry { entry: String, kind: String },
    #[error("layer tar entry {entry:?} needs {path} to be a directory, but it is not")]
    NotADirectory { entry: String, path: PathBuf },
    #[error("layer tar entry {entry:?} resolves through too many symbolic links")]
    SymlinkLoop { entry: String },
    #[error("layer tar entry {entry:?} declares {declared} bytes but holds {actual}")]
    TruncatedEntry {
        entry: String,
        declared: u64,
        actual: u64,
    },
    #[error("reading layer tar {context}: {source}")]
    TarRead {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("writing layer tar entry {entry:?}: {source}")]
    TarWrite {
        entry: String,
        #[source]
        source: std::io::Error,
    },

    /// The layer store (driver.rs).
    #[error("invalid layer id {id:?}: {reason}")]
    InvalidId { id: String, reason: &'static str },
    #[error("layer {id} already exists")]
    LayerExists { id: String },
    #[error("layer {id} does not exist")]
    UnknownLayer { id: String },
    #[error("layer {id} would have {depth} lower layers, over the limit of {limit}")]
    TooDeep { id: String, depth: usize, limit: usize },
    #[error("{path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

fn kernel_suffix(log: &[String]) -> String {
    if log.is_empty() {
        String::new()
    } else {
        format!(" (kernel: {})", log.join("; "))
    }
}

impl LayerError {
    pub(crate) fn path(op: &'static str, path: impl Into<PathBuf>, errno: Errno) -> Self {
        LayerError::Path {
            op,
            path: path.into(),
            errno,
        }
    }

    /// Wrap an `io::Error` from std, keeping its errno.
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, e: &std::io::Error) -> Self {
        Self::path(op, path, io_errno(e))
    }
}

/// The errno behind an `io::Error` (EIO when there is none, which std only does for its own errors).
pub(crate) fn io_errno(e: &std::io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}
