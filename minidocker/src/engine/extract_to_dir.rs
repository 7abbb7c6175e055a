//! `docker cp … CONTAINER:DIR`: a tar extracted into a directory of a container, running or
//! stopped, as Docker's `ContainerExtractToDir` does it, with Docker's rules for what a tar
//! may not do:
//!
//! * every entry name is cleaned and joined onto the destination (`/x` is `DEST/x`); one that
//!   ends up above it (`../../etc/passwd`) is refused: `"…" is outside of "/d"`;
//! * a relative symlink that would point above the destination is refused (an absolute one is
//!   fine: it is resolved inside the container when used); so is a hard link to a file
//!   outside the destination;
//! * a later entry replaces what is there, a directory over a directory merges, and with
//!   `noOverwriteDirNonDir` (what the CLI asks) a directory is never replaced by a
//!   non-directory, nor the reverse;
//! * owners come from the tar (`copyUIDGID`: the container's user owns everything), modes
//!   and mtimes too; directories get their mtime last.
//!
//! Docker extracts in a helper process `chroot`ed into the container's root. Here every
//! entry's directory is resolved by the kernel inside the root (`confined.rs`) and every
//! entry is created *at* that directory's descriptor without following its name, so a
//! symlink in the container (or in the tar: `absl -> /etc`, then `absl/x`) leads to the
//! container's `/etc`, never the host's.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat};
use nix::sys::stat::{Mode, SFlag, fchmod, fstat, fstatat, futimens, makedev, mkdirat, mknodat, utimensat};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, UnlinkatFlags, fchown, fchownat, linkat, symlinkat, unlinkat};
use tar::EntryType;

use super::confined::{ConfinedRoot, clean_relative, os_path};
use super::{Engine, EngineError};

/// `PUT /containers/{id}/archive`'s options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExtractOptions {
    /// `noOverwriteDirNonDir`: never replace a directory by a non-directory, nor the reverse.
    pub no_overwrite_dir_non_dir: bool,
    /// `copyUIDGID`: the container's user (and group) own every entry, whatever the tar says.
    pub copy_uid_gid: bool,
}

impl Engine {
    // ANCHOR: extract_to_container
    /// Extracts the tar `input` (plain or gzip) into directory `path` of container
    /// `name_or_id`, which must exist (404 `Could not find the file …`) and be a directory
    /// (`extraction point is not a directory`). Emits `extract-to-dir`.
    pub fn extract_to_container(
        &self,
        name_or_id: &str,
        path: &str,
        input: impl Read,
        opts: ExtractOptions,
    ) -> Result<(), EngineError> {
        let container = self.containers.find(name_or_id)?;
        let rootfs = self.container_rootfs(&container)?;
        let root = rootfs.confined()?;
        // the last component is followed too: a symlink to a directory is a destination
        let dest = root.resolve(Path::new(path)).map_err(|errno| match errno {
            Errno::ENOENT => EngineError::NotFound(format!(
                "Could not find the file {path} in container {name_or_id}"
            )),
            Errno::ENOTDIR => EngineError::System("extraction point is not a directory".into()),
            other => EngineError::System(failure("stat", Path::new(path), other)),
        })?;
        let st = root
            .open(&dest, OFlag::O_PATH)
            .and_then(fstat)
            .map_err(|errno| EngineError::System(failure("stat", &dest, errno)))?;
        if st.st_mode & libc::S_IFMT != libc::S_IFDIR {
            return Err(EngineError::System("extraction point is not a directory".into()));
        }
        let owner = match (opts.copy_uid_gid, container.config.user.as_str()) {
            (true, user) if !user.is_empty() => {
                let spec =
                    ch03_rootfs::UserSpec::parse(user).map_err(|e| EngineError::System(e.to_string()))?;
                let resolved = ch03_rootfs::resolve_user(rootfs.path(), &spec)
                    .map_err(|e| EngineError::System(e.to_string()))?;
                Some((resolved.uid, resolved.gid))
            }
            _ => None,
        };
        extract_tar(&root, &dest, input, opts.no_overwrite_dir_non_dir, owner)
            // Docker's words (its helper process exits 1 on any of these)
            .map_err(|e| EngineError::System(format!("Error processing tar file(exit status 1): {e}")))?;
        self.container_event(&container, "extract-to-dir", &[]);
        Ok(())
    }
    // ANCHOR_END: extract_to_container
}

