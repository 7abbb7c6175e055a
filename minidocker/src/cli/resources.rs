//! The resource flags of `run` (and later `create`) and `update`, read the way Docker's
//! command line reads them: sizes with go-units, `--cpus` as an exact decimal, integers with Go's
//! `strconv` (base prefixes and all), and Docker's `invalid argument … for … flag` messages.
//!
//! Parsing only turns text into numbers; whether the numbers make sense for this host (6MB
//! minimum, CPUs available…) is the engine's check, as it is the daemon's in Docker.

use ch06_cgroups::{Resources, parse_cpus, ram_in_bytes};
use clap::Args;

// The limits `run`, `create` and `update` share. Not a doc comment: clap would make it the
// about of `update`, whose arguments are built after it (`#[command(defer = true)]`).
#[derive(Debug, Clone, Default, Args)]
pub struct ResourceFlags {
    /// Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)
    #[arg(long, value_name = "uint16", allow_hyphen_values = true)]
    pub blkio_weight: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) period
    #[arg(long, value_name = "int", allow_hyphen_values = true)]
    pub cpu_period: Option<String>,
    /// Limit CPU CFS (Completely Fair Scheduler) quota
    #[arg(long, value_name = "int", allow_hyphen_values = true)]
    pub cpu_quota: Option<String>,
    /// CPU shares (relative weight)
    #[arg(short = 'c', long, value_name = "int", allow_hyphen_values = true)]
    pub cpu_shares: Option<String>,
    /// Number of CPUs
    #[arg(long, value_name = "decimal", allow_hyphen_values = true)]
    pub cpus: Option<String>,
    /// CPUs in which to allow execution (0-3, 0,1)
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub cpuset_cpus: Option<String>,
    /// MEMs in which to allow execution (0-3, 0,1)
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub cpuset_mems: Option<String>,
    /// Memory limit
    #[arg(short = 'm', long, value_name = "bytes", allow_hyphen_values = true)]
    pub memory: Option<String>,
    /// Memory soft limit
    #[arg(long, value_name = "bytes", allow_hyphen_values = true)]
    pub memory_reservation: Option<String>,
    /// Swap limit equal to memory plus swap: '-1' to enable unlimited swap
    #[arg(long, value_name = "bytes", allow_hyphen_values = true)]
    pub memory_swap: Option<String>,
    /// Tune container pids limit (set -1 for unlimited)
    #[arg(long, value_name = "int", allow_hyphen_values = true)]
    pub pids_limit: Option<String>,
}

// The limits only a new container takes (`run`, `create`). Not a doc comment, as above.
#[derive(Debug, Clone, Default, Args)]
pub struct CreateResourceFlags {
    #[command(flatten)]
    pub limits: ResourceFlags,
    /// Disable OOM Killer
    #[arg(
        long,
        value_name = "bool",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub oom_kill_disable: Option<String>,
    /// Optional parent cgroup for the container
    #[arg(long, value_name = "string", allow_hyphen_values = true)]
    pub cgroup_parent: Option<String>,
    /// Kernel memory limit (deprecated: recorded, not applied)
    #[arg(long, value_name = "bytes", allow_hyphen_values = true)]
    pub kernel_memory: Option<String>,
}

/// Whether the flags create a container or update one: `--pids-limit` reads differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Create,
    Update,
}

/// pflag's message for a value its flag type refuses.
fn invalid(value: &str, flag: &str, why: impl std::fmt::Display) -> String {
    format!("invalid argument {value:?} for {flag:?} flag: {why}")
}

impl ResourceFlags {
    /// How many of the flags were given (`update` needs at least one).
    pub fn count(&self) -> usize {
        [
            &self.blkio_weight,
            &self.cpu_period,
            &self.cpu_quota,
            &self.cpu_shares,
            &self.cpus,
            &self.cpuset_cpus,
            &self.cpuset_mems,
            &self.memory,
            &self.memory_reservation,
            &self.memory_swap,
            &self.pids_limit,
        ]
        .iter()
        .filter(|f| f.is_some())
        .count()
    }

