//! The peer OCI runtimes, `runc` and `crun`, running `busybox true` from an OCI bundle made
//! of the bench's busybox root filesystem.
//!
//! The bundle's `config.json` is the runtime's own default (`<runtime> spec`: PID, network,
//! IPC, UTS and mount namespaces, a read-only root, the default capabilities, no terminal) with
//! three changes: the root is the bench's rootfs (an absolute path), the process is `true`, and
//! `linux.cgroupsPath` puts the container's cgroup inside the bench's own scope
//! ([`crate::cgroup_scope::BenchCgroupScope`]) instead of at the top of every hierarchy. Each
//! runtime keeps its state under a directory of the bundle (`--root`), not in `/run`.
//!
//! **crun on this hybrid host.** crun 1.8 refuses a host where cgroup v1 controllers and a
//! cgroup2 mount at `/sys/fs/cgroup/unified` coexist ("cgroups in hybrid mode not supported,
//! drop all controllers from cgroupv2"). So crun runs in a mount namespace of its own, made in
//! the forked child before exec (unshare(2) `CLONE_NEWNS`, the tree made a slave of the
//! host's, `/sys/fs/cgroup/unified` detached): crun sees a plain v1 host, and the host's
//! mounts are never changed. That costs crun one extra mount namespace per run, a few tens of
//! microseconds, which counts against it.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

/// The cgroup2 mount crun must not see (see the module documentation).
const HYBRID_CGROUP2: &str = "/sys/fs/cgroup/unified";

/// A peer runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OciRuntime {
    Runc,
    Crun,
}

impl OciRuntime {
    pub const ALL: [OciRuntime; 2] = [OciRuntime::Crun, OciRuntime::Runc];

    /// The binary's name, and the benchmark's.
    pub fn name(self) -> &'static str {
        match self {
            OciRuntime::Runc => "runc",
            OciRuntime::Crun => "crun",
        }
    }

    /// The binary in `PATH`, or why it cannot be used.
    pub fn locate(self) -> Result<PathBuf, String> {
        find_in_path(self.name()).ok_or_else(|| {
            format!(
                "{} not found in PATH (apt-get install -y {})",
                self.name(),
                self.name()
            )
        })
    }
}

/// `program` in one of `PATH`'s directories.
pub fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// One runtime's bundle: see the module documentation. Its directory (state included) is
/// removed on drop.
#[derive(Debug)]
pub struct OciBundle {
    runtime: OciRuntime,
    binary: PathBuf,
    dir: tempfile::TempDir,
    next_id: AtomicU64,
}

impl OciBundle {
    /// Writes the bundle for `runtime`, its root `rootfs`, its cgroup at `cgroups_path` (an
    /// absolute cgroup path the caller owns).
    pub fn create(runtime: OciRuntime, rootfs: &Path, cgroups_path: &str) -> Result<OciBundle, String> {
        let binary = runtime.locate()?;
        let dir = tempfile::Builder::new()
            .prefix(&format!("minidocker-bench-{}-", runtime.name()))
            .tempdir()
            .map_err(|e| format!("creating a bundle directory: {e}"))?;
        let spec = Command::new(&binary)
            .args(["spec", "--bundle"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("running {} spec: {e}", binary.display()))?;
        if !spec.status.success() {
            return Err(format!(
                "{} spec: {}",
                runtime.name(),
                String::from_utf8_lossy(&spec.stderr)
            ));
        }
        let config_path = dir.path().join("config.json");
        let text = std::fs::read_to_string(&config_path)
            .map_err(|e| format!("reading {}: {e}", config_path.display()))?;
        let mut config: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("parsing {}: {e}", config_path.display()))?;
        config["root"]["path"] = rootfs.display().to_string().into();
        config["process"]["args"] = serde_json::json!(["true"]);
        config["process"]["terminal"] = false.into();
        config["linux"]["cgroupsPath"] = cgroups_path.into();
        let text = serde_json::to_vec_pretty(&config).map_err(|e| format!("serializing config.json: {e}"))?;
        std::fs::write(&config_path, text).map_err(|e| format!("writing {}: {e}", config_path.display()))?;
        Ok(OciBundle {
            runtime,
            binary,
            dir,
            next_id: AtomicU64::new(0),
        })
    }

