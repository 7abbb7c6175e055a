//! The v2 backend against a fake cgroupfs in a temporary directory (no root needed).
//!
//! The real v2 run happens in the project's VM; here a few lines play the kernel's part:
//! `mkdir` fills a new cgroup with the interface files of the controllers its parent enabled,
//! `cgroup.subtree_control` only accepts controllers listed in `cgroup.controllers`,
//! `cgroup.freeze` flips `frozen` in `cgroup.events`, `cgroup.kill` empties `cgroup.procs`,
//! and `rmdir` refuses a cgroup with processes. Signals are recorded, never sent.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ch06_cgroups::hierarchy::CgroupMount;
use ch06_cgroups::{
    CgroupError, CgroupManager, CgroupParent, CgroupV2, CgroupVersion, FreezerState, Hierarchy, Resources,
    Sys, Waits, open_in,
};
use nix::errno::Errno;
use nix::sys::signal::Signal;
use nix::unistd::Pid;

#[derive(Debug, Default)]
struct FakeCgroupfs {
    writes: Mutex<Vec<(PathBuf, String)>>,
    signals: Mutex<Vec<(Pid, Signal)>>,
}

/// The files the kernel creates for each enabled controller, with their initial content.
fn controller_files(controller: &str) -> &'static [(&'static str, &'static str)] {
    match controller {
        "memory" => &[
            ("memory.max", "max"),
            ("memory.swap.max", "max"),
            ("memory.low", "0"),
            ("memory.current", "0"),
            ("memory.stat", "anon 0\nfile 0\ninactive_file 0\n"),
            ("memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n"),
        ],
        "cpu" => &[("cpu.max", "max 100000"), ("cpu.weight", "100")],
        "pids" => &[
            ("pids.max", "max"),
            ("pids.current", "0"),
            ("pids.events", "max 0\n"),
        ],
        "cpuset" => &[("cpuset.cpus", ""), ("cpuset.mems", "")],
        "io" => &[("io.weight", "default 100"), ("io.stat", "")],
        _ => &[],
    }
}

fn populate(dir: &Path, controllers: &str) -> io::Result<()> {
    let base = [
        ("cgroup.controllers", controllers),
        ("cgroup.subtree_control", ""),
        ("cgroup.procs", ""),
        ("cgroup.events", "populated 0\nfrozen 0\n"),
        ("cgroup.freeze", "0"),
        ("cgroup.kill", ""),
        ("cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"),
    ];
    for (file, content) in base {
        std::fs::write(dir.join(file), content)?;
    }
    for controller in controllers.split_whitespace() {
        for (file, content) in controller_files(controller) {
            std::fs::write(dir.join(file), content)?;
        }
    }
    Ok(())
}

fn einval() -> io::Error {
    io::Error::from_raw_os_error(libc::EINVAL)
}

impl Sys for FakeCgroupfs {
    fn mkdir(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir(path)?;
        let parent = path.parent().expect("a parent");
        let enabled = std::fs::read_to_string(parent.join("cgroup.subtree_control"))?;
        populate(path, enabled.trim())
    }

    fn rmdir(&self, path: &Path) -> io::Result<()> {
        let procs = std::fs::read_to_string(path.join("cgroup.procs"))?;
        if !procs.trim().is_empty() {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        std::fs::remove_dir_all(path)
    }

    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }

    fn write(&self, path: &Path, value: &str) -> io::Result<()> {
        self.writes
            .lock()
            .expect("lock")
            .push((path.to_path_buf(), value.to_string()));
        if !path.exists() {
            return Err(io::Error::from(io::ErrorKind::NotFound));
        }
        let dir = path.parent().expect("a cgroup dir");
        let file = path.file_name().and_then(|f| f.to_str()).expect("a file name");
        match file {
            "cgroup.subtree_control" => {
                let available = std::fs::read_to_string(dir.join("cgroup.controllers"))?;
                let mut enabled = std::fs::read_to_string(path)?;
                for token in value.split_whitespace() {
                    let name = token.strip_prefix('+').ok_or_else(einval)?;
                    if !available.split_whitespace().any(|c| c == name) {
                        return Err(einval());
                    }
                    enabled = format!("{} {name}", enabled.trim()).trim().to_string();
                }
                std::fs::write(path, enabled)
            }
            "cgroup.procs" => {
                let mut procs = std::fs::read_to_string(path)?;
                procs.push_str(&format!("{}\n", value.trim()));
                std::fs::write(path, procs)
            }
            "cgroup.freeze" => {
                std::fs::write(path, value)?;
                let frozen = if value.trim() == "1" { 1 } else { 0 };
                std::fs::write(
                    dir.join("cgroup.events"),
                    format!("populated 0\nfrozen {frozen}\n"),
                )
            }
            "cgroup.kill" => std::fs::write(dir.join("cgroup.procs"), ""),
            _ => std::fs::write(path, value),
        }
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
        Ok(dirs)
    }

