//! What can go wrong, in two families.
//!
//! - [`CgroupError`]: talking to the kernel failed. Every variant names the cgroup file or
//!   directory and, for writes, the value written, so the message alone says what to look at:
//!   `writing "5" to /sys/fs/cgroup/cpu/minidocker/web/cpu.cfs_quota_us failed: Invalid argument`.
//! - [`ResourceError`], [`SizeError`], [`CpuListError`]: a resource request was refused
//!   *before* anything was created. These keep Docker's exact wording (capital letter and
//!   all), because users compare them with what `docker run` prints.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use nix::errno::Errno;

/// A failure while creating, configuring, inspecting or removing a cgroup.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    /// read(2) of a cgroup interface file (or of `/proc`) failed.
    #[error("reading {} failed: {source}", .path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },

    /// write(2) of a value to a cgroup interface file failed.
    #[error("writing {value:?} to {} failed: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What was written.
        value: String,
        /// Why (EINVAL: the kernel refused the value; ENOENT: the controller is not there).
        source: io::Error,
    },

    /// mkdir(2) of a cgroup directory failed.
    #[error("mkdir(2) of cgroup {} failed: {source}", .path.display())]
    Mkdir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },

    /// rmdir(2) of a cgroup directory failed for a reason other than processes inside.
    #[error("rmdir(2) of cgroup {} failed: {source}", .path.display())]
    Rmdir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },

    /// The cgroup to create exists already: we will not adopt a cgroup we did not make.
    #[error("cgroup {} already exists; refusing to take over a cgroup this engine did not create", .path.display())]
    AlreadyExists {
        /// The directory.
        path: PathBuf,
    },

    /// A file's content is not what the kernel documents.
    #[error("cannot parse {}: {what}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What was wrong with it.
        what: String,
    },

    /// Neither a cgroup v1 controller nor a cgroup2 hierarchy is mounted.
    #[error("no cgroup hierarchy found in {} (is cgroupfs mounted at /sys/fs/cgroup?)", .path.display())]
    NoHierarchy {
        /// The mount table that was read.
        path: PathBuf,
    },

    /// A limit needs a controller that this host does not mount (v1).
    #[error("the {controller} cgroup controller is not mounted")]
    ControllerMissing {
        /// The controller, e.g. `pids`.
        controller: String,
    },

    /// A limit needs a controller that the parent cgroup does not delegate to us (v2).
    #[error(
        "the {controller} controller is not available in {} (not in its cgroup.controllers): \
         the parent cgroup does not delegate it",
        .path.display()
    )]
    NotDelegated {
        /// The controller, e.g. `memory`.
        controller: String,
        /// The cgroup it is missing from.
        path: PathBuf,
    },

    /// The process is not in any cgroup of this hierarchy (`/proc/self/cgroup` has no line).
    #[error("this process is in no cgroup of the {controller} hierarchy (see /proc/self/cgroup)")]
    NotInHierarchy {
        /// The controller looked up.
        controller: String,
    },

    /// The cgroup still holds processes after waiting for it to empty.
    #[error(
        "cgroup {} is still in use after {waited:?}: pids {pids:?} are inside (kill them first)",
        .path.display()
    )]
    Busy {
        /// The directory that could not be removed.
        path: PathBuf,
        /// The processes seen inside.
        pids: Vec<i32>,
        /// How long we waited.
        waited: Duration,
    },

    /// The freezer did not reach the requested state in time.
    #[error("cgroup {} did not become {wanted} within {waited:?} (last state: {last})", .path.display())]
    FreezerTimeout {
        /// The freezer directory.
        path: PathBuf,
        /// The state asked for.
        wanted: &'static str,
        /// The state last read.
        last: String,
        /// How long we waited.
        waited: Duration,
    },

    /// The freezer is not available for this cgroup.
    #[error("the freezer is not available for cgroup {}", .path.display())]
    NoFreezer {
        /// The cgroup.
        path: PathBuf,
    },

    /// kill(2) of a process inside the cgroup failed (other than "already gone").
    #[error("kill(2) of pid {pid} in cgroup {} failed: {source}", .path.display())]
    Kill {
        /// The process.
        pid: i32,
        /// The cgroup it was listed in.
        path: PathBuf,
        /// Why.
        source: Errno,
    },

    /// A cgroup name or parent that could escape the place it belongs.
    #[error("invalid cgroup path {name:?}: {why}")]
    InvalidName {
        /// What was given.
        name: String,
        /// Why it was refused.
        why: &'static str,
    },

    /// The kernel clamped `cpu.shares` (runc's wording).
    #[error("the {bound} allowed cpu-shares is {actual}")]
    CpuSharesClamped {
        /// `minimum` or `maximum`.
        bound: &'static str,
        /// What the kernel kept.
        actual: u64,
    },
}

