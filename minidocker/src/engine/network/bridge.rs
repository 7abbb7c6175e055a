//! A bridge network's Linux bridge and its NAT rules, in the engine's network namespace.
//!
//! dockerd makes `docker0` when it starts and a user network's `br-<id>` at `network create`.
//! Without a daemon (until chapter 10) the default bridge is made by the first container
//! that needs it, and any bridge missing since (a reboot, someone's `ip link del`) is made
//! again the same way: the link, the gateway address, up, then chapter 7's NAT rules.

use ch07_network::{BridgeNetwork, Iptables, Ipv4Net, Netlink, bridge_rules};

use super::NetworkError;
use super::store::NetworkRecord;

/// Where the kernel's IPv4 forwarding switch is, for the caller's network namespace.
const IP_FORWARD: &str = "/proc/sys/net/ipv4/ip_forward";

fn rules_of(record: &NetworkRecord, bridge: &str) -> Option<BridgeNetwork> {
    Some(BridgeNetwork {
        bridge: bridge.to_owned(),
        subnet: record.subnet()?,
        internal: record.internal,
    })
}

// ANCHOR: ensure_bridge
/// Makes the network's bridge with `gateway` on it, up, with its NAT rules, unless the
/// bridge is there already; returns whether it made it.
pub fn ensure_bridge(record: &NetworkRecord, gateway: Ipv4Net) -> Result<bool, NetworkError> {
    let Some(bridge) = record.bridge_name() else {
        return Ok(false);
    };
    let mut nl = Netlink::open()?;
    if nl.link(&bridge).is_ok() {
        return Ok(false);
    }
    nl.add_bridge(&bridge)?;
    let made = (|| -> Result<(), NetworkError> {
        nl.set_mtu(&bridge, 1500)?;
        nl.add_address(&bridge, gateway)?;
        nl.set_up(&bridge)?;
        // Like dockerd: containers' packets are routed through the host.
        std::fs::write(IP_FORWARD, "1").map_err(|source| NetworkError::Io {
            path: IP_FORWARD.into(),
            source,
        })?;
        let iptables = Iptables::new();
        iptables.setup()?;
        if let Some(network) = rules_of(record, &bridge) {
            iptables.add_all(&bridge_rules(&network))?;
        }
        Ok(())
    })();
    if let Err(e) = made {
        let _ = remove_bridge(record);
        return Err(e);
    }
    tracing::info!(network = %record.name, %bridge, %gateway, "bridge created");
    Ok(true)
}
// ANCHOR_END: ensure_bridge

/// Deletes the network's bridge and its NAT rules, whatever of them exists.
pub fn remove_bridge(record: &NetworkRecord) -> Result<(), NetworkError> {
    let Some(bridge) = record.bridge_name() else {
        return Ok(());
    };
    if let Some(network) = rules_of(record, &bridge) {
        let iptables = Iptables::new();
        for rule in bridge_rules(&network) {
            if iptables.exists(&rule).unwrap_or(false) {
                iptables.delete(&rule)?;
            }
        }
    }
    let mut nl = Netlink::open()?;
    if nl.link(&bridge).is_ok() {
        nl.delete_link(&bridge)?;
    }
    Ok(())
}
