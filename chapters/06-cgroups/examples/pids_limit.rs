//! Pids limit: a process tries to start 40 others in a cgroup that allows 10 processes.
//!
//! Run as root: `cargo run -p ch06-cgroups --example pids_limit`
//!
//! The example re-runs itself as the child ("spawner" mode): it waits at a gate until it is
//! in the cgroup, then starts `sleep` processes until 40 attempts are made. Every `fork(2)`
//! past the limit fails with `EAGAIN` ("Resource temporarily unavailable").

use std::error::Error;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};

use ch06_cgroups::{CgroupManager, CgroupParent, Controller, Resources, open};
use nix::unistd::Pid;

const LIMIT: i64 = 10;

/// Kills whatever is left in the cgroup and removes it, also on error.
struct Cleanup(Box<dyn CgroupManager>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill_all().and_then(|()| self.0.remove()) {
            eprintln!("cleanup: {e}");
        }
    }
}

fn spawner() -> Result<(), Box<dyn Error>> {
    let mut gate = [0u8; 1];
    std::io::stdin().read_exact(&mut gate)?;
    let mut started: Vec<Child> = Vec::new();
    let mut refused = 0;
    let mut last_error = String::new();
    for _ in 0..40 {
        match Command::new("sleep").arg("600").spawn() {
            Ok(child) => started.push(child),
            Err(e) => {
                refused += 1;
                last_error = e.to_string();
            }
        }
    }
    println!(
        "child: started {} sleepers, {refused} refused ({last_error})",
        started.len()
    );
    std::io::stdout().flush()?;
    // Stay, with the sleepers, until the parent kills the whole cgroup.
    std::io::stdin().read_exact(&mut gate)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    if std::env::args().nth(1).as_deref() == Some("spawner") {
        return spawner();
    }
    if !nix::unistd::geteuid().is_root() {
        eprintln!("run as root: creating cgroups is privileged");
        std::process::exit(1);
    }
    let name = format!("ch06-example-pids-{}", std::process::id());
    let cgroup = open(&name, &CgroupParent::default())?;
    cgroup.create()?;
    let cgroup = Cleanup(cgroup);
    cgroup.0.apply(&Resources {
        pids_limit: Some(LIMIT),
        ..Default::default()
    })?;
    let dir = cgroup
        .0
        .controller_dir(Controller::Pids)
        .ok_or("no pids controller")?;
    println!("pids.max = {LIMIT} in {}", dir.display());

    let mut child = Command::new(std::env::current_exe()?)
        .arg("spawner")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    let added = cgroup.0.add_process(Pid::from_raw(i32::try_from(child.id())?));
    let mut gate = child.stdin.take().ok_or("no stdin")?;
    if let Err(e) = added {
        child.kill()?;
        child.wait()?;
        return Err(e.into());
    }
    gate.write_all(b"g")?;

    let mut report = String::new();
    BufReader::new(child.stdout.take().ok_or("no stdout")?).read_line(&mut report)?;
    print!("{report}");
    let s = cgroup.0.stats()?;
    let refused = s.pids.refused_forks.map_or("?".to_string(), |n| n.to_string());
    println!(
        "pids.current = {} (the child and its sleepers), forks refused by the kernel = {refused}",
        s.pids.current
    );

    cgroup.0.kill_all()?;
    println!(
        "killed: child {}; {} processes left",
        child.wait()?,
        cgroup.0.pids()?.len()
    );
    Ok(())
}
