//! Each container's cgroup (chapter 6), as the engine creates, finds and removes it.
//!
//! `run` creates `<engine's own cgroup>/<parent>/<container id>` in every controller (the
//! parent is the container's `--cgroup-parent`, else the engine's default, `minidocker`),
//! applies the limits, and moves the container's init into it before it execs.
//!
//! Other commands (`stats`, `pause`, `update`, `rm`) may run in another cgroup than that `run`
//! did (another terminal, another login session), so where the cgroup is is recorded when it
//! is created, in `<container dir>/cgroup.json`, and read back from there, never recomputed.
//! The record is also the proof of ownership: a cgroup without one was not created by this
//! engine, and the engine never writes to, moves processes into, or removes such a cgroup.
//!
//! ```text
//! run ─ create_cgroup ─▶ mkdir …/minidocker/<id> in each hierarchy, write the limits,
//!                        write cgroup.json            (a guard removes it all on any error)
//!     ─ launch ───────▶ add the init's pid, then let it exec
//!     ─ exit ─────────▶ read oom_kill, kill_all, rmdir, delete cgroup.json
//! ```

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ch03_rootfs::Mount;
use ch06_cgroups::{
    CgroupError, CgroupManager, CgroupParent, CgroupVersion, Checked, Controller, Hierarchy, HostInfo,
    HostSys, Resources, Waits, open_in, validate,
};
use nix::mount::MsFlags;
use serde::{Deserialize, Serialize};

use super::{Engine, EngineError};
use crate::atomic::write_json_atomic;

/// The record of a container's cgroup, in its container directory.
pub const CGROUP_RECORD: &str = "cgroup.json";

/// Where a container's cgroup is: enough to find the same directories from any process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CgroupRecord {
    /// The cgroup's name: the container id.
    name: String,
    /// The parent it was created under (`minidocker`, or the container's `--cgroup-parent`).
    parent: String,
    /// The engine's own cgroup per v1 controller when it created the cgroup (the lines of
    /// `/proc/self/cgroup`): a relative parent starts there.
    engine_v1: BTreeMap<String, String>,
    /// The engine's own v2 cgroup then.
    engine_unified: Option<String>,
    /// The directories created, for people and leak checks.
    dirs: Vec<PathBuf>,
}

/// A container's cgroup, found again through its record.
#[derive(Debug)]
pub struct ContainerCgroup {
    manager: Box<dyn CgroupManager>,
    hierarchy: Hierarchy,
    record: PathBuf,
}

impl ContainerCgroup {
    /// Chapter 6's interface to the cgroup.
    pub fn manager(&self) -> &dyn CgroupManager {
        self.manager.as_ref()
    }

    /// Processes the OOM killer killed in the cgroup so far.
    pub fn oom_kills(&self) -> u64 {
        self.manager.oom_kills().unwrap_or(0)
    }

    /// Kills every process in the cgroup, frozen or not, and waits until none is left. A
    /// cgroup that disappears meanwhile (its `run` removed it) has none left.
    pub fn kill_all(&self) -> Result<(), CgroupError> {
        self.unless_removed_meanwhile(self.manager.kill_all())
    }

