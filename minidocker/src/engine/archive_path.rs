//! `docker cp CONTAINER:PATH …`: what a path in a container is (`HEAD …/archive`, the
//! `X-Docker-Container-Path-Stat` header) and the path as a tar (`GET …/archive`), as
//! Docker's `ContainerStatPath` and `ContainerArchivePath` answer them.
//!
//! ```text
//!  path           resolved as Docker does                    tar entries
//!  /d/sub/f       /d/sub/ in the rootfs, `f` not followed    f
//!  /d             (a directory)                              d/  d/sub/  d/sub/f
//!  /dlink         a symlink: the link itself                 dlink -> /d/sub
//!  /dlink/        a trailing `/` follows it                  dlink/  dlink/f
//!  /d/sub/.       `/.`: the directory's contents             ./  ./f
//! ```
//!
//! Every file is reached through descriptors, from a directory the kernel resolved inside
//! the rootfs (`confined.rs`), with `O_NOFOLLOW` for each name below it: a container that
//! swaps a directory for a symlink while its files are read cannot make us read the host's.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use ch04_layers::OwnerNames;
use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat, readlinkat};
use nix::sys::stat::{FileStat, Mode, SFlag, fstat, fstatat};
use serde::{Deserialize, Serialize};
use tar::{EntryType, Header};

use super::confined::{ConfinedRoot, go_base, lexical_clean};
use super::image_inspect::go_rfc3339_nano;
use super::rootfs::ContainerRootfs;
use super::{Engine, EngineError};
use crate::container::Container;

/// tar's name and linkname fields hold 100 bytes; longer ones go in a PAX record.
const NAME_FIELD: usize = 100;

// ANCHOR: path_stat
/// `types.ContainerPathStat`: what `docker cp` learns about a path before copying, sent
/// base64-encoded in the `X-Docker-Container-Path-Stat` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathStat {
    pub name: String,
    pub size: i64,
    /// Go's `os.FileMode`: the permission bits, and the type in the high bits.
    pub mode: u32,
    pub mtime: String,
    /// For a symlink, where it leads, resolved inside the container; empty otherwise.
    #[serde(rename = "linkTarget")]
    pub link_target: String,
}
// ANCHOR_END: path_stat

impl PathStat {
    /// The header's value: the JSON, base64 (standard alphabet, padded).
    pub fn header_value(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(json)
    }
}

// ANCHOR: go_file_mode
/// Go's `os.FileMode` of a `st_mode`: `ModeDir` is bit 31, `ModeSymlink` 27, … (Docker sends
/// this, and the CLI tests `mode & ModeDir`).
pub fn go_file_mode(st_mode: u32) -> u32 {
    const DIR: u32 = 1 << 31;
    const SYMLINK: u32 = 1 << 27;
    const DEVICE: u32 = 1 << 26;
    const NAMED_PIPE: u32 = 1 << 25;
    const SOCKET: u32 = 1 << 24;
    const SETUID: u32 = 1 << 23;
    const SETGID: u32 = 1 << 22;
    const CHAR_DEVICE: u32 = 1 << 21;
    const STICKY: u32 = 1 << 20;
    let mut mode = st_mode & 0o777;
    mode |= match st_mode & libc::S_IFMT {
        libc::S_IFDIR => DIR,
        libc::S_IFLNK => SYMLINK,
        libc::S_IFBLK => DEVICE,
        libc::S_IFCHR => DEVICE | CHAR_DEVICE,
        libc::S_IFIFO => NAMED_PIPE,
        libc::S_IFSOCK => SOCKET,
        _ => 0,
    };
    for (bit, go) in [
        (libc::S_ISUID, SETUID),
        (libc::S_ISGID, SETGID),
        (libc::S_ISVTX, STICKY),
    ] {
        if st_mode & bit != 0 {
            mode |= go;
        }
    }
    mode
}
// ANCHOR_END: go_file_mode

/// What the request's path names, found.
#[derive(Debug)]
enum Located {
    /// A name in a directory, not followed (it may be a symlink).
    Entry { parent: OwnedFd, name: Vec<u8> },
    /// A directory reached by following the whole path (`/x/`, `/x/.`).
    Directory { dir: OwnedFd },
}

