//! Images in the engine: importing a rootfs tar, finding the image a container starts from,
//! tagging, and listing them as `docker images` does. `rmi` and `image prune` are in
//! `image_delete.rs`, `inspect` and `history` in `image_inspect.rs`; `pull`, `push`, `save`,
//! `load` and `commit` live in their own modules.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use ch05_images::{Digest, History, Image, ImageConfig, LayerMeta, Reference, ReferenceError, StoreError};
use serde::{Deserialize, Serialize};

use super::filters::{Filters, PatternError, path_match};
use super::go_json::{nil_if_empty, null_as_default};
use super::pull::{Layer, decompressed};
use super::{Engine, EngineError};

/// `time.Time{}.Unix()`: Go's zero time, for an image without `created`.
pub const GO_ZERO_UNIX: i64 = -62_135_596_800;

// ANCHOR: image_summary
/// One image as `docker images` (`GET /images/json`) describes it. It serializes to Docker's
/// `types.ImageSummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "ImageSummaryJson", try_from = "ImageSummaryJson")]
pub struct ImageSummary {
    pub id: Digest,
    /// The image it was built on (`commit`, `build`), if any.
    pub parent: Option<Digest>,
    /// Familiar `repo:tag` names, `["<none>:<none>"]` for a dangling image.
    pub repo_tags: Vec<String>,
    /// Familiar `repo@sha256:…` names, `["<none>@<none>"]` for a dangling image.
    pub repo_digests: Vec<String>,
    /// Seconds since the epoch ([`GO_ZERO_UNIX`] when unknown).
    pub created: i64,
    /// The bytes of all its layers.
    pub size: u64,
    /// Bytes of layers other listed images use too; -1 when not computed.
    pub shared_size: i64,
    /// Containers created from it; -1 when not computed.
    pub containers: i64,
    /// The config's labels; `None` when it has none at all (Docker prints `null`, and `{}`
    /// for an image whose config says `"Labels": {}`, as committed images do).
    pub labels: Option<BTreeMap<String, String>>,
}
// ANCHOR_END: image_summary

/// `types.ImageSummary` in Docker's field order, what [`ImageSummary`] is on the wire both ways:
/// the lists are `null` when empty, `ParentId` is `""` without a parent.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImageSummaryJson {
    containers: i64,
    created: i64,
    id: Digest,
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    parent_id: String,
    #[serde(
        serialize_with = "nil_if_empty",
        deserialize_with = "null_as_default",
        default
    )]
    repo_digests: Vec<String>,
    #[serde(
        serialize_with = "nil_if_empty",
        deserialize_with = "null_as_default",
        default
    )]
    repo_tags: Vec<String>,
    shared_size: i64,
    size: u64,
    /// The same as `Size` since Docker 1.10 (removed from the API in 1.44).
    #[serde(default)]
    virtual_size: u64,
}

impl From<ImageSummary> for ImageSummaryJson {
    fn from(s: ImageSummary) -> ImageSummaryJson {
        ImageSummaryJson {
            containers: s.containers,
            created: s.created,
            parent_id: s.parent.as_ref().map(Digest::to_string).unwrap_or_default(),
            id: s.id,
            labels: s.labels,
            repo_digests: s.repo_digests,
            repo_tags: s.repo_tags,
            shared_size: s.shared_size,
            virtual_size: s.size,
            size: s.size,
        }
    }
}

impl TryFrom<ImageSummaryJson> for ImageSummary {
    type Error = ch05_images::DigestError;

    fn try_from(j: ImageSummaryJson) -> Result<ImageSummary, Self::Error> {
        Ok(ImageSummary {
            parent: match j.parent_id.as_str() {
                "" => None,
                parent => Some(parent.parse()?),
            },
            id: j.id,
            repo_tags: j.repo_tags,
            repo_digests: j.repo_digests,
            created: j.created,
            size: j.size,
            shared_size: j.shared_size,
            containers: j.containers,
            labels: j.labels,
        })
    }
}

impl ImageSummary {
    /// No name at all: `<none>:<none>` (Docker's `isDangling`).
    pub fn is_dangling(&self) -> bool {
        self.repo_tags == ["<none>:<none>"] && self.repo_digests == ["<none>@<none>"]
    }
}

/// The filters `docker images` accepts.
pub const IMAGE_LIST_FILTERS: [&str; 5] = ["dangling", "label", "before", "since", "reference"];

/// Docker's `FamiliarMatch`: the pattern against `busybox:latest`, then against `busybox`.
pub fn reference_matches(pattern: &str, reference: &Reference) -> Result<bool, PatternError> {
    let matched = path_match(pattern, &reference.familiar_string());
    match matched {
        Ok(true) => Ok(true),
        other => match path_match(pattern, &reference.familiar_name()) {
            Ok(true) => Ok(true),
            _ => other,
        },
    }
}

