//! Freezer: `docker pause` stops a busy process dead; its CPU time stops growing.
//!
//! Run as root: `cargo run -p ch06-cgroups --example freezer`

use std::error::Error;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use ch06_cgroups::{CgroupManager, CgroupParent, open};
use nix::unistd::Pid;

/// Kills whatever is left in the cgroup and removes it, also on error.
struct Cleanup(Box<dyn CgroupManager>);

impl Drop for Cleanup {
    fn drop(&mut self) {
        if let Err(e) = self.0.kill_all().and_then(|()| self.0.remove()) {
            eprintln!("cleanup: {e}");
        }
    }
}

/// CPU time the cgroup gains in 300ms, in ms.
fn cpu_ms_in_300ms(cgroup: &dyn CgroupManager) -> Result<u64, Box<dyn Error>> {
    let before = cgroup.stats()?.cpu.total_usage;
    std::thread::sleep(Duration::from_millis(300));
    let after = cgroup.stats()?.cpu.total_usage;
    Ok(after.saturating_sub(before) / 1_000_000)
}

fn main() -> Result<(), Box<dyn Error>> {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("run as root: creating cgroups is privileged");
        std::process::exit(1);
    }
    let name = format!("ch06-example-freezer-{}", std::process::id());
    let cgroup = open(&name, &CgroupParent::default())?;
    cgroup.create()?;
    let cgroup = Cleanup(cgroup);

    let mut child = Command::new("sh")
        .args(["-c", "read go || exit 1; while :; do :; done"])
        .stdin(Stdio::piped())
        .spawn()?;
    let added = cgroup.0.add_process(Pid::from_raw(i32::try_from(child.id())?));
    let mut gate = child.stdin.take().ok_or("no stdin")?;
    if let Err(e) = added {
        child.kill()?;
        child.wait()?;
        return Err(e.into());
    }
    gate.write_all(b"go\n")?;

    let cg = cgroup.0.as_ref();
    println!(
        "{:<8} busy loop used {:3} ms of CPU in 300 ms",
        cg.freezer_state()?,
        cpu_ms_in_300ms(cg)?
    );
    cg.freeze()?;
    println!(
        "{:<8} busy loop used {:3} ms of CPU in 300 ms",
        cg.freezer_state()?,
        cpu_ms_in_300ms(cg)?
    );
    cg.thaw()?;
    println!(
        "{:<8} busy loop used {:3} ms of CPU in 300 ms",
        cg.freezer_state()?,
        cpu_ms_in_300ms(cg)?
    );

    cg.kill_all()?;
    println!("killed: {}", child.wait()?);
    Ok(())
}
