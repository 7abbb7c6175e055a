//! Joining the cgroups of a running process.
//!
//! **Lab 08 skeleton.** Exercise `ex1`: write [`cgroups_to_join`] (the `todo!()`;
//! [`join_cgroups`] below is built on it). `labs/check 08` tells you how far you are.
//!
//! A container's limits (memory, pids, CPU) are its cgroups' limits, and they count the
//! processes *in* those cgroups. An exec'd process has to be in them too, or `docker exec`
//! would be a way around every `--memory` and `--pids-limit`. So before anything else the
//! exec joins the init's cgroups, and its children (the exec'd command) inherit them.
//!
//! Where those cgroups are is in `/proc/<pid>/cgroup`, one line per hierarchy:
//!
//! ```text
//! 4:memory:/minidocker/3f2a…        v1: hierarchy id, its controllers, the cgroup's path
//! 1:cpu,cpuacct:/minidocker/3f2a…
//! 0::/user.slice/…                  v2: the unified hierarchy (id 0, no controllers)
//! ```
//!
//! The path is relative to the hierarchy's root as the *reader's* cgroup namespace sees it,
//! and a hierarchy is a directory under its mount point (`/sys/fs/cgroup/memory`): chapter
//! 6's [`Hierarchy`] knows both, from `/proc/self/mountinfo`. Joining is a write in each
//! directory, and only where the target's cgroup is not already ours: a hierarchy the runtime
//! left alone (systemd's, the unified one on a hybrid host) is the same for both, and is not
//! written to. The write is our pid to `cgroup.procs`, or, from a single-threaded process in
//! a v1 hierarchy, `0` to `tasks`: the cheap way in of chapter 6 (`self_join_files`), without
//! the kernel's global lock and the RCU grace period it can cost.

use std::path::{Path, PathBuf};

use ch06_cgroups::{CgroupError, Controller, Hierarchy};
use nix::unistd::Pid;

use crate::error::ExecError;

/// The file that moves a process into a cgroup (cgroups(7)): the same name in v1 and v2.
pub const CGROUP_PROCS: &str = "cgroup.procs";

/// The file that moves one thread into a v1 cgroup (`0`: the writing thread); v2 has none.
pub const TASKS: &str = "tasks";

/// The cgroup directories a process in `ours` must write itself into to be where `theirs`
/// is: one per v1 hierarchy that carries a controller of [`Controller::V1`] (once, for
/// hierarchies that carry several, like `cpu,cpuacct`), and the unified hierarchy, each only
/// when the two processes' cgroups there differ. Both views come from the same mountinfo
/// (ours), with [`Hierarchy::parse`] on each one's `/proc/<pid>/cgroup`.
///
/// A controller that is not mounted, or a hierarchy one of them is not in, is left out.
pub fn cgroups_to_join(ours: &Hierarchy, theirs: &Hierarchy) -> Result<Vec<PathBuf>, CgroupError> {
    // ex1: for each controller of `Controller::V1`, the two processes' cgroups are
    // `ours.own_v1.get(controller.name())` and the same in `theirs`. Where both exist, differ,
    // and the controller is mounted (`theirs.v1_mount(controller)`), the directory is
    // `theirs.own_v1_dir(controller)?`; keep each directory once (`cpu,cpuacct` is one
    // hierarchy). Then the unified hierarchy: when `theirs.unified` is mounted and
    // `own_unified` differs between the two, add `theirs.own_v2_dir()?`.
    todo!(
        "ex1: a Vec of theirs.own_v1_dir(c)? for each Controller::V1 whose own_v1 paths differ (once each), then theirs.own_v2_dir()? if own_unified differs"
    )
}

/// Moves the calling process into the cgroups of process `pid` (see [`cgroups_to_join`]):
/// one write in each (`enter_cgroup`). Returns the directories joined.
///
/// Call it before the namespaces are joined: it reads the host's `/proc` and writes under the
/// host's `/sys/fs/cgroup`, neither of which is there after setns(2) into the mount namespace.
pub fn join_cgroups(pid: Pid) -> Result<Vec<PathBuf>, ExecError> {
    let read = |path: PathBuf| {
        std::fs::read_to_string(&path).map_err(|source| ExecError::ReadCgroups { pid, path, source })
    };
    let mountinfo = read(PathBuf::from("/proc/self/mountinfo"))?;
    let parse = |proc_cgroup: &str| {
        Hierarchy::parse(&mountinfo, proc_cgroup).map_err(|source| ExecError::Cgroups { pid, source })
    };
    let ours = parse(&read(PathBuf::from("/proc/self/cgroup"))?)?;
    let theirs = parse(&read(PathBuf::from(format!("/proc/{pid}/cgroup")))?)?;
    let dirs = cgroups_to_join(&ours, &theirs).map_err(|source| ExecError::Cgroups { pid, source })?;
    for dir in &dirs {
        enter_cgroup(dir, pid)?;
    }
    Ok(dirs)
}

/// Moves this process into `dir`: `0` to `dir/tasks` when `dir` is a v1 cgroup (it has that
/// file) and this process has one thread, which is then the whole process; else our pid to
/// `dir/cgroup.procs`, which moves every thread and takes the kernel's global lock.
fn enter_cgroup(dir: &Path, pid: Pid) -> Result<(), ExecError> {
    let tasks = dir.join(TASKS);
    let (path, value) = if tasks.exists() && single_threaded() {
        (tasks, "0".to_owned())
    } else {
        (dir.join(CGROUP_PROCS), Pid::this().to_string())
    };
    tracing::debug!(path = %path.display(), value, "joining cgroup");
    std::fs::write(&path, value).map_err(|source| ExecError::JoinCgroup { pid, path, source })
}

/// Whether this process has one thread (`Threads:` in `/proc/self/status`, proc(5)).
fn single_threaded() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .any(|line| line.split_whitespace().eq(["Threads:", "1"]))
    })
}
