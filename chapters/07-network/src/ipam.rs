//! IPAM (IP address management): which subnet and gateway each network has, and which of
//! its addresses are taken, persisted so a restarted daemon hands out no address twice.
//!
//! The state is one JSON file (like `/var/lib/docker/network/files/local-kv.db`, which is a
//! boltdb). Every change is written to a temporary file, fsync(2)ed and rename(2)d over
//! the old one, so a crash leaves either the old state or the new one, never half of each;
//! the in-memory state changes only once the file is written.
//!
//! Addresses are handed out *serially*, like dockerd: the next free address after the last
//! one given, wrapping around at the end. An address released a moment ago is reused only
//! once the others are taken, so a new container does not inherit the ARP entries of one
//! that just went away.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::cidr::Ipv4Net;
use crate::error::NetworkError;
use crate::pool::{AddressPool, default_pools, next_free_subnet};

/// What `network create` asks of IPAM (`--subnet`, `--gateway`, `--ip-range`); anything
/// left out is chosen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkRequest {
    /// The subnet; `None` takes the next free one from the pools.
    pub subnet: Option<Ipv4Net>,
    /// The gateway (the bridge's address); `None` is the subnet's first host address.
    pub gateway: Option<Ipv4Addr>,
    /// Where container addresses come from, inside the subnet; `None` is all of it.
    pub ip_range: Option<Ipv4Net>,
}

/// One network's addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkAllocation {
    /// The subnet.
    pub subnet: Ipv4Net,
    /// The gateway address, reserved.
    pub gateway: Ipv4Addr,
    /// Where container addresses come from.
    pub ip_range: Option<Ipv4Net>,
    /// The addresses handed out, with who holds each (an endpoint or container id).
    pub allocated: BTreeMap<Ipv4Addr, String>,
    /// The last address handed out, where the next search starts.
    last: Option<Ipv4Addr>,
}

impl NetworkAllocation {
    /// The gateway with the subnet's prefix, as it goes on the bridge (`172.17.0.1/16`).
    pub fn gateway_address(&self) -> Ipv4Net {
        Ipv4Net::new(self.gateway, self.subnet.prefix()).unwrap_or(self.subnet)
    }

    // ANCHOR: assignable
    /// Whether `ip` may be given to a container: in the range, not the subnet's network or
    /// broadcast address, not the gateway.
    fn assignable(&self, ip: Ipv4Addr) -> bool {
        let range = self.ip_range.unwrap_or(self.subnet);
        range.contains(ip)
            && self.subnet.contains(ip)
            && ip != self.subnet.first()
            && ip != self.subnet.last()
            && ip != self.gateway
    }
    // ANCHOR_END: assignable

