//! A spare shim: started before its container is known, so that a container's start does
//! not wait for the shim's own.
//!
//! Starting a shim is an execve(2) of the whole `minidocker` binary: the dynamic loader, the
//! C library's and the standard library's start, the command line parsed. That is 1.5 to 2 ms
//! before the shim does anything for its container, and it was on the path of every start.
//! So the daemon keeps one shim started ahead, `minidocker spare-shim`, its child like any
//! shim, waiting on a unix socket (its stdin) for a container. A start takes it, sends it the
//! container's id and the shim's log as its stderr (`SCM_RIGHTS`, unix(7)), and from there
//! it is that container's shim exactly as if it had been spawned for it (`shim::run`); the
//! daemon starts the next spare once the container runs. A start that finds no spare ready
//! (two at once, or the spare died) spawns its shim as before.
//!
//! A spare is started at idle priority (`idle.rs`): its own start-up, ~2 ms of CPU, then
//! takes only time nothing else wants, not the time of the container that just started or of
//! its removal. The daemon raises it to the normal policy as it hands it a container, and the
//! shim makes sure of it before it starts anything.
//!
//! ```text
//!  daemon ──spawn──▶ minidocker spare-shim ··· waits on fd 0 (a socketpair(2) end)
//!    │ start of c1: sendmsg("c1", [SCM_RIGHTS: shim.log])
//!    ▼                  └──▶ stderr = shim.log, stdin = /dev/null, then shim::run(c1)
//!  daemon ──spawn──▶ minidocker spare-shim ··· the next one, once c1 runs
//! ```
//!
//! A spare whose daemon ends reads end-of-file and exits, having done nothing.

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockFlag, SockType, recvmsg, sendmsg,
    socketpair,
};

/// The longest container id a spare accepts: a full id is 64 hex characters.
const MAX_ID_LEN: usize = 128;

/// A shim started ahead, and the daemon's end of its socket.
#[derive(Debug)]
struct Spare {
    child: Child,
    socket: OwnedFd,
}

/// The daemon's spare shim, if one is ready.
#[derive(Debug, Default)]
pub struct SpareShims {
    ready: Mutex<Option<Spare>>,
    /// A refill is spawning a spare now (without holding `ready`: a start must not wait
    /// for a spawn at idle priority).
    refilling: AtomicBool,
}

// ANCHOR: spare_daemon
impl SpareShims {
    /// Start a spare with `command` (`minidocker spare-shim` for this daemon's data root),
    /// unless one is ready already or on its way. Its stdin becomes its end of a new socket
    /// pair. Called on a thread at idle priority, it starts the spare at idle priority.
    pub fn refill(&self, command: Command) -> std::io::Result<()> {
        if self.refilling.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let result = self.spawn_unless_ready(command).map(|spare| {
            if let Some(spare) = spare {
                *self.ready.lock().unwrap_or_else(|e| e.into_inner()) = Some(spare);
            }
        });
        self.refilling.store(false, Ordering::Release);
        result
    }

    fn spawn_unless_ready(&self, mut command: Command) -> std::io::Result<Option<Spare>> {
        if self.ready.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
            return Ok(None);
        }
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        let child = command.stdin(Stdio::from(theirs)).spawn()?;
        Ok(Some(Spare { child, socket: ours }))
    }

    /// Hand the ready spare container `id` and `stderr` (its shim log): the spare is then
    /// that container's shim, at the normal priority, and its process is returned. `None` if
    /// no spare is ready or the one there could not take it (it died: it is reaped here).
    pub fn assign(&self, id: &str, stderr: BorrowedFd<'_>) -> Option<Child> {
        let Spare { mut child, socket } = self.ready.lock().unwrap_or_else(|e| e.into_inner()).take()?;
        if let Err(e) = crate::idle::leave_idle(child.id() as libc::pid_t) {
            // the shim raises itself too; it must not be slow to take its container
            tracing::debug!(error = %e, "raising the spare shim to the normal policy");
        }
        match send_assignment(socket.as_fd(), id, stderr) {
            Ok(()) => Some(child),
            Err(e) => {
                tracing::warn!(error = %e, "the spare shim did not take container {id}");
                let _ = child.kill();
                let _ = child.wait();
                None
            }
        }
    }
}
// ANCHOR_END: spare_daemon

