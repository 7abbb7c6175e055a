//! The shim: one process per container started by the daemon, the parent of its init.
//!
//! ```text
//!  daemon ──spawn (setsid)──▶ minidocker shim <id> ──clone──▶ container init
//!                               │ fork            stdout, stderr pipes ◀── fd 1, 2
//!                               └▶ I/O process ──▶ <id>-json.log (json-file)
//!                                  (stdin, -t)     stdin pipe ──▶ fd 0, or a terminal
//! ```
//!
//! It runs the container exactly as `minidocker run` does in the foreground (the engine's
//! `start_created`: cgroup, network, supervise, exit recorded), with the container's output
//! going to its json-file log instead of a terminal. It does not depend on the daemon: the
//! daemon can die and come back, the shim keeps its container and records how it ends. It
//! ends only once the container's last output is in the log; the daemon, which reaps it,
//! then removes a `--rm` container. It also carries out the restart policy (`--restart`):
//! the container runs again, after a delay, as long as the policy says so.
//!
//! While the container runs, the shim is small (issue 9): once the record says `running`
//! it execve(2)s `minidocker-shim`, a monitor of a few hundred kilobytes that only forwards
//! signals to the init and waits for its end, then execs the same `minidocker` binary again
//! (`shim <id> --handoff … --exit-code N`) for the exit phase. execve keeps the pid, the children (the init, the
//! I/O process) and the descriptors left open across it (the shim's lock, the console socket).
//!
//! ```text
//!  minidocker shim <id> ──execve──▶ minidocker-shim <pid> … ──execve──▶ minidocker shim <id>
//!  start phase: layer, cgroup,       supervise: forward signals,       --handoff … --exit-code N
//!  network, clone, record running    wait for the init                 exit phase, restart policy
//! ```
//!
//! A container that ends within `HANDOVER_GRACE` (20 ms) of its start (`run --rm busybox true`)
//! is not handed over: the two execs would cost more than the rest of its exit.
//!
//! A container whose network runs in the shim (published ports' proxies, a user-defined
//! network's DNS server: threads of the shim) keeps the whole shim until it ends.

use std::ffi::CString;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::fcntl::{FcntlArg, FdFlag, Flock, FlockArg, fcntl};

use crate::container::Container;
use crate::container_io::IoProcess;
use crate::engine::network::SandboxEndpoints;
use crate::engine::{Engine, RunError, RunningContainer};
use crate::log_config::LogOutput;
use crate::logs::{LogWriter, UNLOGGED_OUTPUT, log_path, unlogged_output_path};

// ANCHOR: shim_run
/// The file a user's `stop` leaves in the container's directory: no policy restarts it
/// (Docker's "manually stopped"); `start` removes it.
pub const STOPPED_BY_USER: &str = "stopped-by-user";

/// The file a daemon's shutdown leaves when it stops the container: no policy restarts it
/// now, but the next daemon starts `always` and `unless-stopped` containers again (Docker's
/// shutdown is not a user's stop); `start` removes it.
pub const STOPPED_BY_DAEMON: &str = "stopped-by-daemon";

// ANCHOR: shim_lock
/// The file a container's shim holds locked (flock(2)) as long as it lives: one shim per
/// container, and the way a daemon knows that the shim of a stopped container has made its
/// last decision (no restart) before it starts a new one.
const SHIM_LOCK: &str = "shim.lock";

/// Whether a shim holds the lock of the container in `dir` now: seen in `/proc/locks`
/// (proc(5)) without taking the lock, which could make a starting shim fail to get it.
pub fn has_live_shim(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(st) = std::fs::metadata(dir.join(SHIM_LOCK)) else {
        return false;
    };
    // `1: FLOCK  ADVISORY  WRITE 4242 00:2d:1234 0 EOF`: the file as major:minor:inode
    let file = format!(
        "{:02x}:{:02x}:{}",
        libc::major(st.dev()),
        libc::minor(st.dev()),
        st.ino()
    );
    std::fs::read_to_string("/proc/locks").is_ok_and(|locks| {
        locks
            .lines()
            .any(|l| l.contains(" FLOCK ") && l.split_whitespace().any(|field| field == file))
    })
}

