//! IPC namespace: a System V message queue created inside is invisible on the host.
//!
//! Run as root: `cargo run -p ch02-namespaces --example ipc`

use ch02_namespaces::{ChildSide, ForkedChild, Namespace, current_namespace_id, unshare};

type Error = Box<dyn std::error::Error>;

/// A recognisable key: "mdkr" in ASCII.
const KEY: libc::key_t = 0x6d64_6b72;

/// The queues /proc/sysvipc/msg lists for the reader's IPC namespace, as (key, msqid).
fn queues() -> Result<Vec<(i64, i64)>, Error> {
    let table = std::fs::read_to_string("/proc/sysvipc/msg")?;
    Ok(table
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split_whitespace().map(str::parse::<i64>);
            Some((cols.next()?.ok()?, cols.next()?.ok()?))
        })
        .collect())
}

fn inside(side: &mut ChildSide) -> Result<(), Error> {
    unshare(&[Namespace::Ipc])?;
    // SAFETY: msgget(2) takes two integers and touches no memory of ours.
    let id = unsafe { libc::msgget(KEY, libc::IPC_CREAT | 0o600) };
    if id < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    let ns = current_namespace_id(Namespace::Ipc)?;
    println!("inside : ipc:[{}]  created queue key {KEY:#x} id {id}", ns.inode);
    println!("inside : /proc/sysvipc/msg lists {:x?}", queues()?);
    side.send("created")?;
    side.wait_for_parent()?;
    // SAFETY: IPC_RMID ignores the buffer argument, so a null pointer is allowed.
    if unsafe { libc::msgctl(id, libc::IPC_RMID, std::ptr::null_mut()) } < 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    println!("inside : queue {id} removed");
    Ok(())
}

fn main() -> Result<(), Error> {
    let ns = current_namespace_id(Namespace::Ipc)?;
    println!("host   : ipc:[{}]", ns.inode);
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
    if child.recv()?.as_deref() == Some("created") {
        let host = queues()?;
        let found = host.iter().any(|&(key, _)| key == i64::from(KEY));
        println!("host   : /proc/sysvipc/msg lists {host:x?}; key {KEY:#x} present: {found}");
    }
    let code = child.wait()?;
    std::process::exit(code);
}
