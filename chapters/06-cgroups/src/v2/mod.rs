//! The cgroup v2 backend: one directory in one tree.
//!
//! A container named `web` gets `<engine's cgroup>/minidocker/web`. Controllers are not
//! separate trees: a cgroup can use a controller only if its parent *enabled* it for its
//! children by writing `+memory` (etc.) to its own `cgroup.subtree_control` — and the parent
//! can only enable what its own parent enabled for it (`cgroup.controllers`). This chain is
//! *delegation*:
//!
//! ```text
//! <engine's cgroup>     cgroup.subtree_control: +cpu +memory +pids ...   (not ours: must be given)
//! └── minidocker/       cgroup.subtree_control: +cpu +memory +pids ...   (ours: we write it)
//!     └── web/          memory.max, cpu.max, pids.max, cgroup.procs ...  (the container)
//! ```
//!
//! Two kernel rules shape this: only leaves hold processes once controllers are enabled below
//! a cgroup ("no internal processes"), which is why `minidocker/` never holds a process; and
//! we write `subtree_control` only in directories we own, never in the engine's own cgroup.

mod cpu;
mod freezer;
mod io;
mod memory;

pub use cpu::{cpu_max, cpu_weight_from_shares};
pub use io::io_weight_from_blkio;
pub use memory::swap_max;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::unistd::Pid;

use crate::controller::Controller;
use crate::error::CgroupError;
use crate::hierarchy::{CgroupVersion, Hierarchy};
use crate::manager::{self, CgroupManager, FreezerState, Waits, poll_until};
use crate::placement::{CgroupParent, Placement};
use crate::resources::Resources;
use crate::stats::Stats;
use crate::sys::{self, Sys};
use crate::v1;

/// A container's cgroup on a cgroup v2 host.
#[derive(Debug)]
pub struct CgroupV2 {
    sys: Arc<dyn Sys>,
    placement: Placement,
    waits: Waits,
}

impl CgroupV2 {
    /// Places cgroup `name` under `parent` in the v2 tree mounted at `mount_point`, where the
    /// engine itself is in `own_dir`. Both are injectable: a test can point them at a fake
    /// cgroupfs in a temporary directory.
    pub fn new(
        mount_point: &Path,
        own_dir: &Path,
        name: &str,
        parent: &CgroupParent,
        sys: Arc<dyn Sys>,
    ) -> Result<Self, CgroupError> {
        Ok(CgroupV2 {
            sys,
            placement: Placement::new(own_dir, mount_point, parent, name)?,
            waits: Waits::default(),
        })
    }

    /// [`CgroupV2::new`] with the mount and own cgroup from a detected [`Hierarchy`].
    pub fn from_hierarchy(
        hierarchy: &Hierarchy,
        name: &str,
        parent: &CgroupParent,
        sys: Arc<dyn Sys>,
    ) -> Result<Self, CgroupError> {
        let mount = hierarchy
            .unified
            .as_ref()
            .ok_or_else(|| CgroupError::NoHierarchy {
                path: PathBuf::from("/proc/self/mountinfo"),
            })?;
        Self::new(&mount.mount_point, &hierarchy.own_v2_dir()?, name, parent, sys)
    }

    /// Replaces the default waits.
    pub fn with_waits(mut self, waits: Waits) -> Self {
        self.waits = waits;
        self
    }

    /// The container's cgroup directory.
    pub fn dir(&self) -> &Path {
        &self.placement.dir
    }

    /// The controllers available to the container's cgroup (its `cgroup.controllers`).
    pub fn controllers(&self) -> Result<Vec<String>, CgroupError> {
        let text = sys::read(self.sys.as_ref(), &self.dir().join("cgroup.controllers"))?;
        Ok(text.split_whitespace().map(str::to_string).collect())
    }

    /// The container's directory, if `controller` is enabled for it.
    fn require(&self, controller: Controller) -> Result<&Path, CgroupError> {
        if self.controllers()?.iter().any(|c| c == controller.name()) {
            Ok(self.dir())
        } else {
            Err(CgroupError::NotDelegated {
                controller: controller.name().to_string(),
                path: self.dir().to_path_buf(),
            })
        }
    }

    fn has(&self, controller: Controller) -> Result<bool, CgroupError> {
        Ok(self.controllers()?.iter().any(|c| c == controller.name()))
    }
}

// ANCHOR: enable_controllers
/// Enables, for the children of `dir`, every controller of [`Controller::V2`] that `dir` itself
/// has: writes `+<name>` to `dir/cgroup.subtree_control`, one controller per write so an
/// error names the one that failed. Only ever called on directories we own.
pub fn enable_controllers(sys: &dyn Sys, dir: &Path) -> Result<(), CgroupError> {
    let available = sys::read(sys, &dir.join("cgroup.controllers"))?;
    let subtree = dir.join("cgroup.subtree_control");
    let enabled = sys::read(sys, &subtree)?;
    for controller in Controller::V2 {
        let name = controller.name();
        let has = |text: &str| text.split_whitespace().any(|c| c == name);
        if has(&available) && !has(&enabled) {
            sys::write(sys, &subtree, &format!("+{name}"))?;
        }
    }
    Ok(())
}
// ANCHOR_END: enable_controllers

