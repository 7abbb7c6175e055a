//! Shared by the privileged tests: a root check, and a cgroup that cleans up after itself.
//!
//! Host safety: every test cgroup is `minidocker/ch06-test-<test>-<pid>-<n>` under this
//! process's own cgroup in each hierarchy (the engine's default placement). Only processes the
//! test spawned itself are put in it, and they are gated: each is a `sh` that waits for a `go`
//! line on stdin, so nothing runs unconfined before it is in the cgroup. The guard's `Drop`
//! kills everything inside, reaps the test's children and removes the cgroup, even when the
//! test panics.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ch06_cgroups::{CgroupManager, CgroupParent, Controller, Hierarchy, HostSys, Waits, open_in};
use nix::unistd::Pid;

/// True when running as root; otherwise prints why the test is skipped.
pub fn is_root(test: &str) -> bool {
    let root = nix::unistd::geteuid().is_root();
    if !root {
        eprintln!("skipping {test}: needs root (creating cgroups is privileged)");
    }
    root
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A test's cgroup, removed on drop together with everything inside it.
pub struct TestCgroup {
    pub cg: Box<dyn CgroupManager>,
    children: Vec<Child>,
}

impl TestCgroup {
    /// Creates `minidocker/ch06-test-<test>-<pid>-<n>`, or `None` when not root.
    pub fn create(test: &str) -> Option<Self> {
        Self::create_with(test, Waits::default())
    }

    /// [`TestCgroup::create`] with other waits.
    pub fn create_with(test: &str, waits: Waits) -> Option<Self> {
        if !is_root(test) {
            return None;
        }
        let name = format!(
            "ch06-test-{test}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let hierarchy = Hierarchy::detect().expect("detect the cgroup layout");
        let cg = open_in(
            &hierarchy,
            &name,
            &CgroupParent::default(),
            waits,
            std::sync::Arc::new(HostSys),
        )
        .expect("open the test cgroup");
        cg.create().expect("create the test cgroup");
        Some(TestCgroup {
            cg,
            children: Vec::new(),
        })
    }

    /// Spawns `sh -c <script>` held at a gate, moves it into the cgroup, then opens the gate.
    /// Its output is discarded. Returns the pid.
    pub fn spawn(&mut self, script: &str) -> Pid {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("read go && [ \"$go\" = go ] && {{ {script}\n}}"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sh");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"));
        let mut gate = child.stdin.take().expect("gate");
        // Tracked before anything can fail, so Drop reaps it.
        self.children.push(child);
        self.cg.add_process(pid).expect("add the child to the cgroup");
        gate.write_all(b"go\n").expect("open the gate");
        pid
    }

    /// Spawns `sh -c <script>` with `env` and does not add it: the script places itself (or
    /// not). Tracked, so Drop reaps it. Returns the pid.
    pub fn spawn_unplaced(&mut self, script: &str, env: &[(&str, String)]) -> Pid {
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn sh");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"));
        self.children.push(child);
        pid
    }

    /// Spawns a plain command (no gate: for programs that only sleep) and adds it.
    pub fn spawn_sleeper(&mut self) -> Pid {
        let child = Command::new("sleep")
            .arg("300")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn sleep");
        let pid = Pid::from_raw(i32::try_from(child.id()).expect("pid fits i32"));
        self.children.push(child);
        self.cg.add_process(pid).expect("add sleep to the cgroup");
        pid
    }

    /// Waits for the child with `pid` (spawned by this guard) to exit.
    pub fn wait(&mut self, pid: Pid) -> ExitStatus {
        let index = self
            .children
            .iter()
            .position(|c| c.id() == pid.as_raw() as u32)
            .expect("a child of this test");
        let mut child = self.children.remove(index);
        child.wait().expect("wait for the child")
    }

    /// Reads a file of `controller` in this cgroup, trimmed.
    pub fn read(&self, controller: Controller, file: &str) -> String {
        let dir = self.cg.controller_dir(controller).expect("controller mounted");
        std::fs::read_to_string(dir.join(file))
            .unwrap_or_else(|e| panic!("read {}: {e}", dir.join(file).display()))
            .trim()
            .to_string()
    }

    pub fn is_v1(&self) -> bool {
        self.cg.version() == ch06_cgroups::CgroupVersion::V1
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        let kill = self.cg.kill_all();
        // Our own children are dead now (or were never let in): reap them. Kill them by pid
        // first in case adding them to the cgroup failed.
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        let remove = self.cg.remove();
        let leftovers: Vec<_> = self.cg.dirs().into_iter().filter(|d| d.exists()).collect();
        if let Err(e) = kill.and(remove) {
            eprintln!("cleanup of test cgroup failed: {e}");
        }
        if !leftovers.is_empty() && !std::thread::panicking() {
            panic!("test cgroup left behind: {leftovers:?}");
        }
    }
}

/// Polls `check` every 20ms for up to 10s; true once it holds.
pub fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..500 {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
