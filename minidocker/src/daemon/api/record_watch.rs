//! Waiting for a container's record to change: a request that waits for a container to
//! start, end or go (`start`, `wait`, `stop`, `rm`, `attach`, `logs -f`) sleeps until
//! something changes instead of looking again every few milliseconds.
//!
//! The record is written by another process (the container's shim) by rename(2) over the
//! old file ([`crate::atomic`]), so an inotify(7) watch on the directory hears of each new
//! version as `IN_MOVED_TO`; the removal of the container as `IN_MOVE_SELF` (its directory
//! renamed into the trash, `trash.rs`), or `IN_DELETE_SELF`. Nothing else of the directory is
//! watched: every save makes, closes and deletes a temporary file and closes the record's lock
//! (`IN_CREATE`, `IN_CLOSE_WRITE`, `IN_DELETE`), a record appears only by a rename, and every
//! event is a wake-up of every waiter, on the CPU the shim and the container need at that
//! moment. Output written to the log is `IN_MODIFY`, heard only by
//! the waiters that forward it (`attach`, `logs -f`): a container that writes a lot would
//! wake every other waiter for each line. What is not a file a waiter hears by a file
//! descriptor too: the daemon's own note that a container's shim has ended rings an
//! eventfd(2) ([`Bells`]), and the end of a process (the shim a `start` waits for) makes its
//! pidfd readable. What none of them tells (a process that died with nobody to record it) a
//! waiter finds by looking again after [`POLL`]; without inotify (no watch could be added)
//! that timeout, growing from 1 ms, is all there is.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::eventfd::{EfdFlags, EventFd};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

/// The longest a waiter sleeps before it looks again.
pub(super) const POLL: Duration = Duration::from_millis(20);

// ANCHOR: record_watch
/// A waiter on the directory of one container.
#[derive(Debug)]
pub(super) struct RecordWatch {
    /// `None`: no watch (the directory is gone, or inotify is out of watches): timeouts only.
    inotify: Option<Inotify>,
    /// Rung when the daemon notes that the container's shim has ended
    /// ([`RecordWatch::hearing_shim_end`]).
    bell: Option<Arc<EventFd>>,
    /// A pidfd of a process the waiter looks at, readable once it has ended
    /// ([`RecordWatch::hearing_exit_of`]); dropped once heard.
    process: Option<ch02_namespaces::PidFd>,
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
                AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_DELETE_SELF | AddWatchFlags::IN_MOVE_SELF,
            )?;
            Ok(inotify)
        };
        let inotify = watched().ok();
        RecordWatch {
            // with a watch, the timeout is for what no event tells
            next_timeout: match inotify {
                Some(_) => POLL,
                None => Duration::from_millis(1),
            },
            inotify,
            bell: None,
            process: None,
        }
    }

    /// Also wakes for every write to a file in the directory (the container's log): for the
    /// waiters that forward its output as it comes.
    pub(super) fn hearing_log_writes(self, dir: &Path) -> RecordWatch {
        if let Some(inotify) = &self.inotify {
            let added = inotify.add_watch(
                dir,
                AddWatchFlags::IN_MODIFY | AddWatchFlags::from_bits_retain(libc::IN_MASK_ADD),
            );
            if let Err(e) = added {
                tracing::debug!(dir = %dir.display(), error = %e, "watching for log writes");
            }
        }
        self
    }

    /// Also wakes when the daemon notes that container `id`'s shim has ended (`ended`).
    pub(super) fn hearing_shim_end(mut self, bells: &Bells, id: &str) -> RecordWatch {
        self.bell = bells.bell(id);
        self
    }

    /// Also wakes when process `pid` has ended (a pidfd, pidfd_open(2)); once, the caller
    /// is expected to look and stop waiting for it.
    pub(super) fn hearing_exit_of(mut self, pid: u32) -> RecordWatch {
        let pid = nix::unistd::Pid::from_raw(pid as i32);
        self.process = ch02_namespaces::PidFd::open(pid).ok();
        self
    }

    /// Sleeps until something the waiter hears of happens or the timeout has passed
    /// ([`POLL`]; without a watch 1 ms, twice as long each time up to [`POLL`]); what woke it
    /// is read and dropped, the caller looks itself. Events that change nothing a waiter
    /// reads ([`worth_a_look`]) do not end the wait: of the two renames of a save, one is
    /// the new record.
    pub(super) fn wait(&mut self) {
        let timeout = self.next_timeout;
        self.next_timeout = (self.next_timeout * 2).min(POLL);
        if self.inotify.is_none() && self.bell.is_none() && self.process.is_none() {
            std::thread::sleep(timeout);
            return;
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // rounded up: a timeout of 0 would make this a busy loop for its last millisecond
            let millis = u16::try_from(left.as_micros().div_ceil(1000)).unwrap_or(u16::MAX);
            let sources = [
                self.inotify.as_ref().map(|i| i.as_fd()),
                self.bell.as_ref().map(|b| b.as_fd()),
                self.process.as_ref().map(|p| p.as_fd()),
            ];
            let mut fds: Vec<PollFd> = sources
                .iter()
                .flatten()
                .map(|fd| PollFd::new(*fd, PollFlags::POLLIN))
                .collect();
            match poll(&mut fds, PollTimeout::from(millis)) {
                Ok(0) => return,
                Ok(_) => {}
                Err(_) => {
                    std::thread::sleep(left);
                    return;
                }
            }
            // which of the three is readable (a source not there is not)
            let mut polled = fds.iter().map(|fd| fd.any().unwrap_or(false));
            let [inotify_ready, bell_ready, exited] =
                sources.map(|source| source.is_some() && polled.next() == Some(true));
            drop(fds);
            let inotify_changed = inotify_ready && self.inotify.as_ref().is_some_and(drain_for_a_change);
            // (read back to zero: the next note rings it again)
            let rung = bell_ready && self.bell.as_ref().is_some_and(|bell| bell.read().is_ok());
            if exited {
                self.process = None; // readable from now on: heard once
            }
            if inotify_changed || rung || exited {
                return;
            }
        }
    }
}

