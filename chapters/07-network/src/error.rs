//! What can go wrong, with enough detail to act on it.
//!
//! Every variant names the object it was working on (a link, a subnet, a file, an iptables
//! rule), so a message alone says what happened:
//! `netlink RTM_NEWLINK of link veth0 failed: File exists (os error 17)`.

use std::net::Ipv4Addr;
use std::path::PathBuf;

use nix::errno::Errno;

/// An error from this crate.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// The kernel refused a netlink request (rtnetlink(7)).
    #[error("netlink {request} of {object} failed: {source}")]
    Netlink {
        /// The message type sent, e.g. `RTM_NEWLINK`.
        request: &'static str,
        /// What it was about, e.g. `link veth0`.
        object: String,
        /// The errno the kernel answered with.
        source: std::io::Error,
    },

    /// A netlink answer could not be decoded.
    #[error("netlink {request} of {object}: bad answer: {reason}")]
    NetlinkDecode {
        /// The message type sent.
        request: &'static str,
        /// What it was about.
        object: String,
        /// What was wrong with the answer.
        reason: String,
    },

    /// No link has this name in the namespace asked.
    #[error("link {name} not found")]
    LinkNotFound {
        /// The name looked up.
        name: String,
    },

    /// A link name the kernel would not accept (1 to 15 bytes, no `/`, no whitespace).
    #[error("invalid link name {name:?}: {reason}")]
    InvalidLinkName {
        /// The name.
        name: String,
        /// The rule it broke.
        reason: &'static str,
    },

    /// Creating, opening or entering a network namespace failed.
    #[error("{syscall} for network namespace {what} failed: {source}")]
    Netns {
        /// `unshare(2)`, `open(2)` or `setns(2)`.
        syscall: &'static str,
        /// Which namespace (`new`, a path).
        what: String,
        /// Why the kernel refused.
        source: Errno,
    },

    /// A thread doing work inside a namespace panicked.
    #[error("thread working in network namespace {what} panicked")]
    NetnsThread {
        /// Which namespace.
        what: String,
    },

    /// A CIDR string that does not parse.
    #[error("invalid CIDR address: {cidr}")]
    InvalidCidr {
        /// The string.
        cidr: String,
    },

    /// An IPAM request that does not fit its network.
    #[error("{reason}")]
    Ipam {
        /// Docker's message, naming the network and address.
        reason: String,
    },

    /// Every address of a network is taken.
    #[error("no available IPv4 addresses on network {network} ({subnet})")]
    NoFreeAddress {
        /// The network id.
        network: String,
        /// Its subnet.
        subnet: String,
    },

    /// An address asked for explicitly is already allocated.
    #[error("Address already in use: {ip} on network {network}")]
    AddressInUse {
        /// The address.
        ip: Ipv4Addr,
        /// The network id.
        network: String,
    },

    /// Every pool subnet is used or routed on the host.
    #[error(
        "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network"
    )]
    NoFreePool,

    /// Reading or writing a state file failed.
    #[error("{op} of {} failed: {source}", .path.display())]
    Io {
        /// `read`, `write`, `rename`, ...
        op: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },

    /// A state file that is not valid JSON.
    #[error("parsing {} failed: {source}", .path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: serde_json::Error,
    },

    /// A `-p` port spec Docker would reject; the message is Docker's.
    #[error("{message}")]
    PortSpec {
        /// Docker's message, e.g. `invalid hostPort: 99999`.
        message: String,
    },

    /// The `iptables` binary could not be run.
    #[error("running iptables {args} failed: {source}")]
    IptablesSpawn {
        /// The arguments.
        args: String,
        /// The cause.
        source: std::io::Error,
    },

    /// `iptables` ran and failed.
    #[error("iptables {args} failed ({status}): {stderr}")]
    Iptables {
        /// The arguments.
        args: String,
        /// Its exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
    },

    /// The embedded DNS server could not bind or start.
    #[error("embedded DNS server {proto} {listen}: {op} failed: {source}")]
    Dns {
        /// `udp` or `tcp`.
        proto: &'static str,
        /// The address listened on, inside the container's namespace.
        listen: std::net::SocketAddr,
        /// `bind`, ...
        op: &'static str,
        /// The cause.
        source: std::io::Error,
    },

    /// A userland proxy could not bind or run.
    #[error("userland proxy {proto} {listen} -> {target}: {op} failed: {source}")]
    Proxy {
        /// `tcp` or `udp`.
        proto: &'static str,
        /// The address listened on.
        listen: std::net::SocketAddr,
        /// The address forwarded to.
        target: std::net::SocketAddr,
        /// `bind`, ...
        op: &'static str,
        /// The cause.
        source: std::io::Error,
    },
}
