//! Privileged: joining a running "container" (a process in new namespaces) the way an exec
//! does, and seeing what the exec'd process sees.

mod common;

use ch02_namespaces::{Namespace, current_namespace_id, namespace_id};
use ch08_exec::{ExecError, join_container, run_joined};
use common::{Container, HOSTNAME, expect_line, spawn};
use nix::unistd::{Pid, gethostname, getpid};

/// "pid=true uts=true …": whether the calling process is in `target`'s namespace of each kind
/// (the host's /proc is still mounted in the test container, so `target` is found there).
fn sharing(target: Pid) -> Result<String, ch02_namespaces::NamespaceError> {
    let mut words = Vec::new();
    for ns in [
        Namespace::Pid,
        Namespace::Uts,
        Namespace::Ipc,
        Namespace::Net,
        Namespace::Mount,
    ] {
        words.push(format!(
            "{ns}={}",
            namespace_id(target, ns)? == current_namespace_id(ns)?
        ));
    }
    Ok(words.join(" "))
}

#[test]
fn the_joined_child_is_in_every_namespace_of_the_container_with_a_small_pid() {
    if !common::is_root("the_joined_child_is_in_every_namespace_of_the_container_with_a_small_pid") {
        return;
    }
    let container = Container::start();
    let init = container.init;
    let mut joiner = spawn(move |side| {
        // SAFETY: this forked child is single-threaded.
        let code = unsafe {
            run_joined(init, || {
                let report = (|| -> common::ChildResult {
                    let host = gethostname()?.to_string_lossy().into_owned();
                    side.send(&format!("pid {} hostname {host}", getpid()))?;
                    side.send(&sharing(init)?)?;
                    Ok(())
                })();
                if report.is_ok() { 7 } else { 1 }
            })
        }?;
        // the joiner itself joined too, but kept its PID: its own pid namespace is the host's
        side.send(&format!("exit {code}"))?;
        side.send(&format!(
            "joiner pid_for_children={} pid={}",
            namespace_id(init, Namespace::Pid)?
                == ch02_namespaces::namespace_id_of_path(
                    std::path::Path::new("/proc/self/ns/pid_for_children"),
                    Namespace::Pid
                )?,
            namespace_id(init, Namespace::Pid)? == current_namespace_id(Namespace::Pid)?
        ))?;
        Ok(())
    });
    // the init is 1 in its namespace, the exec'd process the next one
    assert_eq!(expect_line(&mut joiner), format!("pid 2 hostname {HOSTNAME}"));
    assert_eq!(
        expect_line(&mut joiner),
        "pid=true uts=true ipc=true net=true mnt=true"
    );
    assert_eq!(expect_line(&mut joiner), "exit 7");
    assert_eq!(expect_line(&mut joiner), "joiner pid_for_children=true pid=false");
    assert_eq!(joiner.wait().expect("the joiner's status"), 0);
    drop(container);
}

#[test]
fn joining_a_process_that_is_gone_names_it() {
    if !common::is_root("joining_a_process_that_is_gone_names_it") {
        return;
    }
    let container = Container::start();
    let init = container.init;
    drop(container);
    // the init is killed, its parent too; wait until it is reaped and /proc says so
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::path::Path::new(&format!("/proc/{init}")).exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "process {init} is still in /proc 30 s after it was killed"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let mut joiner = spawn(move |side| {
        let err = join_container(init).expect_err("nothing to join");
        let named = matches!(&err, ExecError::ReadCgroups { pid, .. } if *pid == init);
        side.send(&format!("{named} {err}"))?;
        Ok(())
    });
    let line = expect_line(&mut joiner);
    assert!(
        line.starts_with(&format!(
            "true reading the cgroups of process {init} (/proc/{init}/cgroup): "
        )),
        "{line}"
    );
}
