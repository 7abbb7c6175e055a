//! Images in the engine: importing a rootfs tar, finding the image a container starts from.
//! `pull`, `push`, `save`, `load`, `commit`, `rmi` and friends live in their own modules.

use std::io::Read;

use ch05_images::{History, Image, ImageConfig, LayerMeta, Reference};

use super::{Engine, EngineError};

/// `docker import`'s options.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `-m`: the history comment; Docker's default is `Imported from <source>`.
    pub message: Option<String>,
    /// Where the tar came from: `-` for a stream (the CLI sends files as `-` too), or a URL.
    pub source: String,
    /// The new image's container defaults (`-c`, already applied).
    pub config: ch05_images::ContainerConfig,
    pub reference: Option<Reference>,
}

impl Engine {
    // ANCHOR: import
    /// `docker import`: a flat rootfs tar becomes a one-layer image; returns its id.
    pub fn import_image(&self, tar: impl Read, opts: &ImportOptions) -> Result<Image, EngineError> {
        let layer = self.unpack_layer(None, tar, None)?;
        let comment = opts
            .message
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("Imported from {}", opts.source));
        let mut config = ImageConfig::new_for_host();
        config.comment = Some(comment.clone());
        config.config = opts.config.clone();
        let history = History {
            created: config.created.clone(),
            comment: Some(comment),
            ..History::default()
        };
        config.push_layer(Some(layer.diff_id.clone()), history);
        let image = Image::from_config(config);
        self.images.put_image(&image.raw)?;
        if let Some(reference) = &opts.reference {
            self.images.tag(&image.id, reference)?;
        }
        Ok(image)
    }
    // ANCHOR_END: import

    /// The image `name` names (a reference, an id or an id prefix), with its layers bottom first.
    pub fn image_with_layers(&self, name: &str) -> Result<(Image, Vec<LayerMeta>), EngineError> {
        let id = self.images.resolve(name)?;
        let image = self.images.get(&id)?;
        let layers = self.images.layers_of(&image)?;
        Ok((image, layers))
    }
}
