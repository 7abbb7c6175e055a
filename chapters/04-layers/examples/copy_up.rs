//! Copy-up, whiteouts and opaque directories, seen from the upper dir, then `docker diff`.
//!
//!     sudo cargo run -p ch04-layers --example copy_up
//!
//! Everything happens in a temporary directory and a private mount namespace: the overlay is
//! unmounted at the end (and would vanish with the process anyway).
use std::error::Error;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use ch04_layers::{OverlayLayers, OverlayMount, changes, detect_mount_api, is_opaque, is_whiteout};
use nix::mount::MsFlags;
use nix::sched::CloneFlags;

fn main() {
    if let Err(e) = run() {
        eprintln!("copy_up: {e}");
        std::process::exit(1);
    }
}

fn write(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(path.parent().unwrap_or(Path::new("/")))?;
    std::fs::write(path, contents)
}

fn run() -> Result<(), Box<dyn Error>> {
    // a mount namespace of our own, where nothing propagates back to the host
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
    let dir = |name: &str| -> std::io::Result<std::path::PathBuf> {
        let p = tmp.path().join(name);
        std::fs::create_dir_all(&p)?;
        Ok(p)
    };
    let (base, app) = (dir("lower-base")?, dir("lower-app")?);
    write(&base.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")?;
    write(&base.join("etc/hostname"), "base\n")?;
    write(&base.join("var/log/old.log"), "yesterday\n")?;
    write(&base.join("var/cache/a"), "a\n")?;
    write(&base.join("var/cache/b"), "b\n")?;
    write(&app.join("etc/motd"), "welcome to the app layer\n")?;
    let layers = OverlayLayers {
        lower: vec![app.clone(), base.clone()], // topmost first
        upper: dir("upper")?,
        work: dir("work")?,
    };
    let merged = dir("merged")?;
    let api = detect_mount_api();
    println!("mounting lowerdir=lower-app:lower-base with {api}");
    let mount = OverlayMount::new(&layers, &merged, api)?;

    println!("\nin the container (merged/):");
    let m = |p: &str| merged.join(p);
    println!("  echo 'me:x:1000:1000::/home/me:/bin/sh' >> /etc/passwd   (copy-up, then write)");
    let mut passwd = std::fs::read_to_string(m("etc/passwd"))?;
    passwd.push_str("me:x:1000:1000::/home/me:/bin/sh\n");
    std::fs::write(m("etc/passwd"), passwd)?;
    println!("  echo x > /etc/new.conf                                    (a new file)");
    std::fs::write(m("etc/new.conf"), "x\n")?;
    println!("  rm /var/log/old.log                                        (a whiteout)");
    std::fs::remove_file(m("var/log/old.log"))?;
    println!("  rm -rf /var/cache && mkdir /var/cache && touch /var/cache/fresh   (an opaque dir)");
    std::fs::remove_dir_all(m("var/cache"))?;
    std::fs::create_dir(m("var/cache"))?;
    std::fs::write(m("var/cache/fresh"), "")?;

    println!(
        "\nthe lower layers are untouched: lower-base/etc/passwd has {} line(s)",
        std::fs::read_to_string(base.join("etc/passwd"))?.lines().count()
    );
    println!("\nthe upper dir now holds:");
    print_tree(&layers.upper, Path::new(""))?;

    println!("\n`docker diff` would print:");
    for change in changes(&layers.lower, &layers.upper)? {
        println!("  {change}");
    }
    mount.unmount()?;
    Ok(())
}

fn print_tree(root: &Path, rel: &Path) -> Result<(), Box<dyn Error>> {
    let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let rel = rel.join(entry.file_name());
        let path = root.join(&rel);
        let meta = std::fs::symlink_metadata(&path)?;
        let what = if is_whiteout(&meta) {
            "c 0,0      whiteout: deleted from the layers below".to_owned()
        } else if meta.is_dir() && is_opaque(&path)? {
            "directory  opaque (trusted.overlay.opaque=y): hides the layers below".to_owned()
        } else if meta.is_dir() {
            "directory  copied up to hold what changed inside".to_owned()
        } else if meta.file_type().is_char_device() {
            format!("c {},{}", libc::major(meta.rdev()), libc::minor(meta.rdev()))
        } else {
            format!("file       {} bytes", meta.len())
        };
        println!("  {:<22} {what}", rel.display());
        if meta.is_dir() {
            print_tree(root, &rel)?;
        }
    }
    Ok(())
}
