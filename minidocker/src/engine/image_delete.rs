//! Removing images: `docker rmi` and `docker image prune`, with Docker's rules for what may go.
//!
//! Removing a *name* only untags, unless it was the image's last name; removing an *image*
//! deletes its config and releases its layers top down, each one only if nothing else (another
//! image, a layer built on it, a container's writable layer) still uses it.
//!
//! ```text
//!  conflict                               without -f        with -f
//!  a child image is built on it           refused           refused (cannot be forced)
//!  a running container uses it            refused           refused (cannot be forced)
//!  a stopped container uses it            refused           deleted; the layers stay
//!  named in several repositories (by id)  refused           every name untagged, deleted
//! ```

use std::collections::HashMap;

use ch05_images::{Digest, Reference};
use serde::{Deserialize, Serialize};

use super::filters::Filters;
use super::go_json::{nil_if_empty, null_as_default};
use super::{Engine, EngineError};
use crate::container::Container;

/// One line of `docker rmi`'s output (`Untagged: …` / `Deleted: …`); in the API
/// `{"Untagged": …}` or `{"Deleted": …}` (Docker's `types.ImageDeleteResponseItem`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeleteRecord {
    /// A familiar name, `busybox:latest`.
    Untagged(String),
    /// An image id or a released layer's chain id, `sha256:…`.
    Deleted(String),
}

/// What `docker image prune` removed (`types.ImagesPruneReport` in the API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneReport {
    #[serde(
        rename = "ImagesDeleted",
        serialize_with = "nil_if_empty",
        deserialize_with = "null_as_default",
        default
    )]
    pub records: Vec<DeleteRecord>,
    /// The bytes of the layers it released.
    #[serde(rename = "SpaceReclaimed")]
    pub space_reclaimed: u64,
}

/// The filters `docker image prune` accepts.
pub const IMAGE_PRUNE_FILTERS: [&str; 4] = ["dangling", "label", "label!", "until"];

/// What may keep an image from being deleted (Docker's `conflictType` bits).
#[derive(Debug, Clone, Copy)]
struct ConflictMask {
    child: bool,
    running: bool,
    reference: bool,
    stopped: bool,
}

impl ConflictMask {
    const HARD: ConflictMask = ConflictMask {
        child: true,
        running: true,
        reference: false,
        stopped: false,
    };

    fn with_soft(self, reference: bool) -> ConflictMask {
        ConflictMask {
            reference,
            stopped: true,
            ..self
        }
    }
}

/// A reason not to delete, worded as Docker's `imageDeleteConflict`.
#[derive(Debug)]
struct Conflict {
    hard: bool,
    /// A container uses the image (reported even by a quiet prune of a dangling image).
    used: bool,
    image: Digest,
    message: String,
}

impl Conflict {
    fn into_error(self) -> EngineError {
        let force = if self.hard {
            "cannot be forced"
        } else {
            "must be forced"
        };
        EngineError::Conflict(format!(
            "conflict: unable to delete {} ({force}) - {}",
            self.image.short(),
            self.message
        ))
    }
}

/// The first 12 hex digits of a container id.
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Docker's `isSingleReference`: at most one tag, and every digest reference in its repository.
fn is_single_reference(names: &[Reference]) -> bool {
    if names.len() <= 1 {
        return names.len() == 1;
    }
    let mut tag = None;
    let mut digest_repos = std::collections::BTreeSet::new();
    for name in names {
        if name.digest.is_some() {
            digest_repos.insert(name.name());
        } else if tag.is_none() {
            tag = Some(name);
        } else {
            return false;
        }
    }
    let single = tag.unwrap_or(&names[0]);
    digest_repos.len() == 1 && digest_repos.contains(&single.name())
}

/// Whether `given` is a prefix of the id, with or without `sha256:` (`docker rmi 3f5`).
fn is_id_prefix(id: &Digest, given: &str) -> bool {
    id.to_string().starts_with(given) || id.hex().starts_with(given)
}

/// The containers, and whether each one runs, for the conflict checks.
struct ContainerUse {
    containers: Vec<(Container, bool)>,
}

impl ContainerUse {
    fn first(&self, image: &Digest, running: Option<bool>) -> Option<&Container> {
        let id = image.to_string();
        self.containers
            .iter()
            .find(|(c, r)| c.image == id && running.is_none_or(|want| want == *r))
            .map(|(c, _)| c)
    }
}

impl Engine {
    fn container_use(&self) -> Result<ContainerUse, EngineError> {
        Ok(ContainerUse {
            containers: self
                .list_containers()?
                .into_iter()
                .map(|s| (s.container, s.running))
                .collect(),
        })
    }