    // ANCHOR: parse_flags
    /// The requested limits, or Docker's message for the first flag that does not parse.
    pub fn parse(&self, purpose: Purpose) -> Result<Resources, String> {
        let int = |value: &Option<String>, flag: &str| -> Result<i64, String> {
            value
                .as_deref()
                .map_or(Ok(0), |v| go_parse_int(v).map_err(|why| invalid(v, flag, why)))
        };
        let bytes = |value: &Option<String>, flag: &str| -> Result<i64, String> {
            value
                .as_deref()
                .map_or(Ok(0), |v| ram_in_bytes(v).map_err(|why| invalid(v, flag, why)))
        };
        let mut r = Resources {
            blkio_weight: match self.blkio_weight.as_deref() {
                None => 0,
                Some(v) => go_parse_uint16(v).map_err(|why| invalid(v, "--blkio-weight", why))?,
            },
            cpu_period: int(&self.cpu_period, "--cpu-period")?,
            cpu_quota: int(&self.cpu_quota, "--cpu-quota")?,
            cpu_shares: int(&self.cpu_shares, "-c, --cpu-shares")?,
            nano_cpus: match self.cpus.as_deref() {
                None => 0,
                Some(v) => parse_cpus(v).map_err(|why| invalid(v, "--cpus", why))?,
            },
            cpuset_cpus: self.cpuset_cpus.clone().unwrap_or_default(),
            cpuset_mems: self.cpuset_mems.clone().unwrap_or_default(),
            memory: bytes(&self.memory, "-m, --memory")?,
            memory_reservation: bytes(&self.memory_reservation, "--memory-reservation")?,
            // Docker's MemSwapBytes: -1 is "unlimited", anything else a size.
            memory_swap: match self.memory_swap.as_deref() {
                Some("-1") => -1,
                _ => bytes(&self.memory_swap, "--memory-swap")?,
            },
            ..Resources::default()
        };
        let pids = int(&self.pids_limit, "--pids-limit")?;
        r.pids_limit = match (self.pids_limit.is_some(), purpose) {
            (false, _) => None,
            // The daemon stores "no limit" for 0 and below.
            (true, Purpose::Create) => Some(pids).filter(|n| *n > 0),
            // 0 leaves the limit as it is, below 0 lifts it (stored as 0).
            (true, Purpose::Update) if pids == 0 => None,
            (true, Purpose::Update) => Some(pids.max(0)),
        };
        Ok(r)
    }
    // ANCHOR_END: parse_flags
}

impl CreateResourceFlags {
    /// The requested limits and the cgroup parent (empty: the engine's default).
    pub fn parse(&self) -> Result<(Resources, String), String> {
        let mut r = self.limits.parse(Purpose::Create)?;
        // The CLI always sends the switch, off unless given.
        r.oom_kill_disable = Some(match self.oom_kill_disable.as_deref() {
            None => false,
            Some(v) => go_parse_bool(v).map_err(|why| invalid(v, "--oom-kill-disable", why))?,
        });
        Ok((r, self.cgroup_parent.clone().unwrap_or_default()))
    }

    /// `--kernel-memory` in bytes (0 when not given); the daemon checks and warns.
    pub fn kernel_memory(&self) -> Result<i64, String> {
        self.kernel_memory.as_deref().map_or(Ok(0), |v| {
            ram_in_bytes(v).map_err(|why| invalid(v, "--kernel-memory", why))
        })
    }
}

