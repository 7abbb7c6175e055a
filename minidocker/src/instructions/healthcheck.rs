//! `HEALTHCHECK NONE` and `HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…]
//! [--retries=…] CMD command`, read as Docker 20.10 reads them (durations in Go's syntax,
//! stored in nanoseconds).

use ch05_images::config::HealthConfig;

use super::parse::{Line, command_line, parse_flags, syntax};
use super::{ChangeError, CommandLine};

/// Parse a `HEALTHCHECK` line.
pub(super) fn parse(line: &Line) -> Result<HealthConfig, ChangeError> {
    let rest = line.rest.as_str();
    let (kind, args) = match rest.find(char::is_whitespace) {
        Some(i) => (&rest[..i], rest[i..].trim_start()),
        None => (rest, ""),
    };
    if kind.is_empty() {
        return Err(syntax("HEALTHCHECK requires at least one argument"));
    }
    let kind = kind.to_uppercase();
    if kind == "NONE" {
        if !args.is_empty() {
            return Err(syntax("HEALTHCHECK NONE takes no arguments"));
        }
        return Ok(HealthConfig {
            test: Some(vec![kind]),
            ..HealthConfig::default()
        });
    }
    const FLAGS: [&str; 4] = ["interval", "timeout", "start-period", "retries"];
    let values = parse_flags(&line.flags, &FLAGS)?;
    if kind != "CMD" {
        return Err(syntax(format!("Unknown type {kind:?} in HEALTHCHECK (try CMD)")));
    }
    let test = match command_line(args)? {
        CommandLine::Exec(args) if !args.is_empty() => [vec!["CMD".to_owned()], args].concat(),
        CommandLine::Shell(Some(cmd)) => vec!["CMD-SHELL".to_owned(), cmd],
        _ => return Err(syntax("Missing command after HEALTHCHECK CMD")),
    };
    let interval = |i: usize| -> Result<i64, ChangeError> {
        match &values[i] {
            None => Ok(0),
            Some(v) => interval_flag(FLAGS[i], v),
        }
    };
    let retries = match &values[3] {
        None => 0,
        Some(v) => {
            let n: i32 = v
                .parse()
                .map_err(|_| syntax(format!("strconv.ParseInt: parsing {v:?}: invalid syntax")))?;
            if n < 1 {
                return Err(syntax(format!("--retries must be at least 1 (not {n})")));
            }
            i64::from(n)
        }
    };
    Ok(HealthConfig {
        test: Some(test),
        interval: interval(0)?,
        timeout: interval(1)?,
        start_period: interval(2)?,
        start_interval: 0,
        retries,
    })
}

/// A duration flag in nanoseconds; 0 means "the default", anything else must be at least 1ms.
fn interval_flag(name: &str, value: &str) -> Result<i64, ChangeError> {
    let nanos = crate::engine::filters::parse_go_duration(value)
        .and_then(|d| d.num_nanoseconds())
        .ok_or_else(|| syntax(format!("time: invalid duration {value:?}")))?;
    if nanos != 0 && nanos < 1_000_000 {
        // Docker names the flag with Go's %#v: `Interval "interval" cannot be less than 1ms`
        return Err(syntax(format!("Interval {name:?} cannot be less than 1ms")));
    }
    Ok(nanos)
}

#[cfg(test)]
mod tests {
    use crate::instructions::Instruction;
    use crate::instructions::parse::{parse_instruction, split_line};

    fn err(line: &str) -> String {
        parse_instruction(&split_line(line)).unwrap_err().to_string()
    }

    #[test]
    fn errors_are_dockers() {
        assert_eq!(
            err("HEALTHCHECK --interval=1ns CMD true"),
            "Interval \"interval\" cannot be less than 1ms"
        );
        assert_eq!(
            err("HEALTHCHECK --interval=xx CMD true"),
            "time: invalid duration \"xx\""
        );
        assert_eq!(
            err("HEALTHCHECK --retries=0 CMD true"),
            "--retries must be at least 1 (not 0)"
        );
        assert_eq!(err("HEALTHCHECK --bogus=1 CMD true"), "Unknown flag: bogus");
        assert_eq!(
            err("HEALTHCHECK FOO"),
            "Unknown type \"FOO\" in HEALTHCHECK (try CMD)"
        );
        assert_eq!(err("HEALTHCHECK CMD"), "Missing command after HEALTHCHECK CMD");
        assert_eq!(err("HEALTHCHECK CMD []"), "Missing command after HEALTHCHECK CMD");
        assert_eq!(err("HEALTHCHECK NONE x"), "HEALTHCHECK NONE takes no arguments");
        assert_eq!(err("HEALTHCHECK"), "HEALTHCHECK requires at least one argument");
    }

    #[test]
    fn healthchecks() {
        let parsed = |line: &str| match parse_instruction(&split_line(line)).unwrap() {
            Instruction::Healthcheck(h) => h,
            other => panic!("{other:?}"),
        };
        let h = parsed(r#"HEALTHCHECK --timeout=1m30s --start-period=2h CMD echo "a b""#);
        assert_eq!(
            h.test.as_deref(),
            Some(&["CMD-SHELL".to_owned(), "echo \"a b\"".to_owned()][..])
        );
        assert_eq!(
            (h.timeout, h.start_period, h.interval),
            (90_000_000_000, 7_200_000_000_000, 0)
        );
        let h = parsed(r#"HEALTHCHECK --interval=5s --retries=3 CMD ["true"]"#);
        assert_eq!(
            h.test.as_deref(),
            Some(&["CMD".to_owned(), "true".to_owned()][..])
        );
        assert_eq!((h.interval, h.retries), (5_000_000_000, 3));
        assert_eq!(parsed("healthcheck none").test, Some(vec!["NONE".to_owned()]));
    }
}
