//! Extended attributes, the `l*` variants only: a layer never follows a symlink it finds.
//!
//! overlayfs keeps its own bookkeeping in the `trusted.overlay.*` namespace (readable and
//! writable by `CAP_SYS_ADMIN` only), file capabilities live in `security.capability`, and
//! applications may use `user.*`.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use nix::errno::Errno;

use crate::LayerError;

pub(crate) fn cstring(path: &Path) -> Result<CString, LayerError> {
    CString::new(path.as_os_str().as_bytes()).map_err(|_| LayerError::NulInPath {
        path: path.to_owned(),
    })
}

fn cname(name: &str, path: &Path) -> Result<CString, LayerError> {
    CString::new(name).map_err(|_| LayerError::path("xattr name", path, Errno::EINVAL))
}

/// lgetxattr(2): `Ok(None)` when the attribute is not set (or the filesystem has no xattrs).
pub fn lget(path: &Path, name: &str) -> Result<Option<Vec<u8>>, LayerError> {
    let cpath = cstring(path)?;
    let cname = cname(name, path)?;
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: both strings are NUL-terminated and live across the call; the kernel writes at
        // most `buf.len()` bytes into `buf`.
        let n =
            unsafe { libc::lgetxattr(cpath.as_ptr(), cname.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            buf.truncate(n.unsigned_abs());
            return Ok(Some(buf));
        }
        match Errno::last() {
            Errno::ENODATA | Errno::ENOTSUP => return Ok(None),
            Errno::ERANGE if buf.len() < 64 * 1024 => buf.resize(buf.len() * 4, 0),
            errno => return Err(LayerError::path("lgetxattr(2)", path, errno)),
        }
    }
}

/// lsetxattr(2)
pub fn lset(path: &Path, name: &str, value: &[u8]) -> Result<(), LayerError> {
    let cpath = cstring(path)?;
    let cname = cname(name, path)?;
    // SAFETY: both strings are NUL-terminated; the kernel reads `value.len()` bytes of `value`.
    let rc = unsafe {
        libc::lsetxattr(
            cpath.as_ptr(),
            cname.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(LayerError::path("lsetxattr(2)", path, Errno::last()))
    }
}

/// llistxattr(2): the attribute names, empty when the filesystem has no xattrs.
pub fn llist(path: &Path) -> Result<Vec<String>, LayerError> {
    let cpath = cstring(path)?;
    let mut buf = vec![0u8; 1024];
    loop {
        // SAFETY: the path is NUL-terminated; the kernel writes at most `buf.len()` bytes.
        let n = unsafe { libc::llistxattr(cpath.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            buf.truncate(n.unsigned_abs());
            let names = buf
                .split(|b| *b == 0)
                .filter(|n| !n.is_empty())
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect();
            return Ok(names);
        }
        match Errno::last() {
            Errno::ENOTSUP => return Ok(Vec::new()),
            Errno::ERANGE if buf.len() < 1024 * 1024 => buf.resize(buf.len() * 4, 0),
            errno => return Err(LayerError::path("llistxattr(2)", path, errno)),
        }
    }
}
