//! Where the file system puts a new layer's inodes, and why an engine may care.
//!
//! A container costs dozens of new inodes: its record files, two layer directories with
//! `diff/` and `work/`, the init layer's mount points, overlayfs' own checks in `work/` at
//! every mount. ext4 puts a new directory near its parent and a new file in its directory's
//! block group, so every container of a data root lands in the same few groups, and there an
//! ext4 **without a journal** (ours here: `mkfs.ext4 -O ^has_journal`, common in VMs) pays
//! for the containers before it: it will not hand out an inode freed in the last 5 seconds
//! (5 minutes while its inode table block is not written back yet, `recently_deleted()` in
//! `fs/ext4/ialloc.c`), and skips them one by one, looking each up, at every allocation. A
//! loop of `run --rm` frees ~50 inodes a run, and a new inode cost 70–80 µs instead of ~20.
//!
//! ```text
//!  group 12   [used used freed freed freed … freed freed ▸new]   every container's files,
//!              ^ each allocation walks past every inode freed      behind every earlier one
//!              in the last minutes
//!
//!  +T         group 12 [▸new …]   group 903 [▸new …]   group 447 [▸new …]
//!  (TOPDIR)   a new directory right under it goes to a group of its own (Orlov's spread)
//! ```
//!
//! ext4's answer is the `TOPDIR` flag (`chattr +T`, `FS_TOPDIR_FL` in ioctl_iflags(2)): a
//! directory "at the top of a directory hierarchy", whose subdirectories the Orlov allocator
//! spreads over the whole disk like those of `/`. Each container's directory, and each
//! layer's, *is* the top of a hierarchy of its own, so the engine marks the directories that
//! hold them ([`mark_top_of_hierarchies`]). With a journal ext4 skips nothing, and the flag
//! only spreads the directories; other file systems have no such flag.

use std::os::fd::AsRawFd;
use std::path::Path;

use nix::errno::Errno;

use crate::LayerError;

/// `FS_TOPDIR_FL` of `<linux/fs.h>`: "top of directory hierarchies" (ioctl_iflags(2)).
const FS_TOPDIR_FL: libc::c_int = 0x0002_0000;

// ANCHOR: topdir
/// Mark directory `dir` as the top of directory hierarchies (`chattr +T`): ext4 spreads the
/// directories made right under it over the disk. `Ok(true)` once it has the flag (set now
/// or before), `Ok(false)` on a file system without it (tmpfs, xfs, btrfs, overlayfs).
pub fn mark_top_of_hierarchies(dir: &Path) -> Result<bool, LayerError> {
    let file = std::fs::File::open(dir).map_err(|e| LayerError::io("open(2)", dir, &e))?;
    let mut flags = match inode_flags(&file, dir)? {
        Some(flags) if flags & FS_TOPDIR_FL != 0 => return Ok(true),
        Some(flags) => flags,
        None => return Ok(false),
    };
    flags |= FS_TOPDIR_FL;
    // SAFETY: FS_IOC_SETFLAGS reads one int from `flags`, which lives across the call.
    if unsafe { libc::ioctl(file.as_raw_fd(), libc::FS_IOC_SETFLAGS, &flags) } < 0 {
        return not_supported_or(Errno::last(), "ioctl(2) FS_IOC_SETFLAGS", dir);
    }
    Ok(true)
}
// ANCHOR_END: topdir

/// Whether `dir` has the `TOPDIR` flag now (`lsattr -d` shows a `T`).
pub fn is_top_of_hierarchies(dir: &Path) -> Result<bool, LayerError> {
    let file = std::fs::File::open(dir).map_err(|e| LayerError::io("open(2)", dir, &e))?;
    Ok(inode_flags(&file, dir)?.is_some_and(|flags| flags & FS_TOPDIR_FL != 0))
}

/// The inode flags of `file` (`dir`, open), ioctl_iflags(2) `FS_IOC_GETFLAGS`; `None` on a
/// file system without them.
fn inode_flags(file: &std::fs::File, dir: &Path) -> Result<Option<libc::c_int>, LayerError> {
    let mut flags: libc::c_int = 0;
    // SAFETY: FS_IOC_GETFLAGS writes one int (the kernel's `int`, whatever the ioctl's name
    // says) into `flags`, which lives across the call; the descriptor is open.
    if unsafe { libc::ioctl(file.as_raw_fd(), libc::FS_IOC_GETFLAGS, &mut flags) } < 0 {
        return not_supported_or(Errno::last(), "ioctl(2) FS_IOC_GETFLAGS", dir).map(|_| None);
    }
    Ok(Some(flags))
}

