//! # Lab 05: images
//!
//! The exercises of chapter 5 (`chapters/05-images`, crate `ch05_images`): you write the
//! bodies marked `todo!()` and `labs/check 05` runs the tests in `tests/`. See README.md.
//!
//! | exercise | file | what you write |
//! |---|---|---|
//! | `ex1` | `src/digest.rs` | [`Digest::from_hex`], `Digest::from_str`, `VerifyingReader::read` |
//! | `ex2` | `src/reference.rs` | `split_domain`, [`Reference::familiar_name`] |
//! | `ex3` | `src/chain.rs` | [`chain_ids`], [`child_chain_id`](chain::child_chain_id) |
//! | `ex4` | `src/manifest.rs` | [`select_platform`] |
//! | `ex5` | `src/tags.rs` | `ImageStore::add_reference`, behind [`ImageStore::tag`] |
//!
//! The other modules are the chapter's own files, compiled here by `#[path]` (one copy of
//! the code, not two): everything in an image is named by a [`Digest`], so the blob store,
//! the image config and the image store have to be compiled against *your* `digest.rs`, and
//! they then run on your code too. The archive and registry modules of the chapter are not
//! part of the lab. With `--features reference` the chapter's files replace the exercise
//! files as well (that is how `labs/check --verify` proves every test can pass).

// The chapter's modules that are not exercises.
#[path = "../../../chapters/05-images/src/atomic.rs"]
mod atomic;
#[path = "../../../chapters/05-images/src/blobs.rs"]
pub mod blobs;
#[path = "../../../chapters/05-images/src/config.rs"]
pub mod config;
#[path = "../../../chapters/05-images/src/distribution.rs"]
pub mod distribution;
#[path = "../../../chapters/05-images/src/layers.rs"]
pub mod layers;
#[path = "../../../chapters/05-images/src/store.rs"]
pub mod store;

// Exercise modules: your file, or the chapter's with `--features reference`. Until the
// `todo!()`s are written, some arguments, imports and helpers are unused.
#[cfg_attr(feature = "reference", path = "../../../chapters/05-images/src/chain.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod chain;
#[cfg_attr(feature = "reference", path = "../../../chapters/05-images/src/digest.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod digest;
#[cfg_attr(feature = "reference", path = "../../../chapters/05-images/src/manifest.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod manifest;
#[cfg_attr(feature = "reference", path = "../../../chapters/05-images/src/reference.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod reference;
#[cfg_attr(feature = "reference", path = "../../../chapters/05-images/src/tags.rs")]
#[cfg_attr(
    not(feature = "reference"),
    allow(unused_variables, unused_imports, dead_code)
)]
pub mod tags;

pub use blobs::{BlobError, BlobStore};
pub use chain::chain_ids;
pub use config::{ContainerConfig, History, Image, ImageConfig, RootFs};
pub use digest::{Digest, DigestError, DigestMismatch, DigestingReader, DigestingWriter, VerifyingReader};
pub use layers::LayerMeta;
pub use manifest::{
    Descriptor, ImageIndex, ImageManifest, Manifest, ManifestError, Platform, select_platform,
};
pub use reference::{Reference, ReferenceError};
pub use store::{ImageStore, StoreError};
