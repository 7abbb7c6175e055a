//! Namespace identity: the same inode means the same namespace.

mod common;

use ch02_namespaces::{Namespace, current_namespace_id, namespace_id, same_namespace, unshare};
use nix::unistd::Pid;

#[test]
fn a_process_is_in_the_same_namespaces_as_itself() {
    let me = Pid::this();
    for ns in Namespace::ALL {
        assert!(same_namespace(me, me, ns).expect("compare"), "{ns}");
        assert_eq!(
            namespace_id(me, ns).expect("own id"),
            current_namespace_id(ns).expect("thread's id"),
            "{ns}: a test thread is in its process's namespaces"
        );
    }
}

#[test]
fn unshare_net_in_a_child_gives_it_a_different_net_namespace_only() {
    if !common::is_root("unshare_net_in_a_child_gives_it_a_different_net_namespace_only") {
        return;
    }
    let mut child = common::spawn(|side| {
        unshare(&[Namespace::Net])?;
        side.send("unshared")?;
        Ok(side.wait_for_parent()?)
    });
    assert_eq!(common::expect_line(&mut child), "unshared");

    let (me, it) = (Pid::this(), child.pid());
    assert!(!same_namespace(me, it, Namespace::Net).expect("compare net"));
    for ns in [Namespace::Uts, Namespace::Ipc, Namespace::Mount, Namespace::User] {
        assert!(
            same_namespace(me, it, ns).expect("compare"),
            "{ns} is still shared"
        );
    }
    common::expect_success(child);
}

#[test]
fn a_child_that_unshared_sees_its_new_namespace_as_current() {
    if !common::is_root("a_child_that_unshared_sees_its_new_namespace_as_current") {
        return;
    }
    let host = current_namespace_id(Namespace::Ipc).expect("host ipc").inode;
    let mut child = common::spawn(|side| {
        unshare(&[Namespace::Ipc])?;
        let id = current_namespace_id(Namespace::Ipc)?;
        side.send(&id.inode.to_string())?;
        Ok(side.wait_for_parent()?)
    });
    let reported: u64 = common::expect_line(&mut child).parse().expect("an inode");
    assert_ne!(reported, host);
    let seen = namespace_id(child.pid(), Namespace::Ipc)
        .expect("child's ipc")
        .inode;
    assert_eq!(reported, seen, "inside and outside agree on the inode");
    common::expect_success(child);
}
