//! The JSON bodies of the Engine API that both sides use: the `minidocker` CLI serializes them
//! and the daemon deserializes them, so the two can never disagree on a field's name.
//! Docker's field names (PascalCase); fields left out are Docker's defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The fields of `HostConfig` minidocker honours.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfigBody {
    pub memory: i64,
    pub memory_swap: i64,
    pub memory_reservation: i64,
    pub nano_cpus: i64,
    pub cpu_shares: i64,
    pub cpu_period: i64,
    pub cpu_quota: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
    pub pids_limit: Option<i64>,
    pub blkio_weight: u16,
    pub oom_kill_disable: Option<bool>,
    /// `--kernel-memory` (deprecated): recorded, never applied.
    pub kernel_memory: i64,
    pub cgroup_parent: String,
    pub network_mode: String,
    pub port_bindings: Option<BTreeMap<String, Option<Vec<crate::engine::network::PortBinding>>>>,
    pub publish_all_ports: bool,
    pub dns: Option<Vec<String>>,
    pub dns_search: Option<Vec<String>>,
    pub dns_options: Option<Vec<String>>,
    pub extra_hosts: Option<Vec<String>>,
    /// `-v SOURCE:/ctr[:MODE]`: named volumes and bind mounts, as given.
    pub binds: Option<Vec<String>>,
    /// `--mount type=…,source=…,target=…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mounts: Option<Vec<crate::engine::volumes::MountSpec>>,
    /// `--tmpfs /ctr[:OPTIONS]`: destination → mount options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<BTreeMap<String, String>>,
    pub auto_remove: bool,
    pub restart_policy: Option<crate::container::RestartPolicy>,
    /// `--log-driver`, `--log-opt`: `{"Type": "json-file", "Config": {"max-size": "1k"}}`;
    /// an empty `Type` means the daemon's default driver.
    pub log_config: Option<crate::log_config::LogConfig>,
    /// `--init` (`true`), `--init=false`; `null` when not given.
    pub init: Option<bool>,
}

impl HostConfigBody {
    /// The resource limits asked for, as chapter 6 takes them (for `create`, and for
    /// `update`, whose body is these fields and `RestartPolicy`).
    pub fn resources(&self) -> ch06_cgroups::Resources {
        ch06_cgroups::Resources {
            memory: self.memory,
            memory_swap: self.memory_swap,
            memory_reservation: self.memory_reservation,
            oom_kill_disable: self.oom_kill_disable,
            nano_cpus: self.nano_cpus,
            cpu_shares: self.cpu_shares,
            cpu_period: self.cpu_period,
            cpu_quota: self.cpu_quota,
            cpuset_cpus: self.cpuset_cpus.clone(),
            cpuset_mems: self.cpuset_mems.clone(),
            pids_limit: self.pids_limit,
            blkio_weight: self.blkio_weight,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointBody {
    #[serde(rename = "IPAMConfig")]
    pub ipam_config: Option<BTreeMap<String, String>>,
    pub aliases: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkingConfigBody {
    pub endpoints_config: Option<BTreeMap<String, EndpointBody>>,
}

/// The body of `POST /volumes/create` (`docker volume create`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeCreateBody {
    /// Empty: a random 64-hex name.
    pub name: String,
    /// Empty: `local`.
    pub driver: String,
    /// `-o key=value`.
    pub driver_opts: BTreeMap<String, String>,
    /// `--label key=value`.
    pub labels: BTreeMap<String, String>,
}

/// The body of `POST /containers/create`: what the CLI sends and the daemon reads.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerCreateBody {
    pub image: String,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Value>,
    pub env: Option<Vec<String>>,
    pub working_dir: String,
    pub user: String,
    pub hostname: String,
    pub attach_stdin: bool,
    pub attach_stdout: bool,
    pub attach_stderr: bool,
    /// `-t`: a pseudo-terminal for its stdio.
    pub tty: bool,
    /// `-i`: a standard input attached clients can feed.
    pub open_stdin: bool,
    /// The standard input closes when the first attached client closes its own (`run -i`).
    pub stdin_once: bool,
    /// `-v /ctr`: anonymous volumes, `{"/ctr": {}}`.
    pub volumes: Option<BTreeMap<String, Value>>,
    pub exposed_ports: Option<BTreeMap<String, Value>>,
    /// `--label k=v` (and `--label k`, value empty).
    pub labels: Option<BTreeMap<String, String>>,
    /// `--stop-signal` as given (`SIGUSR1`, `USR1`, `10`); empty: the image's, else SIGTERM.
    pub stop_signal: String,
    /// `--stop-timeout` in seconds.
    pub stop_timeout: Option<i64>,
    pub host_config: Option<HostConfigBody>,
    pub networking_config: Option<NetworkingConfigBody>,
}

/// One subnet of `POST /networks/create`'s `IPAM.Config`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpamConfigBody {
    pub subnet: String,
    #[serde(rename = "IPRange", skip_serializing_if = "String::is_empty")]
    pub ip_range: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub gateway: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IpamBody {
    pub config: Option<Vec<IpamConfigBody>>,
}

/// The body of `POST /networks/create` (`docker network create`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkCreateBody {
    pub name: String,
    pub driver: String,
    pub internal: bool,
    #[serde(rename = "IPAM")]
    pub ipam: Option<IpamBody>,
    pub options: Option<BTreeMap<String, String>>,
    pub labels: Option<BTreeMap<String, String>>,
}

/// The answer of `POST /networks/create`: 201 `{"Id": …, "Warning": ""}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkCreateResponse {
    #[serde(rename = "Id")]
    pub id: String,
    pub warning: String,
}