    /// `result`, except that a failure is no failure if the cgroup was being removed by
    /// another process (the container's `run`, as it ended): files of a cgroup being removed
    /// read `ENOENT` or `ENODEV`. Waits a moment for that removal to finish.
    fn unless_removed_meanwhile(&self, result: Result<(), CgroupError>) -> Result<(), CgroupError> {
        let Err(e) = result else {
            return Ok(());
        };
        let gone = || self.manager.dirs().iter().all(|d| !d.exists());
        for _ in 0..100 {
            if gone() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Err(e)
    }

    /// Kills whatever is left in the cgroup, removes it, then its record. The usual cgroup
    /// has nothing left (its init's death took the PID namespace with it): one rmdir(2) per
    /// directory removes it, and nothing needs reading or killing.
    pub fn destroy(&self) -> Result<(), CgroupError> {
        if !self.manager.remove_if_empty() {
            self.kill_all()?;
            self.unless_removed_meanwhile(self.manager.remove())?;
        }
        match std::fs::remove_file(&self.record) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CgroupError::Rmdir {
                path: self.record.clone(),
                source,
            }),
        }
    }

    // ANCHOR: cgroup_mounts
    /// The container's own view of its cgroup at `/sys/fs/cgroup`, read-only, as Docker gives it.
    ///
    /// v1: a tmpfs with one read-only bind mount of the container's directory per hierarchy,
    /// named like the host's mount (`memory`, `cpu,cpuacct`; a co-mounted controller is also
    /// mounted under its own name where Docker makes a symlink), then the tmpfs itself made
    /// read-only. v2: the container's directory itself, read-only.
    pub fn rootfs_mounts(&self) -> Vec<Mount> {
        let read_only = MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC;
        let bind = |source: PathBuf, destination: PathBuf| {
            let mut m = Mount::bind(source, destination);
            m.flags |= read_only;
            m
        };
        let top = PathBuf::from("/sys/fs/cgroup");
        if self.manager.version() == CgroupVersion::V2 {
            return self
                .manager
                .dirs()
                .into_iter()
                .take(1)
                .map(|dir| bind(dir, top.clone()))
                .collect();
        }
        let mut mounts = vec![Mount {
            destination: top.clone(),
            fstype: Some("tmpfs".into()),
            source: "tmpfs".into(),
            flags: MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            data: Some("mode=755".into()),
        }];
        let mut names: Vec<OsString> = Vec::new();
        for controller in Controller::V1 {
            let (Some(mount), Some(dir)) = (
                self.hierarchy.v1_mount(controller),
                self.manager.controller_dir(controller),
            ) else {
                continue;
            };
            let Some(mount_name) = mount.mount_point.file_name() else {
                continue;
            };
            for name in [mount_name.to_owned(), OsString::from(controller.name())] {
                if !names.contains(&name) {
                    mounts.push(bind(dir.clone(), top.join(&name)));
                    names.push(name);
                }
            }
        }
        mounts.push(Mount {
            destination: top,
            fstype: None,
            source: "tmpfs".into(),
            flags: MsFlags::MS_REMOUNT | read_only,
            data: Some("mode=755".into()),
        });
        mounts
    }
    // ANCHOR_END: cgroup_mounts
}

/// A cgroup `run` created: removed (with anything still inside) when dropped, so no error
/// path leaves it behind. [`CgroupGuard::destroy`] removes it and reports how that went.
#[derive(Debug)]
pub struct CgroupGuard {
    cgroup: Option<ContainerCgroup>,
}

impl CgroupGuard {
    /// The cgroup guarded.
    pub fn cgroup(&self) -> Option<&ContainerCgroup> {
        self.cgroup.as_ref()
    }

    /// Kills what is left, removes the cgroup and its record.
    pub fn destroy(mut self) -> Result<(), CgroupError> {
        match self.cgroup.take() {
            Some(cgroup) => cgroup.destroy(),
            None => Ok(()),
        }
    }
}

impl Drop for CgroupGuard {
    fn drop(&mut self) {
        if let Some(cgroup) = self.cgroup.take()
            && let Err(e) = cgroup.destroy()
        {
            tracing::warn!(error = %e, "removing the container's cgroup");
        }
    }
}

impl Engine {
    /// What this host's cgroups can enforce (Docker's `sysinfo`): found on first use and
    /// kept, as dockerd finds it once at start (every `create` checks its flags against it).
    pub fn host_info(&self) -> Result<HostInfo, EngineError> {
        if let Some(host) = self.host_info.get() {
            return Ok(host.clone());
        }
        let host = HostInfo::detect(&self.hierarchy()?, &HostSys)?;
        Ok(self.host_info.get_or_init(|| host).clone())
    }

    /// The cgroup hierarchies and this process's place in them (chapter 6's
    /// [`Hierarchy::detect`], which reads `/proc/self/mountinfo` and `/proc/self/cgroup`):
    /// found on first use and kept.
    pub fn hierarchy(&self) -> Result<Hierarchy, EngineError> {
        if let Some(hierarchy) = self.hierarchy.get() {
            return Ok(hierarchy.clone());
        }
        let hierarchy = Hierarchy::detect()?;
        Ok(self.hierarchy.get_or_init(|| hierarchy).clone())
    }