/// `op path: reason`, as Go's `*PathError` reads.
fn failure(op: &str, path: &Path, errno: Errno) -> String {
    format!("{op} {}: {}", path.display(), crate::go_errors::errno_text(errno))
}

/// A tar's compression, from its first bytes, as Docker's `DecompressStream` guesses it.
fn decompressed<'a>(input: impl Read + 'a) -> Result<Box<dyn Read + 'a>, String> {
    let mut input = std::io::BufReader::new(input);
    let head = std::io::BufRead::fill_buf(&mut input).map_err(|e| e.to_string())?;
    if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        return Ok(Box::new(flate2::bufread::GzDecoder::new(input)));
    }
    if head.starts_with(b"BZh") || head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        return Err(
            "minidocker: bzip2 and xz compressed archives are not supported, send a plain or gzip tar".into(),
        );
    }
    Ok(Box::new(input))
}

// ANCHOR: extract_tar
/// Extracts `input` into `dest` (an existing directory of `root`, as a path inside it) with
/// Docker's rules (see the module documentation); `owner` replaces the tar's owners. The
/// error is Docker's message.
pub fn extract_tar(
    root: &ConfinedRoot,
    dest: &Path,
    input: impl Read,
    no_overwrite_dir_non_dir: bool,
    owner: Option<(u32, u32)>,
) -> Result<(), String> {
    let mut extractor = Extractor {
        root,
        dest,
        no_overwrite_dir_non_dir,
        owner,
        dirs: Vec::new(),
    };
    let mut archive = tar::Archive::new(decompressed(input)?);
    // a tar that ends inside a block: Go's reader says `unexpected EOF`, the tar crate
    // `failed to read entire block`
    let read_error = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => "unexpected EOF".to_owned(),
        _ if e.to_string() == "failed to read entire block" => "unexpected EOF".to_owned(),
        _ => e.to_string(),
    };
    for entry in archive.entries().map_err(read_error)? {
        let mut entry = entry.map_err(read_error)?;
        extractor.entry(&mut entry)?;
    }
    extractor.finish_dirs()
}
// ANCHOR_END: extract_tar

struct Extractor<'a> {
    root: &'a ConfinedRoot,
    dest: &'a Path,
    no_overwrite_dir_non_dir: bool,
    owner: Option<(u32, u32)>,
    /// Directories made or merged, with their mtime: set last, once nothing more is written
    /// inside them.
    dirs: Vec<(PathBuf, i64)>,
}

/// What an entry's header asks for.
struct Meta {
    uid: u32,
    gid: u32,
    mode: u32,
    mtime: i64,
}