/// A file system without inode flags, or without this one, answers ENOTTY, EOPNOTSUPP or
/// EINVAL: `Ok(false)`. Anything else (EPERM, EACCES, EROFS) is an error naming `dir`.
fn not_supported_or(errno: Errno, op: &'static str, dir: &Path) -> Result<bool, LayerError> {
    match errno {
        Errno::ENOTTY | Errno::EOPNOTSUPP | Errno::EINVAL => Ok(false),
        errno => Err(LayerError::path(op, dir, errno)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXT4_SUPER_MAGIC: i64 = 0xEF53;
    const TMPFS_MAGIC: i64 = 0x0102_1994;

    fn fs_magic(path: &Path) -> i64 {
        nix::sys::statfs::statfs(path).unwrap().filesystem_type().0
    }

    #[test]
    fn an_ext4_directory_gets_the_flag_once_and_keeps_its_other_flags() {
        let dir = tempfile::tempdir().unwrap();
        if fs_magic(dir.path()) != EXT4_SUPER_MAGIC {
            eprintln!("skipped: the temp dir is not on ext4");
            return;
        }
        assert!(
            !is_top_of_hierarchies(dir.path()).unwrap(),
            "a new directory has no T"
        );
        assert!(mark_top_of_hierarchies(dir.path()).unwrap());
        assert!(is_top_of_hierarchies(dir.path()).unwrap());
        assert!(
            mark_top_of_hierarchies(dir.path()).unwrap(),
            "again: already marked"
        );
        // what chattr(1) would have done: lsattr(1) (e2fsprogs) shows it
        let out = std::process::Command::new("lsattr")
            .arg("-d")
            .arg(dir.path())
            .output()
            .unwrap();
        let shown = String::from_utf8_lossy(&out.stdout);
        let attrs = shown.split_whitespace().next().unwrap_or_default();
        assert!(attrs.contains('T'), "lsattr -d: {shown}");
        assert!(attrs.contains('e'), "ext4's extents flag kept: {shown}");
    }

    /// How many of ext4's block groups (8192 inodes each in a default mkfs, the bucket here)
    /// twenty directories made in `parent` fall into.
    fn groups_of_new_subdirectories(parent: &Path) -> usize {
        use std::os::unix::fs::MetadataExt;
        let groups: std::collections::BTreeSet<u64> = (0..20)
            .map(|i| {
                let sub = parent.join(format!("c{i:02}"));
                std::fs::create_dir(&sub).unwrap();
                std::fs::metadata(&sub).unwrap().ino() / 8192
            })
            .collect();
        groups.len()
    }

    #[test]
    fn subdirectories_of_a_marked_directory_are_spread() {
        let root = tempfile::tempdir().unwrap();
        if fs_magic(root.path()) != EXT4_SUPER_MAGIC {
            eprintln!("skipped: the temp dir is not on ext4");
            return;
        }
        let (plain, marked) = (root.path().join("plain"), root.path().join("marked"));
        std::fs::create_dir(&plain).unwrap();
        std::fs::create_dir(&marked).unwrap();
        assert!(mark_top_of_hierarchies(&marked).unwrap());
        // next to the parent without the flag; placed by each name's hash (Orlov) with it
        let (near, spread) = (
            groups_of_new_subdirectories(&plain),
            groups_of_new_subdirectories(&marked),
        );
        assert!(spread > near, "groups: {spread} under +T, {near} without");
    }

    #[test]
    fn a_file_system_without_the_flag_is_not_an_error() {
        let shm = Path::new("/dev/shm");
        if !shm.is_dir() || fs_magic(shm) != TMPFS_MAGIC {
            eprintln!("skipped: no tmpfs at /dev/shm");
            return;
        }
        let dir = tempfile::tempdir_in(shm).unwrap();
        assert!(!mark_top_of_hierarchies(dir.path()).unwrap());
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir");
        let err = mark_top_of_hierarchies(&missing).unwrap_err().to_string();
        assert!(err.contains("no-such-dir"), "{err}");
    }
}
