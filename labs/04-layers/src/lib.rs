//! # Lab 04: layers
//!
//! The exercises of chapter 4 (`chapters/04-layers`, crate `ch04_layers`): you write the
//! bodies marked `todo!()` and `labs/check 04` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/overlay.rs` | [`legacy_mount_data`] (and its helper `escape`) |
//! | `ex2` | `src/whiteout.rs` | [`is_whiteout`], [`create_whiteout`], [`is_opaque`], [`set_opaque`] |
//! | `ex3` | `src/changes.rs` | the walk of [`changes()`] and its rule 5, `with_parent_dirs` |
//! | `ex4` | `src/entry_name.rs`, `src/apply.rs` | `parse_entry_name`, `Applier::parent_dir` |
//!
//! The other modules are the chapter's own files, compiled here by `#[path]` (one copy of
//! the code, not two): the chapter's error type names `MountApi`, so it has to be compiled
//! against *your* `overlay.rs`, and the layer store ([`driver`]), the exporter ([`export`])
//! and the rest of the applier then run on your code too. With `--features reference` the
//! chapter's files replace the exercise files as well (that is how `labs/check --verify`
//! proves every test can pass).

// The chapter's modules that are not exercises.
#[path = "../../../chapters/04-layers/src/driver.rs"]
pub mod driver;
#[path = "../../../chapters/04-layers/src/error.rs"]
mod error;
#[path = "../../../chapters/04-layers/src/export.rs"]
pub mod export;
#[path = "../../../chapters/04-layers/src/fsmount.rs"]
mod fsmount;
#[path = "../../../chapters/04-layers/src/metadata.rs"]
mod metadata;
#[path = "../../../chapters/04-layers/src/xattr.rs"]
pub mod xattr;

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, some arguments, imports and helpers are unused.
#[cfg_attr(feature = "reference", path = "../../../chapters/04-layers/src/apply.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod apply;
#[cfg_attr(feature = "reference", path = "../../../chapters/04-layers/src/changes.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, unused_mut, dead_code)
)]
pub mod changes;
#[cfg_attr(feature = "reference", path = "../../../chapters/04-layers/src/entry_name.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
mod entry_name;
#[cfg_attr(feature = "reference", path = "../../../chapters/04-layers/src/overlay.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod overlay;
#[cfg_attr(feature = "reference", path = "../../../chapters/04-layers/src/whiteout.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod whiteout;

pub use apply::{ApplyLimits, ApplyStats, apply_layer_tar};
pub use changes::{Change, ChangeKind, changes};
pub use driver::LayerDriver;
pub use error::LayerError;
pub use export::write_layer_tar;
pub use overlay::{
    MountApi, OverlayLayers, OverlayMount, detect_mount_api, legacy_mount_data, mount_data_limit,
    mount_overlay, unmount,
};
pub use whiteout::{
    OPAQUE_WHITEOUT, OPAQUE_XATTR, WHITEOUT_PREFIX, create_whiteout, is_opaque, is_whiteout, set_opaque,
};
