//! # minidocker benchmarks: shared fixtures
//!
//! The criterion benchmarks in `benches/` compare the chapter crates with the floors they sit
//! on (bare system calls, util-linux, GNU tar). This library holds what they share: a busybox
//! root filesystem built from the host's `busybox-static` (the same one
//! `scripts/busybox-rootfs.sh` makes), the [`LaunchSpec`] minidocker would build for
//! `minidocker run busybox true`, overlay layer stacks and mount guards ([`mounts`]), layer
//! tars to unpack ([`layer_tar`]), paired runs of ours against a floor ([`paired`]), and
//! containers started on minidocker's networks inside a private network namespace
//! ([`network`], and the breakdown of their time in [`network_steps`]), and for the end-to-end
//! comparison with the peers: the minidocker daemon and Docker's, driven through their CLIs
//! ([`engines`]), runc and crun on an OCI bundle ([`oci_peer`]), the cgroup scope they all
//! share ([`cgroup_scope`]) and the memory of daemons and shims ([`memory`]).

pub mod cgroup_scope;
pub mod engines;
pub mod layer_tar;
pub mod memory;
pub mod mounts;
pub mod network;
pub mod network_steps;
pub mod oci_peer;
pub mod paired;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use ch01_process::{BlockedSignals, Reap, forwarded_signals, supervise};
use ch03_rootfs::capabilities::DEFAULT_CAPABILITIES;
use ch03_rootfs::etc_files::HostsFile;
use ch03_rootfs::process::DEFAULT_PATH;
use ch03_rootfs::{Mount, ProcessSpec, RootfsSpec, UserSpec, resolve_user};
use minidocker::runtime::{LaunchSpec, Launched, NetworkNamespace, launch};

/// How long `f` takes.
pub fn timed(f: impl FnOnce()) -> std::time::Duration {
    let start = std::time::Instant::now();
    f();
    start.elapsed()
}

/// Where `busybox-static` installs its binary (override with `BUSYBOX=/path`).
pub const HOST_BUSYBOX: &str = "/bin/busybox";

/// A busybox container on disk, laid out like a minidocker container directory:
/// `<dir>/rootfs` is the image, `<dir>/{hostname,hosts,resolv.conf}` are bind-mounted into it.
/// Removed (with everything in it) on drop.
#[derive(Debug)]
pub struct BusyboxContainer {
    dir: tempfile::TempDir,
}

impl BusyboxContainer {
    /// Build the root filesystem in a fresh temporary directory: `/bin/busybox` and one symlink
    /// per applet, `/etc/passwd`, `/etc/group`, `/tmp`, `/root`, and the container files.
    pub fn create() -> std::io::Result<BusyboxContainer> {
        let busybox = std::env::var_os("BUSYBOX").map_or_else(|| PathBuf::from(HOST_BUSYBOX), PathBuf::from);
        let dir = tempfile::Builder::new().prefix("minidocker-bench-").tempdir()?;
        let root = dir.path().join("rootfs");
        for sub in ["bin", "etc", "tmp", "root", "proc", "sys", "dev", "home"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        std::fs::set_permissions(root.join("tmp"), std::fs::Permissions::from_mode(0o1777))?;
        std::fs::set_permissions(root.join("root"), std::fs::Permissions::from_mode(0o700))?;
        std::fs::copy(&busybox, root.join("bin/busybox")).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "copying {}: {e} (apt-get install busybox-static)",
                    busybox.display()
                ),
            )
        })?;
        let list = std::process::Command::new(&busybox).arg("--list").output()?;
        for applet in String::from_utf8_lossy(&list.stdout).lines() {
            if !applet.is_empty() && applet != "busybox" {
                std::os::unix::fs::symlink("busybox", root.join("bin").join(applet))?;
            }
        }
        std::fs::write(
            root.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        )?;
        std::fs::write(root.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n")?;
        std::fs::write(dir.path().join("hostname"), "bench\n")?;
        std::fs::write(dir.path().join("hosts"), HostsFile::default().render())?;
        std::fs::write(dir.path().join("resolv.conf"), "nameserver 8.8.8.8\n")?;
        Ok(BusyboxContainer { dir })
    }

    /// The container directory (`rootfs/` and the `/etc` files live here).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The image's root filesystem.
    pub fn rootfs(&self) -> PathBuf {
        self.dir.path().join("rootfs")
    }

    /// The root filesystem as a tar (symlinks kept as symlinks), for `minidocker import` and
    /// `docker import`.
    pub fn rootfs_tar(&self) -> std::io::Result<Vec<u8>> {
        let mut builder = tar::Builder::new(Vec::new());
        builder.follow_symlinks(false);
        builder.append_dir_all("", self.rootfs())?;
        builder.into_inner()
    }

    /// The rootfs's own busybox binary (for the floors, so every benchmark execs the same file).
    pub fn busybox(&self) -> PathBuf {
        self.rootfs().join("bin/busybox")
    }

    /// The spec minidocker's engine builds for `minidocker run busybox <args>`: Docker's default
    /// rootfs (mounts, devices, masked and read-only paths), `/etc/{resolv.conf,hostname,hosts}`
    /// bind-mounted, root with Docker's 14 capabilities, stdin on `/dev/null`.
    pub fn launch_spec(&self, args: &[&str]) -> Result<LaunchSpec, ch03_rootfs::RootfsError> {
        self.launch_spec_with_files(self.dir(), args)
    }

    /// [`BusyboxContainer::launch_spec`] with `/etc/{resolv.conf,hostname,hosts}` bound from
    /// `files` instead (a container directory of an engine's data root, as `minidocker run`
    /// binds them).
    pub fn launch_spec_with_files(
        &self,
        files: &Path,
        args: &[&str],
    ) -> Result<LaunchSpec, ch03_rootfs::RootfsError> {
        let rootfs = self.rootfs();
        let user = resolve_user(
            &rootfs,
            &UserSpec {
                user: "0".into(),
                group: None,
            },
        )?;
        let mut rootfs_spec = RootfsSpec::docker_default(&rootfs);
        for file in ["resolv.conf", "hostname", "hosts"] {
            rootfs_spec
                .mounts
                .push(Mount::bind(files.join(file), format!("/etc/{file}")));
        }
        let env = vec![
            format!("PATH={DEFAULT_PATH}"),
            "HOSTNAME=bench".to_owned(),
            format!("HOME={}", user.home),
        ];
        Ok(LaunchSpec {
            rootfs: rootfs_spec,
            process: ProcessSpec {
                args: args.iter().map(|a| (*a).to_owned()).collect(),
                env,
                cwd: PathBuf::from("/"),
                user,
                capabilities: DEFAULT_CAPABILITIES.to_vec(),
            },
            hostname: "bench".to_owned(),
            network: NetworkNamespace::New,
            keep_stdin: false,
            init: false,
            console_socket: None,
            join_cgroups: Vec::new(),
        })
    }
}

