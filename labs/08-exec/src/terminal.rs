//! Pseudo-terminals for `-t`: a process's standard streams on the slave side of a pty, the
//! master held outside the container by whoever relays it.
//!
//! **Lab 08 skeleton.** Exercise `ex3`: write [`make_controlling_stdio`],
//! [`become_session_leader`] and [`set_window_size`] (the three `todo!()`s; opening the pty
//! is done). `labs/check 08` tells you how far you are.
//!
//! ```text
//!  inside the container (its mount namespace)        outside
//!  ──────────────────────────────────────────        ───────
//!  open /dev/ptmx ─ the container's devpts: the slave is /dev/pts/0
//!  send the master ──── console socket (SCM_RIGHTS) ──▶ daemon / shim:
//!  setsid, TIOCSCTTY on the slave                        master → client
//!  slave onto fd 0, 1, 2; execve(2)                      client → master, TIOCSWINSZ
//! ```
//!
//! The pty is opened *inside* the container's mount namespace, as runc does with its
//! `--console-socket`: the container's `/dev/ptmx` is its own devpts instance, so the slave is
//! `/dev/pts/0` there (what `tty` prints), not a host pty the container cannot name. The
//! master leaves through a unix socket ([`crate::console`]), the only way to hand a
//! descriptor to another process.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use nix::fcntl::OFlag;
use nix::pty::PtyMaster;
use nix::sys::stat::Mode;

use crate::error::TerminalError;

/// A terminal's size in characters (`docker run -t` sends the client's; `stty size` shows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSize {
    pub rows: u16,
    pub cols: u16,
}

// The tty ioctls, as nix generates them: each an `unsafe fn` over ioctl(2).
nix::ioctl_write_ptr_bad!(tiocswinsz, libc::TIOCSWINSZ, libc::winsize);
nix::ioctl_read_bad!(tiocgwinsz, libc::TIOCGWINSZ, libc::winsize);
nix::ioctl_write_int_bad!(tiocsctty, libc::TIOCSCTTY);
nix::ioctl_write_int_bad!(tiocgptpeer, libc::TIOCGPTPEER);

/// The multiplexer of the devpts instance this process sees.
pub const PTMX: &str = "/dev/ptmx";

/// A new pseudo-terminal: the master and the slave, both open.
#[derive(Debug)]
pub struct Terminal {
    pub master: PtyMaster,
    pub slave: OwnedFd,
    /// The slave's path in the devpts instance of the multiplexer (`/dev/pts/0` in a fresh
    /// container), for messages and `tty`.
    pub slave_path: String,
}

impl Terminal {
    /// A pty from `/dev/ptmx` as this process sees it (in the container's mount namespace:
    /// the container's own devpts).
    pub fn open() -> Result<Terminal, TerminalError> {
        Terminal::open_from(Path::new(PTMX))
    }

    /// A pty from the multiplexer `ptmx` (open(2), unlockpt(3), ptsname(3)), both ends
    /// close-on-exec and neither our controlling terminal.
    ///
    /// The slave is opened from the master (TIOCGPTPEER, ioctl_tty(2)), not by its path: the
    /// path names a file of *that* devpts, which need not be the one mounted at `/dev/pts`
    /// here, and a path can be swapped between naming and opening.
    pub fn open_from(ptmx: &Path) -> Result<Terminal, TerminalError> {
        let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
        let fd = nix::fcntl::open(ptmx, flags, Mode::empty()).map_err(TerminalError::Open)?;
        // SAFETY: `fd` was just opened and is owned by nothing else; if it is not a pty
        // multiplexer, the ioctls below fail (ENOTTY) and nothing worse happens.
        let master = unsafe { PtyMaster::from_owned_fd(fd) };
        // grantpt(3) is a no-op on Linux's devpts: the slave is already ours.
        nix::pty::unlockpt(&master).map_err(TerminalError::Unlock)?;
        let slave_path = nix::pty::ptsname_r(&master).map_err(TerminalError::Name)?;
        // SAFETY: TIOCGPTPEER takes the open(2) flags as an int argument and reads no memory;
        // the master is open for the whole call.
        let slave = unsafe { tiocgptpeer(master.as_raw_fd(), flags.bits()) }.map_err(|source| {
            TerminalError::OpenSlave {
                path: slave_path.clone(),
                source,
            }
        })?;
        // SAFETY: the kernel just returned this new descriptor; nothing else owns it.
        let slave = unsafe { OwnedFd::from_raw_fd(slave as RawFd) };
        Ok(Terminal {
            master,
            slave,
            slave_path,
        })
    }
}

