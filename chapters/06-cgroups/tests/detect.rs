//! This host, as the chapter sees it: the layout is detected (a hybrid host is v1), the
//! engine's own cgroups are found, and the host's limits feed Docker's validation.
//! Reading /proc and /sys needs no root; nothing is written.

use ch06_cgroups::{CgroupVersion, Controller, Hierarchy, HostInfo, HostSys, Layout, Resources, validate};

#[test]
fn the_layout_is_detected_and_hybrid_means_v1() {
    let Ok(hierarchy) = Hierarchy::detect() else {
        eprintln!("skipping: /proc is not readable");
        return;
    };
    let Some(layout) = hierarchy.layout() else {
        eprintln!("skipping: no cgroup filesystem mounted");
        return;
    };
    match layout {
        Layout::Hybrid | Layout::Legacy => {
            assert_eq!(hierarchy.version().unwrap(), CgroupVersion::V1);
            // Every mounted controller has an own-cgroup directory that exists.
            for controller in Controller::V1 {
                if hierarchy.v1_mount(controller).is_some() {
                    let dir = hierarchy.own_v1_dir(controller).unwrap();
                    assert!(dir.is_dir(), "{controller}: {}", dir.display());
                }
            }
        }
        Layout::Unified => {
            assert_eq!(hierarchy.version().unwrap(), CgroupVersion::V2);
            assert!(hierarchy.own_v2_dir().unwrap().is_dir());
        }
    }
}

#[test]
fn the_hosts_cpus_bound_dockers_checks() {
    let Ok(hierarchy) = Hierarchy::detect() else {
        return;
    };
    if hierarchy.layout().is_none() {
        return;
    }
    let host = HostInfo::detect(&hierarchy, &HostSys).unwrap();
    let n = host.ncpu;
    assert!(n >= 1);
    let too_many = Resources {
        nano_cpus: (i64::from(n) + 1) * 1_000_000_000,
        ..Default::default()
    };
    assert_eq!(
        validate(&too_many, &host, false).unwrap_err().to_string(),
        format!("Range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available")
    );
    if host.cpuset {
        let absent = Resources {
            cpuset_cpus: "8000".into(),
            ..Default::default()
        };
        assert_eq!(
            validate(&absent, &host, false).unwrap_err().to_string(),
            format!(
                "Requested CPUs are not available - requested 8000, available: {}",
                host.cpus
            )
        );
        let all = Resources {
            cpuset_cpus: host.cpus.clone(),
            ..Default::default()
        };
        validate(&all, &host, false).unwrap();
    }
}
