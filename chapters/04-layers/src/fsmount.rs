//! The new mount API (Linux 5.2): build a filesystem context step by step, then attach it.
//!
//! ```text
//! fsopen("overlay")            -> fs fd     (an empty, unconfigured superblock context)
//! fsconfig(fd, SET_STRING, "lowerdir+", "/l/A")   one call per layer, no length games
//! fsconfig(fd, SET_STRING, "upperdir", ...) ...
//! fsconfig(fd, CMD_CREATE)     -> the kernel builds the superblock (errors are logged to fd)
//! fsmount(fd)                  -> mount fd  (a detached mount, not yet anywhere in the tree)
//! move_mount(mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)   attach it
//! ```
//!
//! nix does not wrap these yet, so they go through `libc::syscall`. The constants are the
//! values of `<linux/mount.h>`.

use std::ffi::{CStr, CString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nix::errno::Errno;

// ANCHOR: constants
/// `<linux/mount.h>`: close the fd on exec.
const FSOPEN_CLOEXEC: libc::c_uint = 0x1;
/// `fsconfig` command: set a flag (a key without a value).
const FSCONFIG_SET_FLAG: libc::c_uint = 0;
/// `fsconfig` command: set a parameter to a string value.
const FSCONFIG_SET_STRING: libc::c_uint = 1;
/// `fsconfig` command: all parameters given, create the superblock.
const FSCONFIG_CMD_CREATE: libc::c_uint = 6;
/// `fsmount` flag: close the mount fd on exec.
const FSMOUNT_CLOEXEC: libc::c_uint = 0x1;
/// `move_mount` flag: the source is the fd itself, the path is empty.
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
// ANCHOR_END: constants

/// A filesystem context from fsopen(2).
#[derive(Debug)]
pub(crate) struct FsContext(OwnedFd);

/// fsopen(2)
pub(crate) fn fsopen(fstype: &CStr) -> Result<FsContext, Errno> {
    // SAFETY: fsopen(2) takes a NUL-terminated string and flags; it returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_fsopen, fstype.as_ptr(), FSOPEN_CLOEXEC) };
    owned_fd(fd).map(FsContext)
}

impl FsContext {
    /// fsconfig(2) with `FSCONFIG_SET_STRING`.
    pub(crate) fn set_string(&self, key: &CStr, value: &CStr) -> Result<(), Errno> {
        // SAFETY: the fd is open; key and value are NUL-terminated and outlive the call.
        let rc = unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                self.0.as_raw_fd(),
                FSCONFIG_SET_STRING,
                key.as_ptr(),
                value.as_ptr(),
                0,
            )
        };
        Errno::result(rc).map(drop)
    }

    /// fsconfig(2) with `FSCONFIG_SET_FLAG`: a key without a value (`volatile`).
    pub(crate) fn set_flag(&self, key: &CStr) -> Result<(), Errno> {
        // SAFETY: the fd is open; key is NUL-terminated and outlives the call; a flag takes
        // no value (NULL, 0).
        let rc = unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                self.0.as_raw_fd(),
                FSCONFIG_SET_FLAG,
                key.as_ptr(),
                std::ptr::null::<libc::c_char>(),
                0,
            )
        };
        Errno::result(rc).map(drop)
    }

    /// fsconfig(2) with `FSCONFIG_CMD_CREATE`.
    pub(crate) fn create(&self) -> Result<(), Errno> {
        // SAFETY: the fd is open; this command takes no key or value (NULL, NULL, 0).
        let rc = unsafe {
            libc::syscall(
                libc::SYS_fsconfig,
                self.0.as_raw_fd(),
                FSCONFIG_CMD_CREATE,
                std::ptr::null::<libc::c_char>(),
                std::ptr::null::<libc::c_void>(),
                0,
            )
        };
        Errno::result(rc).map(drop)
    }

    /// fsmount(2): a detached mount of the superblock just created.
    pub(crate) fn mount(&self) -> Result<OwnedFd, Errno> {
        // SAFETY: the fd is open; flags and attribute flags are plain integers.
        let fd = unsafe { libc::syscall(libc::SYS_fsmount, self.0.as_raw_fd(), FSMOUNT_CLOEXEC, 0) };
        owned_fd(fd)
    }

    /// The messages the filesystem logged on this context ("e overlay: ..."), read(2) one at a
    /// time until the log is empty. This is where the *reason* for an EINVAL lives.
    pub(crate) fn kernel_log(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut buf = [0u8; 1024];
        while lines.len() < 32 {
            match nix::unistd::read(&self.0, &mut buf) {
                Ok(n) if n > 0 => lines.push(String::from_utf8_lossy(&buf[..n]).trim_end().to_owned()),
                _ => break, // ENODATA: nothing (more) was logged
            }
        }
        lines
    }
}

/// move_mount(2) of a detached mount fd onto `target`.
pub(crate) fn move_mount(mount: &OwnedFd, target: &CString) -> Result<(), Errno> {
    // SAFETY: the fd is open, the empty source path and the target are NUL-terminated.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            mount.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    Errno::result(rc).map(drop)
}

fn owned_fd(ret: libc::c_long) -> Result<OwnedFd, Errno> {
    let fd = Errno::result(ret)?;
    let fd = libc::c_int::try_from(fd).map_err(|_| Errno::EBADF)?;
    // SAFETY: the kernel just returned this fd to us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