/// Waits, however long it takes, until no shim holds the lock of the container in `dir`.
pub fn wait_for_shim_end(dir: &Path) {
    if let Ok(file) = std::fs::File::open(dir.join(SHIM_LOCK)) {
        // flock(2) works on a read-only descriptor too; the lock is dropped at once
        let _ = Flock::lock(file, FlockArg::LockShared);
    }
}

/// Takes the container's shim lock, or says that another shim has it.
fn hold_shim_lock(dir: &Path) -> Result<Flock<std::fs::File>> {
    let file = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(SHIM_LOCK))
        .context("opening the shim's lock")?;
    Flock::lock(file, FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| anyhow::anyhow!("the container has a shim already ({}: {e})", dir.display()))
}

/// Waits until no shim holds the lock of the container in `dir` (or `timeout` has passed);
/// whether none does.
pub fn wait_for_no_shim(dir: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        let Ok(file) = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(SHIM_LOCK))
        else {
            return true; // the container is gone
        };
        if Flock::lock(file, FlockArg::LockExclusiveNonblock).is_ok() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
// ANCHOR_END: shim_lock

/// Whether a `stop` (a user's or the daemon's) ended the container's last run.
fn stopped(engine: &Engine, id: &str) -> bool {
    let dir = engine.containers.dir(id);
    dir.join(STOPPED_BY_USER).exists() || dir.join(STOPPED_BY_DAEMON).exists()
}

/// Docker's restart delays: 100 ms, doubled after each restart, at most a minute, back to
/// 100 ms once the container has run for 10 s.
const FIRST_DELAY: Duration = Duration::from_millis(100);
const MAX_DELAY: Duration = Duration::from_secs(60);
const RAN_LONG_ENOUGH: Duration = Duration::from_secs(10);
/// How often a restart delay looks for a `stop` or `rm` that cancels it.
const RESTART_POLL: Duration = Duration::from_millis(20);

// ANCHOR: restart_policy
/// Where a shim is in its restart policy: carried across its execs.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
struct PolicyState {
    /// The delay before the next restart.
    delay: Duration,
    /// When the current run began, on the monotonic clock ([`monotonic_now`]).
    began: Duration,
}

/// Runs the container, and again as its restart policy says, with Docker's growing delay;
/// each restart counts in `RestartCount`. Returns how the last run ended. `exited` is how
/// the current run ended when the shim comes back from its monitor (the loop starts there).
fn run_with_policy(
    shim: &Shim<'_>,
    mut state: PolicyState,
    mut exited: Option<Result<i32, RunError>>,
) -> Result<i32, RunError> {
    let (engine, id) = (shim.engine, shim.id);
    loop {
        let result = match exited.take() {
            Some(result) => result,
            None => {
                state.began = monotonic_now();
                run_once(shim, state)
            }
        };
        let Ok(code) = result else { return result };
        if !engine.containers.load(id).is_ok_and(|c| c.state.restarting) {
            return Ok(code); // not to restart, or removed meanwhile
        }
        if monotonic_now().saturating_sub(state.began) >= RAN_LONG_ENOUGH {
            state.delay = FIRST_DELAY;
        }
        let delay = state.delay;
        // a `stop` or `rm` during the delay wins at once
        let waited = Instant::now();
        let mut cancelled = false;
        while waited.elapsed() < delay && !cancelled {
            std::thread::sleep(RESTART_POLL.min(delay - waited.elapsed().min(delay)));
            cancelled = stopped(engine, id) || engine.containers.load(id).is_err();
        }
        state.delay = (delay * 2).min(MAX_DELAY);
        if cancelled || stopped(engine, id) || engine.containers.load(id).is_err() {
            if let Ok(mut c) = engine.containers.load(id) {
                c.state.restarting = false;
                c.state.running = false;
                c.state.status = "exited".into();
                let _ = engine.containers.save(&c);
            }
            return Ok(code);
        }
    }
}

/// Whether the restart policy runs the container again after an exit with `code`: decided
/// as the exit is recorded, `restarting` (Docker's `SetRestarting`: still `Running`, so
/// `ps` lists it, no pid), never `exited` in between. If it does not, the shim lets go of
/// the container's output pipes at once ([`IoProcess::release_output`]): the I/O process
/// writes the last of the output and ends while the exit is recorded, not after it.
fn restarts(shim: &Shim<'_>, code: i32, container: &Container) -> bool {
    let (engine, id) = (shim.engine, shim.id);
    let policy = engine
        .containers
        .host_config(id)
        .map(|h| h.restart_policy)
        .unwrap_or_default();
    let again = policy.restarts(code, container.restart_count, stopped(engine, id));
    if !again {
        shim.io.release_output();
    }
    again
}

