//! `docker image inspect` and `docker history`: an image as the daemon describes it.
//!
//! Inspect shows Docker 20.10's `types.ImageInspect`: the config's fields under their API
//! names, the container config in the full shape of Go's `container.Config` (every field, `null`
//! for an unset list), the layers' directories under `overlay2/` (`GraphDriver`) and the time
//! the image was last tagged (`Metadata`).

use std::collections::BTreeMap;

use ch05_images::config::HealthConfig;
use ch05_images::{Digest, Image};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::go_json::{nil_if_empty, null_as_default};
use super::images::GO_ZERO_UNIX;
use super::{Engine, EngineError, STORAGE_DRIVER};

/// Go's zero `time.Time`, as JSON prints it.
pub const GO_ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_null_or_empty(v: &Option<Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

// ANCHOR: go_container_config
/// Go's `container.Config` in its field order: what `Config` and `ContainerConfig` print.
/// Fields tagged `omitempty` in Go are skipped when empty; the others always print.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GoContainerConfig {
    #[serde(default, deserialize_with = "null_as_default")]
    pub hostname: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub domainname: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub user: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub attach_stdin: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub attach_stdout: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub attach_stderr: bool,
    #[serde(default, skip_serializing_if = "is_null_or_empty")]
    pub exposed_ports: Option<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub tty: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub open_stdin: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub stdin_once: bool,
    #[serde(default)]
    pub env: Option<Value>,
    #[serde(default)]
    pub cmd: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub args_escaped: bool,
    #[serde(default, deserialize_with = "null_as_default")]
    pub image: String,
    #[serde(default)]
    pub volumes: Option<Value>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub working_dir: String,
    #[serde(default)]
    pub entrypoint: Option<Value>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub network_disabled: bool,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub mac_address: String,
    #[serde(default)]
    pub on_build: Option<Value>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub stop_signal: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    #[serde(default, skip_serializing_if = "is_null_or_empty")]
    pub shell: Option<Value>,
}
// ANCHOR_END: go_container_config

/// The parts of an image config (Docker's `V1Image`) that inspect shows and chapter 5's
/// `ImageConfig` does not model.
#[derive(Debug, Default, Deserialize)]
struct V1Fields {
    #[serde(default, deserialize_with = "null_as_default")]
    comment: String,
    #[serde(default, deserialize_with = "null_as_default")]
    created: String,
    #[serde(default, deserialize_with = "null_as_default")]
    container: String,
    #[serde(default, deserialize_with = "null_as_default")]
    container_config: GoContainerConfig,
    #[serde(default, deserialize_with = "null_as_default")]
    docker_version: String,
    #[serde(default, deserialize_with = "null_as_default")]
    author: String,
    #[serde(default)]
    config: Option<GoContainerConfig>,
    #[serde(default, deserialize_with = "null_as_default")]
    architecture: String,
    #[serde(default, deserialize_with = "null_as_default")]
    variant: String,
    #[serde(default, deserialize_with = "null_as_default")]
    os: String,
    #[serde(rename = "os.version", default, deserialize_with = "null_as_default")]
    os_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphDriver {
    /// `LowerDir` (absent for a one-layer image), `MergedDir`, `UpperDir`, `WorkDir`; `null` for
    /// an image without layers.
    #[serde(rename = "Data")]
    pub data: Option<BTreeMap<String, String>>,
    #[serde(rename = "Name")]
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectRootFs {
    #[serde(rename = "Type")]
    pub kind: String,
    /// Diff ids, bottom first.
    #[serde(rename = "Layers", default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InspectMetadata {
    #[serde(rename = "LastTagTime")]
    pub last_tag_time: String,
}

// ANCHOR: image_inspect
/// Docker 20.10's `types.ImageInspect`, fields in its order (the CLI reads it back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInspect {
    #[serde(rename = "Id")]
    pub id: String,
    pub repo_tags: Vec<String>,
    pub repo_digests: Vec<String>,
    pub parent: String,
    pub comment: String,
    pub created: String,
    pub container: String,
    pub container_config: GoContainerConfig,
    pub docker_version: String,
    pub author: String,
    pub config: Option<GoContainerConfig>,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub variant: String,
    pub os: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    pub size: u64,
    /// The same as `Size` since Docker 1.10 (removed from the API in 1.44).
    pub virtual_size: u64,
    pub graph_driver: GraphDriver,
    #[serde(rename = "RootFS")]
    pub root_fs: InspectRootFs,
    pub metadata: InspectMetadata,
}
// ANCHOR_END: image_inspect

/// One row of `docker history`, top layer first; serializes to Docker's
/// `image.HistoryResponseItem` (`GET /images/{name}/history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HistoryItem {
    pub comment: String,
    /// Seconds since the epoch.
    pub created: i64,
    pub created_by: String,
    /// `sha256:…` for the image and its parents, `<missing>` for steps of a pulled image.
    #[serde(rename = "Id")]
    pub id: String,
    /// The bytes the step's layer adds, 0 for `empty_layer` steps.
    pub size: u64,
    /// `null` for a step without tags.
    #[serde(
        serialize_with = "nil_if_empty",
        deserialize_with = "null_as_default",
        default
    )]
    pub tags: Vec<String>,
}

