//! How overlayfs records a deletion, and how a layer tar spells the same thing.
//!
//! **Lab 04 skeleton.** Exercise `ex2`: write [`is_whiteout`], [`create_whiteout`],
//! [`is_opaque`] and [`set_opaque`] (the four `todo!()`s). `labs/check 04` tells you how
//! far you are.
//!
//! A lower layer is read-only, so `rm /etc/motd` inside a container cannot touch it. overlayfs
//! instead leaves a *whiteout* in the upper dir: a character device with device number 0/0 and
//! the deleted file's name. Lookups that meet a whiteout stop and report "no such file".
//!
//! `rm -rf /var/cache && mkdir /var/cache` needs more: the new, empty directory must hide
//! everything the lower layers have under that name. overlayfs marks it *opaque* with the
//! extended attribute `trusted.overlay.opaque="y"`.
//!
//! Neither survives a trip through a tar file, so images use the AUFS spelling instead
//! (OCI image-spec, layer.md, "Whiteouts"):
//!
//! | overlayfs upper dir                      | layer tar                        |
//! |------------------------------------------|----------------------------------|
//! | `etc/motd`: char device 0/0              | empty file `etc/.wh.motd`        |
//! | `var/cache/` with `trusted.overlay.opaque=y` | `var/cache/` + empty `var/cache/.wh..wh..opq` |
//!
//! `export.rs` converts one way, `apply.rs` the other.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use nix::sys::stat::{Mode, SFlag, mknod};

use crate::{LayerError, xattr};

/// A tar entry named `.wh.<name>` deletes `<name>` from the layers below.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// A tar entry with this name makes its directory opaque: nothing below shows through.
pub const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";
/// Names starting with `.wh..wh.` are AUFS bookkeeping, never real files.
pub const WHITEOUT_META_PREFIX: &str = ".wh..wh.";
/// The extended attribute overlayfs reads to decide that a directory is opaque.
pub const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// Is this (`lstat`) metadata an overlayfs whiteout, a character device 0/0?
pub fn is_whiteout(meta: &std::fs::Metadata) -> bool {
    // ex2: a character device (`meta.file_type().is_char_device()`, from `FileTypeExt`)
    // whose device number (`meta.rdev()`, from `MetadataExt`) is 0.
    todo!("ex2: meta.file_type().is_char_device() && meta.rdev() == 0")
}

/// mknod(2) a whiteout at `path`: `c 0 0`, mode 0, as overlayfs itself makes them.
pub fn create_whiteout(path: &Path) -> Result<(), LayerError> {
    // ex2: mknod(2) with `nix::sys::stat::mknod`: kind `SFlag::S_IFCHR`, no permission
    // bits (`Mode::empty()`), device 0. A failure is `LayerError::path("mknod(2)", path, errno)`.
    todo!(
        "ex2: mknod(path, SFlag::S_IFCHR, Mode::empty(), 0), an errno mapped to LayerError::path(\"mknod(2)\", path, errno)"
    )
}

/// Is `dir` marked opaque (`trusted.overlay.opaque` is exactly `"y"`)?
///
/// Since Linux 6.7 overlayfs also writes the value `"x"`, meaning "this directory may contain
/// whiteouts of its own" — that is *not* opaque.
pub fn is_opaque(dir: &Path) -> Result<bool, LayerError> {
    // ex2: `xattr::lget(dir, OPAQUE_XATTR)?` is the attribute's value, `None` when it is
    // not set. Only the value `y` means opaque.
    todo!("ex2: Ok(true) only when xattr::lget(dir, OPAQUE_XATTR)? is Some(b\"y\")")
}

/// Mark `dir` opaque. Needs `CAP_SYS_ADMIN` (a `trusted.*` attribute).
pub fn set_opaque(dir: &Path) -> Result<(), LayerError> {
    // ex2: `xattr::lset` the attribute to `y`.
    todo!("ex2: xattr::lset(dir, OPAQUE_XATTR, b\"y\")")
}
