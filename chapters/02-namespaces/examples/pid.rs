//! PID namespace: the first process in a new one is PID 1 and has no parent.
//!
//! `unshare(CLONE_NEWPID)` does not move the caller (a process keeps its PID for life): it
//! sets the namespace of the caller's *next child*, which becomes PID 1. Compare
//! `/proc/self/ns/pid` and `/proc/self/ns/pid_for_children` in the middle process: the
//! second link only resolves once the new namespace has its first process.
//!
//! Run as root: `cargo run -p ch02-namespaces --example pid`

use std::fs::read_link;

use ch02_namespaces::{ForkedChild, Namespace, NamespaceError, current_namespace_id, unshare};
use nix::unistd::{getpid, getppid};

fn link(path: &str) -> String {
    read_link(path).map_or_else(|e| format!("<{e}>"), |p| p.display().to_string())
}

fn middle() -> Result<i32, NamespaceError> {
    unshare(&[Namespace::Pid])?;
    println!(
        "middle : pid {:<6} ns/pid {}  ns/pid_for_children {}",
        getpid(),
        link("/proc/thread-self/ns/pid"),
        link("/proc/thread-self/ns/pid_for_children")
    );
    // SAFETY: the middle process is single-threaded.
    let mut first = unsafe {
        ForkedChild::spawn(|side| {
            let ns = current_namespace_id(Namespace::Pid).map_or(0, |id| id.inode);
            println!(
                "inside : getpid() = {}, getppid() = {}  pid:[{ns}]",
                getpid(),
                getppid()
            );
            let _ = side.send("printed");
            i32::from(getpid().as_raw() != 1)
        })
    }?;
    first.recv()?;
    println!(
        "middle : that process is pid {} from outside; ns/pid_for_children {} now exists",
        first.pid(),
        link("/proc/thread-self/ns/pid_for_children")
    );
    first.wait()
}

fn main() -> Result<(), NamespaceError> {
    let ns = current_namespace_id(Namespace::Pid)?;
    println!(
        "host   : getpid() = {}, getppid() = {}  pid:[{}]",
        getpid(),
        getppid(),
        ns.inode
    );
    // SAFETY: this program is single-threaded.
    let child = unsafe {
        ForkedChild::spawn(|_| {
            middle().unwrap_or_else(|e| {
                eprintln!("middle: {e}");
                1
            })
        })
    }?;
    std::process::exit(child.wait()?);
}