impl Extractor<'_> {
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), String> {
        let header = entry.header().clone();
        let kind = header.entry_type();
        if kind.is_pax_global_extensions() {
            return Ok(());
        }
        let raw = entry.path_bytes().into_owned();
        let name = clean_relative(&raw);
        let shown = String::from_utf8_lossy(&name).into_owned();
        // ANCHOR: outside
        let path = self.joined(&name);
        if !path.starts_with(self.dest) {
            return Err(format!(
                "{shown:?} is outside of {:?}",
                self.dest.display().to_string()
            ));
        }
        // ANCHOR_END: outside
        let (Some(parent), Some(leaf)) = (path.parent(), path.file_name()) else {
            return Ok(()); // the destination itself (`./`): it is there already
        };
        if path == self.dest {
            return match kind {
                EntryType::Directory => Ok(()),
                _ => Err(format!(
                    "cannot overwrite directory {:?} with non-directory {:?}",
                    path.display().to_string(),
                    self.dest.display().to_string()
                )),
            };
        }
        let meta = Meta {
            uid: self
                .owner
                .map_or_else(|| header.uid().unwrap_or(0) as u32, |o| o.0),
            gid: self
                .owner
                .map_or_else(|| header.gid().unwrap_or(0) as u32, |o| o.1),
            mode: header.mode().unwrap_or(0o644) & 0o7777,
            mtime: i64::try_from(header.mtime().unwrap_or(0)).unwrap_or(0),
        };
        let dir = self.directory(parent)?;
        self.make_room(dir.as_fd(), leaf.as_bytes(), &path, kind == EntryType::Directory)?;
        let fail = |op: &str, errno: Errno| failure(op, &path, errno);
        match kind {
            EntryType::Directory => {
                match mkdirat(dir.as_fd(), leaf, Mode::from_bits_truncate(0o700)) {
                    Ok(()) | Err(Errno::EEXIST) => {}
                    Err(errno) => return Err(fail("mkdir", errno)),
                }
                let made = openat(
                    dir.as_fd(),
                    leaf,
                    OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW,
                    Mode::empty(),
                )
                .map_err(|e| fail("open", e))?;
                set_owner_and_mode(made.as_fd(), &meta).map_err(|e| fail("chown", e))?;
                self.dirs.push((path.clone(), meta.mtime));
                Ok(())
            }
            EntryType::Regular | EntryType::Continuous => {
                let flags =
                    OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
                let fd = openat(dir.as_fd(), leaf, flags, Mode::from_bits_truncate(0o600))
                    .map_err(|e| fail("open", e))?;
                let mut file = std::fs::File::from(fd);
                std::io::copy(entry, &mut file).map_err(|e| match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => "unexpected EOF".to_owned(),
                    _ => format!("write {}: {e}", path.display()),
                })?;
                file.flush()
                    .map_err(|e| format!("write {}: {e}", path.display()))?;
                set_owner_and_mode(file.as_fd(), &meta).map_err(|e| fail("chown", e))?;
                let t = TimeSpec::new(meta.mtime, 0);
                futimens(file.as_fd(), &t, &t).map_err(|e| fail("chtimes", e))
            }
            EntryType::Symlink => {
                let target = entry.link_name_bytes().unwrap_or_default().into_owned();
                // ANCHOR: symlink_check
                let from = parent.as_os_str().as_bytes();
                let lands = clean_relative(&[from, b"/", &target].concat());
                if !os_path(&lands).starts_with(self.dest) {
                    return Err(format!(
                        "invalid symlink {:?} -> {:?}",
                        path.display().to_string(),
                        String::from_utf8_lossy(&target)
                    ));
                }
                // ANCHOR_END: symlink_check
                symlinkat(os_path(&target), dir.as_fd(), leaf).map_err(|e| fail("symlink", e))?;
                let (uid, gid) = (Some(Uid::from_raw(meta.uid)), Some(Gid::from_raw(meta.gid)));
                fchownat(dir.as_fd(), leaf, uid, gid, AtFlags::AT_SYMLINK_NOFOLLOW)
                    .map_err(|e| fail("lchown", e))?;
                let t = TimeSpec::new(meta.mtime, 0);
                utimensat(
                    dir.as_fd(),
                    leaf,
                    &t,
                    &t,
                    nix::sys::stat::UtimensatFlags::NoFollowSymlink,
                )
                .map_err(|e| fail("lchtimes", e))
            }
            EntryType::Link => {
                let target = entry.link_name_bytes().unwrap_or_default().into_owned();
                let linked = self.joined(&clean_relative(&target));
                if !linked.starts_with(self.dest) || linked == self.dest {
                    return Err(format!(
                        "invalid hardlink {:?} -> {:?}",
                        linked.display().to_string(),
                        String::from_utf8_lossy(&target)
                    ));
                }
                let (target_dir, target_leaf) = self
                    .root
                    .open_parent(&linked)
                    .map_err(|e| failure("link", &linked, e))?;
                let target_leaf = target_leaf.unwrap_or_default();
                linkat(
                    target_dir.as_fd(),
                    target_leaf.as_os_str(),
                    dir.as_fd(),
                    leaf,
                    AtFlags::empty(),
                )
                .map_err(|e| {
                    format!(
                        "link {} {}: {}",
                        linked.display(),
                        path.display(),
                        crate::go_errors::errno_text(e)
                    )
                })
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let node = match kind {
                    EntryType::Char => SFlag::S_IFCHR,
                    EntryType::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                let major = header.device_major().ok().flatten().unwrap_or(0);
                let minor = header.device_minor().ok().flatten().unwrap_or(0);
                mknodat(
                    dir.as_fd(),
                    leaf,
                    node,
                    Mode::from_bits_truncate(0o600),
                    makedev(major.into(), minor.into()),
                )
                .map_err(|e| fail("mknod", e))?;
                set_node_metadata(dir.as_fd(), leaf.as_bytes(), node, &meta).map_err(|e| fail("chown", e))
            }
            other => Err(format!("unhandled tar header type {other:?}")),
        }
    }

    /// `name` (cleaned) joined onto the destination: absolute names too, and `..` may climb
    /// above it (the caller checks).
    fn joined(&self, name: &[u8]) -> PathBuf {
        let dest = self.dest.as_os_str().as_bytes();
        os_path(&clean_relative(&[dest, b"/", name].concat())).to_owned()
    }

    /// The directory `path` (inside the root), resolved by the kernel, made (0755) with its
    /// missing parents as Docker's `MkdirAll` does.
    fn directory(&self, path: &Path) -> Result<OwnedFd, String> {
        let open = || self.root.open(path, OFlag::O_PATH | OFlag::O_DIRECTORY);
        match open() {
            Err(Errno::ENOENT) => {}
            other => return other.map_err(|e| failure("mkdir", path, e)),
        }
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(failure("mkdir", path, Errno::ENOENT));
        };
        let above = self.directory(parent)?;
        match mkdirat(above.as_fd(), name, Mode::from_bits_truncate(0o755)) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(errno) => return Err(failure("mkdir", path, errno)),
        }
        open().map_err(|e| failure("mkdir", path, e))
    }

    /// What is at `leaf` goes, unless it is a directory and a directory comes; with
    /// `noOverwriteDirNonDir`, a directory and a non-directory never replace each other.
    fn make_room(&self, dir: BorrowedFd<'_>, leaf: &[u8], path: &Path, is_dir: bool) -> Result<(), String> {
        let existing = match fstatat(dir, os_path(leaf), AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::ENOENT) => return Ok(()),
            Err(errno) => return Err(failure("lstat", path, errno)),
        };
        let was_dir = existing.st_mode & libc::S_IFMT == libc::S_IFDIR;
        let dest = self.dest.display().to_string();
        if self.no_overwrite_dir_non_dir && was_dir && !is_dir {
            return Err(format!(
                "cannot overwrite directory {:?} with non-directory {dest:?}",
                path.display().to_string()
            ));
        }
        if self.no_overwrite_dir_non_dir && !was_dir && is_dir {
            return Err(format!(
                "cannot overwrite non-directory {:?} with directory {dest:?}",
                path.display().to_string()
            ));
        }
        if was_dir && is_dir {
            return Ok(());
        }
        remove_all_at(dir, leaf).map_err(|e| failure("unlinkat", path, e))
    }

    /// The directories' mtimes, now that their contents are written. One replaced or gone
    /// since is left alone.
    fn finish_dirs(&mut self) -> Result<(), String> {
        for (path, mtime) in std::mem::take(&mut self.dirs).into_iter().rev() {
            let Ok(dir) = self
                .root
                .open(&path, OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW)
            else {
                continue;
            };
            let t = TimeSpec::new(mtime, 0);
            futimens(dir.as_fd(), &t, &t).map_err(|e| failure("chtimes", &path, e))?;
        }
        Ok(())
    }
}

