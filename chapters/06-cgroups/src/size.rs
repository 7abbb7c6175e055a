//! Sizes and CPU counts the way Docker's command line reads and prints them.
//!
//! - [`ram_in_bytes`]: `-m 512m`, `--memory-swap 1.5g` (go-units `RAMInBytes`, binary units:
//!   `k` is 1024). Docker 20.10's CLI says `invalid suffix: 'zb'` for `12zb`.
//! - [`parse_cpus`]: `--cpus 1.5` to nano-CPUs (Docker's `opts.NanoCPUs`, a rational number).
//! - [`bytes_size`], [`human_size`]: what `docker stats` prints (`488KiB / 23.54GiB`,
//!   `1.2MB / 0B`), go-units `BytesSize` and `HumanSizeWithPrecision(x, 3)`.

use crate::error::{CpusError, SizeError};

// ANCHOR: ram_in_bytes
/// Parses a human size with binary units into bytes, like go-units' `RAMInBytes`.
///
/// The number is everything up to the last digit, dot or space; what follows is the unit:
/// nothing or `b` (bytes), or one of `k m g t p` optionally followed by `b` or `ib`, in any
/// case (`512m`, `1.5G`, `2 KiB`). The result is truncated to whole bytes.
pub fn ram_in_bytes(size: &str) -> Result<i64, SizeError> {
    let Some(sep) = size.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ') else {
        return Err(SizeError::InvalidSize(size.to_string()));
    };
    let (number, suffix) = if size.as_bytes()[sep] == b' ' {
        (&size[..sep], &size[sep + 1..])
    } else {
        (&size[..=sep], &size[sep + 1..])
    };
    let value = parse_go_float(number)?;
    if value < 0.0 {
        return Err(SizeError::InvalidSize(size.to_string()));
    }
    let bad_suffix = |s: &str| Err(SizeError::InvalidSuffix(s.to_string()));
    if suffix.is_empty() {
        return Ok(value as i64);
    }
    if suffix.len() > 3 {
        return bad_suffix(suffix);
    }
    let lower = suffix.to_ascii_lowercase();
    let mut chars = lower.chars();
    let unit = chars.next().unwrap_or('b');
    let rest: String = chars.collect();
    if unit == 'b' {
        return if rest.is_empty() {
            Ok(value as i64)
        } else {
            bad_suffix(&lower)
        };
    }
    let power = match unit {
        'k' => 1,
        'm' => 2,
        'g' => 3,
        't' => 4,
        'p' => 5,
        _ => return bad_suffix(&lower),
    };
    if !matches!(rest.as_str(), "" | "b" | "ib") {
        return bad_suffix(&lower);
    }
    // `as` saturates: a size beyond i64 becomes i64::MAX, never wraps to a negative limit.
    Ok((value * 1024f64.powi(power)) as i64)
}
// ANCHOR_END: ram_in_bytes

/// Go's `strconv.ParseFloat(s, 64)` for the decimal forms a size can take.
fn parse_go_float(number: &str) -> Result<f64, SizeError> {
    let syntax = || SizeError::ParseFloat {
        number: number.to_string(),
        reason: "invalid syntax",
    };
    // Rust accepts a few spellings Go does not ("infinity" is fine in both; a leading '+'
    // too); both refuse spaces, hex without an exponent and empty strings.
    let value: f64 = number.parse().map_err(|_| syntax())?;
    let named_infinity = number
        .trim_start_matches(['+', '-'])
        .to_ascii_lowercase()
        .starts_with("inf");
    if value.is_infinite() && !named_infinity {
        return Err(SizeError::ParseFloat {
            number: number.to_string(),
            reason: "value out of range",
        });
    }
    Ok(value)
}

