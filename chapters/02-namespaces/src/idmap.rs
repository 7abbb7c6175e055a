//! User namespace id maps: which host uid a uid inside the namespace really is.
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
    let bad = |reason: String| Err(NamespaceError::invalid_mapping(maps, reason));
    if maps.is_empty() {
        return bad("no mappings".into());
    }
    if maps.len() > MAX_MAPPINGS {
        return bad(format!("{} lines, at most {MAX_MAPPINGS} allowed", maps.len()));
    }
    for m in maps {
        if m.size == 0 {
            return bad(format!("mapping \"{m}\" has size 0"));
        }
        if m.container_id.checked_add(m.size).is_none() || m.host_id.checked_add(m.size).is_none() {
            return bad(format!("mapping \"{m}\" runs past the largest id"));
        }
    }
    for (i, a) in maps.iter().enumerate() {
        for b in &maps[i + 1..] {
            let overlap = |x: u32, y: u32| x < y + b.size && y < x + a.size;
            if overlap(a.container_id, b.container_id) || overlap(a.host_id, b.host_id) {
                return bad(format!("mappings \"{a}\" and \"{b}\" overlap"));
            }
        }
    }
    let bytes = render(maps).len();
    if bytes > MAX_MAP_BYTES {
        return bad(format!("{bytes} bytes, at most {MAX_MAP_BYTES} fit in one write"));
    }
    Ok(())
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

// ANCHOR: setgroups_rule
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
// ANCHOR_END: setgroups_rule

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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(container_id: u32, host_id: u32, size: u32) -> IdMapping {
        IdMapping {
            container_id,
            host_id,
            size,
        }
    }

    #[test]
    fn display_is_the_uid_map_line() {
        assert_eq!(m(0, 100000, 65536).to_string(), "0 100000 65536");
        assert_eq!(
            render(&[m(0, 1000, 1), m(1, 100000, 65535)]),
            "0 1000 1\n1 100000 65535\n"
        );
    }

    #[test]
    fn validate_accepts_the_usual_maps() {
        assert!(validate_mappings(&[m(0, 100000, 65536)]).is_ok());
        assert!(validate_mappings(&[m(0, 1000, 1), m(1, 100000, 65536)]).is_ok());
        assert!(
            validate_mappings(&[m(0, 0, u32::MAX)]).is_ok(),
            "the init namespace's map"
        );
        let most: Vec<_> = (0..340).map(|i| m(i, i, 1)).collect();
        assert!(validate_mappings(&most).is_ok(), "340 short lines");
    }

    #[test]
    fn validate_rejects_each_broken_rule() {
        let reject = |maps: &[IdMapping], why: &str| {
            let msg = validate_mappings(maps).expect_err(why).to_string();
            assert!(msg.contains(why), "{msg:?} should mention {why:?}");
        };
        reject(&[], "no mappings");
        reject(&[m(0, 1000, 0)], "size 0");
        reject(&[m(1, 0, u32::MAX)], "past the largest id");
        reject(&[m(0, 1000, 10), m(5, 2000, 10)], "overlap");
        reject(&[m(0, 1000, 10), m(100, 1005, 1)], "overlap");
        reject(&vec![m(0, 0, 1); 341], "at most 340");
        let wide: Vec<_> = (0..340u32)
            .map(|i| m(4_000_000_000 + i, 4_100_000_000 + i, 1))
            .collect();
        reject(&wide, "fit in one write");
    }

    /// Ids mostly small (so ranges often overlap), sometimes near the top (so they overflow).
    fn id() -> impl Strategy<Value = u32> {
        prop_oneof![4 => 0u32..20_000, 1 => (u32::MAX - 10_000)..=u32::MAX]
    }

    fn mapping() -> impl Strategy<Value = IdMapping> {
        (id(), id(), 0u32..5000).prop_map(|(c, h, s)| m(c, h, s))
    }

    proptest! {
        #[test]
        /// Up to 8 lines: too few to reach the line or byte limits, tested above.
        fn validate_agrees_with_the_kernel_rules(maps in prop::collection::vec(mapping(), 0..8)) {
            let within = |start: u32, size: u32| u64::from(start) + u64::from(size) <= u64::from(u32::MAX);
            let disjoint = |a: u32, sa: u32, b: u32, sb: u32| {
                u64::from(a) + u64::from(sa) <= u64::from(b) || u64::from(b) + u64::from(sb) <= u64::from(a)
            };
            let mut expected = !maps.is_empty()
                && maps.iter().all(|x| x.size > 0 && within(x.container_id, x.size) && within(x.host_id, x.size));
            for (i, a) in maps.iter().enumerate() {
                for b in &maps[i + 1..] {
                    expected &= disjoint(a.container_id, a.size, b.container_id, b.size);
                    expected &= disjoint(a.host_id, a.size, b.host_id, b.size);
                }
            }
            prop_assert_eq!(validate_mappings(&maps).is_ok(), expected, "{}", render(&maps));
        }

        #[test]
        fn disjoint_ranges_are_accepted(count in 1usize..=100, size in 1u32..1000) {
            let maps: Vec<_> = (0..count as u32).map(|i| m(i * size, 100_000 + i * size, size)).collect();
            prop_assert!(validate_mappings(&maps).is_ok());
        }
    }
}
