//! Network namespaces held by a file descriptor, and work done inside them.
//!
//! A network namespace lives as long as something refers to it: a process in it, a socket
//! created in it, a bind mount of its `/proc/<pid>/ns/net` file (what `ip netns add` makes),
//! or an open descriptor of that file. [`NetNs`] is the last kind: when it is dropped (and no
//! process or socket still uses the namespace) the kernel destroys the namespace and
//! everything in it, links, addresses, routes and firewall rules included. Nothing named is
//! left behind, even if a test panics.
//!
//! `setns(2)` moves only the calling *thread*, and for good: [`NetNs::run`] therefore does
//! its work on a fresh thread that ends with the work, so the caller's thread never changes
//! namespace. A socket keeps the namespace it was created in, so a netlink socket opened on
//! such a thread ([`Netlink::open_in`](crate::Netlink::open_in)) can be used from any thread
//! afterwards; a process spawned from such a thread starts in the namespace.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::fcntl::{OFlag, open};
use nix::sched::CloneFlags;
use nix::sys::stat::Mode;

use crate::error::NetworkError;

/// An open network namespace.
#[derive(Debug)]
pub struct NetNs {
    fd: OwnedFd,
    what: String,
}

fn open_ns(path: &Path, what: &str) -> Result<OwnedFd, NetworkError> {
    // open(2) of a namespace file
    open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|source| NetworkError::Netns {
        syscall: "open(2)",
        what: what.to_string(),
        source,
    })
}

// ANCHOR: netns_new
impl NetNs {
    /// Makes a new, empty network namespace (only a `lo`, down): unshare(2) with
    /// `CLONE_NEWNET` on a short-lived thread, which opens its own namespace file and ends.
    pub fn new() -> Result<NetNs, NetworkError> {
        let thread = std::thread::spawn(|| -> Result<OwnedFd, NetworkError> {
            nix::sched::unshare(CloneFlags::CLONE_NEWNET).map_err(|source| NetworkError::Netns {
                syscall: "unshare(2)",
                what: "new".into(),
                source,
            })?;
            open_ns(Path::new("/proc/thread-self/ns/net"), "new")
        });
        let fd = thread
            .join()
            .map_err(|_| NetworkError::NetnsThread { what: "new".into() })??;
        let ns = NetNs {
            what: format!("inode {}", inode(fd.as_fd())),
            fd,
        };
        tracing::debug!(netns = %ns.what, "created network namespace");
        Ok(ns)
    }
    // ANCHOR_END: netns_new

    /// Opens an existing namespace by file: `/proc/<pid>/ns/net`, `/run/netns/<name>`.
    pub fn open(path: &Path) -> Result<NetNs, NetworkError> {
        let what = path.display().to_string();
        Ok(NetNs {
            fd: open_ns(path, &what)?,
            what,
        })
    }

    /// Opens the network namespace of process `pid`.
    pub fn of_pid(pid: i32) -> Result<NetNs, NetworkError> {
        NetNs::open(&PathBuf::from(format!("/proc/{pid}/ns/net")))
    }

    /// Opens the caller's (thread's) own network namespace.
    pub fn current() -> Result<NetNs, NetworkError> {
        NetNs::open(Path::new("/proc/thread-self/ns/net"))
    }

    /// A short description for messages (the path, or the inode of an anonymous namespace).
    pub fn describe(&self) -> &str {
        &self.what
    }

    /// The namespace's inode number, the same as `ls -iL /proc/<pid>/ns/net` shows.
    pub fn inode(&self) -> u64 {
        inode(self.fd.as_fd())
    }

    /// Another descriptor of the same namespace (dup(2)).
    pub fn try_clone(&self) -> Result<NetNs, NetworkError> {
        let fd = self.fd.try_clone().map_err(|e| NetworkError::Netns {
            syscall: "dup(2)",
            what: self.what.clone(),
            source: nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EBADF)),
        })?;
        Ok(NetNs {
            fd,
            what: self.what.clone(),
        })
    }

    /// Moves the calling thread into this namespace: setns(2). Only for threads that are
    /// never handed back to other code (see [`NetNs::run`]).
    pub fn enter_this_thread(&self) -> Result<(), NetworkError> {
        nix::sched::setns(self.fd.as_fd(), CloneFlags::CLONE_NEWNET).map_err(|source| NetworkError::Netns {
            syscall: "setns(2)",
            what: self.what.clone(),
            source,
        })
    }

    // ANCHOR: netns_run
    /// Runs `work` inside this namespace, on a dedicated thread that setns(2)s in first and
    /// ends when `work` returns; the caller's thread stays where it is.
    pub fn run<T, F>(&self, work: F) -> Result<T, NetworkError>
    where
        T: Send,
        F: FnOnce() -> T + Send,
    {
        std::thread::scope(|scope| {
            let thread = scope.spawn(|| -> Result<T, NetworkError> {
                self.enter_this_thread()?;
                Ok(work())
            });
            thread.join().map_err(|_| NetworkError::NetnsThread {
                what: self.what.clone(),
            })?
        })
    }
    // ANCHOR_END: netns_run
}

fn inode(fd: BorrowedFd<'_>) -> u64 {
    nix::sys::stat::fstat(fd).map(|st| st.st_ino).unwrap_or(0)
}

impl AsFd for NetNs {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for NetNs {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.fd.as_raw_fd()
    }
}
