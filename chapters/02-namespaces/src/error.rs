//! What can go wrong, with enough detail to act on it.
//!
//! Every variant names the system call that failed, the namespace it was about and the path
//! or process id it was working on, so a message alone tells what happened:
//! `setns(2) into net namespace /proc/42/ns/net failed: EPERM: Operation not permitted`.

use std::path::PathBuf;

use nix::errno::Errno;
use nix::unistd::Pid;

use crate::idmap::IdMapping;
use crate::namespace::{Namespace, list};

/// An error from this crate.
#[derive(Debug, thiserror::Error)]
pub enum NamespaceError {
    /// A string that names no namespace kind.
    #[error("unknown namespace {name:?}")]
    UnknownNamespace {
        /// The string that was parsed.
        name: String,
    },

    /// `unshare(2)` refused to create the namespaces.
    #[error("unshare(2) of {} namespaces failed: {source}", list(.namespaces))]
    Unshare {
        /// The namespaces asked for.
        namespaces: Vec<Namespace>,
        /// Why the kernel refused.
        source: Errno,
    },

    /// A namespace file could not be opened.
    #[error("open(2) of {ns} namespace {} failed: {source}", .path.display())]
    Open {
        /// The namespace kind.
        ns: Namespace,
        /// The file, usually `/proc/<pid>/ns/<name>`.
        path: PathBuf,
        /// Why the kernel refused.
        source: Errno,
    },

    /// `setns(2)` with a namespace file descriptor failed.
    #[error("setns(2) into {ns} namespace {} failed: {source}", .path.display())]
    Setns {
        /// The namespace kind.
        ns: Namespace,
        /// The file the descriptor was opened from.
        path: PathBuf,
        /// Why the kernel refused.
        source: Errno,
    },

    /// `pidfd_open(2)` failed.
    #[error("pidfd_open(2) of pid {pid} failed: {source}")]
    PidfdOpen {
        /// The process.
        pid: Pid,
        /// Why the kernel refused.
        source: Errno,
    },

    /// `setns(2)` with a pidfd failed; none of the namespaces was joined.
    #[error("setns(2) into {} namespaces of pid {pid} via pidfd failed: {source}", list(.namespaces))]
    SetnsPidfd {
        /// The process whose namespaces were to be joined.
        pid: Pid,
        /// The namespaces asked for.
        namespaces: Vec<Namespace>,
        /// Why the kernel refused.
        source: Errno,
    },

    /// `stat(2)` of a namespace file failed (often: the process has exited).
    #[error("stat(2) of {ns} namespace {} failed: {source}", .path.display())]
    Stat {
        /// The namespace kind.
        ns: Namespace,
        /// The file.
        path: PathBuf,
        /// Why the kernel refused.
        source: Errno,
    },

    /// An id mapping was rejected before anything was written.
    #[error("invalid user namespace id mapping {mapping:?}: {reason}")]
    InvalidMapping {
        /// The mappings, in `/proc/<pid>/uid_map` form.
        mapping: String,
        /// What is wrong with them.
        reason: String,
    },

    /// Opening or reading a user namespace file under `/proc` failed.
    #[error("{syscall} of user namespace file {} failed: {source}", .path.display())]
    ProcFile {
        /// `open(2)` or `read(2)`.
        syscall: &'static str,
        /// `/proc/<pid>/uid_map`, `gid_map`, `setgroups`, or `/proc/thread-self/status`.
        path: PathBuf,
        /// Why the kernel refused.
        source: Errno,
    },

    /// Writing `/proc/<pid>/uid_map`, `gid_map` or `setgroups` failed.
    #[error("write(2) of {value:?} to user namespace file {} failed: {source}", .path.display())]
    WriteProc {
        /// The file.
        path: PathBuf,
        /// The text written.
        value: String,
        /// Why the kernel refused.
        source: Errno,
    },

    /// A hostname the kernel or DNS would not accept, rejected before `sethostname(2)`.
    ///
    /// The message is Docker's own; `reason` says which rule the name broke.
    #[error("invalid hostname format: {name}")]
    InvalidHostname {
        /// The rejected name.
        name: String,
        /// Which rule it broke.
        reason: &'static str,
    },

    /// `sethostname(2)` failed (EPERM: not in a new UTS namespace, or no `CAP_SYS_ADMIN`).
    #[error("sethostname(2) to {name:?} in uts namespace failed: {source}")]
    SetHostname {
        /// The name.
        name: String,
        /// Why the kernel refused.
        source: Errno,
    },

    /// `fork(2)` failed.
    #[error("fork(2) of a child for namespace work failed: {source}")]
    Fork {
        /// Why the kernel refused.
        source: Errno,
    },

    /// Talking to a forked child over its pipes failed.
    #[error("pipe(2) i/o with child pid {pid} failed: {source}")]
    ChildPipe {
        /// The child (or, inside the child, the child itself).
        pid: Pid,
        /// Why the kernel refused.
        source: Errno,
    },

    /// Bringing the loopback interface up failed.
    #[error("{op} on interface lo failed: {source}")]
    Loopback {
        /// The call that failed (`socket(2)`, `ioctl(SIOCGIFFLAGS)`, …).
        op: &'static str,
        /// Why the kernel refused.
        source: Errno,
    },

    /// `waitpid(2)` on a child failed.
    #[error("waitpid(2) of child pid {pid} failed: {source}")]
    Wait {
        /// The child.
        pid: Pid,
        /// Why the kernel refused.
        source: Errno,
    },
}

impl NamespaceError {
    /// A helper for `InvalidMapping`.
    pub(crate) fn invalid_mapping(maps: &[IdMapping], reason: impl Into<String>) -> Self {
        NamespaceError::InvalidMapping {
            mapping: crate::idmap::render(maps),
            reason: reason.into(),
        }
    }
}
