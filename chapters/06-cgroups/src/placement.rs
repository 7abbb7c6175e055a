//! Where a container's cgroup lives, and the host-safety rule that decides it.
//!
//! By default a container's cgroup is `<engine's own cgroup>/minidocker/<name>`, looked up
//! *per controller*: on this chapter's reference machine the engine's memory cgroup is
//! `/process_api/<hash>` while every other controller has it at `/`, so a container `web`
//! lands in
//!
//! ```text
//! /sys/fs/cgroup/memory/process_api/<hash>/minidocker/web
//! /sys/fs/cgroup/cpu/minidocker/web
//! /sys/fs/cgroup/pids/minidocker/web        ...
//! ```
//!
//! and never anywhere the engine was not itself placed. A relative `--cgroup-parent` works
//! the same way (relative to the engine's cgroup); an absolute one starts at the top of each
//! hierarchy, as with runc and Docker's cgroupfs driver.
//!
//! The engine writes only inside the container's cgroup and inside the parent directories it
//! owns: the relative parent chain (`minidocker/...`), or, for an absolute parent, the
//! directories it had to create itself.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::CgroupError;
use crate::sys::Sys;

/// The parent of containers' cgroups (Docker's `--cgroup-parent`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupParent {
    absolute: bool,
    components: Vec<String>,
}

impl CgroupParent {
    /// The engine's default: `minidocker`, under the engine's own cgroup.
    pub const DEFAULT: &'static str = "minidocker";

    /// Parses a parent path: `minidocker`, `a/b` (relative to the engine's cgroup) or `/a/b`
    /// (from the top of each hierarchy). `.` and `..` components are refused.
    pub fn new(path: &str) -> Result<Self, CgroupError> {
        let invalid = |why| CgroupError::InvalidName {
            name: path.to_string(),
            why,
        };
        let absolute = path.starts_with('/');
        let components: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        if components.iter().any(|c| c == "." || c == "..") {
            return Err(invalid("'.' and '..' are not allowed"));
        }
        if !absolute && components.is_empty() {
            return Err(invalid("a relative parent must name at least one directory"));
        }
        Ok(CgroupParent { absolute, components })
    }

    /// Whether the parent starts at the top of each hierarchy.
    pub fn is_absolute(&self) -> bool {
        self.absolute
    }

    /// The directories from the base down to the parent.
    pub fn components(&self) -> &[String] {
        &self.components
    }
}

impl Default for CgroupParent {
    fn default() -> Self {
        CgroupParent {
            absolute: false,
            components: vec![Self::DEFAULT.to_string()],
        }
    }
}

/// Checks a container cgroup name: one path component.
pub fn validate_name(name: &str) -> Result<(), CgroupError> {
    let why = if name.is_empty() {
        Some("empty")
    } else if name.contains('/') {
        Some("'/' is not allowed in a cgroup name")
    } else if name == "." || name == ".." {
        Some("'.' and '..' are not allowed")
    } else if name.contains('\0') || name.contains('\n') {
        Some("control characters are not allowed")
    } else {
        None
    };
    match why {
        Some(why) => Err(CgroupError::InvalidName {
            name: name.to_string(),
            why,
        }),
        None => Ok(()),
    }
}

/// A container cgroup's place in one hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// A directory that is not ours: the engine's own cgroup, or the hierarchy's top.
    pub base: PathBuf,
    /// The parent directories below `base`.
    pub parents: Vec<String>,
    /// Whether every parent directory is ours (relative parent) or only the ones we create.
    pub parents_owned: bool,
    /// The container's cgroup directory.
    pub dir: PathBuf,
}

impl Placement {
    // ANCHOR: placement_new
    /// Places `name` under `parent` in one hierarchy. `own_dir` is the engine's cgroup there,
    /// `mount_point` the top of the hierarchy.
    pub fn new(
        own_dir: &Path,
        mount_point: &Path,
        parent: &CgroupParent,
        name: &str,
    ) -> Result<Self, CgroupError> {
        validate_name(name)?;
        let base = if parent.is_absolute() {
            mount_point.to_path_buf()
        } else {
            own_dir.to_path_buf()
        };
        let mut dir = base.clone();
        dir.extend(parent.components());
        dir.push(name);
        Ok(Placement {
            base,
            parents: parent.components().to_vec(),
            parents_owned: !parent.is_absolute(),
            dir,
        })
    }
    // ANCHOR_END: placement_new

