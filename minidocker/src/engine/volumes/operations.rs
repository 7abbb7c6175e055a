//! The volume commands: `volume create`, `ls`, `inspect`, `rm`, `prune`, and the volumes of
//! `system df`, each as dockerd 20.10 (API 1.41) does it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::VolumeError;
use super::mount_points::{new_volume, new_volume_name};
use super::store::{LOCAL_DRIVER, UsageData, Volume, validate_local_options, validate_volume_name};
use crate::engine::filters::{Filters, invalid_filter};
use crate::engine::system::dir_size;
use crate::engine::{Engine, EngineError};

/// The filters `GET /volumes` accepts.
pub const VOLUME_LIST_FILTERS: [&str; 4] = ["dangling", "name", "driver", "label"];
/// The filters `POST /volumes/prune` accepts (API 1.41: no `all`, every unused volume goes).
pub const VOLUME_PRUNE_FILTERS: [&str; 2] = ["label", "label!"];

/// What `GET /volumes` answers: Docker's `VolumeListOKBody` (`Warnings` is always `null`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumeList {
    #[serde(deserialize_with = "crate::engine::go_json::null_as_default")]
    pub volumes: Vec<Volume>,
    pub warnings: Option<Vec<String>>,
}

/// What `POST /volumes/prune` answers: the volumes removed and the bytes they held.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VolumePruneReport {
    #[serde(default, deserialize_with = "crate::engine::go_json::null_as_default")]
    pub volumes_deleted: Vec<String>,
    pub space_reclaimed: u64,
}

/// Whether `labels` has one of `wanted` (each `key` or `key=value`).
fn has_any_label(labels: &BTreeMap<String, String>, wanted: &[String]) -> bool {
    wanted.iter().any(|w| match w.split_once('=') {
        Some((key, value)) => labels.get(key).is_some_and(|v| v == value),
        None => labels.contains_key(w.as_str()),
    })
}

impl Engine {
    // ANCHOR: create_volume
    /// `docker volume create`: a volume of the local driver called `name` (a random 64-hex
    /// name if empty). A volume of that name that exists already is the answer, unchanged,
    /// as dockerd 20.10 answers.
    pub fn create_volume(
        &self,
        name: &str,
        driver: &str,
        labels: BTreeMap<String, String>,
        options: BTreeMap<String, String>,
    ) -> Result<Volume, VolumeError> {
        let name = match name {
            "" => new_volume_name(),
            given => given.to_owned(),
        };
        if !driver.is_empty() && driver != LOCAL_DRIVER {
            return Err(VolumeError::NoSuchDriver {
                name,
                driver: driver.to_owned(),
            });
        }
        validate_volume_name(&name)?;
        validate_local_options(&name, &options)?;
        let store = self.volume_store();
        let lock = store.lock()?;
        if let Some(existing) = store.get(&name)? {
            // dockerd says `create` again for a volume that exists
            drop(lock);
            self.volume_event(&name, "create", &[]);
            return Ok(existing);
        }
        let volume = store.create(&lock, &new_volume(&name, labels, options))?;
        drop(lock);
        self.volume_event(&name, "create", &[]);
        Ok(volume)
    }
    // ANCHOR_END: create_volume

    /// `docker volume inspect NAME` (volumes are found by their whole name only).
    pub fn inspect_volume(&self, name: &str) -> Result<Volume, VolumeError> {
        self.volume_store().find(name)
    }

