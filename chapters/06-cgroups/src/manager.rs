//! The one interface to a container's cgroup, whichever cgroup version the host runs.
//!
//! ```text
//!              CgroupManager (this trait)
//!          create · apply · add_process · pids
//!      freeze · thaw · stats · kill_all · remove
//!                 /                    \
//!        CgroupV1 (v1/)              CgroupV2 (v2/)
//!   one directory per controller    one directory, controllers
//!   /sys/fs/cgroup/<ctrl>/…/name    enabled by the parent's
//!                                   cgroup.subtree_control
//! ```
//!
//! [`open`] detects the host's layout and returns the right backend. The engine drives a
//! container's cgroup through the trait only: `create`, `apply` the validated
//! [`Resources`], `add_process` the container's init before it `execve`s, `stats` while it
//! runs, `freeze`/`thaw` for pause, `kill_all` and `remove` when it is gone.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::controller::Controller;
use crate::error::CgroupError;
use crate::hierarchy::{CgroupVersion, Hierarchy};
use crate::placement::CgroupParent;
use crate::resources::Resources;
use crate::stats::Stats;
use crate::sys::{self, HostSys, Sys};
use crate::v1::CgroupV1;
use crate::v2::CgroupV2;

/// The freezer's view of a cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreezerState {
    /// Running normally.
    Thawed,
    /// Asked to freeze; some tasks are not stopped yet.
    Freezing,
    /// Every task is stopped.
    Frozen,
}

impl fmt::Display for FreezerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            FreezerState::Thawed => "THAWED",
            FreezerState::Freezing => "FREEZING",
            FreezerState::Frozen => "FROZEN",
        })
    }
}

/// How long the waiting operations wait before they report what blocks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waits {
    /// For the freezer to reach FROZEN or THAWED.
    pub freeze: Duration,
    /// For killed processes to leave, and for a cgroup to empty before `rmdir`.
    pub empty: Duration,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            freeze: Duration::from_secs(5),
            empty: Duration::from_secs(5),
        }
    }
}

// ANCHOR: manager_trait
/// A container's cgroup.
pub trait CgroupManager: fmt::Debug + Send + Sync {
    /// Which backend this is.
    fn version(&self) -> CgroupVersion;

    /// The cgroup's directories: one per controller hierarchy on v1 (fewer when controllers
    /// share a mount), exactly one on v2.
    fn dirs(&self) -> Vec<PathBuf>;

    /// The directory holding `controller`'s files: its hierarchy's directory on v1 (`None`
    /// when not mounted), the one directory on v2.
    fn controller_dir(&self, controller: Controller) -> Option<PathBuf>;

    /// Creates the cgroup (and the parent directories it may own). Fails if the cgroup exists:
    /// this engine never adopts a cgroup it did not create.
    fn create(&self) -> Result<(), CgroupError>;

    /// Writes resource limits. Fields at their "unset" value (0, empty, `None`) are left alone,
    /// so `apply` also serves `docker update`. Validate first ([`crate::validate`]).
    fn apply(&self, resources: &Resources) -> Result<(), CgroupError>;

    /// Moves a process (all its threads) into the cgroup.
    fn add_process(&self, pid: Pid) -> Result<(), CgroupError>;