    // ANCHOR: next_free
    /// The next free address after the last one given, wrapping around.
    fn next_free(&self) -> Option<Ipv4Addr> {
        let range = self.ip_range.unwrap_or(self.subnet).network();
        let start = self
            .last
            .and_then(|ip| range.offset_of(ip))
            .map_or(0, |offset| offset + 1);
        (0..range.size())
            .map(|i| (start + i) % range.size())
            .filter_map(|offset| range.nth(offset))
            .find(|ip| self.assignable(*ip) && !self.allocated.contains_key(ip))
    }
    // ANCHOR_END: next_free
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct IpamState {
    networks: BTreeMap<String, NetworkAllocation>,
}

/// The address allocator of all networks, backed by a JSON file.
#[derive(Debug)]
pub struct Ipam {
    path: PathBuf,
    pools: Vec<AddressPool>,
    state: IpamState,
}

impl Ipam {
    /// Loads the state from `path`, or starts empty if the file does not exist yet.
    pub fn open(path: &Path) -> Result<Ipam, NetworkError> {
        let state = match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| NetworkError::Json {
                path: path.to_path_buf(),
                source,
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => IpamState::default(),
            Err(source) => {
                return Err(NetworkError::Io {
                    op: "read",
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        Ok(Ipam {
            path: path.to_path_buf(),
            pools: default_pools(),
            state,
        })
    }

    /// Uses other pools than Docker's defaults (the daemon's `default-address-pools`).
    pub fn with_pools(mut self, pools: Vec<AddressPool>) -> Ipam {
        self.pools = pools;
        self
    }

    /// The file the state lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// One network's allocation.
    pub fn network(&self, id: &str) -> Option<&NetworkAllocation> {
        self.state.networks.get(id)
    }

    /// Every network, by id.
    pub fn networks(&self) -> impl Iterator<Item = (&str, &NetworkAllocation)> {
        self.state.networks.iter().map(|(id, n)| (id.as_str(), n))
    }

    // ANCHOR: add_network
    /// Gives network `id` a subnet and gateway. Without a subnet, the first pool subnet that
    /// overlaps no other network and no route in `routed` (see
    /// [`Netlink::routed_subnets`](crate::Netlink::routed_subnets)) is taken.
    pub fn add_network(
        &mut self,
        id: &str,
        request: &NetworkRequest,
        routed: &[Ipv4Net],
    ) -> Result<NetworkAllocation, NetworkError> {
        let ipam_error = |reason: String| NetworkError::Ipam { reason };
        if self.state.networks.contains_key(id) {
            return Err(ipam_error(format!("network with name {id} already exists")));
        }
        let in_use: Vec<Ipv4Net> = self.state.networks.values().map(|n| n.subnet).collect();
        let subnet = match request.subnet {
            Some(subnet) => {
                let subnet = subnet.network();
                if in_use.iter().any(|n| n.overlaps(&subnet)) {
                    return Err(ipam_error(
                        "Pool overlaps with other one on this address space".into(),
                    ));
                }
                subnet
            }
            None => next_free_subnet(&self.pools, &in_use, routed).ok_or(NetworkError::NoFreePool)?,
        };
        let gateway = match request.gateway {
            Some(gateway) if !subnet.contains(gateway) => {
                return Err(ipam_error(format!("no matching subnet for gateway {gateway}")));
            }
            Some(gateway) => gateway,
            None => subnet
                .first_host()
                .ok_or_else(|| ipam_error(format!("subnet {subnet} is too small for a gateway")))?,
        };
        if let Some(range) = request.ip_range
            && !subnet.contains_net(&range)
        {
            return Err(ipam_error(format!("no matching subnet for range {range}")));
        }
        let network = NetworkAllocation {
            subnet,
            gateway,
            ip_range: request.ip_range.map(|r| r.network()),
            allocated: BTreeMap::new(),
            last: None,
        };
        self.change(|state| {
            state.networks.insert(id.to_string(), network.clone());
            Ok(())
        })?;
        tracing::debug!(network = id, %subnet, %gateway, "ipam: network added");
        Ok(network)
    }
    // ANCHOR_END: add_network

    /// Forgets network `id` and all its addresses; returns what it had.
    pub fn remove_network(&mut self, id: &str) -> Result<Option<NetworkAllocation>, NetworkError> {
        let removed = self.state.networks.get(id).cloned();
        if removed.is_some() {
            self.change(|state| {
                state.networks.remove(id);
                Ok(())
            })?;
        }
        Ok(removed)
    }

    // ANCHOR: allocate
    /// Hands an address of network `network` to `owner`: `requested` if given (`--ip`) and
    /// free, else the next free one.
    pub fn allocate(
        &mut self,
        network: &str,
        owner: &str,
        requested: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr, NetworkError> {
        let allocation = self
            .state
            .networks
            .get(network)
            .ok_or_else(|| NetworkError::Ipam {
                reason: format!("network {network} not found"),
            })?;
        let ip = match requested {
            Some(ip) if allocation.allocated.contains_key(&ip) || ip == allocation.gateway => {
                return Err(NetworkError::AddressInUse {
                    ip,
                    network: network.to_string(),
                });
            }
            Some(ip) if !allocation.subnet.contains(ip) => {
                return Err(NetworkError::Ipam {
                    reason: format!(
                        "Invalid address {ip}: It does not belong to any of this network's subnets"
                    ),
                });
            }
            Some(ip) => ip,
            None => allocation
                .next_free()
                .ok_or_else(|| NetworkError::NoFreeAddress {
                    network: network.to_string(),
                    subnet: allocation.subnet.to_string(),
                })?,
        };
        self.change(|state| {
            if let Some(n) = state.networks.get_mut(network) {
                n.allocated.insert(ip, owner.to_string());
                if requested.is_none() {
                    n.last = Some(ip);
                }
            }
            Ok(())
        })?;
        tracing::debug!(network, owner, %ip, "ipam: address allocated");
        Ok(ip)
    }
    // ANCHOR_END: allocate

    /// Gives an address back; returns whether it was allocated.
    pub fn release(&mut self, network: &str, ip: Ipv4Addr) -> Result<bool, NetworkError> {
        let held = self
            .state
            .networks
            .get(network)
            .is_some_and(|n| n.allocated.contains_key(&ip));
        if held {
            self.change(|state| {
                if let Some(n) = state.networks.get_mut(network) {
                    n.allocated.remove(&ip);
                }
                Ok(())
            })?;
            tracing::debug!(network, %ip, "ipam: address released");
        }
        Ok(held)
    }

    /// Gives back every address `owner` holds on any network; returns how many.
    pub fn release_owner(&mut self, owner: &str) -> Result<usize, NetworkError> {
        let count: usize = self
            .state
            .networks
            .values()
            .map(|n| n.allocated.values().filter(|o| *o == owner).count())
            .sum();
        if count > 0 {
            self.change(|state| {
                for n in state.networks.values_mut() {
                    n.allocated.retain(|_, o| o != owner);
                }
                Ok(())
            })?;
        }
        Ok(count)
    }

    /// Applies `edit` to a copy of the state, writes the copy, then keeps it.
    fn change(
        &mut self,
        edit: impl FnOnce(&mut IpamState) -> Result<(), NetworkError>,
    ) -> Result<(), NetworkError> {
        let mut next = self.state.clone();
        edit(&mut next)?;
        let json = serde_json::to_vec_pretty(&next).map_err(|source| NetworkError::Json {
            path: self.path.clone(),
            source,
        })?;
        write_atomic(&self.path, &json)?;
        self.state = next;
        Ok(())
    }
}

// ANCHOR: write_atomic
/// Replaces `path` with `bytes` all at once: write a temporary file beside it, fsync(2),
/// rename(2) over `path`, fsync(2) the directory so the rename itself is durable.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), NetworkError> {
    fn io(op: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> NetworkError + use<> {
        let path = path.to_path_buf();
        move |source| NetworkError::Io { op, path, source }
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io("create_dir_all", dir))?;
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let mut file = std::fs::File::create(&tmp).map_err(io("create", &tmp))?;
    file.write_all(bytes).map_err(io("write", &tmp))?;
    file.sync_all().map_err(io("fsync", &tmp))?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io("rename", path))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("fsync", dir))?;
    Ok(())
}
// ANCHOR_END: write_atomic

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    fn ipam() -> (tempfile::TempDir, Ipam) {
        let dir = tempfile::tempdir().unwrap();
        let ipam = Ipam::open(&dir.path().join("ipam.json")).unwrap();
        (dir, ipam)
    }

    #[test]
    fn default_bridge_gets_172_17_and_its_first_host_as_gateway() {
        let (_dir, mut ipam) = ipam();
        let n = ipam
            .add_network("bridge", &NetworkRequest::default(), &[])
            .unwrap();
        assert_eq!(n.subnet, net("172.17.0.0/16"));
        assert_eq!(n.gateway, ip("172.17.0.1"));
        assert_eq!(n.gateway_address().to_string(), "172.17.0.1/16");
        assert_eq!(ipam.allocate("bridge", "c1", None).unwrap(), ip("172.17.0.2"));
        assert_eq!(ipam.allocate("bridge", "c2", None).unwrap(), ip("172.17.0.3"));
        let user = ipam
            .add_network("user1", &NetworkRequest::default(), &[net("172.18.0.0/16")])
            .unwrap();
        assert_eq!(user.subnet, net("172.19.0.0/16"));
    }

    #[test]
    fn serial_allocation_does_not_reuse_a_released_address_at_once() {
        let (_dir, mut ipam) = ipam();
        ipam.add_network(
            "n",
            &NetworkRequest {
                subnet: Some(net("10.0.0.0/29")),
                ..Default::default()
            },
            &[],
        )
        .unwrap();
        let a = ipam.allocate("n", "a", None).unwrap();
        let b = ipam.allocate("n", "b", None).unwrap();
        assert_eq!((a, b), (ip("10.0.0.2"), ip("10.0.0.3")));
        assert!(ipam.release("n", a).unwrap());
        assert!(!ipam.release("n", a).unwrap());
        assert_eq!(ipam.allocate("n", "c", None).unwrap(), ip("10.0.0.4"));
        assert_eq!(ipam.allocate("n", "d", None).unwrap(), ip("10.0.0.5"));
        assert_eq!(ipam.allocate("n", "e", None).unwrap(), ip("10.0.0.6"));
        // .7 is broadcast: wrap around to the released .2
        assert_eq!(ipam.allocate("n", "f", None).unwrap(), ip("10.0.0.2"));
        let err = ipam.allocate("n", "g", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "no available IPv4 addresses on network n (10.0.0.0/29)"
        );
    }

    #[test]
    fn requested_addresses_gateway_and_range() {
        let (_dir, mut ipam) = ipam();
        let req = NetworkRequest {
            subnet: Some(net("10.1.0.0/16")),
            gateway: Some(ip("10.1.0.254")),
            ip_range: Some(net("10.1.5.0/24")),
        };
        ipam.add_network("n", &req, &[]).unwrap();
        assert_eq!(ipam.allocate("n", "a", None).unwrap(), ip("10.1.5.0"));
        assert_eq!(
            ipam.allocate("n", "b", Some(ip("10.1.0.9"))).unwrap(),
            ip("10.1.0.9")
        );
        assert!(matches!(
            ipam.allocate("n", "c", Some(ip("10.1.0.9"))),
            Err(NetworkError::AddressInUse { .. })
        ));
        assert!(matches!(
            ipam.allocate("n", "c", Some(ip("10.1.0.254"))),
            Err(NetworkError::AddressInUse { .. })
        ));
        assert!(ipam.allocate("n", "c", Some(ip("10.2.0.1"))).is_err());
        let bad_gw = NetworkRequest {
            subnet: Some(net("10.9.0.0/16")),
            gateway: Some(ip("10.8.0.1")),
            ..Default::default()
        };
        assert_eq!(
            ipam.add_network("m", &bad_gw, &[]).unwrap_err().to_string(),
            "no matching subnet for gateway 10.8.0.1"
        );
        let bad_range = NetworkRequest {
            subnet: Some(net("10.9.0.0/16")),
            ip_range: Some(net("10.8.0.0/24")),
            ..Default::default()
        };
        assert_eq!(
            ipam.add_network("m", &bad_range, &[]).unwrap_err().to_string(),
            "no matching subnet for range 10.8.0.0/24"
        );
        let overlap = NetworkRequest {
            subnet: Some(net("10.1.128.0/17")),
            ..Default::default()
        };
        assert!(ipam.add_network("m", &overlap, &[]).is_err());
    }

    #[test]
    fn state_survives_a_restart_and_removal_frees_everything() {
        let (dir, mut ipam) = ipam();
        ipam.add_network("bridge", &NetworkRequest::default(), &[])
            .unwrap();
        ipam.allocate("bridge", "c1", None).unwrap();
        ipam.allocate("bridge", "c2", None).unwrap();
        drop(ipam);
        let mut again = Ipam::open(&dir.path().join("ipam.json")).unwrap();
        assert_eq!(again.network("bridge").unwrap().allocated.len(), 2);
        assert_eq!(again.allocate("bridge", "c3", None).unwrap(), ip("172.17.0.4"));
        assert_eq!(again.release_owner("c1").unwrap(), 1);
        assert!(again.remove_network("bridge").unwrap().is_some());
        assert!(again.network("bridge").is_none());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            names,
            vec![std::ffi::OsString::from("ipam.json")],
            "no temporary file left"
        );
    }

    proptest! {
        // every allocation fsyncs a file: few cases, each with many operations
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn never_hands_out_an_address_twice(prefix in 26u8..=29, ops in proptest::collection::vec(any::<bool>(), 1..100)) {
            let (_dir, mut ipam) = ipam();
            let subnet = Ipv4Net::new(Ipv4Addr::new(10, 3, 0, 0), prefix).unwrap();
            ipam.add_network("n", &NetworkRequest { subnet: Some(subnet), ..Default::default() }, &[]).unwrap();
            let mut held: Vec<Ipv4Addr> = Vec::new();
            for (i, allocate) in ops.into_iter().enumerate() {
                if allocate || held.is_empty() {
                    match ipam.allocate("n", &format!("c{i}"), None) {
                        Ok(ip) => {
                            prop_assert!(!held.contains(&ip));
                            prop_assert!(subnet.contains(ip));
                            prop_assert!(ip != subnet.first() && ip != subnet.last() && ip != Ipv4Addr::new(10, 3, 0, 1));
                            held.push(ip);
                        }
                        Err(_) => prop_assert_eq!(held.len() as u64, subnet.size() - 3),
                    }
                } else {
                    let ip = held.remove(i % held.len());
                    prop_assert!(ipam.release("n", ip).unwrap());
                }
            }
        }
    }
}