    fn kill(&self, pid: Pid, signal: Signal) -> Result<(), Errno> {
        self.signals.lock().expect("lock").push((pid, signal));
        Ok(())
    }
}

/// A fake cgroup2 root whose top cgroup delegates `delegated` to its children, like a host
/// where the engine runs in the root cgroup.
struct Fake {
    root: tempfile::TempDir,
    fs: Arc<FakeCgroupfs>,
}

impl Fake {
    fn new(delegated: &str) -> Self {
        let root = tempfile::tempdir().expect("tempdir");
        populate(root.path(), "cpuset cpu io memory hugetlb pids rdma misc").expect("populate the root");
        std::fs::write(root.path().join("cgroup.subtree_control"), delegated).expect("delegate");
        Fake {
            root,
            fs: Arc::new(FakeCgroupfs::default()),
        }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn cgroup(&self, name: &str) -> CgroupV2 {
        CgroupV2::new(
            self.path(),
            self.path(),
            name,
            &CgroupParent::default(),
            self.fs.clone(),
        )
        .expect("place the cgroup")
        .with_waits(Waits {
            freeze: Duration::from_millis(200),
            empty: Duration::from_millis(200),
        })
    }

    fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path().join(rel))
            .expect("read a fake file")
            .trim()
            .to_string()
    }

    /// The writes so far, as (path relative to the root, value).
    fn writes(&self) -> Vec<(String, String)> {
        self.fs
            .writes
            .lock()
            .expect("lock")
            .iter()
            .map(|(p, v)| {
                (
                    p.strip_prefix(self.path())
                        .expect("under the root")
                        .display()
                        .to_string(),
                    v.clone(),
                )
            })
            .collect()
    }
}

#[test]
fn create_enables_the_controllers_in_the_parent_it_owns_only() {
    let fake = Fake::new("cpuset cpu io memory pids");
    let cg = fake.cgroup("web");
    cg.create().unwrap();
    assert_eq!(cg.dir(), fake.path().join("minidocker/web"));
    assert_eq!(
        fake.read("minidocker/cgroup.subtree_control"),
        "cpuset cpu io memory pids"
    );
    assert_eq!(
        fake.read("minidocker/web/cgroup.controllers"),
        "cpuset cpu io memory pids"
    );
    // Host safety: nothing was written outside minidocker/.
    for (path, value) in fake.writes() {
        assert!(path.starts_with("minidocker/"), "wrote {value:?} to {path}");
    }
    // A second container reuses the parent without rewriting it.
    let before = fake.writes().len();
    fake.cgroup("db").create().unwrap();
    assert_eq!(fake.writes().len(), before);
}

#[test]
fn apply_writes_v2_files_with_runcs_conversions() {
    let fake = Fake::new("cpuset cpu io memory pids");
    let cg = fake.cgroup("web");
    cg.create().unwrap();
    cg.apply(&Resources {
        memory: 64 << 20,
        memory_swap: 96 << 20,
        memory_reservation: 32 << 20,
        nano_cpus: 1_500_000_000,
        cpu_shares: 1024,
        cpuset_cpus: "0-1".into(),
        cpuset_mems: "0".into(),
        pids_limit: Some(0),
        blkio_weight: 500,
        ..Default::default()
    })
    .unwrap();
    let w = |file: &str| fake.read(&format!("minidocker/web/{file}"));
    assert_eq!(w("memory.max"), "67108864");
    assert_eq!(w("memory.swap.max"), "33554432");
    assert_eq!(w("memory.low"), "33554432");
    assert_eq!(w("cpu.max"), "150000 100000");
    assert_eq!(w("cpu.weight"), "39");
    assert_eq!(w("cpuset.cpus"), "0-1");
    assert_eq!(w("cpuset.mems"), "0");
    assert_eq!(w("pids.max"), "max");
    assert_eq!(w("io.weight"), "default 4950");
}

