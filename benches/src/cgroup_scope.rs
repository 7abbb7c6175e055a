//! [`BenchCgroupScope`]: one top-level cgroup name of the bench's own, under which every
//! runtime it starts (minidocker's daemon, runc, crun) puts its containers' cgroups, and which
//! it removes at the end.
//!
//! The name is `/minidocker-bench-<pid>`; it must not exist in any hierarchy when the scope is
//! made (so everything found under it later was made by this run), and on drop every directory
//! under it is removed deepest first with rmdir(2), in every hierarchy mounted under
//! `/sys/fs/cgroup` (cgroup v1 controllers and the hybrid `unified` v2 mount alike). Nothing
//! outside it is touched. A cgroup that still holds a process cannot be removed: the drop says
//! so instead of killing anything.

use std::path::{Path, PathBuf};

/// Where the cgroup hierarchies are mounted.
const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// See the module documentation.
#[derive(Debug)]
pub struct BenchCgroupScope {
    name: String,
}

impl BenchCgroupScope {
    /// Reserves `/minidocker-bench-<pid>`; fails if a hierarchy has it already.
    pub fn reserve() -> Result<BenchCgroupScope, String> {
        let name = format!("minidocker-bench-{}", std::process::id());
        let taken: Vec<PathBuf> = hierarchies()
            .into_iter()
            .map(|h| h.join(&name))
            .filter(|dir| dir.exists())
            .collect();
        if !taken.is_empty() {
            return Err(format!(
                "cgroup {} exists already (left by an earlier run with the same pid?): remove it first",
                taken[0].display()
            ));
        }
        Ok(BenchCgroupScope { name })
    }

    /// The absolute cgroup path of the scope, `/minidocker-bench-<pid>`.
    pub fn path(&self) -> String {
        format!("/{}", self.name)
    }

    /// An absolute cgroup path inside the scope: `/minidocker-bench-<pid>/<child>`.
    pub fn child(&self, child: &str) -> String {
        format!("/{}/{child}", self.name)
    }

    /// Every directory of the scope that exists now, in every hierarchy, deepest first.
    pub fn directories(&self) -> Vec<PathBuf> {
        let mut dirs = Vec::new();
        for hierarchy in hierarchies() {
            collect_dirs(&hierarchy.join(&self.name), &mut dirs);
        }
        dirs
    }
}

impl Drop for BenchCgroupScope {
    fn drop(&mut self) {
        for dir in self.directories() {
            if let Err(e) = std::fs::remove_dir(&dir) {
                eprintln!("minidocker-benches: cannot remove cgroup {}: {e}", dir.display());
            }
        }
    }
}

/// The mount points of the cgroup hierarchies (`/sys/fs/cgroup/<controller>`, or
/// `/sys/fs/cgroup` itself on a pure v2 host), from `/proc/self/mountinfo`.
fn hierarchies() -> Vec<PathBuf> {
    let Ok(mountinfo) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    mountinfo
        .lines()
        .filter_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fstype = after.split_whitespace().next()?;
            let mount_point = before.split_whitespace().nth(4)?;
            ((fstype == "cgroup" || fstype == "cgroup2") && mount_point.starts_with(CGROUP_ROOT))
                .then(|| PathBuf::from(mount_point))
        })
        .collect()
}

/// `dir` and every directory below it, children before their parent.
fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect_dirs(&entry.path(), out);
        }
    }
    out.push(dir.to_owned());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_come_before_their_parent() {
        let tmp = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(tmp.path().join("a/b/c")).expect("dirs");
        std::fs::write(tmp.path().join("a/file"), "").expect("file");
        let mut dirs = Vec::new();
        collect_dirs(&tmp.path().join("a"), &mut dirs);
        let rel: Vec<_> = dirs
            .iter()
            .map(|d| d.strip_prefix(tmp.path()).expect("inside").to_owned())
            .collect();
        assert_eq!(
            rel,
            [PathBuf::from("a/b/c"), PathBuf::from("a/b"), PathBuf::from("a")]
        );
    }

    #[test]
    fn paths_are_absolute_and_named_by_pid() {
        let scope = BenchCgroupScope {
            name: "minidocker-bench-7".into(),
        };
        assert_eq!(scope.path(), "/minidocker-bench-7");
        assert_eq!(scope.child("runc"), "/minidocker-bench-7/runc");
        std::mem::forget(scope);
    }
}
