//! What the host has right now: its mounts (in the test's mount namespace) and its processes
//! with their root directories.
//!
//! A container's root is not found by name: after `pivot_root(2)` in its own mount namespace,
//! `readlink /proc/<pid>/root` says `/` (the path is unreachable from the host). Its *inode*
//! still is the host's view of its root, the overlay mounted at `<data-root>/overlay2/<id>/merged`,
//! so processes are matched
//! by the `(dev, ino)` of `stat /proc/<pid>/root` as well as by path.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// A directory's identity: `(st_dev, st_ino)`.
pub type DirId = (u64, u64);

/// One line of `/proc/self/mountinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MountEntry {
    pub mount_point: PathBuf,
    pub fstype: String,
    pub source: String,
}

impl std::fmt::Display for MountEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({} from {})",
            self.mount_point.display(),
            self.fstype,
            self.source
        )
    }
}

/// The mounts of the calling process's mount namespace.
pub fn mounts() -> std::io::Result<Vec<MountEntry>> {
    Ok(parse_mountinfo(&std::fs::read_to_string("/proc/self/mountinfo")?))
}

/// Parses mountinfo: `id parent maj:min root mount-point options [optional...] - fstype source super-options`.
pub fn parse_mountinfo(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let mount_point = left.split(' ').nth(4)?;
            let mut right = right.split(' ');
            Some(MountEntry {
                mount_point: PathBuf::from(unescape(mount_point)),
                fstype: right.next()?.to_owned(),
                source: unescape(right.next()?),
            })
        })
        .collect()
}

/// Undoes the kernel's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match (bytes[i], octal) {
            (b'\\', Some(d)) => {
                out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A process and its root directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessRoot {
    pub pid: i32,
    /// `/proc/<pid>/comm`.
    pub comm: String,
    /// `readlink /proc/<pid>/root`, as the host sees it (`/` for a pivot_root'ed container).
    pub root: PathBuf,
    /// `stat /proc/<pid>/root`.
    pub root_id: DirId,
    /// The root directory has been removed (link count 0).
    pub root_deleted: bool,
}

impl std::fmt::Display for ProcessRoot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pid {} ({}) root {}", self.pid, self.comm, self.root.display())?;
        if self.root_deleted && !self.root.to_string_lossy().ends_with("(deleted)") {
            write!(f, " (deleted)")?;
        }
        Ok(())
    }
}

/// Every process whose root can be read (all of them as root). Zombies have none.
pub fn process_roots() -> Vec<ProcessRoot> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let root = std::fs::read_link(format!("/proc/{pid}/root")).ok()?;
            let meta = std::fs::metadata(format!("/proc/{pid}/root")).ok()?;
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .unwrap_or_default()
                .trim_end()
                .to_owned();
            Some(ProcessRoot {
                pid,
                comm,
                root,
                root_id: (meta.dev(), meta.ino()),
                root_deleted: meta.nlink() == 0,
            })
        })
        .collect()
}

/// The identity of the host's `/`.
pub fn host_root_id() -> std::io::Result<DirId> {
    let meta = std::fs::metadata("/")?;
    Ok((meta.dev(), meta.ino()))
}

/// The identities of `dir` and of every directory below it (symlinks are not followed, other
/// file systems mounted below are not entered). Entries that vanish meanwhile are skipped.
pub fn dir_ids_under(dir: &Path) -> HashSet<DirId> {
    let mut ids = HashSet::new();
    let Ok(top) = std::fs::symlink_metadata(dir) else {
        return ids;
    };
    let mut pending = vec![dir.to_owned()];
    while let Some(d) = pending.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&d) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        ids.insert((meta.dev(), meta.ino()));
        if meta.dev() != top.dev() {
            continue; // a mount point (a container's overlay): its root counts, not its insides
        }
        if let Ok(entries) = std::fs::read_dir(&d) {
            pending.extend(
                entries
                    .flatten()
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                    .map(|e| e.path()),
            );
        }
    }
    ids
}

/// The processes whose root directory is `dir` or lies below it.
pub fn processes_rooted_under(dir: &Path) -> Vec<ProcessRoot> {
    let ids = dir_ids_under(dir);
    let me = std::process::id() as i32;
    process_roots()
        .into_iter()
        .filter(|p| p.pid != me && (p.root.starts_with(dir) || ids.contains(&p.root_id)))
        .collect()
}

/// The mounts of this mount namespace at `dir` or below it.
pub fn mounts_under(dir: &Path) -> Vec<MountEntry> {
    mounts()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.mount_point.starts_with(dir))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_are_parsed_and_unescaped() {
        let text = "36 35 98:0 /mnt1 /tmp/a\\040b rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n\
                    74 72 0:43 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n";
        let mounts = parse_mountinfo(text);
        assert_eq!(mounts.len(), 2);
        assert_eq!(mounts[0].mount_point, Path::new("/tmp/a b"));
        assert_eq!(mounts[0].fstype, "ext3");
        assert_eq!(
            mounts[1],
            MountEntry {
                mount_point: "/dev".into(),
                fstype: "tmpfs".into(),
                source: "tmpfs".into()
            }
        );
    }

    #[test]
    fn this_process_has_the_host_root() {
        let me = std::process::id() as i32;
        let roots = process_roots();
        let mine = roots.iter().find(|p| p.pid == me).expect("own /proc entry");
        assert_eq!(mine.root, Path::new("/"));
        assert_eq!(mine.root_id, host_root_id().expect("stat /"));
    }
}