/// What the engine knows about every image at one moment: names, parents, layer records.
/// Built once per listing so each image is not looked up again for every other one.
pub(super) struct ImageIndex {
    pub images: Vec<Image>,
    /// Names by image, sorted as Docker sorts them (by the full name: `docker.io/…`).
    pub names: HashMap<Digest, Vec<Reference>>,
    pub parents: HashMap<Digest, Digest>,
    /// Images that are the parent of another image.
    pub has_children: HashSet<Digest>,
    pub layers: HashMap<Digest, LayerMeta>,
}

impl ImageIndex {
    pub fn names_of(&self, id: &Digest) -> &[Reference] {
        self.names.get(id).map(Vec::as_slice).unwrap_or_default()
    }

    /// The sum of the sizes of the image's layers (Docker's `layer.Size()` of its top layer).
    pub fn size_of(&self, image: &Image) -> u64 {
        image
            .chain_ids()
            .iter()
            .filter_map(|c| self.layers.get(c))
            .map(|l| l.size)
            .sum()
    }
}

/// A name as Docker's reference store sorts it: the full form, `docker.io/library/busybox:latest`.
pub(super) fn sort_names(names: &mut [Reference]) {
    names.sort_by_key(|r| r.to_string());
}

/// A reference error as the daemon words it: Docker 20.10's reference parser words the
/// uppercase error without the repository (`repository name must be lowercase`).
fn daemon_reference_error(e: ReferenceError) -> EngineError {
    match e {
        ReferenceError::Uppercase(_) => {
            EngineError::Invalid("invalid reference format: repository name must be lowercase".to_owned())
        }
        other => other.into(),
    }
}

/// `name` parsed and normalised as the daemon parses it (no default tag added).
pub fn parse_daemon_reference(name: &str) -> Result<Reference, EngineError> {
    Reference::parse_name(name).map_err(daemon_reference_error)
}

impl Engine {
    /// The image id `name` names, with the daemon's wording of reference errors.
    pub fn resolve_image(&self, name: &str) -> Result<Digest, EngineError> {
        self.images.resolve(name).map_err(|e| match e {
            StoreError::Reference(r) => daemon_reference_error(r),
            other => other.into(),
        })
    }

    /// The names of image `id`, sorted as Docker sorts them.
    pub fn image_names(&self, id: &Digest) -> Result<Vec<Reference>, EngineError> {
        let mut names = self.images.references_to(id)?;
        sort_names(&mut names);
        Ok(names)
    }

    /// Give image `id` the name `reference` (`:latest` when it has no tag) and record when
    /// (`Metadata.LastTagTime`). The `tag` event names it as it was given, as Docker's does.
    pub(super) fn tag_id(&self, id: &Digest, reference: &Reference) -> Result<(), EngineError> {
        if reference.familiar_name() == "sha256" {
            return Err(EngineError::Invalid(
                "refusing to create an ambiguous tag using digest algorithm as name".to_owned(),
            ));
        }
        let tagged = match reference.tag {
            Some(_) => reference.clone(),
            None => reference.with_tag(ch05_images::reference::DEFAULT_TAG)?,
        };
        self.images.tag(id, &tagged)?;
        self.images.set_last_updated(id, chrono::Utc::now())?;
        self.image_event(&id.to_string(), &reference.familiar_string(), "tag");
        Ok(())
    }

    // ANCHOR: tag
    /// `docker tag SOURCE TARGET`: `target` (already parsed by the CLI, with its tag) now names
    /// the image `source` names; it is moved from the image it named before, if any.
    pub fn tag_image(&self, source: &str, target: &Reference) -> Result<(), EngineError> {
        let id = self.resolve_image(source)?;
        self.tag_id(&id, target)
    }
    // ANCHOR_END: tag

    pub(super) fn image_index(&self) -> Result<ImageIndex, EngineError> {
        let images = self.images.list()?;
        let mut names: HashMap<Digest, Vec<Reference>> = HashMap::new();
        for (reference, id) in self.images.references()? {
            names.entry(id).or_default().push(reference);
        }
        names.values_mut().for_each(|n| sort_names(n));
        let mut parents = HashMap::new();
        for image in &images {
            if let Some(parent) = self.images.get_parent(&image.id)? {
                parents.insert(image.id.clone(), parent);
            }
        }
        let has_children = parents.values().cloned().collect();
        let mut layers = HashMap::new();
        for chain_id in self.images.layer_ids()? {
            layers.insert(chain_id.clone(), self.images.layer(&chain_id)?);
        }
        Ok(ImageIndex {
            images,
            names,
            parents,
            has_children,
            layers,
        })
    }

