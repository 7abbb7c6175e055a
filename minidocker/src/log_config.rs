//! A container's log driver (`HostConfig.LogConfig`, `--log-driver`, `--log-opt`), checked
//! the way dockerd 20.10 checks it, in two steps:
//!
//! - at `create`, [`LogConfig::validate`]: the driver must be one minidocker has (`json-file`,
//!   `none`; any other is an unknown plugin to it) and every option one the driver takes;
//! - at `start`, [`LogConfig::output`]: the option values (`max-size=1k`, `max-file=3`,
//!   `compress=true`), refused with "failed to initialize logging driver: …".
//!
//! The daemon's own default (`--log-driver`, `--log-opt`, `log-driver` and `log-opts` in
//! daemon.json) fills in what a container does not say ([`LogConfig::with_defaults`]).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use ch06_cgroups::SizeError;
use serde::{Deserialize, Serialize};

/// Docker's default driver: one JSON object per line in `<id>-json.log`.
pub const JSON_FILE: &str = "json-file";
/// No log kept: `docker logs` has nothing to read.
pub const NONE: &str = "none";

/// The options json-file takes (moby's `jsonfilelog.ValidateLogOpt`).
const JSON_FILE_OPTS: [&str; 8] = [
    "max-file",
    "max-size",
    "compress",
    "labels",
    "labels-regex",
    "env",
    "env-regex",
    "tag",
];

/// `HostConfig.LogConfig`: the log driver and its options.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogConfig {
    #[serde(rename = "Type", default)]
    pub kind: String,
    #[serde(default, deserialize_with = "null_as_empty")]
    pub config: BTreeMap<String, String>,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            kind: JSON_FILE.into(),
            config: BTreeMap::new(),
        }
    }
}

/// `"Config": null` (what Docker's clients send when no option is given) reads as no options.
fn null_as_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    Ok(Option::deserialize(d)?.unwrap_or_default())
}

/// Why a log configuration is refused; the messages are dockerd's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogConfigError {
    /// A driver minidocker does not have: dockerd looks for a plugin of that name.
    #[error("error looking up logging plugin {0}: plugin \"{0}\" not found")]
    UnknownDriver(String),
    #[error("unknown log opt '{opt}' for {driver} log driver")]
    UnknownOpt { opt: String, driver: String },
    /// A value the driver cannot start with (found at `start`).
    #[error("failed to initialize logging driver: {0}")]
    Init(String),
}

/// How json-file keeps its files bounded: a new file when the current one has reached
/// `max_size` bytes, at most `max_files` files (the oldest removed), the rotated ones
/// gzipped if `compress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    pub max_size: u64,
    pub max_files: u32,
    pub compress: bool,
}

/// What the container's output becomes, from its log configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogOutput {
    /// json-file, without rotation when `None` (no `max-size`).
    JsonFile {
        rotation: Option<Rotation>,
        /// `labels`, `env` (and their `-regex` forms): the container's labels and variables
        /// each entry carries in `attrs`.
        attrs: AttrsWanted,
    },
    /// Nothing is kept.
    None,
}

/// The `labels`, `labels-regex`, `env` and `env-regex` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttrsWanted {
    pub labels: Vec<String>,
    pub labels_regex: Option<String>,
    pub env: Vec<String>,
    pub env_regex: Option<String>,
}

impl AttrsWanted {
    /// The `attrs` of each log entry of a container with these labels and environment
    /// (moby's `logger.Info.ExtraAttributes`); `None` when nothing is asked for.
    pub fn attrs(
        &self,
        labels: &BTreeMap<String, String>,
        env: &[String],
    ) -> Option<BTreeMap<String, String>> {
        let matches = |pattern: &Option<String>, key: &str| {
            pattern
                .as_deref()
                .and_then(|p| regex::Regex::new(p).ok())
                .is_some_and(|re| re.is_match(key))
        };
        let mut attrs = BTreeMap::new();
        for (key, value) in labels {
            if self.labels.contains(key) || matches(&self.labels_regex, key) {
                attrs.insert(key.clone(), value.clone());
            }
        }
        for var in env {
            let (key, value) = var.split_once('=').unwrap_or((var, ""));
            if self.env.iter().any(|k| k == key) || matches(&self.env_regex, key) {
                attrs.insert(key.to_owned(), value.to_owned());
            }
        }
        (!attrs.is_empty()).then_some(attrs)
    }
}

