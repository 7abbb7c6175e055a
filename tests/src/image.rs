//! The busybox image every test imports: the rootfs `scripts/busybox-rootfs.sh` writes, built
//! here in Rust with the `tar` crate (the script forks one `ln` per applet and takes over a
//! second; this takes milliseconds, once per test process), plus one marker file so tests can
//! tell the image's `/` from the host's. `tests/tests/harness.rs` checks that both give the
//! same entries.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A file present in the test image and nowhere else.
pub const MARKER_PATH: &str = "/minidocker-e2e-marker";
/// The content of [`MARKER_PATH`].
pub const MARKER_CONTENT: &str = "from the minidocker-e2e busybox image\n";

/// `/etc/passwd` and `/etc/group` of the image, as the script writes them.
pub const PASSWD: &str =
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n";
pub const GROUP: &str = "root:x:0:\nnogroup:x:65534:\n";

/// The host's busybox-static (the script's `BUSYBOX` variable overrides it, here too).
pub fn busybox_path() -> PathBuf {
    std::env::var_os("BUSYBOX").map_or_else(|| PathBuf::from("/bin/busybox"), PathBuf::from)
}

/// The workspace root (`tests/..`), where `scripts/` lives.
pub fn workspace_root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The image tar, built once per process. Panics with what to install when busybox is missing.
pub fn busybox_rootfs_tar() -> &'static [u8] {
    static TAR: OnceLock<Vec<u8>> = OnceLock::new();
    TAR.get_or_init(|| match build_busybox_rootfs(true) {
        Ok(tar) => tar,
        Err(e) => panic!(
            "building the busybox rootfs from {}: {e} (apt-get install busybox-static)",
            busybox_path().display()
        ),
    })
}

/// The rootfs of `scripts/busybox-rootfs.sh` as a tar (with the marker file if `with_marker`):
/// directories bin etc tmp(1777) root(0700) proc sys dev home, `/bin/busybox` and a symlink to it
/// per applet, `/etc/passwd` and `/etc/group`; owned by 0:0. The root entry `./` is 0700 like the
/// script's (it comes from `mktemp -d`).
pub fn build_busybox_rootfs(with_marker: bool) -> std::io::Result<Vec<u8>> {
    let busybox = busybox_path();
    let binary = std::fs::read(&busybox)?;
    let list = std::process::Command::new(&busybox).arg("--list").output()?;
    if !list.status.success() {
        return Err(std::io::Error::other(format!(
            "{} --list failed: {}",
            busybox.display(),
            list.status
        )));
    }
    let applets = String::from_utf8_lossy(&list.stdout);

    let mut tar = tar::Builder::new(Vec::new());
    let dir = |tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32| {
        let mut h = header(tar::EntryType::Directory, mode, 0);
        tar.append_data(&mut h, path, std::io::empty())
    };
    dir(&mut tar, "./", 0o700)?;
    for (path, mode) in [
        ("bin", 0o755),
        ("etc", 0o755),
        ("tmp", 0o1777),
        ("root", 0o700),
        ("proc", 0o755),
        ("sys", 0o755),
        ("dev", 0o755),
        ("home", 0o755),
    ] {
        dir(&mut tar, &format!("./{path}/"), mode)?;
    }
    let file = |tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32, data: &[u8]| {
        let mut h = header(tar::EntryType::Regular, mode, data.len() as u64);
        tar.append_data(&mut h, path, data)
    };
    file(&mut tar, "./bin/busybox", 0o755, &binary)?;
    file(&mut tar, "./etc/passwd", 0o644, PASSWD.as_bytes())?;
    file(&mut tar, "./etc/group", 0o644, GROUP.as_bytes())?;
    if with_marker {
        file(
            &mut tar,
            &format!(".{MARKER_PATH}"),
            0o644,
            MARKER_CONTENT.as_bytes(),
        )?;
    }
    for applet in applets.split_whitespace().filter(|a| *a != "busybox") {
        let mut h = header(tar::EntryType::Symlink, 0o777, 0);
        tar.append_link(&mut h, format!("./bin/{applet}"), "busybox")?;
    }
    tar.into_inner()
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    );
    h
}

/// One tar entry, comparable between two archives: `(path without "./", kind, mode, size, link)`.
pub type EntrySummary = (String, String, u32, u64, Option<String>);

/// The entries of a tar archive, sorted, without times.
pub fn summarize_tar(bytes: &[u8]) -> std::io::Result<Vec<EntrySummary>> {
    let mut archive = tar::Archive::new(bytes);
    let mut entries = Vec::new();
    for entry in archive.entries()? {
        let entry = entry?;
        let h = entry.header();
        let path = entry
            .path()?
            .to_string_lossy()
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_owned();
        let link = entry.link_name()?.map(|l| l.to_string_lossy().into_owned());
        entries.push((path, format!("{:?}", h.entry_type()), h.mode()?, h.size()?, link));
    }
    entries.sort();
    Ok(entries)
}

/// A tar of `(name, data)` files, the names written as they are (`../escaped` too: hostile
/// archives are made this way).
pub fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        // set_path refuses `..`; a hostile archive writes the name field itself
        header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        tar.append(&header, *data).expect("appending");
    }
    tar.into_inner().expect("a tar")
}
