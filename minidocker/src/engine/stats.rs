//! A container's resource usage, shaped like Docker's stats API (`GET /containers/{id}/stats`):
//! the cgroup's counters (chapter 6), the host's CPU time for comparison, and the network
//! counters of the container's network namespace.
//!
//! Docker computes `CPU %` from two samples, so each sample carries the previous one's CPU
//! counters as `precpu_stats` (the daemon's stream keeps them from one second to the next).

use std::collections::BTreeMap;

use ch06_cgroups::host;
use ch06_cgroups::stats::{BlkioEntry, Stats};
use serde::{Deserialize, Serialize};

use super::Engine;
use crate::container::{Container, ZERO_TIME, now_rfc3339};

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One sample, with the field names and omissions of Docker's `types.StatsJSON` (v1 layout).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerStats {
    pub read: String,
    pub preread: String,
    pub pids_stats: PidsStats,
    pub blkio_stats: BlkioStats,
    pub num_procs: u32,
    pub storage_stats: BTreeMap<String, u64>,
    pub cpu_stats: CpuStats,
    pub precpu_stats: CpuStats,
    pub memory_stats: MemoryStats,
    /// With Docker's leading slash.
    pub name: String,
    pub id: String,
    /// Per interface, `lo` left out (Docker reports its endpoints' interfaces only); absent
    /// when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub networks: Option<BTreeMap<String, NetworkStats>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PidsStats {
    pub current: u64,
    /// Absent when unlimited.
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioStatEntry {
    pub major: u64,
    pub minor: u64,
    pub op: String,
    pub value: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioStats {
    pub io_service_bytes_recursive: Vec<BlkioStatEntry>,
    pub io_serviced_recursive: Vec<BlkioStatEntry>,
    pub io_queue_recursive: Vec<BlkioStatEntry>,
    pub io_service_time_recursive: Vec<BlkioStatEntry>,
    pub io_wait_time_recursive: Vec<BlkioStatEntry>,
    pub io_merged_recursive: Vec<BlkioStatEntry>,
    pub io_time_recursive: Vec<BlkioStatEntry>,
    pub sectors_recursive: Vec<BlkioStatEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuUsage {
    pub total_usage: u64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub percpu_usage: Vec<u64>,
    pub usage_in_kernelmode: u64,
    pub usage_in_usermode: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ThrottlingData {
    pub periods: u64,
    pub throttled_periods: u64,
    pub throttled_time: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CpuStats {
    pub cpu_usage: CpuUsage,
    /// The host's CPU time, ns (`/proc/stat`).
    #[serde(skip_serializing_if = "is_zero")]
    pub system_cpu_usage: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub online_cpus: u64,
    pub throttling_data: ThrottlingData,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MemoryStats {
    #[serde(skip_serializing_if = "is_zero")]
    pub usage: u64,
    #[serde(skip_serializing_if = "is_zero")]
    pub max_usage: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub stats: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "is_zero")]
    pub failcnt: u64,
    /// The cgroup's limit, or the machine's memory when it has none (as Docker's daemon).
    #[serde(skip_serializing_if = "is_zero")]
    pub limit: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkStats {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
}

impl ContainerStats {
    /// All zero, as Docker reports a container that is not running.
    fn zero(c: &Container) -> Self {
        ContainerStats {
            read: ZERO_TIME.to_owned(),
            preread: ZERO_TIME.to_owned(),
            name: c.name.clone(),
            id: c.id.clone(),
            ..Default::default()
        }
    }

    /// Chapter 6's memory counters again, for its `docker stats` arithmetic.
    pub fn memory(&self) -> ch06_cgroups::stats::MemoryStats {
        ch06_cgroups::stats::MemoryStats {
            usage: self.memory_stats.usage,
            max_usage: Some(self.memory_stats.max_usage),
            limit: Some(self.memory_stats.limit),
            failcnt: self.memory_stats.failcnt,
            stat: self.memory_stats.stats.clone(),
        }
    }

    /// Chapter 6's block I/O counters again.
    pub fn blkio(&self) -> ch06_cgroups::stats::BlkioStats {
        ch06_cgroups::stats::BlkioStats {
            io_service_bytes_recursive: self
                .blkio_stats
                .io_service_bytes_recursive
                .iter()
                .map(|e| BlkioEntry {
                    major: e.major,
                    minor: e.minor,
                    op: e.op.clone(),
                    value: e.value,
                })
                .collect(),
        }
    }

    /// Bytes received and sent over all interfaces.
    pub fn network_rx_tx(&self) -> (u64, u64) {
        self.networks.iter().flatten().fold((0, 0), |(rx, tx), (_, n)| {
            (rx.saturating_add(n.rx_bytes), tx.saturating_add(n.tx_bytes))
        })
    }
}

/// Turns chapter 6's counters into the API's shape.
fn from_cgroup(stats: &Stats, machine_memory: u64) -> (CpuStats, MemoryStats, PidsStats, BlkioStats) {
    let cpu = CpuStats {
        cpu_usage: CpuUsage {
            total_usage: stats.cpu.total_usage,
            percpu_usage: stats.cpu.percpu_usage.clone(),
            usage_in_kernelmode: stats.cpu.usage_in_kernelmode,
            usage_in_usermode: stats.cpu.usage_in_usermode,
        },
        system_cpu_usage: host::system_cpu_usage().unwrap_or(0),
        online_cpus: u64::from(host::online_cpus()),
        throttling_data: ThrottlingData {
            periods: stats.cpu.throttling.periods,
            throttled_periods: stats.cpu.throttling.throttled_periods,
            throttled_time: stats.cpu.throttling.throttled_time,
        },
    };
    let memory = MemoryStats {
        usage: stats.memory.usage,
        max_usage: stats.memory.max_usage.unwrap_or(0),
        stats: stats.memory.stat.clone(),
        failcnt: stats.memory.failcnt,
        limit: ch06_cgroups::stats::effective_memory_limit(stats.memory.limit, machine_memory),
    };
    let pids = PidsStats {
        current: stats.pids.current,
        limit: stats.pids.limit.unwrap_or(0),
    };
    let blkio = BlkioStats {
        io_service_bytes_recursive: stats
            .blkio
            .io_service_bytes_recursive
            .iter()
            .map(|e| BlkioStatEntry {
                major: e.major,
                minor: e.minor,
                op: e.op.clone(),
                value: e.value,
            })
            .collect(),
        ..Default::default()
    };
    (cpu, memory, pids, blkio)
}

// ANCHOR: net_dev
/// The interfaces of `/proc/<pid>/net/dev` (the network namespace `pid` is in), `lo` left out:
/// `  eth0: 1296 16 0 0 0 0 0 0 1296 16 0 0 0 0 0 0` (8 receive then 8 transmit counters).
pub fn parse_net_dev(text: &str) -> BTreeMap<String, NetworkStats> {
    text.lines()
        .skip(2)
        .filter_map(|line| {
            let (name, counters) = line.split_once(':')?;
            let name = name.trim();
            let n: Vec<u64> = counters
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .ok()?;
            if name == "lo" || n.len() < 16 {
                return None;
            }
            Some((
                name.to_owned(),
                NetworkStats {
                    rx_bytes: n[0],
                    rx_packets: n[1],
                    rx_errors: n[2],
                    rx_dropped: n[3],
                    tx_bytes: n[8],
                    tx_packets: n[9],
                    tx_errors: n[10],
                    tx_dropped: n[11],
                },
            ))
        })
        .collect()
}
// ANCHOR_END: net_dev

impl Engine {
    /// One sample of container `c`; `previous` (the last sample of the same container) becomes
    /// its `precpu_stats`. A container that is not running, or whose cgroup is gone, reads all
    /// zero.
    pub fn container_stats(&self, c: &Container, previous: Option<&ContainerStats>) -> ContainerStats {
        let sample = (|| {
            if !self.is_running(c) {
                return None;
            }
            let cgroup = self.container_cgroup(&c.id).ok()??;
            let stats = cgroup.manager().stats().ok()?;
            let (cpu, memory, pids, blkio) = from_cgroup(&stats, host::machine_memory().unwrap_or(0));
            let networks = std::fs::read_to_string(format!("/proc/{}/net/dev", c.state.pid))
                .map(|text| parse_net_dev(&text))
                .ok()
                .filter(|n| !n.is_empty());
            Some(ContainerStats {
                read: now_rfc3339(),
                preread: ZERO_TIME.to_owned(),
                pids_stats: pids,
                blkio_stats: blkio,
                num_procs: 0,
                storage_stats: BTreeMap::new(),
                cpu_stats: cpu,
                precpu_stats: CpuStats::default(),
                memory_stats: memory,
                name: c.name.clone(),
                id: c.id.clone(),
                networks,
            })
        })();
        let mut sample = sample.unwrap_or_else(|| ContainerStats::zero(c));
        if let Some(prev) = previous.filter(|p| p.id == c.id) {
            sample.preread = prev.read.clone();
            sample.precpu_stats = prev.cpu_stats.clone();
        }
        sample
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_dev_skips_lo_and_reads_both_directions() {
        let text = "\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       2    0    0    0     0          0         0      100       2    0    0    0     0       0          0
  eth0:    1296      16    1    2    0     0          0         0      740       9    3    4    0     0       0          0
";
        let nets = parse_net_dev(text);
        assert_eq!(nets.len(), 1);
        let eth0 = &nets["eth0"];
        assert_eq!(
            (eth0.rx_bytes, eth0.rx_packets, eth0.rx_errors, eth0.rx_dropped),
            (1296, 16, 1, 2)
        );
        assert_eq!(
            (eth0.tx_bytes, eth0.tx_packets, eth0.tx_errors, eth0.tx_dropped),
            (740, 9, 3, 4)
        );
        assert!(parse_net_dev("garbage\n").is_empty());
    }

    #[test]
    fn json_has_dockers_keys_and_omissions() {
        let stats = ContainerStats {
            read: "2026-01-01T00:00:01Z".into(),
            preread: "2026-01-01T00:00:00Z".into(),
            pids_stats: PidsStats { current: 1, limit: 0 },
            memory_stats: MemoryStats {
                usage: 524_288,
                limit: 52_428_800,
                ..Default::default()
            },
            name: "/web".into(),
            id: "abc".into(),
            ..Default::default()
        };
        let json = serde_json::to_value(&stats).unwrap();
        let keys: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        for key in [
            "read",
            "preread",
            "pids_stats",
            "blkio_stats",
            "num_procs",
            "storage_stats",
            "cpu_stats",
            "precpu_stats",
            "memory_stats",
            "name",
            "id",
        ] {
            assert!(keys.contains(&key), "{key} missing from {json}");
        }
        assert!(json.get("networks").is_none());
        assert_eq!(json["pids_stats"], serde_json::json!({"current": 1}));
        assert_eq!(
            json["memory_stats"],
            serde_json::json!({"usage": 524_288, "limit": 52_428_800})
        );
        assert_eq!(
            json["blkio_stats"]["io_service_bytes_recursive"],
            serde_json::json!([])
        );
    }

    #[test]
    fn a_sample_reads_back_as_it_was_sent() {
        let mut stats = ContainerStats {
            id: "c0ffee".into(),
            name: "/web".into(),
            ..Default::default()
        };
        stats.memory_stats.usage = 524_288;
        stats.cpu_stats.cpu_usage.percpu_usage = vec![1, 2];
        stats.networks = Some(
            [("eth0".to_owned(), NetworkStats::default())]
                .into_iter()
                .collect(),
        );
        let json = serde_json::to_string(&stats).unwrap();
        assert_eq!(serde_json::from_str::<ContainerStats>(&json).unwrap(), stats);
    }
}
