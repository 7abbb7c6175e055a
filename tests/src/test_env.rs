//! [`TestEnv`]: one test's own minidocker world, removed when the test ends, even by a panic.
//!
//! Each test gets a fresh data root `<tmp>/minidocker-e2e-XXXXXX` (so tests run in parallel)
//! with the busybox image imported as `busybox:latest`. minidocker is pointed at it with
//! `MINIDOCKER_DATA_ROOT` (the same as `--data-root`), and its containers' cgroups go under a
//! parent of the test's own, `minidocker/<data root's name>` (`MINIDOCKER_CGROUP_PARENT`, the
//! same as `minidocker --cgroup-parent`), so tests running in parallel never share one. It runs
//! in its own network namespace ([`TestNet`]), so its bridges and NAT rules never touch the
//! host's network. The minidocker CLI is a client of a daemon: the env's first command starts
//! the data root's own (`<data-root>/run/minidocker.sock`, in the env's network namespace).
//! On drop it:
//! 0. stops that daemon (SIGTERM, by the pid in its pid file);
//! 1. kills (SIGKILL, by pid) every process whose root is the data root or below it, and waits
//!    until they are gone;
//! 2. kills what is left in the test's cgroups and removes them, the parent included;
//! 3. unmounts (`MNT_DETACH`, deepest first) whatever is mounted under the data root;
//! 4. removes the data root.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ch06_cgroups::{CgroupManager, CgroupParent, Controller, Hierarchy, HostSys, Waits, open_in};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;

use crate::host::{MountEntry, ProcessRoot, mounts_under, processes_rooted_under};
use crate::process::{Cmd, Output, Spawned};
use crate::test_net::TestNet;

/// The name prefix of every data root the harness makes (the leak checker looks for it).
pub const DATA_ROOT_PREFIX: &str = "minidocker-e2e-";

/// The image reference tests use.
pub const IMAGE: &str = "busybox";

/// One test's data root, with busybox imported. See the module documentation.
#[derive(Debug)]
pub struct TestEnv {
    root: PathBuf,
    image_id: String,
    net: TestNet,
}

impl TestEnv {
    /// A fresh data root with `busybox:latest` imported.
    #[track_caller]
    pub fn new() -> TestEnv {
        TestEnv::new_in(&TestNet::new())
    }

    /// [`TestEnv::new`], with minidocker running in `net` (shared with another test env or
    /// with a server the test started there).
    #[track_caller]
    pub fn new_in(net: &TestNet) -> TestEnv {
        let mut env = TestEnv::empty_in(net);
        let out = env
            .cmd(&["import", "-", IMAGE])
            .stdin(crate::image::busybox_rootfs_tar())
            .output();
        assert!(
            out.code == 0 && out.stdout.starts_with("sha256:"),
            "importing busybox failed:\n{out}"
        );
        env.image_id = out.stdout.trim_end().to_owned();
        env
    }

    /// A fresh, empty data root (no image).
    #[track_caller]
    pub fn empty() -> TestEnv {
        TestEnv::empty_in(&TestNet::new())
    }

