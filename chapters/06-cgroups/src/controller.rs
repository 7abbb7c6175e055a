//! The controllers this chapter uses, and their names on each cgroup version.
//!
//! A *controller* (the kernel also says *subsystem*) is one kind of resource the kernel can
//! account for and limit. On cgroup v1 each controller is its own filesystem, mounted at
//! `/sys/fs/cgroup/<name>` (sometimes two share one mount: `cpu,cpuacct`). On cgroup v2 there
//! is one tree, and a controller is switched on for a subtree by writing `+<name>` to the
//! parent's `cgroup.subtree_control`.
//!
//! | what | v1 | v2 |
//! |---|---|---|
//! | CPU time share and CFS quota | `cpu` | `cpu` |
//! | CPU usage counters | `cpuacct` | `cpu` (`cpu.stat`) |
//! | pinning to CPUs and memory nodes | `cpuset` | `cpuset` |
//! | memory and swap | `memory` | `memory` |
//! | process count | `pids` | `pids` |
//! | block I/O weight and counters | `blkio` | `io` |
//! | pause/unpause | `freezer` | built in (`cgroup.freeze`) |
//! | device access | `devices` | an eBPF program (not a file) |

use std::fmt;

/// One cgroup controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Controller {
    Cpu,
    Cpuacct,
    Cpuset,
    Memory,
    Pids,
    Blkio,
    Freezer,
    Devices,
    /// v2 only: block I/O (v1's `blkio`).
    Io,
}

impl Controller {
    // ANCHOR: controllers
    /// The v1 controllers a container gets a directory in, in the order runc joins them.
    /// `cpuset` comes before any process is added: a new v1 cpuset is empty and refuses tasks
    /// until `cpuset.cpus` and `cpuset.mems` are filled in.
    pub const V1: [Controller; 8] = [
        Controller::Cpuset,
        Controller::Cpu,
        Controller::Cpuacct,
        Controller::Memory,
        Controller::Pids,
        Controller::Blkio,
        Controller::Freezer,
        Controller::Devices,
    ];

    /// The v2 controllers minidocker enables for its containers (`cgroup.subtree_control`).
    pub const V2: [Controller; 5] = [
        Controller::Cpuset,
        Controller::Cpu,
        Controller::Io,
        Controller::Memory,
        Controller::Pids,
    ];
    // ANCHOR_END: controllers

    /// The kernel's name: in `/proc/self/cgroup`, mount options and `cgroup.controllers`.
    pub fn name(self) -> &'static str {
        match self {
            Controller::Cpu => "cpu",
            Controller::Cpuacct => "cpuacct",
            Controller::Cpuset => "cpuset",
            Controller::Memory => "memory",
            Controller::Pids => "pids",
            Controller::Blkio => "blkio",
            Controller::Freezer => "freezer",
            Controller::Devices => "devices",
            Controller::Io => "io",
        }
    }
}

impl fmt::Display for Controller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
