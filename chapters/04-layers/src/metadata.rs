//! Setting what a tar header says on a file we just created: owner, mode, xattrs, times.
//! Every call works on a path whose last component `apply.rs` created itself, and never
//! follows a symlink there (lchown, utimensat with AT_SYMLINK_NOFOLLOW; chmod only on
//! non-symlinks). (For a regular file it still holds open, `apply.rs` uses the descriptor.)

use std::io::Read;
use std::path::Path;

use nix::fcntl::{AT_FDCWD, AtFlags};
use nix::sys::stat::{FchmodatFlags, Mode, UtimensatFlags, fchmodat, utimensat};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchownat};

use crate::{LayerError, xattr};

/// lchown(2) (as root only: nobody else may give files away), then the xattrs a layer may
/// set. `trusted.overlay.*` is refused: a layer must not forge overlayfs' bookkeeping
/// (redirects, origins, metacopy) — its whiteouts and opaque dirs come from `.wh.` entries.
pub(crate) fn set_owner_and_xattrs(
    path: &Path,
    meta: &Meta,
    xattrs: &[(String, Vec<u8>)],
    is_root: bool,
) -> Result<(), LayerError> {
    if is_root {
        lchown(path, meta)?;
    }
    set_xattrs(path, xattrs)
}

/// The xattrs a layer may set (not `trusted.overlay.*`); unsupported ones are skipped.
pub(crate) fn set_xattrs(path: &Path, xattrs: &[(String, Vec<u8>)]) -> Result<(), LayerError> {
    for (name, value) in xattrs {
        if name.starts_with("trusted.overlay.") {
            tracing::warn!(path = %path.display(), %name, "refusing an overlayfs xattr from a layer tar");
            continue;
        }
        match xattr::lset(path, name, value) {
            Err(LayerError::Path {
                errno: nix::errno::Errno::ENOTSUP | nix::errno::Errno::EPERM,
                ..
            }) => tracing::warn!(path = %path.display(), %name, "xattr not supported here, skipped"),
            other => other?,
        }
    }
    Ok(())
}

/// Owner, xattrs, then mode (chown clears setuid), then mtime; never for symlinks.
pub(crate) fn set_metadata(
    path: &Path,
    meta: &Meta,
    xattrs: &[(String, Vec<u8>)],
    is_root: bool,
) -> Result<(), LayerError> {
    set_owner_and_xattrs(path, meta, xattrs, is_root)?;
    chmod(path, meta.mode)?;
    set_mtime(path, meta.mtime)
}

/// The metadata a header carries.
pub(crate) struct Meta {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub mtime: i64,
}

impl Meta {
    pub(crate) fn from_header(header: &tar::Header) -> std::io::Result<Meta> {
        let range =
            |what| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{what} out of range"));
        Ok(Meta {
            uid: u32::try_from(header.uid()?).map_err(|_| range("uid"))?,
            gid: u32::try_from(header.gid()?).map_err(|_| range("gid"))?,
            mode: header.mode()? & 0o7777,
            mtime: i64::try_from(header.mtime()?).map_err(|_| range("mtime"))?,
        })
    }
}

/// The `SCHILY.xattr.*` records of the entry's PAX header.
pub(crate) fn pax_xattrs<R: Read>(entry: &mut tar::Entry<'_, R>) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    if let Some(extensions) = entry.pax_extensions()? {
        for ext in extensions {
            let ext = ext?;
            if let Some(name) = ext.key_bytes().strip_prefix(b"SCHILY.xattr.") {
                out.push((
                    String::from_utf8_lossy(name).into_owned(),
                    ext.value_bytes().to_vec(),
                ));
            }
        }
    }
    Ok(out)
}

pub(crate) fn mkdir(path: &Path, mode: u32) -> Result<(), LayerError> {
    nix::unistd::mkdir(path, Mode::from_bits_truncate(mode))
        .map_err(|errno| LayerError::path("mkdir(2)", path, errno))
}

/// unlink(2), or a recursive removal that never follows symlinks (std's `remove_dir_all`).
pub(crate) fn remove(path: &Path, is_dir: bool) -> Result<(), LayerError> {
    let result = if is_dir {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    result.map_err(|e| LayerError::io("remove", path, &e))
}

pub(crate) fn lchown(path: &Path, meta: &Meta) -> Result<(), LayerError> {
    let (uid, gid) = (Some(Uid::from_raw(meta.uid)), Some(Gid::from_raw(meta.gid)));
    fchownat(AT_FDCWD, path, uid, gid, AtFlags::AT_SYMLINK_NOFOLLOW)
        .map_err(|errno| LayerError::path("lchown(2)", path, errno))
}

/// chmod(2); only ever called on a path whose last component is not a symlink.
pub(crate) fn chmod(path: &Path, mode: u32) -> Result<(), LayerError> {
    fchmodat(
        AT_FDCWD,
        path,
        Mode::from_bits_retain(mode),
        FchmodatFlags::FollowSymlink,
    )
    .map_err(|errno| LayerError::path("chmod(2)", path, errno))
}

/// utimensat(2) with AT_SYMLINK_NOFOLLOW; atime = mtime, as Docker does without an atime.
pub(crate) fn set_mtime(path: &Path, mtime: i64) -> Result<(), LayerError> {
    let t = TimeSpec::new(mtime, 0);
    utimensat(AT_FDCWD, path, &t, &t, UtimensatFlags::NoFollowSymlink)
        .map_err(|errno| LayerError::path("utimensat(2)", path, errno))
}
