//! How overlayfs records a deletion, and how a layer tar spells the same thing.
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

// ANCHOR: whiteout_names
/// A tar entry named `.wh.<name>` deletes `<name>` from the layers below.
pub const WHITEOUT_PREFIX: &str = ".wh.";
/// A tar entry with this name makes its directory opaque: nothing below shows through.
pub const OPAQUE_WHITEOUT: &str = ".wh..wh..opq";
/// Names starting with `.wh..wh.` are AUFS bookkeeping, never real files.
pub const WHITEOUT_META_PREFIX: &str = ".wh..wh.";
/// The extended attribute overlayfs reads to decide that a directory is opaque.
pub const OPAQUE_XATTR: &str = "trusted.overlay.opaque";
// ANCHOR_END: whiteout_names

// ANCHOR: is_whiteout
/// Is this (`lstat`) metadata an overlayfs whiteout, a character device 0/0?
pub fn is_whiteout(meta: &std::fs::Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// mknod(2) a whiteout at `path`: `c 0 0`, mode 0, as overlayfs itself makes them.
pub fn create_whiteout(path: &Path) -> Result<(), LayerError> {
    mknod(path, SFlag::S_IFCHR, Mode::empty(), 0).map_err(|errno| LayerError::path("mknod(2)", path, errno))
}
// ANCHOR_END: is_whiteout

// ANCHOR: opaque
/// Is `dir` marked opaque (`trusted.overlay.opaque` is exactly `"y"`)?
///
/// Since Linux 6.7 overlayfs also writes the value `"x"`, meaning "this directory may contain
/// whiteouts of its own" — that is *not* opaque.
pub fn is_opaque(dir: &Path) -> Result<bool, LayerError> {
    Ok(xattr::lget(dir, OPAQUE_XATTR)?.as_deref() == Some(b"y"))
}

/// Mark `dir` opaque. Needs `CAP_SYS_ADMIN` (a `trusted.*` attribute).
pub fn set_opaque(dir: &Path) -> Result<(), LayerError> {
    xattr::lset(dir, OPAQUE_XATTR, b"y")
}
// ANCHOR_END: opaque

#[cfg(test)]
mod tests {
    use super::*;

    fn is_root() -> bool {
        let root = nix::unistd::geteuid().is_root();
        if !root {
            eprintln!("skipped: needs root (mknod and trusted.* xattrs)");
        }
        root
    }

    #[test]
    fn a_whiteout_is_a_0_0_char_device_and_nothing_else_is() {
        if !is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let wh = dir.path().join("gone");
        create_whiteout(&wh).unwrap();
        assert!(is_whiteout(&std::fs::symlink_metadata(&wh).unwrap()));

        let null = dir.path().join("null");
        mknod(
            &null,
            SFlag::S_IFCHR,
            Mode::from_bits_truncate(0o666),
            nix::sys::stat::makedev(1, 3),
        )
        .unwrap();
        assert!(!is_whiteout(&std::fs::symlink_metadata(&null).unwrap()));
        std::fs::write(dir.path().join("file"), "").unwrap();
        assert!(!is_whiteout(
            &std::fs::symlink_metadata(dir.path().join("file")).unwrap()
        ));
    }

    #[test]
    fn opaque_is_the_y_value_only() {
        if !is_root() {
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_opaque(dir.path()).unwrap());
        xattr::lset(dir.path(), OPAQUE_XATTR, b"x").unwrap();
        assert!(!is_opaque(dir.path()).unwrap());
        set_opaque(dir.path()).unwrap();
        assert!(is_opaque(dir.path()).unwrap());
    }
}