/// Go's `strconv.ParseBool`.
pub fn go_parse_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {s:?}: invalid syntax")),
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`, pflag's int64: an optional sign, then a decimal, `0x`
/// hex, `0o` or leading-`0` octal, or `0b` binary number, `_` allowed between digits.
pub fn go_parse_int(s: &str) -> Result<i64, String> {
    let fail = |why: &str| format!("strconv.ParseInt: parsing {s:?}: {why}");
    let (negative, body) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let magnitude = parse_uint_base0(body).map_err(fail)?;
    let limit = if negative { 1u128 << 63 } else { (1u128 << 63) - 1 };
    if magnitude > limit {
        return Err(fail("value out of range"));
    }
    let magnitude = i128::try_from(magnitude).map_err(|_| fail("value out of range"))?;
    i64::try_from(if negative { -magnitude } else { magnitude }).map_err(|_| fail("value out of range"))
}

/// Go's `strconv.ParseUint(s, 0, 16)`, pflag's uint16.
pub fn go_parse_uint16(s: &str) -> Result<u16, String> {
    let fail = |why: &str| format!("strconv.ParseUint: parsing {s:?}: {why}");
    let n = parse_uint_base0(s).map_err(fail)?;
    u16::try_from(n).map_err(|_| fail("value out of range"))
}

/// The digits of a Go integer literal with base prefix, as `strconv` reads them for base 0.
fn parse_uint_base0(s: &str) -> Result<u128, &'static str> {
    const SYNTAX: &str = "invalid syntax";
    const RANGE: &str = "value out of range";
    let lower = s.to_ascii_lowercase();
    let (base, digits, prefixed) = if let Some(rest) = lower.strip_prefix("0x") {
        (16, rest, true)
    } else if let Some(rest) = lower.strip_prefix("0o") {
        (8, rest, true)
    } else if let Some(rest) = lower.strip_prefix("0b") {
        (2, rest, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    if digits.is_empty() {
        return Err(SYNTAX);
    }
    // Underscores only between digits (or right after a base prefix), as Go's underscoreOK.
    let bytes = digits.as_bytes();
    let bad_underscore =
        digits.ends_with('_') || digits.contains("__") || (!prefixed && digits.starts_with('_'));
    if bad_underscore || bytes.iter().all(|b| *b == b'_') {
        return Err(SYNTAX);
    }
    let mut n: u128 = 0;
    for &b in bytes {
        if b == b'_' {
            continue;
        }
        let digit = match char::from(b).to_digit(base) {
            Some(d) => u128::from(d),
            None => return Err(SYNTAX),
        };
        n = n
            .checked_mul(u128::from(base))
            .and_then(|n| n.checked_add(digit))
            .filter(|n| *n <= u128::from(u64::MAX))
            .ok_or(RANGE)?;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn flags(f: impl FnOnce(&mut ResourceFlags)) -> ResourceFlags {
        let mut flags = ResourceFlags::default();
        f(&mut flags);
        flags
    }

    #[test]
    fn dockers_messages_for_values_that_do_not_parse() {
        // Each checked against `docker run --rm <flag> busybox true` (Docker 20.10).
        let cases: Vec<(ResourceFlags, &str)> = vec![
            (
                flags(|f| f.memory = Some("12zb".into())),
                "invalid argument \"12zb\" for \"-m, --memory\" flag: invalid suffix: 'zb'",
            ),
            (
                flags(|f| f.memory_swap = Some("12zb".into())),
                "invalid argument \"12zb\" for \"--memory-swap\" flag: invalid suffix: 'zb'",
            ),
            (
                flags(|f| f.cpus = Some("abc".into())),
                "invalid argument \"abc\" for \"--cpus\" flag: failed to parse abc as a rational number",
            ),
            (
                flags(|f| f.cpus = Some("0.0000000001".into())),
                "invalid argument \"0.0000000001\" for \"--cpus\" flag: value is too precise",
            ),
            (
                flags(|f| f.cpu_shares = Some("abc".into())),
                "invalid argument \"abc\" for \"-c, --cpu-shares\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax",
            ),
            (
                flags(|f| f.pids_limit = Some("abc".into())),
                "invalid argument \"abc\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"abc\": invalid syntax",
            ),
            (
                flags(|f| f.blkio_weight = Some("5000000".into())),
                "invalid argument \"5000000\" for \"--blkio-weight\" flag: strconv.ParseUint: parsing \"5000000\": value out of range",
            ),
        ];
        for (f, message) in cases {
            assert_eq!(f.parse(Purpose::Create).unwrap_err(), message);
        }
        let oom = CreateResourceFlags {
            oom_kill_disable: Some("maybe".into()),
            ..Default::default()
        };
        assert_eq!(
            oom.parse().unwrap_err(),
            "invalid argument \"maybe\" for \"--oom-kill-disable\" flag: strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
    }

    #[test]
    fn values_become_dockers_units() {
        let f = flags(|f| {
            f.memory = Some("64m".into());
            f.memory_swap = Some("-1".into());
            f.cpus = Some("1.5".into());
            f.cpu_shares = Some("0x200".into());
            f.cpuset_cpus = Some("0-1".into());
            f.pids_limit = Some("20".into());
        });
        let r = f.parse(Purpose::Create).unwrap();
        assert_eq!(r.memory, 64 << 20);
        assert_eq!(r.memory_swap, -1);
        assert_eq!(r.nano_cpus, 1_500_000_000);
        assert_eq!(r.cpu_shares, 512);
        assert_eq!(r.cpuset_cpus, "0-1");
        assert_eq!(r.pids_limit, Some(20));
        assert_eq!(f.count(), 6);
        let create = CreateResourceFlags::default().parse().unwrap();
        assert_eq!(create.0.oom_kill_disable, Some(false));
        assert_eq!(create.1, "");
    }

    #[test]
    fn pids_limit_zero_and_below_differ_between_create_and_update() {
        let p = |v: &str, purpose| {
            flags(|f| f.pids_limit = Some(v.into()))
                .parse(purpose)
                .unwrap()
                .pids_limit
        };
        assert_eq!(p("0", Purpose::Create), None);
        assert_eq!(p("-1", Purpose::Create), None);
        assert_eq!(p("0", Purpose::Update), None);
        assert_eq!(p("-1", Purpose::Update), Some(0));
        assert_eq!(p("7", Purpose::Update), Some(7));
    }

    #[test]
    fn go_integers_with_prefixes_and_underscores() {
        assert_eq!(go_parse_int("0x10"), Ok(16));
        assert_eq!(go_parse_int("010"), Ok(8));
        assert_eq!(go_parse_int("0o10"), Ok(8));
        assert_eq!(go_parse_int("0b101"), Ok(5));
        assert_eq!(go_parse_int("-1_000"), Ok(-1000));
        assert_eq!(go_parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            go_parse_int("9223372036854775808"),
            Err("strconv.ParseInt: parsing \"9223372036854775808\": value out of range".into())
        );
        for bad in ["", "-", "0x", "1_", "_1", "1__0", "08", "1e3", " 1"] {
            assert!(go_parse_int(bad).is_err(), "{bad:?}");
        }
        assert_eq!(go_parse_uint16("1000"), Ok(1000));
        assert!(go_parse_uint16("-5").is_err());
        assert!(go_parse_uint16("65536").is_err());
        assert_eq!(go_parse_bool("T"), Ok(true));
        assert_eq!(go_parse_bool("False"), Ok(false));
    }

    proptest! {
        #[test]
        fn decimal_integers_read_as_rust_reads_them(n in any::<i64>()) {
            prop_assert_eq!(go_parse_int(&n.to_string()), Ok(n));
        }

        #[test]
        fn hex_integers_round_trip(n in 0i64..=i64::MAX) {
            prop_assert_eq!(go_parse_int(&format!("0x{n:x}")), Ok(n));
            prop_assert_eq!(go_parse_int(&format!("-0X{n:X}")), Ok(-n));
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,24}") {
            let _ = go_parse_int(&s);
            let _ = go_parse_uint16(&s);
        }
    }
}