    /// The parent directories, top first.
    pub fn parent_dirs(&self) -> Vec<PathBuf> {
        let mut dir = self.base.clone();
        self.parents
            .iter()
            .map(|c| {
                dir.push(c);
                dir.clone()
            })
            .collect()
    }

    /// Creates the missing parents, then the container's directory, which must not exist.
    /// Returns the parent directories that are ours to configure, top first.
    ///
    /// A parent can vanish between two of these mkdir(2)s: an empty shared parent (the
    /// `minidocker` cgroup) may be removed by whoever made it at any time. mkdir then fails
    /// with ENOENT, and the whole chain is made again (a few times at the most).
    pub(crate) fn create(&self, sys: &dyn Sys) -> Result<Vec<PathBuf>, CgroupError> {
        const TRIES: usize = 3;
        let parent_vanished = |e: &CgroupError| matches!(e, CgroupError::Mkdir { source, .. } if source.kind() == io::ErrorKind::NotFound);
        // The leaf first: its parents exist nearly always (every container after the first),
        // and one mkdir(2) then does what one per level would.
        match self.create_leaf(sys) {
            Ok(()) => {
                return Ok(if self.parents_owned {
                    self.parent_dirs()
                } else {
                    Vec::new()
                });
            }
            Err(e) if parent_vanished(&e) => {}
            Err(e) => return Err(e),
        }
        let mut tries = 1;
        loop {
            match self
                .create_parents(sys)
                .and_then(|owned| self.create_leaf(sys).map(|()| owned))
            {
                Err(e) if parent_vanished(&e) && tries < TRIES => tries += 1,
                result => return result,
            }
        }
    }

    /// Creates the missing parent directories. Returns those that are ours to configure:
    /// all of them for a relative parent, the ones just created for an absolute one.
    pub(crate) fn create_parents(&self, sys: &dyn Sys) -> Result<Vec<PathBuf>, CgroupError> {
        let mut owned = Vec::new();
        for dir in self.parent_dirs() {
            let created = match sys.mkdir(&dir) {
                Ok(()) => true,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
                Err(source) => return Err(CgroupError::Mkdir { path: dir, source }),
            };
            if created || self.parents_owned {
                owned.push(dir);
            }
        }
        Ok(owned)
    }