/// Sends container `id` and the descriptor `stderr` over `socket`, in one message.
pub fn send_assignment(socket: BorrowedFd<'_>, id: &str, stderr: BorrowedFd<'_>) -> Result<(), Errno> {
    if id.is_empty() || id.len() > MAX_ID_LEN {
        return Err(Errno::EINVAL);
    }
    let fds = [stderr.as_raw_fd()];
    let payload = [IoSlice::new(id.as_bytes())];
    let rights = [ControlMessage::ScmRights(&fds)];
    sendmsg::<()>(
        socket.as_raw_fd(),
        &payload,
        &rights,
        MsgFlags::MSG_NOSIGNAL,
        None,
    )?;
    Ok(())
}

/// What a spare is given: its container and its stderr.
#[derive(Debug)]
pub struct Assignment {
    pub id: String,
    pub stderr: OwnedFd,
}

// ANCHOR: spare_wait
/// Waits on `socket` for the spare's container (recvmsg(2)): `Ok(None)` when the daemon
/// closed its end without sending one.
pub fn receive_assignment(socket: BorrowedFd<'_>) -> anyhow::Result<Option<Assignment>> {
    let mut id = [0u8; MAX_ID_LEN + 1];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let (bytes, stderr) = loop {
        let mut payload = [IoSliceMut::new(&mut id)];
        match recvmsg::<()>(
            socket.as_raw_fd(),
            &mut payload,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(message) => {
                let mut stderr = None;
                for cmsg in message.cmsgs()? {
                    if let ControlMessageOwned::ScmRights(fds) = cmsg {
                        for fd in fds {
                            // SAFETY: the kernel just installed `fd` in our table for this
                            // message; nothing else owns it. Extra ones close when dropped.
                            stderr.get_or_insert(unsafe { OwnedFd::from_raw_fd(fd) });
                        }
                    }
                }
                break (message.bytes, stderr);
            }
            Err(Errno::EINTR) => continue,
            Err(e) => anyhow::bail!("waiting for a container (recvmsg(2) on stdin): {e}"),
        }
    };
    if bytes == 0 {
        return Ok(None);
    }
    let id = std::str::from_utf8(&id[..bytes])
        .ok()
        .filter(|id| bytes <= MAX_ID_LEN && !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or_else(|| anyhow::anyhow!("the daemon sent a spare shim an invalid container id"))?;
    let stderr = stderr.ok_or_else(|| anyhow::anyhow!("the daemon sent container {id} without a log"))?;
    Ok(Some(Assignment {
        id: id.to_owned(),
        stderr,
    }))
}
// ANCHOR_END: spare_wait

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, Write};

    fn pair() -> (OwnedFd, OwnedFd) {
        socketpair(
            AddressFamily::Unix,
            SockType::SeqPacket,
            None,
            SockFlag::SOCK_CLOEXEC,
        )
        .unwrap()
    }

    #[test]
    fn the_id_and_the_open_file_arrive_together() {
        let (daemon, spare) = pair();
        let mut log = tempfile::tempfile().unwrap();
        send_assignment(daemon.as_fd(), "c0ffee", log.as_fd()).unwrap();
        let got = receive_assignment(spare.as_fd()).unwrap().expect("an assignment");
        assert_eq!(got.id, "c0ffee");
        // the same open file, not a copy of the number: written through one, read in the other
        std::fs::File::from(got.stderr)
            .write_all(b"from the shim")
            .unwrap();
        let mut text = String::new();
        log.rewind().unwrap();
        log.read_to_string(&mut text).unwrap();
        assert_eq!(text, "from the shim");
    }

    #[test]
    fn a_closed_daemon_end_is_no_assignment() {
        let (daemon, spare) = pair();
        drop(daemon);
        assert!(receive_assignment(spare.as_fd()).unwrap().is_none());
    }

    #[test]
    fn ids_that_are_no_container_ids_are_refused() {
        let log = tempfile::tempfile().unwrap();
        let (daemon, _spare) = pair();
        assert_eq!(
            send_assignment(daemon.as_fd(), "", log.as_fd()),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            send_assignment(daemon.as_fd(), &"a".repeat(MAX_ID_LEN + 1), log.as_fd()),
            Err(Errno::EINVAL)
        );
        // what a spare does with one sent anyway (not by our daemon): an error, no shim
        let (daemon, spare) = pair();
        let fds = [log.as_raw_fd()];
        let rights = [ControlMessage::ScmRights(&fds)];
        let payload = [IoSlice::new(b"../../etc")];
        sendmsg::<()>(daemon.as_raw_fd(), &payload, &rights, MsgFlags::empty(), None).unwrap();
        let err = receive_assignment(spare.as_fd()).unwrap_err().to_string();
        assert!(err.contains("invalid container id"), "{err}");
        // and an id without its log
        let (daemon, spare) = pair();
        sendmsg::<()>(
            daemon.as_raw_fd(),
            &[IoSlice::new(b"abc")],
            &[],
            MsgFlags::empty(),
            None,
        )
        .unwrap();
        let err = receive_assignment(spare.as_fd()).unwrap_err().to_string();
        assert!(err.contains("without a log"), "{err}");
    }

    #[test]
    fn a_ready_spare_is_taken_once_and_a_dead_one_is_not_used() {
        let spares = SpareShims::default();
        // `cat` stands in for the spare: it reads its stdin (the socket) until the end
        let log = tempfile::tempfile().unwrap();
        assert!(spares.assign("abc", log.as_fd()).is_none(), "none started yet");
        let mut cat = Command::new("cat");
        cat.stdout(Stdio::null());
        spares.refill(cat).unwrap();
        let first_pid = spares.ready.lock().unwrap().as_ref().unwrap().child.id();
        spares.refill(Command::new("false")).unwrap();
        assert_eq!(
            spares.ready.lock().unwrap().as_ref().unwrap().child.id(),
            first_pid,
            "a second refill keeps the ready one"
        );
        let mut child = spares.assign("abc", log.as_fd()).expect("the ready spare");
        assert_eq!(child.id(), first_pid);
        assert!(spares.assign("abc", log.as_fd()).is_none(), "taken");
        child.kill().unwrap();
        child.wait().unwrap();
        // a spare that died before its container came: not handed anything, reaped
        spares.refill(Command::new("true")).unwrap();
        let pid = spares.ready.lock().unwrap().as_ref().unwrap().child.id();
        while std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z ")) {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        assert!(spares.assign("abc", log.as_fd()).is_none());
        assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists(), "reaped");
    }

    #[test]
    fn refills_at_the_same_time_start_one_spare() {
        let spares = SpareShims::default();
        let dir = tempfile::tempdir().unwrap();
        let started = dir.path().join("started");
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    let mut spare = Command::new("sh");
                    spare
                        .arg("-c")
                        .arg("echo started >> \"$0\"; exec cat")
                        .arg(&started)
                        .stdout(Stdio::null());
                    barrier.wait();
                    spares.refill(spare).unwrap();
                });
            }
        });
        let log = tempfile::tempfile().unwrap();
        let mut child = spares.assign("abc", log.as_fd()).expect("one spare ready");
        // `cat` ends at the end of its input: the assignment's socket, closed by now
        assert!(child.wait().unwrap().success());
        assert_eq!(std::fs::read_to_string(&started).unwrap(), "started\n");
        assert!(spares.assign("abc", log.as_fd()).is_none());
    }
}
