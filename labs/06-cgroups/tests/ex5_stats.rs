//! ex5: the arithmetic of `docker stats`, checked against what Docker printed for the same
//! counters (recorded with Docker 20.10 on this chapter's machine).

use std::collections::BTreeMap;

use lab06_cgroups::CpuSample;
use lab06_cgroups::stats::{
    MemoryStats, cpu_percent, effective_memory_limit, format_memory, format_percent, memory_percent,
    memory_usage_no_cache,
};

/// The machine's memory: `MemTotal` of /proc/meminfo, 23.54 GiB.
const MACHINE: u64 = 25_276_510_208;
/// v1's "no limit".
const V1_UNLIMITED: u64 = 9_223_372_036_854_771_712;

fn memory(usage: u64, stat: &[(&str, u64)]) -> MemoryStats {
    MemoryStats {
        usage,
        stat: stat
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect::<BTreeMap<_, _>>(),
        ..Default::default()
    }
}

#[test]
fn ex5_cpu_percent_is_the_share_of_the_hosts_cpu_time_times_the_cpus() {
    // `docker run --cpus 0.5 busybox sh -c 'while :; do :; done'`: precpu_stats and cpu_stats
    // of one stats API answer.
    let previous = CpuSample {
        container: 3_219_736_302,
        system: 6_134_570_000_000,
    };
    let current = CpuSample {
        container: 3_722_856_300,
        system: 6_136_560_000_000,
    };
    let percent = cpu_percent(previous, current, 2, 2);
    assert!((percent - 50.564_824).abs() < 1e-4, "{percent}");
    assert_eq!(format_percent(percent), "50.56%");
    // One CPU's worth of time in a second on a 4-CPU host is 100%, not 25%.
    let one_cpu = CpuSample {
        container: 1_000_000_000,
        system: 4_000_000_000,
    };
    assert_eq!(cpu_percent(CpuSample::default(), one_cpu, 4, 0), 100.0);
}

#[test]
fn ex5_an_unknown_cpu_count_falls_back_to_the_per_cpu_counters() {
    let previous = CpuSample {
        container: 0,
        system: 0,
    };
    let current = CpuSample {
        container: 500_000_000,
        system: 2_000_000_000,
    };
    assert_eq!(cpu_percent(previous, current, 0, 4), 100.0);
    assert_eq!(cpu_percent(previous, current, 2, 4), 50.0);
}

#[test]
fn ex5_no_progress_or_a_counter_going_backwards_is_zero() {
    let a = CpuSample {
        container: 1_000,
        system: 1_000_000,
    };
    assert_eq!(cpu_percent(a, a, 2, 2), 0.0);
    let no_cpu = CpuSample {
        container: 1_000,
        system: 2_000_000,
    };
    assert_eq!(cpu_percent(a, no_cpu, 2, 2), 0.0);
    let no_time = CpuSample {
        container: 5_000,
        system: 1_000_000,
    };
    assert_eq!(cpu_percent(a, no_time, 2, 2), 0.0);
    let restarted = CpuSample {
        container: 10,
        system: 3_000_000,
    };
    assert_eq!(cpu_percent(a, restarted, 2, 2), 0.0);
}

#[test]
fn ex5_memory_usage_leaves_out_the_page_cache() {
    // `docker run -m 64m busybox sh -c 'dd if=/dev/zero of=/tmp/f bs=1M count=20; sleep 600'`:
    // docker stats printed `920KiB / 64MiB` and `1.40%`.
    let m = memory(
        21_913_600,
        &[
            ("cache", 21_004_288),
            ("rss", 53_248),
            ("total_inactive_file", 20_971_520),
        ],
    );
    let used = memory_usage_no_cache(&m);
    assert_eq!(used, 942_080);
    let limit = effective_memory_limit(Some(64 << 20), MACHINE);
    assert_eq!(format_memory(used, limit), "920KiB / 64MiB");
    assert_eq!(format_percent(memory_percent(used, limit)), "1.40%");
}

#[test]
fn ex5_v1_v2_and_old_kernels_name_the_cache_differently() {
    assert_eq!(
        memory_usage_no_cache(&memory(1000, &[("inactive_file", 400)])),
        600
    );
    assert_eq!(memory_usage_no_cache(&memory(1000, &[("cache", 100)])), 900);
    // total_inactive_file comes first, then inactive_file, then cache.
    let all = [
        ("cache", 100),
        ("inactive_file", 200),
        ("total_inactive_file", 300),
    ];
    assert_eq!(memory_usage_no_cache(&memory(1000, &all)), 700);
    // A value that is not smaller than the usage (two reads apart) is skipped.
    let stale = [("cache", 100), ("total_inactive_file", 5000)];
    assert_eq!(memory_usage_no_cache(&memory(1000, &stale)), 900);
    assert_eq!(
        memory_usage_no_cache(&memory(1000, &[("inactive_file", 1000)])),
        1000
    );
    assert_eq!(memory_usage_no_cache(&memory(1000, &[])), 1000);
}

#[test]
fn ex5_without_a_limit_the_machine_is_the_limit() {
    assert_eq!(effective_memory_limit(None, MACHINE), MACHINE);
    assert_eq!(effective_memory_limit(Some(V1_UNLIMITED), MACHINE), MACHINE);
    assert_eq!(effective_memory_limit(Some(MACHINE), MACHINE), MACHINE);
    assert_eq!(effective_memory_limit(Some(32 << 20), MACHINE), 32 << 20);
    // `docker run busybox sleep 600`: 504KiB / 23.54GiB, 0.00%.
    let used = memory_usage_no_cache(&memory(516_096, &[("total_inactive_file", 0)]));
    let limit = effective_memory_limit(Some(V1_UNLIMITED), MACHINE);
    assert_eq!(format_memory(used, limit), "504KiB / 23.54GiB");
    assert_eq!(format_percent(memory_percent(used, limit)), "0.00%");
}
