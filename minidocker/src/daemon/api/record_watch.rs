//! Waiting for a container's record to change: a request that waits for a container to
//! start, end or go (`start`, `wait`, `stop`, `rm`) sleeps until something changes in the
//! container's directory instead of looking again every few milliseconds.
//!
//! The record is written by another process (the container's shim) by rename(2) over the
//! old file ([`crate::atomic`]), so an inotify(7) watch on the directory hears of each new
//! version as `IN_MOVED_TO`; the shim's end as `IN_CLOSE_WRITE` of its lock; the removal of
//! the container as `IN_MOVE_SELF` (its directory renamed into the trash, `trash.rs`), or
//! `IN_DELETE` and `IN_DELETE_SELF`. (Not `IN_MODIFY`: a container that
//! writes a lot would wake every waiter for each line of its log.) Not everything a waiter looks at is a
//! file (whether a process is alive is not), so each wait also ends after a timeout that
//! grows from 1 ms to [`POLL`]: without inotify (no watch could be added) that timeout alone
//! is what it was before, a poll with a back-off.

use std::os::fd::AsFd;
use std::path::Path;
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

/// The longest a waiter sleeps before it looks again.
pub(super) const POLL: Duration = Duration::from_millis(20);

// ANCHOR: record_watch
/// A waiter on the directory of one container.
#[derive(Debug)]
pub(super) struct RecordWatch {
    /// `None`: no watch (the directory is gone, or inotify is out of watches): timeouts only.
    inotify: Option<Inotify>,
    next_timeout: Duration,
}

impl RecordWatch {
    /// Watches `dir` (a container's directory) from now on: a change made between this call
    /// and the next [`RecordWatch::wait`] ends that wait at once.
    pub(super) fn new(dir: &Path) -> RecordWatch {
        let watched = || -> nix::Result<Inotify> {
            let inotify = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK)?;
            inotify.add_watch(
                dir,
                AddWatchFlags::IN_MOVED_TO
                    | AddWatchFlags::IN_CREATE
                    | AddWatchFlags::IN_CLOSE_WRITE
                    | AddWatchFlags::IN_DELETE
                    | AddWatchFlags::IN_DELETE_SELF
                    | AddWatchFlags::IN_MOVE_SELF,
            )?;
            Ok(inotify)
        };
        RecordWatch {
            inotify: watched().ok(),
            next_timeout: Duration::from_millis(1),
        }
    }

    /// Sleeps until the directory changes or the timeout has passed (1 ms, twice as long each
    /// time, at most [`POLL`]); what woke it is read and dropped, the caller looks itself.
    /// After a change the timeout is 1 ms again: what follows a file's change is often not a
    /// file's (the daemon's own note that the shim has ended, after its lock's close).
    pub(super) fn wait(&mut self) {
        let timeout = self.next_timeout;
        self.next_timeout = (self.next_timeout * 2).min(POLL);
        let Some(inotify) = &self.inotify else {
            std::thread::sleep(timeout);
            return;
        };
        let millis = u16::try_from(timeout.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::from(millis)) {
            // drained: a non-blocking read(2) of every queued event
            Ok(n) if n > 0 => {
                while inotify.read_events().is_ok_and(|events| !events.is_empty()) {}
                self.next_timeout = Duration::from_millis(1);
            }
            Ok(_) => {}
            Err(_) => std::thread::sleep(timeout),
        }
    }
}

/// Closing an inotify instance that has a watch is slow: the kernel waits for a grace period
/// of the SRCU that guards its marks (`fsnotify_destroy_group`), 10 to 20 ms here, and a
/// waiter's answer (the end of `wait`, `start`'s 204) would go out only after it. The close
/// is left to a thread of its own.
impl Drop for RecordWatch {
    fn drop(&mut self) {
        if let Some(inotify) = self.inotify.take() {
            let closing = std::thread::Builder::new().name("inotify-close".into());
            if let Err(e) = closing.spawn(move || drop(inotify)) {
                tracing::debug!(error = %e, "closing an inotify instance here");
            }
        }
    }
}
// ANCHOR_END: record_watch

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    /// Asserts that `change`, made 50 ms into a wait on `dir` whose timeout is an hour, ends
    /// that wait well before poll(2)'s longest timeout (65 s) would.
    fn assert_heard(dir: &Path, change: impl FnOnce() + Send + 'static) {
        let mut watch = RecordWatch::new(dir);
        watch.next_timeout = Duration::from_secs(3600);
        let changer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            change();
        });
        let began = Instant::now();
        watch.wait();
        assert!(began.elapsed() < Duration::from_secs(10), "{:?}", began.elapsed());
        changer.join().unwrap();
    }

    #[test]
    fn a_new_record_ends_the_wait_before_the_timeout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.v2.json");
        assert_heard(dir.path(), move || {
            crate::atomic::write_atomic(&path, b"{}", crate::atomic::Durability::Synced).unwrap();
        });
    }

    #[test]
    fn the_directory_renamed_into_the_trash_ends_the_wait() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("containers/abc");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.v2.json"), "{}").unwrap();
        // the rename alone, as `Trash::discard` does before its thread deletes anything
        let trashed = root.path().join("trash-abc");
        let watched = dir.clone();
        assert_heard(&watched, move || std::fs::rename(&dir, &trashed).unwrap());
    }

    /// The inotify instances this process has open (`/proc/self/fd` links to them).
    fn open_inotify_fds() -> usize {
        std::fs::read_dir("/proc/self/fd")
            .unwrap()
            .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
            .filter(|target| target.to_string_lossy() == "anon_inode:inotify")
            .count()
    }

    #[test]
    fn a_dropped_watch_is_closed_by_its_own_thread() {
        let dir = tempfile::tempdir().unwrap();
        let before = open_inotify_fds();
        let watch = RecordWatch::new(dir.path());
        assert!(watch.inotify.is_some());
        assert_eq!(open_inotify_fds(), before + 1);
        drop(watch);
        let deadline = Instant::now() + Duration::from_secs(30);
        while open_inotify_fds() > before {
            assert!(Instant::now() < deadline, "the inotify fd was never closed");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn the_removal_of_the_directory_ends_the_wait() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("c");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("f"), "x").unwrap();
        let mut watch = RecordWatch::new(&dir);
        watch.next_timeout = Duration::from_secs(3600);
        let removed = dir.clone();
        let remover = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            std::fs::remove_dir_all(&removed).unwrap();
        });
        watch.wait();
        remover.join().unwrap();
    }

    #[test]
    fn without_a_directory_it_waits_the_timeout_and_grows_it() {
        let mut watch = RecordWatch::new(Path::new("/nonexistent/minidocker-record-watch"));
        assert!(watch.inotify.is_none());
        let began = Instant::now();
        watch.wait();
        watch.wait();
        assert!(began.elapsed() >= Duration::from_millis(3));
        assert_eq!(watch.next_timeout, Duration::from_millis(4));
    }
}
