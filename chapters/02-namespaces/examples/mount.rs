//! Mount namespace: a tmpfs mounted inside does not exist on the host.
//!
//! Two steps matter. `unshare(CLONE_NEWNS)` copies the mount table. Then `/` is made
//! *private*, recursively: on systemd hosts mounts are "shared" by default, and a mount made
//! under a shared mount would propagate back to the host, defeating the point.
//!
//! Run as root: `cargo run -p ch02-namespaces --example mount`

use std::path::Path;

use ch02_namespaces::{ChildSide, ForkedChild, Namespace, current_namespace_id, unshare};
use nix::mount::{MsFlags, mount, umount};

type Error = Box<dyn std::error::Error>;

/// The lines of /proc/self/mountinfo that mention `dir`.
fn mounts_at(dir: &Path) -> Result<Vec<String>, Error> {
    let needle = format!(" {} ", dir.display());
    let table = std::fs::read_to_string("/proc/self/mountinfo")?;
    Ok(table
        .lines()
        .filter(|l| l.contains(&needle))
        .map(str::to_string)
        .collect())
}

fn inside(dir: &Path, side: &mut ChildSide) -> Result<(), Error> {
    unshare(&[Namespace::Mount])?;
    // mount --make-rprivate /
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )?;
    mount(
        Some("tmpfs"),
        dir,
        Some("tmpfs"),
        MsFlags::empty(),
        Some("size=1m"),
    )?;
    std::fs::write(dir.join("hello"), "only visible inside\n")?;
    let ns = current_namespace_id(Namespace::Mount)?;
    println!("inside : mnt:[{}]  mountinfo at {}:", ns.inode, dir.display());
    for line in mounts_at(dir)? {
        println!("           {line}");
    }
    println!("inside : files there: {:?}", std::fs::read_dir(dir)?.count());
    side.send("mounted")?;
    side.wait_for_parent()?;
    umount(dir)?;
    Ok(())
}

fn main() -> Result<(), Error> {
    let dir = tempfile::tempdir()?;
    let ns = current_namespace_id(Namespace::Mount)?;
    println!("host   : mnt:[{}]  temp dir {}", ns.inode, dir.path().display());

    let path = dir.path().to_path_buf();
    // SAFETY: this program is single-threaded.
    let mut child = unsafe {
        ForkedChild::spawn(|side| match inside(&path, side) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("child: {e}");
                1
            }
        })
    }?;
    if child.recv()?.as_deref() == Some("mounted") {
        let seen = mounts_at(dir.path())?;
        let files = std::fs::read_dir(dir.path())?.count();
        println!(
            "host   : {} mountinfo lines at the temp dir, {files} files in it",
            seen.len()
        );
    }
    let code = child.wait()?;
    dir.close()?;
    println!("host   : child exited {code}, temp dir removed");
    std::process::exit(code);
}