/// `EndpointConfig.IPAMConfig` of `POST /networks/{id}/connect` (`--ip`); Docker's other
/// fields (`IPv6Address`, `LinkLocalIPs`) are ignored.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointIpamBody {
    #[serde(rename = "IPv4Address", skip_serializing_if = "String::is_empty")]
    pub ipv4_address: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct EndpointConfigBody {
    #[serde(rename = "IPAMConfig")]
    pub ipam_config: Option<EndpointIpamBody>,
    pub aliases: Option<Vec<String>>,
}

/// The body of `POST /networks/{id}/connect` (`docker network connect`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkConnectBody {
    pub container: String,
    pub endpoint_config: Option<EndpointConfigBody>,
}

/// The body of `POST /networks/{id}/disconnect` (`docker network disconnect [-f]`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkDisconnectBody {
    pub container: String,
    pub force: bool,
}

/// The answer of `POST /networks/prune`: the names of the networks removed (`null` from
/// dockerd when there were none).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct NetworkPruneReport {
    pub networks_deleted: Option<Vec<String>>,
}

impl HostConfigBody {
    /// These fields set to the limits `resources` asks for (the inverse of
    /// [`HostConfigBody::resources`]).
    pub fn set_resources(&mut self, resources: ch06_cgroups::Resources) {
        let ch06_cgroups::Resources {
            memory,
            memory_swap,
            memory_reservation,
            oom_kill_disable,
            nano_cpus,
            cpu_shares,
            cpu_period,
            cpu_quota,
            cpuset_cpus,
            cpuset_mems,
            pids_limit,
            blkio_weight,
        } = resources;
        self.memory = memory;
        self.memory_swap = memory_swap;
        self.memory_reservation = memory_reservation;
        self.oom_kill_disable = oom_kill_disable;
        self.nano_cpus = nano_cpus;
        self.cpu_shares = cpu_shares;
        self.cpu_period = cpu_period;
        self.cpu_quota = cpu_quota;
        self.cpuset_cpus = cpuset_cpus;
        self.cpuset_mems = cpuset_mems;
        self.pids_limit = pids_limit;
        self.blkio_weight = blkio_weight;
    }
}

/// The answer of `POST /containers/create`: 201 `{"Id": …, "Warnings": […]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerCreateResponse {
    #[serde(rename = "Id")]
    pub id: String,
    /// `null` from dockerd when there are none.
    pub warnings: Option<Vec<String>>,
}

/// The error of a wait, when there is one: `{"Message": …}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct WaitError {
    pub message: String,
}

/// The answer of `POST /containers/{id}/wait`, once its condition holds:
/// `{"Error": null, "StatusCode": 0}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerWaitResponse {
    pub error: Option<WaitError>,
    pub status_code: i64,
}

/// The body of `POST /containers/{id}/exec` (`docker exec`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecCreateBody {
    pub user: String,
    pub privileged: bool,
    pub tty: bool,
    pub attach_stdin: bool,
    pub attach_stderr: bool,
    pub attach_stdout: bool,
    pub detach: bool,
    pub detach_keys: String,
    pub env: Option<Vec<String>>,
    pub working_dir: String,
    pub cmd: Option<Vec<String>>,
}

/// The body of `POST /exec/{id}/start`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecStartBody {
    pub detach: bool,
    pub tty: bool,
}

/// The answer of `POST /containers/{id}/exec`: 201 `{"Id": …}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct IdResponse {
    #[serde(rename = "Id")]
    pub id: String,
}
