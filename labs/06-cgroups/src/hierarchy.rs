//! Where the cgroup filesystems are mounted, which version this host runs, and which cgroup
//! this process is in: read from `/proc/self/mountinfo` and `/proc/self/cgroup`.
//!
//! **Lab 06 skeleton.** Exercise `ex1`: write [`Hierarchy::parse`], [`Hierarchy::layout`]
//! and `dir_in_mount` (the three `todo!()`s; the mountinfo line parser
//! `parse_mountinfo_line` is done). `labs/check 06` tells you how far you are.
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

    /// Builds the view from the texts of `/proc/<pid>/mountinfo` and `/proc/<pid>/cgroup`.
    pub fn parse(mountinfo: &str, proc_cgroup: &str) -> Result<Self, CgroupError> {
        // ex1: start from `Hierarchy::default()`. First the mount table: for each line of
        // `mountinfo`, `parse_mountinfo_line(line)` gives the filesystem type and a `CgroupMount`
        // (`None`: skip the line). A `cgroup` mount goes into `v1`, unless a mount with the same
        // controllers is there already (a hierarchy can be mounted twice: the first one wins).
        // A `cgroup2` mount goes into `unified` if that is still empty, or if it is mounted at
        // `/sys/fs/cgroup` (preferred over any other). Then `proc_cgroup`: each line is
        // `id:controllers:path` (`splitn(3, ':')`; fewer than three parts is
        // `CgroupError::parse(PROC_CGROUP, …)`). `0::path` is the v2 cgroup (`own_unified`);
        // any other line gives `path` to each of its comma-separated controllers (`own_v1`).
        todo!(
            "ex1: v1 cgroup mounts (first per set of controllers) and the cgroup2 mount (prefer /sys/fs/cgroup) from mountinfo, then id:controllers:path lines into own_unified (0::) or own_v1 (one entry per controller)"
        )
    }

    /// The layout, or `None` when no cgroup filesystem is mounted.
    ///
    /// Only hierarchies that carry a controller count as v1: a lone `name=systemd` hierarchy
    /// (named, no controller) next to a cgroup2 mount is still a unified host.
    pub fn layout(&self) -> Option<Layout> {
        // ex1: a v1 mount counts only if one of its controllers is a real one, not a
        // `name=…` (a named hierarchy such as `name=systemd` limits nothing). Then the four
        // cases of (v1 controllers mounted, `unified` mounted).
        todo!(
            "ex1: match (a v1 mount with a controller not starting with \"name=\", self.unified.is_some()): (true, true) Hybrid, (true, false) Legacy, (false, true) Unified, else None"
        )
    }

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

/// Where cgroup `path` (as `/proc/self/cgroup` names it) appears under `mount`.
///
/// The mount shows the hierarchy from its `root` down, so `root` is cut off `path` first;
/// a cgroup above the mount's root cannot be reached through it.
fn dir_in_mount(mount: &CgroupMount, path: &str) -> Result<PathBuf, CgroupError> {
    // ex1: a cgroup removed while we look reads `<path> (deleted)`: drop that suffix. A
    // mount whose `root` is `/` shows the whole hierarchy; otherwise `path` must start with
    // `root` as whole components (`/docker/abcdef` is not under `/docker/abc`) and only the
    // rest counts; a path outside is `CgroupError::parse(PROC_CGROUP, …)`. The directory is
    // `mount_point` joined with the rest, its leading `/` removed.
    todo!(
        "ex1: strip \" (deleted)\", cut mount.root off path (whole components, else an error), join the rest without its leading / to mount.mount_point"
    )
}

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
