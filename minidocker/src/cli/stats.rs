//! `stats`: a live table of containers' resource usage, from the daemon's
//! `GET /containers/{id}/stats` (a sample a second, or one with `--no-stream`), computed the
//! way the Docker CLI computes it (chapter 6's arithmetic: CPU % from two samples, memory
//! without the page cache). Without names, the containers are `GET /containers/json`'s, asked
//! again every second.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ch06_cgroups::stats::{
    CpuSample, blkio_read_write, cpu_percent, format_io, format_memory, format_percent, memory_percent,
    memory_usage_no_cache,
};
use clap::Args;
use hyper::Method;
use serde_json::{Value, json};

use super::ExitCode;
use super::inspect::lookup_error;
use super::lifecycle::container_path;
use super::logs::InspectedTty;
use crate::client::autostart::Connector;
use crate::client::{Client, ClientError, Host, RequestBody};
use crate::engine::{ContainerListEntry, ContainerStats};
use crate::format::format_rows;

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Show all containers (default shows just running)
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Format output using a custom template ('table', 'table TEMPLATE', 'json', or a Go template)
    #[arg(long, value_name = "string")]
    pub format: Option<String>,
    /// Disable streaming stats and only pull the first result
    #[arg(long)]
    pub no_stream: bool,
    /// Do not truncate output
    #[arg(long)]
    pub no_trunc: bool,
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// Docker's collection interval: a sample a second.
const INTERVAL: Duration = Duration::from_secs(1);

const STATS_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";
const STATS_HEADERS: [(&str, &str); 9] = [
    ("Container", "CONTAINER"),
    ("ID", "CONTAINER ID"),
    ("Name", "NAME"),
    ("CPUPerc", "CPU %"),
    ("MemUsage", "MEM USAGE / LIMIT"),
    ("MemPerc", "MEM %"),
    ("NetIO", "NET I/O"),
    ("BlockIO", "BLOCK I/O"),
    ("PIDs", "PIDS"),
];

// ANCHOR: stats_row
/// One row of the table: `label` is what the user typed (or the short id when listing).
pub(super) fn stats_row(label: &str, s: &ContainerStats, trunc: bool) -> Value {
    let sample = |cpu: &ContainerStats, pre: bool| {
        let c = if pre { &cpu.precpu_stats } else { &cpu.cpu_stats };
        CpuSample {
            container: c.cpu_usage.total_usage,
            system: c.system_cpu_usage,
        }
    };
    let online = u32::try_from(s.cpu_stats.online_cpus).unwrap_or(u32::MAX);
    let cpu = cpu_percent(
        sample(s, true),
        sample(s, false),
        online,
        s.cpu_stats.cpu_usage.percpu_usage.len(),
    );
    let used = memory_usage_no_cache(&s.memory());
    let limit = s.memory_stats.limit;
    let (rx, tx) = s.network_rx_tx();
    let (read, write) = blkio_read_write(&s.blkio());
    let id = if trunc && s.id.len() > 12 {
        &s.id[..12]
    } else {
        &s.id
    };
    json!({
        "Container": label,
        "ID": id,
        "Name": s.name.trim_start_matches('/'),
        "CPUPerc": format_percent(cpu),
        "MemUsage": format_memory(used, limit),
        "MemPerc": format_percent(memory_percent(used, limit)),
        "NetIO": format_io(rx, tx),
        "BlockIO": format_io(read, write),
        "PIDs": s.pids_stats.current.to_string(),
    })
}
// ANCHOR_END: stats_row

fn render(rows: &[Value], format: Option<&str>) -> Result<String, crate::format::TemplateError> {
    match format {
        None | Some("") | Some("table") => format_rows(STATS_TABLE, rows, &STATS_HEADERS),
        Some("json") => format_rows("{{json .}}", rows, &STATS_HEADERS),
        Some(f) => format_rows(f, rows, &STATS_HEADERS),
    }
}

