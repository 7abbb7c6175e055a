//! `docker container prune`: every container that is not running goes, as Docker 20.10's
//! `ContainersPrune` decides (`until` and `label` filters), with the bytes its own layer held.

use serde::{Deserialize, Serialize};

use super::filters::{Filters, parse_until};
use super::go_json::{nil_if_empty, null_as_default};
use super::{Engine, EngineError};

/// The filters `docker container prune` accepts.
pub const CONTAINER_PRUNE_FILTERS: [&str; 3] = ["label", "label!", "until"];

// ANCHOR: container_prune_report
/// `types.ContainersPruneReport`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerPruneReport {
    #[serde(
        rename = "ContainersDeleted",
        serialize_with = "nil_if_empty",
        default,
        deserialize_with = "null_as_default"
    )]
    pub deleted: Vec<String>,
    /// What their own layers (the upper dirs) held.
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}
// ANCHOR_END: container_prune_report

/// A prune's `until` filter as a point in time (at most one), as image and container prune
/// read it (Docker's `getUntilFromPruneFilters`).
pub(super) fn prune_until(filters: &Filters) -> Result<Option<chrono::DateTime<chrono::Utc>>, EngineError> {
    match filters.get("until").as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(parse_until(one, chrono::Utc::now())?)),
        _ => Err(EngineError::Invalid(
            "more than one until filter specified".to_owned(),
        )),
    }
}

impl Engine {
    // ANCHOR: prune_containers
    /// Removes the containers that are not running (created or exited; a paused one is still
    /// running) and that the filters keep: created before `until`, with the `label`s asked
    /// for and none of the `label!`s. One that cannot be removed is skipped. Emits `prune`.
    pub fn prune_containers(&self, filters: &Filters) -> Result<ContainerPruneReport, EngineError> {
        filters.validate(&CONTAINER_PRUNE_FILTERS)?;
        let until = prune_until(filters)?;
        let mut report = ContainerPruneReport::default();
        for summary in self.list_containers()? {
            let c = &summary.container;
            if summary.running {
                continue;
            }
            let created = chrono::DateTime::parse_from_rfc3339(&c.created).ok();
            if until.is_some_and(|u| created.is_some_and(|t| t > u)) {
                continue;
            }
            let labels = self.container_entry(&summary, false)?.labels;
            if !filters.match_kv_list("label", &labels)
                || (filters.contains("label!") && filters.match_kv_list("label!", &labels))
            {
                continue;
            }
            let (size_rw, _) = self.container_sizes(&c.id).unwrap_or((0, 0));
            match self.remove_container(&c.id, false) {
                Ok(()) => {
                    report.space_reclaimed += size_rw;
                    report.deleted.push(c.id.clone());
                }
                Err(e) => tracing::warn!(container = %c.id, error = %e, "failed to prune container"),
            }
        }
        self.prune_event("container", report.space_reclaimed);
        Ok(report)
    }
    // ANCHOR_END: prune_containers

    /// The `prune` event of `kind` (`container`, `volume`) that closes a prune, with the
    /// bytes it reclaimed; no id.
    pub(crate) fn prune_event(&self, kind: &str, reclaimed: u64) {
        let mut event = crate::events::Event::new(
            kind,
            "prune",
            "",
            [("reclaimed".to_owned(), reclaimed.to_string())].into(),
        );
        event.id = None; // Docker leaves out an empty id
        self.events.emit(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_dockers() {
        let empty = ContainerPruneReport::default();
        assert_eq!(
            serde_json::to_string(&empty).unwrap(),
            r#"{"ContainersDeleted":null,"SpaceReclaimed":0}"#
        );
    }

    #[test]
    fn one_until_at_most() {
        assert_eq!(prune_until(&Filters::default()).unwrap(), None);
        let two = Filters::parse(&["until=1h", "until=2h"]).unwrap();
        assert_eq!(
            prune_until(&two).unwrap_err().to_string(),
            "more than one until filter specified"
        );
        let bad = Filters::parse(&["until=x"]).unwrap();
        assert_eq!(
            prune_until(&bad).unwrap_err().to_string(),
            "failed to parse value as time or duration: \"x\""
        );
    }
}
