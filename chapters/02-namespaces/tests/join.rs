//! Joining the namespaces of another process with setns(2).
//!
//! Each test forks a "container" child that unshares some namespaces and waits, then a
//! second child that joins them and reports what it sees.

mod common;

use std::path::Path;

use ch02_namespaces::{IdMapping, Namespace, PidFd, join, join_all, join_by_pidfd, join_path};
use ch02_namespaces::{same_namespace, set_hostname, unshare, write_gid_map, write_uid_map};
use nix::unistd::{Pid, gethostname};

/// A child in new `namespaces` (hostname `ch02-join` if uts is among them), waiting.
fn container(namespaces: &'static [Namespace]) -> ch02_namespaces::ForkedChild {
    let mut child = common::spawn(move |side| {
        unshare(namespaces)?;
        if namespaces.contains(&Namespace::Uts) {
            set_hostname("ch02-join")?;
        }
        side.send("ready")?;
        Ok(side.wait_for_parent()?)
    });
    assert_eq!(common::expect_line(&mut child), "ready");
    child
}

/// "net=true uts=false": whether the calling process shares each kind with `target`.
fn sharing(target: Pid, kinds: &[Namespace]) -> Result<String, ch02_namespaces::NamespaceError> {
    let mut words = Vec::new();
    for &ns in kinds {
        words.push(format!("{ns}={}", same_namespace(Pid::this(), target, ns)?));
    }
    Ok(words.join(" "))
}

#[test]
fn join_puts_a_second_child_into_the_first_ones_net_namespace() {
    if !common::is_root("join_puts_a_second_child_into_the_first_ones_net_namespace") {
        return;
    }
    let first = container(&[Namespace::Net]);
    let target = first.pid();
    let mut second = common::spawn(move |side| {
        let before = sharing(target, &[Namespace::Net])?;
        join(target, Namespace::Net)?;
        side.send(&format!("{before} -> {}", sharing(target, &[Namespace::Net])?))?;
        Ok(side.wait_for_parent()?)
    });
    assert_eq!(common::expect_line(&mut second), "net=false -> net=true");
    assert!(same_namespace(second.pid(), target, Namespace::Net).expect("compare"));
    assert!(!same_namespace(Pid::this(), second.pid(), Namespace::Net).expect("compare"));
    common::expect_success(second);
    common::expect_success(first);
}

#[test]
fn join_by_pidfd_enters_net_and_uts_in_one_call() {
    if !common::is_root("join_by_pidfd_enters_net_and_uts_in_one_call") {
        return;
    }
    let first = container(&[Namespace::Net, Namespace::Uts]);
    let target = first.pid();
    let mut second = common::spawn(move |side| {
        let pidfd = PidFd::open(target)?;
        join_by_pidfd(&pidfd, &[Namespace::Net, Namespace::Uts])?;
        let host = gethostname()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_default();
        let kinds = [Namespace::Net, Namespace::Uts, Namespace::Mount];
        side.send(&format!("{} hostname={host}", sharing(target, &kinds)?))?;
        Ok(side.wait_for_parent()?)
    });
    let report = common::expect_line(&mut second);
    assert_eq!(report, "net=true uts=true mnt=true hostname=ch02-join");
    common::expect_success(second);
    common::expect_success(first);
}

#[test]
fn join_all_enters_every_namespace_and_skips_the_shared_ones() {
    if !common::is_root("join_all_enters_every_namespace_and_skips_the_shared_ones") {
        return;
    }
    // user, pid and cgroup stay shared with the test: join_all must skip them, since
    // setns(2) into one's own user namespace is EINVAL.
    let first = container(&[Namespace::Mount, Namespace::Uts, Namespace::Ipc, Namespace::Net]);
    let target = first.pid();
    let mut second = common::spawn(move |side| {
        join_all(target, &Namespace::ALL)?;
        side.send(&sharing(target, &Namespace::ALL)?)?;
        Ok(side.wait_for_parent()?)
    });
    let report = common::expect_line(&mut second);
    let all_true = "user=true pid=true uts=true ipc=true net=true cgroup=true mnt=true";
    assert_eq!(report, all_true);
    common::expect_success(second);
    common::expect_success(first);
}

