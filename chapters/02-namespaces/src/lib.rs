//! # Chapter 2: namespaces
//!
//! A container is an ordinary process that sees less. Namespaces are how the kernel makes it
//! see less: each kind wraps one global resource (hostnames, process ids, mounts, ...) so
//! that processes inside get their own copy, and cannot see or touch the others'.
//!
//! ```text
//!               host                          container
//!   hostname    vm-1                          web1             (uts)
//!   PIDs        1 systemd ... 4242 sh         1 sh             (pid)
//!   mounts      / /proc /home ...             / /proc          (mnt)
//!   interfaces  lo eth0 docker0               lo eth0          (net)
//!   uid         100000                        0 (root)         (user)
//! ```
//!
//! This crate is the chapter's code, one concept per module:
//!
//! - [`namespace`]: the seven kinds, their flags, `/proc` names and the order to join them;
//! - [`mod@join`]: `unshare(2)` to create namespaces, `setns(2)` (by path, pid or pidfd) to join;
//! - [`identity`]: whether two processes share a namespace (a namespace is an inode);
//! - [`idmap`]: the uid and gid maps that give a user namespace its meaning;
//! - [`hostname`]: the hostname of a UTS namespace;
//! - [`child`]: a forked child to do all of this in, since namespace changes are for life.
//!
//! Run one example per namespace to see the isolation (as root):
//! `cargo run -p ch02-namespaces --example uts` (also `pid`, `mount`, `ipc`, `net`,
//! `user`, `cgroup`).

pub mod child;
pub mod error;
pub mod hostname;
pub mod identity;
pub mod idmap;
pub mod join;
pub mod loopback;
pub mod namespace;

pub use child::{ChildSide, ForkedChild};
pub use error::NamespaceError;
pub use hostname::{set_hostname, validate_hostname};
pub use identity::{NamespaceId, current_namespace_id, namespace_id, namespace_id_of_path, same_namespace};
pub use idmap::{IdMapping, deny_setgroups, validate_mappings, write_gid_map, write_uid_map};
pub use join::{PidFd, join, join_all, join_by_pidfd, join_path, unshare};
pub use loopback::set_loopback_up;
pub use namespace::{Namespace, clone_flags};
