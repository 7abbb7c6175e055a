//! `--init`: a tiny init as the container's PID 1, between the kernel and the command.
//!
//! Chapter 1 explains why PID 1 is special: it inherits every orphan of its namespace (and
//! must reap them, or they stay zombies) and the kernel drops the signals it has no handler
//! for (so a `sleep` at PID 1 ignores `docker stop`'s SIGTERM). Docker's `--init` puts tini
//! there, a static binary it bind-mounts at `/sbin/docker-init`. minidocker has no static
//! binary to mount (the engine needs the host's libc, which an image like busybox does not
//! have), and needs none: the container's first process is already minidocker's code until
//! it executes the command. With `--init` it forks instead:
//!
//! ```text
//!  container's first process (PID 1) ── fork ──▶ child (PID 2): user, capabilities, execve(CMD)
//!   │ renames itself /sbin/docker-init -- CMD (what `ps` shows)
//!   │ drops to the container's capabilities
//!   └ supervise: forward signals to the child, reap every zombie (ch01), exit with the child's code
//! ```
//!
//! The child reports a failed `execve(2)` on the launch's error pipe as a container without
//! `--init` does; the init holds no copy of that pipe, so a successful start is still "the
//! pipe was closed".

use std::os::fd::RawFd;

use ch01_process::{BlockedSignals, Reap, forwarded_signals, supervise};
use ch03_rootfs::ProcessSpec;
use ch03_rootfs::capabilities::{drop_bounding_set, set_process_capabilities};
use nix::unistd::{ForkResult, Pid, fork};

/// Where Docker mounts its init, and so the name `ps` shows for ours.
pub const INIT_PATH: &str = "/sbin/docker-init";

/// Why the init could not be set up (the container does not start).
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("init: {0}")]
    Signals(#[from] ch01_process::ProcessError),
    #[error("init: fork: {0}")]
    Fork(nix::errno::Errno),
}

// ANCHOR: fork_init
/// Forks the container's first process in two: returns in the child, which goes on to
/// execute `process`; the parent becomes the init and never returns.
///
/// Call it from the single-threaded container process, signals reset, before the user and
/// capabilities change.
pub fn fork_init(process: &ProcessSpec) -> Result<(), InitError> {
    // Blocked before the fork: a signal sent in between waits for the init.
    let blocked = BlockedSignals::block(&forwarded_signals())?;
    // SAFETY: the container's first process is single-threaded (a clone(2) of the shim,
    // which starts no thread before it clones), so the child may run any code.
    match unsafe { fork() }.map_err(InitError::Fork)? {
        ForkResult::Child => {
            drop(blocked); // the command starts with the mask the container had
            Ok(())
        }
        ForkResult::Parent { child } => {
            std::mem::forget(blocked); // the init takes its signals with sigtimedwait(2)
            run_init(child, process)
        }
    }
}
// ANCHOR_END: fork_init

/// The init's life: set itself apart, then supervise `child` until it ends.
fn run_init(child: Pid, process: &ProcessSpec) -> ! {
    close_inherited_fds();
    let _ = rename(&process.args);
    // The container's own capability sets (it stays the container's root user): it needs
    // only to signal and wait for its children.
    let _ = drop_bounding_set(&process.capabilities)
        .and_then(|()| set_process_capabilities(&process.capabilities));
    let code = match supervise(child, Reap::AllChildren) {
        Ok(status) => status.code(),
        Err(_) => 125,
    };
    // The child is gone: exit with its code; the kernel ends the rest of the namespace.
    // SAFETY: _exit(2) ends the process at once: nothing of the shim's state copied into
    // this process (buffers, destructors, atexit handlers) runs here.
    unsafe { libc::_exit(code) }
}

/// Closes every descriptor but stdin, stdout and stderr with
/// [`close_range(2)`](https://man7.org/linux/man-pages/man2/close_range.2.html): the init
/// never executes anything, so nothing close-on-exec the shim had open would ever close
/// (the launch's error pipe among them: its parent must see it close when the command
/// starts).
fn close_inherited_fds() {
    const FIRST: RawFd = 3;
    // SAFETY: close_range(2) takes integers only; the fds it closes are not used by this
    // process again (the init keeps no File or OwnedFd of its own past this point).
    unsafe {
        libc::close_range(FIRST as u32, u32::MAX, 0);
    }
}

