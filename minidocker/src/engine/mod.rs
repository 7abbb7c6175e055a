//! The engine: images, layers and containers under one data root.
//!
//! Step 1 runs a container in the foreground of the calling process. From chapter 10 on the same
//! engine sits behind the daemon's API and the CLI only talks HTTP to it.
//!
//! ```text
//! <data-root>/                       (default /var/lib/minidocker, laid out like /var/lib/docker)
//! ├── containers/<id>/               config.v2.json, hostconfig.json, hostname, hosts, resolv.conf,
//! │                                  cgroup.json (where its cgroup is, while it has one)
//! ├── image/overlay2/                chapter 5: imagedb, layerdb, distribution, repositories.json
//! │   └── layertars/sha256/<diff id>   each layer's tar, as it was pulled, loaded or committed
//! ├── network/                       chapter 7: networks/<id>.json, ipam.json, lock
//! └── overlay2/                      chapter 4: <cache id>/{diff,link,lower,work,merged}, l/
//! ```

use std::path::{Path, PathBuf};

use ch04_layers::{LayerDriver, LayerError, MountApi};
use ch05_images::{BlobError, BlobStore, ImageStore, StoreError};

use crate::container::{ContainerError, ContainerStore};

mod archive;
mod archive_path;
mod cgroups;
mod commit;
pub mod confined;
mod container_filters;
mod container_inspect;
mod container_list;
mod container_prune;
mod containers;
mod distribution;
mod extract_to_dir;
pub mod filters;
mod go_json;
mod image_delete;
mod image_inspect;
mod images;
mod layers;
mod mount_api;
pub mod network;
mod pause;
mod pull;
mod push;
mod rename;
mod rootfs;
mod run;
mod spare_layers;
mod stats;
mod system;
mod top;
mod update;
pub mod volumes;

pub use archive_path::PathStat;
pub use cgroups::{CGROUP_RECORD, CgroupGuard, ContainerCgroup};
pub use commit::CommitOptions;
pub use container_filters::CONTAINER_LIST_FILTERS;
pub use container_inspect::{ContainerInspect, InspectHostConfig};
pub use container_list::{ContainerListEntry, ContainerListOptions, ListedPort};
pub use container_prune::{CONTAINER_PRUNE_FILTERS, ContainerPruneReport};
pub use containers::ContainerSummary;
pub use distribution::{DistributionError, ProgressOut};
pub use extract_to_dir::ExtractOptions;
pub use image_delete::{DeleteRecord, PruneReport};
pub use image_inspect::{HistoryItem, ImageInspect};
pub use images::{GO_ZERO_UNIX, ImageSummary, ImportOptions, parse_daemon_reference};
pub use layers::ContainerLayer;
pub use rootfs::ContainerRootfs;
pub use run::{ContainerOptions, RunError, RunOptions, RunningContainer, merged_labels};
pub use stats::ContainerStats;
pub use system::{ContainerUsage, DiskUsage, SystemDf};
pub use top::ContainerTop;
pub use update::ContainerUpdate;

/// The default data root, laid out like `/var/lib/docker`.
pub const DEFAULT_DATA_ROOT: &str = "/var/lib/minidocker";

/// The storage driver's name, as `docker info` and `inspect` print it.
pub const STORAGE_DRIVER: &str = "overlay2";