    // ANCHOR: list_images
    /// `docker images`: the images `filters` select, newest first. Without `all`, an unnamed
    /// image that another image is built on (an intermediate image) is left out.
    pub fn list_images(&self, filters: &Filters, all: bool) -> Result<Vec<ImageSummary>, EngineError> {
        let index = self.image_index()?;
        self.list_images_in(&index, filters, all)
    }

    pub(super) fn list_images_in(
        &self,
        index: &ImageIndex,
        filters: &Filters,
        all: bool,
    ) -> Result<Vec<ImageSummary>, EngineError> {
        filters.validate(&IMAGE_LIST_FILTERS)?;
        let dangling_only = filters.dangling_for_list()? == Some(true);
        let created_of = |name: &str| -> Result<chrono::DateTime<chrono::Utc>, EngineError> {
            let id = self.resolve_image(name)?;
            Ok(created_time(&self.images.get(&id)?))
        };
        let before = filters.get("before").last().map(|n| created_of(n)).transpose()?;
        let since = filters.get("since").last().map(|n| created_of(n)).transpose()?;
        let patterns = filters.get("reference");
        let mut out = Vec::new();
        for image in &index.images {
            if dangling_only && index.has_children.contains(&image.id) {
                continue; // Docker lists only "heads" for dangling=true
            }
            let created = created_time(image);
            if before.is_some_and(|b| created >= b) || since.is_some_and(|s| created <= s) {
                continue;
            }
            let labels = image.config.config.labels.clone();
            if !filters.match_kv_list("label", labels.as_ref().unwrap_or(&BTreeMap::new())) {
                continue;
            }
            let mut repo_tags = Vec::new();
            let mut repo_digests = Vec::new();
            for name in index.names_of(&image.id) {
                if !patterns.is_empty() {
                    let mut found = false;
                    for pattern in &patterns {
                        found = reference_matches(pattern, name)
                            .map_err(|e| EngineError::Invalid(e.to_string()))?;
                        if found {
                            break;
                        }
                    }
                    if !found {
                        continue;
                    }
                }
                if name.digest.is_some() {
                    repo_digests.push(name.familiar_string());
                }
                if name.tag.is_some() {
                    repo_tags.push(name.familiar_string());
                }
            }
            if repo_tags.is_empty() && repo_digests.is_empty() {
                if !all && index.has_children.contains(&image.id) {
                    continue; // an intermediate image
                }
                if filters.contains("dangling") && !dangling_only {
                    continue;
                }
                if !patterns.is_empty() {
                    continue;
                }
                repo_tags = vec!["<none>:<none>".to_owned()];
                repo_digests = vec!["<none>@<none>".to_owned()];
            } else if dangling_only && !repo_tags.is_empty() {
                continue;
            }
            out.push((
                created,
                ImageSummary {
                    id: image.id.clone(),
                    parent: index.parents.get(&image.id).cloned(),
                    repo_tags,
                    repo_digests,
                    created: created_unix(image),
                    size: index.size_of(image),
                    shared_size: -1,
                    containers: -1,
                    labels,
                },
            ));
        }
        out.sort_by(|(a_time, a), (b_time, b)| b_time.cmp(a_time).then_with(|| a.id.cmp(&b.id)));
        Ok(out.into_iter().map(|(_, summary)| summary).collect())
    }
    // ANCHOR_END: list_images
}

/// `docker import`'s options.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `-m`: the history comment; Docker's default is `Imported from <source>`.
    pub message: Option<String>,
    /// Where the tar came from: `-` for a stream (the CLI sends files as `-` too), or a URL.
    pub source: String,
    /// The new image's container defaults (`-c`, already applied).
    pub config: ch05_images::ContainerConfig,
    pub reference: Option<Reference>,
}

