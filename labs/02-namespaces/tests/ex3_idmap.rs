//! ex3: `validate_mappings`, the kernel's rules for uid and gid maps, checked before writing.

use lab02_namespaces::{IdMapping, NamespaceError, validate_mappings};

fn m(container_id: u32, host_id: u32, size: u32) -> IdMapping {
    IdMapping {
        container_id,
        host_id,
        size,
    }
}

/// Asserts `maps` is refused with an `InvalidMapping` error.
fn assert_rejected(maps: &[IdMapping], why: &str) {
    match validate_mappings(maps) {
        Err(err @ NamespaceError::InvalidMapping { .. }) => {
            let msg = err.to_string();
            assert!(msg.starts_with("invalid user namespace id mapping"), "{msg}");
        }
        Err(other) => panic!("{why}: expected an InvalidMapping error, got {other:?}"),
        Ok(()) => panic!("{why}: {maps:?} must be rejected"),
    }
}

#[test]
fn ex3_the_usual_maps_are_accepted() {
    let ok = |maps: &[IdMapping], what: &str| {
        if let Err(err) = validate_mappings(maps) {
            panic!("{what} must be accepted: {err}");
        }
    };
    ok(&[m(0, 100_000, 65_536)], "docker's userns-remap");
    ok(&[m(0, 1000, 1)], "a rootless user mapping itself");
    ok(
        &[m(0, 1000, 1), m(1, 100_000, 65_536)],
        "own uid plus a subordinate range",
    );
    ok(&[m(0, 0, u32::MAX)], "the initial namespace's own map");
    ok(
        &[m(0, 1000, 10), m(10, 2000, 10)],
        "ranges that touch but do not overlap",
    );
    let most: Vec<_> = (0..340).map(|i| m(i, i, 1)).collect();
    ok(&most, "340 short lines");
}

#[test]
fn ex3_empty_maps_empty_ranges_and_overflowing_ranges_are_rejected() {
    assert_rejected(&[], "no lines at all");
    assert_rejected(&[m(0, 1000, 0)], "a size of 0");
    assert_rejected(&[m(0, 1000, 1), m(5, 2000, 0)], "a size of 0 on the second line");
    assert_rejected(&[m(1, 0, u32::MAX)], "a range past the largest id inside");
    assert_rejected(&[m(0, 1, u32::MAX)], "a range past the largest id outside");
}

#[test]
fn ex3_overlapping_ranges_are_rejected() {
    assert_rejected(&[m(0, 1000, 10), m(5, 2000, 10)], "overlap inside");
    assert_rejected(&[m(0, 1000, 10), m(100, 1005, 1)], "overlap outside");
    assert_rejected(
        &[m(5, 2000, 10), m(0, 1000, 10)],
        "overlap inside, listed the other way",
    );
    assert_rejected(
        &[m(0, 0, 1), m(1, 1, 1), m(2, 0, 1)],
        "the first and third lines overlap",
    );
}

#[test]
fn ex3_maps_too_long_for_one_write_are_rejected() {
    assert_rejected(&vec![m(0, 0, 1); 341], "341 lines");
    let distinct: Vec<_> = (0..341).map(|i| m(i, i, 1)).collect();
    assert_rejected(&distinct, "341 distinct lines");
    // 340 lines of 32 bytes: more than the 4095 bytes one write(2) may carry.
    let wide: Vec<_> = (0..340u32)
        .map(|i| m(4_000_000_000 + i, 4_100_000_000 + i, 1))
        .collect();
    assert_rejected(&wide, "more than 4095 bytes");
}