// ANCHOR: parse_cpus
/// Parses `--cpus` into nano-CPUs (1.5 → 1_500_000_000), like Docker's `opts.NanoCPUs`.
///
/// Docker reads the value as an exact rational number (`1.5`, `3/2`, `2e-1`), so there is no
/// rounding: a value that is not a whole number of nano-CPUs is refused as too precise.
pub fn parse_cpus(value: &str) -> Result<i64, CpusError> {
    let not_rational = || CpusError::NotRational(value.to_string());
    let (num, den) = match value.split_once('/') {
        Some((n, d)) => {
            let n: i128 = n.parse().map_err(|_| not_rational())?;
            let d: i128 = d.parse().map_err(|_| not_rational())?;
            if d == 0 {
                return Err(not_rational());
            }
            (n, d)
        }
        None => parse_decimal(value).ok_or_else(not_rational)?,
    };
    let scaled = num.checked_mul(1_000_000_000).ok_or_else(not_rational)?;
    if scaled % den != 0 {
        return Err(CpusError::TooPrecise);
    }
    i64::try_from(scaled / den).map_err(|_| not_rational())
}
// ANCHOR_END: parse_cpus

/// `[+-]digits[.digits][e[+-]digits]` as an exact fraction `num / den`.
fn parse_decimal(s: &str) -> Option<(i128, i128)> {
    let (mantissa, exponent) = match s.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (s, 0),
    };
    let (negative, mantissa) = match mantissa.as_bytes().first()? {
        b'-' => (true, &mantissa[1..]),
        b'+' => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{int}{frac}");
    let mut num: i128 = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let mut scale = exponent - i32::try_from(frac.len()).ok()?;
    let mut den: i128 = 1;
    while scale > 0 {
        num = num.checked_mul(10)?;
        scale -= 1;
    }
    while scale < 0 {
        den = den.checked_mul(10)?;
        scale += 1;
    }
    Some((if negative { -num } else { num }, den))
}

const BINARY_UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
const DECIMAL_UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];

/// Memory the way `docker stats` prints it: `488KiB`, `23.54GiB` (go-units `BytesSize`).
pub fn bytes_size(bytes: f64) -> String {
    custom_size(bytes, 1024.0, &BINARY_UNITS, 4)
}

/// I/O the way `docker stats` prints it: `1.23MB`, `0B` (go-units `HumanSizeWithPrecision`).
pub fn human_size(bytes: f64, precision: usize) -> String {
    custom_size(bytes, 1000.0, &DECIMAL_UNITS, precision)
}

fn custom_size(mut size: f64, base: f64, units: &[&str], precision: usize) -> String {
    let mut unit = 0;
    while size >= base && unit < units.len() - 1 {
        size /= base;
        unit += 1;
    }
    format!("{}{}", format_g(size, precision), units[unit])
}

