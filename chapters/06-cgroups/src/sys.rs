//! Everything this crate asks of the kernel, behind one trait.
//!
//! A cgroup is driven entirely through files: `mkdir(2)` makes one (and the kernel fills the
//! new directory with interface files), `write(2)` sets a limit or moves a process,
//! `read(2)` reports, `rmdir(2)` removes. The one other call is `kill(2)`.
//!
//! The backends never touch `std::fs` directly; they go through [`Sys`]. [`HostSys`] is the
//! real thing. A test can pass its own implementation to run a backend against a fake
//! cgroupfs in a temporary directory (see `tests/fake_v2.rs`), where "the kernel" is a
//! few lines that create the interface files on `mkdir` and never signal a real process.

use std::fmt;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::error::CgroupError;

// ANCHOR: sys_trait
/// The kernel as seen by a cgroup backend.
pub trait Sys: fmt::Debug + Send + Sync {
    /// Creates one cgroup directory: mkdir(2). The parent must exist.
    fn mkdir(&self, path: &Path) -> io::Result<()>;
    /// Removes one empty cgroup directory: rmdir(2). Fails with `EBUSY` while processes
    /// (or child cgroups) are inside.
    fn rmdir(&self, path: &Path) -> io::Result<()>;
    /// Reads a whole interface file: open(2) and read(2).
    fn read(&self, path: &Path) -> io::Result<String>;
    /// Writes one value to an existing interface file with a single write(2); the file is
    /// never created (a missing file means a missing controller).
    fn write(&self, path: &Path, value: &str) -> io::Result<()>;
    /// Whether a file or directory exists: stat(2).
    fn exists(&self, path: &Path) -> bool;
    /// The child cgroups (subdirectories) of a cgroup directory: getdents(2).
    fn subdirs(&self, path: &Path) -> io::Result<Vec<PathBuf>>;
    /// Sends a signal to one process: kill(2).
    fn kill(&self, pid: Pid, signal: Signal) -> Result<(), Errno>;
}
// ANCHOR_END: sys_trait

/// The real kernel: cgroupfs through `std::fs`, signals through `kill(2)`.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostSys;

impl Sys for HostSys {
    fn mkdir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)
    }

    fn rmdir(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_dir(path)
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        // No O_CREAT, no O_TRUNC: cgroupfs files always exist and parse each write(2) as one
        // command, so the value must go in one call (it is tiny, write_all does one).
        let mut file = OpenOptions::new().write(true).open(path)?;
        file.write_all(value.as_bytes())
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn subdirs(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        let mut dirs = Vec::new();
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                dirs.push(entry.path());
            }
        }
        dirs.sort();
        Ok(dirs)
    }

    fn kill(&self, pid: Pid, signal: Signal) -> Result<(), Errno> {
        nix::sys::signal::kill(pid, signal)
    }
}

/// Reads a file through `sys`, naming the path on failure.
pub(crate) fn read(sys: &dyn Sys, path: &Path) -> Result<String, CgroupError> {
    sys.read(path).map_err(|source| CgroupError::read(path, source))
}

/// Reads a file that may legitimately be absent (an optional controller or kernel feature).
pub(crate) fn read_optional(sys: &dyn Sys, path: &Path) -> Result<Option<String>, CgroupError> {
    match sys.read(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(CgroupError::read(path, source)),
    }
}

/// Writes `value` to `path`, naming both on failure.
pub(crate) fn write(sys: &dyn Sys, path: &Path, value: &str) -> Result<(), CgroupError> {
    tracing::debug!(path = %path.display(), value, "cgroup write");
    sys.write(path, value).map_err(|source| CgroupError::Write {
        path: path.to_path_buf(),
        value: value.to_string(),
        source,
    })
}

/// Reads a file holding one unsigned number (or `max`, returned as `None`).
pub(crate) fn read_u64_or_max(sys: &dyn Sys, path: &Path) -> Result<Option<u64>, CgroupError> {
    let text = read(sys, path)?;
    parse_u64_or_max(text.trim()).ok_or_else(|| CgroupError::parse(path, format!("not a number: {text:?}")))
}

/// `"max"` → `Some(None)`, a number → `Some(Some(n))`, anything else → `None`.
pub(crate) fn parse_u64_or_max(text: &str) -> Option<Option<u64>> {
    if text == "max" {
        Some(None)
    } else {
        text.parse().ok().map(Some)
    }
}

/// Parses a "flat keyed" file (`memory.stat`, `cpu.stat`, `memory.events`): `key value` lines.
/// Lines that do not fit are skipped: the kernel adds keys over time.
pub(crate) fn parse_flat_keyed(text: &str) -> std::collections::BTreeMap<String, u64> {
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(' ')?;
            Some((key.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// Parses `cgroup.procs`: one pid per line.
pub(crate) fn parse_pids(path: &Path, text: &str) -> Result<Vec<Pid>, CgroupError> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.trim()
                .parse::<i32>()
                .map(Pid::from_raw)
                .map_err(|_| CgroupError::parse(path, format!("bad pid {l:?}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_keyed_files_parse_and_skip_junk() {
        let map = parse_flat_keyed("cache 4096\nrss 8192\nweird line here\n\nnr_periods 3\n");
        assert_eq!(map.get("cache"), Some(&4096));
        assert_eq!(map.get("rss"), Some(&8192));
        assert_eq!(map.get("nr_periods"), Some(&3));
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn max_is_unlimited() {
        assert_eq!(parse_u64_or_max("max"), Some(None));
        assert_eq!(parse_u64_or_max("42"), Some(Some(42)));
        assert_eq!(parse_u64_or_max("-1"), None);
    }

    #[test]
    fn pids_parse_one_per_line() {
        let p = Path::new("cgroup.procs");
        assert_eq!(
            parse_pids(p, "1\n22\n").unwrap(),
            vec![Pid::from_raw(1), Pid::from_raw(22)]
        );
        assert!(parse_pids(p, "").unwrap().is_empty());
        assert!(parse_pids(p, "x\n").is_err());
    }
}