    pub fn runtime(&self) -> OciRuntime {
        self.runtime
    }

    /// `<runtime> --root <bundle>/state run --bundle <bundle> <fresh id>`: create, start, wait,
    /// delete; stdio on `/dev/null`.
    pub fn run(&self) -> std::io::Result<ExitStatus> {
        self.command()
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
    }

    /// [`OciBundle::run`], with its output kept (to show why a run failed).
    pub fn run_with_output(&self) -> std::io::Result<Output> {
        self.command().stdin(Stdio::null()).output()
    }

    fn command(&self) -> Command {
        let id = format!("bench-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let mut cmd = Command::new(&self.binary);
        cmd.arg("--root")
            .arg(self.dir.path().join("state"))
            .args(["run", "--bundle"])
            .arg(self.dir.path())
            .arg(id);
        if self.runtime == OciRuntime::Crun {
            // SAFETY: the closure runs in the forked child before exec and only makes system
            // calls (unshare, mount, umount2), which are async-signal-safe; it allocates nothing.
            unsafe {
                cmd.pre_exec(hide_hybrid_cgroup2);
            }
        }
        cmd
    }
}

/// In a forked child: a private mount namespace without the hybrid cgroup2 mount (see the
/// module documentation). unshare(2), mount(2) with `MS_REC | MS_SLAVE`, umount2(2) with
/// `MNT_DETACH`.
fn hide_hybrid_cgroup2() -> std::io::Result<()> {
    use nix::mount::{MntFlags, MsFlags, mount, umount2};
    nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNS)?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )?;
    match umount2(HYBRID_CGROUP2, MntFlags::MNT_DETACH) {
        // Not mounted (a pure v1 or pure v2 host): nothing to hide.
        Ok(()) | Err(nix::errno::Errno::EINVAL | nix::errno::Errno::ENOENT) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup_scope::BenchCgroupScope;

    /// Each runtime found runs `busybox true` from its bundle, its cgroup inside the scope, and
    /// the scope leaves no cgroup behind. Needs root; a missing runtime is skipped.
    #[test]
    fn each_runtime_runs_true_in_the_scope_and_leaves_nothing() {
        if !nix::unistd::geteuid().is_root() || !Path::new(crate::HOST_BUSYBOX).exists() {
            eprintln!("skipped: needs root and {}", crate::HOST_BUSYBOX);
            return;
        }
        let rootfs = crate::BusyboxContainer::create().expect("rootfs");
        let scope = BenchCgroupScope::reserve().expect("scope");
        for runtime in OciRuntime::ALL {
            if let Err(why) = runtime.locate() {
                eprintln!("skipped {}: {why}", runtime.name());
                continue;
            }
            let bundle =
                OciBundle::create(runtime, &rootfs.rootfs(), &scope.child(runtime.name())).expect("bundle");
            let config: serde_json::Value = serde_json::from_slice(
                &std::fs::read(bundle.dir.path().join("config.json")).expect("config.json"),
            )
            .expect("json");
            assert_eq!(config["process"]["args"], serde_json::json!(["true"]));
            assert_eq!(
                config["linux"]["cgroupsPath"],
                scope.child(runtime.name()).as_str()
            );
            let out = bundle.run_with_output().expect("running");
            assert!(
                out.status.success(),
                "{} run: {}",
                runtime.name(),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(bundle.run().expect("running").success());
        }
        let left = scope.directories();
        drop(scope);
        assert!(left.iter().all(|dir| !dir.exists()), "cgroups left: {left:?}");
    }
}