#[test]
fn join_all_enters_a_user_namespace_before_the_namespaces_it_owns() {
    if !common::is_root("join_all_enters_a_user_namespace_before_the_namespaces_it_owns") {
        return;
    }
    // A rootless container: nobody unshares user + net and maps itself to root inside.
    let mut first = common::spawn(|side| {
        common::become_nobody()?;
        unshare(&[Namespace::User, Namespace::Net])?;
        let root = [IdMapping {
            container_id: 0,
            host_id: 65534,
            size: 1,
        }];
        write_uid_map(Pid::this(), &root)?;
        write_gid_map(Pid::this(), &root)?;
        side.send("ready")?;
        Ok(side.wait_for_parent()?)
    });
    assert_eq!(common::expect_line(&mut first), "ready");
    let target = first.pid();
    // Another process of nobody joins it. It has no capabilities on the host, so setns(2)
    // into the net namespace works only *after* joining the user namespace that owns it:
    // asked in the "wrong" order, join_all must still use JOIN_ORDER.
    let mut second = common::spawn(move |side| {
        common::become_nobody()?;
        join_all(target, &[Namespace::Net, Namespace::User])?;
        side.send(&sharing(target, &[Namespace::User, Namespace::Net])?)?;
        Ok(side.wait_for_parent()?)
    });
    assert_eq!(common::expect_line(&mut second), "user=true net=true");
    common::expect_success(second);
    common::expect_success(first);
}

#[test]
fn net_before_user_is_refused_for_an_unprivileged_joiner() {
    if !common::is_root("net_before_user_is_refused_for_an_unprivileged_joiner") {
        return;
    }
    // The counter-proof of the test above: the same join in the other order fails.
    let mut first = common::spawn(|side| {
        common::become_nobody()?;
        unshare(&[Namespace::User, Namespace::Net])?;
        side.send("ready")?;
        Ok(side.wait_for_parent()?)
    });
    assert_eq!(common::expect_line(&mut first), "ready");
    let target = first.pid();
    let mut second = common::spawn(move |side| {
        common::become_nobody()?;
        let result = join(target, Namespace::Net);
        Ok(side.send(&result.map_or_else(|e| e.to_string(), |()| "joined".into()))?)
    });
    let expected =
        format!("setns(2) into net namespace /proc/{target}/ns/net failed: EPERM: Operation not permitted");
    assert_eq!(common::expect_line(&mut second), expected);
    common::expect_success(second);
    common::expect_success(first);
}

#[test]
fn join_path_checks_the_namespace_kind() {
    if !common::is_root("join_path_checks_the_namespace_kind") {
        return;
    }
    let mut child = common::spawn(|side| {
        let wrong = join_path(Path::new("/proc/self/ns/uts"), Namespace::Net);
        Ok(side.send(&wrong.map_or_else(|e| e.to_string(), |()| "joined".into()))?)
    });
    assert_eq!(
        common::expect_line(&mut child),
        "setns(2) into net namespace /proc/self/ns/uts failed: EINVAL: Invalid argument"
    );
    common::expect_success(child);
}

#[test]
fn joining_a_process_that_is_gone_names_the_file() {
    if !common::is_root("joining_a_process_that_is_gone_names_the_file") {
        return;
    }
    let gone = common::spawn(|_| Ok(()));
    let pid = gone.pid();
    assert_eq!(gone.wait().expect("wait"), 0);
    // Still in a child: should the pid have been reused, only the child changes namespaces.
    let mut child = common::spawn(move |side| {
        let result = join_all(pid, &[Namespace::Net]);
        Ok(side.send(&result.map_or_else(|e| e.to_string(), |()| "joined".into()))?)
    });
    assert_eq!(
        common::expect_line(&mut child),
        format!("open(2) of net namespace /proc/{pid}/ns/net failed: ENOENT: No such file or directory")
    );
    common::expect_success(child);
}
