//! ex1: `Namespace::clone_flag` and `Namespace::proc_path`.

mod common;

use std::path::PathBuf;

use lab02_namespaces::{Namespace, clone_flags, unshare};
use nix::sched::CloneFlags;
use nix::unistd::Pid;

#[test]
fn ex1_each_kind_has_the_kernels_flag() {
    let expected = [
        (Namespace::User, libc::CLONE_NEWUSER),
        (Namespace::Pid, libc::CLONE_NEWPID),
        (Namespace::Uts, libc::CLONE_NEWUTS),
        (Namespace::Ipc, libc::CLONE_NEWIPC),
        (Namespace::Net, libc::CLONE_NEWNET),
        (Namespace::Cgroup, libc::CLONE_NEWCGROUP),
        (Namespace::Mount, libc::CLONE_NEWNS),
    ];
    for (ns, flag) in expected {
        assert_eq!(ns.clone_flag().bits(), flag, "the flag of {ns}");
    }
}

#[test]
fn ex1_flags_of_several_kinds_combine() {
    assert_eq!(clone_flags(&[]), CloneFlags::empty());
    assert_eq!(
        clone_flags(&[Namespace::Net, Namespace::Uts, Namespace::Net]),
        CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWUTS
    );
    assert_eq!(
        clone_flags(&Namespace::ALL).bits().count_ones(),
        7,
        "seven distinct flags"
    );
}

#[test]
fn ex1_proc_path_names_the_pid_and_the_file() {
    let pid = Pid::from_raw(42);
    assert_eq!(Namespace::Mount.proc_path(pid), PathBuf::from("/proc/42/ns/mnt"));
    assert_eq!(Namespace::Net.proc_path(pid), PathBuf::from("/proc/42/ns/net"));
    assert_eq!(
        Namespace::User.proc_path(Pid::from_raw(1)),
        PathBuf::from("/proc/1/ns/user")
    );
}

#[test]
fn ex1_proc_path_finds_the_files_of_a_live_process() {
    let me = Pid::this();
    for ns in Namespace::ALL {
        let path = ns.proc_path(me);
        assert!(path.exists(), "{} should exist for {ns}", path.display());
    }
}

#[test]
fn ex1_the_flags_create_namespaces_of_the_right_kinds() {
    if !common::is_root("ex1_the_flags_create_namespaces_of_the_right_kinds") {
        return;
    }
    // `unshare` is the chapter's, built on your `clone_flags` (and so on `clone_flag`).
    let mut child = common::spawn(|side| {
        unshare(&[Namespace::Uts, Namespace::Ipc])?;
        side.send("unshared")?;
        Ok(side.wait_for_parent()?)
    });
    assert_eq!(common::expect_line(&mut child), "unshared");
    let pid = child.pid();
    for (name, changed) in [("uts", true), ("ipc", true), ("net", false), ("mnt", false)] {
        let mine = common::inode(&format!("/proc/self/ns/{name}"));
        let its = common::inode(&format!("/proc/{pid}/ns/{name}"));
        assert_eq!(mine != its, changed, "is the child's {name} namespace new?");
    }
    common::expect_success(child);
}
