//! Memory limit: a child that keeps allocating is OOM-killed at its cgroup's limit.
//!
//! Run as root: `cargo run -p ch06-cgroups --example memory_limit`
//!
//! The example re-runs itself as the child ("hog" mode): it waits at a gate until it is in
//! the cgroup, then allocates and touches memory 4 MiB at a time, reporting as it goes.

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use ch06_cgroups::{CgroupManager, CgroupParent, Hierarchy, HostInfo, HostSys, Resources, open, validate};
use nix::unistd::Pid;

const LIMIT: i64 = 32 * 1024 * 1024;

/// Kills whatever is left in the cgroup and removes it, also on error.
struct Cleanup(Box<dyn CgroupManager>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill_all().and_then(|()| self.0.remove()) {
            eprintln!("cleanup: {e}");
        }
    }
}

fn hog() -> Result<(), Box<dyn Error>> {
    let mut gate = [0u8; 1];
    std::io::stdin().read_exact(&mut gate)?;
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    for step in 1..=64 {
        // vec![1; n] writes every byte, so every page is really used.
        chunks.push(vec![1u8; 4 << 20]);
        println!("child: {} MiB allocated", step * 4);
        std::io::stdout().flush()?;
    }
    println!("child: survived with {} chunks", chunks.len());
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    if std::env::args().nth(1).as_deref() == Some("hog") {
        return hog();
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!("run as root: creating cgroups is privileged");
        std::process::exit(1);
    }

    // Docker's rules first: `-m 32m --memory-swap 32m` (no swap).
    let host = HostInfo::detect(&Hierarchy::detect()?, &HostSys)?;
    let requested = Resources {
        memory: LIMIT,
        memory_swap: LIMIT,
        ..Default::default()
    };
    let checked = validate(&requested, &host, false)?;
    for warning in &checked.warnings {
        println!("WARNING: {warning}");
    }

    let name = format!("ch06-example-memory-{}", std::process::id());
    let cgroup = open(&name, &CgroupParent::default())?;
    cgroup.create()?;
    let cgroup = Cleanup(cgroup);
    cgroup.0.apply(&checked.resources)?;
    println!("cgroup ({:?}):", cgroup.0.version());
    for dir in cgroup.0.dirs() {
        println!("  {}", dir.display());
    }
    println!("limit: {} MiB of memory, no swap", LIMIT >> 20);

    let mut child = Command::new(std::env::current_exe()?)
        .arg("hog")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let pid = Pid::from_raw(i32::try_from(child.id())?);
    let added = cgroup.0.add_process(pid);
    let mut gate = child.stdin.take().ok_or("no stdin")?;
    if let Err(e) = added {
        child.kill()?;
        child.wait()?;
        return Err(e.into());
    }
    gate.write_all(b"g")?;

    let stdout = child.stdout.take().ok_or("no stdout")?;
    for line in BufReader::new(stdout).lines() {
        println!("{}", line?);
    }
    let status = child.wait()?;
    match status.signal() {
        Some(9) => println!("child {pid} was killed by SIGKILL: the OOM killer"),
        _ => println!("child {pid} exited: {status}"),
    }

    let stats = cgroup.0.stats()?;
    println!("oom_kill count: {}", stats.oom.oom_kills);
    if let Some(events) = stats.oom.oom_events {
        println!("oom events: {events}");
    }
    if let Some(peak) = stats.memory.max_usage {
        println!("peak usage: {} MiB", peak >> 20);
    }
    Ok(())
}
