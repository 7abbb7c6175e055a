//! The cgroup v1 backend: one directory per controller hierarchy.
//!
//! A container named `web` gets `…/minidocker/web` in *each* mounted hierarchy (`cpu`,
//! `cpuacct`, `cpuset`, `memory`, `pids`, `blkio`, `freezer`, `devices`), each under the
//! engine's own cgroup *of that hierarchy*. Adding a process means writing its pid to
//! `cgroup.procs` in every one of them; removing the cgroup means `rmdir` in every one.

mod blkio;
mod cpu;
pub(crate) mod cpuset;
mod freezer;
mod memory;
pub(crate) mod pids;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nix::unistd::Pid;

use crate::controller::Controller;
use crate::error::CgroupError;
use crate::hierarchy::{CgroupVersion, Hierarchy};
use crate::manager::{self, CgroupManager, FreezerState, Waits};
use crate::placement::{CgroupParent, Placement};
use crate::resources::Resources;
use crate::stats::Stats;
use crate::sys::{self, Sys};

/// A container's cgroup on a v1 (or hybrid) host.
#[derive(Debug)]
pub struct CgroupV1 {
    sys: Arc<dyn Sys>,
    placements: BTreeMap<Controller, Placement>,
    waits: Waits,
}

impl CgroupV1 {
    /// Places cgroup `name` under `parent` in every mounted v1 controller this chapter uses.
    pub fn new(
        hierarchy: &Hierarchy,
        name: &str,
        parent: &CgroupParent,
        sys: Arc<dyn Sys>,
    ) -> Result<Self, CgroupError> {
        let mut placements = BTreeMap::new();
        for controller in Controller::V1 {
            let Some(mount) = hierarchy.v1_mount(controller) else {
                continue;
            };
            let own = hierarchy.own_v1_dir(controller)?;
            placements.insert(
                controller,
                Placement::new(&own, &mount.mount_point, parent, name)?,
            );
        }
        if placements.is_empty() {
            return Err(CgroupError::NoHierarchy {
                path: PathBuf::from("/proc/self/mountinfo"),
            });
        }
        Ok(CgroupV1 {
            sys,
            placements,
            waits: Waits::default(),
        })
    }

    /// Replaces the default waits.
    pub fn with_waits(mut self, waits: Waits) -> Self {
        self.waits = waits;
        self
    }

    /// The container's directory in `controller`'s hierarchy, if mounted.
    pub fn dir(&self, controller: Controller) -> Option<&Path> {
        self.placements.get(&controller).map(|p| p.dir.as_path())
    }

    fn require(&self, controller: Controller) -> Result<&Path, CgroupError> {
        self.dir(controller)
            .ok_or_else(|| CgroupError::ControllerMissing {
                controller: controller.name().to_string(),
            })
    }

    /// The distinct placements in `Controller::V1` order (co-mounted controllers share one).
    fn distinct(&self) -> Vec<(Controller, &Placement)> {
        let mut seen: Vec<&Path> = Vec::new();
        let mut out = Vec::new();
        for controller in Controller::V1 {
            if let Some(p) = self.placements.get(&controller)
                && !seen.contains(&p.dir.as_path())
            {
                seen.push(&p.dir);
                out.push((controller, p));
            }
        }
        out
    }

    // ANCHOR: v1_create
    fn create_all(&self, created: &mut Vec<PathBuf>) -> Result<(), CgroupError> {
        let sys = self.sys.as_ref();
        for (_, placement) in self.distinct() {
            let owned_parents = placement.create(sys)?;
            created.push(placement.dir.clone());
            if self.dir(Controller::Cpuset) == Some(placement.dir.as_path()) {
                for dir in owned_parents.iter().chain(std::iter::once(&placement.dir)) {
                    cpuset::inherit_from_parent(sys, dir)?;
                }
            }
        }
        Ok(())
    }
    // ANCHOR_END: v1_create
}

impl CgroupManager for CgroupV1 {
    fn version(&self) -> CgroupVersion {
        CgroupVersion::V1
    }

    fn dirs(&self) -> Vec<PathBuf> {
        self.distinct().into_iter().map(|(_, p)| p.dir.clone()).collect()
    }

    fn controller_dir(&self, controller: Controller) -> Option<PathBuf> {
        self.dir(controller).map(Path::to_path_buf)
    }

