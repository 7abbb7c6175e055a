//! Cgroup namespace: inside, the cgroup the process was in becomes the root, "/".
//!
//! `/proc/<pid>/cgroup` shows cgroup paths relative to the *reader's* cgroup namespace
//! root, so the same child shows full paths to the host and "/" to itself. (On a cgroup v1
//! or hybrid host there is one line per hierarchy; on v2, one line `0::/...`.)
//!
//! Run as root: `cargo run -p ch02-namespaces --example cgroup`

use ch02_namespaces::{ChildSide, ForkedChild, Namespace, current_namespace_id, unshare};

type Error = Box<dyn std::error::Error>;

fn print_cgroups(who: &str, path: &str) -> Result<(), Error> {
    println!("{who}: {path}");
    for line in std::fs::read_to_string(path)?.lines() {
        println!("           {line}");
    }
    Ok(())
}

fn inside(side: &mut ChildSide) -> Result<(), Error> {
    unshare(&[Namespace::Cgroup])?;
    let ns = current_namespace_id(Namespace::Cgroup)?;
    print_cgroups(&format!("inside : cgroup:[{}]", ns.inode), "/proc/self/cgroup")?;
    side.send("unshared")?;
    side.wait_for_parent()?;
    Ok(())
}

fn main() -> Result<(), Error> {
    let ns = current_namespace_id(Namespace::Cgroup)?;
    print_cgroups(&format!("host   : cgroup:[{}]", ns.inode), "/proc/self/cgroup")?;
    // SAFETY: this program is single-threaded.
    let mut child = unsafe {
        ForkedChild::spawn(|side| match inside(side) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("child: {e}");
                1
            }
        })
    }?;
    if child.recv()?.as_deref() == Some("unshared") {
        let path = format!("/proc/{}/cgroup", child.pid());
        print_cgroups("host   : the same child, seen from the host", &path)?;
    }
    std::process::exit(child.wait()?);
}