    // ANCHOR: self_join_files
    /// The files a *single-threaded* process writes `0` to, each, to move itself in: the
    /// cheap way in. Writing a pid to `cgroup.procs` takes the kernel's global
    /// `cgroup_threadgroup_rwsem` for writing, and the first such write after a quiet moment
    /// waits for an RCU grace period (`rcu_sync_enter`: 8 to 18 ms here, on every container
    /// start). Writing `0` to cgroup v1's `tasks` moves only the calling thread, which cannot
    /// exit or exec meanwhile, so the kernel skips that lock (`cgroup_procs_write_start`):
    /// 0.1 ms. For a process with one thread, the thread is the process. Empty where there is
    /// no such file (cgroup v2, whose `cgroup.threads` needs threaded cgroups): use
    /// [`CgroupManager::add_process`] there.
    fn self_join_files(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    // ANCHOR_END: self_join_files

    /// The processes in the cgroup and in any cgroups below it.
    fn pids(&self) -> Result<Vec<Pid>, CgroupError>;

    /// Stops every process in the cgroup and waits until all are stopped (`docker pause`).
    fn freeze(&self) -> Result<(), CgroupError>;

    /// Lets them run again and waits until the cgroup is thawed (`docker unpause`).
    fn thaw(&self) -> Result<(), CgroupError>;

    /// The freezer's current state.
    fn freezer_state(&self) -> Result<FreezerState, CgroupError>;

    /// The cgroup's counters.
    fn stats(&self) -> Result<Stats, CgroupError>;

    /// How many of the cgroup's processes the OOM killer killed (`Stats::oom`'s `oom_kills`),
    /// from the one file that says it: what a container's exit reads for `State.OOMKilled`,
    /// without the dozen files of [`CgroupManager::stats`].
    fn oom_kills(&self) -> Result<u64, CgroupError> {
        Ok(self.stats()?.oom.oom_kills)
    }

    /// Kills every process in the cgroup and waits until none is left, paused or not.
    fn kill_all(&self) -> Result<(), CgroupError>;

    /// Removes the cgroup (every directory, child cgroups first), waiting for it to empty.
    /// Removing a cgroup that is already gone is not an error.
    fn remove(&self) -> Result<(), CgroupError>;

    /// Removes the cgroup if nothing is in it, no process and no child cgroup: one rmdir(2)
    /// per directory, nothing read. `false` if a directory refused (it stays, with whatever
    /// is inside; those that were empty are gone).
    fn remove_if_empty(&self) -> bool;
}
// ANCHOR_END: manager_trait

// ANCHOR: open
/// The cgroup `name` under `parent` on this host, backend chosen by detection. Nothing is
/// created until [`CgroupManager::create`].
pub fn open(name: &str, parent: &CgroupParent) -> Result<Box<dyn CgroupManager>, CgroupError> {
    let hierarchy = Hierarchy::detect()?;
    open_in(&hierarchy, name, parent, Waits::default(), Arc::new(HostSys))
}

/// [`open`] with an explicit hierarchy, waits and kernel (for tests and tools).
pub fn open_in(
    hierarchy: &Hierarchy,
    name: &str,
    parent: &CgroupParent,
    waits: Waits,
    sys: Arc<dyn Sys>,
) -> Result<Box<dyn CgroupManager>, CgroupError> {
    Ok(match hierarchy.version()? {
        CgroupVersion::V1 => Box::new(CgroupV1::new(hierarchy, name, parent, sys)?.with_waits(waits)),
        CgroupVersion::V2 => {
            Box::new(CgroupV2::from_hierarchy(hierarchy, name, parent, sys)?.with_waits(waits))
        }
    })
}
// ANCHOR_END: open

/// Polls `done` with a growing pause (1ms up to 50ms) until it holds or `timeout` passes.
/// Returns whether it held.
pub(crate) fn poll_until(
    timeout: Duration,
    mut done: impl FnMut() -> Result<bool, CgroupError>,
) -> Result<bool, CgroupError> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        if done()? {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// The pids in `dir`'s `cgroup.procs` and in those of every cgroup below it.
pub(crate) fn pids_in_tree(sys: &dyn Sys, dir: &Path) -> Result<Vec<Pid>, CgroupError> {
    let procs = dir.join("cgroup.procs");
    let mut pids = match sys::read_optional(sys, &procs)? {
        Some(text) => sys::parse_pids(&procs, &text)?,
        // The cgroup is gone (or was never created): nobody is inside.
        None => return Ok(Vec::new()),
    };
    for sub in sys.subdirs(dir).map_err(|e| CgroupError::read(dir, e))? {
        pids.extend(pids_in_tree(sys, &sub)?);
    }
    pids.sort();
    pids.dedup();
    Ok(pids)
}

// ANCHOR: kill_with_signals
/// Kills everything in a cgroup with SIGKILL, for kernels without `cgroup.kill`.
///
/// Reading `cgroup.procs` and then signalling races with `fork(2)`: a child born in between is
/// missed. So each round freezes the cgroup first (nothing can fork while frozen), signals
/// every pid, and thaws: v1 frozen tasks only act on the SIGKILL once thawed. Rounds repeat
/// until the cgroup is empty, or `waits.empty` passes.
pub(crate) fn kill_with_signals(
    cgroup: &dyn CgroupManager,
    sys: &dyn Sys,
    can_freeze: bool,
    waits: Waits,
) -> Result<(), CgroupError> {
    let started = Instant::now();
    loop {
        let pids = cgroup.pids()?;
        if pids.is_empty() {
            return Ok(());
        }
        let path = cgroup.dirs().into_iter().next().unwrap_or_default();
        if started.elapsed() > waits.empty {
            return Err(CgroupError::Busy {
                path,
                pids: pids.iter().map(|p| p.as_raw()).collect(),
                waited: waits.empty,
            });
        }
        // A freeze that times out (a cgroup still FREEZING) is thawed below all the same.
        let frozen = can_freeze && cgroup.freeze().is_ok();
        let pids = if frozen { cgroup.pids()? } else { pids };
        let mut failure = None;
        for pid in pids {
            match sys.kill(pid, Signal::SIGKILL) {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(source) => {
                    failure.get_or_insert(CgroupError::Kill {
                        pid: pid.as_raw(),
                        path: path.clone(),
                        source,
                    });
                }
            }
        }
        if can_freeze {
            cgroup.thaw()?;
        }
        if let Some(e) = failure {
            return Err(e);
        }
        poll_until(Duration::from_millis(100), || Ok(cgroup.pids()?.is_empty()))?;
    }
}
// ANCHOR_END: kill_with_signals

// ANCHOR: remove
/// Removes a cgroup made of `dirs` (one per v1 hierarchy, or the single v2 directory).
///
/// The usual cgroup is empty already (its container's init has died, and its PID namespace
/// with it) and has no child cgroups: one rmdir(2) per directory does it, and that is tried
/// first. A directory that refuses (`EBUSY`: processes or child cgroups inside) is removed the
/// careful way: wait, once, for the cgroup to empty (killed processes take a moment to
/// leave), then remove it child cgroups first. If processes remain, the directories that
/// refused stay and the error lists the processes.
pub(crate) fn remove_cgroup(
    cgroup: &dyn CgroupManager,
    sys: &dyn Sys,
    wait: Duration,
) -> Result<(), CgroupError> {
    let dirs = rmdir_each(cgroup, sys);
    if dirs.is_empty() {
        return Ok(());
    }
    if !poll_until(wait, || Ok(cgroup.pids()?.is_empty()))? {
        return Err(CgroupError::Busy {
            path: dirs.into_iter().next().unwrap_or_default(),
            pids: cgroup.pids()?.iter().map(|p| p.as_raw()).collect(),
            waited: wait,
        });
    }
    let mut first_error = None;
    for dir in dirs {
        if let Err(e) = remove_tree(sys, &dir, wait) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}
// ANCHOR_END: remove

/// One rmdir(2) per directory of `cgroup`: the directories that refused (`EBUSY`: processes or
/// child cgroups inside; or another error), for the careful way.
pub(crate) fn rmdir_each(cgroup: &dyn CgroupManager, sys: &dyn Sys) -> Vec<PathBuf> {
    let mut refused = Vec::new();
    for dir in cgroup.dirs() {
        match sys.rmdir(&dir) {
            Ok(()) => tracing::debug!(path = %dir.display(), "removed cgroup"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => refused.push(dir),
        }
    }
    refused
}

/// Removes a cgroup directory and its child cgroups, deepest first.
///
/// `rmdir(2)` on a cgroup fails with `EBUSY` while a process is inside; killed processes need
/// a moment to leave, so that is retried until `wait` passes, and then the error lists the
/// pids still there.
fn remove_tree(sys: &dyn Sys, dir: &Path, wait: Duration) -> Result<(), CgroupError> {
    if !sys.exists(dir) {
        return Ok(());
    }
    for sub in sys.subdirs(dir).map_err(|e| CgroupError::read(dir, e))? {
        remove_tree(sys, &sub, wait)?;
    }
    let mut last_error = None;
    let removed = poll_until(wait, || match sys.rmdir(dir) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EBUSY) => Ok(false),
        Err(source) => {
            last_error = Some(source);
            Ok(true)
        }
    })?;
    if let Some(source) = last_error {
        return Err(CgroupError::Rmdir {
            path: dir.to_path_buf(),
            source,
        });
    }
    if removed {
        tracing::debug!(path = %dir.display(), "removed cgroup");
        return Ok(());
    }
    Err(CgroupError::Busy {
        path: dir.to_path_buf(),
        pids: pids_in_tree(sys, dir)?.iter().map(|p| p.as_raw()).collect(),
        waited: wait,
    })
}
