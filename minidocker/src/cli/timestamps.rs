//! `--since` and `--until` as the Docker CLI reads them (its `timetypes.GetTimestamp`): a
//! duration back from now (`42m`, `1h30m`), a date or an RFC 3339 time, or Unix seconds
//! with a fraction, all sent to the daemon as Unix seconds (`1700000000.000000000`).

use chrono::{DateTime, FixedOffset, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Go's `time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`; `None` if it is not one.
pub fn parse_go_duration(raw: &str) -> Option<f64> {
    let (sign, mut rest) = match raw.as_bytes().first() {
        Some(b'-') => (-1.0, &raw[1..]),
        Some(b'+') => (1.0, &raw[1..]),
        _ => (1.0, raw),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut seconds = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        seconds += number * unit;
    }
    Some(sign * seconds)
}

/// Unix seconds with an optional fraction of up to nine digits: `1700000000.5`.
fn is_unix_timestamp(raw: &str) -> bool {
    let (secs, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !secs.is_empty() && digits(secs) && digits(frac) && frac.len() <= 9
}

fn seconds_and_nanos<Tz: TimeZone>(t: DateTime<Tz>) -> String {
    format!("{}.{:09}", t.timestamp(), t.timestamp_subsec_nanos())
}

/// `value` as the daemon's `since`/`until`, the way the Docker CLI converts it; `now` is
/// what a duration counts back from. The error is the Docker CLI's.
pub fn get_timestamp(value: &str, now: DateTime<Utc>) -> Result<String, String> {
    if value != "0"
        && let Some(seconds) = parse_go_duration(value)
    {
        let back = chrono::Duration::nanoseconds((seconds * 1e9) as i64);
        return Ok((now - back).timestamp().to_string());
    }
    // with a zone (`Z`, `+01:00`, or a date's fourth dash) the time is read as it says,
    // without one in the local zone
    let zoned = value.contains(['z', 'Z', '+']) || value.matches('-').count() == 3;
    let parsed: Option<DateTime<FixedOffset>> = if value.contains('T') {
        let rfc3339 = DateTime::parse_from_rfc3339(value).ok();
        rfc3339.or_else(|| {
            if zoned {
                return None;
            }
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H"]
                .iter()
                .find_map(|f| {
                    NaiveDateTime::parse_from_str(value, f)
                        .or_else(|_| NaiveDateTime::parse_from_str(&format!("{value}:00"), f))
                        .ok()
                })
                .and_then(|t| Local.from_local_datetime(&t).single())
                .map(|t| t.fixed_offset())
        })
    } else if !zoned && value.contains('-') {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| Local.from_local_datetime(&t).single())
            .map(|t| t.fixed_offset())
    } else {
        None
    };
    match parsed {
        Some(t) => Ok(seconds_and_nanos(t)),
        None if value.contains('-') => Err(format!("parsing time {value:?}: not a valid time")),
        None if is_unix_timestamp(value) => Ok(value.to_owned()),
        None => Err(format!("failed to parse value as time or duration: {value:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn durations_count_back_from_now_in_whole_seconds() {
        assert_eq!(get_timestamp("10m", at(1_000_000)).unwrap(), "999400");
        assert_eq!(get_timestamp("1h30m", at(1_000_000)).unwrap(), "994600");
        assert_eq!(get_timestamp("0s", at(1_000_000)).unwrap(), "1000000");
        assert_eq!(parse_go_duration("1.5s"), Some(1.5));
        assert_eq!(parse_go_duration("-2m"), Some(-120.0));
        assert_eq!(parse_go_duration("5"), None);
        assert_eq!(parse_go_duration("5x"), None);
    }

    #[test]
    fn times_and_unix_timestamps() {
        assert_eq!(
            get_timestamp("2013-01-02T13:23:37Z", at(0)).unwrap(),
            "1357133017.000000000"
        );
        assert_eq!(
            get_timestamp("2013-01-02T13:23:37.5+01:00", at(0)).unwrap(),
            "1357129417.500000000"
        );
        assert_eq!(get_timestamp("1700000000.25", at(0)).unwrap(), "1700000000.25");
        assert_eq!(get_timestamp("0", at(0)).unwrap(), "0");
        assert_eq!(
            get_timestamp("bogus", at(0)).unwrap_err(),
            "failed to parse value as time or duration: \"bogus\""
        );
    }
}
