//! User namespace id maps: which host uid a uid inside the namespace really is.
//!
//! **Lab 02 skeleton.** Exercise `ex3`: write [`validate_mappings`] (the `todo!()`).
//! `labs/check 02` tells you how far you are.
//!
//! A new user namespace starts with no map: everyone in it is the overflow user
//! (`nobody`, 65534). A process outside (usually the parent) then writes
//! `/proc/<pid>/uid_map` and `gid_map`, once each, one line per range:
//!
//! ```text
//! <first id inside> <first id on the host> <how many>
//! 0                 100000                 65536      root inside is uid 100000 outside
//! ```
//!
//! The kernel accepts each file exactly once, in a single write(2), and only if the ranges
//! are sane; [`validate_mappings`] checks the same rules first so a bad configuration is
//! rejected with a clear message instead of an `EINVAL`.

use std::fmt;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{OFlag, open};
use nix::sys::stat::Mode;
use nix::unistd::{Pid, write};

use crate::error::NamespaceError;
use crate::identity::{current_namespace_id, namespace_id};
use crate::namespace::Namespace;

/// At most this many lines per map (since Linux 4.15; it was 5 before).
pub const MAX_MAPPINGS: usize = 340;

/// The kernel takes a map in one write(2) of less than a page; 4096 is the smallest page.
pub const MAX_MAP_BYTES: usize = 4095;

/// `CAP_SETGID`, the capability bit that lets a process set any group id.
const CAP_SETGID: u32 = 6;

/// One line of a uid or gid map: `size` ids starting at `container_id` inside the namespace
/// are the ids starting at `host_id` in the parent namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdMapping {
    /// The first id as seen inside the user namespace.
    pub container_id: u32,
    /// The first id as seen from the parent user namespace (usually the host).
    pub host_id: u32,
    /// How many consecutive ids the line maps.
    pub size: u32,
}

impl fmt::Display for IdMapping {
    /// The `/proc/<pid>/uid_map` line, without the newline: `0 100000 65536`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.container_id, self.host_id, self.size)
    }
}

/// The text of a whole map file, one line per mapping.
pub(crate) fn render(maps: &[IdMapping]) -> String {
    maps.iter().map(|m| format!("{m}\n")).collect()
}

/// Checks `maps` against the rules the kernel applies when the map is written
/// (user_namespaces(7)): at least one and at most [`MAX_MAPPINGS`] lines, every size above
/// zero, no range running past `u32::MAX - 1` (the id `u32::MAX` means "no id"), no two
/// ranges overlapping inside or outside, and the text shorter than [`MAX_MAP_BYTES`].
pub fn validate_mappings(maps: &[IdMapping]) -> Result<(), NamespaceError> {
    // ex3: check the rules of the doc comment above, one by one, and return
    // `Err(NamespaceError::invalid_mapping(maps, reason))` for the first one broken:
    //   - at least one mapping, at most MAX_MAPPINGS;
    //   - every size > 0;
    //   - id + size must not overflow a u32 (`checked_add`), inside or outside;
    //   - no two ranges overlap, inside or outside (compare every pair);
    //   - `render(maps)` (the text written to the file) is at most MAX_MAP_BYTES long.
    todo!(
        "ex3: return Err(NamespaceError::invalid_mapping(maps, reason)) for the first broken rule, Ok(()) otherwise"
    )
}

/// Writes `text` to a `/proc` file in exactly one write(2), as the id map files require.
fn write_proc_file(path: &Path, text: &str) -> Result<(), NamespaceError> {
    let err = |source| NamespaceError::WriteProc {
        path: path.to_path_buf(),
        value: text.to_string(),
        source,
    };
    let fd = open(path, OFlag::O_WRONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(err)?;
    match write(&fd, text.as_bytes()) {
        Ok(n) if n == text.len() => Ok(()),
        Ok(_) => Err(err(Errno::EIO)),
        Err(source) => Err(err(source)),
    }
}

fn write_map(pid: Pid, file: &str, maps: &[IdMapping]) -> Result<(), NamespaceError> {
    validate_mappings(maps)?;
    let path = PathBuf::from(format!("/proc/{pid}/{file}"));
    tracing::debug!(%pid, path = %path.display(), maps = %render(maps), "writing id map");
    write_proc_file(&path, &render(maps))
}

/// Writes the uid map of the user namespace `pid` is in: `/proc/<pid>/uid_map`.
///
/// Only once per namespace. The writer needs `CAP_SETUID` in the parent namespace, unless
/// it maps just its own uid (a single line of size 1), which anyone may do.
pub fn write_uid_map(pid: Pid, maps: &[IdMapping]) -> Result<(), NamespaceError> {
    write_map(pid, "uid_map", maps)
}

/// Turns setgroups(2) off for good in the user namespace of `pid`: writes `deny` to
/// `/proc/<pid>/setgroups`. Must happen before the gid map is written.
pub fn deny_setgroups(pid: Pid) -> Result<(), NamespaceError> {
    write_proc_file(&PathBuf::from(format!("/proc/{pid}/setgroups")), "deny")
}

/// Writes the gid map of the user namespace `pid` is in: `/proc/<pid>/gid_map`, after
/// writing `deny` to `/proc/<pid>/setgroups` when the rule below requires it.
pub fn write_gid_map(pid: Pid, maps: &[IdMapping]) -> Result<(), NamespaceError> {
    validate_mappings(maps)?;
    if setgroups_must_be_denied(pid)? {
        deny_setgroups(pid)?;
    }
    write_map(pid, "gid_map", maps)
}

/// Whether `/proc/<pid>/setgroups` must say `deny` before the gid map may be written.
///
/// The rule (since Linux 3.19): a writer *without* `CAP_SETGID` in the parent user namespace
/// may map only its own gid, and only once setgroups(2) is disabled in the new namespace.
/// Why: setgroups(2) can also *drop* groups. Files like `rwx---r-x alice:blocked` deny access
/// to a group on purpose; an unprivileged user who could drop `blocked` inside a namespace
/// would get in.
///
/// A privileged writer (root on the host writing its child's map) must *not* deny: root in
/// the container would lose setgroups(2), which `su`, `login` and package managers need.
///
/// Two cases tell us we lack `CAP_SETGID` in the parent namespace:
/// - we are writing the map of our own user namespace (right after `unshare(CLONE_NEWUSER)`):
///   our capabilities are in the new namespace, none in its parent;
/// - otherwise we are in the parent, and `CapEff` of `/proc/thread-self/status` lacks it.
fn setgroups_must_be_denied(pid: Pid) -> Result<bool, NamespaceError> {
    if current_namespace_id(Namespace::User)? == namespace_id(pid, Namespace::User)? {
        return Ok(true);
    }
    Ok(!has_effective_capability(CAP_SETGID)?)
}

/// Whether the calling thread has capability number `cap` in its effective set, read from the
/// `CapEff:` line of `/proc/thread-self/status` (a hex bit mask, bit `cap` = capability `cap`).
fn has_effective_capability(cap: u32) -> Result<bool, NamespaceError> {
    let path = PathBuf::from("/proc/thread-self/status");
    let err = |syscall, source| NamespaceError::ProcFile {
        syscall,
        path: path.clone(),
        source,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        let errno = e.raw_os_error().map_or(Errno::EIO, Errno::from_raw);
        err("read(2)", errno)
    })?;
    let mask = text
        .lines()
        .find_map(|line| line.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .ok_or_else(|| err("read(2)", Errno::EINVAL))?;
    Ok(mask & (1 << cap) != 0)
}
