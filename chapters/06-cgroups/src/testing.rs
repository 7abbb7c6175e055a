//! Unit-test fixture: a temporary directory standing in for one cgroup, and a [`Sys`] that
//! performs and records every write, so a test can assert the exact sequence the kernel
//! would see. Signals are refused: a fixture never reaches a real process.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

use crate::sys::{HostSys, Sys};

#[derive(Debug, Default)]
pub(crate) struct RecordingSys {
    writes: Mutex<Vec<(PathBuf, String)>>,
}

impl Sys for RecordingSys {
    fn mkdir(&self, path: &Path) -> io::Result<()> {
        HostSys.mkdir(path)
    }
    fn rmdir(&self, path: &Path) -> io::Result<()> {
        HostSys.rmdir(path)
    }
    fn read(&self, path: &Path) -> io::Result<String> {
        HostSys.read(path)
    }
    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        self.writes
            .lock()
            .expect("writes lock")
            .push((path.to_path_buf(), value.to_string()));
        // Replace the content, as a cgroup file would now report the new value.
        if !path.exists() {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        std::fs::write(path, value)
    }
    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }
    fn subdirs(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        HostSys.subdirs(path)
    }
    fn kill(&self, _pid: Pid, _signal: Signal) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
}

#[derive(Debug)]
pub(crate) struct Fixture {
    tmp: tempfile::TempDir,
    pub(crate) sys: RecordingSys,
}

impl Fixture {
    /// A cgroup directory holding `files` (name, content).
    pub(crate) fn new(files: &[(&str, &str)]) -> Self {
        let f = Fixture {
            tmp: tempfile::tempdir().expect("tempdir"),
            sys: RecordingSys::default(),
        };
        for (name, content) in files {
            f.create(name, content);
        }
        f
    }

    pub(crate) fn dir(&self) -> &Path {
        self.tmp.path()
    }

    pub(crate) fn create(&self, name: &str, content: &str) {
        let path = self.dir().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("fixture dir");
        }
        std::fs::write(path, content).expect("fixture file");
    }

    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir().join(name)).expect("fixture read")
    }

    /// The writes so far, as (path relative to the fixture, value).
    pub(crate) fn writes(&self) -> Vec<(String, String)> {
        self.sys
            .writes
            .lock()
            .expect("writes lock")
            .iter()
            .map(|(p, v)| {
                let rel = p.strip_prefix(self.dir()).unwrap_or(p);
                (rel.display().to_string(), v.clone())
            })
            .collect()
    }

    pub(crate) fn assert_writes(&self, expected: &[(&str, &str)]) {
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(p, v)| (p.to_string(), v.to_string()))
            .collect();
        assert_eq!(self.writes(), expected);
    }
}
