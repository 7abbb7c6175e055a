//! A private, writable copy of an image's root filesystem for one container.
//!
//! Step 1 has no layers yet, so each container gets a copy (a busybox image is one 1 MB file and
//! some 400 symlinks: a few milliseconds). Chapter 4 replaces this with an overlay mount that
//! copies nothing until a file is written.

use std::os::unix::fs::{MetadataExt, PermissionsExt, lchown};
use std::path::Path;

/// Copy `src` to `dst` (which must not exist): files, directories, symlinks, device nodes,
/// fifos, with their modes and owners.
pub fn copy_tree(src: &Path, dst: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(src)?;
    let kind = meta.file_type();
    if kind.is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(src)?, dst)?;
    } else if kind.is_dir() {
        std::fs::create_dir(dst)?;
        for entry in std::fs::read_dir(src)? {
            let entry = entry?;
            copy_tree(&entry.path(), &dst.join(entry.file_name()))?;
        }
        std::fs::set_permissions(dst, std::fs::Permissions::from_mode(meta.mode()))?;
    } else if kind.is_file() {
        std::fs::copy(src, dst)?;
    } else {
        // char/block devices, fifos, sockets: same type and numbers
        let sflag = nix::sys::stat::SFlag::from_bits_truncate(meta.mode() & libc::S_IFMT);
        let perm = nix::sys::stat::Mode::from_bits_truncate(meta.mode());
        nix::sys::stat::mknod(dst, sflag, perm, meta.rdev()).map_err(std::io::Error::from)?;
    }
    lchown(dst, Some(meta.uid()), Some(meta.gid()))?;
    if kind.is_file() {
        // after chown, which clears set-id bits
        std::fs::set_permissions(dst, std::fs::Permissions::from_mode(meta.mode()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_files_dirs_links_and_modes() {
        let src = tempfile::tempdir().unwrap();
        std::fs::create_dir(src.path().join("bin")).unwrap();
        std::fs::write(src.path().join("bin/tool"), b"#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            src.path().join("bin/tool"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::os::unix::fs::symlink("tool", src.path().join("bin/alias")).unwrap();
        let dst = tempfile::tempdir().unwrap();
        let target = dst.path().join("copy");
        copy_tree(src.path(), &target).unwrap();
        assert_eq!(std::fs::read(target.join("bin/tool")).unwrap(), b"#!/bin/sh\n");
        assert_eq!(
            std::fs::metadata(target.join("bin/tool")).unwrap().mode() & 0o7777,
            0o755
        );
        assert_eq!(
            std::fs::read_link(target.join("bin/alias")).unwrap(),
            Path::new("tool")
        );
    }
}
