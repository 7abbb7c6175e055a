//! Entering namespaces: `unshare(2)` makes new ones, `setns(2)` joins existing ones.
//!
//! A process can be put into namespaces in three ways:
//!
//! - `clone(2)` with `CLONE_NEW*` flags: the *child* starts in new namespaces (chapter 1);
//! - [`unshare`]: the *caller* moves into new namespaces;
//! - [`join`], [`join_all`], [`join_by_pidfd`]: the caller moves into the namespaces of
//!   another process, which is how `docker exec` gets into a running container (chapter 8).
//!
//! All of them change only the calling *thread*, and some refuse to work in a process that
//! has other threads (`CLONE_NEWUSER` always, `CLONE_NEWNS` unless the filesystem information
//! is unshared). Do namespace work in a freshly forked, single-threaded child.

use std::os::fd::{AsFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sched::setns;
use nix::sys::stat::Mode;
use nix::unistd::Pid;

use crate::error::NamespaceError;
use crate::identity::{current_namespace_id, id_of_fd, namespace_id};
use crate::namespace::{Namespace, clone_flags};

// ANCHOR: unshare
/// Moves the calling thread into new, empty namespaces of the given kinds: unshare(2).
///
/// What "moves" means differs per kind. For `Pid` the caller stays where it is and only its
/// *next child* becomes PID 1 of the new namespace (a process never changes its PID). For
/// `User` the caller gets every capability inside the new namespace but is "nobody" there
/// until a uid map is written ([`write_uid_map`](crate::write_uid_map)). `User` fails with
/// `EINVAL` in a multi-threaded process.
pub fn unshare(namespaces: &[Namespace]) -> Result<(), NamespaceError> {
    tracing::debug!(namespaces = ?namespaces, "unshare");
    nix::sched::unshare(clone_flags(namespaces)).map_err(|source| NamespaceError::Unshare {
        namespaces: namespaces.to_vec(),
        source,
    })
}
// ANCHOR_END: unshare

/// Opens a namespace file (`/proc/<pid>/ns/<name>` or a bind mount of one): open(2).
fn open_namespace(path: &Path, ns: Namespace) -> Result<OwnedFd, NamespaceError> {
    open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|source| NamespaceError::Open {
        ns,
        path: path.to_path_buf(),
        source,
    })
}

/// Joins the namespace behind an open file descriptor: setns(2).
///
/// Passing `ns`'s flag (rather than 0) makes the kernel check that the descriptor really is
/// a namespace of that kind; a mismatch fails with `EINVAL` instead of silently joining the
/// wrong namespace.
fn setns_fd(fd: BorrowedFd<'_>, ns: Namespace, path: &Path) -> Result<(), NamespaceError> {
    tracing::debug!(%ns, path = %path.display(), "setns");
    setns(fd, ns.clone_flag()).map_err(|source| NamespaceError::Setns {
        ns,
        path: path.to_path_buf(),
        source,
    })
}

/// Joins the namespace of kind `ns` named by a file: open(2), then setns(2).
///
/// The file is usually `/proc/<pid>/ns/<name>`, or a bind mount of one (that is how
/// `ip netns` keeps a network namespace alive with no process in it).
pub fn join_path(path: &Path, ns: Namespace) -> Result<(), NamespaceError> {
    let fd = open_namespace(path, ns)?;
    setns_fd(fd.as_fd(), ns, path)
}

/// Joins one namespace of process `pid` through `/proc/<pid>/ns/<name>`: setns(2).
///
/// Joining the user namespace the caller is already in fails with `EINVAL` (the kernel will
/// not hand out capabilities for re-entering it); [`join_all`] skips such namespaces.
pub fn join(pid: Pid, ns: Namespace) -> Result<(), NamespaceError> {
    join_path(&ns.proc_path(pid), ns)
}

// ANCHOR: join_all
/// Joins several namespaces of process `pid`, one setns(2) per namespace, in
/// [`Namespace::JOIN_ORDER`] whatever the order of `namespaces`.
///
/// Every namespace file is opened *before* the first `setns(2)`: once the caller has joined
/// the container's mount namespace, `/proc/<pid>/ns/` of the host is no longer there to open.
/// Namespaces the caller already shares with `pid` are skipped, so asking for the user
/// namespace of a container that has none of its own is not an error.
///
/// Not atomic: if a later `setns(2)` fails, the earlier ones stay done. Call it in a child
/// that exits on error (or use [`join_by_pidfd`], which is all or nothing).
pub fn join_all(pid: Pid, namespaces: &[Namespace]) -> Result<(), NamespaceError> {
    let mut opened: Vec<(Namespace, PathBuf, OwnedFd)> = Vec::new();
    for ns in Namespace::JOIN_ORDER {
        if !namespaces.contains(&ns) {
            continue;
        }
        let path = ns.proc_path(pid);
        let fd = open_namespace(&path, ns)?;
        if id_of_fd(fd.as_fd(), ns, &path)? == current_namespace_id(ns)? {
            tracing::debug!(%ns, %pid, "already a member, skipping");
            continue;
        }
        opened.push((ns, path, fd));
    }
    for (ns, path, fd) in &opened {
        setns_fd(fd.as_fd(), *ns, path)?;
    }
    Ok(())
}
// ANCHOR_END: join_all

/// A file descriptor that refers to a process, not to its PID number: pidfd_open(2).
///
/// A PID can be reused as soon as the process is reaped; a pidfd always means the process it
/// was opened for (operations on it fail with `ESRCH` once that process is gone).
#[derive(Debug)]
pub struct PidFd {
    fd: OwnedFd,
    pid: Pid,
}

impl PidFd {
    /// Opens a pidfd for `pid`: pidfd_open(2) (Linux ≥ 5.3), through `syscall(2)` because
    /// older C libraries have no wrapper.
    pub fn open(pid: Pid) -> Result<PidFd, NamespaceError> {
        // SAFETY: pidfd_open takes two integers and touches no memory of this process.
        let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
        if ret < 0 {
            return Err(NamespaceError::PidfdOpen {
                pid,
                source: Errno::last(),
            });
        }
        let raw = RawFd::try_from(ret).map_err(|_| NamespaceError::PidfdOpen {
            pid,
            source: Errno::EBADF,
        })?;
        // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        Ok(PidFd { fd, pid })
    }

    /// The process id this pidfd was opened for.
    pub fn pid(&self) -> Pid {
        self.pid
    }
}

impl AsFd for PidFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

// ANCHOR: join_by_pidfd
/// Joins several namespaces of the process behind `pidfd` in one setns(2) call
/// (Linux ≥ 5.8).
///
/// With a pidfd, `setns(2)` takes a *set* of `CLONE_NEW*` flags and the kernel applies them
/// all or none: there is no half-joined state to clean up, and the kernel picks the order
/// itself. Namespaces the caller already shares with the process are left out of the set
/// (re-entering one's own user namespace is `EINVAL`).
pub fn join_by_pidfd(pidfd: &PidFd, namespaces: &[Namespace]) -> Result<(), NamespaceError> {
    let mut to_join = Vec::new();
    for &ns in namespaces {
        if namespace_id(pidfd.pid(), ns)? != current_namespace_id(ns)? {
            to_join.push(ns);
        }
    }
    if to_join.is_empty() {
        return Ok(());
    }
    tracing::debug!(pid = %pidfd.pid(), namespaces = ?to_join, "setns via pidfd");
    setns(pidfd.as_fd(), clone_flags(&to_join)).map_err(|source| NamespaceError::SetnsPidfd {
        pid: pidfd.pid(),
        namespaces: to_join,
        source,
    })
}
// ANCHOR_END: join_by_pidfd
