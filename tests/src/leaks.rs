//! What minidocker tests may have left on the host, for the `leak-check` binary.
//!
//! - mounts (in this mount namespace) whose path contains `minidocker`, or that lie under a temp
//!   dir with a file system a container setup makes (proc, sysfs, tmpfs, devpts, mqueue, overlay);
//! - processes whose root is not the host's `/` and that belong to a minidocker container: the
//!   root path lies under a temp dir or `/var/lib/minidocker`, or the root directory is a
//!   container's mounted layer (`<data-root>/overlay2/<id>/merged`) of a minidocker data root, or
//!   it was deleted (a container whose data root was removed under it);
//! - the harness's data roots, `<tmp>/minidocker-e2e-*`;
//! - cgroups left under a `minidocker` cgroup (the parent minidocker puts containers' cgroups
//!   in) in any mounted cgroup hierarchy: `…/minidocker/<anything>`. The `minidocker`
//!   directories themselves are shared parents and are not reported;
//! - in the host's network namespace: the default bridge `minidocker0`, veths plugged into it,
//!   and the `MINIDOCKER` iptables chains (tests make theirs inside namespaces of their own);
//! - `minidocker daemon`, `shim` and `exec-helper` processes still running.
//!
//! The Docker oracle's own state (`/tmp/minidocker-oracle`, a real dockerd used for reference
//! runs) is not minidocker's and is not reported.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::host::{self, DirId, MountEntry, ProcessRoot};
use crate::test_env::DATA_ROOT_PREFIX;

/// minidocker's default data root.
pub const DEFAULT_DATA_ROOT: &str = "/var/lib/minidocker";

/// Paths containing this belong to the Docker oracle, not to minidocker.
pub const ORACLE_MARK: &str = "minidocker-oracle";

/// File systems a container's setup mounts.
pub const CONTAINER_FSTYPES: [&str; 6] = ["proc", "sysfs", "tmpfs", "devpts", "mqueue", "overlay"];

/// One thing left behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leak {
    Mount(MountEntry),
    Process {
        process: ProcessRoot,
        why: &'static str,
    },
    DataRoot(PathBuf),
    Cgroup(PathBuf),
    /// A link or firewall chain of minidocker's in the host's network namespace (tests make
    /// theirs in namespaces of their own).
    Network(String),
    /// A daemon, shim (or shim's monitor) or exec helper of minidocker's still running (pid and
    /// command line).
    Helper(String),
}

impl std::fmt::Display for Leak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Leak::Mount(m) => write!(f, "mount: {m}"),
            Leak::Process { process, why } => write!(f, "process: {process}: {why}"),
            Leak::DataRoot(p) => write!(f, "data root: {}", p.display()),
            Leak::Cgroup(p) => write!(f, "cgroup: {}", p.display()),
            Leak::Network(what) => write!(f, "network: {what}"),
            Leak::Helper(what) => write!(f, "process: {what}"),
        }
    }
}

/// The system temp dirs: `$TMPDIR` (or `/tmp`), `/tmp` and `/var/tmp`, as far as they exist.
pub fn temp_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for d in [
        std::env::temp_dir(),
        PathBuf::from("/tmp"),
        PathBuf::from("/var/tmp"),
    ] {
        match d.canonicalize() {
            Ok(d) if !dirs.contains(&d) => dirs.push(d),
            _ => {}
        }
    }
    dirs
}

