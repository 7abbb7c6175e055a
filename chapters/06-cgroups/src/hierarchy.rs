//! Where the cgroup filesystems are mounted, which version this host runs, and which cgroup
//! this process is in: read from `/proc/self/mountinfo` and `/proc/self/cgroup`.
//!
//! Three layouts exist in the wild:
//!
//! ```text
//! legacy (v1)                 hybrid (v1 + empty v2)          unified (v2)
//! /sys/fs/cgroup/             /sys/fs/cgroup/                 /sys/fs/cgroup/
//!   cpu/     (cgroup)           cpu/ memory/ ... (cgroup)       cgroup.controllers
//!   memory/  (cgroup)           unified/ (cgroup2, holds no     cgroup.subtree_control
//!   pids/    (cgroup)                     useful controller)    <one tree, all controllers>
//! ```
//!
//! A *hybrid* host (this chapter's reference machine is one) has both kinds mounted, but
//! every controller we need lives in the v1 hierarchies: it is a v1 host. The rule, as runc
//! and Docker apply it: v2 only when no v1 hierarchy carries a controller.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::controller::Controller;
use crate::error::CgroupError;

/// The two cgroup APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    /// One hierarchy per controller.
    V1,
    /// One unified hierarchy.
    V2,
}

/// How the host mounts its cgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Only v1 hierarchies.
    Legacy,
    /// v1 hierarchies for the controllers, plus a cgroup2 mount (at `/sys/fs/cgroup/unified`).
    Hybrid,
    /// Only cgroup2, at `/sys/fs/cgroup`.
    Unified,
}

impl Layout {
    /// The API a container runtime uses on this layout.
    pub fn version(self) -> CgroupVersion {
        match self {
            Layout::Legacy | Layout::Hybrid => CgroupVersion::V1,
            Layout::Unified => CgroupVersion::V2,
        }
    }
}

/// One mounted cgroup filesystem (a line of `/proc/self/mountinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupMount {
    /// Where it is mounted, e.g. `/sys/fs/cgroup/memory`.
    pub mount_point: PathBuf,
    /// Which cgroup of the hierarchy the mount shows as its top (`/` unless bind-mounted
    /// or mounted inside a cgroup namespace).
    pub root: String,
    /// The v1 controllers it carries (`cpu`, `cpuacct`, `name=systemd`, ...); empty on v2.
    pub controllers: Vec<String>,
}

/// The cgroup mounts of this host and the cgroups this process is in.
#[derive(Debug, Clone, Default)]
pub struct Hierarchy {
    /// v1 mounts, the first one for each set of controllers.
    pub v1: Vec<CgroupMount>,
    /// The cgroup2 mount, if any.
    pub unified: Option<CgroupMount>,
    /// This process's cgroup per v1 controller (from `/proc/self/cgroup`).
    pub own_v1: BTreeMap<String, String>,
    /// This process's v2 cgroup (the `0::` line).
    pub own_unified: Option<String>,
}

const MOUNTINFO: &str = "/proc/self/mountinfo";
const PROC_CGROUP: &str = "/proc/self/cgroup";

impl Hierarchy {
    /// Reads this process's view of the host.
    pub fn detect() -> Result<Self, CgroupError> {
        let mountinfo = std::fs::read_to_string(MOUNTINFO).map_err(|e| CgroupError::read(MOUNTINFO, e))?;
        let cgroup = std::fs::read_to_string(PROC_CGROUP).map_err(|e| CgroupError::read(PROC_CGROUP, e))?;
        let hierarchy = Self::parse(&mountinfo, &cgroup)?;
        tracing::debug!(layout = ?hierarchy.layout(), "detected cgroup layout");
        Ok(hierarchy)
    }

