//! Docker's `--filter` arguments (`filters.Args`): `name=value` pairs, each name a set of
//! values, checked by the daemon against the names a command accepts.
//!
//! Also the two matchers the image filters need: Go's `path.Match` glob (`reference=busy*`)
//! and Docker's `until=` timestamps (`10m`, `2024-01-02`, `1700000000`).

use std::collections::{BTreeMap, BTreeSet};

use super::EngineError;

/// A set of filters: name → values (a value given twice counts once).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    fields: BTreeMap<String, BTreeSet<String>>,
}

/// A `--filter` value without `=`; the CLI reports it as a flag error (exit 125).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad format of filter (expected name=value)")]
pub struct BadFilterFormat;

/// Docker's `invalidFilter` error: `Invalid filter 'foo'`, `Invalid filter 'dangling=[maybe]'`.
pub fn invalid_filter(name: &str, values: Option<&[String]>) -> EngineError {
    let mut msg = format!("Invalid filter '{name}");
    if let Some(values) = values {
        msg.push_str(&format!("={}", go_slice(values)));
    }
    msg.push('\'');
    EngineError::Invalid(msg)
}

/// How Go's `%s` prints a `[]string`: `[a b]`.
fn go_slice(values: &[String]) -> String {
    format!("[{}]", values.join(" "))
}

impl Filters {
    /// Parse `--filter` flags the way the docker CLI does: `name=value`, the name lowercased,
    /// both trimmed.
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Filters, BadFilterFormat> {
        let mut filters = Filters::default();
        for arg in args {
            let (name, value) = arg.as_ref().split_once('=').ok_or(BadFilterFormat)?;
            filters.add(&name.trim().to_lowercase(), value.trim());
        }
        Ok(filters)
    }