    /// Removes `name` of image `id`, noted in `records`, with Docker's `untag` event (which
    /// names the image by its id).
    fn untag_record(
        &self,
        id: &Digest,
        name: &Reference,
        records: &mut Vec<DeleteRecord>,
    ) -> Result<(), EngineError> {
        self.images.untag(name)?;
        records.push(DeleteRecord::Untagged(name.familiar_string()));
        self.image_event(&id.to_string(), &id.to_string(), "untag");
        Ok(())
    }

    // ANCHOR: delete_image
    /// `docker rmi NAME`: what was untagged and deleted, in Docker's order. `name` is a
    /// reference (`busybox`, `busybox:1`, `busybox@sha256:…`) or an id or id prefix; `prune`
    /// also deletes the parents that no longer have a name or a user (`--no-prune` turns it off).
    pub fn delete_image(
        &self,
        name: &str,
        force: bool,
        prune: bool,
    ) -> Result<Vec<DeleteRecord>, EngineError> {
        let id = self.resolve_image(name)?;
        let users = self.container_use()?;
        let mut names = self.image_names(&id)?;
        let mut records = Vec::new();
        let mut removed_name = false;
        if !is_id_prefix(&id, name) {
            // A name was given: remove it. If it is the image's only name and a container uses
            // the image, the image would be left dangling: that takes -f.
            if !force && is_single_reference(&names) {
                if let Some(c) = users.first(&id, None) {
                    return Err(EngineError::Conflict(format!(
                        "conflict: unable to remove repository reference {name:?} (must force) - container {} is using its referenced image {}",
                        short(&c.id),
                        id.short()
                    )));
                }
            }
            let given = Reference::parse_normalized(name)?;
            self.untag_record(&id, &given, &mut records)?;
            names = self.image_names(&id)?;
            // The last tag of a repository takes the repository's digest references with it.
            let repo_keeps_a_tag = names
                .iter()
                .any(|n| n.digest.is_none() && n.name() == given.name());
            if given.digest.is_none() && !repo_keeps_a_tag {
                for n in names
                    .iter()
                    .filter(|n| n.digest.is_some() && n.name() == given.name())
                {
                    self.untag_record(&id, n, &mut records)?;
                }
                names = self.image_names(&id)?;
            }
            if !names.is_empty() {
                return Ok(records);
            }
            removed_name = true;
        } else if is_single_reference(&names) {
            // An id was given and the image has one name (and its digests): remove them too.
            let mask = if force {
                ConflictMask::HARD
            } else {
                ConflictMask::HARD.with_soft(false)
            };
            if let Some(conflict) = self.delete_conflict(&id, mask, &users)? {
                return Err(conflict.into_error());
            }
            for n in &names {
                self.untag_record(&id, n, &mut records)?;
            }
        }
        self.delete_image_helper(&id, &mut records, force, prune, removed_name, &users)?;
        Ok(records)
    }
    // ANCHOR_END: delete_image

    /// Delete image `id` (its remaining names first) unless a conflict forbids it; then, with
    /// `prune`, its parent, quietly. `quiet` ignores conflicts, except for a dangling image
    /// or one a container uses.
    fn delete_image_helper(
        &self,
        id: &Digest,
        records: &mut Vec<DeleteRecord>,
        force: bool,
        prune: bool,
        quiet: bool,
        users: &ContainerUse,
    ) -> Result<(), EngineError> {
        let mask = if force {
            ConflictMask::HARD
        } else {
            ConflictMask::HARD.with_soft(true)
        };
        if let Some(conflict) = self.delete_conflict(id, mask, users)? {
            let dangling = self.images.references_to(id)?.is_empty() && self.images.children(id)?.is_empty();
            if quiet && (!dangling || conflict.used) {
                return Ok(());
            }
            return Err(conflict.into_error());
        }
        let parent = self.images.get_parent(id)?;
        for n in self.image_names(id)? {
            self.untag_record(id, &n, records)?;
        }
        let released = self.images.remove(id)?;
        records.push(DeleteRecord::Deleted(id.to_string()));
        self.image_event(&id.to_string(), &id.to_string(), "delete");
        for layer in &released {
            self.delete_layer_files(layer);
            records.push(DeleteRecord::Deleted(layer.chain_id.to_string()));
        }
        match parent {
            Some(parent) if prune && self.images.exists(&parent) => {
                self.delete_image_helper(&parent, records, false, true, true, users)
            }
            _ => Ok(()),
        }
    }