/// fchown(2), then fchmod(2) (after: a chown clears setuid), on an open file or directory.
fn set_owner_and_mode(fd: BorrowedFd<'_>, meta: &Meta) -> Result<(), Errno> {
    fchown(fd, Some(Uid::from_raw(meta.uid)), Some(Gid::from_raw(meta.gid)))?;
    fchmod(fd, Mode::from_bits_truncate(meta.mode))
}

/// Owner, mode and mtime of a device node or FIFO just made at `leaf`: it cannot be opened
/// without side effects, so it is pinned with `O_PATH|O_NOFOLLOW`, checked to still be what
/// was made, and changed through that descriptor.
fn set_node_metadata(dir: BorrowedFd<'_>, leaf: &[u8], kind: SFlag, meta: &Meta) -> Result<(), Errno> {
    let node = openat(
        dir,
        os_path(leaf),
        OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    if fstat(node.as_fd())?.st_mode & libc::S_IFMT != kind.bits() {
        return Err(Errno::EEXIST); // replaced meanwhile
    }
    let (uid, gid) = (Some(Uid::from_raw(meta.uid)), Some(Gid::from_raw(meta.gid)));
    fchownat(node.as_fd(), "", uid, gid, AtFlags::AT_EMPTY_PATH)?;
    // the descriptor's own /proc entry names exactly this inode (it is no symlink: checked)
    let by_fd = PathBuf::from(format!("/proc/self/fd/{}", node.as_raw_fd()));
    nix::sys::stat::fchmodat(
        nix::fcntl::AT_FDCWD,
        &by_fd,
        Mode::from_bits_truncate(meta.mode),
        nix::sys::stat::FchmodatFlags::FollowSymlink,
    )?;
    let t = TimeSpec::new(meta.mtime, 0);
    utimensat(
        nix::fcntl::AT_FDCWD,
        &by_fd,
        &t,
        &t,
        nix::sys::stat::UtimensatFlags::FollowSymlink,
    )
}

/// Removes `leaf` of `dir`, a whole tree if it is a directory, never following a symlink.
fn remove_all_at(dir: BorrowedFd<'_>, leaf: &[u8]) -> Result<(), Errno> {
    let name = os_path(leaf);
    match unlinkat(dir, name, UnlinkatFlags::NoRemoveDir) {
        Ok(()) | Err(Errno::ENOENT) => return Ok(()),
        Err(Errno::EISDIR) => {}
        Err(errno) => return Err(errno),
    }
    let inner = openat(
        dir,
        name,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
        Mode::empty(),
    )?;
    let mut listing = nix::dir::Dir::from_fd(inner)?;
    let mut names = Vec::new();
    for entry in listing.iter() {
        let entry_name = entry?.file_name().to_bytes().to_vec();
        if entry_name != b"." && entry_name != b".." {
            names.push(entry_name);
        }
    }
    for child in names {
        remove_all_at(listing.as_fd(), &child)?;
    }
    match unlinkat(dir, name, UnlinkatFlags::RemoveDir) {
        Ok(()) | Err(Errno::ENOENT) => Ok(()),
        Err(errno) => Err(errno),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A tar of `(name, kind, data or link target)`, names written as they are (the tar
    /// crate's own `append_data` would refuse `..`).
    fn tar_of(entries: &[(&str, EntryType, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, data) in entries {
            let mut header = tar::Header::new_ustar();
            header.set_entry_type(*kind);
            header.set_mode(0o644);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(1_000_000_000);
            let (size, body, link) = match kind {
                EntryType::Symlink | EntryType::Link => (0, "", *data),
                _ => (data.len() as u64, *data, ""),
            };
            header.set_size(size);
            let field = |f: &mut [u8], v: &str| {
                f.fill(0);
                f[..v.len()].copy_from_slice(v.as_bytes());
            };
            field(&mut header.as_old_mut().name, name);
            field(&mut header.as_old_mut().linkname, link);
            header.set_cksum();
            builder.append(&header, body.as_bytes()).unwrap();
        }
        builder.into_inner().unwrap()
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
    }

    /// `root/` (with `d/` and `d/okfile`) and a sibling `outside/victim` no tar may touch.
    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(root.join("d/sub")).unwrap();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("d/okfile"), "ok").unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("victim"), "victim").unwrap();
        Fixture {
            _dir: dir,
            root,
            outside,
        }
    }

    fn extract(
        f: &Fixture,
        dest: &str,
        entries: &[(&str, EntryType, &str)],
        no_overwrite: bool,
    ) -> Result<(), String> {
        let root = ConfinedRoot::new(&f.root).unwrap();
        extract_tar(
            &root,
            Path::new(dest),
            tar_of(entries).as_slice(),
            no_overwrite,
            None,
        )
    }

    #[test]
    fn hostile_entries_get_dockers_errors() {
        let f = fixture();
        use EntryType::*;
        // the oracle's messages for the same tars
        assert_eq!(
            extract(&f, "/d", &[("../../../../etc/evil", Regular, "pwned")], false),
            Err(r#""../../../../etc/evil" is outside of "/d""#.into())
        );
        assert_eq!(
            extract(&f, "/d", &[("esc", Symlink, "../../../../../../tmp")], false),
            Err(r#"invalid symlink "/d/esc" -> "../../../../../../tmp""#.into())
        );
        assert_eq!(
            extract(&f, "/d", &[("hl", Link, "../../etc/passwd")], false),
            Err(r#"invalid hardlink "/etc/passwd" -> "../../etc/passwd""#.into())
        );
        assert_eq!(
            extract(&f, "/d", &[("sub", Regular, "now a file")], true),
            Err(r#"cannot overwrite directory "/d/sub" with non-directory "/d""#.into())
        );
        assert_eq!(
            extract(&f, "/d", &[("okfile", Directory, "")], true),
            Err(r#"cannot overwrite non-directory "/d/okfile" with directory "/d""#.into())
        );
        assert!(!f.root.join("etc/evil").exists());
    }

    #[test]
    fn absolute_names_and_symlinks_stay_in_the_container() {
        let f = fixture();
        use EntryType::*;
        extract(
            &f,
            "/d",
            &[
                ("/abs_file", Regular, "abs"),
                ("absl", Symlink, "/etc"),
                ("absl/through", Regular, "through"),
                ("new/deep/file", Regular, "deep"),
                ("hard", Link, "abs_file"),
            ],
            false,
        )
        .unwrap();
        let read = |p: &str| std::fs::read_to_string(f.root.join(p)).unwrap();
        assert_eq!(read("d/abs_file"), "abs");
        // through the container's own /etc, as Docker's chroot does
        assert_eq!(read("etc/through"), "through");
        assert_eq!(read("d/new/deep/file"), "deep");
        assert_eq!(read("d/hard"), "abs");
        // a later file over a file, a directory over a directory (merge) are fine
        extract(
            &f,
            "/d",
            &[("okfile", Regular, "again"), ("sub/", Directory, "")],
            true,
        )
        .unwrap();
        assert_eq!(read("d/okfile"), "again");
        let mtime = std::fs::metadata(f.root.join("d/sub")).unwrap();
        assert_eq!(std::os::unix::fs::MetadataExt::mtime(&mtime), 1_000_000_000);
    }

    #[test]
    fn a_symlink_planted_in_the_container_is_resolved_inside_it() {
        let f = fixture();
        // the container made /d/evil point at the host directory (an absolute host path)
        std::os::unix::fs::symlink(&f.outside, f.root.join("d/evil")).unwrap();
        std::os::unix::fs::symlink("../../../../../..", f.root.join("d/up")).unwrap();
        let outside = f.outside.display().to_string();
        let write_through = [
            ("evil/victim", EntryType::Regular, "pwned"),
            ("up/x", EntryType::Regular, "x"),
        ];
        // the target does not exist in the container: an error, as in Docker's chroot
        assert_eq!(
            extract(&f, "/d", &write_through, false),
            Err("mkdir /d/evil: no such file or directory".into())
        );
        assert_eq!(
            std::fs::read_to_string(f.outside.join("victim")).unwrap(),
            "victim"
        );
        // the container's own directory of that name: the file lands there
        let inside = f.root.join(outside.trim_start_matches('/'));
        std::fs::create_dir_all(&inside).unwrap();
        extract(&f, "/d", &write_through, false).unwrap();
        assert_eq!(
            std::fs::read_to_string(f.outside.join("victim")).unwrap(),
            "victim"
        );
        assert_eq!(std::fs::read_to_string(inside.join("victim")).unwrap(), "pwned");
        assert_eq!(std::fs::read_to_string(f.root.join("x")).unwrap(), "x");
    }

    #[test]
    fn empty_and_broken_tars() {
        let f = fixture();
        let root = ConfinedRoot::new(&f.root).unwrap();
        assert_eq!(extract_tar(&root, Path::new("/d"), &b""[..], false, None), Ok(()));
        assert_eq!(
            extract_tar(&root, Path::new("/d"), &b"hello\n"[..], false, None),
            Err("unexpected EOF".into())
        );
    }

    /// Entry names and link targets a hostile tar could use.
    fn hostile_name() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just("d".to_owned()),
            Just("l".to_owned()),
            Just("m".to_owned()),
            Just("etc".to_owned()),
            Just("outside".to_owned()),
            Just("victim".to_owned()),
            "[a-z]{1,2}",
        ];
        (any::<bool>(), proptest::collection::vec(part, 1..6)).prop_map(|(absolute, parts)| {
            let joined = parts.join("/");
            if absolute { format!("/{joined}") } else { joined }
        })
    }

    fn hostile_entry(outside: String) -> impl Strategy<Value = (String, EntryType, String)> {
        let kind = prop_oneof![
            Just(EntryType::Regular),
            Just(EntryType::Directory),
            Just(EntryType::Symlink),
            Just(EntryType::Link),
        ];
        let target = prop_oneof![
            hostile_name(),
            Just(outside.clone()),
            Just(format!("{outside}/victim"))
        ];
        (hostile_name(), kind, target)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]
        // ANCHOR: extraction_property
        /// Whatever a tar holds (`..`, absolute names, symlinks to the host path of a
        /// directory outside the root or above it, files written through them, hard links),
        /// and whatever it makes of it (success or one of Docker's errors), nothing outside
        /// the container's root is created or changed.
        #[test]
        fn no_tar_writes_outside_the_root(
            entries in proptest::collection::vec(hostile_entry("/OUTSIDE".into()), 1..12),
            dest in prop_oneof![Just("/"), Just("/d"), Just("/d/sub")],
            no_overwrite in any::<bool>(),
        ) {
            let f = fixture();
            let outside = f.outside.display().to_string();
            let entries: Vec<(String, EntryType, String)> = entries
                .into_iter()
                .map(|(n, k, t)| (n, k, t.replace("/OUTSIDE", &outside)))
                .collect();
            let borrowed: Vec<(&str, EntryType, &str)> =
                entries.iter().map(|(n, k, t)| (n.as_str(), *k, t.as_str())).collect();
            let _ = extract(&f, dest, &borrowed, no_overwrite);
            let listing: Vec<_> = std::fs::read_dir(&f.outside).unwrap().map(|e| e.unwrap().file_name()).collect();
            prop_assert_eq!(listing, vec![std::ffi::OsString::from("victim")]);
            prop_assert_eq!(std::fs::read_to_string(f.outside.join("victim")).unwrap(), "victim");
            let parent: Vec<_> = std::fs::read_dir(f.root.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
            prop_assert_eq!(parent.len(), 2, "only root/ and outside/ next to each other: {:?}", parent);
        }
        // ANCHOR_END: extraction_property
    }
}