    // ANCHOR: parse
    /// Builds the view from the texts of `/proc/<pid>/mountinfo` and `/proc/<pid>/cgroup`.
    pub fn parse(mountinfo: &str, proc_cgroup: &str) -> Result<Self, CgroupError> {
        let mut hierarchy = Hierarchy::default();
        for line in mountinfo.lines() {
            let Some((fstype, mount)) = parse_mountinfo_line(line) else {
                continue;
            };
            // A hierarchy can be mounted more than once (bind mounts): the first mount wins,
            // except that cgroup2 at /sys/fs/cgroup is preferred.
            let known = hierarchy.v1.iter().any(|m| m.controllers == mount.controllers);
            let preferred = mount.mount_point == Path::new("/sys/fs/cgroup");
            match fstype {
                "cgroup" if !known => hierarchy.v1.push(mount),
                "cgroup2" if hierarchy.unified.is_none() || preferred => hierarchy.unified = Some(mount),
                _ => {}
            }
        }
        for line in proc_cgroup.lines() {
            let mut parts = line.splitn(3, ':');
            let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(CgroupError::parse(PROC_CGROUP, format!("bad line {line:?}")));
            };
            if id == "0" && controllers.is_empty() {
                hierarchy.own_unified = Some(path.to_string());
            } else {
                for controller in controllers.split(',').filter(|c| !c.is_empty()) {
                    hierarchy.own_v1.insert(controller.to_string(), path.to_string());
                }
            }
        }
        Ok(hierarchy)
    }
    // ANCHOR_END: parse

    // ANCHOR: layout
    /// The layout, or `None` when no cgroup filesystem is mounted.
    ///
    /// Only hierarchies that carry a controller count as v1: a lone `name=systemd` hierarchy
    /// (named, no controller) next to a cgroup2 mount is still a unified host.
    pub fn layout(&self) -> Option<Layout> {
        let v1_controllers = self
            .v1
            .iter()
            .any(|m| m.controllers.iter().any(|c| !c.starts_with("name=")));
        match (v1_controllers, self.unified.is_some()) {
            (true, true) => Some(Layout::Hybrid),
            (true, false) => Some(Layout::Legacy),
            (false, true) => Some(Layout::Unified),
            (false, false) => None,
        }
    }
    // ANCHOR_END: layout

    /// The cgroup version to drive, or an error when nothing is mounted.
    pub fn version(&self) -> Result<CgroupVersion, CgroupError> {
        self.layout()
            .map(Layout::version)
            .ok_or_else(|| CgroupError::NoHierarchy {
                path: PathBuf::from(MOUNTINFO),
            })
    }

    /// The v1 mount carrying `controller`.
    pub fn v1_mount(&self, controller: Controller) -> Option<&CgroupMount> {
        self.v1
            .iter()
            .find(|m| m.controllers.iter().any(|c| c == controller.name()))
    }

    // ANCHOR: own_v1_dir
    /// The directory of this process's own v1 cgroup for `controller`, e.g.
    /// `/sys/fs/cgroup/memory/process_api/998791…` when `/proc/self/cgroup` says
    /// `4:memory:/process_api/998791…`.
    pub fn own_v1_dir(&self, controller: Controller) -> Result<PathBuf, CgroupError> {
        let mount = self
            .v1_mount(controller)
            .ok_or_else(|| CgroupError::ControllerMissing {
                controller: controller.name().to_string(),
            })?;
        let own = self
            .own_v1
            .get(controller.name())
            .ok_or_else(|| CgroupError::NotInHierarchy {
                controller: controller.name().to_string(),
            })?;
        dir_in_mount(mount, own)
    }
    // ANCHOR_END: own_v1_dir

    /// The directory of this process's own v2 cgroup.
    pub fn own_v2_dir(&self) -> Result<PathBuf, CgroupError> {
        let mount = self.unified.as_ref().ok_or_else(|| CgroupError::NoHierarchy {
            path: PathBuf::from(MOUNTINFO),
        })?;
        let own = self
            .own_unified
            .as_ref()
            .ok_or_else(|| CgroupError::NotInHierarchy {
                controller: "unified".to_string(),
            })?;
        dir_in_mount(mount, own)
    }
}

