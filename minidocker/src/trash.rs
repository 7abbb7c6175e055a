//! Deferred deletion: a removed container's directories leave their place with one rename(2)
//! each and are deleted file by file later, off the path of the request that removed them.
//!
//! ```text
//!  rm <id>   containers/<id>/            ──rename──▶ trash/<n>-<id>/   ─┐ a background thread
//!            overlay2/<id>/, <id>-init/  ──rename──▶ trash/<n>-…/       ├ (one per process)
//!                                                                       ┘ deletes them
//! ```
//!
//! `docker run --rm` waits until its container is removed, and deleting the ~45 files and
//! directories a container leaves (its record, its two layers) one by one was a tenth of a
//! `run --rm busybox true` here. A rename makes the container gone for every reader at once;
//! the files follow a moment later, deleted by a thread at idle priority (`idle.rs`). The trash is `<data-root>/trash`, on the same file system
//! as what it receives (a rename cannot cross file systems: then the directory is deleted at
//! once, as before). What a process could not delete before it ended (a crash, a CLI that
//! exited) is deleted by the next one that empties the trash: the daemon empties it at start.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Sender, channel};

/// The trash of one data root.
#[derive(Debug, Clone)]
pub struct Trash {
    dir: PathBuf,
}

/// Makes each name in the trash unique within this process (the pid makes it unique
/// between processes).
static NEXT: AtomicU64 = AtomicU64::new(0);

impl Trash {
    /// The trash of `data_root`: `<data-root>/trash` (made when first needed).
    pub fn of(data_root: &Path) -> Trash {
        Trash {
            dir: data_root.join("trash"),
        }
    }

    /// The trash directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    // ANCHOR: discard
    /// Takes `path` (a directory or a file) out of its place now and deletes it in the
    /// background. Where it cannot be renamed into the trash (another file system), it is
    /// deleted before this returns. A `path` that does not exist is not an error.
    pub fn discard(&self, path: &Path) -> std::io::Result<()> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            // anything else unreadable: the rename, or the deletion after it, says why
            _ => {}
        }
        let name = path
            .file_name()
            .map_or_else(|| "x".into(), |n| n.to_string_lossy());
        let unique = NEXT.fetch_add(1, Ordering::Relaxed);
        let target = self.dir.join(format!("{}-{unique}-{name}", std::process::id()));
        let renamed = std::fs::create_dir_all(&self.dir).and_then(|()| std::fs::rename(path, &target));
        match renamed {
            Ok(()) => {
                self.empty_later();
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            // EXDEV (a directory mounted from elsewhere), EACCES…: delete it in place
            Err(_) => remove_any(path),
        }
    }
    // ANCHOR_END: discard

    /// Deletes everything in the trash now; what cannot be deleted stays for the next try.
    pub fn empty(&self) {
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if let Err(e) = remove_any(&path) {
                tracing::warn!(path = %path.display(), error = %e, "emptying the trash");
            }
        }
    }

    /// Whether anything waits in the trash to be deleted.
    pub fn is_empty(&self) -> bool {
        std::fs::read_dir(&self.dir).map_or(true, |mut entries| entries.next().is_none())
    }

    /// Asks this process's collector thread (started on first use) to empty the trash.
    pub fn empty_later(&self) {
        static COLLECTOR: Mutex<Option<Sender<Trash>>> = Mutex::new(None);
        let mut collector = COLLECTOR
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(sender) = collector.as_ref() {
            if sender.send(self.clone()).is_ok() {
                return;
            }
        }
        let (sender, receiver) = channel::<Trash>();
        // nobody waits for the deletion: it takes only CPU time nothing else wants
        let spawned = crate::idle::spawn_idle("trash", move || {
            while let Ok(trash) = receiver.recv() {
                // requests that came meanwhile are served by this pass
                while receiver.try_recv().is_ok() {}
                trash.empty();
            }
        });
        match spawned {
            Ok(_) => {
                let _ = sender.send(self.clone());
                *collector = Some(sender);
            }
            // no thread to be had: delete it now rather than keep it
            Err(_) => self.empty(),
        }
    }
}

/// Deletes `path`, a directory tree or anything else; gone already is fine.
fn remove_any(path: &Path) -> std::io::Result<()> {
    let removed = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) => Err(e),
    };
    match removed {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn tree(at: &Path) {
        std::fs::create_dir_all(at.join("diff/etc")).unwrap();
        std::fs::write(at.join("diff/etc/hosts"), "127.0.0.1 localhost\n").unwrap();
        std::fs::write(at.join("link"), "ABC").unwrap();
    }

    fn wait_until_empty(trash: &Trash) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if trash.is_empty() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn a_discarded_directory_is_gone_at_once_and_deleted_soon() {
        let root = tempfile::tempdir().unwrap();
        let layer = root.path().join("overlay2/abc");
        tree(&layer);
        let trash = Trash::of(root.path());
        trash.discard(&layer).unwrap();
        assert!(!layer.exists(), "still in its place");
        assert!(wait_until_empty(&trash), "the trash was not emptied");
        assert!(root.path().join("overlay2").is_dir(), "its parent stays");
    }

    #[test]
    fn discarding_what_is_not_there_is_not_an_error() {
        let root = tempfile::tempdir().unwrap();
        let trash = Trash::of(root.path());
        trash.discard(&root.path().join("containers/nope")).unwrap();
        assert!(!trash.dir().exists(), "no trash made for nothing");
    }

    #[test]
    fn the_same_name_discarded_twice_does_not_collide() {
        let root = tempfile::tempdir().unwrap();
        let trash = Trash::of(root.path());
        let dir = root.path().join("containers/same");
        for _ in 0..3 {
            tree(&dir);
            trash.discard(&dir).unwrap();
            assert!(!dir.exists());
        }
        assert!(wait_until_empty(&trash));
    }

    #[test]
    fn empty_deletes_what_an_earlier_process_left() {
        let root = tempfile::tempdir().unwrap();
        let trash = Trash::of(root.path());
        tree(&trash.dir().join("1-0-left-by-a-crash"));
        std::fs::write(trash.dir().join("a-file"), "x").unwrap();
        assert!(!trash.is_empty());
        trash.empty();
        assert!(trash.is_empty());
        assert!(trash.dir().is_dir(), "the trash itself stays");
    }
}
