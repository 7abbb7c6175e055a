//! A new network namespace starts with one interface, `lo`, and it is *down*: even
//! `ping 127.0.0.1` fails. Docker brings it up in every container, whatever the network mode.
//! Here that takes two `ioctl(2)`s on any socket; chapter 7 does the rest of the network
//! with netlink.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use nix::errno::Errno;

use crate::NamespaceError;

fn lo_request() -> libc::ifreq {
    // SAFETY: ifreq is a plain C struct (a name and a union of integers); all zeroes is valid.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = *src as libc::c_char;
    }
    req
}

// ANCHOR: loopback_up
/// Set `IFF_UP` on `lo` in the caller's network namespace (netdevice(7): `SIOCGIFFLAGS`,
/// `SIOCSIFFLAGS`). Needs `CAP_NET_ADMIN` in that namespace.
pub fn set_loopback_up() -> Result<(), NamespaceError> {
    let err = |op| move |source| NamespaceError::Loopback { op, source };
    // SAFETY: socket(2) takes no pointers; the result is checked before use.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
    if fd < 0 {
        return Err(err("socket(2)")(Errno::last()));
    }
    // SAFETY: fd is a socket we just opened and own; OwnedFd closes it once.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    let mut req = lo_request();
    // SAFETY: SIOCGIFFLAGS reads the name from and writes the flags into `req`, which lives
    // for the whole call.
    if unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCGIFFLAGS, &mut req) } < 0 {
        return Err(err("ioctl(SIOCGIFFLAGS)")(Errno::last()));
    }
    // SAFETY: after SIOCGIFFLAGS the union holds ifru_flags.
    unsafe { req.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short };
    // SAFETY: as above; SIOCSIFFLAGS only reads `req`.
    if unsafe { libc::ioctl(socket.as_raw_fd(), libc::SIOCSIFFLAGS, &req) } < 0 {
        return Err(err("ioctl(SIOCSIFFLAGS)")(Errno::last()));
    }
    Ok(())
}
// ANCHOR_END: loopback_up
