//! CPU and memory-node lists: `0-1,3` (the kernel's "list format", see cpuset(7)).
//!
//! **Lab 06 skeleton.** Exercise `ex3`: write [`parse_list`] and [`is_available`] (the two
//! `todo!()`s; [`format_list`] is done). `labs/check 06` tells you how far you are.
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
    // ex3: `maximum` 0 means HARD_MAXIMUM. The empty list is the empty set. Otherwise each
    // part between commas is `n` or `low-high`, both u32 and `low <= high`; anything else
    // (an empty part, a sign, a space, a letter) is `CpuListError::InvalidFormat(list)`,
    // naming the whole list. A part reaching above `maximum` is
    // `CpuListError::OutOfRange(maximum)`: check before you insert its numbers.
    todo!(
        "ex3: split on ',', each part n or low-high (u32, low <= high) else InvalidFormat(list); high > maximum is OutOfRange(maximum); collect every number"
    )
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

/// Whether every CPU (or node) in `requested` is in `available`, as Docker checks
/// `--cpuset-cpus` against the host (`sysinfo.IsCpusetCpusAvailable`).
///
/// `Err` when `requested` does not parse. Numbers are accepted up to 8192 (or the host's
/// highest CPU) before the availability check.
pub fn is_available(requested: &str, available: &str) -> Result<bool, CpuListError> {
    // ex3: parse `available` with no maximum (0). `requested` may name CPUs up to
    // DEFAULT_MAXIMUM, or up to the highest available one if that is larger; then every
    // requested CPU must be available.
    todo!(
        "ex3: parse_list(available, 0)?, then parse_list(requested, max(highest available, DEFAULT_MAXIMUM))?, then is_subset"
    )
}
