//! ex1: which cgroup directories an exec writes itself into, from two `/proc/<pid>/cgroup`s.

use std::path::PathBuf;

use ch06_cgroups::Hierarchy;
use lab08_exec::cgroup::cgroups_to_join;

/// A hybrid host: v1 controllers, `cpu` and `cpuacct` in one hierarchy, systemd's named
/// hierarchy and an empty cgroup2 mount.
const HYBRID: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

const V2: &str = "30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";

fn dirs(mountinfo: &str, ours: &str, theirs: &str) -> Vec<PathBuf> {
    let ours = Hierarchy::parse(mountinfo, ours).expect("our cgroups");
    let theirs = Hierarchy::parse(mountinfo, theirs).expect("their cgroups");
    cgroups_to_join(&ours, &theirs).expect("the directories")
}

#[test]
fn ex1_a_container_in_its_own_cgroups_is_joined_in_each_hierarchy_once() {
    let ours = "6:name=systemd:/\n5:pids:/\n4:memory:/\n3:cpuset:/\n2:cpu,cpuacct:/\n0::/\n";
    let theirs = "6:name=systemd:/\n5:pids:/md/abc\n4:memory:/md/abc\n3:cpuset:/md/abc\n\
                  2:cpu,cpuacct:/md/abc\n0::/\n";
    let mut got = dirs(HYBRID, ours, theirs);
    got.sort();
    // cpu,cpuacct once; systemd's and the unified hierarchy are the same for both: left alone
    assert_eq!(
        got,
        [
            "/sys/fs/cgroup/cpu,cpuacct/md/abc",
            "/sys/fs/cgroup/cpuset/md/abc",
            "/sys/fs/cgroup/memory/md/abc",
            "/sys/fs/cgroup/pids/md/abc",
        ]
        .map(PathBuf::from)
    );
}

#[test]
fn ex1_only_the_hierarchies_that_differ_are_joined() {
    let ours = "5:pids:/a\n4:memory:/a\n3:cpuset:/\n2:cpu,cpuacct:/a\n0::/x\n";
    let theirs = "5:pids:/a\n4:memory:/b\n3:cpuset:/\n2:cpu,cpuacct:/a\n0::/x\n";
    assert_eq!(
        dirs(HYBRID, ours, theirs),
        [PathBuf::from("/sys/fs/cgroup/memory/b")]
    );
    // the same cgroups everywhere: nothing to write
    assert!(dirs(HYBRID, ours, ours).is_empty());
}

#[test]
fn ex1_on_cgroup_v2_the_unified_cgroup_is_joined() {
    assert_eq!(
        dirs(V2, "0::/user.slice/session-1.scope\n", "0::/minidocker/abc\n"),
        [PathBuf::from("/sys/fs/cgroup/minidocker/abc")]
    );
    assert!(dirs(V2, "0::/a\n", "0::/a\n").is_empty());
}

#[test]
fn ex1_a_controller_that_is_not_mounted_is_left_out() {
    // blkio appears in /proc/<pid>/cgroup but no mount carries it here
    let ours = "7:blkio:/\n5:pids:/\n0::/\n";
    let theirs = "7:blkio:/md/abc\n5:pids:/md/abc\n0::/\n";
    assert_eq!(
        dirs(HYBRID, ours, theirs),
        [PathBuf::from("/sys/fs/cgroup/pids/md/abc")]
    );
}