/// Go's `%.<precision>g`: `precision` significant digits, trailing zeros dropped, exponent
/// form only for very large or very small values.
pub fn format_g(value: f64, precision: usize) -> String {
    let precision = precision.max(1);
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let sci = format!("{:.*e}", precision - 1, value);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let precision_i = i32::try_from(precision).unwrap_or(i32::MAX);
    if exp < -4 || exp >= precision_i {
        let mantissa = trim_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        let decimals = usize::try_from(precision_i - 1 - exp).unwrap_or(0);
        trim_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sizes_parse_like_docker() {
        let ok = [
            ("512m", 512 << 20),
            ("1g", 1 << 30),
            ("1.5g", 3 << 29),
            ("1 g", 1 << 30),
            (".5g", 1 << 29),
            ("1kib", 1024),
            ("1KiB", 1024),
            ("1kb", 1024),
            ("1b", 1),
            ("100", 100),
            ("1e3", 1000),
            ("1e3k", 1_024_000),
            ("6M", 6 << 20),
        ];
        for (input, bytes) in ok {
            assert_eq!(ram_in_bytes(input), Ok(bytes), "{input}");
        }
    }

    #[test]
    fn bad_sizes_get_docker_20_10_messages() {
        // Each message checked against `docker run -m <value>` of Docker 20.10.
        let bad = [
            ("12zb", "invalid suffix: 'zb'"),
            ("1ki", "invalid suffix: 'ki'"),
            ("1bb", "invalid suffix: 'bb'"),
            ("1kibb", "invalid suffix: 'kibb'"),
            ("g", "invalid size: 'g'"),
            ("", "invalid size: ''"),
            ("-1m", "invalid size: '-1m'"),
            ("1.5.5g", "strconv.ParseFloat: parsing \"1.5.5\": invalid syntax"),
            (" 5m", "strconv.ParseFloat: parsing \" 5\": invalid syntax"),
            ("5m ", "strconv.ParseFloat: parsing \"5m\": invalid syntax"),
            ("0x10", "strconv.ParseFloat: parsing \"0x10\": invalid syntax"),
            (
                "1e400",
                "strconv.ParseFloat: parsing \"1e400\": value out of range",
            ),
        ];
        for (input, message) in bad {
            assert_eq!(ram_in_bytes(input).unwrap_err().to_string(), message, "{input:?}");
        }
    }

    #[test]
    fn cpus_are_exact_rationals() {
        assert_eq!(parse_cpus("1.5"), Ok(1_500_000_000));
        assert_eq!(parse_cpus("3/2"), Ok(1_500_000_000));
        assert_eq!(parse_cpus("0.01"), Ok(10_000_000));
        assert_eq!(parse_cpus("2e-1"), Ok(200_000_000));
        assert_eq!(parse_cpus("2"), Ok(2_000_000_000));
        assert_eq!(parse_cpus("-1"), Ok(-1_000_000_000));
        assert_eq!(
            parse_cpus("abc").unwrap_err().to_string(),
            "failed to parse abc as a rational number"
        );
        assert_eq!(
            parse_cpus("0.0000000001").unwrap_err().to_string(),
            "value is too precise"
        );
        assert_eq!(parse_cpus("1/3"), Err(CpusError::TooPrecise));
        assert!(parse_cpus("1/0").is_err());
        assert!(parse_cpus(".").is_err());
    }

    #[test]
    fn sizes_print_like_docker_stats() {
        assert_eq!(bytes_size(499_712.0), "488KiB");
        assert_eq!(bytes_size(25_276_510_208.0), "23.54GiB");
        assert_eq!(bytes_size(52_428_800.0), "50MiB");
        assert_eq!(bytes_size(0.0), "0B");
        assert_eq!(bytes_size(1023.9), "1024B");
        assert_eq!(human_size(0.0, 3), "0B");
        assert_eq!(human_size(1_234_567.0, 3), "1.23MB");
        assert_eq!(human_size(999.0, 3), "999B");
        assert_eq!(human_size(12_345.0, 3), "12.3kB");
    }

    #[test]
    fn go_g_format_switches_to_exponents_like_go() {
        assert_eq!(format_g(123_456.0, 4), "1.235e+05");
        assert_eq!(format_g(0.000_012_5, 3), "1.25e-05");
        assert_eq!(format_g(0.5, 4), "0.5");
        assert_eq!(format_g(100.0, 3), "100");
    }

    proptest! {
        #[test]
        fn whole_units_round_trip(n in 0i64..100_000, unit in 0usize..5) {
            let suffix = ["", "k", "m", "g", "t"][unit];
            let expected = n.saturating_mul(1i64 << (10 * unit));
            prop_assert_eq!(ram_in_bytes(&format!("{n}{suffix}")), Ok(expected));
            prop_assert_eq!(ram_in_bytes(&format!("{n}{}", suffix.to_uppercase())), Ok(expected));
            prop_assert_eq!(ram_in_bytes(&format!("{n} {suffix}")), Ok(expected));
        }

        #[test]
        fn parsing_never_panics(s in ".{0,12}") {
            let _ = ram_in_bytes(&s);
            let _ = parse_cpus(&s);
        }

        #[test]
        fn hundredths_of_cpus_are_exact(c in 0i64..10_000) {
            let text = format!("{}.{:02}", c / 100, c % 100);
            prop_assert_eq!(parse_cpus(&text), Ok(c * 10_000_000));
        }
    }
}