/// A path of a container, located for `docker cp`. Its filesystem stays mounted while this
/// lives.
#[derive(Debug)]
pub struct ArchivePath<'a> {
    engine: &'a Engine,
    container: Container,
    _rootfs: ContainerRootfs<'a>,
    located: Located,
    stat: PathStat,
    /// The name the path's own entry has in the tar (Docker's rebase name).
    top_name: Vec<u8>,
    owner_names: OwnerNames,
}

/// The request's path as Docker's `ResolvePath` reads it: absolute and clean, whether its
/// last component is followed (a trailing `/` or `/.`), and the base name the answer uses.
fn container_path(path: &str) -> (PathBuf, bool, Vec<u8>) {
    let bytes = path.as_bytes();
    let clean = lexical_clean(Path::new(path));
    let current_dir = go_base(bytes) == b".";
    let follow = bytes.ends_with(b"/") || current_dir;
    let base = if current_dir {
        b".".to_vec()
    } else {
        go_base(clean.as_os_str().as_bytes())
    };
    (clean, follow, base)
}

impl Engine {
    // ANCHOR: container_archive_path
    /// `path` in container `name_or_id`, located and stat'ed as Docker does: 404 `Could not
    /// find the file <path> in container <name>` when it is not there.
    pub fn container_archive_path(
        &self,
        name_or_id: &str,
        path: &str,
    ) -> Result<ArchivePath<'_>, EngineError> {
        let container = self.containers.find(name_or_id)?;
        let rootfs = self.container_rootfs(&container)?;
        let root = rootfs.confined()?;
        let (clean, follow, top_name) = container_path(path);
        let failed = |errno: Errno| match errno {
            Errno::ENOENT => EngineError::NotFound(format!(
                "Could not find the file {path} in container {name_or_id}"
            )),
            other => EngineError::System(format!("lstat {path}: {}", crate::go_errors::errno_text(other))),
        };
        let (located, st) = if follow {
            let dir = root
                .open(&clean, OFlag::O_RDONLY | OFlag::O_DIRECTORY)
                .map_err(failed)?;
            let st = fstat(dir.as_fd()).map_err(failed)?;
            (Located::Directory { dir }, st)
        } else {
            let (parent, name) = root.open_parent(&clean).map_err(failed)?;
            let name = name
                .map(|n| n.as_bytes().to_vec())
                .unwrap_or_else(|| b".".to_vec());
            let st = fstatat(parent.as_fd(), os(&name), AtFlags::AT_SYMLINK_NOFOLLOW).map_err(failed)?;
            (Located::Entry { parent, name }, st)
        };
        let link_target = match st.st_mode & libc::S_IFMT {
            libc::S_IFLNK => link_target(&root, &clean),
            _ => String::new(),
        };
        let stat = PathStat {
            name: String::from_utf8_lossy(&top_name).into_owned(),
            size: st.st_size,
            mode: go_file_mode(st.st_mode),
            mtime: mtime(&st),
            link_target,
        };
        Ok(ArchivePath {
            engine: self,
            container,
            _rootfs: rootfs,
            located,
            stat,
            top_name,
            owner_names: owner_names_in(&root),
        })
    }
    // ANCHOR_END: container_archive_path
}

/// Where a symlink leads, resolved inside the container as Docker's `FollowSymlinkInScope`
/// does (a target that does not exist is still named): ch03's `secure_join`.
fn link_target(root: &ConfinedRoot, path: &Path) -> String {
    let host = root.host_path();
    match ch03_rootfs::secure_join::secure_join(host, path) {
        Ok(resolved) => {
            let inside = resolved.strip_prefix(host).unwrap_or(Path::new(""));
            Path::new("/").join(inside).display().to_string()
        }
        Err(_) => String::new(),
    }
}

/// A file's mtime as Go prints a `time.Time` of the daemon's local zone.
fn mtime(st: &FileStat) -> String {
    use chrono::TimeZone;
    let nanos = u32::try_from(st.st_mtime_nsec).unwrap_or(0);
    chrono::Local
        .timestamp_opt(st.st_mtime, nanos)
        .single()
        .map(|t| go_rfc3339_nano(&t.fixed_offset()))
        .unwrap_or_default()
}