impl CgroupError {
    pub(crate) fn read(path: impl Into<PathBuf>, source: io::Error) -> Self {
        CgroupError::Read {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn parse(path: impl Into<PathBuf>, what: impl Into<String>) -> Self {
        CgroupError::Parse {
            path: path.into(),
            what: what.into(),
        }
    }

    /// True when the error means "the interface file is not there" (ENOENT on read or write).
    pub fn is_not_found(&self) -> bool {
        match self {
            CgroupError::Read { source, .. } | CgroupError::Write { source, .. } => {
                source.kind() == io::ErrorKind::NotFound
            }
            _ => false,
        }
    }
}

// ANCHOR: resource_error
/// A resource request Docker would refuse, with Docker's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResourceError {
    #[error("Minimum memory limit allowed is 6MB")]
    MemoryBelowMinimum,
    #[error("Minimum memoryswap limit should be larger than memory limit, see usage")]
    SwapBelowMemory,
    #[error("You should always set the Memory limit when using Memoryswap limit, see usage")]
    SwapWithoutMemory,
    #[error("Minimum memory reservation allowed is 6MB")]
    ReservationBelowMinimum,
    #[error("Minimum memory limit can not be less than memory reservation limit, see usage")]
    MemoryBelowReservation,
    #[error("Conflicting options: Nano CPUs and CPU Period cannot both be set")]
    NanoCpusAndPeriod,
    #[error("Conflicting options: Nano CPUs and CPU Quota cannot both be set")]
    NanoCpusAndQuota,
    #[error(
        "NanoCPUs can not be set, as your kernel does not support CPU CFS scheduler or the cgroup is not mounted"
    )]
    NanoCpusUnsupported,
    #[error("Range of CPUs is from 0.01 to {ncpu}.00, as there are only {ncpu} CPUs available")]
    CpusOutOfRange {
        /// CPUs this process may run on.
        ncpu: u32,
    },
    #[error("CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)")]
    CpuPeriodOutOfRange,
    #[error("CPU cfs quota can not be less than 1ms (i.e. 1000)")]
    CpuQuotaBelowMinimum,
    #[error("Invalid value {value} for cpuset {kind}: {source}")]
    InvalidCpuset {
        /// `cpus` or `mems`.
        kind: &'static str,
        /// What was asked for.
        value: String,
        /// Why it does not parse.
        source: CpuListError,
    },
    #[error("Requested CPUs are not available - requested {requested}, available: {available}")]
    CpusNotAvailable {
        /// What was asked for.
        requested: String,
        /// What the host has.
        available: String,
    },
    #[error("Requested memory nodes are not available - requested {requested}, available: {available}")]
    MemsNotAvailable {
        /// What was asked for.
        requested: String,
        /// What the host has.
        available: String,
    },
    #[error("Range of blkio weight is from 10 to 1000")]
    BlkioWeightOutOfRange,
}
// ANCHOR_END: resource_error

/// A size string that go-units' `RAMInBytes` (what `docker run -m` uses) refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// No number at all, or a negative one.
    #[error("invalid size: '{0}'")]
    InvalidSize(String),
    /// A unit that is not one of b, k, m, g, t, p (optionally followed by `b` or `ib`).
    #[error("invalid suffix: '{0}'")]
    InvalidSuffix(String),
    /// The number part is not a float (Go's strconv wording).
    #[error("strconv.ParseFloat: parsing \"{number}\": {reason}")]
    ParseFloat {
        /// The number part.
        number: String,
        /// `invalid syntax` or `value out of range`.
        reason: &'static str,
    },
}

/// A `--cpus` value that Docker's CLI refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpusError {
    #[error("failed to parse {0} as a rational number")]
    NotRational(String),
    #[error("value is too precise")]
    TooPrecise,
}

/// A CPU or memory-node list (`0-1,3`) that does not parse (Docker's `parsers.ParseUintList`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuListError {
    #[error("invalid format: {0}")]
    InvalidFormat(String),
    // sic: "of out range" is Docker's wording.
    #[error("value of out range, maximum is {0}")]
    OutOfRange(u32),
}