/// In the process about to exec, which must lead a session of its own (setsid(2), or
/// [`become_session_leader`]): the slave becomes its controlling terminal (TIOCSCTTY) and its
/// fd 0, 1 and 2, owned by `uid` as runc does so a non-root user can use it. The other copies
/// of the slave close when dropped.
pub fn make_controlling_stdio(slave: OwnedFd, slave_path: &str, uid: u32) -> Result<(), TerminalError> {
    // ex3: three steps, each error naming `slave_path`: hand the slave to `uid`
    // (`nix::unistd::fchown`, `TerminalError::Chown`); make it the controlling terminal
    // (`unsafe { tiocsctty(slave.as_raw_fd(), 0) }`, `TerminalError::Controlling`); then make it
    // fd 0, 1 and 2 (`nix::unistd::dup2_stdin`, `dup2_stdout`, `dup2_stderr`,
    // `TerminalError::Stdio`).
    todo!(
        "ex3: fchown(&slave, Some(Uid::from_raw(uid)), None), tiocsctty(fd, 0), dup2 onto stdin, stdout and stderr"
    )
}

/// The whole of it for a forked child (an exec's): a new session (setsid(2)), then
/// [`make_controlling_stdio`]. A session leader has no controlling terminal until it opens or
/// TIOCSCTTYs one, and only a session leader may; the child of a fork is never one.
pub fn become_session_leader(terminal: Terminal, uid: u32) -> Result<(), TerminalError> {
    // ex3: take the terminal apart, drop the master (it is the relay's), start a session
    // (`nix::unistd::setsid()`, its error `TerminalError::Session` with the slave's path),
    // then `make_controlling_stdio`.
    todo!(
        "ex3: let Terminal {{ master, slave, slave_path }} = terminal; drop(master); setsid()?; make_controlling_stdio(slave, &slave_path, uid)"
    )
}

/// Sets the terminal's window size (TIOCSWINSZ on either end, ioctl_tty(2)); the kernel sends
/// SIGWINCH to the terminal's foreground process group, and a shell or an editor redraws.
pub fn set_window_size(terminal: BorrowedFd<'_>, size: WindowSize) -> Result<(), TerminalError> {
    // ex3: a `libc::winsize` with `ws_row` and `ws_col` from `size` (and 0 pixels), passed by
    // reference to `unsafe { tiocswinsz(terminal.as_raw_fd(), &winsize) }`; its error is
    // `TerminalError::Resize` with the rows and columns.
    todo!(
        "ex3: libc::winsize {{ ws_row, ws_col, 0, 0 }} and tiocswinsz(fd, &winsize), errors as TerminalError::Resize"
    )
}

/// The terminal's window size (TIOCGWINSZ, ioctl_tty(2)).
pub fn window_size(terminal: BorrowedFd<'_>) -> Result<WindowSize, TerminalError> {
    let mut winsize = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` through the pointer, which is valid and
    // exclusively ours for the call; the fd is borrowed, so open.
    unsafe { tiocgwinsz(terminal.as_raw_fd(), &mut winsize) }.map_err(TerminalError::Size)?;
    Ok(WindowSize {
        rows: winsize.ws_row,
        cols: winsize.ws_col,
    })
}