/// Everything left behind, in the order mounts, processes, data roots, cgroups.
pub fn scan() -> Vec<Leak> {
    let temps = temp_dirs();
    let mut leaks: Vec<Leak> = host::mounts()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| is_leaked_mount(m, &temps))
        .map(Leak::Mount)
        .collect();

    let data_roots = data_roots(&temps);
    let rootfs_ids = container_rootfs_ids(&data_roots);
    let host_root = host::host_root_id().ok();
    let me = std::process::id() as i32;
    for p in host::process_roots() {
        if p.pid == me || Some(p.root_id) == host_root {
            continue;
        }
        let text = p.root.to_string_lossy();
        let why = if text.contains(ORACLE_MARK) {
            None
        } else if p.root != Path::new("/")
            && (under_any(&p.root, &temps) || p.root.starts_with(DEFAULT_DATA_ROOT))
        {
            Some("root under a temp dir or the default data root")
        } else if rootfs_ids.contains(&p.root_id) {
            Some("root is a minidocker container's rootfs")
        } else if p.root_deleted {
            Some("root directory deleted (its data root was removed while it ran?)")
        } else {
            None
        };
        if let Some(why) = why {
            leaks.push(Leak::Process { process: p, why });
        }
    }

    leaks.extend(
        data_roots
            .into_iter()
            .filter(|d| {
                d.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(DATA_ROOT_PREFIX))
            })
            .map(Leak::DataRoot),
    );
    let hierarchies: Vec<PathBuf> = host::mounts()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m.fstype == "cgroup" || m.fstype == "cgroup2")
        .map(|m| m.mount_point)
        .collect();
    leaks.extend(leftover_cgroups(&hierarchies).into_iter().map(Leak::Cgroup));
    leaks.extend(host_network_leftovers().into_iter().map(Leak::Network));
    leaks.extend(engine_helpers().into_iter().map(Leak::Helper));
    leaks
}

/// The name of the cgroup minidocker puts containers' cgroups under (by default).
pub const CGROUP_PARENT: &str = "minidocker";

/// The cgroups below a `minidocker` cgroup anywhere in `hierarchies` (mount points of cgroup
/// filesystems), sorted; each hierarchy is walked once even if mounted twice.
pub fn leftover_cgroups(hierarchies: &[PathBuf]) -> Vec<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for top in hierarchies {
        let Ok(meta) = std::fs::metadata(top) else {
            continue;
        };
        if !seen.insert((meta.dev(), meta.ino())) {
            continue;
        }
        let mut pending = vec![top.clone()];
        while let Some(dir) = pending.pop() {
            let is_parent = dir != *top && dir.file_name().is_some_and(|n| n == CGROUP_PARENT);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                if !e.file_type().is_ok_and(|t| t.is_dir()) {
                    continue;
                }
                if is_parent {
                    found.push(e.path());
                } else if !e.path().to_string_lossy().contains(ORACLE_MARK) {
                    pending.push(e.path());
                }
            }
        }
    }
    found.sort();
    found
}

/// Removes the `minidocker` cgroup parent under this process's own cgroup in each hierarchy
/// when nothing is left in it, and returns the directories removed. The engines the tests
/// start make it on first use and share it, so no single test may remove it; once every test
/// has ended, an empty one is only a leftover. rmdir(2) refuses a cgroup with children or
/// processes, so one still in use stays.
pub fn remove_empty_cgroup_parents() -> Vec<PathBuf> {
    let Ok(hierarchy) = ch06_cgroups::Hierarchy::detect() else {
        return Vec::new();
    };
    let mut own: Vec<PathBuf> = ch06_cgroups::Controller::V1
        .iter()
        .filter_map(|c| hierarchy.own_v1_dir(*c).ok())
        .chain(hierarchy.own_v2_dir().ok())
        .map(|dir| dir.join(CGROUP_PARENT))
        .collect();
    own.sort();
    own.dedup();
    own.into_iter()
        .filter(|parent| {
            let empty = std::fs::read_dir(parent).is_ok_and(|mut entries| {
                !entries.any(|e| e.is_ok_and(|e| e.file_type().is_ok_and(|t| t.is_dir())))
            });
            empty && std::fs::remove_dir(parent).is_ok()
        })
        .collect()
}

fn is_leaked_mount(m: &MountEntry, temps: &[PathBuf]) -> bool {
    let path = m.mount_point.to_string_lossy();
    if path.contains(ORACLE_MARK) {
        return false;
    }
    path.contains("minidocker")
        || (CONTAINER_FSTYPES.contains(&m.fstype.as_str())
            && temps
                .iter()
                .any(|t| m.mount_point.starts_with(t) && m.mount_point != *t))
}

fn under_any(path: &Path, dirs: &[PathBuf]) -> bool {
    dirs.iter().any(|d| path.starts_with(d))
}

