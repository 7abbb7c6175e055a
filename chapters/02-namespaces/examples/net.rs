//! Network namespace: a new one has a single interface, `lo`, and it is down.
//!
//! Run as root: `cargo run -p ch02-namespaces --example net`

use std::collections::BTreeMap;

use ch02_namespaces::{ForkedChild, Namespace, current_namespace_id, unshare};
use nix::ifaddrs::getifaddrs;
use nix::net::if_::InterfaceFlags;

type Error = Box<dyn std::error::Error>;

/// Interface name -> "UP" or "DOWN", from getifaddrs(3) (one entry per address, so dedup).
fn interfaces() -> Result<BTreeMap<String, &'static str>, Error> {
    Ok(getifaddrs()?
        .map(|ifa| {
            let up = ifa.flags.contains(InterfaceFlags::IFF_UP);
            (ifa.interface_name, if up { "UP" } else { "DOWN" })
        })
        .collect())
}

fn inside() -> Result<i32, Error> {
    unshare(&[Namespace::Net])?;
    let ns = current_namespace_id(Namespace::Net)?;
    let found = interfaces()?;
    println!("inside : net:[{}]  interfaces {found:?}", ns.inode);
    let only_lo_down = found.len() == 1 && found.get("lo") == Some(&"DOWN");
    Ok(i32::from(!only_lo_down))
}

fn main() -> Result<(), Error> {
    let ns = current_namespace_id(Namespace::Net)?;
    println!("host   : net:[{}]  interfaces {:?}", ns.inode, interfaces()?);
    // SAFETY: this program is single-threaded.
    let child = unsafe {
        ForkedChild::spawn(|_| {
            inside().unwrap_or_else(|e| {
                eprintln!("child: {e}");
                2
            })
        })
    }?;
    let code = child.wait()?;
    println!("host   : the child saw only a down lo: {}", code == 0);
    std::process::exit(code);
}