    /// Takes `hierarchy`, found by this process before, as [`Engine::hierarchy`]'s answer
    /// (unless it has one already): a spare shim finds it before it has a container.
    pub fn assume_hierarchy(&self, hierarchy: Hierarchy) {
        let _ = self.hierarchy.set(hierarchy);
    }

    /// Docker's checks of resource flags against this host: the limits to apply and Docker's
    /// warnings, or Docker's error. `update` is for `docker update` (no create-time defaults).
    pub fn check_resources(&self, requested: &Resources, update: bool) -> Result<Checked, EngineError> {
        let host = self.host_info()?;
        validate(requested, &host, update).map_err(|e| EngineError::Invalid(e.to_string()))
    }

    /// `--kernel-memory`: Docker 20.10's checks (moby's `verifyPlatformContainerResources`):
    /// the limit to record and Docker's warnings, or its error. The limit is recorded
    /// (`HostConfig.KernelMemory`) and never applied, as with Docker on this kernel: v1's kmem
    /// limit has been deprecated since Linux 5.4 and runc ignores it.
    pub fn check_kernel_memory(&self, bytes: i64) -> Result<(i64, Vec<String>), EngineError> {
        if bytes <= 0 {
            return Ok((bytes, Vec::new()));
        }
        let mut warnings = vec![
            "Specifying a kernel memory limit is deprecated and will be removed in a future release."
                .to_owned(),
        ];
        if !self.host_info()?.kernel_memory {
            warnings.push(
                "Your kernel does not support kernel memory limit capabilities or the cgroup is not mounted. Limitation discarded."
                    .to_owned(),
            );
            return Ok((0, warnings));
        }
        if bytes < ch06_cgroups::resources::MIN_MEMORY {
            return Err(EngineError::Invalid(
                "Minimum kernel memory limit allowed is 6MB".to_owned(),
            ));
        }
        Ok((bytes, warnings))
    }

    /// The parent a container's cgroup goes under: its `--cgroup-parent`, else the engine's.
    pub fn effective_cgroup_parent(&self, requested: &str) -> Result<CgroupParent, EngineError> {
        let parent = if requested.is_empty() {
            self.cgroup_parent.as_str()
        } else {
            requested
        };
        Ok(CgroupParent::new(parent)?)
    }

    // ANCHOR: create_cgroup
    /// Creates container `id`'s cgroup under `parent` with `resources` applied (validated
    /// first: [`Engine::check_resources`]) and records where it is. The guard removes it
    /// again unless the caller destroys it itself.
    pub fn create_cgroup(
        &self,
        id: &str,
        parent: &str,
        resources: &Resources,
    ) -> Result<CgroupGuard, EngineError> {
        let cgroup_parent = self.effective_cgroup_parent(parent)?;
        let hierarchy = self.hierarchy()?;
        let manager = open_in(
            &hierarchy,
            id,
            &cgroup_parent,
            Waits::default(),
            Arc::new(HostSys),
        )?;
        // Fails if the directory exists: a cgroup we did not create is never adopted.
        manager.create()?;
        let record_path = self.containers.dir(id).join(CGROUP_RECORD);
        let guard = CgroupGuard {
            cgroup: Some(ContainerCgroup {
                manager,
                hierarchy: hierarchy.clone(),
                record: record_path.clone(),
            }),
        };
        let record = CgroupRecord {
            name: id.to_owned(),
            parent: if parent.is_empty() {
                self.cgroup_parent.clone()
            } else {
                parent.to_owned()
            },
            engine_v1: hierarchy.own_v1.clone(),
            engine_unified: hierarchy.own_unified.clone(),
            dirs: guard.cgroup().map(|c| c.manager.dirs()).unwrap_or_default(),
        };
        write_json_atomic(&record_path, &record, self.containers.durability(id)).map_err(|source| {
            EngineError::Io {
                path: record_path.clone(),
                source,
            }
        })?;
        if let Some(cgroup) = guard.cgroup() {
            cgroup.manager.apply(resources)?;
        }
        Ok(guard)
    }
    // ANCHOR_END: create_cgroup

