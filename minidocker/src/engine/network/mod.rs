//! Networks in the engine: chapter 7's pieces (netlink, IPAM, NAT, the userland proxy, the
//! embedded DNS) put together the way dockerd's bridge driver does.
//!
//! ```text
//! <data-root>/network/
//! ├── networks/<id>.json   one record per network (Docker's `network inspect` shape)
//! ├── ipam.json            chapter 7's IPAM: each network's subnet and allocated addresses
//! └── lock                 flock(2)ed while a process changes any of it
//! ```
//!
//! - [`store`]: the records, the IPAM file and the lock;
//! - [`networks`]: the predefined `bridge`, `host` and `none`; `network create`, `rm`, `prune`;
//! - [`bridge`]: a bridge network's Linux bridge and NAT rules, made when needed;
//! - [`connect`]: `network connect` and `disconnect`, also of a container running elsewhere;
//! - [`endpoint`]: a container's cable to a network: veth pair, address, routes;
//! - [`publish`]: `-p`: host ports, DNAT rules and userland proxies;
//! - [`settings`]: `NetworkSettings` of a container, Docker's JSON;
//! - [`resolver`]: what the embedded DNS server answers, read from the containers' records;
//! - [`sandbox`]: a container's network as a whole, from `--network` to teardown.

pub mod bridge;
pub mod connect;
pub mod endpoint;
pub mod networks;
pub mod publish;
pub mod resolver;
pub mod sandbox;
pub mod settings;
pub mod store;

pub use endpoint::{Attachment, EndpointRequest};
pub use networks::CreateNetworkOptions;
pub use sandbox::{NetworkPlan, NetworkRunOptions, Sandbox, SandboxEndpoints};
pub use settings::{EndpointSettings, NetworkSettings, PortBinding};
pub use store::{DEFAULT_BRIDGE, DEFAULT_NETWORK, NetworkRecord, NetworkStore};

use std::path::PathBuf;

/// What went wrong with a network. Messages are Docker's where it has one.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("network {0} not found")]
    NotFound(String),
    #[error("network {0} is ambiguous")]
    Ambiguous(String),
    #[error("network with name {0} already exists")]
    NameInUse(String),
    #[error("{0} is a pre-defined network and cannot be removed")]
    Predefined(String),
    #[error("error while removing network: network {name} id {id} has active endpoints")]
    ActiveEndpoints { name: String, id: String },
    /// A request Docker refuses (HTTP 400 from chapter 10 on); the message is Docker's.
    #[error("{0}")]
    Invalid(String),
    /// `--network container:X` with no container X: looked up at start, as Docker does
    /// (HTTP 404 then); a create goes on without it.
    #[error("No such container: {0}")]
    NoSuchContainer(String),
    /// A conflict with the current state (HTTP 409); the message is Docker's.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Chapter7(#[from] ch07_network::NetworkError),
    #[error("{}: {source}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("parsing {}: {source}", .path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}
