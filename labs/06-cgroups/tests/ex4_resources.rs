//! ex4: from Docker's flags to the numbers the kernel is given.

mod common;

use std::sync::Arc;

use lab06_cgroups::{CgroupManager, CgroupParent, CgroupV2, Controller, HostSys, PidsMax, Resources};

fn cpus(nano_cpus: i64) -> Resources {
    Resources {
        nano_cpus,
        ..Default::default()
    }
}

#[test]
fn ex4_cpus_become_a_quota_per_100ms_period() {
    assert_eq!(
        cpus(1_500_000_000).cfs_quota_and_period(),
        (Some(150_000), Some(100_000))
    );
    assert_eq!(
        cpus(500_000_000).cfs_quota_and_period(),
        (Some(50_000), Some(100_000))
    );
    assert_eq!(
        cpus(10_000_000).cfs_quota_and_period(),
        (Some(1000), Some(100_000))
    );
    assert_eq!(
        cpus(64_000_000_000).cfs_quota_and_period(),
        (Some(6_400_000), Some(100_000))
    );
    // nano_cpus * period does not fit an i64 here; the quota does.
    assert_eq!(
        cpus(i64::MAX).cfs_quota_and_period(),
        (Some(922_337_203_685_477), Some(100_000))
    );
}

#[test]
fn ex4_quota_and_period_pass_through_without_cpus() {
    let r = |cpu_quota, cpu_period| Resources {
        cpu_quota,
        cpu_period,
        ..Default::default()
    };
    assert_eq!(
        r(25_000, 50_000).cfs_quota_and_period(),
        (Some(25_000), Some(50_000))
    );
    assert_eq!(r(-1, 50_000).cfs_quota_and_period(), (Some(-1), Some(50_000)));
    assert_eq!(r(0, 50_000).cfs_quota_and_period(), (None, Some(50_000)));
    assert_eq!(r(30_000, 0).cfs_quota_and_period(), (Some(30_000), None));
    assert_eq!(r(0, -5).cfs_quota_and_period(), (None, None));
    assert_eq!(Resources::default().cfs_quota_and_period(), (None, None));
}

#[test]
fn ex4_a_pids_limit_of_zero_or_less_is_unlimited() {
    let p = |pids_limit| {
        Resources {
            pids_limit,
            ..Default::default()
        }
        .pids_max()
    };
    assert_eq!(p(None), None);
    assert_eq!(p(Some(16)), Some(PidsMax::Limit(16)));
    assert_eq!(p(Some(1)), Some(PidsMax::Limit(1)));
    assert_eq!(p(Some(0)), Some(PidsMax::Unlimited));
    assert_eq!(p(Some(-1)), Some(PidsMax::Unlimited));
}

#[test]
fn ex4_the_v2_backend_writes_what_you_computed() {
    // A v2 cgroup faked in a temporary directory: the backend reads cgroup.controllers and
    // writes the interface files; no kernel is involved.
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("minidocker/web");
    common::fake_v2_cgroup(&dir, "cpu pids", &["cpu.max", "cpu.weight", "pids.max"]);
    let cg = CgroupV2::new(
        tmp.path(),
        tmp.path(),
        "web",
        &CgroupParent::default(),
        Arc::new(HostSys),
    )
    .expect("place the cgroup");
    assert_eq!(cg.dir(), dir);
    cg.apply(&Resources {
        nano_cpus: 1_500_000_000,
        pids_limit: Some(16),
        ..Default::default()
    })
    .expect("apply --cpus 1.5 --pids-limit 16");
    assert_eq!(common::read(&dir, "cpu.max"), "150000 100000");
    assert_eq!(common::read(&dir, "pids.max"), "16");
    assert_eq!(
        common::read(&dir, "cpu.weight"),
        "",
        "no --cpu-shares: left alone"
    );

    let other = tmp.path().join("minidocker/db");
    common::fake_v2_cgroup(&other, "cpu pids", &["cpu.max", "pids.max"]);
    let cg = CgroupV2::new(
        tmp.path(),
        tmp.path(),
        "db",
        &CgroupParent::default(),
        Arc::new(HostSys),
    )
    .expect("place the cgroup");
    cg.apply(&Resources {
        cpu_quota: -1,
        cpu_period: 50_000,
        pids_limit: Some(0),
        ..Default::default()
    })
    .expect("apply --cpu-quota -1 --cpu-period 50000 --pids-limit 0");
    assert_eq!(common::read(&other, "cpu.max"), "max 50000");
    assert_eq!(common::read(&other, "pids.max"), "max");
}

#[test]
fn ex4_the_kernel_gets_the_quota_and_the_pids_limit() {
    if !common::is_root("ex4_the_kernel_gets_the_quota_and_the_pids_limit") {
        return;
    }
    // Computed before anything is created: an unwritten exercise stops the test here.
    let resources = Resources {
        nano_cpus: 500_000_000,
        pids_limit: Some(16),
        ..Default::default()
    };
    let (quota, period) = resources.cfs_quota_and_period();
    assert_eq!((quota, period), (Some(50_000), Some(100_000)));
    assert_eq!(resources.pids_max(), Some(PidsMax::Limit(16)));

    let t = common::RealCgroup::create(&format!("lab06-ex4-{}", std::process::id()));
    t.lab.apply(&resources).expect("apply --cpus 0.5 --pids-limit 16");
    let dir = |c: Controller| t.lab.controller_dir(c).expect("the controller is there");
    if t.lab.version() == lab06_cgroups::CgroupVersion::V1 {
        let cpu = dir(Controller::Cpu);
        assert_eq!(common::read(&cpu, "cpu.cfs_quota_us"), "50000");
        assert_eq!(common::read(&cpu, "cpu.cfs_period_us"), "100000");
    } else {
        assert_eq!(common::read(&dir(Controller::Cpu), "cpu.max"), "50000 100000");
    }
    assert_eq!(common::read(&dir(Controller::Pids), "pids.max"), "16");
}
