//! Joining the cgroups of a running process.
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

// ANCHOR: cgroups_to_join
/// The cgroup directories a process in `ours` must write itself into to be where `theirs`
/// is: one per v1 hierarchy that carries a controller of [`Controller::V1`] (once, for
/// hierarchies that carry several, like `cpu,cpuacct`), and the unified hierarchy, each only
/// when the two processes' cgroups there differ. Both views come from the same mountinfo
/// (ours), with [`Hierarchy::parse`] on each one's `/proc/<pid>/cgroup`.
///
/// A controller that is not mounted, or a hierarchy one of them is not in, is left out.
pub fn cgroups_to_join(ours: &Hierarchy, theirs: &Hierarchy) -> Result<Vec<PathBuf>, CgroupError> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for controller in Controller::V1 {
        let (Some(our_path), Some(their_path)) = (
            ours.own_v1.get(controller.name()),
            theirs.own_v1.get(controller.name()),
        ) else {
            continue;
        };
        if our_path == their_path || theirs.v1_mount(controller).is_none() {
            continue;
        }
        let dir = theirs.own_v1_dir(controller)?;
        if !dirs.contains(&dir) {
            dirs.push(dir);
        }
    }
    if let (Some(_), Some(our_path), Some(their_path)) =
        (&theirs.unified, &ours.own_unified, &theirs.own_unified)
        && our_path != their_path
    {
        dirs.push(theirs.own_v2_dir()?);
    }
    Ok(dirs)
}
// ANCHOR_END: cgroups_to_join

// ANCHOR: join_cgroups
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
// ANCHOR_END: join_cgroups

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_with_a_second_thread_is_not_single_threaded() {
        // (a test runs on a thread of the harness's, so there are two already; one more
        // makes it certain)
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let spare = std::thread::spawn(move || stopped.recv());
        assert!(!single_threaded());
        stop.send(()).unwrap();
        spare.join().unwrap().unwrap();
    }

    /// A hybrid host, like the chapter's reference machine.
    const MOUNTINFO: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    fn hierarchy(proc_cgroup: &str) -> Hierarchy {
        Hierarchy::parse(MOUNTINFO, proc_cgroup).unwrap()
    }

    #[test]
    fn only_the_hierarchies_where_the_container_is_elsewhere_are_joined() {
        let ours = hierarchy("5:name=systemd:/\n4:pids:/\n3:memory:/\n2:cpu,cpuacct:/\n0::/\n");
        let theirs = hierarchy(
            "5:name=systemd:/\n4:pids:/minidocker/abc\n3:memory:/minidocker/abc\n\
             2:cpu,cpuacct:/minidocker/abc\n0::/\n",
        );
        let dirs = cgroups_to_join(&ours, &theirs).unwrap();
        assert_eq!(
            dirs,
            [
                "/sys/fs/cgroup/cpu,cpuacct/minidocker/abc",
                "/sys/fs/cgroup/memory/minidocker/abc",
                "/sys/fs/cgroup/pids/minidocker/abc",
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn a_process_in_the_same_cgroups_joins_nothing() {
        let text = "4:pids:/a\n3:memory:/a\n2:cpu,cpuacct:/a\n0::/b\n";
        assert!(
            cgroups_to_join(&hierarchy(text), &hierarchy(text))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn on_cgroup_v2_the_one_unified_cgroup_is_joined() {
        let mountinfo = "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        let ours = Hierarchy::parse(mountinfo, "0::/user.slice\n").unwrap();
        let theirs = Hierarchy::parse(mountinfo, "0::/minidocker/abc\n").unwrap();
        assert_eq!(
            cgroups_to_join(&ours, &theirs).unwrap(),
            [PathBuf::from("/sys/fs/cgroup/minidocker/abc")]
        );
    }
}
