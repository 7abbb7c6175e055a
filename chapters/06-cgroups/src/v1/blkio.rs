//! v1 `blkio`: the proportional I/O weight and the bytes-per-device counters.
//!
//! The weight (`--blkio-weight`, 10 to 1000) only exists when a weight-aware I/O scheduler is
//! in use: `blkio.weight` (CFQ, gone since Linux 5.0) or `blkio.bfq.weight` (BFQ). Counters
//! come from whichever of the CFQ, BFQ and throttle files has data, in runc's order.

use std::path::Path;

use crate::error::CgroupError;
use crate::resources::Resources;
use crate::stats::{BlkioEntry, Stats};
use crate::sys::{self, Sys};

/// Writes `--blkio-weight`, where given.
pub(crate) fn apply(sys: &dyn Sys, dir: &Path, r: &Resources) -> Result<(), CgroupError> {
    if r.blkio_weight == 0 {
        return Ok(());
    }
    let cfq = dir.join("blkio.weight");
    let file = if sys.exists(&cfq) {
        cfq
    } else {
        dir.join("blkio.bfq.weight")
    };
    sys::write(sys, &file, &r.blkio_weight.to_string())
}

const SERVICE_BYTES: [&str; 3] = [
    "blkio.io_service_bytes_recursive",
    "blkio.bfq.io_service_bytes_recursive",
    "blkio.throttle.io_service_bytes_recursive",
];

/// Reads bytes per device and operation.
pub(crate) fn stats(sys: &dyn Sys, dir: &Path, stats: &mut Stats) -> Result<(), CgroupError> {
    for file in SERVICE_BYTES {
        let path = dir.join(file);
        if let Some(text) = sys::read_optional(sys, &path)? {
            let entries = parse_service_bytes(&text);
            if !entries.is_empty() {
                stats.blkio.io_service_bytes_recursive = entries;
                return Ok(());
            }
        }
    }
    Ok(())
}

/// `8:0 Read 1234` lines; the closing `Total 1234` line has no device and is skipped.
fn parse_service_bytes(text: &str) -> Vec<BlkioEntry> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let (major, minor) = fields.next()?.split_once(':')?;
            Some(BlkioEntry {
                major: major.parse().ok()?,
                minor: minor.parse().ok()?,
                op: fields.next()?.to_string(),
                value: fields.next()?.parse().ok()?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn the_first_file_with_data_wins() {
        let f = Fixture::new(&[
            ("blkio.bfq.io_service_bytes_recursive", "Total 0\n"),
            (
                "blkio.throttle.io_service_bytes_recursive",
                "8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n",
            ),
        ]);
        let mut s = Stats::default();
        stats(&f.sys, f.dir(), &mut s).unwrap();
        assert_eq!(s.blkio.io_service_bytes_recursive.len(), 3);
        assert_eq!(crate::stats::blkio_read_write(&s.blkio), (4096, 8192));
    }

    #[test]
    fn weight_goes_to_bfq_when_cfq_is_absent() {
        let f = Fixture::new(&[("blkio.bfq.weight", "100")]);
        apply(
            &f.sys,
            f.dir(),
            &Resources {
                blkio_weight: 300,
                ..Default::default()
            },
        )
        .unwrap();
        f.assert_writes(&[("blkio.bfq.weight", "300")]);
    }
}