impl Engine {
    // ANCHOR: import
    /// `docker import`: a flat rootfs tar (gzipped or not) becomes a one-layer image; returns
    /// its id.
    pub fn import_image(&self, tar: impl Read, opts: &ImportOptions) -> Result<Image, EngineError> {
        let tar = match decompressed(tar).map_err(|source| EngineError::Io {
            path: "-".into(),
            source,
        })? {
            Layer::Tar(tar) => tar,
            Layer::Unsupported(compression) => {
                return Err(EngineError::Invalid(format!(
                    "unsupported compression {compression} of the imported tar"
                )));
            }
        };
        let layer = self.unpack_layer(None, tar, None)?;
        let comment = opts
            .message
            .clone()
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("Imported from {}", opts.source));
        let mut config = ImageConfig::new_for_host();
        config.comment = Some(comment.clone());
        config.config = opts.config.clone();
        let history = History {
            created: config.created.clone(),
            comment: Some(comment),
            ..History::default()
        };
        config.push_layer(Some(layer.diff_id.clone()), history);
        let image = Image::from_config(config);
        self.images.put_image(&image.raw)?;
        if let Some(reference) = &opts.reference {
            self.tag_id(&image.id, reference)?;
        }
        let id = image.id.to_string();
        self.image_event(&id, &id, "import");
        Ok(image)
    }
    // ANCHOR_END: import

    /// The image `name` names (a reference, an id or an id prefix), with its layers bottom first.
    pub fn image_with_layers(&self, name: &str) -> Result<(Image, Vec<LayerMeta>), EngineError> {
        let id = self.images.resolve(name)?;
        let image = self.images.get(&id)?;
        let layers = self.images.layers_of(&image)?;
        Ok((image, layers))
    }
}

/// `created`, the earliest time when missing or unreadable (Go's zero time sorts first too).
pub fn created_time(image: &Image) -> chrono::DateTime<chrono::Utc> {
    image
        .created_at()
        .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
}

/// `created` as seconds since the epoch, [`GO_ZERO_UNIX`] when missing or unreadable.
pub fn created_unix(image: &Image) -> i64 {
    image.created_at().map_or(GO_ZERO_UNIX, |t| t.timestamp())
}

#[cfg(test)]
pub(super) mod test_support {
    //! Engines in a temporary directory with layerless images (no root needed).

    use std::collections::BTreeMap;

    use ch05_images::{Digest, Image, ImageConfig, Reference};

    use crate::engine::Engine;

    pub fn engine() -> (tempfile::TempDir, Engine) {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        (dir, engine)
    }

