//! `docker container inspect`: a container as the daemon describes it.
//!
//! Docker 20.10's `types.ContainerJSON`, put together from the container's files:
//!
//! ```text
//!  containers/<id>/config.v2.json   Id, Created, Path, Args, State, Image, Name, Config, NetworkSettings
//!  containers/<id>/hostconfig.json  HostConfig (the fields we record; Docker's defaults for the rest)
//!  containers/<id>/{resolv.conf,hostname,hosts,<id>-json.log}   …Path, once `start` wrote them
//!  image/overlay2/layerdb/mounts/<id>/mount-id   GraphDriver: overlay2/<mount id>/{diff,merged,work}
//!                                                and LowerDir: <mount id>-init/diff, then the image's
//!  imagedb (the container's image)   what `create` merged into Config (env, labels, volumes…)
//! ```

use std::collections::BTreeMap;

use ch03_rootfs::masked::{MASKED_PATHS, READONLY_PATHS};
use ch05_images::{ContainerConfig, Digest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::image_inspect::{GoContainerConfig, GraphDriver, go_time};
use super::network::NetworkSettings;
use super::network::settings::PortBinding;
use super::{Engine, EngineError, STORAGE_DRIVER};
use crate::container::{Container, ContainerError, HostConfig, State};

/// The size of every container's `/dev/shm` (chapter 3 mounts it `size=65536k`, Docker's default).
pub const SHM_SIZE: i64 = 64 << 20;

pub use crate::container::RestartPolicy;
pub use crate::log_config::LogConfig;

// ANCHOR: inspect_host_config
/// Go's `container.HostConfig` in its field order, as `inspect` prints it. The fields
/// `hostconfig.json` records (resources, network) have the same names there; it is read into
/// this type by name, and every field it does not have keeps Docker's default
/// ([`InspectHostConfig::default`]): whatever a later chapter records under Docker's name
/// (`AutoRemove`, `RestartPolicy`, `Binds`…) shows up without a change here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InspectHostConfig {
    pub binds: Option<Vec<String>>,
    #[serde(rename = "ContainerIDFile")]
    pub container_id_file: String,
    pub log_config: LogConfig,
    pub network_mode: String,
    pub port_bindings: BTreeMap<String, Vec<PortBinding>>,
    pub restart_policy: RestartPolicy,
    pub auto_remove: bool,
    pub volume_driver: String,
    pub volumes_from: Option<Vec<String>>,
    pub cap_add: Option<Vec<String>>,
    pub cap_drop: Option<Vec<String>>,
    pub cgroupns_mode: String,
    pub dns: Vec<String>,
    pub dns_options: Vec<String>,
    pub dns_search: Vec<String>,
    pub extra_hosts: Option<Vec<String>>,
    pub group_add: Option<Vec<String>>,
    pub ipc_mode: String,
    pub cgroup: String,
    pub links: Option<Vec<String>>,
    pub oom_score_adj: i64,
    pub pid_mode: String,
    pub privileged: bool,
    pub publish_all_ports: bool,
    pub readonly_rootfs: bool,
    pub security_opt: Option<Vec<String>>,
    /// `--tmpfs`: destination → options; absent when none.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tmpfs: BTreeMap<String, String>,
    #[serde(rename = "UTSMode")]
    pub uts_mode: String,
    pub userns_mode: String,
    pub shm_size: i64,
    pub runtime: String,
    pub console_size: [u32; 2],
    pub isolation: String,
    pub cpu_shares: i64,
    pub memory: i64,
    pub nano_cpus: i64,
    pub cgroup_parent: String,
    pub blkio_weight: u16,
    pub blkio_weight_device: Vec<Value>,
    pub blkio_device_read_bps: Vec<Value>,
    pub blkio_device_write_bps: Vec<Value>,
    #[serde(rename = "BlkioDeviceReadIOps")]
    pub blkio_device_read_iops: Vec<Value>,
    #[serde(rename = "BlkioDeviceWriteIOps")]
    pub blkio_device_write_iops: Vec<Value>,
    pub cpu_period: i64,
    pub cpu_quota: i64,
    pub cpu_realtime_period: i64,
    pub cpu_realtime_runtime: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
    pub devices: Vec<Value>,
    pub device_cgroup_rules: Option<Vec<String>>,
    pub device_requests: Option<Vec<Value>>,
    pub kernel_memory: i64,
    #[serde(rename = "KernelMemoryTCP")]
    pub kernel_memory_tcp: i64,
    pub memory_reservation: i64,
    pub memory_swap: i64,
    pub memory_swappiness: Option<i64>,
    /// `null` where the kernel has no such switch (cgroup v2).
    pub oom_kill_disable: Option<bool>,
    pub pids_limit: Option<i64>,
    pub ulimits: Vec<Value>,
    pub cpu_count: i64,
    pub cpu_percent: i64,
    #[serde(rename = "IOMaximumIOps")]
    pub io_maximum_iops: u64,
    #[serde(rename = "IOMaximumBandwidth")]
    pub io_maximum_bandwidth: u64,
    /// `--mount`s as given; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<crate::engine::volumes::MountSpec>,
    pub masked_paths: Vec<String>,
    pub readonly_paths: Vec<String>,
    /// `--init` (`true` or `false`); absent when not asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<bool>,
}
// ANCHOR_END: inspect_host_config

