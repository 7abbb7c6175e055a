//! # Chapter 3: a root filesystem of its own
//!
//! A mount namespace (chapter 2) gives a process a private *copy* of the host's mounts. This
//! chapter turns that copy into a container's filesystem:
//!
//! 1. make every mount private, so nothing propagates back to the host ([`pivot`]);
//! 2. bind-mount the image's directory onto itself and mount `/proc`, `/dev`, `/sys`, … inside
//!    it ([`mounts`], [`devices`]), plus the container's own `/etc/hosts` & co. ([`etc_files`]);
//! 3. `pivot_root(2)` into it and detach the old root ([`pivot`]);
//! 4. hide what a container must not read and freeze what it must not write ([`masked`]);
//! 5. become the container's user with Docker's capabilities and `execve(2)` ([`user`],
//!    [`capabilities`], [`process`]).
//!
//! Every mount goes through the [`Syscall`] trait, so the order can be unit-tested without root.

pub mod capabilities;
pub mod devices;
mod error;
pub mod etc_files;
pub mod masked;
pub mod mounts;
pub mod pivot;
pub mod process;
pub mod rootfs;
pub mod secure_join;
pub mod syscall;
pub mod user;

pub use error::RootfsError;
pub use mounts::Mount;
pub use process::{ExecFailure, ProcessSpec, exec_process};
pub use rootfs::{RootfsSpec, prepare_rootfs};
pub use syscall::{LinuxSyscall, RecordingSyscall, Syscall};
pub use user::{ResolvedUser, UserSpec, resolve_user};