/// How long the shim waits for a container that has just started to end before it becomes
/// the small monitor: `run --rm busybox true` ends within it, and for such a container the
/// two execs there and back would cost more than the whole rest of its exit.
const HANDOVER_GRACE: Duration = Duration::from_millis(20);

/// One run of the container: started here, supervised by the small monitor when it can be
/// (this call then does not return: the shim comes back with `--handoff`), else here.
fn run_once(shim: &Shim<'_>, state: PolicyState) -> Result<i32, RunError> {
    let (engine, id) = (shim.engine, shim.id);
    let running = engine.start_created(id, shim.io.console())?;
    if running.ends_within(HANDOVER_GRACE) {
        return engine.run_to_exit(running, &|code, c: &Container| restarts(shim, code, c));
    }
    if let Some(endpoints) = running.sandbox_endpoints() {
        let e = hand_over(shim, &running, endpoints, state);
        // fd 2 is the container's stderr by now: the note goes where the shim's went
        let note = format!("minidocker shim: {e:#}; the shim supervises the container itself\n");
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(engine.containers.dir(id).join(SHIM_LOG));
        let _ = log.and_then(|mut log| std::io::Write::write_all(&mut log, note.as_bytes()));
    }
    engine.run_to_exit(running, &|code, c: &Container| restarts(shim, code, c))
}
// ANCHOR_END: restart_policy

// ANCHOR: output_writer
/// Where the container's output goes, by its log driver: its json-file log (rotated, with
/// the `attrs` asked for), or with `none` a small file only attached clients read.
fn output_writer(engine: &Engine, container: &Container) -> Result<LogWriter> {
    let dir = engine.containers.dir(&container.id);
    let log_config = engine.containers.host_config(&container.id)?.log_config;
    let writer = match log_config.output()? {
        LogOutput::JsonFile { rotation, attrs } => {
            let image = container
                .image
                .parse()
                .ok()
                .and_then(|digest| engine.images.get(&digest).ok())
                .map(|image| image.config.config)
                .unwrap_or_default();
            let labels = crate::engine::merged_labels(
                &container.config.labels.clone().unwrap_or_default(),
                image.labels.as_ref(),
            );
            // the container's variables, then the image's it does not set
            let mut env = container.config.env.clone();
            let key = |var: &str| var.split('=').next().unwrap_or_default().to_owned();
            for var in image.env.iter().flatten() {
                if !env.iter().any(|v| key(v) == key(var)) {
                    env.push(var.clone());
                }
            }
            LogWriter::open(
                &log_path(&dir, &container.id),
                rotation,
                attrs.attrs(&labels, &env),
            )
        }
        LogOutput::None => LogWriter::open(
            &unlogged_output_path(&dir, &container.id),
            Some(UNLOGGED_OUTPUT),
            None,
        ),
    };
    writer.context("opening the container's log")
}
// ANCHOR_END: output_writer

/// What a shim works with, from start to end.
struct Shim<'a> {
    engine: &'a Engine,
    id: &'a str,
    /// The shim's lock (see [`has_live_shim`]).
    lock: BorrowedFd<'a>,
    io: &'a IoProcess,
}

/// `minidocker shim <id>`: runs the created container `id`; exits with its exit code.
pub fn run(data_root: &Path, cgroup_parent: &str, id: &str) -> Result<i32> {
    run_on(open_engine(data_root, cgroup_parent)?, id)
}

/// [`run`] with the engine opened already.
fn run_on(engine: Engine, id: &str) -> Result<i32> {
    // A session of its own (setsid(2)): the daemon's terminal and its signals are not ours.
    // EPERM: a process group leader already (started by hand from a shell), which will do.
    // (Only here: the shim back from its monitor, `resume`, is the same process, already
    // its session's leader.)
    match nix::unistd::setsid() {
        Ok(_) | Err(nix::errno::Errno::EPERM) => {}
        Err(e) => anyhow::bail!("setsid(2): {e}"),
    }
    let container = engine.containers.find(id)?;
    let dir = engine.containers.dir(&container.id);
    // held until we exit (the I/O process, a fork, shares it: it ends before us)
    let lock = hold_shim_lock(&dir)?;
    // ANCHOR: capture
    // Before anything else (the shim is single-threaded until here): the I/O process, and
    // this process's fd 0, 1 and 2 the pipes the container's init inherits.
    let io = IoProcess::start(&dir, output_writer(&engine, &container)?, container.config.stdio)?;
    let shim = Shim {
        engine: &engine,
        id: &container.id,
        lock: lock.as_fd(),
        io: &io,
    };
    let first = PolicyState {
        delay: FIRST_DELAY,
        began: monotonic_now(),
    };
    let result = run_with_policy(&shim, first, None);
    // waits until the container's last output is in the log
    io.finish();
    // ANCHOR_END: capture
    exit_code(id, result)
}

