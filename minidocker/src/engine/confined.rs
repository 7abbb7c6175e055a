//! A container's root filesystem as the kernel confines it: every path is looked up with
//! openat2(2)'s `RESOLVE_IN_ROOT`, as if the rootfs were `/`.
//!
//! `docker cp` reads and writes a live container's files from the daemon, which runs on the
//! host. A path walked naively (`rootfs.join("/etc/passwd")`) follows whatever symlinks the
//! container put on the way, and `/etc -> /` inside the container is the host's `/etc` for
//! the daemon. Docker 20.10 forks a helper that `chroot(2)`s into the rootfs first; we ask the
//! kernel instead:
//!
//! ```text
//!  openat2(rootfs_fd, "/d/abs/x", RESOLVE_IN_ROOT)     d/abs -> /etc/passwd
//!     "/"      the rootfs itself, whatever the path says
//!     ".."     stops at the rootfs
//!     symlink  absolute targets restart at the rootfs, relative ones continue inside
//! ```
//!
//! The lookup happens in the kernel, at the moment of the call: a container that swaps a
//! directory for a symlink between our check and our write cannot steer the write out (the
//! race a userspace resolver such as `ch03_rootfs::secure_join` leaves open). What is then
//! created is created *at* the resolved directory's descriptor with a plain name, never
//! following a last component (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`).

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, OpenHow, ResolveFlag, openat2};
use nix::sys::stat::Mode;

// ANCHOR: resolve_flags
/// How every lookup is resolved: inside the root, and never through `/proc/<pid>/fd/…`-style
/// magic links (they would jump to whatever file the link names, anywhere).
const RESOLVE: ResolveFlag = ResolveFlag::RESOLVE_IN_ROOT.union(ResolveFlag::RESOLVE_NO_MAGICLINKS);
// ANCHOR_END: resolve_flags

/// A directory opened as the root of every lookup made through it.
#[derive(Debug)]
pub struct ConfinedRoot {
    dir: OwnedFd,
    path: PathBuf,
}

impl ConfinedRoot {
    /// Opens `path` (a host path the engine chose: the container's `merged` mount).
    pub fn new(path: &Path) -> Result<ConfinedRoot, Errno> {
        let dir = nix::fcntl::open(
            path,
            OFlag::O_PATH | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )?;
        Ok(ConfinedRoot {
            dir,
            path: path.to_owned(),
        })
    }

    /// The root's host path.
    pub fn host_path(&self) -> &Path {
        &self.path
    }

    // ANCHOR: open_in_root
    /// openat2(2) of `path` as the container sees it (absolute or not, `..` and symlinks
    /// included), resolved inside the root. `flags` may add `O_NOFOLLOW` to leave a last
    /// symlink unfollowed.
    pub fn open(&self, path: &Path, flags: OFlag) -> Result<OwnedFd, Errno> {
        let how = OpenHow::new().flags(flags | OFlag::O_CLOEXEC).resolve(RESOLVE);
        openat2(self.dir.as_fd(), relative(path), how)
    }
    // ANCHOR_END: open_in_root

    /// The directory `path` is in, opened (`O_PATH`), and `path`'s last component, which is
    /// not resolved. `None` for the root itself (`/`, `/..`).
    pub fn open_parent(&self, path: &Path) -> Result<(OwnedFd, Option<OsString>), Errno> {
        let clean = lexical_clean(path);
        match clean.file_name() {
            Some(name) => {
                let parent = clean.parent().unwrap_or(Path::new("/"));
                let fd = self.open(parent, OFlag::O_PATH | OFlag::O_DIRECTORY)?;
                Ok((fd, Some(name.to_owned())))
            }
            None => Ok((
                self.open(Path::new("/"), OFlag::O_PATH | OFlag::O_DIRECTORY)?,
                None,
            )),
        }
    }

    /// Where `path` leads, as an absolute path inside the root (every symlink followed):
    /// Docker's `GetResourcePath` for a path that exists.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, Errno> {
        let fd = self.open(path, OFlag::O_PATH)?;
        self.container_path_of(fd.as_fd())
    }

    /// The path inside the root of an open descriptor (from the kernel's own record of it,
    /// `/proc/self/fd/N`).
    pub fn container_path_of(&self, fd: BorrowedFd<'_>) -> Result<PathBuf, Errno> {
        let host = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))?;
        let inside = host.strip_prefix(&self.path).map_err(|_| Errno::EXDEV)?;
        Ok(Path::new("/").join(inside))
    }
}

/// `path` as openat2(2) should get it: relative to the root's descriptor (a leading `/`
/// would mean the same under `RESOLVE_IN_ROOT`; without one the call reads better), `.`
/// for the root.
fn relative(path: &Path) -> &Path {
    let stripped = path.strip_prefix("/").unwrap_or(path);
    if stripped.as_os_str().is_empty() {
        Path::new(".")
    } else {
        stripped
    }
}

// ANCHOR: lexical_clean
/// Go's `filepath.Clean` for an absolute path: `.` dropped, `..` taken back (never above
/// `/`), one `/` between components. `a/../../b` is `/b`.
pub fn lexical_clean(path: &Path) -> PathBuf {
    let mut parts: Vec<&OsStr> = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part),
            Component::ParentDir => {
                parts.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    let mut clean = PathBuf::from("/");
    clean.extend(parts);
    clean
}
// ANCHOR_END: lexical_clean