/// Start `spec` through the chapter crates exactly as `minidocker run` does (block the forwarded
/// signals, [`launch`], [`supervise`] until it exits) and return its exit code.
pub fn run_container(spec: &LaunchSpec) -> Result<i32, String> {
    let _blocked = BlockedSignals::block(&forwarded_signals()).map_err(|e| e.to_string())?;
    match launch(spec).map_err(|e| e.to_string())? {
        Launched::Running(pid) => supervise(pid, Reap::MainChildOnly)
            .map(|s| s.code())
            .map_err(|e| e.to_string()),
        Launched::Failed { pid, failure } => {
            let _ = ch01_process::wait_for_exit(pid);
            Err(format!(
                "container init failed ({}): {}",
                failure.exit_code, failure.message
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rootfs_has_busybox_applets_and_a_root_user() {
        if !Path::new(HOST_BUSYBOX).exists() {
            eprintln!("skipped: {HOST_BUSYBOX} missing (apt-get install busybox-static)");
            return;
        }
        let c = BusyboxContainer::create().expect("rootfs");
        assert!(c.busybox().is_file());
        assert_eq!(
            std::fs::read_link(c.rootfs().join("bin/true")).expect("true applet"),
            Path::new("busybox")
        );
        let spec = c.launch_spec(&["/bin/true"]).expect("spec");
        assert_eq!(
            (
                spec.process.user.uid,
                spec.process.user.gid,
                spec.process.user.home.as_str()
            ),
            (0, 0, "/root")
        );
        assert_eq!(
            spec.rootfs.mounts.len(),
            ch03_rootfs::mounts::default_mounts().len() + 3
        );
        let dir = c.dir().to_owned();
        drop(c);
        assert!(!dir.exists(), "the temp dir is removed on drop");
    }

    /// What the benchmark times really is a container: PID 1, its own hostname, its own root,
    /// masked `/proc/kcore`, no `CAP_SYS_ADMIN`. Needs root; skipped otherwise.
    #[test]
    fn the_benchmarked_start_is_a_real_container() {
        let is_root = std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"))
        });
        if !is_root || !Path::new(HOST_BUSYBOX).exists() {
            eprintln!("skipped: needs root and {HOST_BUSYBOX}");
            return;
        }
        let c = BusyboxContainer::create().expect("rootfs");
        let check = "test $$ = 1 && test \"$(hostname)\" = bench && test -x /bin/busybox && test ! -e /tmp/../work \
                     && test ! -s /proc/kcore && test -c /dev/null && grep -q '^CapEff:.*00000000a80425fb$' /proc/self/status";
        let spec = c.launch_spec(&["/bin/sh", "-c", check]).expect("spec");
        assert_eq!(run_container(&spec), Ok(0), "inside the container: {check}");
        assert_eq!(
            run_container(&c.launch_spec(&["/bin/true"]).expect("spec")),
            Ok(0)
        );
        assert_eq!(
            run_container(&c.launch_spec(&["/bin/false"]).expect("spec")),
            Ok(1)
        );
    }
}
