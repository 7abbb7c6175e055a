//! UTS namespace: a child renames "its" machine; the host keeps its name.
//!
//! Run as root: `cargo run -p ch02-namespaces --example uts`

use ch02_namespaces::{ForkedChild, Namespace, NamespaceError, current_namespace_id};
use ch02_namespaces::{set_hostname, unshare};
use nix::unistd::gethostname;

const NEW_NAME: &str = "minidocker-demo";

fn hostname() -> String {
    gethostname().map_or_else(|e| format!("<{e}>"), |h| h.to_string_lossy().into_owned())
}

fn inside() -> Result<(), NamespaceError> {
    unshare(&[Namespace::Uts])?;
    set_hostname(NEW_NAME)?;
    let ns = current_namespace_id(Namespace::Uts)?;
    println!("inside : hostname {:<20} uts:[{}]", hostname(), ns.inode);
    Ok(())
}

fn main() -> Result<(), NamespaceError> {
    let ns = current_namespace_id(Namespace::Uts)?;
    println!("host   : hostname {:<20} uts:[{}]", hostname(), ns.inode);

    // SAFETY: this program is single-threaded, so the child can do anything after fork.
    let child = unsafe {
        ForkedChild::spawn(|_| match inside() {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("child: {e}");
                1
            }
        })
    }?;
    let code = child.wait()?;

    println!(
        "host   : hostname {:<20} (unchanged after the child exited {code})",
        hostname()
    );
    std::process::exit(code);
}
