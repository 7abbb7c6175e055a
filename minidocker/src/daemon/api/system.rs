//! `/_ping`, `/version`, `/info`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::{API_VERSION, ApiError, AppState, MIN_API_VERSION};

pub use ch10_api::ping::ping;

fn kernel_version() -> String {
    nix::sys::utsname::uname()
        .map(|u| u.release().to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `GET /version`: Docker's shape, with minidocker's own version and components.
pub async fn version() -> Json<Value> {
    let version = env!("CARGO_PKG_VERSION");
    let kernel = kernel_version();
    Json(json!({
        "Platform": {"Name": "minidocker"},
        "Components": [{
            "Name": "Engine",
            "Version": version,
            "Details": {
                "ApiVersion": API_VERSION,
                "Arch": "amd64",
                "BuildTime": "",
                "Experimental": "false",
                "GitCommit": "",
                "GoVersion": "",
                "KernelVersion": kernel,
                "MinAPIVersion": MIN_API_VERSION,
                "Os": "linux",
            },
        }],
        "Version": version,
        "ApiVersion": API_VERSION,
        "MinAPIVersion": MIN_API_VERSION,
        "GitCommit": "",
        "GoVersion": "",
        "Os": "linux",
        "Arch": std::env::consts::ARCH.replace("x86_64", "amd64"),
        "KernelVersion": kernel,
        "BuildTime": "",
    }))
}

/// `/etc/os-release`'s `PRETTY_NAME`.
fn operating_system() -> String {
    std::fs::read_to_string("/etc/os-release")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "Linux".into())
}

fn mem_total() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// `GET /info`: the fields `docker info` prints, counted from the engine's state.
pub async fn info(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let config = state.config.clone();
    state
        .blocking(move |engine| {
            let containers = engine.containers.list().map_err(|e| ApiError::internal(e.to_string()))?;
            let running = containers.iter().filter(|c| engine.is_running(c) && !c.state.paused).count();
            let paused = containers.iter().filter(|c| engine.is_running(c) && c.state.paused).count();
            let images = engine.images.list().map(|i| i.len()).unwrap_or(0);
            let hostname = nix::unistd::gethostname()
                .map(|h| h.to_string_lossy().into_owned())
                .unwrap_or_default();
            let cgroup_version = match ch06_cgroups::Hierarchy::detect().and_then(|h| h.version()) {
                Ok(ch06_cgroups::CgroupVersion::V2) => "2",
                _ => "1",
            };
            Ok(Json(json!({
                "ID": "",
                "Containers": containers.len(),
                "ContainersRunning": running,
                "ContainersPaused": paused,
                "ContainersStopped": containers.len() - running - paused,
                "Images": images,
                "Driver": crate::engine::STORAGE_DRIVER,
                "DriverStatus": [["Backing Filesystem", "extfs"], ["Supports d_type", "true"], ["Native Overlay Diff", "true"], ["userxattr", "false"]],
                "Plugins": {
                    "Volume": ["local"],
                    "Network": ["bridge", "host", "null"],
                    "Authorization": null,
                    "Log": ["json-file"],
                },
                "MemoryLimit": true,
                "SwapLimit": true,
                "CpuCfsPeriod": true,
                "CpuCfsQuota": true,
                "CPUShares": true,
                "CPUSet": true,
                "PidsLimit": true,
                "IPv4Forwarding": true,
                "Debug": false,
                "NFd": 0,
                "OomKillDisable": cgroup_version == "1",
                "NGoroutines": 0,
                "SystemTime": crate::container::now_rfc3339(),
                "LoggingDriver": "json-file",
                "CgroupDriver": "cgroupfs",
                "CgroupVersion": cgroup_version,
                "NEventsListener": 0,
                "KernelVersion": kernel_version(),
                "OperatingSystem": operating_system(),
                "OSVersion": "",
                "OSType": "linux",
                "Architecture": std::env::consts::ARCH,
                "IndexServerAddress": "https://index.docker.io/v1/",
                "RegistryConfig": {
                    "InsecureRegistryCIDRs": ["127.0.0.0/8"],
                    "IndexConfigs": {},
                    "Mirrors": config.registry_mirrors,
                },
                "NCPU": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
                "MemTotal": mem_total(),
                "DockerRootDir": engine.data_root,
                "Name": hostname,
                "Labels": [],
                "ExperimentalBuild": false,
                "ServerVersion": env!("CARGO_PKG_VERSION"),
                "Runtimes": {"minidocker": {"path": "minidocker"}},
                "DefaultRuntime": "minidocker",
                "Swarm": {"NodeID": "", "NodeAddr": "", "LocalNodeState": "inactive", "ControlAvailable": false, "Error": "", "RemoteManagers": null},
                "LiveRestoreEnabled": config.live_restore,
                "Isolation": "",
                "InitBinary": "",
                "SecurityOptions": [],
                // dockerd's: for each TCP host that anyone who reaches it can use
                "Warnings": crate::daemon::listeners::tcp_warnings(&config),
            })))
        })
        .await
}