/// Go's `filepath.Clean` for a path that may be relative, keeping a leading `..` (what a
/// tar entry name becomes before it is joined onto the destination): `a/../b` is `b`,
/// `../x` stays `../x`, `/x` is `/x`, the empty name is `.`.
pub fn clean_relative(name: &[u8]) -> Vec<u8> {
    let absolute = name.first() == Some(&b'/');
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in name.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => match parts.last() {
                Some(last) if *last != b".." => {
                    parts.pop();
                }
                _ if absolute => {}
                _ => parts.push(part),
            },
            _ => parts.push(part),
        }
    }
    let joined = parts.join(&b'/');
    match (absolute, joined.is_empty()) {
        (true, _) => [b"/".as_slice(), &joined].concat(),
        (false, true) => b".".to_vec(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Base`: the last element, trailing slashes ignored; `/` for a path of
/// slashes, `.` for the empty path.
pub fn go_base(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let trimmed = match path.iter().rposition(|b| *b != b'/') {
        Some(end) => &path[..=end],
        None => return b"/".to_vec(),
    };
    match trimmed.iter().rposition(|b| *b == b'/') {
        Some(slash) => trimmed[slash + 1..].to_vec(),
        None => trimmed.to_vec(),
    }
}

/// `name` as a path, for the `*at` calls.
pub fn os_path(name: &[u8]) -> &Path {
    Path::new(OsStr::from_bytes(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn lookups_stay_inside_whatever_the_symlinks_say() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/passwd"), "inside").unwrap();
        symlink("/", root.join("etc/escape")).unwrap();
        symlink("../../../../..", root.join("up")).unwrap();
        symlink("/etc/passwd", root.join("abs")).unwrap();
        let confined = ConfinedRoot::new(root).unwrap();
        let at = |p: &str| confined.resolve(Path::new(p)).unwrap();
        assert_eq!(at("/etc/escape/etc/passwd"), Path::new("/etc/passwd"));
        assert_eq!(at("up/etc"), Path::new("/etc"));
        assert_eq!(at("/../../etc"), Path::new("/etc"));
        assert_eq!(at("abs"), Path::new("/etc/passwd"));
        assert_eq!(at("/"), Path::new("/"));
        let (parent, name) = confined.open_parent(Path::new("/up/abs")).unwrap();
        assert_eq!(name.as_deref(), Some(OsStr::new("abs")));
        assert_eq!(
            confined.container_path_of(parent.as_fd()).unwrap(),
            Path::new("/")
        );
    }

    #[test]
    fn names_clean_like_go() {
        let c = |s: &str| String::from_utf8(clean_relative(s.as_bytes())).unwrap();
        assert_eq!(c("a/../b"), "b");
        assert_eq!(c("../../etc/evil"), "../../etc/evil");
        assert_eq!(c("a/../../x"), "../x");
        assert_eq!(c("/abs_file"), "/abs_file");
        assert_eq!(c("/../x"), "/x");
        assert_eq!(c("./"), ".");
        assert_eq!(c("dir/"), "dir");
        let b = |s: &str| String::from_utf8(go_base(s.as_bytes())).unwrap();
        assert_eq!(b("/d/sub/"), "sub");
        assert_eq!(b("/d/sub/."), ".");
        assert_eq!(b("///"), "/");
        assert_eq!(b(""), ".");
        assert_eq!(lexical_clean(Path::new("a/../../b/./c/")), Path::new("/b/c"));
    }

    /// A tree with symlinks that point up, out, to the root and round in circles, under a
    /// root that has a sibling the lookups must never reach.
    fn hostile_tree() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::write(root.join("a/b/f"), "f").unwrap();
        symlink("/", root.join("a/toroot")).unwrap();
        symlink("../../../..", root.join("a/b/up")).unwrap();
        symlink("../outside", root.join("sib")).unwrap();
        symlink(dir.path().join("outside"), root.join("hostabs")).unwrap();
        symlink("a/b", root.join("ab")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        (dir, root)
    }

    fn component() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("..".to_owned()),
            Just(".".to_owned()),
            Just("a".to_owned()),
            Just("b".to_owned()),
            Just("f".to_owned()),
            Just("toroot".to_owned()),
            Just("up".to_owned()),
            Just("sib".to_owned()),
            Just("hostabs".to_owned()),
            Just("ab".to_owned()),
            Just("loop1".to_owned()),
            Just("outside".to_owned()),
            "[a-z]{1,2}",
        ]
    }

    proptest! {
        // ANCHOR: confinement_property
        /// Whatever the path and the symlinks on its way, what the kernel opens is inside the
        /// root; and where the path exists, ch03's userspace resolver (`secure_join`, which
        /// `docker cp` uses for what it reports) agrees with the kernel.
        #[test]
        fn every_lookup_stays_inside_and_agrees_with_secure_join(
            parts in proptest::collection::vec(component(), 0..10),
            absolute in any::<bool>(),
        ) {
            let (_dir, root) = hostile_tree();
            let confined = ConfinedRoot::new(&root).unwrap();
            let mut path = PathBuf::from(if absolute { "/" } else { "" });
            path.extend(&parts);
            match confined.open(&path, OFlag::O_PATH) {
                Ok(fd) => {
                    let host = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
                    prop_assert!(host.starts_with(&root), "{} opened {}", path.display(), host.display());
                    let by_kernel = confined.container_path_of(fd.as_fd()).unwrap();
                    let by_secure_join = ch03_rootfs::secure_join::secure_join(&root, &path).unwrap();
                    prop_assert_eq!(root.join(by_kernel.strip_prefix("/").unwrap()), by_secure_join);
                }
                Err(errno) => prop_assert!(
                    matches!(errno, Errno::ENOENT | Errno::ELOOP | Errno::ENOTDIR),
                    "{}: {errno}", path.display()
                ),
            }
        }
        // ANCHOR_END: confinement_property
    }
}
