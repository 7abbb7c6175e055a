//! ex2: `namespace_id_of_path` and `same_namespace`.

mod common;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use lab02_namespaces::{Namespace, NamespaceError, namespace_id_of_path, same_namespace};
use nix::unistd::Pid;

#[test]
fn ex2_a_namespace_is_the_device_and_inode_of_its_file() {
    for (name, ns) in [
        ("net", Namespace::Net),
        ("uts", Namespace::Uts),
        ("mnt", Namespace::Mount),
    ] {
        let path = format!("/proc/self/ns/{name}");
        let id = namespace_id_of_path(Path::new(&path), ns).expect("stat our own namespace file");
        let meta = std::fs::metadata(&path).expect("stat with std");
        assert_eq!((id.dev, id.inode), (meta.dev(), meta.ino()), "{path}");
    }
}

#[test]
fn ex2_a_missing_namespace_file_is_an_error_naming_it() {
    // PIDs are at most 2^22 on Linux, so this process cannot exist.
    let path = Path::new("/proc/2147483647/ns/net");
    let err = namespace_id_of_path(path, Namespace::Net).expect_err("no such process");
    assert!(matches!(err, NamespaceError::Stat { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("/proc/2147483647/ns/net"),
        "the message names the path: {msg}"
    );
}

/// A `sleep` started by the test, killed and reaped when dropped.
struct Sleeper(std::process::Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn ex2_a_process_shares_every_namespace_with_itself_and_a_plain_child() {
    let me = Pid::this();
    let sleeper = Sleeper(
        std::process::Command::new("sleep")
            .arg("10")
            .spawn()
            .expect("sleep"),
    );
    let child = Pid::from_raw(i32::try_from(sleeper.0.id()).expect("a pid fits in i32"));
    for ns in Namespace::ALL {
        assert!(
            same_namespace(me, me, ns).expect("compare with ourselves"),
            "{ns}"
        );
        assert!(
            same_namespace(me, child, ns).expect("compare with a child"),
            "{ns}"
        );
    }
}

#[test]
fn ex2_comparing_with_a_process_that_is_gone_is_an_error() {
    let gone = Pid::from_raw(i32::MAX);
    assert!(same_namespace(Pid::this(), gone, Namespace::Net).is_err());
    assert!(same_namespace(gone, Pid::this(), Namespace::Net).is_err());
}

#[test]
fn ex2_a_child_in_a_new_uts_namespace_is_told_apart() {
    if !common::is_root("ex2_a_child_in_a_new_uts_namespace_is_told_apart") {
        return;
    }
    let mut child = common::spawn(|side| {
        nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWUTS)?;
        side.send("unshared")?;
        Ok(side.wait_for_parent()?)
    });
    assert_eq!(common::expect_line(&mut child), "unshared");
    let (me, it) = (Pid::this(), child.pid());
    assert!(!same_namespace(me, it, Namespace::Uts).expect("compare uts"));
    for ns in [Namespace::Net, Namespace::Ipc, Namespace::Mount, Namespace::Pid] {
        assert!(
            same_namespace(me, it, ns).expect("compare"),
            "{ns} is still shared"
        );
    }
    common::expect_success(child);
}
