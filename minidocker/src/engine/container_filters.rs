//! The filters of `docker ps` (`GET /containers/json?filters=`), as Docker 20.10 reads them
//! (`daemon/list.go`): `name`, `id`, `status` and `isolation` match a regular expression
//! (`name=^web`), `label` keys or `key=value`s, `exited` exit codes, `ancestor` an image or any
//! image built on it, `network` a name or id prefix, `publish` and `expose` ports or ranges
//! (`8000-8010/udp`); `before` and `since` name containers. `volume` a mount's destination, or
//! its volume's name (a bind's source for a bind), `health` only `none` (no health checks),
//! `is-task` only `false` (no swarm).

use std::collections::HashSet;

use ch05_images::Digest;

use super::container_list::ContainerListEntry;
use super::filters::{Filters, invalid_filter};
use super::{Engine, EngineError};
use crate::container::{Container, ZERO_TIME};

/// The filters `docker ps` accepts.
pub const CONTAINER_LIST_FILTERS: [&str; 15] = [
    "ancestor",
    "before",
    "expose",
    "exited",
    "health",
    "id",
    "isolation",
    "is-task",
    "label",
    "name",
    "network",
    "publish",
    "since",
    "status",
    "volume",
];

/// The states `status=` may ask for (Docker's `IsValidStateString`).
const STATES: [&str; 7] = [
    "created",
    "running",
    "paused",
    "restarting",
    "removing",
    "exited",
    "dead",
];
const HEALTH_STATES: [&str; 4] = ["starting", "healthy", "unhealthy", "none"];

/// `8000-8010` (or one port) as a range, with Docker's (`nat.ParsePortRange`) errors.
fn parse_port_range(ports: &str) -> Result<(u16, u16), String> {
    if ports.is_empty() {
        return Err("Empty string specified for ports.".to_owned());
    }
    let parse = |s: &str| {
        s.parse::<u16>()
            .map_err(|_| format!("strconv.ParseUint: parsing {s:?}: invalid syntax"))
    };
    match ports.split_once('-') {
        None => parse(ports).map(|p| (p, p)),
        Some((start, end)) => {
            let (start, end) = (parse(start)?, parse(end)?);
            if end < start {
                return Err(format!("Invalid range specified for the Port: {ports}"));
            }
            Ok((start, end))
        }
    }
}

/// The ports `publish=` or `expose=` name, as `80/tcp` keys (Docker's `portOp`).
fn port_filter(filters: &Filters, key: &str) -> Result<HashSet<String>, EngineError> {
    let mut ports = HashSet::new();
    for value in filters.get(key) {
        if value.contains(':') {
            return Err(EngineError::Invalid(format!(
                "filter for '{key}' should not contain ':': {value}"
            )));
        }
        let (port, protocol) = match value.split_once('/') {
            Some((port, protocol)) if !protocol.is_empty() => (port, protocol),
            Some((port, _)) => (port, "tcp"),
            None => (value.as_str(), "tcp"),
        };
        let (start, end) = parse_port_range(port)
            .map_err(|e| EngineError::Invalid(format!("error while looking up for {key} {value}: {e}")))?;
        ports.extend((start..=end).map(|p| format!("{p}/{protocol}")));
    }
    Ok(ports)
}

/// The filters, checked and resolved once (Docker's `foldFilter`).
pub(super) struct ListFilter<'a> {
    filters: &'a Filters,
    exited: Vec<i32>,
    /// `ancestor=`: the images named and every image built on them.
    ancestors: Option<HashSet<String>>,
    pub before: Option<String>,
    pub since: Option<String>,
    is_task: Option<bool>,
    publish: HashSet<String>,
    expose: HashSet<String>,
}

impl ListFilter<'_> {
    pub fn matches(&self, entry: &ContainerListEntry, container: &Container, engine: &Engine) -> bool {
        let f = self.filters;
        let name = container.name.as_str();
        let started = !matches!(container.state.started_at.as_str(), "" | ZERO_TIME);
        let exited_ok = self.exited.is_empty()
            || (!container.state.running && started && self.exited.contains(&container.state.exit_code));
        let networks = &entry.network_settings.networks;
        let network_ok = !f.contains("network")
            || f.get("network").iter().any(|v| {
                networks.contains_key(v) || networks.values().any(|e| e.network_id.starts_with(v.as_str()))
            });
        let publish_ok = self.publish.is_empty() || {
            let bindings = engine
                .containers
                .host_config(&container.id)
                .map(|h| h.network.port_bindings)
                .unwrap_or_default();
            self.publish.iter().any(|p| bindings.contains_key(p))
        };
        // dockerd's volume filter: a destination, or a name (the source when there is none)
        let volume_ok = !f.contains("volume")
            || f.get("volume").iter().any(|v| {
                entry.mounts.iter().any(|m| {
                    m.destination == *v || (if m.name.is_empty() { &m.source } else { &m.name }) == v
                })
            });
        let exposed = container.config.exposed_ports.as_ref();
        let expose_ok = self.expose.is_empty()
            || self
                .expose
                .iter()
                .any(|p| exposed.is_some_and(|e| e.contains_key(p)));
        (f.matches("name", name) || f.matches("name", name.trim_start_matches('/')))
            && f.match_kv_list("label", &entry.labels)
            && f.matches("isolation", "default")
            && exited_ok
            && f.matches("status", &entry.state)
            && f.exact_match("health", "none")
            && f.matches("id", &entry.id)
            && self.is_task != Some(true)
            && volume_ok
            && self
                .ancestors
                .as_ref()
                .is_none_or(|a| a.contains(&entry.image_id))
            && network_ok
            && publish_ok
            && expose_ok
    }
}

