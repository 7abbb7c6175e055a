//! Sizes and durations the way Docker prints them (its `go-units` package).

/// `HumanSizeWithPrecision`: decimal units, `precision` significant digits (Go's `%.*g`):
/// `docker images` uses 3 (`5.57MB`, `142MB`), `docker system df` uses 4.
pub fn human_size(bytes: u64, precision: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{}", format_g(size, precision), UNITS[unit])
}

/// Go's `%.{precision}g` for the values sizes produce (0 ≤ value < 1000): significant digits,
/// no trailing zeros.
fn format_g(value: f64, precision: usize) -> String {
    if value == 0.0 {
        return "0".into();
    }
    let digits_before_point = value.abs().log10().floor() as i64 + 1;
    let decimals = (precision as i64 - digits_before_point).max(0) as usize;
    let text = format!("{value:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// `HumanDuration`: "Less than a second", "About a minute", "3 weeks", … (add " ago" yourself).
pub fn human_duration(seconds: f64) -> String {
    let secs = seconds as i64;
    let minutes = (seconds / 60.0) as i64;
    let hours = (seconds / 3600.0 + 0.5) as i64;
    match () {
        _ if secs < 1 => "Less than a second".into(),
        _ if secs == 1 => "1 second".into(),
        _ if secs < 60 => format!("{secs} seconds"),
        _ if minutes == 1 => "About a minute".into(),
        _ if minutes < 60 => format!("{minutes} minutes"),
        _ if hours == 1 => "About an hour".into(),
        _ if hours < 48 => format!("{hours} hours"),
        _ if hours < 24 * 7 * 2 => format!("{} days", hours / 24),
        _ if hours < 24 * 30 * 2 => format!("{} weeks", hours / 24 / 7),
        _ if hours < 24 * 365 * 2 => format!("{} months", hours / 24 / 30),
        _ => format!("{} years", (seconds / 3600.0) as i64 / 24 / 365),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_like_docker() {
        assert_eq!(human_size(0, 3), "0B");
        assert_eq!(human_size(999, 3), "999B");
        assert_eq!(human_size(1_234, 4), "1.234kB");
        assert_eq!(human_size(5_570_000, 3), "5.57MB");
        assert_eq!(human_size(11_800_000, 3), "11.8MB");
        assert_eq!(human_size(142_000_000, 3), "142MB");
        assert_eq!(human_size(1_062_512, 3), "1.06MB");
        assert_eq!(human_size(1_062_512, 4), "1.063MB");
    }

    #[test]
    fn durations_like_docker() {
        assert_eq!(human_duration(0.0), "Less than a second");
        assert_eq!(human_duration(12.0), "12 seconds");
        assert_eq!(human_duration(70.0), "About a minute");
        assert_eq!(human_duration(180.0), "3 minutes");
        assert_eq!(human_duration(3600.0), "About an hour");
        assert_eq!(human_duration(18000.0), "5 hours");
        assert_eq!(human_duration(3.0 * 86400.0), "3 days");
        assert_eq!(human_duration(15.0 * 86400.0), "2 weeks");
        assert_eq!(human_duration(90.0 * 86400.0), "3 months");
        assert_eq!(human_duration(800.0 * 86400.0), "2 years");
    }
}