/// The init's name for `ps`: `/sbin/docker-init -- CMD…` as its command line (Docker's tini
/// is run so) and `docker-init` as its `comm`.
///
/// The command line `/proc/<pid>/cmdline` shows is memory of the process: the strings the
/// kernel put on its stack at execve(2) (the shim's own `minidocker shim <id>`, then its
/// environment). They are overwritten in place, as `setproctitle(3)` does: one string over
/// the arguments and, if longer, the environment, the last byte of the arguments not NUL so
/// the kernel reads up to our NUL. (Moving the bounds with `prctl(PR_SET_MM)` needs
/// CAP_SYS_RESOURCE, which a host may not give.)
fn rename(command: &[String]) -> std::io::Result<()> {
    nix::sys::prctl::set_name(c"docker-init")?;
    let area = ArgArea::of_self()?;
    let title = std::iter::once(INIT_PATH)
        .chain(std::iter::once("--"))
        .chain(command.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" ");
    let room = usize::try_from(area.room()).unwrap_or(0);
    if room < 2 {
        return Ok(());
    }
    let mut bytes: Vec<u8> = title.into_bytes();
    bytes.truncate(room - 1);
    bytes.push(0);
    let mem = std::fs::OpenOptions::new().write(true).open("/proc/self/mem")?;
    use std::os::unix::fs::FileExt;
    mem.write_all_at(&bytes, area.arg_start)?;
    if (bytes.len() as u64) < area.arg_end - area.arg_start {
        mem.write_all_at(b" ", area.arg_end - 1)?;
    }
    Ok(())
}

/// Where a process's argument and environment strings are (fields 48 to 51 of
/// [`/proc/self/stat`](https://man7.org/linux/man-pages/man5/proc_pid_stat.5.html)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ArgArea {
    arg_start: u64,
    arg_end: u64,
    env_start: u64,
    env_end: u64,
}

impl ArgArea {
    fn of_self() -> std::io::Result<ArgArea> {
        let stat = std::fs::read_to_string("/proc/self/stat")?;
        ArgArea::parse(&stat).ok_or_else(|| std::io::Error::other("no argument area in /proc/self/stat"))
    }

    /// From a `stat` line: the fields after the command name (which may hold spaces and
    /// parentheses) start with the third, the state.
    fn parse(stat: &str) -> Option<ArgArea> {
        let (_, rest) = stat.rsplit_once(')')?;
        let fields: Vec<u64> = rest
            .split_whitespace()
            .skip(45) // fields 3 to 47
            .take(4)
            .map(|f| f.parse().ok())
            .collect::<Option<_>>()?;
        let [arg_start, arg_end, env_start, env_end] = fields[..] else {
            return None;
        };
        (arg_start < arg_end).then_some(ArgArea {
            arg_start,
            arg_end,
            env_start,
            env_end,
        })
    }

    /// The bytes a title may take: the arguments, and the environment if it follows them.
    fn room(&self) -> u64 {
        match self.env_start == self.arg_end && self.env_end > self.env_start {
            true => self.env_end - self.arg_start,
            false => self.arg_end - self.arg_start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_argument_area_is_read_from_stat() {
        // a real line (fields 48 to 51 at the end), its command name with a space and a ')'
        let stat = "1234 (a) b) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 5 \
            1000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 \
            4000 4100 4200 140730000000000 140730000000085 140730000000085 140730000000400 0\n";
        let area = ArgArea::parse(stat).unwrap();
        assert_eq!(
            area,
            ArgArea {
                arg_start: 140_730_000_000_000,
                arg_end: 140_730_000_000_085,
                env_start: 140_730_000_000_085,
                env_end: 140_730_000_000_400,
            }
        );
        assert_eq!(area.room(), 400);
        let apart = ArgArea { env_start: 1, ..area };
        assert_eq!(apart.room(), 85);
        assert_eq!(ArgArea::parse("1 (x) S 1 2"), None);
    }

    #[test]
    fn our_own_stat_has_an_argument_area() {
        let area = ArgArea::of_self().unwrap();
        let cmdline = std::fs::read("/proc/self/cmdline").unwrap();
        assert_eq!(area.arg_end - area.arg_start, cmdline.len() as u64);
    }
}
