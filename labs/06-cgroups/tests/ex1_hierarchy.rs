//! ex1: the layout of the host, and the engine's own cgroup in each hierarchy.

use std::path::{Path, PathBuf};

use lab06_cgroups::{CgroupVersion, Controller, Hierarchy, Layout};

/// This machine, a hybrid host: every controller in a v1 hierarchy of its own, a cgroup2
/// mount with nothing useful at /sys/fs/cgroup/unified, and a memory cgroup that is not `/`.
const HYBRID_MOUNTINFO: &str = "\
23 1 0:21 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";
const HYBRID_CGROUP: &str = "\
9:name=systemd:/
8:pids:/
7:blkio:/
6:freezer:/
5:devices:/
4:memory:/process_api/b5b073e3c360de5599068fbcd67e5462
3:cpuset:/
2:cpuacct:/
1:cpu:/
0::/
";

/// A systemd host on cgroup v2.
const UNIFIED_MOUNTINFO: &str = "\
22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
28 22 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
";

fn parse(mountinfo: &str, cgroup: &str) -> Hierarchy {
    Hierarchy::parse(mountinfo, cgroup).expect("a valid mount table and /proc/self/cgroup")
}

#[test]
fn ex1_this_machines_hybrid_layout_is_v1() {
    let h = parse(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    assert_eq!(h.layout(), Some(Layout::Hybrid));
    assert_eq!(h.version().unwrap(), CgroupVersion::V1);
    let memory = h.v1_mount(Controller::Memory).expect("a memory hierarchy");
    assert_eq!(memory.mount_point, Path::new("/sys/fs/cgroup/memory"));
    assert_eq!(memory.controllers, ["memory"]);
    assert_eq!(
        h.v1.len(),
        9,
        "nine v1 hierarchies, name=systemd included: {:?}",
        h.v1
    );
    assert_eq!(
        h.unified.as_ref().map(|m| m.mount_point.clone()),
        Some(PathBuf::from("/sys/fs/cgroup/unified"))
    );
    assert_eq!(h.own_unified.as_deref(), Some("/"));
    assert_eq!(
        h.own_v1.get("memory").map(String::as_str),
        Some("/process_api/b5b073e3c360de5599068fbcd67e5462")
    );
    assert_eq!(h.own_v1.get("name=systemd").map(String::as_str), Some("/"));
}

#[test]
fn ex1_the_engines_cgroup_is_looked_up_per_controller() {
    let h = parse(HYBRID_MOUNTINFO, HYBRID_CGROUP);
    assert_eq!(
        h.own_v1_dir(Controller::Memory).unwrap(),
        Path::new("/sys/fs/cgroup/memory/process_api/b5b073e3c360de5599068fbcd67e5462")
    );
    assert_eq!(
        h.own_v1_dir(Controller::Cpu).unwrap(),
        Path::new("/sys/fs/cgroup/cpu")
    );
    assert_eq!(
        h.own_v1_dir(Controller::Pids).unwrap(),
        Path::new("/sys/fs/cgroup/pids")
    );
}

#[test]
fn ex1_a_unified_host_is_v2() {
    let h = parse(UNIFIED_MOUNTINFO, "0::/system.slice/minidocker.service\n");
    assert_eq!(h.layout(), Some(Layout::Unified));
    assert_eq!(h.version().unwrap(), CgroupVersion::V2);
    assert!(h.v1.is_empty(), "{:?}", h.v1);
    assert!(h.own_v1.is_empty(), "{:?}", h.own_v1);
    assert_eq!(
        h.own_v2_dir().unwrap(),
        Path::new("/sys/fs/cgroup/system.slice/minidocker.service")
    );
}

#[test]
fn ex1_a_named_hierarchy_alone_does_not_make_a_v1_host() {
    let mountinfo = format!(
        "{UNIFIED_MOUNTINFO}40 28 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
    );
    let h = parse(&mountinfo, "1:name=systemd:/\n0::/init.scope\n");
    assert_eq!(h.v1.len(), 1);
    assert_eq!(h.v1[0].controllers, ["name=systemd"]);
    assert_eq!(h.layout(), Some(Layout::Unified));
    assert_eq!(h.own_v2_dir().unwrap(), Path::new("/sys/fs/cgroup/init.scope"));
}

#[test]
fn ex1_a_legacy_host_with_co_mounted_controllers() {
    // cpu and cpuacct share one hierarchy, mounted twice (the second mount is ignored).
    let mountinfo = "\
30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
31 25 0:27 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
32 25 0:26 / /mnt/cpu-again rw,nosuid - cgroup cgroup rw,cpu,cpuacct
";
    let h = parse(
        mountinfo,
        "3:cpu,cpuacct:/user.slice\n2:pids:/user.slice/user-0.slice\n",
    );
    assert_eq!(h.layout(), Some(Layout::Legacy));
    assert_eq!(h.version().unwrap(), CgroupVersion::V1);
    assert_eq!(h.v1.len(), 2, "{:?}", h.v1);
    assert_eq!(h.v1[0].controllers, ["cpu", "cpuacct"]);
    assert_eq!(h.own_v1.get("cpuacct").map(String::as_str), Some("/user.slice"));
    let cpu = Path::new("/sys/fs/cgroup/cpu,cpuacct/user.slice");
    assert_eq!(h.own_v1_dir(Controller::Cpu).unwrap(), cpu);
    assert_eq!(h.own_v1_dir(Controller::Cpuacct).unwrap(), cpu);
    assert_eq!(
        h.own_v1_dir(Controller::Pids).unwrap(),
        Path::new("/sys/fs/cgroup/pids/user.slice/user-0.slice")
    );
    assert!(
        h.own_v1_dir(Controller::Memory).is_err(),
        "no memory hierarchy is mounted"
    );
}

#[test]
fn ex1_cgroup2_at_sys_fs_cgroup_is_preferred() {
    let mountinfo = "\
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 22 0:38 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw
51 22 0:38 / /mnt/elsewhere rw,relatime - cgroup2 cgroup2 rw
";
    let h = parse(mountinfo, "0::/a\n");
    assert_eq!(
        h.unified.as_ref().map(|m| m.mount_point.clone()),
        Some(PathBuf::from("/sys/fs/cgroup"))
    );
    assert_eq!(h.own_v2_dir().unwrap(), Path::new("/sys/fs/cgroup/a"));
}

#[test]
fn ex1_a_mount_that_starts_below_the_top_is_cut_at_its_root() {
    // A container's view: its own cgroup is the mount's root.
    let mountinfo = "50 40 0:26 /docker/abc /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
    let h = parse(mountinfo, "0::/docker/abc/inner\n");
    assert_eq!(h.own_v2_dir().unwrap(), Path::new("/sys/fs/cgroup/inner"));
    let h = parse(mountinfo, "0::/docker/abc\n");
    assert_eq!(h.own_v2_dir().unwrap(), Path::new("/sys/fs/cgroup"));
    // Whole components only: /docker/abcdef is not below /docker/abc.
    let outside = parse(mountinfo, "0::/docker/abcdef\n");
    assert!(outside.own_v2_dir().is_err(), "{:?}", outside.own_v2_dir());
    // A cgroup that was removed meanwhile.
    let deleted = parse(UNIFIED_MOUNTINFO, "0::/gone (deleted)\n");
    assert_eq!(deleted.own_v2_dir().unwrap(), Path::new("/sys/fs/cgroup/gone"));
}

#[test]
fn ex1_no_cgroup_filesystem_is_an_error_not_a_guess() {
    let h = parse("23 1 0:21 / / rw - ext4 /dev/vda rw\n", "");
    assert_eq!(h.layout(), None);
    assert!(h.version().is_err());
    assert!(
        Hierarchy::parse(HYBRID_MOUNTINFO, "4:memory\n").is_err(),
        "a line without a path"
    );
}

#[test]
fn ex1_this_host_agrees_with_the_chapter() {
    // Reads /proc/self/mountinfo and /proc/self/cgroup; writes nothing.
    let theirs = ch06_cgroups::Hierarchy::detect().expect("the chapter reads this host");
    let ours = Hierarchy::detect().expect("your code reads this host");
    let layout = |l: Option<Layout>| format!("{l:?}");
    assert_eq!(layout(ours.layout()), format!("{:?}", theirs.layout()));
    for (ours_c, theirs_c) in Controller::V1.iter().zip(ch06_cgroups::Controller::V1) {
        let want = theirs.own_v1_dir(theirs_c).ok();
        assert_eq!(ours.own_v1_dir(*ours_c).ok(), want, "{ours_c}");
    }
    assert_eq!(ours.own_v2_dir().ok(), theirs.own_v2_dir().ok());
}
