//! Starting a program in a child: `fork(2)`, a little set-up, `execvp(3)`.
//!
//! Between `fork` and `exec` the child is a copy of a program that may have had
//! other threads. Only the forking thread exists in the copy, and any lock another
//! thread held (inside `malloc`, inside Rust's `stdout`) stays locked forever. So
//! the child does only async-signal-safe system calls, and everything that needs
//! memory (the `argv` pointer array) is prepared before the fork.

use std::ffi::{CStr, CString, c_char};
use std::os::fd::{AsFd, BorrowedFd};

use nix::errno::Errno;
use nix::sys::signal::{SigSet, SigmaskHow, Signal, sigprocmask};
use nix::unistd::{ForkResult, Pid, fork, getpgrp, setpgid, tcgetpgrp, tcsetpgrp, write};

use crate::error::ProcessError;
use crate::signals::reset_in_child;

/// Exit code of a child whose program was not found (like a shell's).
pub const EXIT_NOT_FOUND: i32 = 127;
/// Exit code of a child whose program was found but could not be executed.
pub const EXIT_CANNOT_EXECUTE: i32 = 126;

/// Which process group the child joins. A terminal sends ctrl-C (SIGINT) and
/// ctrl-Z (SIGTSTP) to every process of its *foreground* process group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessGroup {
    /// Stay in the parent's group: ctrl-C reaches parent and child directly, so a
    /// forwarding parent would deliver it twice.
    Inherit,
    /// A group of its own (`setpgid(0, 0)`): the terminal's ctrl-C reaches only the
    /// parent, which forwards it. The child must not read the terminal (SIGTTIN).
    New,
    /// A group of its own that also takes over the terminal on stdin
    /// (`tcsetpgrp(3)`) when the parent's group had it, as tini does: the child can
    /// then read the terminal and gets ctrl-C from it directly.
    NewForeground,
}

/// Runs `argv` (looked up in `PATH` like a shell does) in a new child process:
/// [`fork(2)`](https://man7.org/linux/man-pages/man2/fork.2.html), the process group
/// set-up of `group`, [`reset_in_child`], then
/// [`execvp(3)`](https://man7.org/linux/man-pages/man3/exec.3.html).
///
/// If `exec` fails, the child prints `init: exec {argv0} failed: {err}` to stderr
/// and exits with [`EXIT_NOT_FOUND`] (`ENOENT`) or [`EXIT_CANNOT_EXECUTE`]. Block
/// the signals you forward *before* calling this, so none is lost between the fork
/// and the moment you wait for them.
pub fn spawn_command(argv: &[CString], group: ProcessGroup) -> Result<Pid, ProcessError> {
    let argv0 = argv.first().ok_or(ProcessError::EmptyCommand)?;
    // execvp wants a NULL-terminated array of pointers: build it before forking.
    let mut pointers: Vec<*const c_char> = argv.iter().map(|arg| arg.as_ptr()).collect();
    pointers.push(std::ptr::null());

    // Handles to stdin and stderr, taken before the fork: the first call may allocate.
    let (stdin, stderr) = (std::io::stdin(), std::io::stderr());

    // ANCHOR: fork_exec
    // SAFETY: the child branch makes only async-signal-safe calls (setpgid,
    // tcsetpgrp, rt_sigaction, sigprocmask, execvp, write, _exit) and allocates
    // nothing, so it cannot trip over a lock another thread held during the fork.
    match unsafe { fork() } {
        Ok(ForkResult::Parent { child }) => Ok(child),
        Ok(ForkResult::Child) => exec_in_child(argv0, &pointers, group, stdin.as_fd(), stderr.as_fd()),
        Err(source) => Err(ProcessError::Fork {
            argv0: argv0.to_string_lossy().into_owned(),
            source,
        }),
    }
    // ANCHOR_END: fork_exec
}

/// In the child: set up, `execvp`; if that fails, say why on stderr and `_exit`.
fn exec_in_child(
    argv0: &CStr,
    argv: &[*const c_char],
    group: ProcessGroup,
    stdin: BorrowedFd<'_>,
    stderr: BorrowedFd<'_>,
) -> ! {
    let (step, errno, code) = match set_up_child(group, stdin) {
        Err(err) => (
            "set up",
            err.errno().unwrap_or(Errno::UnknownErrno),
            EXIT_CANNOT_EXECUTE,
        ),
        Ok(()) => {
            // SAFETY: `argv` is a NULL-terminated array of pointers to NUL-terminated
            // strings that live until exec replaces us or _exit ends us.
            unsafe { libc::execvp(argv0.as_ptr(), argv.as_ptr()) };
            // execvp returns only when it failed.
            let errno = Errno::last();
            let code = if errno == Errno::ENOENT {
                EXIT_NOT_FOUND
            } else {
                EXIT_CANNOT_EXECUTE
            };
            ("exec", errno, code)
        }
    };
    let message = [
        b"init: ",
        step.as_bytes(),
        b" ",
        argv0.to_bytes(),
        b" failed: ",
        errno.desc().as_bytes(),
    ];
    report(stderr, &message);
    // SAFETY: _exit ends the child at once; nothing of the parent's copy (buffers,
    // destructors, atexit handlers) runs twice.
    unsafe { libc::_exit(code) }
}

/// In the child: process group, terminal, then a clean signal state.
fn set_up_child(group: ProcessGroup, stdin: BorrowedFd<'_>) -> Result<(), ProcessError> {
    let had_terminal = matches!(tcgetpgrp(stdin), Ok(fg) if fg == getpgrp());
    if group != ProcessGroup::Inherit {
        setpgid(Pid::from_raw(0), Pid::from_raw(0))
            .map_err(|source| ProcessError::SetProcessGroup { source })?;
    }
    if group == ProcessGroup::NewForeground && had_terminal {
        // We are now a background group: taking the terminal raises SIGTTOU
        // unless it is blocked. reset_in_child unblocks it again.
        let mut ttou = SigSet::empty();
        ttou.add(Signal::SIGTTOU);
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&ttou), None)
            .map_err(|source| ProcessError::SignalMask { source })?;
        tcsetpgrp(stdin, getpgrp()).map_err(|source| ProcessError::SetForeground { source })?;
    }
    reset_in_child()
}

/// Writes `parts` and a newline to stderr with bare `write(2)`s: no allocation, no lock.
fn report(stderr: BorrowedFd<'_>, parts: &[&[u8]]) {
    for part in parts.iter().chain([b"\n".as_slice()].iter()) {
        // Nothing sensible is left to do if stderr itself is broken.
        let _ = write(stderr, part);
    }
}