    /// The first reason (in Docker's order) the image may not be deleted, among `mask`.
    fn delete_conflict(
        &self,
        id: &Digest,
        mask: ConflictMask,
        users: &ContainerUse,
    ) -> Result<Option<Conflict>, EngineError> {
        let conflict = |hard, used, message: String| {
            Some(Conflict {
                hard,
                used,
                image: id.clone(),
                message,
            })
        };
        if mask.child && !self.images.children(id)?.is_empty() {
            return Ok(conflict(true, false, "image has dependent child images".into()));
        }
        if mask.running {
            if let Some(c) = users.first(id, Some(true)) {
                let message = format!("image is being used by running container {}", short(&c.id));
                return Ok(conflict(true, true, message));
            }
        }
        if mask.reference && !self.images.references_to(id)?.is_empty() {
            return Ok(conflict(
                false,
                false,
                "image is referenced in multiple repositories".into(),
            ));
        }
        if mask.stopped {
            if let Some(c) = users.first(id, Some(false)) {
                let message = format!("image is being used by stopped container {}", short(&c.id));
                return Ok(conflict(false, true, message));
            }
        }
        Ok(None)
    }

    // ANCHOR: prune_images
    /// `docker image prune`: delete the dangling images (with `dangling=false`, every image no
    /// container uses), as `rmi` would without -f; images in conflict are skipped silently.
    pub fn prune_images(&self, filters: &Filters) -> Result<PruneReport, EngineError> {
        filters.validate(&IMAGE_PRUNE_FILTERS)?;
        let dangling_only = filters.dangling_for_prune()? != Some(false);
        let until = super::container_prune::prune_until(filters)?;
        let index = self.image_index()?;
        let mut report = PruneReport::default();
        for image in &index.images {
            let names = index.names_of(&image.id);
            let has_children = index.has_children.contains(&image.id);
            // only "heads" when pruning dangling images; never an unnamed intermediate image
            if has_children && (dangling_only || names.is_empty()) {
                continue;
            }
            if until.is_some_and(|u| image.created_at().is_some_and(|c| c > u)) {
                continue;
            }
            let labels = image.config.config.labels.clone().unwrap_or_default();
            if !filters.match_kv_list("label", &labels)
                || (filters.contains("label!") && filters.match_kv_list("label!", &labels))
            {
                continue;
            }
            let targets: Vec<String> = if names.is_empty() {
                vec![image.id.hex().to_owned()]
            } else if !dangling_only || names.iter().all(|n| n.tag.is_none()) {
                names.iter().map(|n| n.to_string()).collect()
            } else {
                Vec::new()
            };
            for target in targets {
                match self.delete_image(&target, false, true) {
                    Ok(records) => report.records.extend(records),
                    Err(EngineError::Conflict(_)) => {}
                    Err(e) => tracing::warn!(image = %target, error = %e, "failed to prune image"),
                }
            }
        }
        let sizes: HashMap<String, u64> = index
            .layers
            .values()
            .map(|l| (l.chain_id.to_string(), l.size))
            .collect();
        report.space_reclaimed = report
            .records
            .iter()
            .filter_map(|r| match r {
                DeleteRecord::Deleted(id) => sizes.get(id),
                DeleteRecord::Untagged(_) => None,
            })
            .sum();
        Ok(report)
    }
    // ANCHOR_END: prune_images
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reference {
        Reference::parse_normalized(s).unwrap()
    }

    #[test]
    fn single_reference_is_one_tag_and_its_digests() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert!(!is_single_reference(&[]));
        assert!(is_single_reference(&[r("busybox")]));
        assert!(!is_single_reference(&[r("busybox"), r("busybox:2")]));
        assert!(is_single_reference(&[r("busybox"), r(&format!("busybox@{d}"))]));
        assert!(!is_single_reference(&[r("busybox"), r(&format!("other@{d}"))]));
        assert!(is_single_reference(&[r(&format!("busybox@{d}"))]));
    }

    #[test]
    fn records_and_reports_serialize_as_dockers() {
        let records = vec![
            DeleteRecord::Untagged("app:1".into()),
            DeleteRecord::Deleted("sha256:ab".into()),
        ];
        assert_eq!(
            serde_json::to_string(&records).unwrap(),
            r#"[{"Untagged":"app:1"},{"Deleted":"sha256:ab"}]"#
        );
        let report = PruneReport {
            records,
            space_reclaimed: 6,
        };
        assert_eq!(
            serde_json::to_string(&report).unwrap(),
            r#"{"ImagesDeleted":[{"Untagged":"app:1"},{"Deleted":"sha256:ab"}],"SpaceReclaimed":6}"#
        );
        assert_eq!(
            serde_json::to_string(&PruneReport::default()).unwrap(),
            r#"{"ImagesDeleted":null,"SpaceReclaimed":0}"#
        );
    }

    #[test]
    fn id_prefixes() {
        let id = Digest::of(b"x");
        assert!(is_id_prefix(&id, &id.hex()[..5]));
        assert!(is_id_prefix(&id, &format!("sha256:{}", &id.hex()[..5])));
        assert!(!is_id_prefix(&id, "busybox"));
    }
}

#[cfg(test)]
mod engine_tests {
    use super::super::images::test_support::{engine, put};
    use super::*;

