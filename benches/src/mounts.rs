//! Fixtures for the overlay mount and layer benchmarks: a private mount namespace, a guard
//! that unmounts whatever is left on drop, scratch directories (optionally on their own
//! tmpfs), and a stack of lower layers.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use ch04_layers::OverlayLayers;
use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;

/// Move the calling thread into a new mount namespace whose mounts never propagate back to
/// the host (`unshare(CLONE_NEWNS)`, then `/` made `MS_REC | MS_PRIVATE`).
///
/// `CLONE_NEWNS` implies `CLONE_FS`, which the kernel unshares for the calling thread only, so
/// this works in a multi-threaded process: the thread that calls it is the one that must then
/// make (and time) the mounts. Whatever is still mounted when the process dies goes with the
/// namespace, even after a `SIGKILL`.
pub fn private_mount_namespace() -> nix::Result<()> {
    nix::sched::unshare(CloneFlags::CLONE_NEWNS)?;
    nix::mount::mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
}

/// Unmounts everything stacked on its mount point when dropped, even during a panic that
/// escaped a benchmark iteration between its mount and its unmount.
#[derive(Debug)]
pub struct MountGuard {
    target: PathBuf,
}

impl MountGuard {
    /// Guard `target`; nothing is mounted by this call.
    pub fn new(target: &Path) -> MountGuard {
        MountGuard {
            target: target.to_owned(),
        }
    }

    pub fn target(&self) -> &Path {
        &self.target
    }
}

impl Drop for MountGuard {
    fn drop(&mut self) {
        // Lazy unmounts until the kernel says `target` is no mount point (EINVAL): a
        // benchmark that panicked may have left one mount, or, if it panicked twice, more.
        for _ in 0..16 {
            if nix::mount::umount2(&self.target, MntFlags::MNT_DETACH).is_err() {
                break;
            }
        }
    }
}

/// A temp dir, optionally with a tmpfs mounted on it; unmounted, then removed on drop.
///
/// A tmpfs keeps a disk filesystem's journal, writeback and `sync` out of the measurement
/// (overlayfs syncs its upper filesystem on unmount; deleting a tree queues work for the next
/// iteration), so the numbers are the code's, not what the rest of the machine had written.
/// Mount one only in a [`private_mount_namespace`].
#[derive(Debug)]
pub struct ScratchDir {
    // field order is drop order: unmount first, then remove the (by then empty) directory
    mounted: Option<MountGuard>,
    dir: tempfile::TempDir,
}

impl ScratchDir {
    /// A plain temp dir named `<prefix>XXXXXX` in `$TMPDIR`.
    pub fn tempdir(prefix: &str) -> std::io::Result<ScratchDir> {
        Ok(ScratchDir {
            mounted: None,
            dir: tempfile::Builder::new().prefix(prefix).tempdir()?,
        })
    }

    /// A temp dir with a fresh tmpfs (mode 0755, at most 2 GiB) mounted on it.
    pub fn tmpfs(prefix: &str) -> std::io::Result<ScratchDir> {
        let mut scratch = ScratchDir::tempdir(prefix)?;
        nix::mount::mount(
            Some("tmpfs"),
            scratch.path(),
            Some("tmpfs"),
            MsFlags::empty(),
            Some("size=2g,mode=0755"),
        )?;
        scratch.mounted = Some(MountGuard::new(scratch.dir.path()));
        Ok(scratch)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn is_tmpfs(&self) -> bool {
        self.mounted.is_some()
    }
}

/// Whether `path` is the root of a mount (its device differs from its parent's).
pub fn is_mount_point(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let parent = path.parent().unwrap_or(Path::new("/"));
    match (std::fs::metadata(path), std::fs::metadata(parent)) {
        (Ok(me), Ok(up)) => me.dev() != up.dev(),
        _ => false,
    }
}

/// `count` one-file lower layers (`l/<i>/f<i>`), an upper, a work dir and a mount point, in
/// a fresh [`ScratchDir`] (a tmpfs if `on_tmpfs`) removed on drop. Paths are kept short so
/// that 128 layers fit in one mount(2) data page: `/tmp/mdb-XXXXXX/l/127` is 21 bytes.
#[derive(Debug)]
pub struct LayerStack {
    dir: ScratchDir,
    lower: Vec<PathBuf>,
}

impl LayerStack {
    pub fn create(count: usize, on_tmpfs: bool) -> std::io::Result<LayerStack> {
        let dir = if on_tmpfs {
            ScratchDir::tmpfs("mdb-")?
        } else {
            ScratchDir::tempdir("mdb-")?
        };
        for sub in ["l", "upper", "work", "merged"] {
            std::fs::create_dir(dir.path().join(sub))?;
        }
        let lower = (0..count)
            .map(|i| {
                let layer = dir.path().join("l").join(i.to_string());
                std::fs::create_dir(&layer)?;
                std::fs::write(layer.join(format!("f{i}")), b"")?;
                Ok(layer)
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(LayerStack { dir, lower })
    }

    /// The topmost `count` lower layers over this stack's upper and work dirs.
    ///
    /// # Panics
    ///
    /// If `count` is more than the stack holds.
    pub fn layers(&self, count: usize) -> OverlayLayers {
        OverlayLayers {
            lower: self.lower[..count].to_vec(),
            upper: self.dir.path().join("upper"),
            work: self.dir.path().join("work"),
        }
    }

    /// The directory everything is in.
    pub fn dir(&self) -> &ScratchDir {
        &self.dir
    }

    /// Where the overlay is mounted.
    pub fn merged(&self) -> PathBuf {
        self.dir.path().join("merged")
    }

    pub fn len(&self) -> usize {
        self.lower.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lower.is_empty()
    }
}

/// A path as a C string, for the raw system calls.
///
/// # Panics
///
/// If the path has a NUL byte (the temp dirs made here never do).
pub fn c_path(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("a path without NUL bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stack_has_one_file_per_layer_and_short_paths() {
        let stack = LayerStack::create(128, false).expect("layers");
        let layers = stack.layers(128);
        assert_eq!(layers.lower.len(), 128);
        assert!(layers.lower[127].join("f127").is_file());
        assert!(
            ch04_layers::legacy_mount_data(&layers).len() <= ch04_layers::overlay::mount_data_limit(),
            "128 layers fit in one mount(2) page"
        );
    }

    /// Needs root. The guard unmounts what a panicking iteration left behind.
    #[test]
    fn the_guard_unmounts_on_panic() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: needs root");
            return;
        }
        // This test thread gets its own mount namespace (see `private_mount_namespace`).
        private_mount_namespace().expect("unshare(CLONE_NEWNS)");
        let stack = LayerStack::create(2, true).expect("layers");
        assert!(is_mount_point(stack.dir().path()), "on its own tmpfs");
        let tmpfs = stack.dir().path().to_owned();
        let merged = stack.merged();
        let result = std::panic::catch_unwind(|| {
            let _guard = MountGuard::new(&merged);
            ch04_layers::mount_overlay(&stack.layers(2), &merged, ch04_layers::MountApi::Legacy)
                .expect("mount");
            assert!(is_mount_point(&merged));
            panic!("an iteration fails while mounted");
        });
        assert!(result.is_err());
        assert!(!is_mount_point(&merged), "the guard unmounted it");
        drop(stack);
        assert!(
            !tmpfs.exists(),
            "the tmpfs is unmounted and its mount point removed"
        );
    }
}
