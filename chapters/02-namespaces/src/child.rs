//! A forked child to do namespace work in, and a pipe to talk to it.
//!
//! Namespace changes are for life: a process cannot leave a namespace it unshared, and
//! `unshare(CLONE_NEWUSER)` refuses outright in a multi-threaded process. So the examples
//! and tests of this chapter never change namespaces themselves. They fork a child, let it
//! change its namespaces, and compare its view with their own:
//!
//! ```text
//! parent (host view)                      child (inside view)
//!   ForkedChild::spawn ──── fork(2) ────▶  unshare(...), look around
//!   child.recv()       ◀─── "ready" ─────  side.send("ready")
//!   look at the host, at /proc/<child>     side.wait_for_parent()
//!   child.wait()       ──── release ────▶  return 0 → _exit(0)
//! ```
//!
//! A `ForkedChild` that is dropped before `wait` kills its process with `SIGKILL` and reaps
//! it, so a failing test leaves nothing behind; the child also gets `SIGKILL` if the parent
//! dies (`PR_SET_PDEATHSIG`).

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::prctl::set_pdeathsig;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::{WaitStatus, waitpid};
use nix::unistd::{ForkResult, Pid, fork, getppid, pipe2};

use crate::error::NamespaceError;

/// The exit code of a child whose body panicked (the same as a panicking Rust program).
pub const PANIC_EXIT_CODE: i32 = 101;

/// The parent's handle on a forked child.
#[derive(Debug)]
pub struct ForkedChild {
    pid: Pid,
    from_child: BufReader<File>,
    to_child: Option<File>,
    reaped: bool,
}

/// The child's ends of the two pipes, handed to the child's body.
#[derive(Debug)]
pub struct ChildSide {
    to_parent: File,
    from_parent: BufReader<File>,
}

fn pipe_error(pid: Pid, e: &std::io::Error) -> NamespaceError {
    NamespaceError::ChildPipe {
        pid,
        source: e.raw_os_error().map_or(Errno::EIO, Errno::from_raw),
    }
}

/// Reads one line without its newline; `None` at end of file.
fn read_line(from: &mut BufReader<File>, pid: Pid) -> Result<Option<String>, NamespaceError> {
    let mut line = String::new();
    match from.read_line(&mut line) {
        Ok(0) => Ok(None),
        Ok(_) => Ok(Some(line.trim_end_matches('\n').to_string())),
        Err(e) => Err(pipe_error(pid, &e)),
    }
}

impl ChildSide {
    /// Sends one line to the parent (`line` must not contain a newline).
    pub fn send(&mut self, line: &str) -> Result<(), NamespaceError> {
        writeln!(self.to_parent, "{line}").map_err(|e| pipe_error(Pid::this(), &e))
    }

    /// Reads the next line the parent sent with [`ForkedChild::send`]; `None` once the
    /// parent has released the child.
    pub fn recv(&mut self) -> Result<Option<String>, NamespaceError> {
        read_line(&mut self.from_parent, Pid::this())
    }

    /// Blocks until the parent calls [`ForkedChild::release`] or [`ForkedChild::wait`] (or
    /// is gone).
    pub fn wait_for_parent(&mut self) -> Result<(), NamespaceError> {
        let mut rest = Vec::new();
        self.from_parent
            .read_to_end(&mut rest)
            .map(drop)
            .map_err(|e| pipe_error(Pid::this(), &e))
    }
}

/// Closes every descriptor above stderr except `keep`: close_range(2) (Linux ≥ 5.9).
///
/// `fork(2)` copies all of the parent's descriptors. In a multi-threaded parent those include
/// the pipe ends of *other* children being spawned at the same time, and a pipe only reports
/// end-of-file once every copy of its write end is closed: without this, one child could keep
/// another child's pipe open and both would wait forever.
fn close_inherited_fds(keep: &[RawFd]) {
    let mut keep: Vec<u32> = keep.iter().filter_map(|&fd| u32::try_from(fd).ok()).collect();
    keep.sort_unstable();
    let mut first = 3;
    for fd in keep.into_iter().chain([u32::MAX]) {
        if fd > first {
            // SAFETY: close_range takes integers only; the descriptors it closes belong to
            // this process and nothing in the child uses them afterwards.
            unsafe { libc::syscall(libc::SYS_close_range, first, fd - 1, 0) };
        }
        first = fd.saturating_add(1);
    }
}