/// Go's `time.RFC3339Nano`: fractional seconds without trailing zeros, `Z` for UTC.
pub fn go_rfc3339_nano(t: &chrono::DateTime<chrono::FixedOffset>) -> String {
    let mut out = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    let offset = t.offset().local_minus_utc();
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let abs = offset.abs();
        out.push_str(&format!("{sign}{:02}:{:02}", abs / 3600, abs % 3600 / 60));
    }
    out
}

/// A stored RFC 3339 time re-printed the way Go prints a `time.Time`; Go's zero time when absent.
pub(super) fn go_time(s: Option<&str>) -> String {
    s.and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok())
        .map_or_else(|| GO_ZERO_TIME.to_owned(), |t| go_rfc3339_nano(&t))
}

impl Engine {
    /// `GraphDriver.Data` of the overlay2 layer `id`: its `diff` (the upper dir), `merged` and
    /// `work` directories, and its ancestors' diff dirs, nearest first, as `LowerDir` (absent
    /// when it has none).
    pub(super) fn overlay_data(&self, id: &str) -> Result<BTreeMap<String, String>, EngineError> {
        let dir = self.layers.root().join(id);
        let path = |p: &str| dir.join(p).to_string_lossy().into_owned();
        let mut data = BTreeMap::from([
            ("MergedDir".to_owned(), path("merged")),
            ("UpperDir".to_owned(), path("diff")),
            ("WorkDir".to_owned(), path("work")),
        ]);
        let lowers = self.layers.lower_dirs(id)?;
        if !lowers.is_empty() {
            let joined: Vec<String> = lowers.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            data.insert("LowerDir".to_owned(), joined.join(":"));
        }
        Ok(data)
    }

    // ANCHOR: inspect_image
    /// `docker image inspect NAME`.
    pub fn inspect_image(&self, name: &str) -> Result<ImageInspect, EngineError> {
        let id = self.resolve_image(name)?;
        let image = self.images.get(&id)?;
        let v1: V1Fields =
            serde_json::from_slice(&image.raw).map_err(|source| ch05_images::StoreError::InvalidConfig {
                id: id.clone(),
                source,
            })?;
        let names = self.image_names(&id)?;
        let layers = self.images.layers_of(&image)?;
        let size = layers.iter().map(|l| l.size).sum();
        let graph_data = match layers.last() {
            None => None,
            Some(top) => Some(self.overlay_data(&top.cache_id)?),
        };
        Ok(ImageInspect {
            id: id.to_string(),
            repo_tags: names
                .iter()
                .filter(|n| n.tag.is_some())
                .map(|n| n.familiar_string())
                .collect(),
            repo_digests: names
                .iter()
                .filter(|n| n.digest.is_some())
                .map(|n| n.familiar_string())
                .collect(),
            parent: self
                .images
                .get_parent(&id)?
                .map(|p| p.to_string())
                .unwrap_or_default(),
            comment: v1.comment,
            created: go_time(Some(&v1.created).filter(|c| !c.is_empty()).map(String::as_str)),
            container: v1.container,
            container_config: v1.container_config,
            docker_version: v1.docker_version,
            author: v1.author,
            config: v1.config,
            architecture: v1.architecture,
            variant: v1.variant,
            os: v1.os,
            os_version: v1.os_version,
            size,
            virtual_size: size,
            graph_driver: GraphDriver {
                data: graph_data,
                name: STORAGE_DRIVER.to_owned(),
            },
            root_fs: InspectRootFs {
                kind: image.config.rootfs.kind.clone(),
                layers: image.diff_ids().iter().map(Digest::to_string).collect(),
            },
            metadata: InspectMetadata {
                last_tag_time: go_time(self.images.last_updated(&id)?.as_deref()),
            },
        })
    }
    // ANCHOR_END: inspect_image

