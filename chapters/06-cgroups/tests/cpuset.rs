//! Privileged: `--cpuset-cpus` pins the container's processes; the kernel shows it in
//! `/proc/<pid>/status`.

mod common;

use ch06_cgroups::cpulist::{format_list, parse_list};
use ch06_cgroups::{Controller, HostInfo, HostSys, Resources};
use common::TestCgroup;

fn status_line(pid: nix::unistd::Pid, key: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/<pid>/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} in /proc/{pid}/status"))
        .trim()
        .to_string()
}

#[test]
fn cpuset_pinning_shows_in_cpus_allowed_list() {
    let Some(mut t) = TestCgroup::create("cpuset") else {
        return;
    };
    let hierarchy = ch06_cgroups::Hierarchy::detect().unwrap();
    let host = HostInfo::detect(&hierarchy, &HostSys).unwrap();
    let available = parse_list(&host.cpus, 0).unwrap();
    // The highest CPU: on a multi-CPU host that differs from "all of them".
    let cpu = *available.iter().max().expect("at least one CPU");
    let mem = *parse_list(&host.mems, 0)
        .unwrap()
        .iter()
        .min()
        .expect("a memory node");

    // Before any setting, the new cpuset has its parent's CPUs (v1 copies them at create).
    let pid = t.spawn_sleeper();
    assert_eq!(status_line(pid, "Cpus_allowed_list:"), format_list(&available));

    t.cg.apply(&Resources {
        cpuset_cpus: cpu.to_string(),
        cpuset_mems: mem.to_string(),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(t.read(Controller::Cpuset, "cpuset.cpus"), cpu.to_string());
    assert_eq!(status_line(pid, "Cpus_allowed_list:"), cpu.to_string());
    assert_eq!(status_line(pid, "Mems_allowed_list:"), mem.to_string());

    // A process started afterwards is pinned from the start.
    let later = t.spawn_sleeper();
    assert_eq!(status_line(later, "Cpus_allowed_list:"), cpu.to_string());
}