#[test]
fn a_controller_the_host_does_not_delegate_is_an_error_naming_it() {
    let fake = Fake::new("cpu pids");
    let cg = fake.cgroup("web");
    cg.create().unwrap();
    assert_eq!(fake.read("minidocker/web/cgroup.controllers"), "cpu pids");
    let err = cg
        .apply(&Resources {
            memory: 64 << 20,
            ..Default::default()
        })
        .unwrap_err();
    assert!(
        matches!(&err, CgroupError::NotDelegated { controller, .. } if controller == "memory"),
        "{err}"
    );
    assert!(err.to_string().contains("memory"), "{err}");
    // The root's subtree_control (not ours) was left alone.
    assert_eq!(fake.read("cgroup.subtree_control"), "cpu pids");
    // What is delegated still works.
    cg.apply(&Resources {
        pids_limit: Some(10),
        ..Default::default()
    })
    .unwrap();
}

#[test]
fn processes_freeze_and_kill_through_cgroup_files_without_signals() {
    let fake = Fake::new("cpu memory pids");
    let cg = fake.cgroup("web");
    cg.create().unwrap();
    // Fake pids: only ever written to fake files, never signalled.
    cg.add_process(Pid::from_raw(4242)).unwrap();
    cg.add_process(Pid::from_raw(4243)).unwrap();
    assert_eq!(cg.pids().unwrap(), [Pid::from_raw(4242), Pid::from_raw(4243)]);

    cg.freeze().unwrap();
    assert_eq!(cg.freezer_state().unwrap(), FreezerState::Frozen);
    cg.thaw().unwrap();
    assert_eq!(cg.freezer_state().unwrap(), FreezerState::Thawed);

    match cg.remove() {
        Err(CgroupError::Busy { pids, .. }) => assert_eq!(pids, [4242, 4243]),
        other => panic!("expected Busy, got {other:?}"),
    }
    cg.kill_all().unwrap();
    assert!(cg.pids().unwrap().is_empty());
    assert!(
        fake.fs.signals.lock().unwrap().is_empty(),
        "cgroup.kill needs no kill(2)"
    );
    cg.remove().unwrap();
    assert!(!cg.dir().exists());
    assert!(fake.path().join("minidocker").exists(), "the shared parent stays");
}

#[test]
fn stats_come_from_the_v2_files() {
    let fake = Fake::new("cpu io memory pids");
    let cg = fake.cgroup("web");
    cg.create().unwrap();
    let dir = cg.dir().to_path_buf();
    let put = |file: &str, content: &str| std::fs::write(dir.join(file), content).unwrap();
    put("memory.current", "10485760\n");
    put("memory.max", "67108864\n");
    put(
        "memory.stat",
        "anon 8388608\nfile 2097152\ninactive_file 1048576\n",
    );
    put("memory.events", "low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n");
    put(
        "cpu.stat",
        "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n",
    );
    put("pids.current", "3\n");
    put("io.stat", "8:0 rbytes=4096 wbytes=0 rios=1 wios=0\n");
    let s = cg.stats().unwrap();
    assert_eq!(s.memory.usage, 10 << 20);
    assert_eq!(s.memory.limit, Some(64 << 20));
    assert_eq!(ch06_cgroups::stats::memory_usage_no_cache(&s.memory), 9 << 20);
    assert_eq!((s.oom.oom_events, s.oom.oom_kills), (Some(1), 1));
    assert_eq!(s.cpu.total_usage, 1_500_000);
    assert_eq!((s.pids.current, s.pids.limit), (3, None));
    assert_eq!(ch06_cgroups::stats::blkio_read_write(&s.blkio), (4096, 0));
}

#[test]
fn detection_picks_v2_for_a_unified_host_and_places_under_the_engines_cgroup() {
    let fake = Fake::new("cpu memory pids");
    let engine = fake.path().join("system.slice/engine.service");
    std::fs::create_dir_all(&engine).unwrap();
    populate(&engine, "cpu memory pids").unwrap();
    std::fs::write(engine.join("cgroup.subtree_control"), "cpu memory pids").unwrap();
    let hierarchy = Hierarchy {
        unified: Some(CgroupMount {
            mount_point: fake.path().to_path_buf(),
            root: "/".into(),
            controllers: Vec::new(),
        }),
        own_unified: Some("/system.slice/engine.service".into()),
        ..Default::default()
    };
    let cg = open_in(
        &hierarchy,
        "web",
        &CgroupParent::default(),
        Waits::default(),
        fake.fs.clone(),
    )
    .unwrap();
    assert_eq!(cg.version(), CgroupVersion::V2);
    cg.create().unwrap();
    assert_eq!(cg.dirs(), [engine.join("minidocker/web")]);
    assert_eq!(
        fake.read("system.slice/engine.service/minidocker/cgroup.subtree_control"),
        "cpu memory pids"
    );
    cg.remove().unwrap();
}
