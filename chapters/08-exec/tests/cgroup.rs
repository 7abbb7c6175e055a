//! Privileged: an exec joins the container's cgroups, so the container's limits count it.
//!
//! The test cgroup is `minidocker/ch08-test-<pid>` under this process's own cgroup in each
//! hierarchy (chapter 6's placement), made by the test, and removed by its guard after every
//! process in it is killed, even when the test fails. Nothing else is written to.

mod common;

use ch06_cgroups::{CgroupManager, CgroupParent, Hierarchy, HostSys, Waits, open_in};
use ch08_exec::cgroup::join_cgroups;
use common::{Container, expect_line, spawn};

/// The test's cgroup: killed and removed on drop.
struct TestCgroup(Box<dyn CgroupManager>);

impl TestCgroup {
    fn create() -> TestCgroup {
        let hierarchy = Hierarchy::detect().expect("detect the cgroup layout");
        let name = format!("ch08-test-{}", std::process::id());
        let cg = open_in(
            &hierarchy,
            &name,
            &CgroupParent::default(),
            Waits::default(),
            std::sync::Arc::new(HostSys),
        )
        .expect("open the test cgroup");
        let guard = TestCgroup(cg);
        guard.0.create().expect("create the test cgroup");
        guard
    }
}

impl Drop for TestCgroup {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill_all().and_then(|()| self.0.remove()) {
            eprintln!("cleanup of the test cgroup failed: {e}");
        }
    }
}

#[test]
fn the_joiner_ends_up_in_the_containers_cgroups() {
    if !common::is_root("the_joiner_ends_up_in_the_containers_cgroups") {
        return;
    }
    let cgroup = TestCgroup::create();
    let container = Container::start();
    let init = container.init;
    cgroup
        .0
        .add_process(init)
        .expect("put the init in the test cgroup");
    let mut joiner = spawn(move |side| {
        let joined = join_cgroups(init)?;
        side.send(&joined.len().to_string())?;
        let ours = std::fs::read_to_string("/proc/self/cgroup")?;
        let theirs = std::fs::read_to_string(format!("/proc/{init}/cgroup"))?;
        side.send(&(ours == theirs).to_string())?;
        side.wait_for_parent()?;
        Ok(())
    });
    let joined: usize = expect_line(&mut joiner).parse().expect("a count");
    // one directory per hierarchy the cgroup has (a v1 host: cpu and cpuacct may share one)
    let mut dirs = cgroup.0.dirs();
    dirs.dedup();
    assert_eq!(joined, dirs.len(), "{dirs:?}");
    assert_eq!(expect_line(&mut joiner), "true");
    // the cgroup sees both processes now
    let pids = cgroup.0.pids().expect("the cgroup's pids");
    assert!(pids.contains(&init), "{pids:?}");
    assert!(pids.contains(&joiner.pid()), "{pids:?}");
    joiner.release();
    assert_eq!(joiner.wait().expect("the joiner's status"), 0);
    drop(container);
    drop(cgroup);
}