// ANCHOR: run_spare
/// `minidocker spare-shim`: a shim started before its container is known
/// (`spare_shim.rs`). It waits on its stdin for the container and its log, takes the
/// descriptors a spawned shim has (stdin /dev/null, stderr the log), then is that
/// container's shim ([`run`]). The daemon's end closed first: exits 0, having done nothing.
pub fn run_spare(data_root: &Path, cgroup_parent: &str) -> Result<i32> {
    // What needs no container is done while there is none, at idle priority: finding the
    // cgroup hierarchies reads /proc only. (Not the engine's opening: it makes the data root's
    // directories, and a spare whose daemon has gone must not make again a data root that
    // is being removed.)
    let hierarchy = ch06_cgroups::Hierarchy::detect();
    let Some(assignment) = crate::spare_shim::receive_assignment(std::io::stdin().as_fd())? else {
        return Ok(0);
    };
    // started at idle priority; what it starts now (the container) must not be
    crate::idle::leave_idle(0).context("leaving the idle scheduling policy (sched_setscheduler(2))")?;
    let null = std::fs::File::open("/dev/null").context("opening /dev/null")?;
    nix::unistd::dup2_stdin(&null).context("dup2(2) of /dev/null onto stdin")?;
    nix::unistd::dup2_stderr(&assignment.stderr).context("dup2(2) of the shim log onto stderr")?;
    drop(assignment.stderr);
    let engine = open_engine(data_root, cgroup_parent)?;
    match hierarchy {
        Ok(hierarchy) => engine.assume_hierarchy(hierarchy),
        Err(e) => tracing::debug!(error = %e, "finding the cgroup hierarchies ahead"),
    }
    run_on(engine, &assignment.id)
}
// ANCHOR_END: run_spare

/// `minidocker shim <id> --handoff … --exit-code N`: the shim back from its monitor, whose
/// container's init ended with `code`: the exit phase, then the restart policy as before.
pub fn resume(data_root: &Path, cgroup_parent: &str, id: &str, handoff: &str, code: i32) -> Result<i32> {
    let handoff: Handoff = serde_json::from_str(handoff).context("reading the shim's handoff")?;
    // SAFETY: our earlier self left these descriptors open across execve(2) for us, and
    // nothing else in this process owns them.
    let (lock, console) = unsafe {
        (
            OwnedFd::from_raw_fd(handoff.lock_fd),
            handoff.console_fd.map(|fd| OwnedFd::from_raw_fd(fd)),
        )
    };
    // close-on-exec again: a restarted container's init must not inherit them
    set_close_on_exec(lock.as_fd(), true)?;
    if let Some(console) = &console {
        set_close_on_exec(console.as_fd(), true)?;
    }
    let io = IoProcess::adopt(nix::unistd::Pid::from_raw(handoff.io_pid), console);
    let engine = open_engine(data_root, cgroup_parent)?;
    let shim = Shim {
        engine: &engine,
        id,
        lock: lock.as_fd(),
        io: &io,
    };
    let exited = engine
        .adopt_running(id, handoff.sandbox.into())
        .and_then(|running| {
            engine.finish_run(running, code, &|code, c: &Container| restarts(&shim, code, c))
        });
    let result = run_with_policy(&shim, handoff.policy, Some(exited));
    io.finish();
    exit_code(id, result)
}

/// The engine, for a shim: orphans of the container's processes come to us, not to the
/// host's init (the flag lasts across execve(2)).
fn open_engine(data_root: &Path, cgroup_parent: &str) -> Result<Engine> {
    nix::sys::prctl::set_child_subreaper(true).context("prctl(PR_SET_CHILD_SUBREAPER)")?;
    let mut engine = Engine::open(data_root)?;
    engine.cgroup_parent = cgroup_parent.to_owned();
    Ok(engine)
}