    /// Container `id`'s cgroup, if the engine created one that it has not removed yet.
    pub fn container_cgroup(&self, id: &str) -> Result<Option<ContainerCgroup>, EngineError> {
        let path = self.containers.dir(id).join(CGROUP_RECORD);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(EngineError::Io { path, source }),
        };
        let record: CgroupRecord = serde_json::from_slice(&bytes).map_err(|e| EngineError::Io {
            path: path.clone(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        })?;
        Ok(Some(open_recorded(&record, &path)?))
    }

    /// The guard of container `id`'s cgroup, created already (by this process before an
    /// execve(2)); guards nothing if it has none.
    pub fn adopt_cgroup(&self, id: &str) -> Result<CgroupGuard, EngineError> {
        Ok(CgroupGuard {
            cgroup: self.container_cgroup(id)?,
        })
    }

    /// Kills what is left in container `id`'s cgroup and removes it, if it has one.
    pub fn remove_container_cgroup(&self, id: &str) -> Result<(), EngineError> {
        if let Some(cgroup) = self.container_cgroup(id)? {
            cgroup.destroy()?;
        }
        Ok(())
    }
}

/// The cgroup `record` describes, on this host as mounted now.
fn open_recorded(record: &CgroupRecord, path: &Path) -> Result<ContainerCgroup, EngineError> {
    let mut hierarchy = Hierarchy::detect()?;
    hierarchy.own_v1 = record.engine_v1.clone();
    hierarchy.own_unified = record.engine_unified.clone();
    let parent = CgroupParent::new(&record.parent)?;
    let manager = open_in(
        &hierarchy,
        &record.name,
        &parent,
        Waits::default(),
        Arc::new(HostSys),
    )?;
    Ok(ContainerCgroup {
        manager,
        hierarchy,
        record: path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hybrid() -> Hierarchy {
        let mountinfo = "\
31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw
";
        let cgroup = "3:cpu,cpuacct:/\n2:memory:/session/1\n1:pids:/\n0::/\n";
        Hierarchy::parse(mountinfo, cgroup).unwrap()
    }

    #[test]
    fn v1_mounts_a_read_only_view_per_hierarchy() {
        let hierarchy = hybrid();
        let manager = open_in(
            &hierarchy,
            "abc",
            &CgroupParent::default(),
            Waits::default(),
            Arc::new(HostSys),
        )
        .unwrap();
        let cgroup = ContainerCgroup {
            manager,
            hierarchy,
            record: PathBuf::from("/nonexistent"),
        };
        let mounts = cgroup.rootfs_mounts();
        let shown: Vec<(String, String)> = mounts
            .iter()
            .map(|m| {
                (
                    m.destination.display().to_string(),
                    m.source.display().to_string(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("/sys/fs/cgroup", "tmpfs"),
                (
                    "/sys/fs/cgroup/cpu,cpuacct",
                    "/sys/fs/cgroup/cpu,cpuacct/minidocker/abc"
                ),
                ("/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct/minidocker/abc"),
                (
                    "/sys/fs/cgroup/cpuacct",
                    "/sys/fs/cgroup/cpu,cpuacct/minidocker/abc"
                ),
                (
                    "/sys/fs/cgroup/memory",
                    "/sys/fs/cgroup/memory/session/1/minidocker/abc"
                ),
                ("/sys/fs/cgroup/pids", "/sys/fs/cgroup/pids/minidocker/abc"),
                ("/sys/fs/cgroup", "tmpfs"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert!(
            mounts[1..mounts.len() - 1]
                .iter()
                .all(|m| m.is_bind() && m.flags.contains(MsFlags::MS_RDONLY | MsFlags::MS_NOEXEC))
        );
        let last = mounts.last().unwrap();
        assert!(last.flags.contains(MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY));
    }

    #[test]
    fn the_record_reopens_the_same_directories_from_another_cgroup() {
        let record = CgroupRecord {
            name: "abc".into(),
            parent: "minidocker".into(),
            engine_v1: hybrid().own_v1,
            engine_unified: Some("/".into()),
            dirs: Vec::new(),
        };
        let json = serde_json::to_string(&record).unwrap();
        assert!(json.contains("\"EngineV1\""), "{json}");
        let back: CgroupRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(back, record);
    }
}