/// The eventfd(2)s of the waiters to ring when something that is not a file happens to a
/// container (the daemon notes that its shim has ended, [`super::lifecycle::EndedShims`]): one per
/// waiter, as one read of an eventfd would hide the ring from every other.
#[derive(Debug, Clone, Default)]
pub struct Bells(Arc<Mutex<HashMap<String, Vec<Weak<EventFd>>>>>);

impl Bells {
    /// A new bell for container `id`, rung by [`Bells::ring`] until dropped. `None` if no
    /// eventfd could be made (the waiter then looks again after its timeout).
    fn bell(&self, id: &str) -> Option<Arc<EventFd>> {
        let bell = Arc::new(EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK).ok()?);
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        // the bells of waiters that are gone go now
        all.retain(|_, bells| {
            bells.retain(|b| b.strong_count() > 0);
            !bells.is_empty()
        });
        all.entry(id.to_owned()).or_default().push(Arc::downgrade(&bell));
        Some(bell)
    }

    /// Rings every bell of container `id`.
    pub(super) fn ring(&self, id: &str) {
        let all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for bell in all.get(id).into_iter().flatten().filter_map(Weak::upgrade) {
            let _ = bell.write(1);
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
        changed |= events.iter().any(|e| worth_a_look(e.name.as_deref()));
    }
    changed
}