    // ANCHOR: list_volumes
    /// `docker volume ls`: every volume the filters let through, sorted by name.
    /// `dangling=true|1` (no container uses it) or `false|0`, `name=` (a regular expression
    /// found in the name), `driver=` (exactly), `label=key[=value]` (all of them).
    pub fn list_volumes(&self, filters: &Filters) -> Result<Vec<Volume>, EngineError> {
        filters.validate(&VOLUME_LIST_FILTERS)?;
        let dangling = if !filters.contains("dangling") {
            None
        } else if filters.exact_match("dangling", "true") || filters.exact_match("dangling", "1") {
            Some(true)
        } else if filters.exact_match("dangling", "false") || filters.exact_match("dangling", "0") {
            Some(false)
        } else {
            return Err(invalid_filter("dangling", Some(&filters.get("dangling"))));
        };
        let references = self.volume_references().map_err(volume_error)?;
        let volumes = self.volume_store().list().map_err(volume_error)?;
        Ok(volumes
            .into_iter()
            .filter(|v| dangling.is_none_or(|d| d != references.contains_key(&v.name)))
            .filter(|v| filters.matches("name", &v.name))
            .filter(|v| filters.exact_match("driver", &v.driver))
            .filter(|v| filters.match_kv_list("label", v.labels.as_ref().unwrap_or(&BTreeMap::new())))
            .collect())
    }
    // ANCHOR_END: list_volumes

    // ANCHOR: remove_volume
    /// `docker volume rm [-f] NAME`: refused while a container (running or not) has it
    /// mounted, whatever `force` says; `force` only makes a missing volume no error.
    pub fn remove_volume(&self, name: &str, force: bool) -> Result<(), VolumeError> {
        let store = self.volume_store();
        let lock = store.lock()?;
        if store.get(name)?.is_none() {
            return match force {
                true => Ok(()),
                false => Err(VolumeError::NotFound(name.to_owned())),
            };
        }
        if let Some(containers) = self.volume_references()?.remove(name) {
            return Err(VolumeError::InUse {
                name: name.to_owned(),
                containers,
            });
        }
        store.remove(&lock, name)?;
        drop(lock);
        self.volume_event(name, "destroy", &[]);
        Ok(())
    }
    // ANCHOR_END: remove_volume

    // ANCHOR: prune_volumes
    /// `docker volume prune`: every volume no container uses (API 1.41: named ones too), that
    /// has the `label=` labels and none of the `label!=` ones; with the bytes they held.
    pub fn prune_volumes(&self, filters: &Filters) -> Result<VolumePruneReport, EngineError> {
        filters.validate(&VOLUME_PRUNE_FILTERS)?;
        let store = self.volume_store();
        let lock = store.lock().map_err(volume_error)?;
        let references = self.volume_references().map_err(volume_error)?;
        let mut report = VolumePruneReport::default();
        for volume in store.list().map_err(volume_error)? {
            let labels = volume.labels.clone().unwrap_or_default();
            if references.contains_key(&volume.name)
                || !filters.match_kv_list("label", &labels)
                || has_any_label(&labels, &filters.get("label!"))
            {
                continue;
            }
            let size = dir_size(Path::new(&volume.mountpoint));
            // no `destroy` event for each: dockerd's prune says only `prune`
            store.remove(&lock, &volume.name).map_err(volume_error)?;
            report.space_reclaimed += size;
            report.volumes_deleted.push(volume.name);
        }
        self.prune_event("volume", report.space_reclaimed);
        Ok(report)
    }
    // ANCHOR_END: prune_volumes

    /// The volumes of `system df`, each with `UsageData`: how many containers use it and the
    /// bytes in it.
    pub fn volumes_usage(&self) -> Result<Vec<Volume>, VolumeError> {
        let references = self.volume_references()?;
        Ok(self
            .volume_store()
            .list()?
            .into_iter()
            .map(|v| Volume {
                usage_data: Some(UsageData {
                    ref_count: references.get(&v.name).map_or(0, Vec::len) as i64,
                    size: dir_size(Path::new(&v.mountpoint)) as i64,
                }),
                ..v
            })
            .collect())
    }
}