impl Default for InspectHostConfig {
    /// What Docker 20.10 shows for a `docker run` without flags, where minidocker does the same;
    /// where it does not, what minidocker does: a private cgroup namespace on either cgroup
    /// version (the init unshares one, see `runtime.rs`), chapter 3's masked and read-only
    /// paths, and its own runtime (the one `/info` names).
    fn default() -> Self {
        let strings = |paths: &[&str]| paths.iter().map(|p| (*p).to_owned()).collect();
        InspectHostConfig {
            binds: None,
            container_id_file: String::new(),
            log_config: LogConfig::default(),
            network_mode: "default".into(),
            port_bindings: BTreeMap::new(),
            restart_policy: RestartPolicy {
                name: "no".into(),
                maximum_retry_count: 0,
            },
            auto_remove: false,
            volume_driver: String::new(),
            volumes_from: None,
            cap_add: None,
            cap_drop: None,
            cgroupns_mode: "private".into(),
            dns: Vec::new(),
            dns_options: Vec::new(),
            dns_search: Vec::new(),
            extra_hosts: None,
            group_add: None,
            ipc_mode: "private".into(),
            cgroup: String::new(),
            links: None,
            oom_score_adj: 0,
            pid_mode: String::new(),
            privileged: false,
            publish_all_ports: false,
            readonly_rootfs: false,
            security_opt: None,
            tmpfs: BTreeMap::new(),
            uts_mode: String::new(),
            userns_mode: String::new(),
            shm_size: SHM_SIZE,
            runtime: "minidocker".into(),
            console_size: [0, 0],
            isolation: String::new(),
            cpu_shares: 0,
            memory: 0,
            nano_cpus: 0,
            cgroup_parent: String::new(),
            blkio_weight: 0,
            blkio_weight_device: Vec::new(),
            blkio_device_read_bps: Vec::new(),
            blkio_device_write_bps: Vec::new(),
            blkio_device_read_iops: Vec::new(),
            blkio_device_write_iops: Vec::new(),
            cpu_period: 0,
            cpu_quota: 0,
            cpu_realtime_period: 0,
            cpu_realtime_runtime: 0,
            cpuset_cpus: String::new(),
            cpuset_mems: String::new(),
            devices: Vec::new(),
            device_cgroup_rules: None,
            device_requests: None,
            kernel_memory: 0,
            kernel_memory_tcp: 0,
            memory_reservation: 0,
            memory_swap: 0,
            memory_swappiness: None,
            oom_kill_disable: Some(false),
            pids_limit: None,
            ulimits: Vec::new(),
            cpu_count: 0,
            cpu_percent: 0,
            io_maximum_iops: 0,
            io_maximum_bandwidth: 0,
            mounts: Vec::new(),
            masked_paths: strings(&MASKED_PATHS),
            readonly_paths: strings(&READONLY_PATHS),
            init: None,
        }
    }
}

