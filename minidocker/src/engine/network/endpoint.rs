//! A container's endpoint on a network: an address from IPAM, a veth pair from the bridge
//! into the container's network namespace, the MAC derived from the address, the default
//! route through the gateway.

use std::net::Ipv4Addr;

use ch07_network::{Ipv4Net, MacAddr, NetNs, Netlink};
use rand::RngCore;

use super::settings::{EndpointIpamConfig, EndpointSettings};
use super::store::{DEFAULT_NETWORK, NetworkRecord};
use super::{NetworkError, bridge};
use crate::container::generate_id;
use crate::engine::Engine;

/// What a container asks of one network.
#[derive(Debug, Clone)]
pub struct EndpointRequest {
    pub network: NetworkRecord,
    /// `--ip`.
    pub ip: Option<Ipv4Addr>,
    /// `--network-alias`.
    pub aliases: Vec<String>,
    /// The interface inside: `eth0`, `eth1`, ….
    pub interface: String,
    /// Whether the container's default route goes through this network's gateway.
    pub default_route: bool,
}

/// A container's endpoint, as made.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Attachment {
    pub network: NetworkRecord,
    pub settings: EndpointSettings,
    /// The host end of the veth pair (`vethXXXXXXX`).
    pub host_veth: String,
}

/// `veth` and 7 hex digits, like Docker's host-side names.
fn veth_name() -> String {
    let mut bytes = [0u8; 4];
    rand::rng().fill_bytes(&mut bytes);
    format!("veth{}", &hex::encode(bytes)[..7])
}

impl Engine {
    // ANCHOR: attach
    /// Connects the container whose network namespace is `netns` to `request.network`.
    pub fn attach_endpoint(
        &self,
        container_id: &str,
        netns: &NetNs,
        request: &EndpointRequest,
    ) -> Result<Attachment, NetworkError> {
        let network = &request.network;
        let Some(bridge) = network.bridge_name() else {
            return Err(NetworkError::Invalid(format!(
                "network {} has no bridge to attach to",
                network.name
            )));
        };
        // An address, and the bridge if it is missing, under the lock: two containers
        // starting at once get different addresses and make the bridge once.
        let (ip, gateway) = {
            let lock = self.networks.lock()?;
            let mut ipam = lock.ipam()?;
            let allocation = ipam
                .network(&network.id)
                .cloned()
                .ok_or_else(|| NetworkError::NotFound(network.name.clone()))?;
            let ip = ipam.allocate(&network.id, container_id, request.ip)?;
            if let Err(e) = bridge::ensure_bridge(network, allocation.gateway_address()) {
                let _ = ipam.release(&network.id, ip);
                return Err(e);
            }
            (
                Ipv4Net::new(ip, allocation.subnet.prefix()).unwrap_or(allocation.subnet),
                allocation.gateway,
            )
        };
        let host_veth = veth_name();
        let wired = self.wire(netns, &bridge, &host_veth, request, ip, gateway);
        if let Err(e) = wired {
            self.release_endpoint(&network.id, ip.addr(), &host_veth);
            return Err(e);
        }
        let mut random = rand::rng();
        let mut aliases = request.aliases.clone();
        if network.name != DEFAULT_NETWORK {
            // On user networks Docker adds the short id, so the DNS answers for it too.
            aliases.push(container_id[..12].to_owned());
        }
        let settings = EndpointSettings {
            ipam_config: request.ip.map(|ip| EndpointIpamConfig {
                ipv4_address: ip.to_string(),
            }),
            aliases: (network.name != DEFAULT_NETWORK).then_some(aliases),
            network_id: network.id.clone(),
            endpoint_id: generate_id(|b| random.fill_bytes(b)),
            gateway: gateway.to_string(),
            ip_address: ip.addr().to_string(),
            ip_prefix_len: ip.prefix(),
            mac_address: MacAddr::from_ipv4(ip.addr()).to_string(),
            ..EndpointSettings::default()
        };
        Ok(Attachment {
            network: network.clone(),
            settings,
            host_veth,
        })
    }

    /// The veth pair, its host end on the bridge and up, the container end configured.
    fn wire(
        &self,
        netns: &NetNs,
        bridge: &str,
        host_veth: &str,
        request: &EndpointRequest,
        ip: Ipv4Net,
        gateway: Ipv4Addr,
    ) -> Result<(), NetworkError> {
        let mut host = Netlink::open()?;
        // Born inside the container's namespace under its final name: no move, no rename.
        host.add_veth_into(host_veth, &request.interface, netns)?;
        host.set_master(host_veth, bridge)?;
        host.set_up(host_veth)?;
        let mut inside = Netlink::open_in(netns)?;
        let interface = &request.interface;
        inside.set_up("lo")?;
        inside.set_mac(interface, MacAddr::from_ipv4(ip.addr()))?;
        inside.add_address(interface, ip)?;
        inside.set_up(interface)?;
        if request.default_route && !request.network.internal {
            inside.add_default_route(gateway)?;
        }
        Ok(())
    }
    // ANCHOR_END: attach

    /// Gives the endpoint's address back and deletes its veth pair (deleting the host end
    /// deletes both); what is already gone is fine.
    pub fn release_endpoint(&self, network_id: &str, ip: Ipv4Addr, host_veth: &str) {
        // The kernel deletes the pair by itself when the container's namespace goes, which
        // may happen at any moment here: only a veth that is still there is worth a warning.
        if let Ok(mut nl) = Netlink::open()
            && nl.link(host_veth).is_ok()
            && let Err(e) = nl.delete_link(host_veth)
            && nl.link(host_veth).is_ok()
        {
            tracing::warn!(veth = host_veth, error = %e, "deleting veth");
        }
        let released = self
            .networks
            .lock()
            .and_then(|lock| Ok(lock.ipam()?.release(network_id, ip)?));
        if let Err(e) = released {
            tracing::warn!(network = network_id, %ip, error = %e, "releasing address");
        }
    }

    /// Gives back every address `container_id` still holds (a `run` that was killed could not).
    pub fn release_container_addresses(&self, container_id: &str) -> Result<usize, NetworkError> {
        let lock = self.networks.lock()?;
        Ok(lock.ipam()?.release_owner(container_id)?)
    }
}
