//! The handful of system calls a root filesystem needs, behind one trait.
//!
//! [`LinuxSyscall`] makes the real calls. [`RecordingSyscall`] only writes them down, so unit
//! tests (and the labs) can check *which* mounts happen in *which* order without being root;
//! the privileged tests in `tests/` then prove the real kernel agrees.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::mount::{MntFlags, MsFlags};
use nix::sys::stat::{Mode, SFlag};

use crate::RootfsError;

/// What kind of file a path is, as far as mounting over it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Directory,
    Other,
}

// ANCHOR: syscall_trait
/// The system calls used to assemble a root filesystem.
pub trait Syscall {
    /// mount(2)
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), RootfsError>;
    /// umount2(2)
    fn umount2(&self, target: &Path, flags: MntFlags) -> Result<(), RootfsError>;
    /// pivot_root(2)
    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), RootfsError>;
    /// chdir(2)
    fn chdir(&self, path: &Path) -> Result<(), RootfsError>;
    /// mkdir(2) of the path and every missing parent
    fn mkdir_all(&self, path: &Path, mode: u32) -> Result<(), RootfsError>;
    /// open(2) with O_CREAT: an empty file to bind-mount a file over
    fn create_file(&self, path: &Path) -> Result<(), RootfsError>;
    /// mknod(2) of a character device, then chmod(2) so the umask does not matter
    fn mknod_char(&self, path: &Path, major: u64, minor: u64, mode: u32) -> Result<(), RootfsError>;
    /// symlink(2)
    fn symlink(&self, target: &Path, link: &Path) -> Result<(), RootfsError>;
    /// lstat(2): `None` when the path does not exist
    fn file_kind(&self, path: &Path) -> Option<FileKind>;
}
// ANCHOR_END: syscall_trait

/// The real system calls.
#[derive(Debug, Default, Clone, Copy)]
pub struct LinuxSyscall;

fn describe(source: Option<&Path>) -> String {
    source.map_or_else(|| "none".to_owned(), |p| p.display().to_string())
}

impl Syscall for LinuxSyscall {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), RootfsError> {
        nix::mount::mount(source, target, fstype, flags, data).map_err(|errno| RootfsError::Mount {
            source_desc: describe(source),
            target: target.to_owned(),
            fstype: fstype.unwrap_or("bind").to_owned(),
            errno,
        })
    }

    fn umount2(&self, target: &Path, flags: MntFlags) -> Result<(), RootfsError> {
        nix::mount::umount2(target, flags).map_err(|errno| RootfsError::Unmount {
            path: target.to_owned(),
            errno,
        })
    }

    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), RootfsError> {
        nix::unistd::pivot_root(new_root, put_old).map_err(|errno| RootfsError::PivotRoot {
            new_root: new_root.to_owned(),
            errno,
        })
    }

    fn chdir(&self, path: &Path) -> Result<(), RootfsError> {
        nix::unistd::chdir(path).map_err(|errno| RootfsError::path("chdir(2)", path, errno))
    }

    fn mkdir_all(&self, path: &Path, mode: u32) -> Result<(), RootfsError> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(mode)
            .create(path)
            .map_err(|e| RootfsError::path("mkdir(2)", path, io_errno(&e)))
    }

    fn create_file(&self, path: &Path) -> Result<(), RootfsError> {
        // O_RDONLY: opening an existing file for writing would make overlayfs copy it up
        // into the container's layer, and `docker diff`/`commit` would see it.
        use nix::fcntl::{OFlag, open};
        open(
            path,
            OFlag::O_RDONLY | OFlag::O_CREAT | OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::from_bits_truncate(0o755),
        )
        .map(drop)
        .map_err(|e| RootfsError::path("open(2) O_CREAT", path, e))
    }

    fn mknod_char(&self, path: &Path, major: u64, minor: u64, mode: u32) -> Result<(), RootfsError> {
        let perm = Mode::from_bits_truncate(mode);
        nix::sys::stat::mknod(path, SFlag::S_IFCHR, perm, nix::sys::stat::makedev(major, minor))
            .map_err(|errno| RootfsError::path("mknod(2)", path, errno))?;
        nix::sys::stat::fchmodat(
            nix::fcntl::AT_FDCWD,
            path,
            perm,
            nix::sys::stat::FchmodatFlags::FollowSymlink,
        )
        .map_err(|errno| RootfsError::path("chmod(2)", path, errno))
    }

    fn symlink(&self, target: &Path, link: &Path) -> Result<(), RootfsError> {
        std::os::unix::fs::symlink(target, link)
            .map_err(|e| RootfsError::path("symlink(2)", link, io_errno(&e)))
    }

    fn file_kind(&self, path: &Path) -> Option<FileKind> {
        let meta = std::fs::symlink_metadata(path).ok()?;
        Some(if meta.is_dir() {
            FileKind::Directory
        } else {
            FileKind::Other
        })
    }
}