impl InspectHostConfig {
    /// The recorded host config in Docker's full shape (see the type's documentation).
    pub fn from_record(record: &HostConfig) -> Result<InspectHostConfig, serde_json::Error> {
        let mut config: InspectHostConfig = serde_json::from_value(serde_json::to_value(record)?)?;
        if config.network_mode.is_empty() {
            // a record from before chapter 7
            config.network_mode = "default".into();
        }
        Ok(config)
    }
}

// ANCHOR: container_inspect
/// Docker 20.10's `types.ContainerJSON`, fields in its order.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerInspect {
    #[serde(rename = "Id")]
    pub id: String,
    pub created: String,
    pub path: String,
    pub args: Vec<String>,
    pub state: State,
    /// The image id, `sha256:…`.
    pub image: String,
    pub resolv_conf_path: String,
    pub hostname_path: String,
    pub hosts_path: String,
    pub log_path: String,
    pub name: String,
    pub restart_count: i64,
    pub driver: String,
    pub platform: String,
    pub mount_label: String,
    pub process_label: String,
    pub app_armor_profile: String,
    #[serde(rename = "ExecIDs")]
    pub exec_ids: Option<Vec<String>>,
    pub host_config: InspectHostConfig,
    pub graph_driver: GraphDriver,
    /// `-s` / `?size=1`: the bytes of the container's own layer…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_rw: Option<u64>,
    /// … and of its whole root filesystem (the image's layers and its own).
    #[serde(rename = "SizeRootFs", skip_serializing_if = "Option::is_none")]
    pub size_root_fs: Option<u64>,
    /// Volumes, bind mounts and tmpfs mounts (`-v`, `--mount`, the image's VOLUMEs).
    pub mounts: Vec<crate::engine::volumes::InspectMount>,
    pub config: GoContainerConfig,
    pub network_settings: NetworkSettings,
}
// ANCHOR_END: container_inspect

/// `Config` as Docker keeps it: what `run` recorded, with the image's config merged in the way
/// moby's `create` does it (the same `merge` as `commit`'s): the run's variables first, then
/// the image's it did not set; the image's labels, volumes, healthcheck, stop signal.
fn inspect_config(
    container: &Container,
    image: &ContainerConfig,
) -> Result<GoContainerConfig, serde_json::Error> {
    let run = &container.config;
    let non_empty = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
    let mut config = ContainerConfig {
        user: non_empty(&run.user),
        exposed_ports: run
            .exposed_ports
            .as_ref()
            .map(|ports| ports.keys().map(|k| (k.clone(), Default::default())).collect()),
        env: Some(run.env.clone()).filter(|e| !e.is_empty()),
        entrypoint: run.entrypoint.clone(),
        cmd: Some(run.cmd.clone()).filter(|c| !c.is_empty()),
        working_dir: non_empty(&run.working_dir),
        volumes: run
            .volumes
            .as_ref()
            .map(|paths| paths.keys().map(|k| (k.clone(), Default::default())).collect()),
        labels: run.labels.clone(),
        stop_signal: non_empty(&run.stop_signal),
        ..ContainerConfig::default()
    };
    super::commit::merge(&mut config, image);
    // Both types have Docker's field names: the merged config reads into Go's shape by name.
    let mut go: GoContainerConfig = serde_json::from_value(serde_json::to_value(&config)?)?;
    // `create` decided the entrypoint already: the image's, `--entrypoint`'s, or none at all
    // after `--entrypoint ""` (which the merge would take for "not given").
    go.entrypoint = run.entrypoint.as_ref().map(|e| Value::from(e.clone()));
    go.stop_timeout = run.stop_timeout;
    go.hostname.clone_from(&run.hostname);
    go.domainname.clone_from(&run.domainname);
    go.image.clone_from(&run.image);
    let stdio = &run.stdio;
    go.attach_stdin = stdio.attach_stdin;
    go.attach_stdout = stdio.attach_stdout;
    go.attach_stderr = stdio.attach_stderr;
    go.tty = stdio.tty;
    go.open_stdin = stdio.open_stdin;
    go.stdin_once = stdio.stdin_once;
    Ok(go)
}

