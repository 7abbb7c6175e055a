//! How many layers fit under one overlay, and why.
//!
//!     sudo cargo run -p ch04-layers --example many_layers            # 500 with fsconfig, else 128
//!     sudo cargo run -p ch04-layers --example many_layers -- 128 --legacy
//!     sudo cargo run -p ch04-layers --example many_layers -- 200 --legacy   # does not fit
//!
//! It builds N one-file image layers in a Docker-style store (64-hex ids, `l/` short links),
//! puts a container layer on top, mounts it in a private mount namespace and counts the files.
use std::error::Error;

use ch04_layers::overlay::mount_data_limit;
use ch04_layers::{LayerDriver, MountApi, OverlayLayers, detect_mount_api, legacy_mount_data};
use nix::mount::MsFlags;
use nix::sched::CloneFlags;
use sha2::Digest;

fn main() {
    if let Err(e) = run() {
        eprintln!("many_layers: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let api = if args.iter().any(|a| a == "--legacy") {
        MountApi::Legacy
    } else {
        detect_mount_api()
    };
    let default = if api == MountApi::FsConfig { 500 } else { 128 };
    let count: usize = match args.iter().find(|a| !a.starts_with("--")) {
        Some(n) => n.parse().map_err(|_| format!("not a layer count: {n}"))?,
        None => default,
    };

    nix::sched::unshare(CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("unshare(CLONE_NEWNS): {e} (are you root?)"))?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )?;

    let tmp = tempfile::tempdir()?;
    let driver = LayerDriver::open(&tmp.path().join("overlay2"))?;
    let id = |name: String| hex::encode(sha2::Sha256::digest(name.as_bytes()));
    let mut parent: Option<String> = None;
    for i in 0..count {
        let layer = id(format!("layer {i}"));
        driver.create(&layer, parent.as_deref())?;
        std::fs::write(driver.diff_dir(&layer).join(format!("file-{i:03}")), "")?;
        parent = Some(layer);
    }
    let container = id("container".into());
    driver.create(&container, parent.as_deref())?;

    let absolute = OverlayLayers {
        lower: driver.lower_dirs(&container)?,
        upper: driver.diff_dir(&container),
        work: driver.root().join(&container).join("work"),
    };
    let limit = mount_data_limit();
    let long = legacy_mount_data(&absolute).len();
    let short = driver.relative_mount_data(&container)?.len();
    println!("{count} lower layers, mounted with {api}");
    println!(
        "  mount(2) data with absolute paths:  {long:>6} bytes {}",
        fits(long, limit)
    );
    println!(
        "  mount(2) data with l/ short links:  {short:>6} bytes {}",
        fits(short, limit)
    );
    println!("  page limit for mount(2) data:       {limit:>6} bytes (+1 for the NUL)");
    if api == MountApi::FsConfig {
        println!("  fsconfig(2) takes one lowerdir+ per layer: only overlayfs' 500-layer limit applies");
    }

    let merged = driver.mount(&container, api)?;
    let visible = std::fs::read_dir(&merged)?.count();
    println!("mounted at {}: {visible} files visible", merged.display());
    driver.unmount(&container)?;
    Ok(())
}

fn fits(len: usize, limit: usize) -> &'static str {
    if len <= limit { "(fits)" } else { "(too long)" }
}