/// The errno behind an `io::Error` (EIO when there is none, which std only does for its own errors).
pub(crate) fn io_errno(e: &std::io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

/// One recorded call, with the arguments that matter for the order of a rootfs setup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Mount {
        source: Option<PathBuf>,
        target: PathBuf,
        fstype: Option<String>,
        flags: MsFlags,
        data: Option<String>,
    },
    Umount2 {
        target: PathBuf,
        flags: MntFlags,
    },
    PivotRoot {
        new_root: PathBuf,
        put_old: PathBuf,
    },
    Chdir(PathBuf),
    MkdirAll(PathBuf),
    CreateFile(PathBuf),
    MknodChar {
        path: PathBuf,
        major: u64,
        minor: u64,
        mode: u32,
    },
    Symlink {
        target: PathBuf,
        link: PathBuf,
    },
}

/// A test double that records every call and pretends it succeeded.
///
/// `file_kind` answers from [`RecordingSyscall::with_file`]; paths not given do not exist.
#[derive(Debug, Default)]
pub struct RecordingSyscall {
    calls: RefCell<Vec<Call>>,
    files: HashMap<PathBuf, FileKind>,
}

impl RecordingSyscall {
    pub fn new() -> Self {
        Self::default()
    }

    /// Pretend `path` exists with the given kind.
    pub fn with_file(mut self, path: impl Into<PathBuf>, kind: FileKind) -> Self {
        self.files.insert(path.into(), kind);
        self
    }

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.calls.borrow().clone()
    }

    /// Only the mount calls, as `(target, fstype, flags)`, which is what most tests compare.
    pub fn mounts(&self) -> Vec<(PathBuf, Option<String>, MsFlags)> {
        self.calls
            .borrow()
            .iter()
            .filter_map(|c| match c {
                Call::Mount {
                    target,
                    fstype,
                    flags,
                    ..
                } => Some((target.clone(), fstype.clone(), *flags)),
                _ => None,
            })
            .collect()
    }

    fn record(&self, call: Call) -> Result<(), RootfsError> {
        self.calls.borrow_mut().push(call);
        Ok(())
    }
}

impl Syscall for RecordingSyscall {
    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> Result<(), RootfsError> {
        self.record(Call::Mount {
            source: source.map(Path::to_owned),
            target: target.to_owned(),
            fstype: fstype.map(str::to_owned),
            flags,
            data: data.map(str::to_owned),
        })
    }
    fn umount2(&self, target: &Path, flags: MntFlags) -> Result<(), RootfsError> {
        self.record(Call::Umount2 {
            target: target.to_owned(),
            flags,
        })
    }
    fn pivot_root(&self, new_root: &Path, put_old: &Path) -> Result<(), RootfsError> {
        self.record(Call::PivotRoot {
            new_root: new_root.to_owned(),
            put_old: put_old.to_owned(),
        })
    }
    fn chdir(&self, path: &Path) -> Result<(), RootfsError> {
        self.record(Call::Chdir(path.to_owned()))
    }
    fn mkdir_all(&self, path: &Path, _mode: u32) -> Result<(), RootfsError> {
        self.record(Call::MkdirAll(path.to_owned()))
    }
    fn create_file(&self, path: &Path) -> Result<(), RootfsError> {
        self.record(Call::CreateFile(path.to_owned()))
    }
    fn mknod_char(&self, path: &Path, major: u64, minor: u64, mode: u32) -> Result<(), RootfsError> {
        self.record(Call::MknodChar {
            path: path.to_owned(),
            major,
            minor,
            mode,
        })
    }
    fn symlink(&self, target: &Path, link: &Path) -> Result<(), RootfsError> {
        self.record(Call::Symlink {
            target: target.to_owned(),
            link: link.to_owned(),
        })
    }
    fn file_kind(&self, path: &Path) -> Option<FileKind> {
        self.files.get(path).copied()
    }
}