// ANCHOR: worth_a_look
/// Whether an event in a container's directory may have changed what a waiter reads. Not a
/// rename of an atomic write's temporary file (`.tmp…`, [`crate::atomic::TEMP_PREFIX`]:
/// exchanged for the old version, it becomes the record only by the rename whose event names
/// the record; the old version takes its name). Events of the directory itself (no name),
/// and of the log a follower watches, always.
fn worth_a_look(name: Option<&OsStr>) -> bool {
    name.is_none_or(|name| !name.as_bytes().starts_with(crate::atomic::TEMP_PREFIX.as_bytes()))
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
        let changed = dir.path().to_owned();
        assert_not_heard(RecordWatch::new(dir.path()), move || {
            // what a save does besides its rename: a temporary file made, written, closed and
            // deleted; the lock file opened for writing and closed
            let tmp = changed.join(format!("{}XyZ123", crate::atomic::TEMP_PREFIX));
            std::fs::write(&tmp, "{}").unwrap();
            std::fs::remove_file(&tmp).unwrap();
            let lock = changed.join(crate::container::RECORD_LOCK);
            drop(std::fs::File::options().write(true).open(&lock).unwrap());
        });
    }

    /// Asserts that `change`, made 20 ms into a wait of `watch` whose timeout is 300 ms, does
    /// not end it: poll(2) ends no sooner than its timeout unless something woke it.
    fn assert_not_heard(mut watch: RecordWatch, change: impl FnOnce() + Send + 'static) {
        let timeout = Duration::from_millis(300);
        watch.next_timeout = timeout;
        let changer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            change();
        });
        let began = Instant::now();
        watch.wait();
        changer.join().unwrap();
        assert!(began.elapsed() >= timeout, "woken after {:?}", began.elapsed());
    }

    #[test]
    fn the_daemons_note_of_a_shims_end_rings_the_watches_of_that_container() {
        let dir = tempfile::tempdir().unwrap();
        let bells = Bells::default();
        let mut watch = RecordWatch::new(dir.path()).hearing_shim_end(&bells, "abc");
        watch.next_timeout = Duration::from_secs(3600);
        let ringer = bells.clone();
        let ringing = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            ringer.ring("abc");
        });
        let began = Instant::now();
        watch.wait();
        ringing.join().unwrap();
        assert!(began.elapsed() < Duration::from_secs(10), "{:?}", began.elapsed());
        // read back to zero: the same ring does not wake the next wait
        let other = bells.clone();
        assert_not_heard(watch, move || other.ring("another container"));
    }

    #[test]
    fn a_dropped_watchs_bell_goes_from_the_list() {
        let dir = tempfile::tempdir().unwrap();
        let bells = Bells::default();
        let count = |bells: &Bells| bells.0.lock().unwrap().values().map(Vec::len).sum::<usize>();
        let first = RecordWatch::new(dir.path()).hearing_shim_end(&bells, "abc");
        let second = RecordWatch::new(dir.path()).hearing_shim_end(&bells, "def");
        assert_eq!(count(&bells), 2);
        drop(first);
        let third = RecordWatch::new(dir.path()).hearing_shim_end(&bells, "def");
        assert_eq!(
            count(&bells),
            2,
            "the dropped one's bell went as the next was made"
        );
        bells.ring("abc"); // nobody left to ring: nothing happens
        drop((second, third));
    }

    #[test]
    fn the_end_of_a_process_ends_the_wait_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("sleep").arg("0.05").spawn().unwrap();
        let mut watch = RecordWatch::new(dir.path()).hearing_exit_of(child.id());
        assert!(watch.process.is_some());
        watch.next_timeout = Duration::from_secs(3600);
        let began = Instant::now();
        watch.wait();
        assert!(began.elapsed() < Duration::from_secs(10), "{:?}", began.elapsed());
        assert!(watch.process.is_none(), "heard once: its pidfd stays readable");
        child.wait().unwrap();
    }

    #[test]
    fn log_writes_are_heard_only_by_a_watch_that_asks_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("abc-json.log");
        std::fs::write(&log, "").unwrap();
        let append = |log: std::path::PathBuf| {
            move || {
                use std::io::Write;
                let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
                file.write_all(b"{\"log\":\"hi\\n\"}\n").unwrap();
            }
        };
        assert_not_heard(RecordWatch::new(dir.path()), append(log.clone()));
        let mut following = RecordWatch::new(dir.path()).hearing_log_writes(dir.path());
        let path = dir.path().to_owned();
        following.next_timeout = Duration::from_secs(3600);
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            append(path.join("abc-json.log"))();
        });
        let began = Instant::now();
        following.wait();
        writer.join().unwrap();
        assert!(began.elapsed() < Duration::from_secs(10), "{:?}", began.elapsed());
    }

    #[test]
    fn which_events_are_worth_a_look() {
        let name = |n: &str| Some(OsStr::new(n).to_owned());
        let cases = [
            (name("config.v2.json"), true),
            (name("abc-json.log"), true),
            (name(".tmpAbC123"), false),
            (None, true),
        ];
        for (name, expected) in cases {
            assert_eq!(worth_a_look(name.as_deref()), expected, "{name:?}");
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
