//! `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf`, written for each container.
//!
//! Docker does not edit the image: it writes these three files in the container's own state
//! directory and bind-mounts each over the image's copy. We do the same, so the image stays
//! untouched and a later network change only has to rewrite a file.

use std::fmt::Write as _;
use std::net::IpAddr;

/// The contents of a container's `/etc/hosts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostsFile {
    /// Extra `(address, names)` lines after the defaults: the container's own address, `--add-host`.
    pub entries: Vec<(IpAddr, Vec<String>)>,
}

// ANCHOR: hosts_file
impl HostsFile {
    /// The lines every container gets, as Docker writes them.
    pub const DEFAULTS: [(&'static str, &'static str); 6] = [
        ("127.0.0.1", "localhost"),
        ("::1", "localhost ip6-localhost ip6-loopback"),
        ("fe00::0", "ip6-localnet"),
        ("ff00::0", "ip6-mcastprefix"),
        ("ff02::1", "ip6-allnodes"),
        ("ff02::2", "ip6-allrouters"),
    ];

    pub fn render(&self) -> String {
        let mut out = String::new();
        for (addr, names) in Self::DEFAULTS {
            let _ = writeln!(out, "{addr}\t{names}");
        }
        for (addr, names) in &self.entries {
            let _ = writeln!(out, "{addr}\t{}", names.join(" "));
        }
        out
    }
}
// ANCHOR_END: hosts_file

/// Docker's fallback when the host has no usable nameserver (moby `libnetwork/resolvconf`).
pub const DEFAULT_NAMESERVERS: [&str; 2] = ["8.8.8.8", "8.8.4.4"];

// ANCHOR: resolv_conf
/// The container's `/etc/resolv.conf`, derived from the host's.
///
/// A nameserver on the host's loopback (`127.0.0.53` of systemd-resolved, a local dnsmasq) is
/// unreachable from the container's own network namespace, so Docker drops it; if nothing is
/// left it falls back to public resolvers. Everything else (search, options) is kept.
pub fn container_resolv_conf(host: &str) -> String {
    let mut out = String::new();
    let mut nameservers = 0;
    for line in host.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("nameserver") {
            match words.next().and_then(|w| w.parse::<IpAddr>().ok()) {
                Some(ip) if ip.is_loopback() => continue,
                Some(_) => nameservers += 1,
                None => continue,
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    if nameservers == 0 {
        for ns in DEFAULT_NAMESERVERS {
            let _ = writeln!(out, "nameserver {ns}");
        }
    }
    out
}
// ANCHOR_END: resolv_conf

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_has_localhost_and_the_extra_entries() {
        let hosts = HostsFile {
            entries: vec![("172.17.0.2".parse().unwrap(), vec!["abc123".into()])],
        };
        let text = hosts.render();
        assert!(text.starts_with("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"));
        assert!(text.ends_with("ff02::2\tip6-allrouters\n172.17.0.2\tabc123\n"));
    }

    #[test]
    fn loopback_nameservers_are_dropped_and_replaced() {
        let out = container_resolv_conf("# managed\nnameserver 127.0.0.53\noptions edns0\nsearch lan\n");
        assert_eq!(
            out,
            "# managed\noptions edns0\nsearch lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );
    }

    #[test]
    fn real_nameservers_are_kept() {
        let out = container_resolv_conf("nameserver 10.0.0.1\nnameserver ::1\n");
        assert_eq!(out, "nameserver 10.0.0.1\n");
    }
}
