//! `docker save` and `docker load`: images as tar archives, in chapter 5's layout (a
//! docker-archive and an OCI image layout in one; see `ch05_images::archive`).
//!
//! ```text
//!  save:  names ──▶ images + their tags ──▶ write_docker_archive ◀── each layer's tar, byte
//!                                                                   for byte (layertars/)
//!  load:  tar ──▶ read_archive into <data-root>/tmp/docker-load-*   (names confined, JSON and
//!                  │                                                  diff ids checked first)
//!                  ├─▶ unpack_layer for each layer not yet known     ┐ undone if anything
//!                  ├─▶ put_image                                      ┘ fails
//!                  └─▶ tags: "Loaded image: busybox:latest"
//! ```

use std::io::{Read, Write};

use ch05_images::archive::open_layer_tar;
use ch05_images::chain::child_chain_id;
use ch05_images::{
    Digest, Image, LayerMeta, LoadedArchive, Reference, StoreError, read_archive, write_docker_archive,
};

use super::distribution::unix_now;
use super::images::sort_names;
use super::{Engine, EngineError};
use crate::progress::{JsonMessage, ProgressReader};

/// What a load added to the store so far, to be taken back if it fails.
#[derive(Default)]
struct Added {
    images: Vec<Digest>,
    layers: Vec<LayerMeta>,
    /// Layer tars stored for a layer that then failed to unpack.
    tars: Vec<Digest>,
}

impl Engine {
    // ANCHOR: save
    /// `docker save NAME…`: write the images `names` name, with their tags, to `out`.
    ///
    /// Every name is resolved before anything is written, so an unknown one writes nothing.
    pub fn save_images(&self, names: &[String], out: impl Write) -> Result<(), EngineError> {
        let images = self.images_to_save(names)?;
        let mut layer_tar = |diff_id: &Digest, sink: &mut dyn Write| self.copy_layer_tar(diff_id, sink);
        write_docker_archive(out, &images, &mut layer_tar)?;
        for (image, _) in &images {
            let id = image.id.to_string();
            self.image_event(&id, &id, "save");
        }
        Ok(())
    }
    // ANCHOR_END: save

    /// The images to save, each with the tags to record, in the order first named. Docker's
    /// rules (moby `tarexport.parseNames`): an id or id prefix saves the image without a name;
    /// a bare repository (`busybox`) saves every tag of it; `busybox:1.36` that one tag.
    fn images_to_save(&self, names: &[String]) -> Result<Vec<(Image, Vec<Reference>)>, EngineError> {
        let mut chosen: Vec<(Image, Vec<Reference>)> = Vec::new();
        let mut add = |id: Digest, name: Option<Reference>| -> Result<(), EngineError> {
            let index = match chosen.iter().position(|(image, _)| image.id == id) {
                Some(index) => index,
                None => {
                    chosen.push((self.images.get(&id)?, Vec::new()));
                    chosen.len() - 1
                }
            };
            let tags = &mut chosen[index].1;
            if let Some(tag) = name.filter(|n| n.tag.is_some() && n.digest.is_none()) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
            Ok(())
        };
        for name in names {
            if let Ok(id) = Digest::from_hex(name.strip_prefix("sha256:").unwrap_or(name)) {
                add(id, None)?;
                continue;
            }
            let Ok(reference) = Reference::parse_name(name) else {
                add(self.resolve_image(name)?, None)?; // an id prefix, or the parse error
                continue;
            };
            if reference.familiar_name() == "sha256" {
                add(self.resolve_image(name)?, None)?; // sha256:<prefix>
                continue;
            }
            if reference.tag.is_none() && reference.digest.is_none() {
                let tagged: std::collections::HashMap<Reference, Digest> = self
                    .images
                    .references()?
                    .into_iter()
                    .filter(|(r, _)| r.repository() == reference)
                    .collect();
                if tagged.is_empty() {
                    let id = self.resolve_image(name).map_err(|e| match e {
                        EngineError::Store(StoreError::NoSuchImage(_)) => {
                            StoreError::NoSuchImage(name.clone()).into()
                        }
                        other => other,
                    })?;
                    add(id, None)?;
                    continue;
                }
                let mut refs: Vec<Reference> = tagged.keys().cloned().collect();
                sort_names(&mut refs);
                for r in refs {
                    let id = tagged[&r].clone();
                    add(id, Some(r))?;
                }
                continue;
            }
            match self.images.lookup_reference(&reference)? {
                Some(id) => add(id, Some(reference))?,
                None => return Err(EngineError::NotFound("reference does not exist".into())),
            }
        }
        Ok(chosen)
    }