/// What went wrong in the engine. Messages are Docker's where Docker has one, so the CLI can
/// print them after `Error response from daemon: `.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error(transparent)]
    Reference(#[from] ch05_images::ReferenceError),
    #[error(transparent)]
    Archive(#[from] ch05_images::ArchiveError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Cgroup(#[from] ch06_cgroups::CgroupError),
    #[error(transparent)]
    Network(#[from] network::NetworkError),
    #[error("container {0} has no layer")]
    NoLayer(String),
    /// A request that conflicts with the current state (HTTP 409 from chapter 10 on).
    #[error("{0}")]
    Conflict(String),
    /// A request that is wrong in itself (HTTP 400).
    #[error("{0}")]
    Invalid(String),
    /// Something the request names does not exist (HTTP 404): `reference does not exist`.
    #[error("{0}")]
    NotFound(String),
    /// The engine failed at what was asked, in Docker's words (Docker's `errdefs.System`,
    /// HTTP 500): `ps` failing for `top`, a tar that cannot be extracted.
    #[error("{0}")]
    System(String),
}

/// The images, layers and containers under one data root.
#[derive(Debug)]
pub struct Engine {
    pub data_root: PathBuf,
    pub images: ImageStore,
    /// Chapter 4's overlay2 directories.
    pub layers: LayerDriver,
    /// Every layer's tar, by diff id (see `layers.rs`).
    pub layer_tars: BlobStore,
    pub containers: ContainerStore,
    /// The overlay mount API this kernel offers (fsconfig `lowerdir+` from 6.5 on).
    pub mount_api: MountApi,
    /// The default parent of containers' cgroups (dockerd's `--cgroup-parent`), relative to
    /// the engine's own cgroup unless absolute; see `cgroups.rs`.
    pub cgroup_parent: String,
    /// Chapter 7's networks under `<data-root>/network`.
    pub networks: network::NetworkStore,
    /// The default bridge's address and subnet when the engine makes it (dockerd's `--bip`).
    pub bip: Option<ch07_network::Ipv4Net>,
    /// `docker events`, appended to `<data-root>/events.jsonl`.
    pub events: crate::events::EventLog,
    /// What this host's cgroups can enforce, found on first use (`cgroups.rs`).
    host_info: std::sync::OnceLock<ch06_cgroups::HostInfo>,
    /// Where this host's cgroup hierarchies are mounted and this process's cgroups in them,
    /// found on first use (`cgroups.rs`).
    hierarchy: std::sync::OnceLock<ch06_cgroups::Hierarchy>,
    /// A `--rm` container's layers made ahead (`spare_layers.rs`): only a daemon makes them.
    spare_layers: spare_layers::SpareLayers,
}

impl Engine {
    /// Records that `action` happened to container `c` (`extra` attributes beside its image
    /// and name: `exitCode`, `signal`).
    pub fn container_event(&self, c: &crate::container::Container, action: &str, extra: &[(&str, String)]) {
        // Docker's order: the action's own attributes, the container's labels over them,
        // its image and name over both.
        let mut attributes: std::collections::BTreeMap<String, String> =
            extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        attributes.extend(c.config.labels.clone().unwrap_or_default());
        attributes.extend(crate::events::container_attributes(&c.config.image, &c.name));
        self.events
            .emit(&crate::events::Event::new("container", action, &c.id, attributes));
    }

    /// Records that `action` (`create`, `destroy`, `connect`, `disconnect`) happened to a
    /// network, with `container` for connect and disconnect.
    pub fn network_event(&self, record: &network::NetworkRecord, action: &str, container: Option<&str>) {
        let mut attributes = std::collections::BTreeMap::from([
            ("name".to_owned(), record.name.clone()),
            ("type".to_owned(), record.driver.clone()),
        ]);
        if let Some(c) = container {
            attributes.insert("container".to_owned(), c.to_owned());
        }
        self.events.emit(&crate::events::Event::new(
            "network", action, &record.id, attributes,
        ));
    }

    /// Records that `action` (`pull`, `push`, `tag`, `import`, `load`, `save`) happened to
    /// `image` (an id or a reference, as Docker's event names it), with the image's labels and
    /// `name` as attributes.
    pub fn image_event(&self, image: &str, name: &str, action: &str) {
        let labels = self
            .images
            .resolve(image)
            .and_then(|id| self.images.get(&id))
            .ok()
            .and_then(|image| image.config.config.labels)
            .unwrap_or_default();
        let mut attributes = labels;
        attributes.insert("name".to_owned(), name.to_owned());
        self.events
            .emit(&crate::events::Event::new("image", action, image, attributes));
    }

    pub fn open(data_root: &Path) -> anyhow::Result<Engine> {
        use anyhow::Context;
        std::fs::create_dir_all(data_root)
            .with_context(|| format!("creating data root {}", data_root.display()))?;
        let images = ImageStore::open(data_root)?;
        let layer_tars = layers::open_layer_tars(images.root())?;
        Ok(Engine {
            data_root: data_root.to_owned(),
            layers: LayerDriver::open(&data_root.join("overlay2"))?,
            layer_tars,
            images,
            containers: ContainerStore::open(data_root)?,
            mount_api: mount_api::mount_api_of_this_boot(data_root),
            cgroup_parent: ch06_cgroups::CgroupParent::DEFAULT.to_owned(),
            networks: network::NetworkStore::open(data_root)?,
            bip: None,
            events: crate::events::EventLog::new(data_root),
            host_info: std::sync::OnceLock::new(),
            hierarchy: std::sync::OnceLock::new(),
            spare_layers: Default::default(),
        })
    }

    // ANCHOR: spread_hierarchies
    /// Mark the directories that hold one hierarchy per container or layer as tops of
    /// directory hierarchies (ext4's `chattr +T`, chapter 4's `placement`): each new
    /// container's record directory, layer directories and staged layerdb record then get
    /// block groups of their own instead of piling up, with every inode freed before them,
    /// in their parent's. What cannot be marked is said in the log and left as it is.
    pub fn spread_new_hierarchies(&self) {
        let parents = [
            self.containers.root().to_owned(),
            self.layers.root().to_owned(),
            self.images.root().join("layerdb/tmp"),
            self.data_root.join("volumes"),
            self.spare_layers_dir(),
        ];
        for dir in parents.iter().filter(|dir| dir.is_dir()) {
            match ch04_layers::placement::mark_top_of_hierarchies(dir) {
                Ok(true) => {}
                Ok(false) => tracing::debug!(dir = %dir.display(), "no TOPDIR flag on this file system"),
                Err(e) => tracing::warn!(error = %e, "marking a top of directory hierarchies"),
            }
        }
    }
    // ANCHOR_END: spread_hierarchies
}
