//! Switching the root: mount propagation, the rootfs bind mount, and `pivot_root(2)`.
//!
//! **Lab 03 skeleton.** Exercise `ex3`: write [`pivot_into`] (the `todo!()`).
//! `labs/check 03` tells you how far you are.

use std::path::Path;

use nix::mount::{MntFlags, MsFlags};

use crate::RootfsError;
use crate::syscall::Syscall;

/// Stop mount events from crossing between the host and the new mount namespace.
///
/// A new mount namespace starts with copies of the host's mounts that are still *shared*
/// with it (systemd makes `/` shared): without this, every mount we make inside would also
/// appear on the host, and the host's unmounts would reach in. `MS_REC | MS_PRIVATE` on `/`
/// cuts both directions. (runc's default is `MS_SLAVE`: host mounts still propagate in.)
pub fn make_root_private(sys: &dyn Syscall) -> Result<(), RootfsError> {
    sys.mount(
        None,
        Path::new("/"),
        None,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None,
    )
}

/// Turn the rootfs directory into a mount point of its own.
///
/// `pivot_root(2)` requires the new root to be a mount point; binding the directory onto itself
/// makes it one without copying anything.
pub fn bind_rootfs(sys: &dyn Syscall, rootfs: &Path) -> Result<(), RootfsError> {
    sys.mount(
        Some(rootfs),
        rootfs,
        None,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None,
    )
}

/// Make `rootfs` the new `/` and detach the old root entirely.
///
/// The trick (from runc): `pivot_root(".", ".")` stacks the old root *on top of* the new one
/// at the same place, so no `put_old` directory has to exist in the image. The old root is then
/// the topmost mount on `.`, and a lazy unmount (`MNT_DETACH`) drops it, with every host mount
/// below it, from this namespace. After that no path leads back to the host.
pub fn pivot_into(sys: &dyn Syscall, rootfs: &Path) -> Result<(), RootfsError> {
    // ex3: four calls on `sys`, as the doc comment above tells: go into the rootfs,
    // `pivot_root(".", ".")`, lazily unmount the old root now stacked on `.`
    // (`MntFlags::MNT_DETACH`), and end up in the new `/`.
    todo!(
        "ex3: sys.chdir(rootfs), sys.pivot_root(\".\", \".\"), sys.umount2(\".\", MNT_DETACH), sys.chdir(\"/\")"
    )
}
