//! Sizes and CPU counts the way Docker's command line reads and prints them.
//!
//! **Lab 06 skeleton.** Exercise `ex2`: write [`ram_in_bytes`] and [`parse_cpus`] (the two
//! `todo!()`s; the number parsers `parse_go_float` and `parse_decimal`, and the printing
//! functions, are done). `labs/check 06` tells you how far you are.
//!
//! - [`ram_in_bytes`]: `-m 512m`, `--memory-swap 1.5g` (go-units `RAMInBytes`, binary units:
//!   `k` is 1024). Docker 20.10's CLI says `invalid suffix: 'zb'` for `12zb`.
//! - [`parse_cpus`]: `--cpus 1.5` to nano-CPUs (Docker's `opts.NanoCPUs`, a rational number).
//! - [`bytes_size`], [`human_size`]: what `docker stats` prints (`488KiB / 23.54GiB`,
//!   `1.2MB / 0B`), go-units `BytesSize` and `HumanSizeWithPrecision(x, 3)`.

use crate::error::{CpusError, SizeError};

/// Parses a human size with binary units into bytes, like go-units' `RAMInBytes`.
///
/// The number is everything up to the last digit, dot or space; what follows is the unit:
/// nothing or `b` (bytes), or one of `k m g t p` optionally followed by `b` or `ib`, in any
/// case (`512m`, `1.5G`, `2 KiB`). The result is truncated to whole bytes.
pub fn ram_in_bytes(size: &str) -> Result<i64, SizeError> {
    // ex2: go-units' `RAMInBytes`, step by step:
    //   - the number ends at the last digit, `.` or space of `size` (`rfind`); there is none:
    //     `SizeError::InvalidSize(size)`. A space there separates number and unit and belongs
    //     to neither;
    //   - `parse_go_float(number)?` is the value; a negative one is `InvalidSize(size)`;
    //   - no unit: bytes. A unit of more than 3 characters is `InvalidSuffix(unit)`. Else,
    //     lowercased: `b` is bytes; `k`, `m`, `g`, `t`, `p` are 1024 to the power 1 to 5,
    //     optionally followed by `b` or `ib`; anything else is `InvalidSuffix(lowercased)`;
    //   - value × multiplier in f64, then `as i64` (truncates, and saturates instead of
    //     wrapping).
    todo!(
        "ex2: split at the last digit, . or space; parse_go_float the number (negative: InvalidSize); the unit: none or b, or k m g t p (1024^1..5) with an optional b or ib, else InvalidSuffix"
    )
}

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

/// Parses `--cpus` into nano-CPUs (1.5 → 1_500_000_000), like Docker's `opts.NanoCPUs`.
///
/// Docker reads the value as an exact rational number (`1.5`, `3/2`, `2e-1`), so there is no
/// rounding: a value that is not a whole number of nano-CPUs is refused as too precise.
pub fn parse_cpus(value: &str) -> Result<i64, CpusError> {
    // ex2: an exact fraction `num / den`: `a/b` (two integers, `b` not 0), or a decimal that
    // `parse_decimal` turns into one; anything else is `CpusError::NotRational(value)`. The
    // nano-CPUs are `num × 1_000_000_000 / den` in i128 (`checked_mul`): a remainder is
    // `CpusError::TooPrecise`, a result that does not fit an i64 is `NotRational`.
    todo!(
        "ex2: (num, den) from a/b or parse_decimal, else NotRational; num * 1e9 must divide by den (else TooPrecise); the quotient as i64"
    )
}

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