/// A streamed frame: home the cursor, each line erased to its end, the rest of the screen
/// cleared (so a shorter table leaves nothing of the last one).
fn frame(text: &str) -> String {
    let mut out = String::from("\x1b[H");
    for line in text.lines() {
        out.push_str(line);
        out.push_str("\x1b[K\n");
    }
    out.push_str("\x1b[J");
    out
}

/// The latest sample of each container being shown, by id, kept up to date by a thread per
/// container reading its stream.
type Latest = Arc<Mutex<BTreeMap<String, ContainerStats>>>;

/// Follows `GET /containers/{id}/stats?stream=1` on a connection of its own, keeping the
/// latest sample in `latest`, until the stream ends (the container stopped, or is gone).
fn follow(host: Host, id: String, latest: Latest) {
    std::thread::spawn(move || {
        let Ok(client) = Client::new(host) else { return };
        let path = container_path(&id, "/stats?stream=1");
        let Ok(response) = client.request(Method::GET, &path, RequestBody::Empty) else {
            return;
        };
        for sample in response.json_messages::<ContainerStats>() {
            let Ok(sample) = sample else { return };
            latest
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(id.clone(), sample);
        }
    });
}

/// One sample of each of `ids` (`stream=0`: the daemon takes a second for the CPU %),
/// asked all at once, each on a connection of its own.
fn sample_once(host: &Host, ids: &[String]) -> Vec<Result<ContainerStats, ClientError>> {
    std::thread::scope(|scope| {
        let asked: Vec<_> = ids
            .iter()
            .map(|id| {
                scope.spawn(move || {
                    Client::new(host.clone())?
                        .get_json::<ContainerStats>(&container_path(id, "/stats?stream=0"))
                })
            })
            .collect();
        asked
            .into_iter()
            .map(|a| {
                a.join().unwrap_or_else(|_| {
                    Err(ClientError::Io {
                        what: "sampling stats".into(),
                        source: std::io::Error::other("the sampling thread panicked"),
                    })
                })
            })
            .collect()
    })
}

/// The containers of the table, each with its label: the ones named (as typed), or all the
/// running ones (all of them with `-a`), labelled by id.
fn targets(
    client: &Client,
    named: &[(String, String)],
    all: bool,
    trunc: bool,
) -> Result<Vec<(String, String)>, ClientError> {
    if !named.is_empty() {
        return Ok(named.to_vec());
    }
    let listed: Vec<ContainerListEntry> =
        client.get_json(&format!("/containers/json?all={}", if all { "1" } else { "0" }))?;
    Ok(listed
        .into_iter()
        .map(|c| {
            let label = match trunc {
                true => c.id.chars().take(12).collect(),
                false => c.id.clone(),
            };
            (label, c.id)
        })
        .collect())
}

fn print_table(rows: &[Value], format: Option<&str>, stream: bool) -> Result<(), ExitCode> {
    let text = render(rows, format).map_err(|e| {
        eprintln!("{e}");
        1
    })?;
    let mut out = std::io::stdout().lock();
    let written = match stream {
        false => out.write_all(text.as_bytes()),
        true => out.write_all(frame(&text).as_bytes()),
    };
    // a closed stdout ends the command quietly
    written.and_then(|()| out.flush()).map_err(|_| 0)
}

