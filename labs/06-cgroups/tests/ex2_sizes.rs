//! ex2: `-m 512m` and `--cpus 1.5`, read the way Docker reads them.

use lab06_cgroups::{CpusError, HostInfo, Resources, SizeError, parse_cpus, ram_in_bytes, validate};

const MIB: i64 = 1 << 20;

#[test]
fn ex2_sizes_use_binary_units_in_any_spelling() {
    let ok = [
        ("512m", 512 * MIB),
        ("32M", 32 * MIB),
        ("1g", 1 << 30),
        ("1.5g", 3 << 29),
        (".5g", 1 << 29),
        ("1 g", 1 << 30),
        ("1kb", 1024),
        ("1kib", 1024),
        ("1KiB", 1024),
        ("2t", 2 << 40),
        ("1p", 1 << 50),
        ("100", 100),
        ("1b", 1),
        ("1e3", 1000),
        ("1e3k", 1_024_000),
        ("6M", 6 * MIB),
    ];
    for (input, bytes) in ok {
        assert_eq!(ram_in_bytes(input), Ok(bytes), "{input:?}");
    }
}

#[test]
fn ex2_fractions_of_bytes_are_cut_and_huge_sizes_saturate() {
    assert_eq!(ram_in_bytes("1.9"), Ok(1));
    assert_eq!(ram_in_bytes("0.3k"), Ok(307));
    assert_eq!(ram_in_bytes("100000000000p"), Ok(i64::MAX));
}

#[test]
fn ex2_bad_sizes_get_dockers_messages() {
    // `docker run -m 12zb` says: invalid argument "12zb" for "-m, --memory" flag: invalid suffix: 'zb'
    let bad = [
        ("12zb", "invalid suffix: 'zb'"),
        ("1ki", "invalid suffix: 'ki'"),
        ("1bb", "invalid suffix: 'bb'"),
        ("1kibb", "invalid suffix: 'kibb'"),
        ("1KIBB", "invalid suffix: 'KIBB'"),
        ("g", "invalid size: 'g'"),
        ("", "invalid size: ''"),
        ("-1m", "invalid size: '-1m'"),
        ("1.5.5g", "strconv.ParseFloat: parsing \"1.5.5\": invalid syntax"),
        ("5m ", "strconv.ParseFloat: parsing \"5m\": invalid syntax"),
        (
            "1e400",
            "strconv.ParseFloat: parsing \"1e400\": value out of range",
        ),
    ];
    for (input, message) in bad {
        let err: SizeError = ram_in_bytes(input).expect_err(input);
        assert_eq!(err.to_string(), message, "{input:?}");
    }
}

#[test]
fn ex2_cpus_are_exact_rational_numbers() {
    assert_eq!(parse_cpus("1.5"), Ok(1_500_000_000));
    assert_eq!(parse_cpus("3/2"), Ok(1_500_000_000));
    assert_eq!(parse_cpus("0.01"), Ok(10_000_000));
    assert_eq!(parse_cpus("2e-1"), Ok(200_000_000));
    assert_eq!(parse_cpus("2"), Ok(2_000_000_000));
    assert_eq!(parse_cpus("0.000000001"), Ok(1));
    assert_eq!(
        parse_cpus("-1"),
        Ok(-1_000_000_000),
        "negative is for the daemon to refuse"
    );
}

#[test]
fn ex2_cpus_that_are_not_a_number_of_nano_cpus_are_refused() {
    // `docker run --cpus 0.0000000001` says: ... for "--cpus" flag: value is too precise
    assert_eq!(parse_cpus("0.0000000001"), Err(CpusError::TooPrecise));
    assert_eq!(parse_cpus("1/3"), Err(CpusError::TooPrecise));
    for bad in ["abc", "1/0", ".", "", "1.5x", "1/x"] {
        assert_eq!(
            parse_cpus(bad).map_err(|e| e.to_string()),
            Err(format!("failed to parse {bad} as a rational number")),
            "{bad:?}"
        );
    }
    assert_eq!(
        parse_cpus("99999999999999999999"),
        Err(CpusError::NotRational("99999999999999999999".into()))
    );
}

#[test]
fn ex2_the_daemon_then_checks_the_numbers() {
    // Docker on a 2-CPU host: `-m 1m` and `--cpus 3` get these errors.
    let host = HostInfo::everything_supported(2, "0-1", "0");
    let memory = Resources {
        memory: ram_in_bytes("1m").expect("1m parses"),
        ..Default::default()
    };
    assert_eq!(
        validate(&memory, &host, false).unwrap_err().to_string(),
        "Minimum memory limit allowed is 6MB"
    );
    let cpus = Resources {
        nano_cpus: parse_cpus("3").expect("3 parses"),
        ..Default::default()
    };
    assert_eq!(
        validate(&cpus, &host, false).unwrap_err().to_string(),
        "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available"
    );
}
