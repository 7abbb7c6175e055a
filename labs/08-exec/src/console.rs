//! The console socket: how a terminal's master leaves the container.
//!
//! **Lab 08 skeleton.** Exercise `ex4`: write [`send_master`] and [`receive_master`] (the
//! two `todo!()`s). `labs/check 08` tells you how far you are.
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

/// Sends `master` over the unix socket `socket` (sendmsg(2) with `SCM_RIGHTS`, unix(7)): the
/// receiver gets its own descriptor for the same open file. One byte of payload goes with it:
/// a stream socket carries no message of zero bytes.
pub fn send_master(socket: BorrowedFd<'_>, master: BorrowedFd<'_>) -> Result<(), TerminalError> {
    // ex4: one byte of payload (`[IoSlice::new(b"m")]`) and one control message,
    // `ControlMessage::ScmRights(&[master.as_raw_fd()])`, through
    // `sendmsg::<()>(socket.as_raw_fd(), &payload, &rights, MsgFlags::empty(), None)`; its error
    // is `TerminalError::Send`.
    todo!(
        "ex4: sendmsg with a 1-byte IoSlice and [ControlMessage::ScmRights(&[fd])], errors as TerminalError::Send"
    )
}

/// Receives a master sent by [`send_master`] (recvmsg(2)), close-on-exec; `None` once every
/// sender has closed its end.
pub fn receive_master(socket: BorrowedFd<'_>) -> Result<Option<OwnedFd>, TerminalError> {
    // ex4: in a loop: `recvmsg::<()>` into a 1-byte buffer with room for one descriptor
    // (`nix::cmsg_space!([RawFd; 1])`) and `MsgFlags::MSG_CMSG_CLOEXEC`; EINTR means again, other
    // errors are `TerminalError::Receive`. 0 bytes: the sender is gone, `Ok(None)`. Otherwise
    // take the first descriptor of a `ControlMessageOwned::ScmRights` (`OwnedFd::from_raw_fd`:
    // the kernel just made it ours); a message without one means wait for the next.
    todo!(
        "ex4: loop {{ recvmsg(.., MSG_CMSG_CLOEXEC): 0 bytes => None, an ScmRights fd => Some(OwnedFd), else read again }}"
    )
}

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
