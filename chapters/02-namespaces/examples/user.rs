//! User namespace: nobody on the host, root inside.
//!
//! The child first gives up root for good (uid and gid 65534, "nobody"), so everything
//! after that is what any unprivileged user could do. It unshares a user namespace and maps
//! uid/gid 0 inside to its own 65534 outside, the way `unshare --map-root-user` and rootless
//! containers start. Writing its own gid map unprivileged requires `deny` in
//! `/proc/self/setgroups` first, which `write_gid_map` does.
//!
//! Run as root: `cargo run -p ch02-namespaces --example user`

use std::process::Command;

use ch02_namespaces::{ChildSide, ForkedChild, IdMapping, Namespace, current_namespace_id};
use ch02_namespaces::{unshare, write_gid_map, write_uid_map};
use nix::sys::prctl::set_dumpable;
use nix::unistd::{Gid, Pid, Uid, getuid, setgid, setgroups, setuid};

type Error = Box<dyn std::error::Error>;

const NOBODY: u32 = 65534;

/// The lines of a /proc/<pid>/status file that start with one of `keys`.
fn status(pid: &str, keys: &[&str]) -> Result<Vec<String>, Error> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(text
        .lines()
        .filter(|l| keys.iter().any(|k| l.starts_with(k)))
        .map(|l| l.replace('\t', " "))
        .collect())
}

fn inside(side: &mut ChildSide) -> Result<(), Error> {
    setgroups(&[])?;
    setgid(Gid::from_raw(NOBODY))?;
    setuid(Uid::from_raw(NOBODY))?;
    // Changing uid made the process non-dumpable, which makes its /proc files root's;
    // as nobody it could then not write its own uid_map.
    set_dumpable(true)?;
    println!(
        "inside : before unshare uid {}, {:?}",
        getuid(),
        status("self", &["CapEff"])?
    );

    unshare(&[Namespace::User])?;
    println!(
        "inside : after unshare, before the map: uid {} (unmapped = overflow uid)",
        getuid()
    );
    let root = [IdMapping {
        container_id: 0,
        host_id: NOBODY,
        size: 1,
    }];
    write_uid_map(Pid::this(), &root)?;
    write_gid_map(Pid::this(), &root)?;

    let ns = current_namespace_id(Namespace::User)?;
    println!(
        "inside : user:[{}]  uid {}  {:?}",
        ns.inode,
        getuid(),
        status("self", &["CapEff"])?
    );
    let id = Command::new("id").output()?;
    println!(
        "inside : `id` says {}",
        String::from_utf8_lossy(&id.stdout).trim()
    );
    println!(
        "inside : /proc/self/setgroups says {}",
        std::fs::read_to_string("/proc/self/setgroups")?.trim()
    );
    side.send("mapped")?;
    side.wait_for_parent()?;
    Ok(())
}

fn main() -> Result<(), Error> {
    let ns = current_namespace_id(Namespace::User)?;
    println!("host   : user:[{}]  uid {}", ns.inode, getuid());
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
    if child.recv()?.as_deref() == Some("mapped") {
        let pid = child.pid().to_string();
        println!(
            "host   : the child seen from the host: {:?}",
            status(&pid, &["Uid", "Gid", "CapEff"])?
        );
        let map = std::fs::read_to_string(format!("/proc/{pid}/uid_map"))?;
        println!("host   : /proc/{pid}/uid_map: {}", map.trim());
        println!("host   : (those capabilities count only inside the child's user namespace)");
    }
    std::process::exit(child.wait()?);
}
