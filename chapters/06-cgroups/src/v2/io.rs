//! v2 `io`: the proportional weight and the per-device counters.
//!
//! `io.bfq.weight` (1 to 1000, BFQ scheduler) takes Docker's `--blkio-weight` as is; the
//! generic `io.weight` (1 to 10000) takes `default <w>` with the value converted as runc does.
//! `io.stat` has one line per device: `8:0 rbytes=… wbytes=… rios=… wios=…`.

use std::path::Path;

use crate::error::CgroupError;
use crate::resources::Resources;
use crate::stats::{BlkioEntry, Stats};
use crate::sys::{self, Sys};

/// Converts a v1 blkio weight (10 to 1000) to a v2 `io.weight` (1 to 10000), as runc does.
pub fn io_weight_from_blkio(weight: u16) -> u64 {
    if weight == 0 {
        return 0;
    }
    let weight = u64::from(weight.clamp(10, 1000));
    1 + (weight - 10) * 9999 / 990
}

/// Writes `--blkio-weight`, where given.
pub(crate) fn apply(sys: &dyn Sys, dir: &Path, r: &Resources) -> Result<(), CgroupError> {
    if r.blkio_weight == 0 {
        return Ok(());
    }
    let bfq = dir.join("io.bfq.weight");
    if sys.exists(&bfq) {
        sys::write(sys, &bfq, &r.blkio_weight.to_string())
    } else {
        let weight = io_weight_from_blkio(r.blkio_weight);
        sys::write(sys, &dir.join("io.weight"), &format!("default {weight}"))
    }
}

/// Reads `io.stat` into Docker's v2 shape: `read` and `write` entries per device.
pub(crate) fn stats(sys: &dyn Sys, dir: &Path, stats: &mut Stats) -> Result<(), CgroupError> {
    let Some(text) = sys::read_optional(sys, &dir.join("io.stat"))? else {
        return Ok(());
    };
    for line in text.lines() {
        let mut fields = line.split_whitespace();
        let Some((major, minor)) = fields.next().and_then(|d| d.split_once(':')) else {
            continue;
        };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else {
            continue;
        };
        for field in fields {
            let op = match field.split_once('=') {
                Some(("rbytes", v)) => ("read", v),
                Some(("wbytes", v)) => ("write", v),
                _ => continue,
            };
            if let Ok(value) = op.1.parse() {
                stats.blkio.io_service_bytes_recursive.push(BlkioEntry {
                    major,
                    minor,
                    op: op.0.to_string(),
                    value,
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::Fixture;

    #[test]
    fn blkio_weight_to_io_weight_like_runc() {
        assert_eq!(io_weight_from_blkio(0), 0);
        assert_eq!(io_weight_from_blkio(10), 1);
        assert_eq!(io_weight_from_blkio(500), 4950);
        assert_eq!(io_weight_from_blkio(1000), 10_000);
    }

    #[test]
    fn weight_prefers_bfq_else_converts() {
        let f = Fixture::new(&[("io.weight", "default 100")]);
        apply(
            &f.sys,
            f.dir(),
            &Resources {
                blkio_weight: 500,
                ..Default::default()
            },
        )
        .unwrap();
        f.assert_writes(&[("io.weight", "default 4950")]);
        let f = Fixture::new(&[("io.bfq.weight", "default 100")]);
        apply(
            &f.sys,
            f.dir(),
            &Resources {
                blkio_weight: 500,
                ..Default::default()
            },
        )
        .unwrap();
        f.assert_writes(&[("io.bfq.weight", "500")]);
    }

    #[test]
    fn io_stat_becomes_read_and_write_entries() {
        let f = Fixture::new(&[(
            "io.stat",
            "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n253:1 rbytes=1 wbytes=0\n",
        )]);
        let mut s = Stats::default();
        stats(&f.sys, f.dir(), &mut s).unwrap();
        assert_eq!(s.blkio.io_service_bytes_recursive.len(), 4);
        assert_eq!(crate::stats::blkio_read_write(&s.blkio), (4097, 8192));
    }
}
