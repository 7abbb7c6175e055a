//! ex2: the exit code of a child, and the join-fork-wait of an exec.

mod common;

use ch02_namespaces::{Namespace, current_namespace_id, namespace_id};
use common::{Container, HOSTNAME, expect_line, spawn};
use lab08_exec::{ExecError, fork_child, run_joined, wait_exit_code};
use nix::unistd::{Pid, gethostname, getpid};

#[test]
fn ex2_the_exit_code_is_the_childs() {
    for code in [0, 3, 126] {
        // SAFETY: the body only returns a number.
        let child = unsafe { fork_child(move || code) }.expect("fork");
        assert_eq!(wait_exit_code(child).expect("wait"), code);
    }
}

#[test]
fn ex2_a_child_killed_by_a_signal_is_128_plus_its_number() {
    // SAFETY: the body only calls raise(3), which is async-signal-safe.
    let child = unsafe {
        fork_child(|| {
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            0
        })
    }
    .expect("fork");
    assert_eq!(wait_exit_code(child).expect("wait"), 128 + 9);
}

#[test]
fn ex2_waiting_for_a_process_that_is_not_ours_names_it() {
    let err = wait_exit_code(Pid::from_raw(1)).expect_err("PID 1 is not our child");
    assert!(
        matches!(err, ExecError::Wait { pid, source: nix::errno::Errno::ECHILD } if pid.as_raw() == 1),
        "{err:?}"
    );
}

#[test]
fn ex2_run_joined_runs_the_body_inside_the_container_and_returns_its_code() {
    if !common::is_root("ex2_run_joined_runs_the_body_inside_the_container_and_returns_its_code") {
        return;
    }
    let container = Container::start();
    let init = container.init;
    let mut joiner = spawn(move |side| {
        // SAFETY: this forked child is single-threaded (the tests run one at a time).
        let code = unsafe {
            run_joined(init, || {
                let host = gethostname().map(|h| h.to_string_lossy().into_owned());
                let net = namespace_id(init, Namespace::Net)
                    .and_then(|theirs| Ok(theirs == current_namespace_id(Namespace::Net)?));
                match (host, net) {
                    (Ok(host), Ok(net)) => {
                        let _ = side.send(&format!("pid {} hostname {host} net {net}", getpid()));
                        42
                    }
                    _ => 1,
                }
            })
        }?;
        side.send(&format!("exit {code}"))?;
        Ok(())
    });
    // the init is 1 in there: the joined child is the next process, 2
    assert_eq!(
        expect_line(&mut joiner),
        format!("pid 2 hostname {HOSTNAME} net true")
    );
    assert_eq!(expect_line(&mut joiner), "exit 42");
    drop(container);
}