impl ForkedChild {
    /// Forks: fork(2). The child runs `body` and exits with the code it returns
    /// ([`PANIC_EXIT_CODE`] if it panics); it never returns from `spawn`.
    ///
    /// The child starts with stdin, stdout, stderr and its two pipe ends only: every other
    /// inherited descriptor is closed. It is killed (`SIGKILL`) when the *thread* that
    /// spawned it exits, as `PR_SET_PDEATHSIG` works per thread.
    ///
    /// # Safety
    ///
    /// `fork(2)` copies only the calling thread. If other threads exist (as in `cargo test`),
    /// any lock one of them held at that moment stays locked forever in the child, so `body`
    /// must not take locks other threads use: no `println!`, no logging. Allocating memory is
    /// fine with glibc, which resets its allocator's locks in the child. In a single-threaded
    /// program (the examples) `spawn` is always safe.
    pub unsafe fn spawn<F>(body: F) -> Result<ForkedChild, NamespaceError>
    where
        F: FnOnce(&mut ChildSide) -> i32,
    {
        let me = Pid::this();
        let (parent_reads, child_writes) =
            pipe2(OFlag::O_CLOEXEC).map_err(|source| NamespaceError::ChildPipe { pid: me, source })?;
        let (child_reads, parent_writes) =
            pipe2(OFlag::O_CLOEXEC).map_err(|source| NamespaceError::ChildPipe { pid: me, source })?;
        // SAFETY: the caller promises `body` is safe to run after fork (see # Safety); the
        // child leaves through `_exit` and never returns into the caller's code.
        match unsafe { fork() }.map_err(|source| NamespaceError::Fork { source })? {
            ForkResult::Child => {
                drop((parent_reads, parent_writes));
                close_inherited_fds(&[child_writes.as_raw_fd(), child_reads.as_raw_fd()]);
                let mut side = ChildSide {
                    to_parent: File::from(child_writes),
                    from_parent: BufReader::new(File::from(child_reads)),
                };
                // Die with the parent; if it is already gone, stop here. (A parent outside
                // the child's PID namespace shows as pid 0, so 0 also counts as "still ours".)
                let parent = getppid();
                let adopted = parent != me && parent.as_raw() != 0;
                let orphaned = set_pdeathsig(Signal::SIGKILL).is_err() || adopted;
                let code = if orphaned {
                    1
                } else {
                    catch_unwind(AssertUnwindSafe(|| body(&mut side))).unwrap_or(PANIC_EXIT_CODE)
                };
                // SAFETY: _exit(2) ends the process at once, skipping the parent's atexit
                // handlers and stdio buffers that the fork copied.
                unsafe { libc::_exit(code) }
            }
            ForkResult::Parent { child } => Ok(ForkedChild {
                pid: child,
                from_child: BufReader::new(File::from(parent_reads)),
                to_child: Some(File::from(parent_writes)),
                reaped: false,
            }),
        }
    }

    /// The child's process id, as the parent sees it.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Reads the next line the child sent, without the newline; `None` once the child has
    /// exited (or closed its end) without sending one.
    pub fn recv(&mut self) -> Result<Option<String>, NamespaceError> {
        read_line(&mut self.from_child, self.pid)
    }

    /// Sends one line to the child (`line` must not contain a newline); fails after
    /// [`release`](Self::release).
    pub fn send(&mut self, line: &str) -> Result<(), NamespaceError> {
        let pid = self.pid;
        let pipe = self.to_child.as_mut().ok_or(NamespaceError::ChildPipe {
            pid,
            source: Errno::EPIPE,
        })?;
        writeln!(pipe, "{line}").map_err(|e| pipe_error(pid, &e))
    }

    /// Lets the child's [`ChildSide::wait_for_parent`] return.
    pub fn release(&mut self) {
        self.to_child = None;
    }

    /// Releases the child and waits for it to exit: waitpid(2). Returns its exit code, or
    /// 128 + the signal number if a signal killed it (the shell's convention).
    pub fn wait(mut self) -> Result<i32, NamespaceError> {
        self.release();
        loop {
            match waitpid(self.pid, None) {
                Err(Errno::EINTR) => continue,
                Err(source) => {
                    return Err(NamespaceError::Wait {
                        pid: self.pid,
                        source,
                    });
                }
                Ok(WaitStatus::Exited(_, code)) => {
                    self.reaped = true;
                    return Ok(code);
                }
                Ok(WaitStatus::Signaled(_, signal, _)) => {
                    self.reaped = true;
                    return Ok(128 + signal as i32);
                }
                Ok(_) => continue,
            }
        }
    }
}

impl Drop for ForkedChild {
    /// Kills (`SIGKILL`) and reaps a child nobody waited for.
    fn drop(&mut self) {
        if !self.reaped {
            let _ = kill(self.pid, Signal::SIGKILL);
            while let Err(Errno::EINTR) = waitpid(self.pid, None) {}
        }
    }
}
