//! `docker events`: `GET /events`, each event a line as it arrives, in Docker's words
//! (`2026-12-02T03:00:00.000000000Z container start <id> (image=busybox, name=x)`) or through
//! a template; until `--until` has passed, or for ever.

use std::io::Write;

use chrono::{DateTime, Local};
use clap::Args;
use hyper::Method;

use super::lifecycle::with_query;
use super::timestamps::get_timestamp;
use super::{ExitCode, args_error};
use crate::client::autostart::Connector;
use crate::client::{ClientError, RequestBody};
use crate::engine::filters::Filters;
use crate::events::{Actor, Event};
use crate::format::Template;

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Filter output based on conditions provided
    #[arg(short = 'f', long = "filter", value_name = "filter")]
    pub filter: Vec<String>,
    /// Format output using a custom template ('json', or a Go template)
    #[arg(long, value_name = "string")]
    pub format: Option<String>,
    /// Show all events created since timestamp
    #[arg(long, value_name = "string")]
    pub since: Option<String>,
    /// Stream events until this timestamp
    #[arg(long, value_name = "string")]
    pub until: Option<String>,
    #[arg(hide = true)]
    pub rest: Vec<String>,
}

/// A time as the Docker CLI prints an event's: nanoseconds, in the local zone (`Z` for UTC).
fn event_time(time_nano: i64) -> String {
    let local = DateTime::from_timestamp_nanos(time_nano).with_timezone(&Local);
    let text = local.format("%Y-%m-%dT%H:%M:%S%.9f%:z").to_string();
    match text.strip_suffix("+00:00") {
        Some(utc) => format!("{utc}Z"),
        None => text,
    }
}

// ANCHOR: event_line
/// One event as the Docker CLI prints it: time, type, action, actor, and the actor's
/// attributes sorted by name.
pub fn event_line(event: &Event) -> String {
    let mut line = String::new();
    if event.time_nano != 0 {
        line = format!("{} ", event_time(event.time_nano));
    } else if event.time != 0 {
        line = format!("{} ", event_time(event.time.saturating_mul(1_000_000_000)));
    }
    line.push_str(&format!("{} {} {}", event.kind, event.action, event.actor.id));
    if !event.actor.attributes.is_empty() {
        let attributes: Vec<String> = event
            .actor
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        line.push_str(&format!(" ({})", attributes.join(", ")));
    }
    line
}
// ANCHOR_END: event_line

/// `--format`'s template, tried on an empty event first so a bad one fails before anything
/// is asked (as the Docker CLI does).
fn events_template(format: Option<&str>) -> Result<Option<Template>, String> {
    let source = match format {
        None | Some("") => return Ok(None),
        Some("json") => "{{json .}}".to_owned(),
        Some(f) => f.replace("\\t", "\t").replace("\\n", "\n"),
    };
    let template = Template::parse(&source).map_err(|e| e.to_string())?;
    let empty = Event {
        status: None,
        id: None,
        from: None,
        kind: String::new(),
        action: String::new(),
        actor: Actor::default(),
        scope: String::new(),
        time: 0,
        time_nano: 0,
    };
    let value = serde_json::to_value(&empty).map_err(|e| e.to_string())?;
    template.render(&value).map_err(|e| e.to_string())?;
    Ok(Some(template))
}

/// `docker events [OPTIONS]`.
pub(super) fn events(api: &Connector, args: EventsArgs, cmd: &str) -> ExitCode {
    if !args.rest.is_empty() {
        return args_error(cmd, "accepts no arguments");
    }
    let filters = match Filters::parse(&args.filter) {
        Ok(f) => f,
        Err(e) => {
            return super::flag_error(
                cmd,
                &format!(
                    "invalid argument \"{}\" for \"-f, --filter\" flag: {e}",
                    args.filter.join(",")
                ),
            );
        }
    };
    let template = match events_template(args.format.as_deref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("Error parsing format: {e}");
            return 64;
        }
    };
    let now = chrono::Utc::now();
    let mut params = Vec::new();
    for (key, value) in [("since", &args.since), ("until", &args.until)] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            match get_timestamp(value, now) {
                Ok(t) => params.push((key, t)),
                Err(e) => {
                    eprintln!("{e}");
                    return 1;
                }
            }
        }
    }
    if !filters.is_empty() {
        params.push(("filters", filters.to_json()));
    }
    let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let followed = api.client().and_then(|client| {
        let response = client.request(
            Method::GET,
            &with_query("/events".into(), &pairs),
            RequestBody::Empty,
        )?;
        let mut stdout = std::io::stdout();
        for event in response.json_messages::<Event>() {
            let event = event?;
            let line = match &template {
                None => event_line(&event),
                Some(t) => serde_json::to_value(&event)
                    .map_err(|e| e.to_string())
                    .and_then(|v| t.render(&v).map_err(|e| e.to_string()))
                    .map_err(|e| ClientError::Io {
                        what: "formatting an event".into(),
                        source: std::io::Error::other(e),
                    })?,
            };
            writeln!(stdout, "{line}")
                .and_then(|()| stdout.flush())
                .map_err(|source| ClientError::Io {
                    what: "writing an event".into(),
                    source,
                })?;
        }
        Ok(())
    });
    match followed {
        Ok(()) => 0,
        Err(ClientError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => super::api_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_printed_like_the_docker_clis() {
        let attributes = [("name", "x"), ("image", "busybox")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let mut event = Event::new("container", "start", "abc", attributes);
        event.time_nano = 1_796_180_109_558_207_506;
        let line = event_line(&event);
        // the date's shape depends on the local zone; what follows it does not
        let (time, rest) = line.split_once(' ').unwrap();
        assert_eq!(rest, "container start abc (image=busybox, name=x)");
        // RFC 3339 with nine digits of nanoseconds, `Z` or an offset at the end
        assert!(time.len() >= "2026-12-02T03:00:00.000000000Z".len(), "{time}");
        assert!(time.contains(".558207506"), "{time}");
    }

    #[test]
    fn a_template_that_cannot_run_fails_first() {
        assert!(events_template(Some("{{")).is_err());
        assert!(events_template(Some("{{.Type}} {{.Action}}")).unwrap().is_some());
        assert!(events_template(None).unwrap().is_none());
    }
}
