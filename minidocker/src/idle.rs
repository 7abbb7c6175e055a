//! Work nobody waits for runs at idle priority.
//!
//! Two things the daemon does are for later, not for the request in hand: starting the next
//! spare shim (`spare_shim.rs`) and deleting what is in the trash (`trash.rs`). Each takes a
//! millisecond or two of CPU right when a container has just started or been removed, and on a
//! machine with two cores that is time taken from the container's own start, its shim's exit
//! and the answer to `docker run --rm`. Under the `SCHED_IDLE` policy (sched(7)) a thread runs
//! only when nothing else wants the CPU: the work still gets done, a moment later.
//!
//! A policy passes to the processes a thread starts, through fork(2) and execve(2): a spare
//! shim started by an idle thread is idle too, until the daemon hands it a container and
//! raises it back to `SCHED_OTHER`, the normal policy, as it does so ([`leave_idle`]).

use std::io;

// ANCHOR: set_policy
/// sched_setscheduler(2): `pid` (0: the calling thread) to `policy`, static priority 0 (the
/// only one `SCHED_OTHER` and `SCHED_IDLE` have).
fn set_policy(pid: libc::pid_t, policy: libc::c_int) -> io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler(2) reads the one `sched_param` we pass, which outlives the call.
    let rc = unsafe { libc::sched_setscheduler(pid, policy, &param) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
// ANCHOR_END: set_policy

/// The calling thread to `SCHED_IDLE`, and every process it starts from now on.
pub fn make_this_thread_idle() -> io::Result<()> {
    set_policy(0, libc::SCHED_IDLE)
}

/// `pid` (0: the calling thread) back to `SCHED_OTHER`. Leaving `SCHED_IDLE` needs
/// `CAP_SYS_NICE` or an `RLIMIT_NICE` that allows it: the daemon (root) has it.
pub fn leave_idle(pid: libc::pid_t) -> io::Result<()> {
    set_policy(pid, libc::SCHED_OTHER)
}

/// A thread named `name` that runs `work` at idle priority (at the normal one, said in the
/// debug log, where the policy cannot be set).
pub fn spawn_idle<F>(name: &str, work: F) -> io::Result<std::thread::JoinHandle<()>>
where
    F: FnOnce() + Send + 'static,
{
    std::thread::Builder::new().name(name.into()).spawn(move || {
        if let Err(e) = make_this_thread_idle() {
            tracing::debug!(error = %e, thread = %std::thread::current().name().unwrap_or(""), "running at idle priority");
        }
        work()
    })
}

/// sched_getscheduler(2) of `pid` (0: the calling thread).
pub fn policy_of(pid: libc::pid_t) -> io::Result<libc::c_int> {
    // SAFETY: sched_getscheduler(2) takes a pid and touches no memory of ours.
    let policy = unsafe { libc::sched_getscheduler(pid) };
    if policy < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_thread_starts_idle_processes_and_they_can_be_raised_back() {
        // a thread of its own: the test harness's other threads keep their policy
        std::thread::spawn(|| {
            assert_eq!(policy_of(0).unwrap(), libc::SCHED_OTHER);
            make_this_thread_idle().unwrap();
            assert_eq!(policy_of(0).unwrap(), libc::SCHED_IDLE);
            let mut child = std::process::Command::new("sleep").arg("30").spawn().unwrap();
            let pid = child.id() as libc::pid_t;
            assert_eq!(
                policy_of(pid).unwrap(),
                libc::SCHED_IDLE,
                "inherited through fork and exec"
            );
            let raised = leave_idle(pid);
            let after = policy_of(pid);
            child.kill().unwrap();
            child.wait().unwrap();
            if nix::unistd::geteuid().is_root() {
                raised.unwrap();
                assert_eq!(after.unwrap(), libc::SCHED_OTHER);
            }
        })
        .join()
        .unwrap();
        // the test's own thread was never touched
        assert_eq!(policy_of(0).unwrap(), libc::SCHED_OTHER);
    }

    #[test]
    fn a_process_that_is_not_there_is_an_error() {
        // pid_max is at most 2^22: this one cannot exist
        let err = leave_idle(1 << 23).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ESRCH));
    }
}