    // ANCHOR: load
    /// `docker load`: store the images of the archive `input` and name them. Returns Docker's
    /// lines (`Loaded image: busybox:latest`, `Loaded image ID: sha256:…`, and a note for each
    /// tag taken from another image); `progress` sees `Loading layer` for each new layer.
    ///
    /// The archive is unpacked and checked completely before the store is touched, and what
    /// was added is removed again if a layer or an image cannot be stored.
    pub fn load_images(
        &self,
        input: impl Read,
        progress: &mut dyn FnMut(JsonMessage),
    ) -> Result<Vec<String>, EngineError> {
        let staging_root = self.staging_root()?;
        let staging = tempfile::Builder::new()
            .prefix("docker-load-")
            .tempdir_in(&staging_root)
            .map_err(|source| EngineError::Io {
                path: staging_root.clone(),
                source,
            })?;
        let archive = read_archive(input, staging.path())?;
        for image in &archive.images {
            if let Some(bad) = image
                .repo_tags
                .iter()
                .find(|r| r.tag.is_none() || r.digest.is_some())
            {
                return Err(EngineError::Invalid(format!(
                    "invalid tag {:?}",
                    bad.familiar_string()
                )));
            }
        }
        let mut added = Added::default();
        if let Err(e) = self.store_loaded(&archive, &mut added, progress) {
            self.take_back(added);
            return Err(e);
        }
        let mut lines = Vec::new();
        for image in &archive.images {
            if image.repo_tags.is_empty() {
                lines.push(format!("Loaded image ID: {}", image.id));
            }
            for tag in &image.repo_tags {
                if let Some(previous) = self.images.tag(&image.id, tag)? {
                    lines.push(format!(
                        "The image {} already exists, renaming the old one with ID {previous} to empty string",
                        tag.familiar_string()
                    ));
                }
                lines.push(format!("Loaded image: {}", tag.familiar_string()));
            }
            let id = image.id.to_string();
            self.image_event(&id, &id, "load");
        }
        Ok(lines)
    }
    // ANCHOR_END: load

    fn store_loaded(
        &self,
        archive: &LoadedArchive,
        added: &mut Added,
        progress: &mut dyn FnMut(JsonMessage),
    ) -> Result<(), EngineError> {
        for image in &archive.images {
            let mut parent: Option<LayerMeta> = None;
            for layer in &image.layers {
                let chain_id = match &parent {
                    None => layer.diff_id.clone(),
                    Some(p) => child_chain_id(&p.chain_id, &layer.diff_id),
                };
                if self.images.has_layer(&chain_id) {
                    parent = Some(self.images.layer(&chain_id)?);
                    continue;
                }
                let io = |source| EngineError::Io {
                    path: layer.path.clone(),
                    source,
                };
                let total = std::fs::metadata(&layer.path).map_err(io)?.len();
                let tar = open_layer_tar(&layer.path).map_err(io)?;
                let (id, start) = (layer.diff_id.short().to_owned(), unix_now());
                let reader = ProgressReader::new(tar, total, |done, total| {
                    progress(JsonMessage::transfer(&id, "Loading layer", done, total, start));
                });
                let tar_was_there = self.layer_tars.exists(&layer.diff_id);
                match self.unpack_layer(parent.as_ref(), reader, Some(&layer.diff_id)) {
                    Ok(meta) => {
                        added.layers.push(meta.clone());
                        parent = Some(meta);
                    }
                    Err(e) => {
                        if !tar_was_there {
                            added.tars.push(layer.diff_id.clone());
                        }
                        return Err(e);
                    }
                }
            }
            if !self.images.exists(&image.id) {
                self.images.put_image(&image.config)?;
                added.images.push(image.id.clone());
            }
        }
        Ok(())
    }

    /// Remove what a failed load added, newest first.
    fn take_back(&self, added: Added) {
        for id in added.images.iter().rev() {
            match self.images.remove(id) {
                Ok(released) => released.iter().for_each(|l| self.delete_layer_files(l)),
                Err(e) => tracing::warn!(%id, error = %e, "removing a partly loaded image"),
            }
        }
        for layer in added.layers.iter().rev() {
            if !self.images.has_layer(&layer.chain_id) {
                continue; // released with its image above
            }
            match self.images.remove_layer(&layer.chain_id) {
                Ok(()) => self.delete_layer_files(layer),
                Err(e) => {
                    tracing::warn!(chain_id = %layer.chain_id, error = %e, "removing a partly loaded layer")
                }
            }
        }
        for diff_id in &added.tars {
            if let Err(e) = self.layer_tars.remove(diff_id) {
                tracing::warn!(%diff_id, error = %e, "removing the tar of a layer that failed to load");
            }
        }
    }
}