fn os(name: &[u8]) -> &OsStr {
    OsStr::from_bytes(name)
}

impl ArchivePath<'_> {
    pub fn stat(&self) -> &PathStat {
        &self.stat
    }

    // ANCHOR: write_tar
    /// The path as a tar: its own entry named as `docker cp` expects, then (a directory) its
    /// contents, depth first, names sorted. Files that vanish meanwhile are left out. Emits
    /// `archive-path`.
    pub fn write_tar(self, out: impl Write) -> Result<(), EngineError> {
        // `_rootfs` keeps the filesystem mounted until the last byte is written
        let ArchivePath {
            engine,
            container,
            _rootfs,
            located,
            top_name,
            owner_names,
            ..
        } = self;
        engine.container_event(&container, "archive-path", &[]);
        let mut writer = TarWriter {
            tar: tar::Builder::new(out),
            first_name_of_inode: HashMap::new(),
            owner_names,
        };
        let written = match located {
            Located::Entry { parent, name } => writer.entry(parent.as_fd(), &name, top_name),
            Located::Directory { dir } => match fstat(dir.as_fd()) {
                Ok(st) => writer.directory(dir, &st, top_name),
                Err(errno) => Err(errno.into()),
            },
        };
        let failed = |e: std::io::Error| EngineError::System(format!("writing the archive: {e}"));
        written.map_err(failed)?;
        writer.tar.into_inner().map_err(failed)?.flush().map_err(failed)
    }
    // ANCHOR_END: write_tar
}

struct TarWriter<W: Write> {
    tar: tar::Builder<W>,
    /// (st_dev, st_ino) → the name the file was first written under (hard links).
    first_name_of_inode: HashMap<(u64, u64), Vec<u8>>,
    owner_names: OwnerNames,
}

/// uid → user name and gid → group name in the container's `/etc/passwd` and `/etc/group`
/// under `root` (dockerd archives in a chroot of the container: Go's `tar.FileInfoHeader`
/// finds the names there); none for a file that cannot be read.
pub(super) fn owner_names_in(root: &ConfinedRoot) -> OwnerNames {
    let read = |path: &str| {
        root.open(Path::new(path), OFlag::O_RDONLY | OFlag::O_CLOEXEC)
            .ok()
            .and_then(|fd| std::io::read_to_string(std::fs::File::from(fd)).ok())
            .unwrap_or_default()
    };
    let (users, groups) = ch03_rootfs::user::names_by_id(&read("/etc/passwd"), &read("/etc/group"));
    OwnerNames { users, groups }
}

/// `name` inside the entry `dir` of the tar.
fn child_name(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut child = dir.to_vec();
    if !child.ends_with(b"/") {
        child.push(b'/');
    }
    child.extend_from_slice(name);
    child
}

impl<W: Write> TarWriter<W> {
    /// A USTAR header with what `st` says of mode, owner (with the owner's names in the
    /// container: `root/root` in `tar -tv`) and mtime (whole seconds, as Go's writer keeps
    /// them).
    fn header_of(&mut self, st: &FileStat) -> Header {
        let mut header = Header::new_ustar();
        header.set_mode(st.st_mode & 0o7777);
        header.set_uid(st.st_uid.into());
        header.set_gid(st.st_gid.into());
        if let Some(name) = self.owner_names.users.get(&st.st_uid) {
            let _ = header.set_username(name);
        }
        if let Some(name) = self.owner_names.groups.get(&st.st_gid) {
            let _ = header.set_groupname(name);
        }
        header.set_mtime(u64::try_from(st.st_mtime).unwrap_or(0));
        header.set_size(0);
        header
    }