pub(super) fn stats(api: &Connector, args: StatsArgs) -> ExitCode {
    let client = match api.client() {
        Ok(c) => c,
        Err(e) => return super::api_error(&e),
    };
    let mut named = Vec::new();
    let mut errors = Vec::new();
    for name in &args.containers {
        match client.get_json::<InspectedTty>(&container_path(name, "/json")) {
            Ok(c) => named.push((name.clone(), c.id)),
            Err(e) => errors.push(lookup_error(&e)),
        }
    }
    if !errors.is_empty() {
        eprintln!("{}", errors.join("\n"));
        return 1;
    }
    let trunc = !args.no_trunc;
    let current = match targets(client, &named, args.all, trunc) {
        Ok(t) => t,
        Err(e) => return super::api_error(&e),
    };
    if args.no_stream {
        let ids: Vec<String> = current.iter().map(|(_, id)| id.clone()).collect();
        let mut rows = Vec::new();
        for ((label, _), sample) in current.iter().zip(sample_once(client.host(), &ids)) {
            match sample {
                Ok(s) => rows.push(stats_row(label, &s, trunc)),
                // removed meanwhile: it drops out of the table
                Err(e) if e.is_not_found() => {}
                Err(e) => return super::api_error(&e),
            }
        }
        return print_table(&rows, args.format.as_deref(), false).map_or_else(|code| code, |()| 0);
    }
    let latest: Latest = Arc::default();
    let mut followed = std::collections::HashSet::new();
    let mut current = current;
    loop {
        for (_, id) in &current {
            if followed.insert(id.clone()) {
                follow(client.host().clone(), id.clone(), latest.clone());
            }
        }
        std::thread::sleep(INTERVAL);
        let rows: Vec<Value> = {
            let latest = latest.lock().unwrap_or_else(|e| e.into_inner());
            current
                .iter()
                .filter_map(|(label, id)| latest.get(id).map(|s| stats_row(label, s, trunc)))
                .collect()
        };
        if let Err(code) = print_table(&rows, args.format.as_deref(), true) {
            return code;
        }
        current = match targets(client, &named, args.all, trunc) {
            Ok(t) => t,
            Err(e) => return super::api_error(&e),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ContainerStats;

    #[test]
    fn a_stopped_container_reads_all_zero() {
        let s = ContainerStats {
            id: "f64ad8b621c17b5b8d3da5dd06c44b1e18f7e0ccb0e5959f8bd1ba10d463fb06".into(),
            name: "/cgt2".into(),
            ..Default::default()
        };
        let out = render(&[stats_row("cgt2", &s, true)], None).unwrap();
        // docker stats --no-stream of a created container (Docker 20.10)
        assert_eq!(
            out,
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n\
             f64ad8b621c1   cgt2      0.00%     0B / 0B             0.00%     0B / 0B   0B / 0B     0\n"
        );
    }

    #[test]
    fn json_rows_have_dockers_keys() {
        let mut s = ContainerStats {
            id: "5c3d6b5d84c2415b697361c526d2d75119030b1c011a917d1ddc16e3620d465d".into(),
            name: "/cgt1".into(),
            ..Default::default()
        };
        s.memory_stats.usage = 319_488;
        s.memory_stats.limit = 10 << 20;
        s.pids_stats.current = 1;
        let out = render(&[stats_row("cgt1", &s, true)], Some("json")).unwrap();
        assert_eq!(
            out,
            "{\"BlockIO\":\"0B / 0B\",\"CPUPerc\":\"0.00%\",\"Container\":\"cgt1\",\"ID\":\"5c3d6b5d84c2\",\"MemPerc\":\"3.05%\",\"MemUsage\":\"312KiB / 10MiB\",\"Name\":\"cgt1\",\"NetIO\":\"0B / 0B\",\"PIDs\":\"1\"}\n"
        );
    }

    #[test]
    fn cpu_percent_comes_from_the_two_samples() {
        let mut s = ContainerStats::default();
        s.precpu_stats.cpu_usage.total_usage = 1_000_000_000;
        s.precpu_stats.system_cpu_usage = 100_000_000_000;
        s.cpu_stats.cpu_usage.total_usage = 1_500_000_000;
        s.cpu_stats.system_cpu_usage = 102_000_000_000;
        s.cpu_stats.online_cpus = 2;
        assert_eq!(stats_row("x", &s, true)["CPUPerc"], "50.00%");
    }

    #[test]
    fn a_frame_erases_what_the_last_one_left() {
        assert_eq!(frame("A\nB\n"), "\x1b[HA\x1b[K\nB\x1b[K\n\x1b[J");
    }
}