    /// [`TestEnv::empty`], in `net`.
    #[track_caller]
    pub fn empty_in(net: &TestNet) -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix(DATA_ROOT_PREFIX)
            .tempdir()
            .unwrap_or_else(|e| panic!("creating a data root in {}: {e}", std::env::temp_dir().display()));
        let env = TestEnv {
            root: dir.keep(),
            image_id: String::new(),
            net: net.clone(),
        };
        // The first command starts the data root's daemon and says so on stderr: done here,
        // so every command a test runs prints only its own output.
        let out = env.minidocker(&["ps", "-q"]);
        assert!(
            out.code == 0 && out.stderr.contains("started one in the background"),
            "starting the daemon of {} failed:\n{out}",
            env.root.display()
        );
        env
    }

    /// The network namespace this test's minidocker runs in.
    pub fn net(&self) -> &TestNet {
        &self.net
    }

    pub fn data_root(&self) -> &Path {
        &self.root
    }

    /// The id of the imported busybox image, `sha256:<64 hex>`.
    pub fn image_id(&self) -> &str {
        &self.image_id
    }

    /// `minidocker ARGS...` against this data root (and this test's cgroup parent), to be
    /// adjusted then run.
    pub fn cmd(&self, args: &[&str]) -> Cmd {
        Cmd::new(crate::minidocker_bin())
            .args(args)
            .env("MINIDOCKER_DATA_ROOT", &self.root)
            .env("MINIDOCKER_CGROUP_PARENT", self.cgroup_parent())
            .env_remove("DOCKER_HOST")
            .in_net(&self.net)
    }

    /// The socket of the daemon the CLI starts for this data root when none answers
    /// (`<data-root>/run/minidocker.sock`; a [`crate::TestDaemon`] listens there too).
    pub fn daemon_socket(&self) -> PathBuf {
        self.root.join("run/minidocker.sock")
    }

    /// Stops the daemon the CLI started for this data root, if one runs: SIGTERM (its clean
    /// shutdown, which stops its containers), then SIGKILL if it has not exited after 20 s.
    pub fn stop_daemon(&self) {
        self.end_daemon(Signal::SIGTERM);
    }

    /// Kills the daemon the CLI started for this data root, if one runs, with SIGKILL: its
    /// containers run on under their shims, for the daemon that replaces it to find.
    pub fn kill_daemon(&self) {
        self.end_daemon(Signal::SIGKILL);
    }

    /// Sends `signal` to the data root's daemon and waits until it is gone (SIGKILL after
    /// 20 s). Its pid is read from its pid file and checked to be a `minidocker daemon` of
    /// this data root before it is signalled.
    fn end_daemon(&self, signal: Signal) {
        let pidfile = self.root.join("run/minidocker.pid");
        let Some(pid) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok())
        else {
            return;
        };
        let is_our_daemon = |pid: i32| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
                let root = self.root.as_os_str().as_encoded_bytes();
                args.get(1) == Some(&&b"daemon"[..]) && args.contains(&root)
            })
        };
        if !is_our_daemon(pid) {
            return;
        }
        let pid = Pid::from_raw(pid);
        let _ = kill(pid, signal);
        let deadline = Instant::now() + Duration::from_secs(20);
        // Gone once its socket no longer answers too: a dying process loses its memory (and
        // so its /proc cmdline) before its files, the listening socket among them.
        let answers = || std::os::unix::net::UnixStream::connect(self.daemon_socket()).is_ok();
        while is_our_daemon(pid.as_raw()) || answers() {
            if Instant::now() > deadline {
                eprintln!(
                    "minidocker-e2e: the daemon of {} ignored {signal}; killing it",
                    self.root.display()
                );
                if is_our_daemon(pid.as_raw()) {
                    let _ = kill(pid, Signal::SIGKILL);
                }
                std::thread::sleep(Duration::from_millis(100));
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The parent of this test's containers' cgroups, relative to the test's own cgroup:
    /// `minidocker/<data root's name>`.
    pub fn cgroup_parent(&self) -> String {
        let name = self.root.file_name().unwrap_or_default().to_string_lossy();
        format!("{}/{name}", CgroupParent::DEFAULT)
    }

    /// The directory of `controller` of the cgroup named `name` under this test's cgroup
    /// parent (a container's cgroup is named by its id); `None` when the controller is not
    /// mounted. Whether it exists is for the caller to see.
    pub fn cgroup_dir(&self, controller: Controller, name: &str) -> Option<PathBuf> {
        self.open_cgroup(name, &self.cgroup_parent())
            .and_then(|cg| cg.controller_dir(controller))
    }

    /// The cgroups under this test's cgroup parent that exist now (each hierarchy's
    /// directories), the parent itself not included.
    pub fn cgroups_inside(&self) -> Vec<PathBuf> {
        let Some(parent) = self.open_cgroup(&self.parent_name(), CgroupParent::DEFAULT) else {
            return Vec::new();
        };
        let mut found: Vec<PathBuf> = parent
            .dirs()
            .iter()
            .filter_map(|d| std::fs::read_dir(d).ok())
            .flat_map(|entries| entries.flatten())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.path())
            .collect();
        found.sort();
        found
    }

    fn parent_name(&self) -> String {
        self.root
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned()
    }

    /// Chapter 6's view of cgroup `name` under `parent` (nothing is created).
    fn open_cgroup(&self, name: &str, parent: &str) -> Option<Box<dyn CgroupManager>> {
        let hierarchy = Hierarchy::detect().ok()?;
        let parent = CgroupParent::new(parent).ok()?;
        let waits = Waits {
            freeze: Duration::from_secs(2),
            empty: Duration::from_secs(5),
        };
        open_in(&hierarchy, name, &parent, waits, Arc::new(HostSys)).ok()
    }

    /// Kills what is left in the test's cgroups (by pid, frozen or not: chapter 6's
    /// `kill_all`), removes them, then the test's cgroup parent, and the shared one if empty.
    fn remove_cgroups_inside(&self) {
        let mut names: Vec<String> = self
            .cgroups_inside()
            .iter()
            .filter_map(|d| Some(d.file_name()?.to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names.dedup();
        let parent = self.cgroup_parent();
        for name in names {
            if let Some(cg) = self.open_cgroup(&name, &parent)
                && let Err(e) = cg.kill_all().and_then(|()| cg.remove())
            {
                eprintln!("minidocker-e2e: removing cgroup {name} under {parent}: {e}");
            }
        }
        if let Some(cg) = self.open_cgroup(&self.parent_name(), CgroupParent::DEFAULT)
            && let Err(e) = cg.remove()
        {
            eprintln!("minidocker-e2e: removing cgroup parent {parent}: {e}");
        }
        // The shared `minidocker` parent too once no test uses it: rmdir(2) refuses it while
        // another test's parent is inside, and a test making its own meanwhile makes it again
        // (chapter 6's `Placement::create`).
        crate::leaks::remove_empty_cgroup_parents();
    }

    /// Runs `minidocker ARGS...` to completion.
    #[track_caller]
    pub fn minidocker(&self, args: &[&str]) -> Output {
        self.cmd(args).output()
    }

    /// Runs `minidocker run ARGS...` to completion.
    #[track_caller]
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_cmd(args).output()
    }

    /// `minidocker run ARGS...`, to be adjusted (stdin, env, timeout) then run or spawned.
    pub fn run_cmd(&self, args: &[&str]) -> Cmd {
        self.cmd(&["run"]).args(args)
    }

    /// Starts `minidocker run ARGS...` and returns without waiting.
    #[track_caller]
    pub fn spawn_run(&self, args: &[&str]) -> Spawned {
        self.run_cmd(args).spawn()
    }

    /// `<data-root>/containers`.
    pub fn containers_dir(&self) -> PathBuf {
        self.root.join("containers")
    }

    /// The directory of container `container_id`'s own layer under `overlay2/`, read from its
    /// record `image/overlay2/layerdb/mounts/<id>/mount-id`; panics if there is none.
    pub fn container_layer_dir(&self, container_id: &str) -> PathBuf {
        let record = self
            .root
            .join("image/overlay2/layerdb/mounts")
            .join(container_id)
            .join("mount-id");
        let mount_id =
            std::fs::read_to_string(&record).unwrap_or_else(|e| panic!("reading {}: {e}", record.display()));
        self.root.join("overlay2").join(mount_id.trim())
    }

    /// The ids of the containers that exist (have a directory), sorted.
    pub fn container_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::fs::read_dir(self.containers_dir())
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    }

    /// A container's `config.v2.json`.
    #[track_caller]
    pub fn config(&self, id: &str) -> Value {
        let path = self.containers_dir().join(id).join("config.v2.json");
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}\n{text}", path.display()))
    }

    /// The id and config of the only container; panics if there are none or several.
    #[track_caller]
    pub fn only_container(&self) -> (String, Value) {
        match self.container_ids().as_slice() {
            [id] => (id.clone(), self.config(id)),
            ids => panic!("expected exactly one container, found {ids:?}"),
        }
    }

    /// The id and config of the container named `name` (without the leading `/`), if any.
    /// Configs that cannot be read right now (being written) are skipped.
    pub fn find_container(&self, name: &str) -> Option<(String, Value)> {
        self.container_ids().into_iter().find_map(|id| {
            let text =
                std::fs::read_to_string(self.containers_dir().join(&id).join("config.v2.json")).ok()?;
            let config: Value = serde_json::from_str(&text).ok()?;
            (config["Name"] == format!("/{name}")).then_some((id, config))
        })
    }

    /// Waits until the container `name` is running and returns its init's host pid
    /// (`State.Pid`), after checking that this process's root really is inside the data root.
    #[track_caller]
    pub fn wait_for_running(&self, name: &str, timeout: Duration) -> Pid {
        let deadline = Instant::now() + crate::process::scaled(timeout);
        loop {
            if let Some((_, config)) = self.find_container(name) {
                let pid = config["State"]["Pid"].as_i64().unwrap_or(0);
                if config["State"]["Status"] == "running" && pid > 1 {
                    let pid = Pid::from_raw(
                        i32::try_from(pid).unwrap_or_else(|_| panic!("State.Pid {pid} out of range")),
                    );
                    let inside = self.processes_inside();
                    assert!(
                        inside.iter().any(|p| p.pid == pid.as_raw()),
                        "State.Pid {pid} is not a process rooted in the data root: {inside:?}"
                    );
                    return pid;
                }
            }
            assert!(
                Instant::now() < deadline,
                "container {name} not running after {timeout:?}: {:?}",
                self.find_container(name)
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Processes whose root is the data root or inside it (container processes).
    pub fn processes_inside(&self) -> Vec<ProcessRoot> {
        processes_rooted_under(&self.root)
    }

    /// Mounts of the test's (the host's) mount namespace under the data root.
    pub fn mounts_inside(&self) -> Vec<MountEntry> {
        mounts_under(&self.root)
    }

    /// Asserts that no mount under the data root, no cgroup under the test's cgroup parent
    /// and no process rooted in the data root is left.
    #[track_caller]
    pub fn assert_nothing_left(&self) {
        assert_eq!(self.mounts_inside(), vec![], "mounts left");
        assert_eq!(self.cgroups_inside(), Vec::<PathBuf>::new(), "cgroups left");
        assert_eq!(self.processes_inside(), vec![], "processes left");
    }

    fn kill_processes_inside(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let procs = self.processes_inside();
            if procs.is_empty() {
                return;
            }
            if Instant::now() > deadline {
                eprintln!(
                    "minidocker-e2e: processes still alive in {}: {procs:?}",
                    self.root.display()
                );
                return;
            }
            for p in &procs {
                let _ = kill(Pid::from_raw(p.pid), Signal::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn unmount_inside(&self) {
        let mut mounts = self.mounts_inside();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.mount_point.components().count()));
        for m in mounts {
            if let Err(e) = nix::mount::umount2(&m.mount_point, nix::mount::MntFlags::MNT_DETACH) {
                eprintln!("minidocker-e2e: umount {}: {e}", m.mount_point.display());
            }
        }
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        TestEnv::new()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.root.join("daemon.log");
            if let Ok(text) = std::fs::read_to_string(&log) {
                eprintln!("--- {}:\n{text}", log.display());
            }
        }
        self.stop_daemon();
        self.kill_processes_inside();
        self.remove_cgroups_inside();
        self.unmount_inside();
        if let Err(e) = std::fs::remove_dir_all(&self.root) {
            eprintln!("minidocker-e2e: removing {}: {e}", self.root.display());
        }
    }
}