    /// The entry `name` of directory `parent`, never following it.
    fn entry(&mut self, parent: BorrowedFd<'_>, name: &[u8], tar_name: Vec<u8>) -> std::io::Result<()> {
        let st = match fstatat(parent, os(name), AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) => st,
            Err(Errno::ENOENT) => return Ok(()), // gone since it was listed
            Err(e) => return Err(e.into()),
        };
        let open = |flags: OFlag| {
            openat(
                parent,
                os(name),
                flags | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC,
                Mode::empty(),
            )
        };
        let mut header = self.header_of(&st);
        match SFlag::from_bits_truncate(st.st_mode & libc::S_IFMT) {
            SFlag::S_IFDIR => {
                let dir = open(OFlag::O_RDONLY | OFlag::O_DIRECTORY)?;
                let st = fstat(dir.as_fd())?;
                self.directory(dir, &st, tar_name)
            }
            SFlag::S_IFREG => {
                let file = std::fs::File::from(open(OFlag::O_RDONLY)?);
                let st = fstat(file.as_fd())?;
                header = self.header_of(&st);
                if st.st_nlink > 1 {
                    let key = (st.st_dev, st.st_ino);
                    if let Some(first) = self.first_name_of_inode.get(&key).cloned() {
                        header.set_entry_type(EntryType::Link);
                        header.set_size(0);
                        return self.append(header, &tar_name, Some(&first), std::io::empty());
                    }
                    self.first_name_of_inode.insert(key, tar_name.clone());
                }
                let size = u64::try_from(st.st_size).unwrap_or(0);
                header.set_entry_type(EntryType::Regular);
                header.set_size(size);
                // exactly `size` bytes even if the file changes size meanwhile
                let data = file.take(size).chain(std::io::repeat(0)).take(size);
                self.append(header, &tar_name, None, data)
            }
            SFlag::S_IFLNK => {
                let target = readlinkat(parent, os(name))?;
                header.set_entry_type(EntryType::Symlink);
                self.append(header, &tar_name, Some(target.as_bytes()), std::io::empty())
            }
            kind @ (SFlag::S_IFCHR | SFlag::S_IFBLK | SFlag::S_IFIFO) => {
                header.set_entry_type(match kind {
                    SFlag::S_IFCHR => EntryType::Char,
                    SFlag::S_IFBLK => EntryType::Block,
                    _ => EntryType::Fifo,
                });
                header.set_device_major(libc::major(st.st_rdev))?;
                header.set_device_minor(libc::minor(st.st_rdev))?;
                self.append(header, &tar_name, None, std::io::empty())
            }
            _ => Ok(()), // a socket: tar has no type for it (Docker skips them too)
        }
    }

    /// A directory's entry (`name/`), then its entries in byte order.
    fn directory(&mut self, dir: OwnedFd, st: &FileStat, tar_name: Vec<u8>) -> std::io::Result<()> {
        let mut header = self.header_of(st);
        header.set_entry_type(EntryType::Directory);
        let own_name = if tar_name.ends_with(b"/") {
            tar_name.clone()
        } else {
            child_name(&tar_name, b"")
        };
        self.append(header, &own_name, None, std::io::empty())?;
        let mut listing = nix::dir::Dir::from_fd(dir)?;
        let mut names: Vec<Vec<u8>> = Vec::new();
        for entry in listing.iter() {
            let name = entry?.file_name().to_bytes().to_vec();
            if name != b"." && name != b".." {
                names.push(name);
            }
        }
        names.sort();
        for name in names {
            let child = child_name(&tar_name, &name);
            self.entry(listing.as_fd(), &name, child)?;
        }
        Ok(())
    }

    /// Names go straight into the header (the tar crate would drop a directory's trailing
    /// `/`), with a PAX record first for one that does not fit.
    fn append(
        &mut self,
        mut header: Header,
        name: &[u8],
        link: Option<&[u8]>,
        data: impl Read,
    ) -> std::io::Result<()> {
        let mut pax: Vec<(&str, &[u8])> = Vec::new();
        if name.len() > NAME_FIELD {
            pax.push(("path", name));
        }
        if let Some(link) = link.filter(|l| l.len() > NAME_FIELD) {
            pax.push(("linkpath", link));
        }
        if !pax.is_empty() {
            self.tar.append_pax_extensions(pax)?;
        }
        fill(&mut header.as_old_mut().name, name);
        fill(&mut header.as_old_mut().linkname, link.unwrap_or_default());
        header.set_cksum();
        self.tar.append(&header, data)
    }
}

