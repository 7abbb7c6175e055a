//! Telling namespaces apart: a namespace *is* an inode.
//!
//! **Lab 02 skeleton.** Exercise `ex2`: write [`namespace_id_of_path`] and
//! [`same_namespace`] (the two `todo!()`s). `labs/check 02` tells you how far you are.
//!
//! The kernel gives every namespace an inode on its internal `nsfs` filesystem, and
//! `/proc/<pid>/ns/<name>` is a magic link to it. `ls -l /proc/self/ns` shows the inode
//! number (`net -> 'net:[4026531840]'`); `stat(2)` on the link gives the device and inode.
//! Two processes are in the same namespace exactly when both numbers match, which is what
//! `lsns(8)` uses to group processes.

use std::os::fd::BorrowedFd;
use std::path::{Path, PathBuf};

use nix::sys::stat::{FileStat, fstat, stat};
use nix::unistd::Pid;

use crate::error::NamespaceError;
use crate::namespace::Namespace;

/// The identity of one namespace: the device and inode of its `nsfs` file.
///
/// Compare the whole struct, not just the inode: the kernel documents the (device, inode)
/// pair as the identity, and the device could differ one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NamespaceId {
    /// `st_dev` of the namespace file.
    pub dev: u64,
    /// `st_ino` of the namespace file: the number `ls -l /proc/<pid>/ns` shows.
    pub inode: u64,
}

impl From<FileStat> for NamespaceId {
    fn from(st: FileStat) -> Self {
        NamespaceId {
            dev: st.st_dev,
            inode: st.st_ino,
        }
    }
}

/// The identity of the `ns` namespace named by a file (a `/proc/<pid>/ns/<name>` link or a
/// bind mount of one): stat(2).
pub fn namespace_id_of_path(path: &Path, ns: Namespace) -> Result<NamespaceId, NamespaceError> {
    // ex2: stat(2) the file (`nix::sys::stat::stat`); `NamespaceId::from` turns the
    // `FileStat` into the (device, inode) pair. A failure is `NamespaceError::Stat`,
    // naming the kind and the path.
    todo!(
        "ex2: stat(path), then NamespaceId::from, errors mapped to NamespaceError::Stat {{ ns, path, source }}"
    )
}

/// The identity of the `ns` namespace process `pid` is in: stat(2) of `/proc/<pid>/ns/<name>`.
pub fn namespace_id(pid: Pid, ns: Namespace) -> Result<NamespaceId, NamespaceError> {
    namespace_id_of_path(&ns.proc_path(pid), ns)
}

/// The identity of the `ns` namespace the calling *thread* is in, through
/// `/proc/thread-self/ns/<name>`.
///
/// `unshare(2)` and `setns(2)` move only the calling thread; `/proc/self` names the whole
/// process (its main thread), so after a namespace change in another thread it would lie.
pub fn current_namespace_id(ns: Namespace) -> Result<NamespaceId, NamespaceError> {
    let path = PathBuf::from(format!("/proc/thread-self/ns/{}", ns.proc_name()));
    namespace_id_of_path(&path, ns)
}

/// The identity of the namespace behind an open namespace file descriptor: fstat(2).
pub(crate) fn id_of_fd(
    fd: BorrowedFd<'_>,
    ns: Namespace,
    path: &Path,
) -> Result<NamespaceId, NamespaceError> {
    fstat(fd)
        .map(NamespaceId::from)
        .map_err(|source| NamespaceError::Stat {
            ns,
            path: path.to_path_buf(),
            source,
        })
}

/// Whether processes `a` and `b` are in the same namespace of kind `ns`: compares the
/// (device, inode) pairs of `/proc/a/ns/<name>` and `/proc/b/ns/<name>`.
///
/// Fails if either process is gone, or if the caller may not look at its namespaces
/// (reading another user's `/proc/<pid>/ns` needs ptrace access).
pub fn same_namespace(a: Pid, b: Pid, ns: Namespace) -> Result<bool, NamespaceError> {
    // ex2: two processes share a namespace when their namespace files have the same identity.
    todo!("ex2: compare namespace_id(a, ns)? with namespace_id(b, ns)?")
}