    /// Store an image without layers, created at `created`, with `labels`, named `name`.
    pub fn put(engine: &Engine, created: &str, labels: &[(&str, &str)], name: Option<&str>) -> Digest {
        let mut config = ImageConfig::new_for_host();
        config.created = Some(created.to_owned());
        if !labels.is_empty() {
            let map: BTreeMap<String, String> = labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            config.config.labels = Some(map);
        }
        let image = Image::from_config(config);
        let id = engine.images.put_image(&image.raw).unwrap();
        if let Some(name) = name {
            engine
                .tag_image(&id.to_string(), &Reference::parse_normalized(name).unwrap())
                .unwrap();
        }
        id
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{engine, put};
    use super::*;

    fn listed(engine: &Engine, filters: &[&str], all: bool) -> Result<Vec<String>, String> {
        let filters = Filters::parse(filters).unwrap();
        engine
            .list_images(&filters, all)
            .map(|images| {
                images
                    .iter()
                    .map(|i| format!("{}={}", i.id.short(), i.repo_tags.join(",")))
                    .collect()
            })
            .map_err(|e| e.to_string())
    }

    #[test]
    fn lists_newest_first_with_filters_like_dockers() {
        let (_dir, engine) = engine();
        let old = put(&engine, "2024-01-01T00:00:00Z", &[("tier", "db")], Some("old:1"));
        let mid = put(&engine, "2024-02-01T00:00:00Z", &[], None);
        let new = put(
            &engine,
            "2024-03-01T00:00:00.5Z",
            &[("tier", "web")],
            Some("new:1"),
        );
        engine
            .tag_image("new:1", &Reference::parse_normalized("new:2").unwrap())
            .unwrap();
        let (o, m, n) = (old.short(), mid.short(), new.short());
        assert_eq!(
            listed(&engine, &[], false).unwrap(),
            [
                format!("{n}=new:1,new:2"),
                format!("{m}=<none>:<none>"),
                format!("{o}=old:1")
            ]
        );
        assert_eq!(
            listed(&engine, &["dangling=true"], false).unwrap(),
            [format!("{m}=<none>:<none>")]
        );
        assert_eq!(listed(&engine, &["dangling=false"], false).unwrap().len(), 2);
        assert_eq!(listed(&engine, &["label=tier"], false).unwrap().len(), 2);
        assert_eq!(
            listed(&engine, &["label=tier=web"], false).unwrap(),
            [format!("{n}=new:1,new:2")]
        );
        assert_eq!(listed(&engine, &["since=old:1"], false).unwrap().len(), 2);
        assert_eq!(listed(&engine, &["before=new:1"], false).unwrap().len(), 2);
        assert_eq!(
            listed(&engine, &["before=old:1"], false).unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(
            listed(&engine, &["reference=new:2"], false).unwrap(),
            [format!("{n}=new:2")]
        );
        assert_eq!(
            listed(&engine, &["reference=n*"], false).unwrap(),
            [format!("{n}=new:1,new:2")]
        );
        assert_eq!(
            listed(&engine, &["reference=["], false).unwrap_err(),
            "syntax error in pattern"
        );
        assert_eq!(
            listed(&engine, &["since=nosuch"], false).unwrap_err(),
            "No such image: nosuch:latest"
        );
        assert_eq!(
            listed(&engine, &["before=UPPER"], false).unwrap_err(),
            "invalid reference format: repository name must be lowercase"
        );
        assert_eq!(
            listed(&engine, &["until=1h"], false).unwrap_err(),
            "Invalid filter 'until'"
        );
    }

    #[test]
    fn intermediate_images_show_only_with_all() {
        let (_dir, engine) = engine();
        let parent = put(&engine, "2024-01-01T00:00:00Z", &[], None);
        let child = put(&engine, "2024-01-02T00:00:00Z", &[], Some("child:1"));
        engine.images.set_parent(&child, &parent).unwrap();
        assert_eq!(
            listed(&engine, &[], false).unwrap(),
            [format!("{}=child:1", child.short())]
        );
        assert_eq!(listed(&engine, &[], true).unwrap().len(), 2);
        assert!(
            listed(&engine, &["dangling=true"], true).unwrap().is_empty(),
            "not a head"
        );
        let summary = &engine.list_images(&Filters::default(), true).unwrap()[1];
        assert_eq!(summary.parent, None);
        assert!(summary.is_dangling());
    }

    #[test]
    fn summaries_serialize_as_dockers_image_summary() {
        let (_dir, engine) = engine();
        let parent = put(&engine, "2024-01-01T00:00:00Z", &[], None);
        let child = put(&engine, "2024-01-02T00:00:00Z", &[("a", "b")], Some("child:1"));
        engine.images.set_parent(&child, &parent).unwrap();
        let listed = engine.list_images(&Filters::default(), true).unwrap();
        let json = serde_json::to_value(&listed).unwrap();
        // Docker 20.10: names as lists (`null` when there are none), `ParentId` empty when unknown
        assert_eq!(
            json,
            serde_json::json!([
                {"Containers": -1, "Created": 1704153600, "Id": child.to_string(), "Labels": {"a": "b"},
                 "ParentId": parent.to_string(), "RepoDigests": null, "RepoTags": ["child:1"],
                 "SharedSize": -1, "Size": 0, "VirtualSize": 0},
                {"Containers": -1, "Created": 1704067200, "Id": parent.to_string(), "Labels": null,
                 "ParentId": "", "RepoDigests": ["<none>@<none>"], "RepoTags": ["<none>:<none>"],
                 "SharedSize": -1, "Size": 0, "VirtualSize": 0},
            ])
        );
        let keys: Vec<&String> = json[0].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 10);
    }

    #[test]
    fn tagging_moves_names_and_records_the_time() {
        let (_dir, engine) = engine();
        let a = put(&engine, "2024-01-01T00:00:00Z", &[], Some("app:1"));
        let b = put(&engine, "2024-01-02T00:00:00Z", &[], None);
        assert!(
            engine.images.last_updated(&a).unwrap().is_some(),
            "LastTagTime set"
        );
        engine
            .tag_image(&b.to_string(), &Reference::parse_normalized("app:1").unwrap())
            .unwrap();
        assert!(engine.image_names(&a).unwrap().is_empty(), "a is dangling now");
        let err = engine
            .tag_image("app:1", &Reference::parse_normalized("sha256:x").unwrap())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "refusing to create an ambiguous tag using digest algorithm as name"
        );
        let err = engine
            .tag_image("nosuch", &Reference::parse_normalized("x").unwrap())
            .unwrap_err();
        assert_eq!(err.to_string(), "No such image: nosuch:latest");
    }

    #[test]
    fn names_sort_by_their_full_form() {
        let mut names: Vec<Reference> = [
            "localhost:5000/imgt:x",
            "imgt/lab:2",
            "imgt/lab2:1",
            "busybox",
            "imgt/lab:1",
        ]
        .iter()
        .map(|n| Reference::parse_normalized(n).unwrap())
        .collect();
        sort_names(&mut names);
        let familiar: Vec<String> = names.iter().map(Reference::familiar_string).collect();
        assert_eq!(
            familiar,
            [
                "imgt/lab2:1",
                "imgt/lab:1",
                "imgt/lab:2",
                "busybox:latest",
                "localhost:5000/imgt:x"
            ]
        );
    }
}
