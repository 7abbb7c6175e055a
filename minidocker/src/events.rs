//! Events (`docker events`): what happened to containers, networks and images, in Docker's
//! JSON, appended one per line to `<data-root>/events.jsonl` by whichever process made it
//! happen (a `run`, a shim, the daemon) and read back, or followed, by the API's `/events`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::engine::filters::Filters;

/// `Actor` of an event: what it happened to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(rename = "ID")]
    pub id: String,
    #[serde(rename = "Attributes")]
    pub attributes: BTreeMap<String, String>,
}

/// One event, Docker 20.10's shape (containers and images also carry the old
/// `status`/`id`/`from` fields; networks and volumes do not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Action")]
    pub action: String,
    #[serde(rename = "Actor")]
    pub actor: Actor,
    pub scope: String,
    pub time: i64,
    #[serde(rename = "timeNano")]
    pub time_nano: i64,
}

impl Event {
    /// An event of `kind` (`container`, `network`, `image`) now.
    pub fn new(kind: &str, action: &str, id: &str, attributes: BTreeMap<String, String>) -> Event {
        let now = chrono::Utc::now();
        let nanos = now.timestamp_nanos_opt().unwrap_or(0);
        let legacy = matches!(kind, "container" | "image");
        Event {
            status: legacy.then(|| action.to_owned()),
            id: legacy.then(|| id.to_owned()),
            from: if kind == "container" {
                attributes.get("image").cloned()
            } else {
                None
            },
            kind: kind.to_owned(),
            action: action.to_owned(),
            actor: Actor {
                id: id.to_owned(),
                attributes,
            },
            scope: "local".into(),
            time: now.timestamp(),
            time_nano: nanos,
        }
    }

    /// Docker's event filters: type, event, container, image, network, label.
    pub fn matches(&self, filters: &Filters) -> bool {
        let any = |name: &str, test: &dyn Fn(&str) -> bool| {
            let values = filters.get(name);
            values.is_empty() || values.iter().any(|v| test(v))
        };
        let attr = |key: &str| self.actor.attributes.get(key).map(String::as_str).unwrap_or("");
        any("type", &|v| self.kind == v)
            && any("event", &|v| self.action == v)
            && any("container", &|v| {
                self.kind == "container" && (self.actor.id.starts_with(v) || attr("name") == v)
            })
            && any("image", &|v| {
                attr("image") == v || (self.kind == "image" && self.actor.id == v)
            })
            && any("network", &|v| {
                self.kind == "network" && (self.actor.id.starts_with(v) || attr("name") == v)
            })
            && any("volume", &|v| {
                self.kind == "volume" && self.actor.id.starts_with(v)
            })
            && filters.match_kv_list("label", &self.actor.attributes)
    }
}

/// The event file of a data root.
#[derive(Debug, Clone)]
pub struct EventLog {
    path: PathBuf,
}

impl EventLog {
    pub fn new(data_root: &Path) -> EventLog {
        EventLog {
            path: data_root.join("events.jsonl"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    // ANCHOR: emit
    /// Appends `event` (one write(2) of one line on an O_APPEND file: lines of processes
    /// writing at once do not mix). An event that cannot be written is logged, not fatal.
    pub fn emit(&self, event: &Event) {
        let mut line = match serde_json::to_vec(event) {
            Ok(line) => line,
            Err(_) => return,
        };
        line.push(b'\n');
        let written = std::fs::File::options()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(&line));
        if let Err(e) = written {
            tracing::warn!(path = %self.path.display(), error = %e, "writing an event");
        }
    }
    // ANCHOR_END: emit

    /// The events in the file now, with their end offset (to follow from).
    pub fn read_all(&self) -> (Vec<Event>, u64) {
        self.read_from(0)
    }

    /// The complete events after `offset`, and the new offset.
    pub fn read_from(&self, offset: u64) -> (Vec<Event>, u64) {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return (Vec::new(), offset);
        };
        if file.seek(SeekFrom::Start(offset)).is_err() {
            return (Vec::new(), offset);
        }
        let mut reader = BufReader::new(file);
        let (mut events, mut end) = (Vec::new(), offset);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            if !line.ends_with('\n') {
                break; // a line being written: the next read gets it whole
            }
            end += line.len() as u64;
            if let Ok(event) = serde_json::from_str(&line) {
                events.push(event);
            }
            line.clear();
        }
        (events, end)
    }
}

/// The attributes of a container event: its image and name (the engine's `container_event`
/// puts the container's labels under them, as Docker does).
pub fn container_attributes(image: &str, name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("image".to_owned(), image.to_owned()),
        ("name".to_owned(), name.trim_start_matches('/').to_owned()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_dockers_json_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = EventLog::new(dir.path());
        let mut attrs = container_attributes("busybox", "/evx");
        attrs.insert("exitCode".into(), "0".into());
        log.emit(&Event::new("container", "die", "c1", attrs));
        log.emit(&Event::new(
            "network",
            "connect",
            "n1",
            BTreeMap::from([("container".to_owned(), "c1".to_owned())]),
        ));
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert!(
            text.starts_with(r#"{"status":"die","id":"c1","from":"busybox","Type":"container","Action":"die","Actor":{"ID":"c1","Attributes":{"exitCode":"0","image":"busybox","name":"evx"}},"scope":"local","time":"#),
            "{text}"
        );
        assert!(
            text.lines()
                .nth(1)
                .unwrap()
                .starts_with(r#"{"Type":"network","Action":"connect""#)
        );
        let (events, end) = log.read_all();
        assert_eq!(events.len(), 2);
        assert_eq!(end, text.len() as u64);
        let mut filters = Filters::default();
        filters.add("type", "network");
        assert_eq!(events.iter().filter(|e| e.matches(&filters)).count(), 1);
        let mut filters = Filters::default();
        filters.add("container", "evx");
        assert_eq!(events.iter().filter(|e| e.matches(&filters)).count(), 1);
        assert_eq!(log.read_from(end).0.len(), 0);
    }
}
