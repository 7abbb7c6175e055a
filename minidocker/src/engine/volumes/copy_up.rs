//! Docker's copy-up of a volume: when a container is created with a volume over a directory
//! of its image (`-v data:/etc`), and the volume is empty, the image's files are copied into
//! it first, so the container finds them there (`nocopy` turns this off).
//!
//! The copy keeps what a container could tell apart: file types (directories, regular files,
//! symbolic links, fifos, device nodes, sockets are skipped), permission bits, owners,
//! modification times and hard links between the files copied. The volume's root takes the
//! image directory's owner and permissions too. Symbolic links are copied as links, never
//! followed: the source is an image, which may point anywhere.

use std::collections::HashMap;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use nix::sys::stat::{Mode, SFlag, UtimensatFlags, mknod, utimensat};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchownat};

/// Whether `dir` has no entries (a missing directory counts as empty).
pub fn is_empty_dir(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

fn io_at(path: &Path) -> impl Fn(std::io::Error) -> std::io::Error + '_ {
    move |e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

fn errno_at(path: &Path) -> impl Fn(nix::errno::Errno) -> std::io::Error + '_ {
    move |errno| io_at(path)(errno.into())
}

/// Owner, permissions and times of `meta` onto `path` (a link itself, not what it points to).
fn copy_attributes(path: &Path, meta: &std::fs::Metadata) -> std::io::Result<()> {
    // lchown(2): not following a symbolic link
    fchownat(
        nix::fcntl::AT_FDCWD,
        path,
        Some(Uid::from_raw(meta.uid())),
        Some(Gid::from_raw(meta.gid())),
        nix::fcntl::AtFlags::AT_SYMLINK_NOFOLLOW,
    )
    .map_err(errno_at(path))?;
    if !meta.file_type().is_symlink() {
        // after chown(2), which clears set-user-id and set-group-id bits
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(meta.mode() & 0o7777))
            .map_err(io_at(path))?;
    }
    // utimensat(2) with AT_SYMLINK_NOFOLLOW
    utimensat(
        nix::fcntl::AT_FDCWD,
        path,
        &TimeSpec::new(meta.atime(), meta.atime_nsec()),
        &TimeSpec::new(meta.mtime(), meta.mtime_nsec()),
        UtimensatFlags::NoFollowSymlink,
    )
    .map_err(errno_at(path))
}

// ANCHOR: copy_up
/// Copies the tree under `source` into the directory `dest` (which exists), then gives `dest`
/// the owner, permissions and times of `source`.
pub fn copy_dir(source: &Path, dest: &Path) -> std::io::Result<()> {
    let mut links = HashMap::new();
    copy_children(source, dest, &mut links)?;
    copy_attributes(dest, &std::fs::metadata(source).map_err(io_at(source))?)
}
// ANCHOR_END: copy_up

/// The entries of `source` into `dest`; `links` maps the (device, inode) of files with more
/// than one link to their first copy, so the copies are linked too.
fn copy_children(
    source: &Path,
    dest: &Path,
    links: &mut HashMap<(u64, u64), std::path::PathBuf>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(source).map_err(io_at(source))? {
        let entry = entry.map_err(io_at(source))?;
        let from = entry.path();
        let to = dest.join(entry.file_name());
        let meta = std::fs::symlink_metadata(&from).map_err(io_at(&from))?;
        let kind = meta.file_type();
        if kind.is_dir() {
            std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&to)
                .map_err(io_at(&to))?;
            copy_children(&from, &to, links)?;
        } else if let Some(first) = (meta.nlink() > 1)
            .then(|| links.get(&(meta.dev(), meta.ino())))
            .flatten()
        {
            std::fs::hard_link(first, &to).map_err(io_at(&to))?;
            continue; // a link shares its attributes with the first copy
        } else if kind.is_symlink() {
            let target = std::fs::read_link(&from).map_err(io_at(&from))?;
            std::os::unix::fs::symlink(target, &to).map_err(io_at(&to))?;
        } else if kind.is_file() {
            let mut input = std::fs::File::open(&from).map_err(io_at(&from))?;
            let mut output = std::fs::File::create_new(&to).map_err(io_at(&to))?;
            std::io::copy(&mut input, &mut output).map_err(io_at(&to))?;
        } else if kind.is_fifo() || kind.is_char_device() || kind.is_block_device() {
            let node = if kind.is_fifo() {
                SFlag::S_IFIFO
            } else if kind.is_char_device() {
                SFlag::S_IFCHR
            } else {
                SFlag::S_IFBLK
            };
            // mknod(2)
            mknod(&to, node, Mode::from_bits_truncate(0o600), meta.rdev()).map_err(errno_at(&to))?;
        } else {
            continue; // a socket means nothing without its process
        }
        if meta.nlink() > 1 && !kind.is_dir() {
            links.insert((meta.dev(), meta.ino()), to.clone());
        }
        copy_attributes(&to, &meta)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_keeps_types_modes_times_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let (src, dst) = (dir.path().join("src"), dir.path().join("dst"));
        std::fs::create_dir_all(src.join("sub")).unwrap();
        std::fs::write(src.join("sub/file"), "hello").unwrap();
        std::fs::set_permissions(src.join("sub/file"), std::fs::Permissions::from_mode(0o640)).unwrap();
        std::fs::hard_link(src.join("sub/file"), src.join("link")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", src.join("sym")).unwrap();
        std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o1777)).unwrap();
        std::fs::create_dir(&dst).unwrap();
        assert!(is_empty_dir(&dst).unwrap());

        copy_dir(&src, &dst).unwrap();

        assert_eq!(std::fs::read_to_string(dst.join("sub/file")).unwrap(), "hello");
        let file = std::fs::metadata(dst.join("sub/file")).unwrap();
        assert_eq!(file.mode() & 0o7777, 0o640);
        assert_eq!(
            file.mtime(),
            std::fs::metadata(src.join("sub/file")).unwrap().mtime()
        );
        assert_eq!(file.ino(), std::fs::metadata(dst.join("link")).unwrap().ino());
        assert_eq!(
            std::fs::read_link(dst.join("sym")).unwrap(),
            Path::new("/etc/passwd")
        );
        assert_eq!(std::fs::metadata(&dst).unwrap().mode() & 0o7777, 0o1777);
        assert!(!is_empty_dir(&dst).unwrap());
        assert!(is_empty_dir(&dir.path().join("missing")).unwrap());
    }
}
