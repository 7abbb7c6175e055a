//! The engine: images and containers under one data root.
//!
//! Step 1 runs a container in the foreground of the calling process. From chapter 10 on the same
//! engine sits behind the daemon's API and the CLI only talks HTTP to it.

use std::path::{Path, PathBuf};

use crate::container::ContainerStore;
use crate::image_store::ImageStore;

mod containers;
mod run;

pub use containers::ContainerSummary;
pub use run::{RunError, RunOptions};

/// The default data root, laid out like `/var/lib/docker`.
pub const DEFAULT_DATA_ROOT: &str = "/var/lib/minidocker";

/// The images and containers under one data root.
#[derive(Debug, Clone)]
pub struct Engine {
    pub data_root: PathBuf,
    pub images: ImageStore,
    pub containers: ContainerStore,
}

impl Engine {
    pub fn open(data_root: &Path) -> anyhow::Result<Engine> {
        use anyhow::Context;
        std::fs::create_dir_all(data_root)
            .with_context(|| format!("creating data root {}", data_root.display()))?;
        Ok(Engine {
            data_root: data_root.to_owned(),
            images: ImageStore::open(data_root)?,
            containers: ContainerStore::open(data_root)?,
        })
    }
}
