//! The shim: one process per container started by the daemon, the parent of its init.
//!
//! ```text
//!  daemon ──spawn (setsid)──▶ minidocker shim <id> ──clone──▶ container init
//!                               │ fork            stdout, stderr pipes ◀── fd 1, 2
//!                               └▶ log copier ──▶ <id>-json.log (json-file)
//! ```
//!
//! It runs the container exactly as `minidocker run` does in the foreground (the engine's
//! `start_created`: cgroup, network, supervise, exit recorded), with the container's output
//! going to its json-file log instead of a terminal. It does not depend on the daemon: the
//! daemon can die and come back, the shim keeps its container and records how it ends. It
//! ends only once the container's last output is in the log; the daemon, which reaps it,
//! then removes a `--rm` container. It also carries out the restart policy (`--restart`):
//! the container runs again, after a delay, as long as the policy says so.

use std::os::fd::OwnedFd;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::engine::Engine;
use crate::logs::{LogWriter, Stream, log_path};

// ANCHOR: capture
/// The process that copies the container's output into its log. It is a child of the shim,
/// forked before anything else runs, so that the shim stays single-threaded: the shim
/// clone(2)s the container's init, and a clone of a multi-threaded process may inherit a
/// lock (malloc's, say) that another thread held at that instant and wait on it forever.
#[derive(Debug)]
struct LogCopier {
    pid: nix::unistd::Pid,
}

/// Makes fd 1 and 2 the write ends of two pipes the copier reads into the log at `path`.
fn start_log_copier(path: &Path) -> Result<LogCopier> {
    let pipe = || nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).context("pipe2(2)");
    let (out_read, out_write): (OwnedFd, OwnedFd) = pipe()?;
    let (err_read, err_write): (OwnedFd, OwnedFd) = pipe()?;
    let writer = LogWriter::create(path).context("opening the container's log")?;
    // SAFETY: the shim has started no thread yet (Engine::open and the pipes above start
    // none), so the child may run any code.
    match unsafe { nix::unistd::fork() }.context("fork(2)")? {
        nix::unistd::ForkResult::Child => {
            drop((out_write, err_write));
            let copy = |stream: Stream, read: OwnedFd| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    let _ = writer.copy_from(stream, std::fs::File::from(read));
                })
            };
            let copiers = [copy(Stream::Stdout, out_read), copy(Stream::Stderr, err_read)];
            for copier in copiers {
                let _ = copier.join();
            }
            std::process::exit(0);
        }
        nix::unistd::ForkResult::Parent { child } => {
            drop((out_read, err_read, writer));
            // dup2(2) onto fd 1 and 2: the container's init inherits them (dup2 clears
            // O_CLOEXEC); the originals close when dropped, the pipes stay open through 1 and 2.
            nix::unistd::dup2_stdout(&out_write).context("dup2(2) onto stdout")?;
            nix::unistd::dup2_stderr(&err_write).context("dup2(2) onto stderr")?;
            Ok(LogCopier { pid: child })
        }
    }
}

impl LogCopier {
    /// Closes the shim's ends of the pipes and waits until the copier has written the last
    /// of the container's output (it ends once every writer has closed its end).
    fn finish(self) {
        release_outputs();
        let _ = nix::sys::wait::waitpid(self.pid, None);
    }
}
// ANCHOR_END: capture

/// Points fd 1 and 2 at /dev/null, closing this process's ends of the output pipes (the
/// copiers then end once the container's processes have closed theirs).
fn release_outputs() {
    if let Ok(null) = std::fs::File::options().write(true).open("/dev/null") {
        let _ = nix::unistd::dup2_stdout(&null);
        let _ = nix::unistd::dup2_stderr(&null);
    }
}

// ANCHOR: shim_run
/// The file a user's `stop` leaves in the container's directory: no policy restarts it
/// (Docker's "manually stopped"); `start` removes it.
pub const STOPPED_BY_USER: &str = "stopped-by-user";

/// Docker's restart delays: 100 ms, doubled after each restart, at most a minute, back to
/// 100 ms once the container has run for 10 s.
const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(60);
const RAN_LONG_ENOUGH: Duration = Duration::from_secs(10);

// ANCHOR: restart_policy
/// Runs the container, and again as its restart policy says, with Docker's growing delay;
/// each restart counts in `RestartCount`. Returns how the last run ended.
fn run_with_policy(engine: &Engine, id: &str) -> Result<i32, crate::engine::RunError> {
    let policy = engine
        .containers
        .host_config(id)
        .map(|h| h.restart_policy)
        .unwrap_or_default();
    let mut delay = FIRST_DELAY;
    loop {
        let began = Instant::now();
        let result = engine.start_created(id);
        let Ok(code) = result else { return result };
        let Ok(mut c) = engine.containers.load(id) else {
            return Ok(code);
        };
        let stopped = engine.containers.dir(id).join(STOPPED_BY_USER).exists();
        if !policy.restarts(code, c.restart_count, stopped) {
            return Ok(code);
        }
        if began.elapsed() >= RAN_LONG_ENOUGH {
            delay = FIRST_DELAY;
        }
        c.state.restarting = true;
        c.state.status = "restarting".into();
        c.restart_count += 1;
        if engine.containers.save(&c).is_err() {
            return Ok(code); // removed meanwhile
        }
        std::thread::sleep(delay);
        delay = (delay * 2).min(MAX_DELAY);
        // a `stop` or `rm` during the delay wins
        if engine.containers.dir(id).join(STOPPED_BY_USER).exists() || engine.containers.load(id).is_err() {
            if let Ok(mut c) = engine.containers.load(id) {
                c.state.restarting = false;
                c.state.status = "exited".into();
                let _ = engine.containers.save(&c);
            }
            return Ok(code);
        }
    }
}
// ANCHOR_END: restart_policy

/// `minidocker shim <id>`: runs the created container `id`; exits with its exit code.
pub fn run(data_root: &Path, cgroup_parent: &str, id: &str) -> Result<i32> {
    // Orphans of the container's processes come to us, not to the host's init.
    nix::sys::prctl::set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER)")?;
    let mut engine = Engine::open(data_root)?;
    engine.cgroup_parent = cgroup_parent.to_owned();
    let container = engine.containers.find(id)?;
    let dir = engine.containers.dir(&container.id);
    let copier = start_log_copier(&log_path(&dir, &container.id))?;
    let result = run_with_policy(&engine, &container.id);
    copier.finish();
    match result {
        Ok(code) => Ok(code),
        Err(e) => {
            tracing::warn!(container = %container.id, error = %e.message, "start failed");
            Ok(e.exit_code)
        }
    }
}
// ANCHOR_END: shim_run
