//! The seven kinds of namespace a container uses, and how each one is named.
//!
//! **Lab 02 skeleton.** Exercise `ex1`: write [`Namespace::clone_flag`] and
//! [`Namespace::proc_path`] (the two `todo!()`s; the table below has the answers).
//! `labs/check 02` tells you how far you are.
//!
//! The kernel names each kind twice: by a `CLONE_NEW*` flag (for `clone(2)`, `unshare(2)`
//! and `setns(2)`) and by a file name under `/proc/<pid>/ns/`. [`Namespace`] keeps both:
//!
//! | kind   | flag              | `/proc/<pid>/ns/` | what it isolates                      |
//! |--------|-------------------|-------------------|---------------------------------------|
//! | user   | `CLONE_NEWUSER`   | `user`            | user and group ids, capabilities      |
//! | pid    | `CLONE_NEWPID`    | `pid`             | process ids                           |
//! | uts    | `CLONE_NEWUTS`    | `uts`             | hostname and NIS domain name          |
//! | ipc    | `CLONE_NEWIPC`    | `ipc`             | System V IPC, POSIX message queues    |
//! | net    | `CLONE_NEWNET`    | `net`             | interfaces, routes, ports, firewall   |
//! | cgroup | `CLONE_NEWCGROUP` | `cgroup`          | the view of the cgroup tree           |
//! | mount  | `CLONE_NEWNS`     | `mnt`             | the mount table                       |
//!
//! (The mount namespace was the first one, in 2002, before anyone expected more: that is why
//! its flag is plain `CLONE_NEWNS`, "new namespace".)

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use nix::sched::CloneFlags;
use nix::unistd::Pid;

use crate::error::NamespaceError;

/// One kind of Linux namespace. See namespaces(7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// User and group ids, and the capabilities that go with them: user_namespaces(7).
    User,
    /// Process ids; the first process inside is PID 1: pid_namespaces(7).
    Pid,
    /// Hostname and domain name: uts_namespaces(7).
    Uts,
    /// System V IPC objects and POSIX message queues: ipc_namespaces(7).
    Ipc,
    /// Network devices, addresses, routes, ports: network_namespaces(7).
    Net,
    /// The root of the cgroup tree a process sees: cgroup_namespaces(7).
    Cgroup,
    /// The mount table: mount_namespaces(7).
    Mount,
}

impl Namespace {
    /// Every kind, in declaration order.
    pub const ALL: [Namespace; 7] = [
        Namespace::User,
        Namespace::Pid,
        Namespace::Uts,
        Namespace::Ipc,
        Namespace::Net,
        Namespace::Cgroup,
        Namespace::Mount,
    ];

    /// The order in which a process joins the namespaces of a running container.
    ///
    /// `setns(2)` joins one namespace per call, and each call changes what the next one is
    /// allowed to do or able to see, so the order is not free:
    ///
    /// 1. **user** first. Joining a user namespace gives the caller a full set of
    ///    capabilities *inside* it. A container's other namespaces are owned by its user
    ///    namespace, and joining them needs `CAP_SYS_ADMIN` there; a rootless caller only has
    ///    it after this step.
    /// 2. **pid, uts, ipc, net, cgroup** next. None of them changes what the caller can see
    ///    of the filesystem or what it may do, so their relative order does not matter
    ///    (runc and youki use this one). Joining pid changes only the namespace of the
    ///    caller's *future children*: the caller itself keeps its PID.
    /// 3. **mnt** last. Joining a mount namespace swaps the caller's whole filesystem view
    ///    (its root and working directory move to the container's root). After it, the
    ///    host's `/proc/<pid>/ns/*` files are out of reach, which is also why
    ///    [`join_all`](crate::join_all) opens every namespace file before the first `setns(2)`.
    pub const JOIN_ORDER: [Namespace; 7] = [
        Namespace::User,
        Namespace::Pid,
        Namespace::Uts,
        Namespace::Ipc,
        Namespace::Net,
        Namespace::Cgroup,
        Namespace::Mount,
    ];

    /// The `CLONE_NEW*` flag that creates this kind in `clone(2)` and `unshare(2)` and names
    /// it in `setns(2)`.
    pub fn clone_flag(self) -> CloneFlags {
        // ex1: one `CloneFlags::CLONE_NEW*` constant per kind (see the table at the top).
        todo!(
            "ex1: match self: Namespace::User => CloneFlags::CLONE_NEWUSER, ... (the mount namespace's flag is CLONE_NEWNS)"
        )
    }

    /// The file name of this kind under `/proc/<pid>/ns/`.
    pub fn proc_name(self) -> &'static str {
        match self {
            Namespace::User => "user",
            Namespace::Pid => "pid",
            Namespace::Uts => "uts",
            Namespace::Ipc => "ipc",
            Namespace::Net => "net",
            Namespace::Cgroup => "cgroup",
            Namespace::Mount => "mnt",
        }
    }

    /// `/proc/<pid>/ns/<name>`: the handle of the namespace of this kind that `pid` is in.
    ///
    /// Opening it gives a file descriptor for `setns(2)`; `stat(2)` on it gives the
    /// namespace's identity (see [`namespace_id`](crate::namespace_id)).
    pub fn proc_path(self, pid: Pid) -> PathBuf {
        // ex1: `/proc/42/ns/mnt` for the mount namespace of pid 42; `proc_name()` has the
        // file names, and a `Pid` formats as its number.
        todo!("ex1: PathBuf::from(format!(...)) of /proc/<pid>/ns/<proc_name>")
    }
}

impl fmt::Display for Namespace {
    /// Writes the `/proc/<pid>/ns/` name: `user`, `pid`, `uts`, `ipc`, `net`, `cgroup`, `mnt`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.proc_name())
    }
}

impl FromStr for Namespace {
    type Err = NamespaceError;

    /// Parses the `/proc` name, plus the long spellings `network` and `mount` that OCI
    /// runtime configs use.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Namespace::User),
            "pid" => Ok(Namespace::Pid),
            "uts" => Ok(Namespace::Uts),
            "ipc" => Ok(Namespace::Ipc),
            "net" | "network" => Ok(Namespace::Net),
            "cgroup" => Ok(Namespace::Cgroup),
            "mnt" | "mount" => Ok(Namespace::Mount),
            other => Err(NamespaceError::UnknownNamespace {
                name: other.to_string(),
            }),
        }
    }
}

/// The `CLONE_NEW*` flags of all `namespaces`, or-ed together (empty for an empty slice).
pub fn clone_flags(namespaces: &[Namespace]) -> CloneFlags {
    namespaces
        .iter()
        .fold(CloneFlags::empty(), |flags, ns| flags | ns.clone_flag())
}

/// `user, net, mnt`: how errors list several namespaces.
pub(crate) fn list(namespaces: &[Namespace]) -> String {
    let names: Vec<&str> = namespaces.iter().map(|ns| ns.proc_name()).collect();
    names.join(", ")
}
