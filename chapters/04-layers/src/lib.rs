//! # Chapter 4: layers
//!
//! An image is a stack of read-only directories; a container adds one writable directory on
//! top, and overlayfs shows the union. This chapter builds everything the engine needs around
//! that:
//!
//! 1. mount N lower layers + an upper + a work dir, with either kernel API ([`overlay`]);
//! 2. understand what a write does: *copy-up* of the file into the upper dir, a *whiteout*
//!    for a deletion, an *opaque* directory for `rm -rf d && mkdir d` ([`whiteout`]);
//! 3. list a container's changes the way `docker diff` does ([`mod@changes`]);
//! 4. turn an upper dir into a layer tar (`docker commit`, `push`) ([`export`]), and a layer
//!    tar from a registry back into a directory without trusting it ([`apply`]);
//! 5. keep layers on disk the way Docker's overlay2 driver does, short links and all
//!    ([`driver`]).
//!
//! ```text
//!  container sees  /merged   etc/passwd(upper)  etc/hosts(lower 1)  bin/sh(lower 2)   (no tmp/x)
//!                     │
//!  upper (rw)      diff/     etc/passwd (copied up, then written)   tmp/x  c 0,0 (whiteout)
//!  lower 1 (ro)    l/AAA     etc/hosts  etc/passwd
//!  lower 2 (ro)    l/BBB     bin/sh     tmp/x
//! ```

pub mod apply;
pub mod changes;
pub mod driver;
mod entry_name;
mod error;
pub mod export;
mod fsmount;
mod metadata;
pub mod overlay;
pub mod placement;
pub mod whiteout;
pub mod xattr;

pub use apply::{ApplyLimits, ApplyStats, apply_layer_tar};
pub use changes::{Change, ChangeKind, changes};
pub use driver::{Below, LayerDriver, StagedLayer};
pub use error::LayerError;
pub use export::{OwnerNames, write_layer_tar, write_tar_with_names};
pub use overlay::{
    Durability, MountApi, OverlayLayers, OverlayMount, detect_mount_api, legacy_mount_data, mount_overlay,
    mount_overlay_with, unmount,
};
pub use whiteout::{OPAQUE_WHITEOUT, WHITEOUT_PREFIX, create_whiteout, is_opaque, is_whiteout, set_opaque};