    fn create(&self) -> Result<(), CgroupError> {
        let mut created = Vec::new();
        let result = self.create_all(&mut created);
        if result.is_err() {
            // Leave nothing half-made: remove the directories this call created.
            for dir in created.iter().rev() {
                let _ = self.sys.rmdir(dir);
            }
        }
        result
    }

    fn apply(&self, r: &Resources) -> Result<(), CgroupError> {
        let sys = self.sys.as_ref();
        if !r.cpuset_cpus.is_empty() || !r.cpuset_mems.is_empty() {
            cpuset::apply(sys, self.require(Controller::Cpuset)?, r)?;
        }
        let wants_memory = r.memory != 0
            || r.memory_swap != 0
            || r.memory_reservation != 0
            || r.oom_kill_disable == Some(true);
        if wants_memory {
            memory::apply(sys, self.require(Controller::Memory)?, r)?;
        }
        if r.cpu_shares != 0 || r.cfs_quota_and_period() != (None, None) {
            cpu::apply(sys, self.require(Controller::Cpu)?, r)?;
        }
        if r.pids_limit.is_some() {
            pids::apply(sys, self.require(Controller::Pids)?, r)?;
        }
        if r.blkio_weight != 0 {
            blkio::apply(sys, self.require(Controller::Blkio)?, r)?;
        }
        Ok(())
    }

    // ANCHOR: v1_add_process
    fn add_process(&self, pid: Pid) -> Result<(), CgroupError> {
        for (_, placement) in self.distinct() {
            sys::write(
                self.sys.as_ref(),
                &placement.dir.join("cgroup.procs"),
                &pid.as_raw().to_string(),
            )?;
        }
        Ok(())
    }
    // ANCHOR_END: v1_add_process

    fn self_join_files(&self) -> Vec<PathBuf> {
        self.distinct()
            .into_iter()
            .map(|(_, placement)| placement.dir.join("tasks"))
            .collect()
    }

    fn pids(&self) -> Result<Vec<Pid>, CgroupError> {
        let mut all = Vec::new();
        for (_, placement) in self.distinct() {
            all.extend(manager::pids_in_tree(self.sys.as_ref(), &placement.dir)?);
        }
        all.sort();
        all.dedup();
        Ok(all)
    }

    fn freeze(&self) -> Result<(), CgroupError> {
        let dir = self.require(Controller::Freezer)?;
        freezer::set_state(self.sys.as_ref(), dir, FreezerState::Frozen, self.waits.freeze)
    }

    fn thaw(&self) -> Result<(), CgroupError> {
        let dir = self.require(Controller::Freezer)?;
        freezer::set_state(self.sys.as_ref(), dir, FreezerState::Thawed, self.waits.freeze)
    }

    fn freezer_state(&self) -> Result<FreezerState, CgroupError> {
        freezer::state(self.sys.as_ref(), self.require(Controller::Freezer)?)
    }

    fn stats(&self) -> Result<Stats, CgroupError> {
        let sys = self.sys.as_ref();
        let mut stats = Stats::default();
        if let Some(dir) = self.dir(Controller::Memory) {
            memory::stats(sys, dir, &mut stats)?;
        }
        if let Some(dir) = self.dir(Controller::Cpuacct) {
            cpu::cpuacct_stats(sys, dir, &mut stats)?;
        }
        if let Some(dir) = self.dir(Controller::Cpu) {
            cpu::cpu_stats(sys, dir, &mut stats)?;
        }
        if let Some(dir) = self.dir(Controller::Pids) {
            pids::stats(sys, dir, &mut stats)?;
        }
        if let Some(dir) = self.dir(Controller::Blkio) {
            blkio::stats(sys, dir, &mut stats)?;
        }
        Ok(stats)
    }

    fn oom_kills(&self) -> Result<u64, CgroupError> {
        match self.dir(Controller::Memory) {
            Some(dir) => memory::oom_kills(self.sys.as_ref(), dir),
            None => Ok(0),
        }
    }

    fn kill_all(&self) -> Result<(), CgroupError> {
        let can_freeze = self
            .dir(Controller::Freezer)
            .is_some_and(|d| self.sys.exists(&d.join("freezer.state")));
        manager::kill_with_signals(self, self.sys.as_ref(), can_freeze, self.waits)
    }

    fn remove(&self) -> Result<(), CgroupError> {
        manager::remove_cgroup(self, self.sys.as_ref(), self.waits.empty)
    }

    fn remove_if_empty(&self) -> bool {
        manager::rmdir_each(self, self.sys.as_ref()).is_empty()
    }
}
