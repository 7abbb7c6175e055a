//! The image config: the JSON document whose sha256 *is* the image id.
//!
//! It says how to run the image (`config`: Env, Cmd, Entrypoint, …), which layers make up its
//! filesystem (`rootfs.diff_ids`, bottom first) and how it was built (`history`). Because the id
//! is the hash of the exact bytes, an [`Image`] keeps the bytes it was read from next to the
//! parsed form; re-serialising a config we did not write would change its id.
//!
//! Field names and omission follow Docker: top-level keys in alphabetical order (Docker
//! marshals the config through a map), and the `config` object in the shape of Docker's
//! `DockerOCIImageConfig` (the OCI fields plus Healthcheck, OnBuild and Shell, all omitted
//! when empty). Fields we do not know are ignored on reading and kept in `raw`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::chain::chain_ids;
use crate::digest::Digest;

/// `{}`: the value type of Docker's `ExposedPorts` and `Volumes` sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

// ANCHOR: image_config
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    #[serde(default)]
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default)]
    pub config: ContainerConfig,
    /// RFC 3339 with nanoseconds, `Z`: `2024-01-02T03:04:05.123456789Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_version: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<History>,
    #[serde(default)]
    pub os: String,
    #[serde(rename = "os.features", default, skip_serializing_if = "Option::is_none")]
    pub os_features: Option<Vec<String>>,
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    #[serde(default)]
    pub rootfs: RootFs,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// How to run a container from the image; every field may be absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerConfig {
    #[serde(rename = "User", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(rename = "ExposedPorts", default, skip_serializing_if = "Option::is_none")]
    pub exposed_ports: Option<BTreeMap<String, Empty>>,
    #[serde(rename = "Env", default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Entrypoint", default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(rename = "Cmd", default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    #[serde(rename = "Volumes", default, skip_serializing_if = "Option::is_none")]
    pub volumes: Option<BTreeMap<String, Empty>>,
    #[serde(rename = "WorkingDir", default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(rename = "Labels", default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "StopSignal", default, skip_serializing_if = "Option::is_none")]
    pub stop_signal: Option<String>,
    #[serde(rename = "ArgsEscaped", default, skip_serializing_if = "is_false")]
    pub args_escaped: bool,
    #[serde(rename = "Healthcheck", default, skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<HealthConfig>,
    #[serde(rename = "OnBuild", default, skip_serializing_if = "Option::is_none")]
    pub on_build: Option<Vec<String>>,
    #[serde(rename = "Shell", default, skip_serializing_if = "Option::is_none")]
    pub shell: Option<Vec<String>>,
}

/// The layers, by diff id (the sha256 of each *uncompressed* layer tar), bottom first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff_ids: Vec<Digest>,
}

/// One step of the build; `empty_layer` steps (ENV, CMD, …) have no entry in `diff_ids`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub empty_layer: bool,
}
// ANCHOR_END: image_config

/// `HEALTHCHECK`: durations in nanoseconds, as Docker stores them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthConfig {
    #[serde(rename = "Test", default, skip_serializing_if = "Option::is_none")]
    pub test: Option<Vec<String>>,
    #[serde(rename = "Interval", default, skip_serializing_if = "is_zero")]
    pub interval: i64,
    #[serde(rename = "Timeout", default, skip_serializing_if = "is_zero")]
    pub timeout: i64,
    #[serde(rename = "StartPeriod", default, skip_serializing_if = "is_zero")]
    pub start_period: i64,
    #[serde(rename = "StartInterval", default, skip_serializing_if = "is_zero")]
    pub start_interval: i64,
    #[serde(rename = "Retries", default, skip_serializing_if = "is_zero")]
    pub retries: i64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs {
            kind: "layers".to_owned(),
            diff_ids: Vec::new(),
        }
    }
}

/// Now, the way Docker writes `created`.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

impl ImageConfig {
    /// An empty linux config for this machine's architecture, created now.
    pub fn new_for_host() -> ImageConfig {
        ImageConfig {
            architecture: host_architecture().to_owned(),
            os: "linux".to_owned(),
            created: Some(now_rfc3339()),
            ..ImageConfig::default()
        }
    }

    /// The config as Docker writes it: compact JSON, keys in the order above.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Serialising plain structs, strings and maps into a Vec cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Stack one more layer (`diff_id`, or none for an `empty_layer` step) with its history.
    pub fn push_layer(&mut self, diff_id: Option<Digest>, mut history: History) {
        history.empty_layer = diff_id.is_none();
        if let Some(d) = diff_id {
            self.rootfs.diff_ids.push(d);
        }
        self.history.push(history);
    }
}

