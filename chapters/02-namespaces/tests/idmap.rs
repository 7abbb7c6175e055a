//! User namespace id maps, written for real.

mod common;

use ch02_namespaces::{IdMapping, Namespace, NamespaceError, unshare};
use ch02_namespaces::{write_gid_map, write_uid_map};
use nix::unistd::{Gid, Pid, Uid, getgid, getuid, setgid, setuid};

const NOBODY: u32 = 65534;
const ROOT_IS_NOBODY: [IdMapping; 1] = [IdMapping {
    container_id: 0,
    host_id: NOBODY,
    size: 1,
}];

/// The real id on the `Uid:` or `Gid:` line of /proc/<pid>/status.
fn real_id(pid: Pid, key: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let line = text.lines().find(|l| l.starts_with(key)).expect("the key");
    line.split_whitespace().nth(1).expect("a value").to_string()
}

fn proc_file(pid: Pid, name: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{name}")).expect("proc file");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn uid_0_inside_is_65534_outside_when_the_parent_writes_the_map() {
    if !common::is_root("uid_0_inside_is_65534_outside_when_the_parent_writes_the_map") {
        return;
    }
    let mut child = common::spawn(|side| {
        unshare(&[Namespace::User])?;
        side.send("unshared")?;
        assert_eq!(side.recv()?.as_deref(), Some("mapped"));
        // Become root of the namespace, which the map says is 65534 outside.
        setgid(Gid::from_raw(0))?;
        setuid(Uid::from_raw(0))?;
        side.send(&format!("uid={} gid={}", getuid(), getgid()))?;
        side.wait_for_parent()?;
        Ok(())
    });
    assert_eq!(common::expect_line(&mut child), "unshared");
    let pid = child.pid();
    write_uid_map(pid, &ROOT_IS_NOBODY).expect("write uid_map");
    write_gid_map(pid, &ROOT_IS_NOBODY).expect("write gid_map");
    child.send("mapped").expect("tell the child");

    assert_eq!(common::expect_line(&mut child), "uid=0 gid=0", "root inside");
    assert_eq!(real_id(pid, "Uid:"), "65534", "nobody outside");
    assert_eq!(real_id(pid, "Gid:"), "65534");
    assert_eq!(proc_file(pid, "uid_map"), "0 65534 1");
    assert_eq!(proc_file(pid, "gid_map"), "0 65534 1");
    assert_eq!(
        proc_file(pid, "setgroups"),
        "allow",
        "a privileged writer must not deny"
    );
    common::expect_success(child);
}

#[test]
fn an_unprivileged_process_maps_itself_after_denying_setgroups() {
    if !common::is_root("an_unprivileged_process_maps_itself_after_denying_setgroups") {
        return;
    }
    let mut child = common::spawn(|side| {
        common::become_nobody()?;
        unshare(&[Namespace::User])?;
        write_uid_map(Pid::this(), &ROOT_IS_NOBODY)?;
        write_gid_map(Pid::this(), &ROOT_IS_NOBODY)?;
        let setgroups = std::fs::read_to_string("/proc/self/setgroups")?;
        side.send(&format!(
            "uid={} gid={} setgroups={}",
            getuid(),
            getgid(),
            setgroups.trim()
        ))?;
        side.wait_for_parent()?;
        Ok(())
    });
    let report = common::expect_line(&mut child);
    assert_eq!(report, "uid=0 gid=0 setgroups=deny");
    assert_eq!(real_id(child.pid(), "Uid:"), "65534");
    assert_eq!(proc_file(child.pid(), "gid_map"), "0 65534 1");
    common::expect_success(child);
}

#[test]
fn without_deny_the_kernel_refuses_an_unprivileged_gid_map() {
    if !common::is_root("without_deny_the_kernel_refuses_an_unprivileged_gid_map") {
        return;
    }
    // The rule write_gid_map follows is the kernel's: skip the deny and see EPERM.
    let mut child = common::spawn(|side| {
        common::become_nobody()?;
        unshare(&[Namespace::User])?;
        let result = std::fs::write("/proc/self/gid_map", "0 65534 1\n");
        side.send(&format!("{:?}", result.map_err(|e| e.kind())))?;
        Ok(())
    });
    assert_eq!(common::expect_line(&mut child), "Err(PermissionDenied)");
    common::expect_success(child);
}

#[test]
fn an_invalid_map_is_rejected_before_the_one_write_is_spent() {
    if !common::is_root("an_invalid_map_is_rejected_before_the_one_write_is_spent") {
        return;
    }
    let mut child = common::spawn(|side| {
        unshare(&[Namespace::User])?;
        side.send("unshared")?;
        side.wait_for_parent()?;
        Ok(())
    });
    assert_eq!(common::expect_line(&mut child), "unshared");
    let pid = child.pid();
    let overlapping = [
        IdMapping {
            container_id: 0,
            host_id: 100_000,
            size: 10,
        },
        IdMapping {
            container_id: 5,
            host_id: 200_000,
            size: 10,
        },
    ];
    let err = write_uid_map(pid, &overlapping).expect_err("overlap");
    assert!(matches!(err, NamespaceError::InvalidMapping { .. }), "{err}");
    assert_eq!(proc_file(pid, "uid_map"), "", "nothing was written");
    write_uid_map(pid, &ROOT_IS_NOBODY).expect("the single write is still available");
    assert_eq!(proc_file(pid, "uid_map"), "0 65534 1");
    let again = write_uid_map(pid, &ROOT_IS_NOBODY).expect_err("a map is written only once");
    assert!(
        again.to_string().starts_with(&format!(
            "write(2) of \"0 65534 1\\n\" to user namespace file /proc/{pid}/uid_map failed: EPERM"
        )),
        "{again}"
    );
    common::expect_success(child);
}
