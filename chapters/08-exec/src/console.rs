//! The console socket: how a terminal's master leaves the container.
//!
//! A file descriptor is a number in one process's table; written to a pipe it is just a
//! number. To give another process *the open file itself* it travels as ancillary data of a
//! message on a unix socket (`SCM_RIGHTS`, unix(7)): the kernel installs a new descriptor
//! for the same open file in the receiver's table, as dup(2) would across processes. runc
//! calls the socket `--console-socket`; the exec helper and the container's init use one to
//! hand their pty's master to the daemon or the shim.
//!
//! ```text
//!  sender                     socketpair(2)                    receiver
//!  sendmsg(b"m", [SCM_RIGHTS: master fd 5]) ═══════▶ recvmsg ─▶ its own fd 9, the same pty
//! ```

use std::io::{IoSlice, IoSliceMut};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{ControlMessage, ControlMessageOwned, MsgFlags, recvmsg, sendmsg};

use crate::error::TerminalError;

// ANCHOR: console_socket
/// Sends `master` over the unix socket `socket` (sendmsg(2) with `SCM_RIGHTS`, unix(7)): the
/// receiver gets its own descriptor for the same open file. One byte of payload goes with it:
/// a stream socket carries no message of zero bytes.
pub fn send_master(socket: BorrowedFd<'_>, master: BorrowedFd<'_>) -> Result<(), TerminalError> {
    let fds = [master.as_raw_fd()];
    let payload = [IoSlice::new(b"m")];
    let rights = [ControlMessage::ScmRights(&fds)];
    sendmsg::<()>(socket.as_raw_fd(), &payload, &rights, MsgFlags::empty(), None)
        .map_err(TerminalError::Send)?;
    Ok(())
}

/// Receives a master sent by [`send_master`] (recvmsg(2)), close-on-exec; `None` once every
/// sender has closed its end.
pub fn receive_master(socket: BorrowedFd<'_>) -> Result<Option<OwnedFd>, TerminalError> {
    loop {
        let mut byte = [0u8; 1];
        let mut payload = [IoSliceMut::new(&mut byte)];
        let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
        let message = match recvmsg::<()>(
            socket.as_raw_fd(),
            &mut payload,
            Some(&mut space),
            MsgFlags::MSG_CMSG_CLOEXEC,
        ) {
            Ok(message) => message,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(TerminalError::Receive(e)),
        };
        if message.bytes == 0 {
            return Ok(None);
        }
        let mut received = None;
        for cmsg in message.cmsgs().map_err(TerminalError::Receive)? {
            if let ControlMessageOwned::ScmRights(fds) = cmsg {
                for fd in fds {
                    // SAFETY: the kernel just installed `fd` in our table for this message;
                    // nothing else owns it. Extra ones (there are none) close when dropped.
                    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                    received.get_or_insert(owned);
                }
            }
        }
        if let Some(master) = received {
            return Ok(Some(master));
        }
        // a byte without a descriptor: not ours to act on; wait for the next
    }
}
// ANCHOR_END: console_socket

/// A unix socket pair for [`send_master`] / [`receive_master`], both ends close-on-exec
/// (socketpair(2)).
pub fn console_socket_pair() -> Result<(OwnedFd, OwnedFd), Errno> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
    socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
}

/// Keeps `fd` open across execve(2) (clears `FD_CLOEXEC`, fcntl(2)), for a descriptor a child
/// inherits on purpose. Async-signal-safe: callable between fork and exec.
pub fn inherit_across_exec(fd: BorrowedFd<'_>) -> Result<(), Errno> {
    nix::fcntl::fcntl(
        fd.as_fd(),
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::empty()),
    )
    .map(|_| ())
}

/// Takes ownership of `fd`, a descriptor inherited on purpose (its number passed along, as
/// the daemon passes the exec helper its console socket), and makes it close-on-exec again
/// (fcntl(2)) so the command run next does not inherit it.
///
/// # Safety
///
/// `fd` must be open and owned by nothing else in this process.
pub unsafe fn take_inherited(fd: std::os::fd::RawFd) -> Result<OwnedFd, Errno> {
    // SAFETY: the caller's promise: open, and ours alone.
    let owned = unsafe { OwnedFd::from_raw_fd(fd) };
    nix::fcntl::fcntl(
        &owned,
        nix::fcntl::FcntlArg::F_SETFD(nix::fcntl::FdFlag::FD_CLOEXEC),
    )?;
    Ok(owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terminal::Terminal;
    use std::io::{Read, Write};

    #[test]
    fn a_master_sent_over_the_socket_carries_the_slaves_output() {
        let terminal = Terminal::open().unwrap();
        let (ours, theirs) = console_socket_pair().unwrap();
        send_master(theirs.as_fd(), terminal.master.as_fd()).unwrap();
        let received = receive_master(ours.as_fd()).unwrap().expect("a master");
        drop(terminal.master);
        std::fs::File::from(terminal.slave).write_all(b"ping\n").unwrap();
        let mut got = [0u8; 16];
        let n = std::fs::File::from(received).read(&mut got).unwrap();
        // the line discipline turns \n into \r\n on the way out (ONLCR)
        assert_eq!(&got[..n], b"ping\r\n");
    }

    #[test]
    fn the_receiver_sees_the_end_when_the_sender_closes() {
        let (ours, theirs) = console_socket_pair().unwrap();
        drop(theirs);
        assert!(receive_master(ours.as_fd()).unwrap().is_none());
    }

    #[test]
    fn a_received_master_is_close_on_exec() {
        let terminal = Terminal::open().unwrap();
        let (ours, theirs) = console_socket_pair().unwrap();
        send_master(theirs.as_fd(), terminal.master.as_fd()).unwrap();
        let received = receive_master(ours.as_fd()).unwrap().expect("a master");
        let flags = nix::fcntl::fcntl(&received, nix::fcntl::FcntlArg::F_GETFD).unwrap();
        assert_ne!(flags & libc::FD_CLOEXEC, 0);
    }
}