impl LogConfig {
    /// Docker's merge of a container's log configuration with the daemon's: no type means
    /// the daemon's, and a container of the daemon's type gets the daemon's options it does
    /// not set itself.
    pub fn with_defaults(mut self, daemon: &LogConfig) -> LogConfig {
        if self.kind.is_empty() {
            self.kind.clone_from(&daemon.kind);
        }
        if self.kind == daemon.kind {
            for (key, value) in &daemon.config {
                self.config.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        self
    }

    // ANCHOR: validate_log_config
    /// The `create`-time check: a driver minidocker has, and options it takes. The values
    /// are read only at `start` ([`LogConfig::output`]), as dockerd does.
    pub fn validate(&self) -> Result<(), LogConfigError> {
        match self.kind.as_str() {
            JSON_FILE => match self.config.keys().find(|k| !JSON_FILE_OPTS.contains(&k.as_str())) {
                Some(opt) => Err(LogConfigError::UnknownOpt {
                    opt: opt.clone(),
                    driver: self.kind.clone(),
                }),
                None => Ok(()),
            },
            // dockerd's none driver has no option check at all
            NONE => Ok(()),
            other => Err(LogConfigError::UnknownDriver(other.to_owned())),
        }
    }
    // ANCHOR_END: validate_log_config

    /// Whether `docker logs` can read what this driver keeps.
    pub fn readable(&self) -> bool {
        self.kind != NONE
    }

    // ANCHOR: log_output
    /// The `start`-time reading of the options (moby's json-file `New`): `max-size` a
    /// positive size (decimal units: `1k` is 1000 bytes), `max-file` at least 1, `compress`
    /// only with rotation.
    pub fn output(&self) -> Result<LogOutput, LogConfigError> {
        self.validate()?;
        if self.kind == NONE {
            return Ok(LogOutput::None);
        }
        let init = |message: String| LogConfigError::Init(message);
        let opt = |key: &str| self.config.get(key).map(String::as_str);
        let max_size = match opt("max-size") {
            None => None,
            Some(raw) => match from_human_size(raw).map_err(|e| init(e.to_string()))? {
                n if n <= 0 => return Err(init("max-size must be a positive number".into())),
                n => Some(n.unsigned_abs()),
            },
        };
        let max_files = match opt("max-file") {
            None => 1,
            Some(raw) => match go_atoi(raw).map_err(init)? {
                n if n < 1 => return Err(init("max-file cannot be less than 1".into())),
                n => u32::try_from(n).unwrap_or(u32::MAX),
            },
        };
        let compress = match opt("compress") {
            None => false,
            Some(raw) => go_parse_bool(raw).map_err(init)?,
        };
        if compress && (max_files == 1 || max_size.is_none()) {
            return Err(init(
                "compress cannot be true when max-file is less than 2 or max-size is not set".into(),
            ));
        }
        let list = |key: &str| -> Vec<String> {
            opt(key)
                .map(|v| v.split(',').map(str::to_owned).collect())
                .unwrap_or_default()
        };
        Ok(LogOutput::JsonFile {
            rotation: max_size.map(|max_size| Rotation {
                max_size,
                max_files,
                compress,
            }),
            attrs: AttrsWanted {
                labels: list("labels"),
                labels_regex: opt("labels-regex").map(str::to_owned),
                env: list("env"),
                env_regex: opt("env-regex").map(str::to_owned),
            },
        })
    }
    // ANCHOR_END: log_output
}

/// go-units' pattern of a size (the version dockerd 20.10 reads log sizes with): digits with
/// optional `.digits` parts, an optional space, then `k m g t p` (any case) optionally followed
/// by `i` and/or `b`.
static SIZE: LazyLock<regex::Regex> = LazyLock::new(|| {
    #[allow(clippy::unwrap_used)] // a constant pattern, checked by the tests
    regex::Regex::new(r"^([0-9]+(?:\.[0-9]+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$").unwrap()
});

// ANCHOR: from_human_size
/// A size with decimal units (`1k` is 1000 bytes, `1.5m` 1 500 000), as go-units'
/// `FromHumanSize` reads `--log-opt max-size`; the result is truncated to whole bytes.
pub fn from_human_size(size: &str) -> Result<i64, SizeError> {
    let captures = SIZE
        .captures(size)
        .ok_or_else(|| SizeError::InvalidSize(size.to_owned()))?;
    let number = &captures[1];
    let value: f64 = number.parse().map_err(|_| SizeError::ParseFloat {
        number: number.to_owned(),
        reason: "invalid syntax",
    })?;
    if !value.is_finite() {
        return Err(SizeError::ParseFloat {
            number: number.to_owned(),
            reason: "value out of range",
        });
    }
    let power = match captures
        .get(2)
        .map(|u| u.as_str().to_ascii_lowercase())
        .as_deref()
    {
        Some("k") => 3,
        Some("m") => 6,
        Some("g") => 9,
        Some("t") => 12,
        Some("p") => 15,
        _ => 0,
    };
    // `as` saturates: a size beyond i64 is i64::MAX, never a negative one.
    Ok((value * 10f64.powi(power)) as i64)
}
// ANCHOR_END: from_human_size

/// Go's `strconv.Atoi`, with its error text.
fn go_atoi(raw: &str) -> Result<i64, String> {
    raw.parse::<i64>()
        .map_err(|_| format!("strconv.Atoi: parsing {raw:?}: invalid syntax"))
}

/// Go's `strconv.ParseBool`, with its error text.
fn go_parse_bool(raw: &str) -> Result<bool, String> {
    match raw {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("strconv.ParseBool: parsing {raw:?}: invalid syntax")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn config(kind: &str, opts: &[(&str, &str)]) -> LogConfig {
        LogConfig {
            kind: kind.into(),
            config: opts
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn sizes_are_decimal_like_dockerds_log_sizes() {
        for (raw, bytes) in [
            ("1k", 1000),
            ("1K", 1000),
            ("1KiB", 1000),
            ("1kb", 1000),
            ("1.5k", 1500),
            ("1 k", 1000),
            ("10b", 10),
            ("1ib", 1),
            ("100", 100),
            ("2g", 2_000_000_000),
            ("0.5", 0),
        ] {
            assert_eq!(from_human_size(raw), Ok(bytes), "{raw}");
        }
    }

    #[test]
    fn bad_sizes_get_dockerds_messages() {
        // each checked with `docker run --log-opt max-size=X` against dockerd 20.10
        for (raw, message) in [
            ("abc", "invalid size: 'abc'"),
            ("-1", "invalid size: '-1'"),
            ("12zb", "invalid size: '12zb'"),
            ("1e3k", "invalid size: '1e3k'"),
            ("0x10", "invalid size: '0x10'"),
            (".5k", "invalid size: '.5k'"),
            ("", "invalid size: ''"),
            ("1.5.5k", "strconv.ParseFloat: parsing \"1.5.5\": invalid syntax"),
        ] {
            assert_eq!(from_human_size(raw).unwrap_err().to_string(), message, "{raw:?}");
        }
    }

    #[test]
    fn create_checks_the_driver_and_the_option_names() {
        assert_eq!(config("json-file", &[("max-size", "abc")]).validate(), Ok(()));
        assert_eq!(config("none", &[("max-size", "1k")]).validate(), Ok(()));
        assert_eq!(
            config("json-file", &[("foo", "bar")])
                .validate()
                .unwrap_err()
                .to_string(),
            "unknown log opt 'foo' for json-file log driver"
        );
        assert_eq!(
            config("bogus", &[]).validate().unwrap_err().to_string(),
            "error looking up logging plugin bogus: plugin \"bogus\" not found"
        );
    }

    #[test]
    fn start_reads_the_values_with_dockerds_messages() {
        let failed = |opts: &[(&str, &str)]| config("json-file", opts).output().unwrap_err().to_string();
        assert_eq!(
            failed(&[("max-size", "abc")]),
            "failed to initialize logging driver: invalid size: 'abc'"
        );
        assert_eq!(
            failed(&[("max-size", "0")]),
            "failed to initialize logging driver: max-size must be a positive number"
        );
        assert_eq!(
            failed(&[("max-size", "1k"), ("max-file", "0")]),
            "failed to initialize logging driver: max-file cannot be less than 1"
        );
        assert_eq!(
            failed(&[("max-size", "1k"), ("max-file", "x")]),
            "failed to initialize logging driver: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            failed(&[("max-size", "1k"), ("compress", "maybe")]),
            "failed to initialize logging driver: strconv.ParseBool: parsing \"maybe\": invalid syntax"
        );
        assert_eq!(
            failed(&[("compress", "true")]),
            "failed to initialize logging driver: compress cannot be true when max-file is less than 2 or max-size is not set"
        );
        let ok = config("json-file", &[("max-size", "1k"), ("max-file", "3")]).output();
        assert_eq!(
            ok,
            Ok(LogOutput::JsonFile {
                rotation: Some(Rotation {
                    max_size: 1000,
                    max_files: 3,
                    compress: false
                }),
                attrs: AttrsWanted::default(),
            })
        );
        // max-file alone: one file, never rotated (dockerd starts it)
        assert!(matches!(
            config("json-file", &[("max-file", "3")]).output(),
            Ok(LogOutput::JsonFile { rotation: None, .. })
        ));
        assert_eq!(config("none", &[]).output(), Ok(LogOutput::None));
    }

    #[test]
    fn the_daemons_default_fills_in() {
        let daemon = config("json-file", &[("max-size", "10m"), ("max-file", "2")]);
        let merged = config("", &[("max-size", "1k")]).with_defaults(&daemon);
        assert_eq!(
            merged,
            config("json-file", &[("max-size", "1k"), ("max-file", "2")])
        );
        // another driver takes none of the daemon's options
        assert_eq!(config("none", &[]).with_defaults(&daemon), config("none", &[]));
        // `"Config": null` reads as no options
        let sent: LogConfig = serde_json::from_str(r#"{"Type":"","Config":null}"#).unwrap();
        assert_eq!(sent.with_defaults(&LogConfig::default()), LogConfig::default());
    }

    #[test]
    fn attrs_pick_the_labels_and_variables_asked_for() {
        let output = config(
            "json-file",
            &[("labels", "a,b"), ("env-regex", "^X"), ("env", "HOME")],
        )
        .output()
        .unwrap();
        let LogOutput::JsonFile { attrs, .. } = output else {
            panic!("json-file")
        };
        let labels = BTreeMap::from([("a".to_owned(), "1".to_owned()), ("c".to_owned(), "3".to_owned())]);
        let env = ["XA=1".to_owned(), "HOME=/root".to_owned(), "PATH=/bin".to_owned()];
        assert_eq!(
            attrs.attrs(&labels, &env),
            Some(BTreeMap::from([
                ("HOME".to_owned(), "/root".to_owned()),
                ("XA".to_owned(), "1".to_owned()),
                ("a".to_owned(), "1".to_owned()),
            ]))
        );
        assert_eq!(AttrsWanted::default().attrs(&labels, &env), None);
    }

    proptest! {
        #[test]
        fn whole_decimal_units_round_trip(n in 0i64..1_000_000, unit in 0usize..5, upper: bool, suffix in 0usize..4) {
            let letter = ["", "k", "m", "g", "t"][unit];
            let letter = if upper { letter.to_uppercase() } else { letter.to_owned() };
            let tail = if letter.is_empty() { "" } else { ["", "b", "ib", "iB"][suffix] };
            let expected = n * 10i64.pow(3 * unit as u32);
            prop_assert_eq!(from_human_size(&format!("{n}{letter}{tail}")), Ok(expected));
            prop_assert_eq!(from_human_size(&format!("{n} {letter}{tail}")), Ok(expected));
        }

        #[test]
        fn a_leading_sign_or_inner_space_is_never_a_size(n in 0i64..1000, sign in "[-+ ]") {
            let signed = format!("{sign}{n}k");
            let two_spaces = format!("{n}  k");
            prop_assert!(from_human_size(&signed).is_err());
            prop_assert!(from_human_size(&two_spaces).is_err());
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,16}") {
            let _ = from_human_size(&s);
        }
    }
}
