//! How much memory a daemon or a shim holds: `VmRSS` from `/proc/<pid>/status` and `Pss` from
//! `/proc/<pid>/smaps_rollup` (proc(5)), and the processes around it (its children, the pid
//! behind a unix socket).
//!
//! RSS counts every page mapped, shared or not: two processes of one binary both count its
//! text. PSS divides each shared page among the processes that map it, so summing PSS over a
//! set of processes gives what they cost together.

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

/// The memory of one process, in KiB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessMemory {
    pub pid: i32,
    /// `/proc/<pid>/comm`.
    pub name: String,
    /// `VmRSS` (resident set size).
    pub rss_kib: u64,
    /// `Pss` of `smaps_rollup` (proportional set size).
    pub pss_kib: u64,
    /// `Anonymous` of `smaps_rollup`: heap, stacks, copied-on-write data; the rest of the
    /// RSS is file-backed (the binary's and libraries' pages, shared with other processes
    /// of the same files).
    pub anonymous_kib: u64,
}

impl ProcessMemory {
    /// Reads `pid`'s memory; an error names the file that could not be read.
    pub fn of(pid: i32) -> Result<ProcessMemory, String> {
        let read = |file: &str| {
            let path = format!("/proc/{pid}/{file}");
            std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))
        };
        let status = read("status")?;
        let rollup = read("smaps_rollup")?;
        let kib = |text: &str, key: &str, file: &str| {
            field_kib(text, key).ok_or_else(|| format!("no {key} in /proc/{pid}/{file}"))
        };
        Ok(ProcessMemory {
            pid,
            name: read("comm")?.trim_end().to_owned(),
            rss_kib: kib(&status, "VmRSS:", "status")?,
            pss_kib: kib(&rollup, "Pss:", "smaps_rollup")?,
            anonymous_kib: kib(&rollup, "Anonymous:", "smaps_rollup")?,
        })
    }

    /// `{"pid", "name", "rss_kib", "pss_kib", "anonymous_kib"}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "pid": self.pid,
            "name": self.name,
            "rss_kib": self.rss_kib,
            "pss_kib": self.pss_kib,
            "anonymous_kib": self.anonymous_kib,
        })
    }
}

/// The value of the `key` line (`VmRSS:        1234 kB`) of a proc(5) file, in KiB.
fn field_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// The parent of `pid` (field 4 of `/proc/<pid>/stat`, read after the command name, which
/// may hold spaces and parentheses).
pub fn parent_of(pid: i32) -> Result<i32, String> {
    let path = format!("/proc/{pid}/stat");
    let stat = std::fs::read_to_string(&path).map_err(|e| format!("reading {path}: {e}"))?;
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(1))
        .and_then(|ppid| ppid.parse().ok())
        .ok_or_else(|| format!("no parent pid in {path}"))
}

/// The processes whose parent is `pid`.
pub fn children_of(pid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&child| parent_of(child) == Ok(pid))
        .collect()
}

/// The pid of the process listening on the unix socket at `path`: `SO_PEERCRED` of a
/// connection to it (unix(7)). How the bench finds dockerd from `DOCKER_HOST` alone.
pub fn pid_behind_socket(path: &Path) -> Result<i32, String> {
    let stream = UnixStream::connect(path).map_err(|e| format!("connecting to {}: {e}", path.display()))?;
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: getsockopt(2) writes at most `len` bytes into `cred`, a live `ucred` of that
    // size, for the descriptor `stream` owns until the end of this function.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&raw mut cred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(format!(
            "getsockopt(SO_PEERCRED) on {}: {}",
            path.display(),
            std::io::Error::last_os_error()
        ));
    }
    Ok(cred.pid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_in_kib() {
        let status = "Name:\tx\nVmHWM:\t  900 kB\nVmRSS:\t  812 kB\n";
        assert_eq!(field_kib(status, "VmRSS:"), Some(812));
        assert_eq!(field_kib(status, "Pss:"), None);
    }

    #[test]
    fn this_process_is_measured_and_is_its_parents_child() {
        let me = std::process::id() as i32;
        let mem = ProcessMemory::of(me).expect("own memory");
        assert!(mem.rss_kib > 0 && mem.pss_kib > 0 && mem.pss_kib <= mem.rss_kib);
        assert!(mem.anonymous_kib > 0 && mem.anonymous_kib <= mem.rss_kib);
        let parent = parent_of(me).expect("own parent");
        assert!(children_of(parent).contains(&me));
    }

    #[test]
    fn the_pid_behind_a_socket_is_the_listener() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s");
        let _listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
        assert_eq!(pid_behind_socket(&path), Ok(std::process::id() as i32));
    }
}