    // ANCHOR: history
    /// `docker history NAME`: one row per build step, newest first. Each row gets the id of the
    /// image at that step while the parent chain is known (`commit`, `build`); the steps of an
    /// image that came whole (pull, load, import) are `<missing>` below the top.
    pub fn image_history(&self, name: &str) -> Result<Vec<HistoryItem>, EngineError> {
        let id = self.resolve_image(name)?;
        let image = self.images.get(&id)?;
        let chain_ids = image.chain_ids();
        let mut layer_count = 0;
        let mut items = Vec::new();
        for step in &image.config.history {
            let mut size = 0;
            if !step.empty_layer {
                let chain_id = chain_ids.get(layer_count).ok_or_else(|| {
                    EngineError::Invalid("too many non-empty layers in History section".to_owned())
                })?;
                size = self.images.layer(chain_id)?.size;
                layer_count += 1;
            }
            items.push(HistoryItem {
                id: "<missing>".to_owned(),
                created: step
                    .created
                    .as_deref()
                    .and_then(|c| chrono::DateTime::parse_from_rfc3339(c).ok())
                    .map_or(GO_ZERO_UNIX, |t| t.timestamp()),
                created_by: step.created_by.clone().unwrap_or_default(),
                comment: step.comment.clone().unwrap_or_default(),
                size,
                tags: Vec::new(),
            });
        }
        items.reverse();
        let mut current: Option<Image> = Some(image);
        for item in &mut items {
            let Some(img) = current.take() else { break };
            item.id = img.id.to_string();
            item.tags = self
                .image_names(&img.id)?
                .iter()
                .filter(|n| n.tag.is_some())
                .map(|n| n.familiar_string())
                .collect();
            current = match self.images.get_parent(&img.id)? {
                Some(parent) => self.images.get(&parent).ok(),
                None => None,
            };
        }
        Ok(items)
    }
    // ANCHOR_END: history
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_like_go() {
        let t = |s| go_rfc3339_nano(&chrono::DateTime::parse_from_rfc3339(s).unwrap());
        assert_eq!(
            t("2026-12-01T21:14:23.123783218Z"),
            "2026-12-01T21:14:23.123783218Z"
        );
        assert_eq!(t("2026-12-01T21:14:23.120000000Z"), "2026-12-01T21:14:23.12Z");
        assert_eq!(t("2026-12-01T21:14:23Z"), "2026-12-01T21:14:23Z");
        assert_eq!(t("2026-12-01T21:14:23.5+02:00"), "2026-12-01T21:14:23.5+02:00");
        assert_eq!(go_time(None), GO_ZERO_TIME);
        assert_eq!(go_time(Some("garbage")), GO_ZERO_TIME);
    }

    #[test]
    fn container_config_has_gos_shape() {
        let c: GoContainerConfig = serde_json::from_str(
            r#"{"Env":["A=1"],"Cmd":["sh"],"Labels":{"b":"2","a":"1"},"Hostname":null}"#,
        )
        .unwrap();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(
            json,
            r#"{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["A=1"],"Cmd":["sh"],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":{"a":"1","b":"2"}}"#
        );
    }
}
