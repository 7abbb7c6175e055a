//! `GET /events?since=&until=&filters=`: the events of [`crate::events`], as a stream of
//! JSON objects, one per line; followed as they happen unless `until` has passed.

use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;

use super::{ApiError, AppState, streamed};
use crate::engine::filters::Filters;
use crate::events::{Event, EventLog};

/// How often a followed event stream looks for new lines.
const POLL: Duration = Duration::from_millis(50);

pub fn routes() -> Router<AppState> {
    Router::new().route("/events", get(events))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct EventsQuery {
    since: String,
    until: String,
    filters: String,
}

/// A `since`/`until` value in nanoseconds: Unix seconds with an optional fraction (what the
/// docker CLI sends), or an RFC 3339 time.
pub fn parse_time(raw: &str) -> Result<Option<i64>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(raw) {
        return Ok(t.timestamp_nanos_opt());
    }
    let (secs, frac) = raw.split_once('.').unwrap_or((raw, ""));
    let secs: i64 = secs
        .parse()
        .map_err(|_| ApiError::bad_request(format!("invalid timestamp: {raw}")))?;
    let mut nanos = 0i64;
    if !frac.is_empty() {
        let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
        nanos = digits
            .parse()
            .map_err(|_| ApiError::bad_request(format!("invalid timestamp: {raw}")))?;
    }
    Ok(Some(secs.saturating_mul(1_000_000_000).saturating_add(nanos)))
}

fn now_nanos() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

async fn events(State(state): State<AppState>, Query(q): Query<EventsQuery>) -> Result<Response, ApiError> {
    let since = parse_time(&q.since)?;
    let until = parse_time(&q.until)?;
    let filters = Filters::from_json(&q.filters)?;
    filters.validate(&[
        "container",
        "event",
        "image",
        "label",
        "network",
        "type",
        "volume",
        "daemon",
        "plugin",
        "scope",
        "node",
        "service",
        "config",
        "secret",
    ])?;
    let log = EventLog::new(&state.data_root);
    let started = now_nanos();
    let body = streamed(move |tx| {
        let send = |event: &Event| -> bool {
            let mut line = serde_json::to_vec(event).unwrap_or_default();
            line.push(b'\n');
            tx.blocking_send(line).is_ok()
        };
        let in_range = |e: &Event| until.is_none_or(|u| e.time_nano <= u);
        // ANCHOR: follow
        let (past, mut offset) = log.read_all();
        // without `since`, only what happens from now on
        let from = since.unwrap_or(started);
        for event in past
            .iter()
            .filter(|e| e.time_nano >= from && in_range(e) && e.matches(&filters))
        {
            if !send(event) {
                return;
            }
        }
        loop {
            if until.is_some_and(|u| now_nanos() > u) {
                return;
            }
            std::thread::sleep(POLL);
            if tx.is_closed() {
                return;
            }
            let (new, end) = log.read_from(offset);
            offset = end;
            for event in new.iter().filter(|e| in_range(e) && e.matches(&filters)) {
                if !send(event) {
                    return;
                }
            }
        }
        // ANCHOR_END: follow
    });
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_unix_seconds_with_a_fraction_or_rfc3339() {
        assert_eq!(parse_time("").unwrap(), None);
        assert_eq!(parse_time("12").unwrap(), Some(12_000_000_000));
        assert_eq!(parse_time("12.5").unwrap(), Some(12_500_000_000));
        assert_eq!(parse_time("1970-01-01T00:00:01Z").unwrap(), Some(1_000_000_000));
        assert!(parse_time("soon").is_err());
    }
}
