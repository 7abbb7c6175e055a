//! CPU and memory-node lists: `0-1,3` (the kernel's "list format", see cpuset(7)).
//!
//! `--cpuset-cpus`, `cpuset.cpus`, `cpuset.effective_cpus` and the `Cpus_allowed_list` line of
//! `/proc/<pid>/status` all use it. Parsing follows Docker's `parsers.ParseUintList`, so the
//! same inputs are refused with the same words.

use std::collections::BTreeSet;

use crate::error::CpuListError;

/// Docker accepts CPU numbers up to this, or up to the host's highest CPU if that is larger.
pub const DEFAULT_MAXIMUM: u32 = 8192;

/// The ceiling when no maximum is given, so `0-4000000000` cannot exhaust memory.
pub const HARD_MAXIMUM: u32 = 1 << 20;

/// Parses a list like `0-1,3` into the set {0, 1, 3}. The empty string is the empty set.
///
/// Any number above `maximum` is refused (`value of out range`); 0 means [`HARD_MAXIMUM`].
pub fn parse_list(list: &str, maximum: u32) -> Result<BTreeSet<u32>, CpuListError> {
    let maximum = if maximum == 0 { HARD_MAXIMUM } else { maximum };
    let mut set = BTreeSet::new();
    if list.is_empty() {
        return Ok(set);
    }
    let invalid = || CpuListError::InvalidFormat(list.to_string());
    for part in list.split(',') {
        let (low, high) = match part.split_once('-') {
            None => {
                let n: u32 = part.parse().map_err(|_| invalid())?;
                (n, n)
            }
            Some((low, high)) => {
                let low: u32 = low.parse().map_err(|_| invalid())?;
                let high: u32 = high.parse().map_err(|_| invalid())?;
                if high < low {
                    return Err(invalid());
                }
                (low, high)
            }
        };
        if high > maximum {
            return Err(CpuListError::OutOfRange(maximum));
        }
        set.extend(low..=high);
    }
    Ok(set)
}

/// Formats a set in the kernel's list format, ranges collapsed: {0, 1, 3} → `0-1,3`.
pub fn format_list(set: &BTreeSet<u32>) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut iter = set.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        parts.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    parts.join(",")
}

// ANCHOR: is_available
/// Whether every CPU (or node) in `requested` is in `available`, as Docker checks
/// `--cpuset-cpus` against the host (`sysinfo.IsCpusetCpusAvailable`).
///
/// `Err` when `requested` does not parse. Numbers are accepted up to 8192 (or the host's
/// highest CPU) before the availability check.
pub fn is_available(requested: &str, available: &str) -> Result<bool, CpuListError> {
    let available = parse_list(available, 0)?;
    let maximum = available.iter().copied().max().unwrap_or(0).max(DEFAULT_MAXIMUM);
    let requested = parse_list(requested, maximum)?;
    Ok(requested.is_subset(&available))
}
// ANCHOR_END: is_available

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lists_parse_like_docker() {
        assert_eq!(parse_list("0-1,3", 0).unwrap(), BTreeSet::from([0, 1, 3]));
        assert_eq!(parse_list("", 0).unwrap(), BTreeSet::new());
        assert_eq!(parse_list("5", 0).unwrap(), BTreeSet::from([5]));
        assert_eq!(parse_list("2-2", 0).unwrap(), BTreeSet::from([2]));
        for bad in ["1-x", "x", "3-1", "1,", ",1", "1--2", "-1", " 1"] {
            assert_eq!(
                parse_list(bad, 0).unwrap_err().to_string(),
                format!("invalid format: {bad}"),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_list("9000", 8192).unwrap_err().to_string(),
            "value of out range, maximum is 8192"
        );
    }

    #[test]
    fn availability_is_a_subset_check() {
        assert!(is_available("0-1", "0-1").unwrap());
        assert!(is_available("", "0-1").unwrap());
        assert!(!is_available("5", "0-1").unwrap());
        assert!(!is_available("1-2", "0-1").unwrap());
        assert!(is_available("1-x", "0-1").is_err());
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(set in proptest::collection::btree_set(0u32..64, 0..20)) {
            let text = format_list(&set);
            prop_assert_eq!(parse_list(&text, 0).unwrap(), set);
        }

        #[test]
        fn parse_never_panics(s in "[0-9,\\-x]{0,12}") {
            let _ = parse_list(&s, DEFAULT_MAXIMUM);
        }
    }
}