// ANCHOR: dir_in_mount
/// Where cgroup `path` (as `/proc/self/cgroup` names it) appears under `mount`.
///
/// The mount shows the hierarchy from its `root` down, so `root` is cut off `path` first;
/// a cgroup above the mount's root cannot be reached through it.
fn dir_in_mount(mount: &CgroupMount, path: &str) -> Result<PathBuf, CgroupError> {
    let path = path.trim_end_matches(" (deleted)");
    let rel = if mount.root == "/" {
        Some(path)
    } else {
        path.strip_prefix(mount.root.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    };
    let rel = rel.ok_or_else(|| {
        CgroupError::parse(
            PROC_CGROUP,
            format!(
                "cgroup {path} is outside the root {} of the mount at {}",
                mount.root,
                mount.mount_point.display()
            ),
        )
    })?;
    Ok(mount.mount_point.join(rel.trim_start_matches('/')))
}
// ANCHOR_END: dir_in_mount

/// Splits one mountinfo line into its filesystem type and a [`CgroupMount`].
///
/// `41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`:
/// id, parent, device, root, mount point, options, optional fields, `-`, fstype, source,
/// super options (see proc_pid_mountinfo(5)).
fn parse_mountinfo_line(line: &str) -> Option<(&str, CgroupMount)> {
    let (before, after) = line.split_once(" - ")?;
    let fields: Vec<&str> = before.split(' ').collect();
    let root = unescape(fields.get(3)?);
    let mount_point = PathBuf::from(unescape(fields.get(4)?));
    let mut after = after.split(' ');
    let fstype = after.next()?;
    let _source = after.next()?;
    let super_options = after.next().unwrap_or("");
    let controllers = if fstype == "cgroup" {
        super_options
            .split(',')
            .filter(|o| !is_mount_flag(o))
            .map(str::to_string)
            .collect()
    } else {
        Vec::new()
    };
    Some((
        fstype,
        CgroupMount {
            mount_point,
            root,
            controllers,
        },
    ))
}

/// Super options of a v1 cgroup mount that are flags, not controller names.
fn is_mount_flag(option: &str) -> bool {
    matches!(
        option,
        "rw" | "ro"
            | "noprefix"
            | "xattr"
            | "clone_children"
            | "cpuset_v2_mode"
            | "favordynmods"
            | "none"
            | "all"
    ) || option.starts_with("release_agent=")
}

/// Undoes mountinfo's octal escapes (`\040` is a space).
fn unescape(field: &str) -> String {
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes.get(i + 1..i + 4).and_then(|digits| {
            if !digits.iter().all(|b| (b'0'..=b'7').contains(b)) {
                return None;
            }
            // Three octal digits can reach 0o777; only values up to 255 are bytes.
            let text = std::str::from_utf8(digits).ok()?;
            u8::from_str_radix(text, 8).ok()
        });
        match octal {
            Some(byte) if bytes[i] == b'\\' => {
                out.push(byte);
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This chapter's reference machine: v1 controllers, each on its own mount, plus an
    /// empty cgroup2 at /sys/fs/cgroup/unified; the memory cgroup is not the root.
    pub(crate) const HYBRID_MOUNTINFO: &str = "\
23 1 0:21 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
    pub(crate) const HYBRID_CGROUP: &str = "\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/998791419086c6df7b257a9fb8ad66c4
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
";

    #[test]
    fn the_hybrid_layout_is_v1_and_finds_each_controller() {
        let h = Hierarchy::parse(HYBRID_MOUNTINFO, HYBRID_CGROUP).unwrap();
        assert_eq!(h.layout(), Some(Layout::Hybrid));
        assert_eq!(h.version().unwrap(), CgroupVersion::V1);
        assert_eq!(
            h.own_v1_dir(Controller::Memory).unwrap(),
            Path::new("/sys/fs/cgroup/memory/process_api/998791419086c6df7b257a9fb8ad66c4")
        );
        assert_eq!(
            h.own_v1_dir(Controller::Pids).unwrap(),
            Path::new("/sys/fs/cgroup/pids")
        );
        assert_eq!(
            h.unified.as_ref().unwrap().mount_point,
            Path::new("/sys/fs/cgroup/unified")
        );
        assert!(matches!(
            h.own_v1_dir(Controller::Io),
            Err(CgroupError::ControllerMissing { .. })
        ));
    }

    #[test]
    fn co_mounted_controllers_share_a_directory() {
        let mountinfo = "\
30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
";
        let cgroup = "3:cpu,cpuacct:/a\n2:memory:/b\n";
        let h = Hierarchy::parse(mountinfo, cgroup).unwrap();
        assert_eq!(h.layout(), Some(Layout::Legacy));
        assert_eq!(
            h.own_v1_dir(Controller::Cpu).unwrap(),
            h.own_v1_dir(Controller::Cpuacct).unwrap()
        );
        assert_eq!(
            h.own_v1_dir(Controller::Cpu).unwrap(),
            Path::new("/sys/fs/cgroup/cpu,cpuacct/a")
        );
    }

    #[test]
    fn a_pure_cgroup2_host_is_unified_even_with_a_named_v1_hierarchy() {
        let mountinfo = "\
29 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
30 23 0:27 / /run/systemd/named rw - cgroup cgroup rw,name=systemd
";
        let h = Hierarchy::parse(mountinfo, "0::/user.slice/session-1.scope\n").unwrap();
        assert_eq!(h.layout(), Some(Layout::Unified));
        assert_eq!(
            h.own_v2_dir().unwrap(),
            Path::new("/sys/fs/cgroup/user.slice/session-1.scope")
        );
    }

    #[test]
    fn a_bind_mounted_subtree_strips_its_root() {
        let mountinfo = "50 40 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        let h = Hierarchy::parse(mountinfo, "0::/docker/abc/inner\n").unwrap();
        assert_eq!(h.own_v2_dir().unwrap(), Path::new("/sys/fs/cgroup/inner"));
        let outside = Hierarchy::parse(mountinfo, "0::/docker/abcdef\n").unwrap();
        assert!(outside.own_v2_dir().is_err());
    }

    #[test]
    fn no_cgroupfs_is_an_error_not_a_guess() {
        let h = Hierarchy::parse("23 1 0:21 / / rw - ext4 /dev/vda rw\n", "").unwrap();
        assert_eq!(h.layout(), None);
        assert!(matches!(h.version(), Err(CgroupError::NoHierarchy { .. })));
    }

    #[test]
    fn mount_points_are_unescaped() {
        assert_eq!(unescape(r"/mnt/with\040space"), "/mnt/with space");
        assert_eq!(unescape(r"/plain"), "/plain");
        assert_eq!(unescape(r"/trailing\04"), r"/trailing\04");
        assert_eq!(unescape(r"/big\777"), r"/big\777");
        assert_eq!(unescape(r"/sign\+12"), r"/sign\+12");
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics(mountinfo in "[ -~\\n]{0,200}", cgroup in "[0-9a-z:/,=\\n]{0,80}") {
            if let Ok(h) = Hierarchy::parse(&mountinfo, &cgroup) {
                let _ = h.layout();
                let _ = h.own_v1_dir(Controller::Memory);
                let _ = h.own_v2_dir();
            }
        }
    }

    #[test]
    fn this_host_is_detected_without_error() {
        // Whatever this machine is, detection must not fail where cgroupfs is mounted.
        if let Ok(h) = Hierarchy::detect()
            && h.layout().is_some()
        {
            h.version().unwrap();
        }
    }
}