/// A path as `inspect` prints it: empty until the file exists (Docker fills these in at start).
fn path_if_exists(path: std::path::PathBuf) -> String {
    match path.exists() {
        true => path.to_string_lossy().into_owned(),
        false => String::new(),
    }
}

fn invalid_record(path: std::path::PathBuf, e: serde_json::Error) -> EngineError {
    EngineError::Io {
        path,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    }
}

impl Engine {
    /// `docker container inspect NAME`.
    pub fn inspect_container(&self, name_or_id: &str) -> Result<ContainerInspect, EngineError> {
        self.inspect_container_with_size(name_or_id, false)
    }

    // ANCHOR: inspect_container
    /// `docker container inspect [-s] NAME`: the container's records in Docker's shape, its
    /// state as `ps` sees it (a container whose process is gone is `exited`).
    pub fn inspect_container_with_size(
        &self,
        name_or_id: &str,
        size: bool,
    ) -> Result<ContainerInspect, EngineError> {
        let id = self.containers.find(name_or_id)?.id;
        let c = self
            .list_containers()?
            .into_iter()
            .map(|s| s.container)
            .find(|c| c.id == id)
            .ok_or_else(|| ContainerError::NotFound(name_or_id.to_owned()))?;
        let dir = self.containers.dir(&c.id);
        let record = self.containers.host_config(&c.id)?;
        let host_config = InspectHostConfig::from_record(&record)
            .map_err(|e| invalid_record(dir.join("hostconfig.json"), e))?;
        // With `--network container:<x>` the container shares x's files, as Docker shows.
        let files_dir = match host_config.network_mode.strip_prefix("container:") {
            Some(other) => self.containers.dir(other),
            None => dir.clone(),
        };
        let image = c
            .image
            .parse::<Digest>()
            .ok()
            .and_then(|digest| self.images.get(&digest).ok())
            .map(|image| image.config.config)
            .unwrap_or_default(); // removed with `rmi -f`: what the record has
        let config = inspect_config(&c, &image).map_err(|e| invalid_record(dir.join("config.v2.json"), e))?;
        let mount = self.images.mount(&c.id)?;
        let graph_data = match &mount {
            Some(m) => Some(self.overlay_data(&m.mount_id)?),
            None => None,
        };
        let (size_rw, size_root_fs) = match (&mount, size) {
            (Some(m), true) => {
                let rw = super::system::dir_size(&self.layers.diff_dir(&m.mount_id));
                let mut image_size = 0;
                let mut next = m.parent.clone();
                while let Some(chain_id) = next {
                    let layer = self.images.layer(&chain_id)?;
                    image_size += layer.size;
                    next = layer.parent;
                }
                (Some(rw), Some(rw + image_size))
            }
            (None, true) => (Some(0), Some(0)),
            (_, false) => (None, None),
        };
        let state = State {
            started_at: go_time(Some(&c.state.started_at)),
            finished_at: go_time(Some(&c.state.finished_at)),
            ..c.state.clone()
        };
        Ok(ContainerInspect {
            created: go_time(Some(&c.created)),
            path: c.path.clone(),
            args: c.args.clone(),
            state,
            image: c.image.clone(),
            resolv_conf_path: path_if_exists(files_dir.join("resolv.conf")),
            hostname_path: path_if_exists(files_dir.join("hostname")),
            hosts_path: path_if_exists(files_dir.join("hosts")),
            log_path: path_if_exists(dir.join(format!("{}-json.log", c.id))),
            name: c.name.clone(),
            restart_count: c.restart_count,
            driver: STORAGE_DRIVER.to_owned(),
            platform: "linux".to_owned(),
            mount_label: String::new(),
            process_label: String::new(),
            app_armor_profile: String::new(),
            exec_ids: None,
            host_config,
            graph_driver: GraphDriver {
                data: graph_data,
                name: STORAGE_DRIVER.to_owned(),
            },
            size_rw,
            size_root_fs,
            mounts: self
                .inspect_mounts(&c.id)
                .map_err(|e| EngineError::System(e.to_string()))?,
            config,
            network_settings: c.network_settings,
            id: c.id,
        })
    }
    // ANCHOR_END: inspect_container
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Config;

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    /// The keys of a JSON object, in the order they were printed.
    fn keys_in_order(json: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut de = serde_json::Deserializer::from_str(json);
        struct Keys<'a>(&'a mut Vec<String>);
        impl<'de> serde::de::Visitor<'de> for Keys<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                while let Some(k) = map.next_key::<String>()? {
                    self.0.push(k);
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                Ok(())
            }
        }
        serde::Deserializer::deserialize_map(&mut de, Keys(&mut keys)).unwrap();
        keys
    }

    #[test]
    fn host_config_has_dockers_fields_in_order() {
        // `docker run busybox` against dockerd 20.10, HostConfig's keys as printed
        let docker = "Binds ContainerIDFile LogConfig NetworkMode PortBindings RestartPolicy AutoRemove \
            VolumeDriver VolumesFrom CapAdd CapDrop CgroupnsMode Dns DnsOptions DnsSearch ExtraHosts \
            GroupAdd IpcMode Cgroup Links OomScoreAdj PidMode Privileged PublishAllPorts \
            ReadonlyRootfs SecurityOpt UTSMode UsernsMode ShmSize Runtime ConsoleSize Isolation \
            CpuShares Memory NanoCpus CgroupParent BlkioWeight BlkioWeightDevice BlkioDeviceReadBps \
            BlkioDeviceWriteBps BlkioDeviceReadIOps BlkioDeviceWriteIOps CpuPeriod CpuQuota \
            CpuRealtimePeriod CpuRealtimeRuntime CpusetCpus CpusetMems Devices DeviceCgroupRules \
            DeviceRequests KernelMemory KernelMemoryTCP MemoryReservation MemorySwap \
            MemorySwappiness OomKillDisable PidsLimit Ulimits CpuCount CpuPercent IOMaximumIOps \
            IOMaximumBandwidth MaskedPaths ReadonlyPaths";
        let json = serde_json::to_string(&InspectHostConfig::default()).unwrap();
        assert_eq!(
            keys_in_order(&json).join(" "),
            docker.split_whitespace().collect::<Vec<_>>().join(" ")
        );
    }

    #[test]
    fn every_recorded_host_config_field_shows_as_recorded() {
        let mut record = HostConfig {
            cpu_shares: 512,
            memory: 64 << 20,
            nano_cpus: 1_500_000_000,
            cgroup_parent: "/custom".into(),
            blkio_weight: 300,
            cpu_period: 100_000,
            cpu_quota: 50_000,
            cpuset_cpus: "0".into(),
            cpuset_mems: "0".into(),
            memory_reservation: 32 << 20,
            memory_swap: 128 << 20,
            oom_kill_disable: None,
            pids_limit: Some(20),
            ..HostConfig::default()
        };
        record.network.network_mode = "bridge".into();
        record.network.port_bindings.insert(
            "80/tcp".into(),
            vec![PortBinding {
                host_ip: String::new(),
                host_port: "8080".into(),
            }],
        );
        record.network.publish_all_ports = true;
        record.network.dns = strings(&["1.1.1.1"]);
        record.network.dns_options = strings(&["ndots:2"]);
        record.network.dns_search = strings(&["example.com"]);
        record.network.extra_hosts = Some(strings(&["h:1.2.3.4"]));
        let recorded = serde_json::to_value(&record).unwrap();
        let shown = serde_json::to_value(InspectHostConfig::from_record(&record).unwrap()).unwrap();
        let recorded = recorded.as_object().unwrap();
        assert!(recorded.len() >= 20, "{recorded:?}");
        for (key, value) in recorded {
            assert_eq!(&shown[key], value, "HostConfig.{key}");
        }
        // what the record does not have: Docker's defaults
        assert_eq!(
            shown["RestartPolicy"],
            serde_json::json!({"Name": "no", "MaximumRetryCount": 0})
        );
        assert_eq!(shown["ShmSize"], 67108864);
        assert_eq!(shown["AutoRemove"], false);
        // a record from before chapter 7
        let old = InspectHostConfig::from_record(&HostConfig::default()).unwrap();
        assert_eq!(old.network_mode, "default");
    }

    fn container(env: &[&str], cmd: &[&str]) -> Container {
        Container {
            id: "ab".repeat(32),
            created: "2026-12-01T21:14:23.120000000Z".into(),
            path: cmd[0].to_owned(),
            args: strings(&cmd[1..]),
            config: Config {
                hostname: "abababababab".into(),
                env: strings(env),
                cmd: strings(cmd),
                image: "busybox".into(),
                // `run` without -d: attached to the output
                stdio: crate::container::ContainerStdio::foreground(false),
                ..Config::default()
            },
            state: State::default(),
            image: format!("sha256:{}", "cd".repeat(32)),
            name: "/x".into(),
            network_settings: NetworkSettings::default(),
            restart_count: 0,
        }
    }

    #[test]
    fn config_merges_the_image_as_create_does() {
        // the oracle: an image with ENV A=1 B=2 and LABEL l1=v1, `run -e B=3 -e C=4 … true`
        let image = ContainerConfig {
            env: Some(strings(&["A=1", "B=2"])),
            labels: Some([("l1".to_owned(), "v1".to_owned())].into()),
            ..ContainerConfig::default()
        };
        let config = inspect_config(&container(&["B=3", "C=4"], &["true"]), &image).unwrap();
        assert_eq!(
            serde_json::to_string(&config).unwrap(),
            r#"{"Hostname":"abababababab","Domainname":"","User":"","AttachStdin":false,"AttachStdout":true,"AttachStderr":true,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["B=3","C=4","A=1"],"Cmd":["true"],"Image":"busybox","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"l1":"v1"}}"#
        );
        // an image without any: `"Env": null`, `"Labels": {}`
        let bare = inspect_config(&container(&[], &["sleep", "60"]), &ContainerConfig::default()).unwrap();
        assert_eq!(bare.env, None);
        assert_eq!(bare.labels, Some(BTreeMap::new()));
        assert_eq!(bare.cmd, Some(serde_json::json!(["sleep", "60"])));
    }

    #[test]
    fn container_inspect_has_dockers_fields_in_order() {
        let inspect = ContainerInspect {
            id: "ab".repeat(32),
            created: String::new(),
            path: "true".into(),
            args: Vec::new(),
            state: State::default(),
            image: String::new(),
            resolv_conf_path: String::new(),
            hostname_path: String::new(),
            hosts_path: String::new(),
            log_path: String::new(),
            name: "/x".into(),
            restart_count: 0,
            driver: STORAGE_DRIVER.into(),
            platform: "linux".into(),
            mount_label: String::new(),
            process_label: String::new(),
            app_armor_profile: String::new(),
            exec_ids: None,
            host_config: InspectHostConfig::default(),
            graph_driver: GraphDriver {
                data: None,
                name: STORAGE_DRIVER.into(),
            },
            size_rw: None,
            size_root_fs: None,
            mounts: Vec::new(),
            config: GoContainerConfig::default(),
            network_settings: NetworkSettings::default(),
        };
        let docker = "Id Created Path Args State Image ResolvConfPath HostnamePath HostsPath LogPath \
            Name RestartCount Driver Platform MountLabel ProcessLabel AppArmorProfile ExecIDs \
            HostConfig GraphDriver Mounts Config NetworkSettings";
        let json = serde_json::to_string(&inspect).unwrap();
        assert_eq!(
            keys_in_order(&json).join(" "),
            docker.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        let state = serde_json::to_string(&inspect.state).unwrap();
        assert_eq!(
            keys_in_order(&state).join(" "),
            "Status Running Paused Restarting OOMKilled Dead Pid ExitCode Error StartedAt FinishedAt"
        );
        // `-s` adds the sizes after GraphDriver
        let sized = ContainerInspect {
            size_rw: Some(0),
            size_root_fs: Some(10),
            ..inspect
        };
        let keys = keys_in_order(&serde_json::to_string(&sized).unwrap());
        let at = keys.iter().position(|k| k == "GraphDriver").unwrap();
        assert_eq!(keys[at + 1..at + 4], ["SizeRw", "SizeRootFs", "Mounts"]);
    }

    #[test]
    fn a_created_container_shows_its_layers_and_no_files_yet() {
        let root = tempfile::tempdir().unwrap();
        let engine = Engine::open(root.path()).unwrap();
        let mut record = container(&["A=1"], &["true"]);
        record.state = State {
            status: "created".into(),
            started_at: crate::container::ZERO_TIME.into(),
            finished_at: crate::container::ZERO_TIME.into(),
            ..State::default()
        };
        engine
            .containers
            .create(&record, crate::atomic::Durability::Synced)
            .unwrap();
        let layer = engine
            .create_container_layer(&record.id, None, crate::atomic::Durability::Synced)
            .unwrap();

        let inspect = engine.inspect_container("x").unwrap();
        assert_eq!(inspect.id, record.id);
        assert_eq!(
            inspect.created, "2026-12-01T21:14:23.12Z",
            "Go's RFC 3339 with nanoseconds"
        );
        assert_eq!(inspect.state.status, "created");
        assert_eq!(inspect.state.started_at, "0001-01-01T00:00:00Z");
        // `start` writes these files; Docker shows the paths from then on
        assert_eq!(
            [
                &inspect.resolv_conf_path,
                &inspect.hostname_path,
                &inspect.hosts_path,
                &inspect.log_path
            ],
            [""; 4]
        );
        let hosts = engine.containers.dir(&record.id).join("hosts");
        std::fs::write(&hosts, "").unwrap();
        assert_eq!(
            engine.inspect_container("x").unwrap().hosts_path,
            hosts.to_string_lossy()
        );
        // the container's own layer, with its init layer below
        let overlay = root.path().join("overlay2");
        let dir = |id: &str, sub: &str| overlay.join(id).join(sub).to_string_lossy().into_owned();
        let data = inspect.graph_driver.data.unwrap();
        let init = format!("{}-init", layer.mount_id);
        assert_eq!(
            data,
            BTreeMap::from([
                ("LowerDir".to_owned(), dir(&init, "diff")),
                ("MergedDir".to_owned(), dir(&layer.mount_id, "merged")),
                ("UpperDir".to_owned(), dir(&layer.mount_id, "diff")),
                ("WorkDir".to_owned(), dir(&layer.mount_id, "work")),
            ])
        );
        assert_eq!(inspect.host_config.network_mode, "default");
        assert_eq!(inspect.config.env, Some(serde_json::json!(["A=1"])));
        assert_eq!((inspect.size_rw, inspect.size_root_fs), (None, None));

        std::fs::write(overlay.join(&layer.mount_id).join("diff/new"), b"12345").unwrap();
        let sized = engine
            .inspect_container_with_size(&record.id[..12], true)
            .unwrap();
        assert_eq!((sized.size_rw, sized.size_root_fs), (Some(5), Some(5)));

        let missing = engine.inspect_container("nosuch").unwrap_err();
        assert!(matches!(
            missing,
            EngineError::Container(ContainerError::NotFound(_))
        ));
        assert_eq!(missing.to_string(), "No such container: nosuch");
    }
}
