//! The local terminal while a container's terminal (`-t`) is attached: in raw mode, so every
//! key goes to the container as typed (ctrl-C and the detach keys included) and the
//! container's pty does the echoing and line editing; restored however the command ends. And
//! its size, which the container's pty follows.

use std::io::IsTerminal;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use nix::sys::termios::{self, SetArg, Termios};

/// Standard input's terminal in raw mode until dropped: Docker's `SetRawTerminal`, whose
/// `MakeRaw` is cfmakeraw(3). Dropped on every way out of the command, a panic included.
#[derive(Debug)]
pub struct RawTerminal {
    saved: Termios,
}

impl RawTerminal {
    /// Raw mode on standard input, if it is a terminal (`None` if it is not), with
    /// [`tcsetattr(3)`](https://man7.org/linux/man-pages/man3/tcsetattr.3.html).
    pub fn enter() -> Result<Option<RawTerminal>, nix::Error> {
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return Ok(None);
        }
        let saved = termios::tcgetattr(stdin.as_fd())?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        termios::tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw)?;
        Ok(Some(RawTerminal { saved }))
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Err(e) = termios::tcsetattr(std::io::stdin().as_fd(), SetArg::TCSANOW, &self.saved) {
            tracing::warn!("restoring the terminal's settings (tcsetattr(3)): {e}");
        }
    }
}

/// The rows and columns of the terminal `fd` is, from the `TIOCGWINSZ` ioctl
/// ([ioctl_tty(2)](https://man7.org/linux/man-pages/man2/ioctl_tty.2.html)); `None` if it is
/// not a terminal.
pub fn size(fd: BorrowedFd<'_>) -> Option<(u16, u16)> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we pass; `fd` is open for as
    // long as it is borrowed.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut size) };
    (rc == 0).then_some((size.ws_row, size.ws_col))
}
