//! Paths Docker hides or freezes inside every container.
//!
//! **Lab 03 skeleton.** Exercise `ex2`: write [`mask_path`] and [`readonly_path`] (the two
//! `todo!()`s). Every mount goes through `sys`, so you can test without root.
//! `labs/check 03` tells you how far you are.
//!
//! Even in its own namespaces a container sees the *host's* `/proc` files for things that are
//! not namespaced: kernel memory (`/proc/kcore`), keys, timers, the scheduler. Docker masks
//! them (a read-only empty tmpfs over a directory, `/dev/null` over a file) and makes kernel
//! knobs read-only (`/proc/sys`, `/proc/sysrq-trigger`). This runs after `pivot_root`, so the
//! paths are the container's own.

use std::path::Path;

use nix::mount::MsFlags;

use crate::RootfsError;
use crate::syscall::{FileKind, Syscall};

/// Docker's default masked paths (moby `oci/defaults.go`).
pub const MASKED_PATHS: [&str; 11] = [
    "/proc/asound",
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/devices/virtual/powercap",
];

/// Docker's default read-only paths.
pub const READONLY_PATHS: [&str; 5] = [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// Hide `path`: a read-only empty tmpfs over a directory, `/dev/null` over anything else.
/// A path the kernel does not have is skipped.
pub fn mask_path(sys: &dyn Syscall, path: &Path) -> Result<(), RootfsError> {
    // ex2: `sys.file_kind(path)` says what is there (`None`: nothing, skip it). Mount over it
    // with `sys.mount(source, target, fstype, flags, data)`: a tmpfs mounted `MS_RDONLY` on a
    // directory, a bind mount (`MS_BIND`, no fstype) of `/dev/null` on anything else.
    todo!(
        "ex2: match sys.file_kind(path): None => Ok(()), a directory gets a read-only tmpfs, anything else a bind mount of /dev/null"
    )
}

/// Make `path` read-only: bind it onto itself, then remount that bind read-only.
pub fn readonly_path(sys: &dyn Syscall, path: &Path) -> Result<(), RootfsError> {
    // ex2: a bind mount cannot be made read-only in the same mount(2) call that creates it:
    // bind `path` onto itself (`MS_BIND | MS_REC`), then remount that bind with
    // `MS_BIND | MS_REMOUNT | MS_RDONLY` (plus `MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC`).
    // A path that does not exist is skipped.
    todo!(
        "ex2: skip a missing path; sys.mount the path onto itself with MS_BIND | MS_REC, then remount it with MS_BIND | MS_REMOUNT | MS_RDONLY (and MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC)"
    )
}

/// Apply Docker's default masked and read-only paths.
pub fn apply_default_masks(sys: &dyn Syscall) -> Result<(), RootfsError> {
    for p in READONLY_PATHS {
        readonly_path(sys, Path::new(p))?;
    }
    for p in MASKED_PATHS {
        mask_path(sys, Path::new(p))?;
    }
    Ok(())
}