impl Engine {
    pub(super) fn list_filter<'a>(&self, filters: &'a Filters) -> Result<ListFilter<'a>, EngineError> {
        filters.validate(&CONTAINER_LIST_FILTERS)?;
        let exited = filters
            .get("exited")
            .iter()
            .map(|v| {
                v.parse::<i32>()
                    .map_err(|_| EngineError::Invalid(format!("strconv.Atoi: parsing {v:?}: invalid syntax")))
            })
            .collect::<Result<_, _>>()?;
        if let Some(bad) = filters
            .get("status")
            .iter()
            .find(|s| !STATES.contains(&s.as_str()))
        {
            return Err(invalid_filter(&format!("status={bad}"), None));
        }
        if let Some(bad) = filters
            .get("health")
            .iter()
            .find(|s| !HEALTH_STATES.contains(&s.as_str()))
        {
            return Err(EngineError::Invalid(format!(
                "Unrecognised filter value for health: {bad}"
            )));
        }
        let is_task = match filters.contains("is-task") {
            false => None,
            true if filters.exact_match("is-task", "true") => Some(true),
            true if filters.exact_match("is-task", "false") => Some(false),
            true => return Err(invalid_filter("is-task", Some(&filters.get("is-task")))),
        };
        let find = |name: &String| self.containers.find(name).map(|c| c.id);
        let before = filters.get("before").last().map(find).transpose()?;
        let since = filters.get("since").last().map(find).transpose()?;
        let ancestors = match filters.contains("ancestor") {
            false => None,
            true => {
                let mut images = HashSet::new();
                for name in filters.get("ancestor") {
                    match self.images.resolve(&name) {
                        Ok(id) => self.with_descendants(id, &mut images)?,
                        Err(e) => tracing::warn!(image = %name, error = %e, "ancestor filter: no such image"),
                    }
                }
                Some(images)
            }
        };
        Ok(ListFilter {
            filters,
            exited,
            ancestors,
            before,
            since,
            is_task,
            publish: port_filter(filters, "publish")?,
            expose: port_filter(filters, "expose")?,
        })
    }

    /// `id` and every image built on it, as `sha256:…` strings.
    fn with_descendants(&self, id: Digest, images: &mut HashSet<String>) -> Result<(), EngineError> {
        if images.insert(id.to_string()) {
            for child in self.images.children(&id)? {
                self.with_descendants(child, images)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ContainerListOptions;

    #[test]
    fn port_filters_take_ranges_and_protocols_like_dockers() {
        let f = Filters::parse(&["publish=80", "publish=8000-8002/udp"]).unwrap();
        let mut ports: Vec<String> = port_filter(&f, "publish").unwrap().into_iter().collect();
        ports.sort();
        assert_eq!(ports, ["80/tcp", "8000/udp", "8001/udp", "8002/udp"]);
        let err = |v: &str| {
            let f = Filters::parse(&[format!("publish={v}")]).unwrap();
            port_filter(&f, "publish").unwrap_err().to_string()
        };
        assert_eq!(err("80:80"), "filter for 'publish' should not contain ':': 80:80");
        assert_eq!(
            err("x"),
            "error while looking up for publish x: strconv.ParseUint: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            err("90-80"),
            "error while looking up for publish 90-80: Invalid range specified for the Port: 90-80"
        );
    }

    #[test]
    fn bad_filters_are_refused_with_dockers_messages() {
        let (_dir, engine) = super::super::images::test_support::engine();
        let err = |args: &[&str]| {
            let filters = Filters::parse(args).unwrap();
            let opts = ContainerListOptions {
                filters,
                ..Default::default()
            };
            engine.container_list(&opts).unwrap_err().to_string()
        };
        assert_eq!(err(&["foo=1"]), "Invalid filter 'foo'");
        assert_eq!(err(&["status=bogus"]), "Invalid filter 'status=bogus'");
        assert_eq!(err(&["is-task=x"]), "Invalid filter 'is-task=[x]'");
        assert_eq!(err(&["health=x"]), "Unrecognised filter value for health: x");
        assert_eq!(err(&["exited=x"]), "strconv.Atoi: parsing \"x\": invalid syntax");
        assert_eq!(err(&["before=nosuch"]), "No such container: nosuch");
        let none = engine.container_list(&ContainerListOptions::default()).unwrap();
        assert!(none.is_empty());
    }
}