impl CgroupManager for CgroupV2 {
    fn version(&self) -> CgroupVersion {
        CgroupVersion::V2
    }

    fn dirs(&self) -> Vec<PathBuf> {
        vec![self.placement.dir.clone()]
    }

    fn controller_dir(&self, _controller: Controller) -> Option<PathBuf> {
        Some(self.placement.dir.clone())
    }

    // ANCHOR: v2_create
    fn create(&self) -> Result<(), CgroupError> {
        let sys = self.sys.as_ref();
        for dir in self.placement.create_parents(sys)? {
            enable_controllers(sys, &dir)?;
        }
        self.placement.create_leaf(sys)
    }
    // ANCHOR_END: v2_create

    fn apply(&self, r: &Resources) -> Result<(), CgroupError> {
        let sys = self.sys.as_ref();
        if !r.cpuset_cpus.is_empty() || !r.cpuset_mems.is_empty() {
            v1::cpuset::apply(sys, self.require(Controller::Cpuset)?, r)?;
        }
        if r.memory != 0 || r.memory_swap != 0 || r.memory_reservation != 0 {
            memory::apply(sys, self.require(Controller::Memory)?, r)?;
        }
        if r.cpu_shares != 0 || r.cfs_quota_and_period() != (None, None) {
            cpu::apply(sys, self.require(Controller::Cpu)?, r)?;
        }
        if r.pids_limit.is_some() {
            v1::pids::apply(sys, self.require(Controller::Pids)?, r)?;
        }
        if r.blkio_weight != 0 {
            io::apply(sys, self.require(Controller::Io)?, r)?;
        }
        Ok(())
    }

    fn add_process(&self, pid: Pid) -> Result<(), CgroupError> {
        sys::write(
            self.sys.as_ref(),
            &self.dir().join("cgroup.procs"),
            &pid.as_raw().to_string(),
        )
    }

    fn pids(&self) -> Result<Vec<Pid>, CgroupError> {
        manager::pids_in_tree(self.sys.as_ref(), self.dir())
    }

    fn freeze(&self) -> Result<(), CgroupError> {
        freezer::set_state(
            self.sys.as_ref(),
            self.dir(),
            FreezerState::Frozen,
            self.waits.freeze,
        )
    }

    fn thaw(&self) -> Result<(), CgroupError> {
        freezer::set_state(
            self.sys.as_ref(),
            self.dir(),
            FreezerState::Thawed,
            self.waits.freeze,
        )
    }

    fn freezer_state(&self) -> Result<FreezerState, CgroupError> {
        freezer::state(self.sys.as_ref(), self.dir())
    }

    fn stats(&self) -> Result<Stats, CgroupError> {
        let sys = self.sys.as_ref();
        let dir = self.dir();
        let mut stats = Stats::default();
        // cpu.stat's usage lines exist with or without the cpu controller.
        cpu::stats(sys, dir, &mut stats)?;
        if self.has(Controller::Memory)? {
            memory::stats(sys, dir, &mut stats)?;
        }
        if self.has(Controller::Pids)? {
            v1::pids::stats(sys, dir, &mut stats)?;
        }
        if self.has(Controller::Io)? {
            io::stats(sys, dir, &mut stats)?;
        }
        Ok(stats)
    }

    fn oom_kills(&self) -> Result<u64, CgroupError> {
        match self.has(Controller::Memory)? {
            true => memory::oom_kills(self.sys.as_ref(), self.dir()),
            false => Ok(0),
        }
    }

    // ANCHOR: kill_all_v2
    fn kill_all(&self) -> Result<(), CgroupError> {
        let sys = self.sys.as_ref();
        let kill = self.dir().join("cgroup.kill");
        if !sys.exists(&kill) {
            // Before Linux 5.14: signal each process, freezing against forks.
            let can_freeze = sys.exists(&self.dir().join("cgroup.freeze"));
            return manager::kill_with_signals(self, sys, can_freeze, self.waits);
        }
        // One write: the kernel SIGKILLs every process in the subtree, forks in flight included.
        sys::write(sys, &kill, "1")?;
        if poll_until(self.waits.empty, || Ok(self.pids()?.is_empty()))? {
            // cgroup.kill does not touch cgroup.freeze: leave an emptied cgroup thawed, as the
            // v1 path does, so it can be reused (`docker start` after `kill` of a paused one).
            if sys.exists(&self.dir().join("cgroup.freeze")) && self.freezer_state()? != FreezerState::Thawed
            {
                self.thaw()?;
            }
            return Ok(());
        }
        Err(CgroupError::Busy {
            path: self.dir().to_path_buf(),
            pids: self.pids()?.iter().map(|p| p.as_raw()).collect(),
            waited: self.waits.empty,
        })
    }
    // ANCHOR_END: kill_all_v2

    fn remove(&self) -> Result<(), CgroupError> {
        manager::remove_cgroup(self, self.sys.as_ref(), self.waits.empty)
    }

    fn remove_if_empty(&self) -> bool {
        manager::rmdir_each(self, self.sys.as_ref()).is_empty()
    }
}
