//! ex3: CPU lists (`0-1,3`), parsed and checked against the host the way Docker does.

use std::collections::BTreeSet;

use lab06_cgroups::cpulist::{DEFAULT_MAXIMUM, HARD_MAXIMUM, format_list, is_available, parse_list};
use lab06_cgroups::{CpuListError, HostInfo, Resources, validate};

#[test]
fn ex3_lists_parse_into_sets() {
    assert_eq!(parse_list("0-1,3", 0).unwrap(), BTreeSet::from([0, 1, 3]));
    assert_eq!(parse_list("5", 0).unwrap(), BTreeSet::from([5]));
    assert_eq!(parse_list("2-2", 0).unwrap(), BTreeSet::from([2]));
    assert_eq!(parse_list("3,1,1-2", 0).unwrap(), BTreeSet::from([1, 2, 3]));
    assert_eq!(parse_list("", 0).unwrap(), BTreeSet::new());
}

#[test]
fn ex3_malformed_lists_are_named_whole() {
    for bad in [
        "1-x", "x", "3-1", "1,", ",1", "1--2", "-1", " 1", "1 ", "0-", "1-2-3",
    ] {
        assert_eq!(
            parse_list(bad, 0),
            Err(CpuListError::InvalidFormat(bad.to_string())),
            "{bad:?}"
        );
    }
}

#[test]
fn ex3_numbers_above_the_maximum_are_refused_before_they_are_collected() {
    assert_eq!(parse_list("9000", 8192), Err(CpuListError::OutOfRange(8192)));
    assert_eq!(
        parse_list("9000", 8192).unwrap_err().to_string(),
        "value of out range, maximum is 8192"
    );
    assert_eq!(parse_list("8192", 8192).unwrap().len(), 1);
    // Maximum 0 means HARD_MAXIMUM.
    assert_eq!(
        parse_list("0-2000000", 0),
        Err(CpuListError::OutOfRange(HARD_MAXIMUM))
    );
    assert_eq!(
        parse_list("0,5-9000", DEFAULT_MAXIMUM),
        Err(CpuListError::OutOfRange(DEFAULT_MAXIMUM))
    );
}

#[test]
fn ex3_format_and_parse_are_inverses() {
    for set in [
        BTreeSet::from([0, 1, 3]),
        BTreeSet::from([0, 1, 2, 3, 8, 10, 11]),
        BTreeSet::from([7]),
        BTreeSet::new(),
    ] {
        assert_eq!(parse_list(&format_list(&set), 0).unwrap(), set);
    }
}

#[test]
fn ex3_a_request_must_be_a_subset_of_what_the_host_has() {
    assert_eq!(is_available("0-1", "0-1"), Ok(true));
    assert_eq!(is_available("1", "0-1"), Ok(true));
    assert_eq!(is_available("", "0-1"), Ok(true));
    assert_eq!(is_available("5", "0-1"), Ok(false));
    assert_eq!(is_available("1-2", "0-1"), Ok(false));
    assert_eq!(
        is_available("9000", "0-1"),
        Err(CpuListError::OutOfRange(DEFAULT_MAXIMUM))
    );
    // A host with more CPUs than DEFAULT_MAXIMUM raises the ceiling.
    assert_eq!(is_available("9000", "0-9000"), Ok(true));
    assert_eq!(
        is_available("1-x", "0-1"),
        Err(CpuListError::InvalidFormat("1-x".into()))
    );
}

#[test]
fn ex3_docker_refuses_a_cpuset_the_host_lacks() {
    // Docker on this 2-CPU host, one memory node: `--cpuset-cpus 5`, `--cpuset-cpus 1-x`,
    // `--cpuset-mems 1`.
    let host = HostInfo::everything_supported(2, "0-1", "0");
    let refused = |cpus: &str, mems: &str| {
        let r = Resources {
            cpuset_cpus: cpus.into(),
            cpuset_mems: mems.into(),
            ..Default::default()
        };
        validate(&r, &host, false).map(|_| ()).map_err(|e| e.to_string())
    };
    assert_eq!(
        refused("5", ""),
        Err("Requested CPUs are not available - requested 5, available: 0-1".into())
    );
    assert_eq!(
        refused("1-x", ""),
        Err("Invalid value 1-x for cpuset cpus: invalid format: 1-x".into())
    );
    assert_eq!(
        refused("", "1"),
        Err("Requested memory nodes are not available - requested 1, available: 0".into())
    );
    assert_eq!(refused("1", "0"), Ok(()));
}

#[test]
fn ex3_this_process_may_run_on_the_cpus_its_status_lists() {
    // /proc/self/status has the kernel's own list of the CPUs this process may use.
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("a Cpus_allowed_list line")
        .trim();
    let cpus = parse_list(list, 0).expect("the kernel's list parses");
    assert_eq!(cpus.len(), lab06_cgroups::host::ncpu() as usize, "{list}");
    assert_eq!(format_list(&cpus), list);
}