    fn records(r: &[DeleteRecord]) -> Vec<String> {
        r.iter()
            .map(|r| match r {
                DeleteRecord::Untagged(n) => format!("Untagged: {n}"),
                DeleteRecord::Deleted(id) => format!("Deleted: {}", &id[..19]),
            })
            .collect()
    }

    #[test]
    fn a_name_is_untagged_and_the_last_name_deletes() {
        let (_dir, engine) = engine();
        let id = put(&engine, "2024-01-01T00:00:00Z", &[], Some("app:1"));
        engine
            .tag_image("app:1", &Reference::parse_normalized("app:2").unwrap())
            .unwrap();
        let r = engine.delete_image("app:1", false, true).unwrap();
        assert_eq!(records(&r), ["Untagged: app:1"]);
        let r = engine.delete_image("app:2", false, true).unwrap();
        assert_eq!(
            records(&r),
            [
                "Untagged: app:2".to_owned(),
                format!("Deleted: {}", &id.to_string()[..19])
            ]
        );
        assert!(!engine.images.exists(&id));
        let err = engine.delete_image("app:2", false, true).unwrap_err();
        assert_eq!(err.to_string(), "No such image: app:2");
    }

    #[test]
    fn an_id_with_names_in_several_repositories_takes_force() {
        let (_dir, engine) = engine();
        let id = put(&engine, "2024-01-01T00:00:00Z", &[], Some("one:1"));
        engine
            .tag_image("one:1", &Reference::parse_normalized("two:1").unwrap())
            .unwrap();
        let err = engine.delete_image(&id.hex()[..6], false, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
                id.short()
            )
        );
        let r = engine.delete_image(&id.hex()[..6], true, true).unwrap();
        assert_eq!(
            records(&r),
            [
                "Untagged: one:1".to_owned(),
                "Untagged: two:1".to_owned(),
                format!("Deleted: {}", &id.to_string()[..19])
            ]
        );
    }

    #[test]
    fn children_block_deletion_and_prune_removes_unnamed_parents() {
        let (_dir, engine) = engine();
        let parent = put(&engine, "2024-01-01T00:00:00Z", &[], None);
        let child = put(&engine, "2024-01-02T00:00:00Z", &[], Some("child:1"));
        engine.images.set_parent(&child, &parent).unwrap();
        let err = engine.delete_image(parent.hex(), true, true).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "conflict: unable to delete {} (cannot be forced) - image has dependent child images",
                parent.short()
            )
        );
        let r = engine.delete_image("child:1", false, true).unwrap();
        assert_eq!(records(&r).len(), 3, "untag, the child, then its parent: {r:?}");
        assert!(!engine.images.exists(&parent));

        let parent = put(&engine, "2024-01-01T00:00:00Z", &[], None);
        let child = put(&engine, "2024-01-02T00:00:00Z", &[], Some("child:1"));
        engine.images.set_parent(&child, &parent).unwrap();
        let r = engine.delete_image("child:1", false, false).unwrap();
        assert_eq!(records(&r).len(), 2, "--no-prune keeps the parent");
        assert!(engine.images.exists(&parent));
    }

    #[test]
    fn prune_takes_dangling_images_or_with_dangling_false_every_unused_one() {
        let (_dir, engine) = engine();
        let dangling = put(&engine, "2024-01-01T00:00:00Z", &[("keep", "no")], None);
        let named = put(&engine, "2024-01-02T00:00:00Z", &[], Some("named:1"));
        let mut f = Filters::parse(&["label=keep=yes"]).unwrap();
        f.add("dangling", "true");
        assert!(
            engine.prune_images(&f).unwrap().records.is_empty(),
            "label does not match"
        );
        let f = Filters::parse(&["dangling=true"]).unwrap();
        let report = engine.prune_images(&f).unwrap();
        assert_eq!(
            records(&report.records),
            [format!("Deleted: {}", &dangling.to_string()[..19])]
        );
        assert_eq!(report.space_reclaimed, 0, "no layers");
        assert!(engine.images.exists(&named));
        let f = Filters::parse(&["dangling=true", "dangling=false", "until=2024-01-03T00:00:00Z"]).unwrap();
        let report = engine.prune_images(&f).unwrap();
        assert_eq!(records(&report.records)[0], "Untagged: named:1");
        assert!(!engine.images.exists(&named));
        let f = Filters::parse(&["until=1h", "until=2h"]).unwrap();
        assert_eq!(
            engine.prune_images(&f).unwrap_err().to_string(),
            "more than one until filter specified"
        );
        let f = Filters::parse(&["reference=x"]).unwrap();
        assert_eq!(
            engine.prune_images(&f).unwrap_err().to_string(),
            "Invalid filter 'reference'"
        );
    }
}
