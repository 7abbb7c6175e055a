//! Shared by the lab's tests: a root check, a cgroup directory faked in a temporary
//! directory, and a real cgroup that cleans up after itself.
//!
//! Host safety: the one privileged test creates its cgroup only after checking that your
//! code puts it exactly where the chapter's would, `minidocker/lab06-…` under this process's
//! own cgroup in each hierarchy. Its guard kills whatever is inside and removes the cgroup
//! with the chapter's own code, even when the test fails.

#![allow(dead_code)]

use std::io::Write;
use std::path::Path;

/// True when running as root. Otherwise prints why `test` is skipped and, under
/// `labs/check`, notes it in the file `$LAB_CHECK_SKIPPED` so the checker can tell a skipped
/// test from a passed one.
pub fn is_root(test: &str) -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipping {test}: needs root (creating cgroups is privileged)");
    if let Some(path) = std::env::var_os("LAB_CHECK_SKIPPED") {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{test}");
        }
    }
    false
}

/// Makes `dir` look like a v2 cgroup to the backend: `cgroup.controllers` lists
/// `controllers`, and each of `files` exists, empty. (`HostSys` writes without truncating,
/// as cgroupfs wants, so an empty file ends up holding exactly what was written.)
pub fn fake_v2_cgroup(dir: &Path, controllers: &str, files: &[&str]) {
    std::fs::create_dir_all(dir).expect("create the fake cgroup directory");
    std::fs::write(dir.join("cgroup.controllers"), controllers).expect("write cgroup.controllers");
    for file in files {
        std::fs::write(dir.join(file), "").expect("create a fake interface file");
    }
}

/// The content of `dir/file`.
pub fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file))
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.join(file).display()))
        .trim()
        .to_string()
}

/// A real cgroup, removed on drop with the chapter's own code (`ch06_cgroups`), together with
/// anything inside it.
pub struct RealCgroup {
    pub lab: Box<dyn lab06_cgroups::CgroupManager>,
    reference: Box<dyn ch06_cgroups::CgroupManager>,
}

impl RealCgroup {
    /// Opens `minidocker/<name>` with your code, and refuses (panics) before creating anything
    /// unless it is where the chapter would put it. Then creates it.
    pub fn create(name: &str) -> Self {
        let reference = ch06_cgroups::open(name, &ch06_cgroups::CgroupParent::default())
            .expect("the chapter opens the cgroup");
        let hierarchy = lab06_cgroups::Hierarchy::detect().expect("detect the cgroup layout");
        let lab = lab06_cgroups::open_in(
            &hierarchy,
            name,
            &lab06_cgroups::CgroupParent::default(),
            lab06_cgroups::Waits::default(),
            std::sync::Arc::new(lab06_cgroups::HostSys),
        )
        .expect("open the cgroup");
        assert_eq!(
            lab.dirs(),
            reference.dirs(),
            "not creating anything: your Hierarchy (ex1) places the cgroup somewhere else than the chapter does"
        );
        let guard = RealCgroup { lab, reference };
        guard.lab.create().expect("create the cgroup");
        guard
    }
}

impl Drop for RealCgroup {
    fn drop(&mut self) {
        let cleanup = self.reference.kill_all().and_then(|()| self.reference.remove());
        if let Err(e) = cleanup {
            eprintln!("cleanup of the test cgroup failed: {e}");
        }
    }
}
