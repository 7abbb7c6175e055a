//! Read a `docker save` archive (plain or gzipped) and print what `docker load` would load.
//!
//! ```text
//! docker save busybox -o busybox.tar
//! cargo run -p ch05-images --example load -- busybox.tar
//! ```

use std::fs::File;

use ch05_images::{Image, read_archive};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: load <archive.tar>")?;
    let staging = tempfile::tempdir()?;
    let archive = read_archive(File::open(&path)?, staging.path())?;
    for loaded in &archive.images {
        let image = Image::from_bytes(loaded.config.clone())?;
        println!(
            "image {} ({} {}/{})",
            image.id,
            image.config.created.as_deref().unwrap_or("?"),
            image.config.os,
            image.config.architecture
        );
        for tag in &loaded.repo_tags {
            println!("  Loaded image: {}", tag.familiar_string());
        }
        for (layer, chain) in loaded.layers.iter().zip(image.chain_ids()) {
            println!("  layer {} chain {}", layer.diff_id.short(), chain.short());
        }
    }
    Ok(())
}