/// As much of `value` as fits in a NUL-padded header field.
fn fill(field: &mut [u8], value: &[u8]) {
    field.fill(0);
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_are_gos() {
        // the oracle's answers for a directory 0755, a symlink and a file 0644
        assert_eq!(go_file_mode(libc::S_IFDIR | 0o755), 2_147_484_141);
        assert_eq!(go_file_mode(libc::S_IFLNK | 0o777), 134_218_239);
        assert_eq!(go_file_mode(libc::S_IFREG | 0o644), 420);
        assert_eq!(go_file_mode(libc::S_IFCHR | 0o666), (1 << 26) | (1 << 21) | 0o666);
        assert_eq!(
            go_file_mode(libc::S_IFREG | libc::S_ISUID | 0o755),
            (1 << 23) | 0o755
        );
    }

    #[test]
    fn paths_resolve_like_dockers_resolve_path() {
        let p = |s: &str| {
            let (clean, follow, base) = container_path(s);
            (
                clean.display().to_string(),
                follow,
                String::from_utf8(base).unwrap(),
            )
        };
        assert_eq!(p("/d/sub/f"), ("/d/sub/f".into(), false, "f".into()));
        assert_eq!(p("d/sub"), ("/d/sub".into(), false, "sub".into()));
        assert_eq!(p("/dlink/"), ("/dlink".into(), true, "dlink".into()));
        assert_eq!(p("/d/sub/."), ("/d/sub".into(), true, ".".into()));
        assert_eq!(p("/"), ("/".into(), true, "/".into()));
        assert_eq!(p("/../../etc"), ("/etc".into(), false, "etc".into()));
    }

    #[test]
    fn the_stat_header_is_base64_json_in_dockers_field_order() {
        let stat = PathStat {
            name: "f".into(),
            size: 3,
            mode: 420,
            mtime: "2026-12-02T02:49:14.781376466Z".into(),
            link_target: String::new(),
        };
        // the oracle's header for the same file
        assert_eq!(
            stat.header_value(),
            "eyJuYW1lIjoiZiIsInNpemUiOjMsIm1vZGUiOjQyMCwibXRpbWUiOiIyMDI2LTEyLTAyVDAyOjQ5OjE0Ljc4MTM3NjQ2NloiLCJsaW5rVGFyZ2V0IjoiIn0="
        );
    }

    #[test]
    fn a_directory_is_written_as_docker_names_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("d/sub")).unwrap();
        std::fs::write(dir.path().join("d/sub/f"), "hi\n").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("d/abs")).unwrap();
        std::fs::hard_link(dir.path().join("d/sub/f"), dir.path().join("d/hard")).unwrap();
        let root = ConfinedRoot::new(dir.path()).unwrap();
        let names = |located: Located, top: &str| {
            let mut writer = TarWriter {
                tar: tar::Builder::new(Vec::new()),
                first_name_of_inode: HashMap::new(),
                owner_names: owner_names_in(&root),
            };
            match located {
                Located::Entry { parent, name } => writer.entry(parent.as_fd(), &name, top.into()).unwrap(),
                Located::Directory { dir } => {
                    let st = fstat(dir.as_fd()).unwrap();
                    writer.directory(dir, &st, top.into()).unwrap()
                }
            }
            let out = writer.tar.into_inner().unwrap();
            let mut archive = tar::Archive::new(out.as_slice());
            archive
                .entries()
                .unwrap()
                .map(|e| {
                    let e = e.unwrap();
                    let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                    match e.link_name_bytes() {
                        Some(link) => format!("{name} -> {}", String::from_utf8_lossy(&link)),
                        None => name,
                    }
                })
                .collect::<Vec<_>>()
        };
        let (parent, name) = root.open_parent(Path::new("/d")).unwrap();
        let name = name.unwrap().as_bytes().to_vec();
        assert_eq!(
            names(Located::Entry { parent, name }, "d"),
            [
                "d/",
                "d/abs -> /etc/passwd",
                "d/hard",
                "d/sub/",
                "d/sub/f -> d/hard"
            ]
        );
        let dir_fd = root
            .open(Path::new("/d/sub"), OFlag::O_RDONLY | OFlag::O_DIRECTORY)
            .unwrap();
        assert_eq!(names(Located::Directory { dir: dir_fd }, "."), ["./", "./f"]);
    }
}