/// A volume error where the engine's is expected, with its status kept as the kind.
fn volume_error(e: VolumeError) -> EngineError {
    match e.status() {
        404 => EngineError::NotFound(e.to_string()),
        409 => EngineError::Conflict(e.to_string()),
        400 => EngineError::Invalid(e.to_string()),
        _ => EngineError::System(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> (tempfile::TempDir, Engine) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        (dir, engine)
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
    }

    fn names(volumes: &[Volume]) -> Vec<&str> {
        volumes.iter().map(|v| v.name.as_str()).collect()
    }

    #[test]
    fn create_inspect_list_and_remove() {
        let (_dir, engine) = engine();
        let made = engine
            .create_volume("data", "", labels(&[("a", "b")]), BTreeMap::new())
            .unwrap();
        assert_eq!(made.labels, Some(labels(&[("a", "b")])));
        // again: the same volume, labels unchanged
        let again = engine
            .create_volume("data", "local", BTreeMap::new(), BTreeMap::new())
            .unwrap();
        assert_eq!(again, made);
        let anonymous = engine
            .create_volume("", "", BTreeMap::new(), BTreeMap::new())
            .unwrap();
        assert_eq!(anonymous.name.len(), 64);
        assert_eq!(engine.inspect_volume("data").unwrap(), made);
        let all = engine.list_volumes(&Filters::default()).unwrap();
        assert_eq!(all.len(), 2);
        let mut f = Filters::default();
        f.add("label", "a=b");
        assert_eq!(names(&engine.list_volumes(&f).unwrap()), ["data"]);
        let mut f = Filters::default();
        f.add("name", "at");
        assert_eq!(names(&engine.list_volumes(&f).unwrap()), ["data"]);
        let mut f = Filters::default();
        f.add("driver", "loc");
        assert!(engine.list_volumes(&f).unwrap().is_empty());
        let mut f = Filters::default();
        f.add("dangling", "maybe");
        assert_eq!(
            engine.list_volumes(&f).unwrap_err().to_string(),
            "Invalid filter 'dangling=[maybe]'"
        );
        let mut f = Filters::default();
        f.add("label!", "a");
        assert_eq!(
            engine.list_volumes(&f).unwrap_err().to_string(),
            "Invalid filter 'label!'"
        );
        engine.remove_volume("data", false).unwrap();
        assert_eq!(
            engine.remove_volume("data", false).unwrap_err().to_string(),
            "get data: no such volume"
        );
        engine.remove_volume("data", true).unwrap();
        let events = std::fs::read_to_string(engine.events.path()).unwrap();
        assert!(
            events.starts_with(r#"{"Type":"volume","Action":"create","Actor":{"ID":"data","Attributes":{"driver":"local"}},"scope":"local","time":"#),
            "{events}"
        );
        let actions: Vec<_> = engine.events.read_all().0.into_iter().map(|e| e.action).collect();
        // the second create of `data` is one too, as in dockerd
        assert_eq!(actions, ["create", "create", "create", "destroy"]);
        assert_eq!(
            engine
                .create_volume("x1", "foo", BTreeMap::new(), BTreeMap::new())
                .unwrap_err()
                .to_string(),
            "create x1: error looking up volume plugin foo: plugin \"foo\" not found"
        );
    }

    #[test]
    fn prune_takes_unused_volumes_by_label_and_counts_their_bytes() {
        let (_dir, engine) = engine();
        engine
            .create_volume("keep", "", labels(&[("keep", "")]), BTreeMap::new())
            .unwrap();
        let full = engine
            .create_volume("full", "", BTreeMap::new(), BTreeMap::new())
            .unwrap();
        std::fs::write(Path::new(&full.mountpoint).join("f"), "12345").unwrap();
        let mut f = Filters::default();
        f.add("label!", "keep");
        let report = engine.prune_volumes(&f).unwrap();
        assert_eq!(
            report,
            VolumePruneReport {
                volumes_deleted: vec!["full".into()],
                space_reclaimed: 5
            }
        );
        assert_eq!(
            serde_json::to_string(&VolumePruneReport::default()).unwrap(),
            r#"{"VolumesDeleted":[],"SpaceReclaimed":0}"#
        );
        let mut f = Filters::default();
        f.add("all", "true");
        assert_eq!(
            engine.prune_volumes(&f).unwrap_err().to_string(),
            "Invalid filter 'all'"
        );
        let usage = engine.volumes_usage().unwrap();
        assert_eq!(
            usage[0].usage_data,
            Some(UsageData {
                ref_count: 0,
                size: 0
            })
        );
    }
}
