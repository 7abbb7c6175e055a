//! Volumes and bind mounts (issues 8 and 9): data that lives outside a container's layer.
//!
//! ```text
//!  docker run -v data:/srv -v /host/dir:/cfg:ro -v /cache --mount type=tmpfs,target=/tmp …
//!             │              │                   │          │
//!             ▼              ▼                   ▼          ▼
//!   named volume     bind mount of a      anonymous volume  tmpfs, the container's own
//!   <data-root>/     host path            (64-hex name,     (gone when it stops)
//!   volumes/data/_data                     removed by rm -v)
//! ```
//!
//! - [`store`]: the local driver's volumes under `<data-root>/volumes`, and the lock;
//! - [`spec`]: Docker's `-v` syntax and `--mount`'s `HostConfig.Mounts`, checked as dockerd
//!   checks them;
//! - [`mount_points`]: a container's mounts, decided at create (volumes made, their content
//!   copied up from the image), mounted by its start, released by its removal;
//! - [`flags`]: the docker CLI's reading of `-v` and `--mount`, before anything is sent;
//! - [`copy_up`]: the image's files copied into an empty volume;
//! - [`mount_options`]: `ro,noexec,size=64m` as mount(2)'s flags and data;
//! - [`operations`]: `volume create`, `ls`, `inspect`, `rm`, `prune` and `system df`'s part.
//!
//! A container's mounts are made in its own mount namespace, after its root filesystem and
//! before `pivot_root(2)` (chapter 3's [`ch03_rootfs::mounts::mount_in_root`]); nothing is
//! mounted on the host, so nothing can be left mounted there.

pub mod copy_up;
pub mod flags;
pub mod mount_options;
pub mod mount_points;
pub mod operations;
pub mod spec;
pub mod store;

pub use mount_points::{InspectMount, MountPoint, MountRequest};
pub use operations::{VOLUME_LIST_FILTERS, VOLUME_PRUNE_FILTERS, VolumeList, VolumePruneReport};
pub use spec::{BindOptions, DriverConfig, MountSpec, TmpfsOptions, VolumeOptions};
pub use store::{LOCAL_DRIVER, UsageData, Volume, VolumeStore};

use std::path::PathBuf;

/// What went wrong with a volume or a mount. Messages are Docker's.
#[derive(Debug, thiserror::Error)]
pub enum VolumeError {
    /// HTTP 404.
    #[error("get {0}: no such volume")]
    NotFound(String),
    /// HTTP 409: containers (their ids) still use it.
    #[error("remove {name}: volume is in use - [{}]", .containers.join(", "))]
    InUse { name: String, containers: Vec<String> },
    /// HTTP 404: there is no such driver.
    #[error("create {name}: error looking up volume plugin {driver}: plugin \"{driver}\" not found")]
    NoSuchDriver { name: String, driver: String },
    /// HTTP 400: a name or option the driver refuses (`op` is Docker's `create`).
    #[error("{op} {name}: {reason}")]
    Invalid {
        op: &'static str,
        name: String,
        reason: String,
    },
    /// A `-v`/`--mount` specification dockerd refuses with its own message: HTTP 400
    /// for `HostConfig.Mounts` and duplicates, 500 (dockerd 20.10's) for `HostConfig.Binds`.
    #[error("{message}")]
    Spec { message: String, status: u16 },
    /// HTTP 500: the engine failed at something else (mounting a container's filesystem).
    #[error("{0}")]
    System(String),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {}: {source}", .path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

impl VolumeError {
    /// The HTTP status dockerd answers with.
    pub fn status(&self) -> u16 {
        match self {
            VolumeError::NotFound(_) | VolumeError::NoSuchDriver { .. } => 404,
            VolumeError::InUse { .. } => 409,
            VolumeError::Invalid { .. } => 400,
            VolumeError::Spec { status, .. } => *status,
            VolumeError::System(_) | VolumeError::Io { .. } | VolumeError::Json { .. } => 500,
        }
    }
}