    /// Creates the container's directory; it must not exist yet.
    pub(crate) fn create_leaf(&self, sys: &dyn Sys) -> Result<(), CgroupError> {
        match sys.mkdir(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(CgroupError::AlreadyExists {
                path: self.dir.clone(),
            }),
            Err(source) => Err(CgroupError::Mkdir {
                path: self.dir.clone(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_parent_is_minidocker_under_the_engines_cgroup() {
        let p = Placement::new(
            Path::new("/sys/fs/cgroup/memory/process_api/abc"),
            Path::new("/sys/fs/cgroup/memory"),
            &CgroupParent::default(),
            "web",
        )
        .unwrap();
        assert_eq!(
            p.dir,
            Path::new("/sys/fs/cgroup/memory/process_api/abc/minidocker/web")
        );
        assert_eq!(
            p.parent_dirs(),
            vec![PathBuf::from("/sys/fs/cgroup/memory/process_api/abc/minidocker")]
        );
        assert!(p.parents_owned);
    }

    /// The host's filesystem, but the parent of `leaf` is removed just before the
    /// `vanish_at`-th mkdir of `leaf` (0: never): someone tidying an empty shared parent
    /// away at the worst moment. Counts every mkdir.
    #[derive(Debug)]
    struct ParentVanishes {
        leaf: PathBuf,
        vanish_at: usize,
        leaf_mkdirs: std::sync::atomic::AtomicUsize,
        mkdirs: std::sync::atomic::AtomicUsize,
        done: std::sync::atomic::AtomicBool,
    }

    impl ParentVanishes {
        fn new(leaf: &Path, vanish_at: usize) -> ParentVanishes {
            ParentVanishes {
                leaf: leaf.to_owned(),
                vanish_at,
                leaf_mkdirs: Default::default(),
                mkdirs: Default::default(),
                done: Default::default(),
            }
        }
    }

    impl Sys for ParentVanishes {
        fn mkdir(&self, path: &Path) -> io::Result<()> {
            use std::sync::atomic::Ordering::SeqCst;
            self.mkdirs.fetch_add(1, SeqCst);
            if path == self.leaf && self.leaf_mkdirs.fetch_add(1, SeqCst) + 1 == self.vanish_at {
                std::fs::remove_dir(path.parent().unwrap())?;
                self.done.store(true, SeqCst);
            }
            crate::HostSys.mkdir(path)
        }
        fn rmdir(&self, path: &Path) -> io::Result<()> {
            crate::HostSys.rmdir(path)
        }
        fn read(&self, path: &Path) -> io::Result<String> {
            crate::HostSys.read(path)
        }
        fn write(&self, path: &Path, value: &str) -> io::Result<()> {
            crate::HostSys.write(path, value)
        }
        fn exists(&self, path: &Path) -> bool {
            crate::HostSys.exists(path)
        }
        fn subdirs(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
            crate::HostSys.subdirs(path)
        }
        fn kill(
            &self,
            pid: nix::unistd::Pid,
            signal: nix::sys::signal::Signal,
        ) -> Result<(), nix::errno::Errno> {
            crate::HostSys.kill(pid, signal)
        }
    }

    #[test]
    fn a_parent_removed_between_two_mkdirs_is_made_again() {
        let top = tempfile::tempdir().unwrap();
        let own = top.path().join("own");
        std::fs::create_dir(&own).unwrap();
        let p = Placement::new(&own, top.path(), &CgroupParent::default(), "web").unwrap();
        // the first mkdir of the leaf finds no parent; the parents are made; the parent goes
        // just before the second
        let sys = ParentVanishes::new(&p.dir, 2);
        let owned = p.create(&sys).unwrap();
        assert!(
            sys.done.load(std::sync::atomic::Ordering::SeqCst),
            "the parent was removed"
        );
        assert_eq!(owned, vec![own.join("minidocker")]);
        assert!(p.dir.is_dir());
    }

    #[test]
    fn under_parents_that_exist_a_cgroup_takes_one_mkdir() {
        let top = tempfile::tempdir().unwrap();
        let own = top.path().join("own");
        std::fs::create_dir_all(own.join("minidocker")).unwrap();
        let p = Placement::new(&own, top.path(), &CgroupParent::default(), "web").unwrap();
        let sys = ParentVanishes::new(&p.dir, 0);
        let owned = p.create(&sys).unwrap();
        assert_eq!(sys.mkdirs.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(
            owned,
            vec![own.join("minidocker")],
            "a relative parent is ours all the same"
        );
        assert!(p.dir.is_dir());
        assert!(
            matches!(p.create(&sys), Err(CgroupError::AlreadyExists { .. })),
            "never adopted"
        );
        let absolute = CgroupParent::new("/tenants").unwrap();
        std::fs::create_dir(top.path().join("tenants")).unwrap();
        let p = Placement::new(&own, top.path(), &absolute, "web").unwrap();
        assert_eq!(
            p.create(&sys).unwrap(),
            Vec::<PathBuf>::new(),
            "an absolute one is not"
        );
    }

    #[test]
    fn an_absolute_parent_starts_at_the_top_and_is_not_assumed_ours() {
        let parent = CgroupParent::new("/tenants/a").unwrap();
        let p = Placement::new(Path::new("/cg/memory/x"), Path::new("/cg/memory"), &parent, "web").unwrap();
        assert_eq!(p.dir, Path::new("/cg/memory/tenants/a/web"));
        assert!(!p.parents_owned);
    }

    #[test]
    fn escaping_names_and_parents_are_refused() {
        for bad in ["", "..", ".", "a/b", "x\ny"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        for bad in ["../x", "a/../b", "./a", ""] {
            assert!(CgroupParent::new(bad).is_err(), "{bad:?}");
        }
        assert!(CgroupParent::new("/").unwrap().components().is_empty());
        assert_eq!(CgroupParent::new("a//b/").unwrap().components(), ["a", "b"]);
    }
}