/// The harness's data roots in the temp dirs, other temp entries named `*minidocker*` (not the
/// oracle's), and the default data root.
fn data_roots(temps: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    for t in temps {
        let Ok(entries) = std::fs::read_dir(t) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.contains("minidocker")
                && !name.contains(ORACLE_MARK)
                && e.file_type().is_ok_and(|t| t.is_dir())
            {
                roots.push(e.path());
            }
        }
    }
    roots.sort();
    if Path::new(DEFAULT_DATA_ROOT).is_dir() {
        roots.push(PathBuf::from(DEFAULT_DATA_ROOT));
    }
    roots
}

/// The identities of `<root>/overlay2/*/merged` (mounted container layers) for each data root.
fn container_rootfs_ids(roots: &[PathBuf]) -> HashSet<DirId> {
    use std::os::unix::fs::MetadataExt;
    roots
        .iter()
        .filter_map(|r| std::fs::read_dir(r.join("overlay2")).ok())
        .flat_map(|d| d.flatten())
        .filter_map(|c| std::fs::metadata(c.path().join("merged")).ok())
        .map(|m| (m.dev(), m.ino()))
        .collect()
}

/// `minidocker daemon`, `minidocker shim` (or `minidocker-shim`) and `minidocker exec-helper`
/// processes: a test's daemon and the shims it started should all be gone when the test is.
pub fn engine_helpers() -> Vec<String> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return found;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = raw
            .split(|b| *b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let program = args.first().and_then(|a| a.rsplit('/').next());
        // a shim is `minidocker-shim` while its container runs
        let is_monitor = program == Some("minidocker-shim");
        if is_monitor
            || program == Some("minidocker")
                && matches!(
                    args.get(1).map(String::as_str),
                    Some("daemon" | "shim" | "exec-helper")
                )
        {
            found.push(format!("{pid} {}", args.join(" ")));
        }
    }
    found
}

/// The default bridge `minidocker0`, veths plugged into it, and minidocker's iptables chains,
/// in this process's (the host's) network namespace.
pub fn host_network_leftovers() -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(links) = ch07_network::Netlink::open().and_then(|mut nl| nl.links()) {
        let bridge = links.iter().find(|l| l.name == "minidocker0").map(|l| l.index);
        for link in &links {
            if link.name == "minidocker0" || (bridge.is_some() && link.master == bridge) {
                found.push(format!("link {}", link.name));
            }
        }
    }
    for table in ["nat", "filter"] {
        let listed = std::process::Command::new("iptables")
            .args(["-w", "-t", table, "-S", ch07_network::nat::CHAIN])
            .stderr(std::process::Stdio::null())
            .output();
        if listed.is_ok_and(|o| o.status.success()) {
            found.push(format!(
                "iptables chain {} in table {table}",
                ch07_network::nat::CHAIN
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroups_below_a_minidocker_parent_are_leaks() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("memory");
        for d in [
            "minidocker/abc/sub",
            "session/1/minidocker/def",
            "session/1/other",
            "minidocker-oracle/xyz",
            "empty/minidocker",
        ] {
            std::fs::create_dir_all(top.join(d)).unwrap();
        }
        assert_eq!(
            leftover_cgroups(&[top.clone(), top.clone()]),
            vec![top.join("minidocker/abc"), top.join("session/1/minidocker/def")]
        );
    }

    fn mount(path: &str, fstype: &str) -> MountEntry {
        MountEntry {
            mount_point: path.into(),
            fstype: fstype.into(),
            source: "none".into(),
        }
    }

    #[test]
    fn which_mounts_count_as_leaks() {
        let temps = [PathBuf::from("/tmp")];
        assert!(is_leaked_mount(
            &mount("/var/lib/minidocker/containers/x/rootfs", "ext4"),
            &temps
        ));
        assert!(is_leaked_mount(&mount("/tmp/abc/rootfs/proc", "proc"), &temps));
        assert!(
            !is_leaked_mount(&mount("/tmp", "tmpfs"), &temps),
            "the temp dir itself may be a tmpfs"
        );
        assert!(!is_leaked_mount(&mount("/tmp/abc", "ext4"), &temps));
        assert!(!is_leaked_mount(
            &mount("/tmp/minidocker-oracle/root/overlay2/x/merged", "overlay"),
            &temps
        ));
        assert!(!is_leaked_mount(&mount("/dev/shm", "tmpfs"), &temps));
    }
}