/// Docker's name for the architecture this binary runs on (`GOARCH` spelling).
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        "loongarch64" => "loong64",
        other => other,
    }
}

// ANCHOR: image_id
/// An image: its id, the exact config bytes the id was computed from, and the parsed config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub id: Digest,
    pub raw: Vec<u8>,
    pub config: ImageConfig,
}

impl Image {
    /// Parse config bytes; the id is their sha256.
    pub fn from_bytes(raw: Vec<u8>) -> Result<Image, serde_json::Error> {
        let config = serde_json::from_slice(&raw)?;
        Ok(Image {
            id: Digest::of(&raw),
            raw,
            config,
        })
    }

    /// Serialise `config` (Docker's way) and wrap it.
    pub fn from_config(config: ImageConfig) -> Image {
        let raw = config.to_bytes();
        Image {
            id: Digest::of(&raw),
            raw,
            config,
        }
    }
    // ANCHOR_END: image_id

    pub fn diff_ids(&self) -> &[Digest] {
        &self.config.rootfs.diff_ids
    }

    /// The chain id of each layer, bottom first; the last one is the image's top layer.
    pub fn chain_ids(&self) -> Vec<Digest> {
        chain_ids(self.diff_ids())
    }

    /// `created` as a time, for `docker images` (CREATED) and the `since`/`before` filters.
    pub fn created_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let created = self.config.created.as_deref()?;
        chrono::DateTime::parse_from_rfc3339(created)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The config of busybox:1.36.1 for linux/amd64 as served by Docker Hub (built by Docker).
    const BUSYBOX: &str = r#"{"architecture":"amd64","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"Image":"sha256:ba5dc23f65d4cc4a4535bce55cf9e63b068eb02946e3422d3587e8ce803b6aab","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"container":"5a0a4c0a8b4d","created":"2023-07-18T23:19:33.655005962Z","docker_version":"20.10.23","history":[{"created":"2023-07-18T23:19:33.538571854Z","created_by":"/bin/sh -c #(nop) ADD file:7e9002edaafd4e4579b65c8f0aaabde1aeb7fd3f8d95579f7fd3443cef785fd1 in / "},{"created":"2023-07-18T23:19:33.655005962Z","created_by":"/bin/sh -c #(nop)  CMD [\"sh\"]","empty_layer":true}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:3d24ee258efc3bfe4066a1a9fb83febf6dc0b1548dfe896161533668281c9f4f"]}}"#;

    #[test]
    fn reads_a_docker_built_config_and_keeps_its_bytes() {
        let image = Image::from_bytes(BUSYBOX.as_bytes().to_vec()).unwrap();
        assert_eq!(image.id, Digest::of(BUSYBOX.as_bytes()));
        assert_eq!(image.config.config.cmd.as_deref(), Some(&["sh".to_owned()][..]));
        assert_eq!(image.config.config.entrypoint, None, "null is absent");
        assert_eq!(image.config.config.user.as_deref(), Some(""));
        assert_eq!(image.diff_ids().len(), 1);
        assert!(image.config.history[1].empty_layer);
        assert_eq!(
            image.created_at().unwrap().to_rfc3339(),
            "2023-07-18T23:19:33.655005962+00:00"
        );
    }

    #[test]
    fn writes_sorted_keys_and_omits_empty_fields() {
        let mut config = ImageConfig {
            architecture: "amd64".into(),
            os: "linux".into(),
            created: Some("2024-01-01T00:00:00Z".into()),
            ..Default::default()
        };
        config.config.cmd = Some(vec!["sh".into()]);
        config.config.exposed_ports = Some([("80/tcp".to_owned(), Empty {})].into());
        let diff = Digest::of(b"layer");
        config.push_layer(Some(diff.clone()), History::default());
        config.push_layer(
            None,
            History {
                created_by: Some("CMD [\"sh\"]".into()),
                ..Default::default()
            },
        );
        let json = String::from_utf8(config.to_bytes()).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"architecture":"amd64","config":{{"ExposedPorts":{{"80/tcp":{{}}}},"Cmd":["sh"]}},"created":"2024-01-01T00:00:00Z","history":[{{}},{{"created_by":"CMD [\"sh\"]","empty_layer":true}}],"os":"linux","rootfs":{{"type":"layers","diff_ids":["{diff}"]}}}}"#
            )
        );
        let image = Image::from_config(config.clone());
        assert_eq!(Image::from_bytes(image.raw.clone()).unwrap(), image);
    }
}
