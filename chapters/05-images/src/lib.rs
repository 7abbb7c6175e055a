//! # Chapter 5: images
//!
//! Chapter 4 stacked directories with overlayfs. This chapter names what goes into them:
//!
//! 1. every blob is named by its sha256 ([`digest`]) and kept in a content-addressed store
//!    that refuses bytes that do not match their name ([`blobs`]);
//! 2. an image is a config document ([`config`]) whose hash is the image id; it lists its
//!    layers by *diff id*, and a layer stacked on others is named by its *chain id* ([`chain`]);
//! 3. Docker's on-disk layout keeps configs, layer records and names (`repositories.json`)
//!    apart ([`store`], [`layers`], [`tags`], [`distribution`]), and people name images with
//!    references like `busybox:1.36` ([`reference`]);
//! 4. images travel as tar archives (`docker save`/`docker load`, [`archive`]) or through a
//!    registry speaking the OCI distribution API ([`registry`]), described by manifests
//!    ([`manifest`]).

pub mod archive;
mod atomic;
pub mod blobs;
pub mod chain;
pub mod config;
pub mod digest;
pub mod distribution;
pub mod layers;
pub mod manifest;
pub mod reference;
pub mod registry;
pub mod store;
pub mod tags;

pub use archive::{ArchiveError, LoadedArchive, LoadedImage, read_archive, write_docker_archive};
pub use blobs::{BlobError, BlobStore};
pub use chain::chain_ids;
pub use config::{ContainerConfig, History, Image, ImageConfig, RootFs};
pub use digest::{Digest, DigestError, DigestMismatch, DigestingReader, DigestingWriter, VerifyingReader};
pub use layers::{LayerMeta, MountMeta};
pub use manifest::{
    Descriptor, ImageIndex, ImageManifest, Manifest, ManifestError, Platform, select_platform,
};
pub use reference::{Reference, ReferenceError};
pub use registry::{RegistryClient, RegistryError};
pub use store::{ImageStore, StoreError};
