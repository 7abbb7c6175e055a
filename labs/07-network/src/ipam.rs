//! IPAM (IP address management): which subnet and gateway each network has, and which of
//! its addresses are taken, persisted so a restarted daemon hands out no address twice.
//!
//! **Lab 07 skeleton.** Exercise `ex3`: write `NetworkAllocation::next_free`,
//! [`Ipam::allocate`] and [`Ipam::release`] (the three `todo!()`s; networks, the state file
//! and `change` are done). `labs/check 07` tells you how far you are.
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

    /// The next free address after the last one given, wrapping around.
    fn next_free(&self) -> Option<Ipv4Addr> {
        // ex3: serial allocation. The addresses to search are `ip_range`, else the subnet (take
        // its `network()`). Start at the offset after `self.last` (`range.offset_of`), or at 0
        // when nothing was handed out yet or `last` is outside the range; go once all the way
        // round, wrapping at `range.size()`; the first address (`range.nth(offset)`) that is
        // `assignable` and not in `allocated` is the answer.
        todo!(
            "ex3: offsets from last + 1 (or 0), modulo range.size(), once round; the first range.nth(offset) that is assignable and not allocated"
        )
    }
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

    /// Hands an address of network `network` to `owner`: `requested` if given (`--ip`) and
    /// free, else the next free one.
    pub fn allocate(
        &mut self,
        network: &str,
        owner: &str,
        requested: Option<Ipv4Addr>,
    ) -> Result<Ipv4Addr, NetworkError> {
        // ex3: the network must exist: else `NetworkError::Ipam`, reason `network {network} not
        // found`. A `requested` address must be neither allocated nor the gateway
        // (`NetworkError::AddressInUse`), and inside the subnet (`NetworkError::Ipam`, reason
        // `Invalid address {ip}: It does not belong to any of this network's subnets`). Without
        // one, `next_free()`, or `NetworkError::NoFreeAddress` (with the subnet as a string).
        // Then record it with `self.change(|state| …)`, which writes the file before the memory
        // changes: insert it into `allocated` with its `owner`, and move `last` to it, unless it
        // was requested.
        todo!(
            "ex3: find the network; check the requested address (in use or gateway, outside the subnet) or take next_free(); then self.change(..) to insert it and, unless requested, set last"
        )
    }

    /// Gives an address back; returns whether it was allocated.
    pub fn release(&mut self, network: &str, ip: Ipv4Addr) -> Result<bool, NetworkError> {
        // ex3: only an address that is allocated is released, through `self.change` so that the
        // file follows; the answer says whether it was allocated.
        todo!(
            "ex3: if the network holds ip, self.change(..) removes it from allocated; Ok(whether it was held)"
        )
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
