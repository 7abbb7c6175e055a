//! What can go wrong while joining a container, and while giving a process its terminal.
//!
//! Every message names what was being worked on: the process id joined, the file written,
//! the terminal's path. Lowercase, no trailing period, so they read well after a `: `.

use std::path::PathBuf;

use ch02_namespaces::NamespaceError;
use ch06_cgroups::CgroupError;
use nix::errno::Errno;
use nix::unistd::Pid;

/// Joining a running process's cgroups and namespaces, and forking into them.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error("reading the cgroups of process {pid} ({path}): {source}")]
    ReadCgroups {
        pid: Pid,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("finding the cgroups of process {pid}: {source}")]
    Cgroups { pid: Pid, source: CgroupError },
    #[error("joining the cgroup of process {pid} (writing {path}): {source}")]
    JoinCgroup {
        pid: Pid,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("joining the namespaces of process {pid}: {source}")]
    Namespaces { pid: Pid, source: NamespaceError },
    #[error("forking into the namespaces joined (fork(2)): {0}")]
    Fork(Errno),
    #[error("waiting for process {pid} (waitpid(2)): {source}")]
    Wait { pid: Pid, source: Errno },
}

/// Pseudo-terminals and the console socket that carries their master.
#[derive(Debug, thiserror::Error)]
pub enum TerminalError {
    #[error("allocating a pseudo-terminal (posix_openpt(3) on /dev/ptmx): {0}")]
    Open(Errno),
    #[error("unlocking the pseudo-terminal (unlockpt(3)): {0}")]
    Unlock(Errno),
    #[error("naming the pseudo-terminal's slave (ptsname(3)): {0}")]
    Name(Errno),
    #[error("opening the pseudo-terminal's slave {path}: {source}")]
    OpenSlave { path: String, source: Errno },
    #[error("starting a session for {path} (setsid(2)): {source}")]
    Session { path: String, source: Errno },
    #[error("handing {path} to uid {uid} (fchown(2)): {source}")]
    Chown { path: String, uid: u32, source: Errno },
    #[error("making {path} the controlling terminal (TIOCSCTTY, ioctl_tty(2)): {source}")]
    Controlling { path: String, source: Errno },
    #[error("making {path} the standard streams (dup2(2)): {source}")]
    Stdio { path: String, source: Errno },
    #[error("sending the terminal's master (sendmsg(2)): {0}")]
    Send(Errno),
    #[error("receiving a terminal's master (recvmsg(2)): {0}")]
    Receive(Errno),
    #[error("setting the window size to {rows}x{cols} (TIOCSWINSZ, ioctl_tty(2)): {source}")]
    Resize { rows: u16, cols: u16, source: Errno },
    #[error("reading the window size (TIOCGWINSZ, ioctl_tty(2)): {0}")]
    Size(Errno),
}
