//! `docker system df`: how much disk the images, containers, volumes and build cache take.
//!
//! ```text
//!  Images       every layer some listed image uses, counted once (Docker's LayersSize);
//!               an image's SHARED SIZE is the part of it other listed images use too
//!  Containers   each container's own layer: the upper dir of its overlay (SizeRw)
//! ```

use std::collections::{BTreeMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use ch05_images::Digest;
use serde::{Deserialize, Serialize};

use super::container_list::ContainerListEntry;
use super::filters::Filters;
use super::go_json::null_as_default;
use super::images::ImageSummary;
use super::{ContainerSummary, Engine, EngineError};

/// One container and the bytes of its writable layer.
#[derive(Debug, Clone)]
pub struct ContainerUsage {
    pub summary: ContainerSummary,
    pub size_rw: u64,
}

/// What `GET /system/df` returns.
#[derive(Debug, Clone)]
pub struct DiskUsage {
    /// The layers the listed images use, each counted once.
    pub layers_size: u64,
    /// Newest first, with `containers` and `shared_size` filled in.
    pub images: Vec<ImageSummary>,
    /// Newest first.
    pub containers: Vec<ContainerUsage>,
}

/// Docker's `directory.Size`: the bytes of the files under `dir` (directories count nothing,
/// a hard-linked file counts once, a symbolic link counts its own length). Entries that vanish
/// while walking are skipped.
pub fn dir_size(dir: &Path) -> u64 {
    fn walk(dir: &Path, seen: &mut HashSet<(u64, u64)>, total: &mut u64) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                walk(&entry.path(), seen, total);
            } else if meta.len() > 0 && seen.insert((meta.dev(), meta.ino())) {
                *total += meta.len();
            }
        }
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    walk(dir, &mut seen, &mut total);
    total
}

impl Engine {
    // ANCHOR: disk_usage
    /// `docker system df`: images (as `docker images` lists them) with their container counts
    /// and shared sizes, the containers with the size of their own layer.
    pub fn disk_usage(&self) -> Result<DiskUsage, EngineError> {
        let index = self.image_index()?;
        let mut images = self.list_images_in(&index, &Filters::default(), false)?;
        let containers = self.list_containers()?;

        // How many listed images use each layer.
        let chains: BTreeMap<Digest, Vec<Digest>> = index
            .images
            .iter()
            .map(|i| (i.id.clone(), i.chain_ids()))
            .collect();
        let mut refs: BTreeMap<&Digest, usize> = BTreeMap::new();
        for summary in &images {
            for chain_id in chains.get(&summary.id).into_iter().flatten() {
                *refs.entry(chain_id).or_default() += 1;
            }
        }
        for summary in &mut images {
            let id = summary.id.to_string();
            summary.containers = containers.iter().filter(|c| c.container.image == id).count() as i64;
            summary.shared_size = chains
                .get(&summary.id)
                .into_iter()
                .flatten()
                .filter(|c| refs.get(c).is_some_and(|n| *n > 1))
                .filter_map(|c| index.layers.get(c))
                .map(|l| l.size as i64)
                .sum();
        }

        // Docker's getLayerRefs: the layers of every image but unnamed intermediate ones.
        let mut used_layers: HashSet<&Digest> = HashSet::new();
        for image in &index.images {
            if index.names_of(&image.id).is_empty() && index.has_children.contains(&image.id) {
                continue;
            }
            used_layers.extend(chains.get(&image.id).into_iter().flatten());
        }
        let layers_size = index
            .layers
            .values()
            .filter(|l| used_layers.contains(&l.chain_id))
            .map(|l| l.size)
            .sum();

        let containers = containers
            .into_iter()
            .map(|summary| ContainerUsage {
                size_rw: self.container_size_rw(&summary.container.id),
                summary,
            })
            .collect();
        Ok(DiskUsage {
            layers_size,
            images,
            containers,
        })
    }
    // ANCHOR_END: disk_usage

    /// The bytes in the container's own layer, the upper dir of its overlay (`SizeRw`).
    pub fn container_size_rw(&self, id: &str) -> u64 {
        match self.images.mount(id) {
            Ok(Some(mount)) => dir_size(&self.layers.diff_dir(&mount.mount_id)),
            _ => 0,
        }
    }

    /// `SizeRw` and `SizeRootFs`: the bytes of the container's own layer, and those plus the
    /// bytes of every layer under it (the image it was made from); (0, 0) without a layer.
    pub fn container_sizes(&self, id: &str) -> Result<(u64, u64), EngineError> {
        let Some(mount) = self.images.mount(id)? else {
            return Ok((0, 0));
        };
        let rw = dir_size(&self.layers.diff_dir(&mount.mount_id));
        let mut below = 0;
        let mut next = mount.parent;
        while let Some(chain_id) = next {
            let layer = self.images.layer(&chain_id)?;
            below += layer.size;
            next = layer.parent;
        }
        Ok((rw, rw + below))
    }

    /// `GET /system/df`: [`Engine::disk_usage`] in Docker's shape.
    pub fn system_df(&self) -> Result<SystemDf, EngineError> {
        let du = self.disk_usage()?;
        Ok(SystemDf {
            layers_size: du.layers_size,
            containers: du
                .containers
                .iter()
                .map(|c| self.container_entry(&c.summary, true))
                .collect::<Result<_, _>>()?,
            images: du.images,
            volumes: self
                .volumes_usage()
                .map_err(|e| EngineError::System(e.to_string()))?,
            build_cache: None,
            builder_size: 0,
        })
    }
}

/// What `GET /system/df` answers (and the CLI reads): Docker 20.10's `types.DiskUsage`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemDf {
    pub layers_size: u64,
    #[serde(default, deserialize_with = "null_as_default")]
    pub images: Vec<ImageSummary>,
    /// With `SizeRw` (when not 0) and `SizeRootFs`.
    #[serde(default, deserialize_with = "null_as_default")]
    pub containers: Vec<ContainerListEntry>,
    /// Every volume, with its `UsageData` (containers using it, bytes in it).
    #[serde(default, deserialize_with = "null_as_default")]
    pub volumes: Vec<super::volumes::Volume>,
    /// No builder yet: always `null`.
    #[serde(default)]
    pub build_cache: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub builder_size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dir_size_counts_files_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"12345").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), b"123").unwrap();
        std::fs::hard_link(dir.path().join("a"), dir.path().join("sub/a2")).unwrap();
        std::os::unix::fs::symlink("a", dir.path().join("link")).unwrap();
        std::fs::write(dir.path().join("empty"), b"").unwrap();
        assert_eq!(dir_size(dir.path()), 5 + 3 + 1);
        assert_eq!(dir_size(&dir.path().join("missing")), 0);
    }
}
