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

use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::{Duration, Instant};

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
    /// Events that change nothing a waiter reads ([`worth_a_look`]) do not end the wait: a
    /// save of the record is six events, one of which is the new record.
    pub(super) fn wait(&mut self) {
        let timeout = self.next_timeout;
        self.next_timeout = (self.next_timeout * 2).min(POLL);
        let Some(inotify) = &self.inotify else {
            std::thread::sleep(timeout);
            return;
        };
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // rounded up: a timeout of 0 would make this a busy loop for its last millisecond
            let millis = u16::try_from(left.as_micros().div_ceil(1000)).unwrap_or(u16::MAX);
            let mut fds = [PollFd::new(inotify.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, PollTimeout::from(millis)) {
                Ok(n) if n > 0 => {
                    if drain_for_a_change(inotify) {
                        self.next_timeout = Duration::from_millis(1);
                        return;
                    }
                }
                Ok(_) => return,
                Err(_) => {
                    std::thread::sleep(left);
                    return;
                }
            }
        }
    }
}

/// Reads every queued event (a non-blocking read(2) until none is left); whether one of
/// them may have changed what a waiter reads.
fn drain_for_a_change(inotify: &Inotify) -> bool {
    let mut changed = false;
    while let Ok(events) = inotify.read_events() {
        if events.is_empty() {
            break;
        }
        changed |= events.iter().any(|e| worth_a_look(e.mask, e.name.as_deref()));
    }
    changed
}

// ANCHOR: worth_a_look
/// Whether an event in a container's directory may have changed what a waiter reads. Not
/// those of an atomic write's temporary file (`.tmp…`, [`crate::atomic::TEMP_PREFIX`]:
/// created, written, closed, exchanged and deleted, it becomes the record only by the
/// rename whose event names the record), nor the close of the record's lock after each
/// save ([`crate::container::RECORD_LOCK`]). Events of the directory itself (no name) always.
fn worth_a_look(mask: AddWatchFlags, name: Option<&OsStr>) -> bool {
    let Some(name) = name else {
        return true;
    };
    let name = name.as_bytes();
    if name.starts_with(crate::atomic::TEMP_PREFIX.as_bytes()) {
        return false;
    }
    !(name == crate::container::RECORD_LOCK.as_bytes() && mask.contains(AddWatchFlags::IN_CLOSE_WRITE))
}
// ANCHOR_END: worth_a_look

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
    fn a_record_exchanged_for_the_old_one_ends_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.v2.json");
        std::fs::write(&path, "{}").unwrap();
        // a --rm container's save: renameat2(2) RENAME_EXCHANGE, then the old version deleted
        assert_heard(dir.path(), move || {
            crate::atomic::write_atomic(&path, b"{\"a\":1}", crate::atomic::Durability::Volatile).unwrap();
        });
    }

    #[test]
    fn a_temporary_file_and_the_record_lock_do_not_end_the_wait() {
        let dir = tempfile::tempdir().unwrap();
        // made with the container's directory
        std::fs::write(dir.path().join(crate::container::RECORD_LOCK), "").unwrap();
        let mut watch = RecordWatch::new(dir.path());
        let timeout = Duration::from_millis(300);
        watch.next_timeout = timeout;
        let changed = dir.path().to_owned();
        let changer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            // what a save does besides its rename: a temporary file made, written, closed and
            // deleted; the lock file opened for writing and closed
            let tmp = changed.join(format!("{}XyZ123", crate::atomic::TEMP_PREFIX));
            std::fs::write(&tmp, "{}").unwrap();
            std::fs::remove_file(&tmp).unwrap();
            let lock = changed.join(crate::container::RECORD_LOCK);
            drop(std::fs::File::options().write(true).open(&lock).unwrap());
        });
        let began = Instant::now();
        watch.wait();
        changer.join().unwrap();
        // poll(2) ends no sooner than its timeout unless an event was worth a look
        assert!(began.elapsed() >= timeout, "woken after {:?}", began.elapsed());
    }

    #[test]
    fn which_events_are_worth_a_look() {
        let name = |n: &str| Some(OsStr::new(n).to_owned());
        let cases = [
            (AddWatchFlags::IN_MOVED_TO, name("config.v2.json"), true),
            (AddWatchFlags::IN_CLOSE_WRITE, name("shim.lock"), true),
            (AddWatchFlags::IN_CREATE, name("record.lock"), true),
            (AddWatchFlags::IN_CLOSE_WRITE, name("record.lock"), false),
            (AddWatchFlags::IN_CREATE, name(".tmpAbC123"), false),
            (AddWatchFlags::IN_MOVED_TO, name(".tmpAbC123"), false),
            (AddWatchFlags::IN_DELETE, name(".tmpAbC123"), false),
            (AddWatchFlags::IN_MOVE_SELF, None, true),
            (AddWatchFlags::IN_DELETE_SELF, None, true),
        ];
        for (mask, name, expected) in cases {
            assert_eq!(worth_a_look(mask, name.as_deref()), expected, "{mask:?} {name:?}");
        }
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