/// The shim's exit code: the container's, or the failed start's.
fn exit_code(id: &str, result: Result<i32, RunError>) -> Result<i32> {
    match result {
        Ok(code) => Ok(code),
        Err(e) => {
            tracing::warn!(container = %id, error = %e.message, "start failed");
            Ok(e.exit_code)
        }
    }
}

// ANCHOR: handoff
/// The file in the container's directory the daemon points the shim's stderr at.
pub const SHIM_LOG: &str = "shim.log";

/// The small monitor a shim becomes while its container runs: a binary next to this one.
pub const MONITOR: &str = "minidocker-shim";

/// What the shim passes to itself across its monitor (`--handoff`, JSON).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Handoff {
    /// The shim's lock, left open across the execs.
    lock_fd: RawFd,
    /// The I/O process, a child of the shim.
    io_pid: i32,
    /// With `-t`: the shim's end of the console socket, left open across the execs.
    console_fd: Option<RawFd>,
    /// What the exit phase disconnects.
    sandbox: SandboxEndpoints,
    policy: PolicyState,
}

/// Execs the small monitor to supervise `running`'s init: `minidocker-shim <pid> <binary fd>
/// <log fd> minidocker shim <id> --handoff …`, which runs this binary again (from the
/// descriptor: the same binary even if another was installed meanwhile) once the init has
/// ended, with `--exit-code N` added. Returns only if it could not (the shim then supervises
/// the container itself).
fn hand_over(
    shim: &Shim<'_>,
    running: &RunningContainer<'_>,
    sandbox: SandboxEndpoints,
    policy: PolicyState,
) -> anyhow::Error {
    let attempt = || -> Result<std::convert::Infallible> {
        let this = std::env::current_exe().context("finding the shim's binary")?;
        let monitor = this.with_file_name(MONITOR);
        // for the monitor only: it closes them as it execs this binary again
        let binary = std::fs::File::open("/proc/self/exe").context("opening the shim's binary")?;
        let log = std::fs::OpenOptions::new()
            .append(true)
            .open(shim.engine.containers.dir(shim.id).join(SHIM_LOG))
            .context("opening the shim's log")?;
        let handoff = Handoff {
            lock_fd: shim.lock.as_raw_fd(),
            io_pid: shim.io.pid().as_raw(),
            console_fd: shim.io.console().map(|c| c.as_raw_fd()),
            sandbox,
            policy,
        };
        let args = [
            monitor.as_os_str().to_owned(),
            running.pid.as_raw().to_string().into(),
            binary.as_raw_fd().to_string().into(),
            log.as_raw_fd().to_string().into(),
            this.into_os_string(),
            "shim".into(),
            shim.id.into(),
            "--handoff".into(),
            serde_json::to_string(&handoff)?.into(),
        ];
        let args = args
            .into_iter()
            .map(|a| CString::new(a.into_encoded_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let kept = [shim.lock, binary.as_fd(), log.as_fd()];
        let kept = kept.into_iter().chain(shim.io.console());
        for fd in kept.clone() {
            set_close_on_exec(fd, false)?;
        }
        // execv(3) keeps the signal mask: the forwarded signals stay blocked, pending ones
        // wait for the monitor
        let Err(e) = nix::unistd::execv(&args[0], &args);
        for fd in kept {
            set_close_on_exec(fd, true)?;
        }
        Err(e).with_context(|| format!("executing {}", monitor.display()))
    };
    match attempt() {
        Err(e) => e,
    }
}

/// Sets or clears `FD_CLOEXEC` on `fd` (fcntl(2)).
fn set_close_on_exec(fd: BorrowedFd<'_>, close: bool) -> Result<()> {
    let flags = if close {
        FdFlag::FD_CLOEXEC
    } else {
        FdFlag::empty()
    };
    fcntl(fd, FcntlArg::F_SETFD(flags)).context("fcntl(F_SETFD)")?;
    Ok(())
}
// ANCHOR_END: handoff

/// The time on the monotonic clock (clock_gettime(2)), which a shim's execs keep.
fn monotonic_now() -> Duration {
    // (CLOCK_MONOTONIC always exists on Linux)
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(Duration::from)
        .unwrap_or_default()
}
// ANCHOR_END: shim_run