    /// The API's `filters` query parameter: `{"name": {"value": true}}` (what clients send),
    /// or the older `{"name": ["value"]}`.
    pub fn from_json(text: &str) -> Result<Filters, EngineError> {
        let mut filters = Filters::default();
        if text.trim().is_empty() {
            return Ok(filters);
        }
        let bad = |e: &dyn std::fmt::Display| EngineError::Invalid(format!("invalid filter: {e}"));
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(&e))?;
        let object = value.as_object().ok_or_else(|| bad(&"not an object"))?;
        for (name, values) in object {
            match values {
                serde_json::Value::Object(set) => set.keys().for_each(|v| filters.add(name, v)),
                serde_json::Value::Array(list) => list
                    .iter()
                    .filter_map(serde_json::Value::as_str)
                    .for_each(|v| filters.add(name, v)),
                other => return Err(bad(&format!("{name}: {other}"))),
            }
        }
        Ok(filters)
    }

    /// The API's `filters` parameter for these filters, as the Docker CLI sends it:
    /// `{"name":{"value":true}}`; empty when there are none.
    pub fn to_json(&self) -> String {
        if self.fields.is_empty() {
            return String::new();
        }
        let object: serde_json::Map<String, serde_json::Value> = self
            .fields
            .iter()
            .map(|(name, values)| {
                let set = values
                    .iter()
                    .map(|v| (v.clone(), serde_json::Value::Bool(true)))
                    .collect();
                (name.clone(), serde_json::Value::Object(set))
            })
            .collect();
        serde_json::Value::Object(object).to_string()
    }

    pub fn add(&mut self, name: &str, value: &str) {
        self.fields
            .entry(name.to_owned())
            .or_default()
            .insert(value.to_owned());
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Refuse names the command does not know: `Invalid filter 'foo'`.
    pub fn validate(&self, accepted: &[&str]) -> Result<(), EngineError> {
        match self.fields.keys().find(|name| !accepted.contains(&name.as_str())) {
            Some(name) => Err(invalid_filter(name, None)),
            None => Ok(()),
        }
    }

    pub fn contains(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The values of `name`, sorted.
    pub fn get(&self, name: &str) -> Vec<String> {
        self.fields
            .get(name)
            .map(|v| v.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Docker's `ExactMatch`: true when `name` is not filtered at all, or has `value` among its
    /// values.
    pub fn exact_match(&self, name: &str, value: &str) -> bool {
        match self.fields.get(name) {
            None => true,
            Some(values) if values.is_empty() => true,
            Some(values) => values.contains(value),
        }
    }

    /// Docker's `Match`: true when `name` is not filtered, or one of its values equals `source`
    /// or, read as a regular expression, matches somewhere in it (`name=^web`, `id=3f5`). A value
    /// that is not a valid expression only matches exactly.
    pub fn matches(&self, name: &str, source: &str) -> bool {
        if self.exact_match(name, source) {
            return true;
        }
        self.get(name)
            .iter()
            .any(|pattern| regex::Regex::new(pattern).is_ok_and(|re| re.is_match(source)))
    }

    /// Docker's `MatchKVList`: every `key` or `key=value` of filter `name` is in `labels`.
    /// True when `name` is not filtered; false for no labels at all.
    pub fn match_kv_list(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        let Some(values) = self.fields.get(name).filter(|v| !v.is_empty()) else {
            return true;
        };
        if labels.is_empty() {
            return false;
        }
        values.iter().all(|v| match v.split_once('=') {
            Some((key, want)) => labels.get(key).is_some_and(|have| have == want),
            None => labels.contains_key(v.as_str()),
        })
    }

    /// `dangling=true|false` of `images`: `Some(true)` for dangling images only, `true` winning
    /// when both are given. Any other value is `Invalid filter 'dangling=[…]'`.
    pub fn dangling_for_list(&self) -> Result<Option<bool>, EngineError> {
        if !self.contains("dangling") {
            Ok(None)
        } else if self.exact_match("dangling", "true") {
            Ok(Some(true))
        } else if self.exact_match("dangling", "false") {
            Ok(Some(false))
        } else {
            Err(invalid_filter("dangling", Some(&self.get("dangling"))))
        }
    }

    /// `dangling=` of `image prune`, where `1` and `0` count too and `false` wins (the CLI
    /// always adds `dangling=true`, so `--filter dangling=false` means every unused image).
    pub fn dangling_for_prune(&self) -> Result<Option<bool>, EngineError> {
        let is = |v: &str| self.exact_match("dangling", v);
        if !self.contains("dangling") {
            Ok(None)
        } else if is("false") || is("0") {
            Ok(Some(false))
        } else if is("true") || is("1") {
            Ok(Some(true))
        } else {
            Err(invalid_filter("dangling", Some(&self.get("dangling"))))
        }
    }
}

// ANCHOR: path_match
/// Go's `path.Match`: `*` is any run of characters but `/`, `?` one character but `/`,
/// `[a-z]`/`[^a-z]` a class, `\` escapes. A malformed pattern is `syntax error in pattern`.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, PatternError> {
    let mut pattern: &[char] = &pattern.chars().collect::<Vec<_>>();
    let name_chars: Vec<char> = name.chars().collect();
    let mut name: &[char] = &name_chars;
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains(&'/')); // a trailing * matches the rest without a /
        }
        let (t, ok) = match_chunk(chunk, name)?;
        if ok && (t.is_empty() || !pattern.is_empty()) {
            name = t;
            continue;
        }
        if star {
            let mut i = 0;
            while i < name.len() && name[i] != '/' {
                let (t, ok) = match_chunk(chunk, &name[i + 1..])?;
                // the last chunk must use up the name
                if ok && (t.is_empty() || !pattern.is_empty()) {
                    name = t;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // No match: the rest of the pattern must still be well formed.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, &[])?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// The only error of [`path_match`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in pattern")]
pub struct PatternError;

/// Leading stars, then the chunk up to the next star outside a class.
fn scan_chunk(pattern: &[char]) -> (bool, &[char], &[char]) {
    let mut p = pattern;
    let mut star = false;
    while p.first() == Some(&'*') {
        p = &p[1..];
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' if i + 1 < p.len() => i += 1,
            '[' => in_range = true,
            ']' => in_range = false,
            '*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &p[..i], &p[i..])
}

/// Match `chunk` (no stars) at the start of `s`: the rest of `s` and whether it matched. The
/// whole chunk is checked for syntax even after a mismatch.
fn match_chunk<'a>(mut chunk: &[char], mut s: &'a [char]) -> Result<(&'a [char], bool), PatternError> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            '[' => {
                let r = if failed {
                    None
                } else {
                    let r = s[0];
                    s = &s[1..];
                    Some(r)
                };
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if chunk.first() == Some(&']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = get_escaped(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if chunk.first() == Some(&'-') {
                        let (h, rest) = get_escaped(&chunk[1..])?;
                        hi = h;
                        chunk = rest;
                    }
                    if r.is_some_and(|r| lo <= r && r <= hi) {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    if s[0] == '/' {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                let literal = if c == '\\' {
                    chunk = &chunk[1..];
                    *chunk.first().ok_or(PatternError)?
                } else {
                    c
                };
                if !failed {
                    if s[0] != literal {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok(if failed { (&[], false) } else { (s, true) })
}

/// One (possibly escaped) character of a class; a class may not end here.
fn get_escaped(chunk: &[char]) -> Result<(char, &[char]), PatternError> {
    let mut chunk = chunk;
    match chunk.first() {
        None | Some('-') | Some(']') => return Err(PatternError),
        Some('\\') => {
            chunk = &chunk[1..];
            if chunk.is_empty() {
                return Err(PatternError);
            }
        }
        _ => {}
    }
    let rest = &chunk[1..];
    if rest.is_empty() {
        return Err(PatternError);
    }
    Ok((chunk[0], rest))
}
// ANCHOR_END: path_match

/// Go's `time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`; units ns, us (µs), ms, s, m, h.
pub fn parse_go_duration(s: &str) -> Option<chrono::Duration> {
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Some(chrono::Duration::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total_nanos += value * unit;
    }
    if total_nanos > i64::MAX as f64 {
        return None;
    }
    let nanos = total_nanos as i64;
    Some(chrono::Duration::nanoseconds(if negative {
        -nanos
    } else {
        nanos
    }))
}

/// Docker's `until=` value as a point in time: a Go duration before `now`, a Unix timestamp
/// (`1700000000`, `1700000000.5`), or an RFC 3339 date or time (`2024-01-02`,
/// `2024-01-02T15:04:05Z`, without a zone in local time).
pub fn parse_until(
    value: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<chrono::DateTime<chrono::Utc>, EngineError> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone};
    if value != "0" {
        if let Some(d) = parse_go_duration(value) {
            return Ok(now - d);
        }
    }
    let with_zone = value.contains(['z', 'Z', '+']) || value.matches('-').count() == 3;
    let parsed = if with_zone {
        chrono::DateTime::parse_from_rfc3339(value)
            .ok()
            .or_else(|| {
                // `2006-01-02Z07:00`, `2006-01-02T15Z07:00`, `2006-01-02T15:04Z07:00`
                ["%Y-%m-%d%#z", "%Y-%m-%dT%H%#z", "%Y-%m-%dT%H:%M%#z"]
                    .iter()
                    .find_map(|f| {
                        let v = value.replace(['z', 'Z'], "+00:00");
                        chrono::DateTime::parse_from_str(&v, f).ok()
                    })
            })
            .map(|t| t.with_timezone(&chrono::Utc))
    } else {
        let local = |naive: NaiveDateTime| {
            chrono::Local
                .from_local_datetime(&naive)
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H"]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(value, f).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(value, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .and_then(local)
    };
    if let Some(t) = parsed {
        return Ok(t);
    }
    let invalid = || EngineError::Invalid(format!("failed to parse value as time or duration: {value:?}"));
    if value.contains('-') {
        return Err(EngineError::Invalid(format!(
            "parsing time {value:?}: cannot parse as a date or time"
        )));
    }
    let (secs, frac) = value.split_once('.').unwrap_or((value, ""));
    if secs.is_empty()
        || !secs.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let secs: i64 = secs.parse().map_err(|_| invalid())?;
    let nanos: u32 = format!("{frac:0<9}")[..9].parse().map_err(|_| invalid())?;
    chrono::Utc
        .timestamp_opt(secs, nanos)
        .single()
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_apis_json() {
        let filters = Filters::parse(&["status=exited", "label=a=b", "status=created"]).unwrap();
        let json = filters.to_json();
        assert_eq!(
            json,
            r#"{"label":{"a=b":true},"status":{"created":true,"exited":true}}"#
        );
        assert_eq!(Filters::from_json(&json).unwrap(), filters);
        assert_eq!(Filters::default().to_json(), "");
    }
    use proptest::prelude::*;

    fn m(p: &str, n: &str) -> Result<bool, PatternError> {
        path_match(p, n)
    }

    #[test]
    fn globs_like_go_path_match() {
        assert_eq!(m("busybox", "busybox"), Ok(true));
        assert_eq!(m("busy*", "busybox"), Ok(true));
        assert_eq!(m("*", "imgt/a"), Ok(false), "* does not cross /");
        assert_eq!(m("imgt/*", "imgt/a"), Ok(true));
        assert_eq!(m("imgt/*", "imgt/a:1"), Ok(true));
        assert_eq!(m("*/a:?", "imgt/a:1"), Ok(true));
        assert_eq!(m("a*b*c", "axxbyyc"), Ok(true));
        assert_eq!(m("a*b", "axxbyyc"), Ok(false));
        assert_eq!(m("[a-c]x", "bx"), Ok(true));
        assert_eq!(m("[^a-c]x", "bx"), Ok(false));
        assert_eq!(m("\\*", "*"), Ok(true));
        assert_eq!(m("?", "/"), Ok(false));
        assert_eq!(m("[", "a"), Err(PatternError));
        assert_eq!(m("a[", "b"), Err(PatternError), "checked after a mismatch too");
        assert_eq!(m("x\\", "x"), Err(PatternError));
        assert_eq!(m("[]a]", "]"), Err(PatternError));
        assert_eq!(m("[a-]", "a"), Err(PatternError));
    }

    #[test]
    fn filters_parse_and_match_like_docker() {
        assert_eq!(Filters::parse(&["foo"]), Err(BadFilterFormat));
        let f = Filters::parse(&[" Label = a=b ", "label=c", "dangling=true"]).unwrap();
        assert_eq!(f.get("label"), vec!["a=b", "c"]);
        assert!(f.validate(&["label", "dangling"]).is_ok());
        assert_eq!(
            f.validate(&["label"]).unwrap_err().to_string(),
            "Invalid filter 'dangling'"
        );
        let labels: BTreeMap<String, String> =
            [("a".to_owned(), "b".to_owned()), ("c".to_owned(), "".to_owned())].into();
        assert!(f.match_kv_list("label", &labels));
        assert!(!f.match_kv_list("label", &BTreeMap::new()));
        assert!(f.match_kv_list("nothing", &BTreeMap::new()));
        let f = Filters::parse(&["label=a=x"]).unwrap();
        assert!(!f.match_kv_list("label", &labels));
        let f = Filters::parse(&["dangling=maybe"]).unwrap();
        assert_eq!(
            f.dangling_for_list().unwrap_err().to_string(),
            "Invalid filter 'dangling=[maybe]'"
        );
        let f = Filters::parse(&["dangling=true", "dangling=false"]).unwrap();
        assert_eq!(f.dangling_for_list().unwrap(), Some(true));
        assert_eq!(f.dangling_for_prune().unwrap(), Some(false));
        let f = Filters::parse(&["dangling=1"]).unwrap();
        assert!(f.dangling_for_list().is_err());
        assert_eq!(f.dangling_for_prune().unwrap(), Some(true));
        assert_eq!(Filters::default().dangling_for_list().unwrap(), None);
    }

    #[test]
    fn match_is_exact_or_a_regular_expression() {
        let f = Filters::parse(&["name=^we", "id=3f5", "status=("]).unwrap();
        assert!(f.matches("name", "web"));
        assert!(!f.matches("name", "aweb"));
        assert!(f.matches("id", "a3f5b"), "anywhere in the value");
        assert!(f.matches("status", "("), "an invalid expression matches exactly");
        assert!(!f.matches("status", "(x"));
        assert!(f.matches("label", "anything"), "not filtered");
    }

    #[test]
    fn durations_and_timestamps() {
        let d = |s| parse_go_duration(s).map(|d| d.num_milliseconds());
        assert_eq!(d("10m"), Some(600_000));
        assert_eq!(d("1h30m"), Some(5_400_000));
        assert_eq!(d("1.5s"), Some(1_500));
        assert_eq!(d("-2s"), Some(-2_000));
        assert_eq!(d("10"), None);
        assert_eq!(d("abc"), None);
        assert_eq!(d(""), None);
        let now = chrono::DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let at = |s| parse_until(s, now).map(|t| t.to_rfc3339());
        assert_eq!(at("1h").unwrap(), "2024-01-02T02:04:05+00:00");
        assert_eq!(at("1600000000").unwrap(), "2020-09-13T12:26:40+00:00");
        assert_eq!(at("2020-01-01T00:00:00Z").unwrap(), "2020-01-01T00:00:00+00:00");
        assert_eq!(
            at("abc").unwrap_err().to_string(),
            "failed to parse value as time or duration: \"abc\""
        );
    }

    proptest! {
        #[test]
        fn literal_patterns_match_only_themselves(a in "[a-z0-9/:._-]{0,12}", b in "[a-z0-9/:._-]{0,12}") {
            prop_assert_eq!(path_match(&a, &b), Ok(a == b));
        }

        #[test]
        fn a_star_matches_any_name_without_a_slash(n in "[a-z0-9:._-]{0,12}") {
            prop_assert_eq!(path_match("*", &n), Ok(true));
            let with_prefix = format!("x{n}");
            prop_assert_eq!(path_match("x*", &with_prefix), Ok(true));
        }

        #[test]
        fn matching_never_panics(p in "\\PC{0,12}", n in "\\PC{0,12}") {
            let _ = path_match(&p, &n);
        }

        #[test]
        fn parsing_until_never_panics(s in "\\PC{0,20}") {
            let _ = parse_until(&s, chrono::Utc::now());
        }
    }
}
