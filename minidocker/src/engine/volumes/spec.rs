//! What a container asks to have mounted, in Docker's two syntaxes, checked the way dockerd
//! checks them (moby's `volume/mounts/linux_parser.go`), before anything is created:
//!
//! ```text
//!  -v /ctr                     anonymous volume          (Config.Volumes, from the CLI)
//!  -v NAME:/ctr[:MODE]         named volume              (HostConfig.Binds)
//!  -v /host:/ctr[:MODE]        bind mount of a host path (HostConfig.Binds)
//!  --mount type=…,source=…,target=…,readonly,…           (HostConfig.Mounts)
//!  MODE: a comma list of at most one each of ro|rw, z|Z, a propagation, nocopy, a consistency
//! ```
//!
//! A source that is not an absolute path is a volume name (`-v data:/srv`), so a relative host
//! path ends up refused by the volume name rules. The client side of `-v` and `--mount` (the
//! docker CLI's own reading, before anything is sent) is in [`super::flags`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::VolumeError;

/// `bind`, `volume`, `tmpfs`: the mount types dockerd knows on Linux.
pub const TYPE_BIND: &str = "bind";
pub const TYPE_VOLUME: &str = "volume";
pub const TYPE_TMPFS: &str = "tmpfs";

/// The propagation modes of a bind mount.
pub const PROPAGATIONS: [&str; 6] = ["private", "rprivate", "shared", "rshared", "slave", "rslave"];
/// A bind mount's propagation when none is asked (unless it contains the data root: then
/// `rslave`, as dockerd's `validateBindDaemonRoot` decides).
pub const DEFAULT_PROPAGATION: &str = "rprivate";
const CONSISTENCIES: [&str; 4] = ["consistent", "cached", "delegated", "default"];

fn is_false(b: &bool) -> bool {
    !*b
}

// ANCHOR: mount_spec
/// One entry of `HostConfig.Mounts` (`--mount`): Docker's `mount.Mount`, its JSON field for
/// field (empty ones left out, as Go's `omitempty` does).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct MountSpec {
    /// `bind`, `volume` or `tmpfs`.
    #[serde(rename = "Type", skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// A host path (bind), a volume name (empty: a new anonymous volume); none for tmpfs.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub source: String,
    /// The path inside the container.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub target: String,
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
    /// Accepted and ignored on Linux, as dockerd does.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub consistency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind_options: Option<BindOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume_options: Option<VolumeOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs_options: Option<TmpfsOptions>,
}
// ANCHOR_END: mount_spec

/// `BindOptions` of a bind mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BindOptions {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub propagation: String,
    /// Only the source itself, not the mounts below it (`bind` rather than `rbind`).
    #[serde(skip_serializing_if = "is_false")]
    pub non_recursive: bool,
}

/// `VolumeOptions` of a volume mount: how to create the volume if it does not exist yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct VolumeOptions {
    /// Do not copy the image's files into a new, empty volume.
    #[serde(skip_serializing_if = "is_false")]
    pub no_copy: bool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub driver_config: Option<DriverConfig>,
}

/// `DriverConfig` of `VolumeOptions`: the driver and its options (`volume-opt=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DriverConfig {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub options: BTreeMap<String, String>,
}

/// `TmpfsOptions` of a tmpfs mount.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TmpfsOptions {
    #[serde(skip_serializing_if = "is_zero")]
    pub size_bytes: i64,
    /// The permission bits of its root (Go's `os.FileMode`, a number: 1023 is 01777).
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub mode: u32,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

/// A mount decided, not made yet: what dockerd's parser returns (its `MountPoint` before the
/// volume is looked up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMount {
    /// `bind`, `volume` or `tmpfs`.
    pub kind: String,
    /// The volume's name (`None`: a new anonymous one).
    pub volume: Option<String>,
    /// The host path of a bind mount (cleaned).
    pub source: String,
    /// The path inside the container (cleaned).
    pub destination: String,
    /// The mode as given to `-v` (`ro,z`); empty for `--mount`.
    pub mode: String,
    pub rw: bool,
    /// A bind mount's propagation as asked (empty: the default).
    pub propagation: String,
    /// Copy the image's files into the volume if it is new and empty.
    pub copy_data: bool,
    /// Make a missing bind source (a directory), as `-v` does; `--mount` refuses one instead.
    pub create_source: bool,
    /// The request as dockerd records it (the `-v` string becomes one too).
    pub spec: MountSpec,
}

/// Go's `path.Clean`: `.` and `..` resolved lexically, repeated and trailing slashes gone.
pub fn clean_path(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn invalid_spec(raw: &str) -> String {
    format!("invalid volume specification: '{raw}'")
}

fn mount_config_error(kind: &str, reason: impl std::fmt::Display) -> String {
    format!("invalid mount config for type {kind:?}: {reason}")
}

// ANCHOR: valid_mode
/// Whether `mode` is a valid `-v` mode: comma-separated, at most one of each kind.
pub fn valid_mode(mode: &str) -> bool {
    if mode.is_empty() {
        return true;
    }
    let mut counts = [0; 5]; // rw, label, propagation, copy, consistency
    for option in mode.split(',') {
        let kind = match option {
            "rw" | "ro" => 0,
            "z" | "Z" => 1,
            o if PROPAGATIONS.contains(&o) => 2,
            "nocopy" => 3,
            o if CONSISTENCIES[..3].contains(&o) => 4,
            _ => return false,
        };
        counts[kind] += 1;
    }
    counts.iter().all(|n| *n <= 1)
}
// ANCHOR_END: valid_mode

// ANCHOR: parse_bind
/// One `HostConfig.Binds` entry (`-v` with a source) as dockerd's `ParseMountRaw` reads it:
/// `dest`, `source:dest` or `source:dest:mode`; an absolute source is a bind mount, anything
/// else a volume name. Errors are dockerd's (`invalid volume specification: '…'`,
/// `invalid mode: …`).
pub fn parse_bind(raw: &str) -> Result<ParsedMount, String> {
    if raw.matches(':').count() > 2 {
        return Err(invalid_spec(raw));
    }
    let parts: Vec<&str> = raw.splitn(3, ':').collect();
    if parts[0].is_empty() {
        return Err(invalid_spec(raw));
    }
    let (source, target, mode) = match parts[..] {
        [target] => ("", target, ""),
        // `/dest:rw` is not a volume: volumes cannot have a mode without a source
        [_, mode] if valid_mode(mode) => return Err(invalid_spec(raw)),
        [source, target] => (source, target, ""),
        [source, target, mode] => (source, target, mode),
        _ => return Err(invalid_spec(raw)),
    };
    if !valid_mode(mode) {
        return Err(format!("invalid mode: {mode}"));
    }
    let options: Vec<&str> = mode.split(',').collect();
    let mut spec = MountSpec {
        kind: if source.starts_with('/') {
            TYPE_BIND
        } else {
            TYPE_VOLUME
        }
        .into(),
        source: source.into(),
        target: target.into(),
        read_only: options.contains(&"ro"),
        ..MountSpec::default()
    };
    if options.contains(&"nocopy") {
        spec.volume_options = Some(VolumeOptions {
            no_copy: true,
            ..VolumeOptions::default()
        });
    }
    if let Some(propagation) = options.iter().find(|o| PROPAGATIONS.contains(o)) {
        spec.bind_options = Some(BindOptions {
            propagation: (*propagation).into(),
            non_recursive: false,
        });
    }
    let mut parsed = parse_mount(&spec, false).map_err(|e| format!("{}: {e}", invalid_spec(raw)))?;
    parsed.mode = mode.into();
    parsed.create_source = true;
    Ok(parsed)
}
// ANCHOR_END: parse_bind

// ANCHOR: parse_mount
/// One `HostConfig.Mounts` entry checked as dockerd's `validateMountConfig` does (a bind
/// source must exist when `bind_source_must_exist`, as it must for `--mount`), then decided.
pub fn parse_mount(spec: &MountSpec, bind_source_must_exist: bool) -> Result<ParsedMount, String> {
    let kind = spec.kind.as_str();
    let error = |reason: &str| mount_config_error(kind, reason);
    let absolute = |p: &str| match p.starts_with('/') {
        true => Ok(()),
        false => Err(error(&format!(
            "invalid mount path: '{p}' mount path must be absolute"
        ))),
    };
    if spec.target.is_empty() {
        return Err(error("field Target must not be empty"));
    }
    if clean_path(&spec.target) == "/" {
        return Err(error("invalid specification: destination can't be '/'"));
    }
    absolute(&spec.target)?;
    match kind {
        TYPE_BIND => {
            if spec.source.is_empty() {
                return Err(error("field Source must not be empty"));
            }
            if let Some(p) = spec.bind_options.as_ref().map(|b| b.propagation.as_str())
                && !p.is_empty()
                && !PROPAGATIONS.contains(&p)
            {
                return Err(error(&format!("invalid propagation mode: {p}")));
            }
            if spec.volume_options.is_some() {
                return Err(error("field VolumeOptions must not be specified"));
            }
            absolute(&spec.source)?;
            if bind_source_must_exist && std::fs::symlink_metadata(&spec.source).is_err() {
                return Err(error(&format!(
                    "bind source path does not exist: {}",
                    spec.source
                )));
            }
        }
        TYPE_VOLUME => {
            if spec.bind_options.is_some() {
                return Err(error("field BindOptions must not be specified"));
            }
            if spec.source.is_empty() && spec.read_only {
                return Err(error("must not set ReadOnly mode when using anonymous volumes"));
            }
        }
        TYPE_TMPFS => {
            if spec.bind_options.is_some() {
                return Err(error("field BindOptions must not be specified"));
            }
            if !spec.source.is_empty() {
                return Err(error("field Source must not be specified"));
            }
        }
        _ => return Err(error("mount type unknown")),
    }
    let volume_options = spec.volume_options.clone().unwrap_or_default();
    Ok(ParsedMount {
        kind: kind.into(),
        volume: (kind == TYPE_VOLUME && !spec.source.is_empty()).then(|| spec.source.clone()),
        source: match kind {
            TYPE_BIND => clean_path(&spec.source),
            _ => String::new(),
        },
        destination: clean_path(&spec.target),
        mode: String::new(),
        rw: !spec.read_only,
        propagation: spec
            .bind_options
            .as_ref()
            .map(|b| b.propagation.clone())
            .unwrap_or_default(),
        copy_data: kind == TYPE_VOLUME && !volume_options.no_copy,
        create_source: false,
        spec: spec.clone(),
    })
}
// ANCHOR_END: parse_mount

// ANCHOR: tmpfs_data
/// A tmpfs mount's options as dockerd passes them to mount(2) (`ConvertTmpfsOptions`): `ro`,
/// then `mode=` in octal, then `size=` with the largest unit that divides it.
pub fn tmpfs_data(options: Option<&TmpfsOptions>, read_only: bool) -> String {
    let mut data = Vec::new();
    if read_only {
        data.push("ro".to_owned());
    }
    let options = options.cloned().unwrap_or_default();
    if options.mode != 0 {
        data.push(format!("mode={:o}", options.mode & 0o7777));
    }
    if options.size_bytes != 0 {
        let size = options.size_bytes;
        let (value, suffix) = [("g", 1i64 << 30), ("m", 1 << 20), ("k", 1 << 10)]
            .into_iter()
            .find(|(_, unit)| size % unit == 0)
            .map_or((size, ""), |(suffix, unit)| (size / unit, suffix));
        data.push(format!("size={value}{suffix}"));
    }
    data.join(",")
}
// ANCHOR_END: tmpfs_data

/// The whole request of a container checked together: each entry, then no two mounts on the
/// same destination (`Duplicate mount point: …`, the `Binds` entry's destination cleaned, the
/// `Mounts` entry's as given). Returns the mounts in the order given, binds first.
pub fn parse_all(
    binds: &[String],
    mounts: &[MountSpec],
    tmpfs: &BTreeMap<String, String>,
) -> Result<Vec<ParsedMount>, VolumeError> {
    let spec_error = |message: String, status: u16| VolumeError::Spec { message, status };
    let duplicate = |dest: &str| spec_error(format!("Duplicate mount point: {dest}"), 400);
    let mut parsed: Vec<ParsedMount> = Vec::new();
    for raw in binds {
        // dockerd 20.10 answers these with a 500 (its parser's errors are not typed)
        let mount = parse_bind(raw).map_err(|e| spec_error(e, 500))?;
        if parsed.iter().any(|p| p.destination == mount.destination)
            || tmpfs.keys().any(|t| clean_path(t) == mount.destination)
        {
            return Err(duplicate(&mount.destination));
        }
        parsed.push(mount);
    }
    for spec in mounts {
        let mount = parse_mount(spec, true).map_err(|e| spec_error(e, 400))?;
        if parsed.iter().any(|p| p.destination == mount.destination) {
            return Err(duplicate(&spec.target));
        }
        parsed.push(mount);
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What dockerd 20.10 answered to each `Binds` entry (the oracle, `POST /containers/create`).
    #[test]
    fn binds_are_refused_with_dockerds_messages() {
        let cases = [
            (
                "x",
                "invalid volume specification: 'x': invalid mount config for type \"volume\": invalid mount path: 'x' mount path must be absolute",
            ),
            ("/y:rw", "invalid volume specification: '/y:rw'"),
            (":/y", "invalid volume specification: ':/y'"),
            ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
            ("/x:/y:bogus", "invalid mode: bogus"),
            ("/x:/y:ro,rw", "invalid mode: ro,rw"),
            ("/x:/y:z,Z", "invalid mode: z,Z"),
            (
                "/x:/y:ro,z,rslave,nocopy",
                "invalid volume specification: '/x:/y:ro,z,rslave,nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified",
            ),
            (
                "/x:/y:nocopy",
                "invalid volume specification: '/x:/y:nocopy': invalid mount config for type \"bind\": field VolumeOptions must not be specified",
            ),
            (
                "/x:/",
                "invalid volume specification: '/x:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'",
            ),
            (
                "/x:y",
                "invalid volume specification: '/x:y': invalid mount config for type \"bind\": invalid mount path: 'y' mount path must be absolute",
            ),
            (
                "vol:relative",
                "invalid volume specification: 'vol:relative': invalid mount config for type \"volume\": invalid mount path: 'relative' mount path must be absolute",
            ),
            ("vol::/y", "invalid mode: /y"),
            (
                "vol:/y:shared",
                "invalid volume specification: 'vol:/y:shared': invalid mount config for type \"volume\": field BindOptions must not be specified",
            ),
            ("/x:/y:ro,ro", "invalid mode: ro,ro"),
            (
                "/",
                "invalid volume specification: '/': invalid mount config for type \"volume\": invalid specification: destination can't be '/'",
            ),
        ];
        for (raw, message) in cases {
            assert_eq!(parse_bind(raw).unwrap_err(), message, "{raw}");
        }
    }

    #[test]
    fn binds_are_read_as_dockerd_reads_them() {
        let m = parse_bind("/x:/y:rw").unwrap();
        assert_eq!(
            (m.kind.as_str(), m.source.as_str(), m.destination.as_str()),
            ("bind", "/x", "/y")
        );
        assert_eq!((m.mode.as_str(), m.rw, m.volume.as_deref()), ("rw", true, None));
        let m = parse_bind("/x/../z:/y/../w").unwrap();
        assert_eq!((m.source.as_str(), m.destination.as_str()), ("/z", "/w"));
        let m = parse_bind("data:/srv:ro,z").unwrap();
        assert_eq!(
            (m.kind.as_str(), m.volume.as_deref(), m.rw, m.copy_data),
            ("volume", Some("data"), false, true)
        );
        let m = parse_bind("vol:/y:nocopy").unwrap();
        assert!(!m.copy_data);
        let m = parse_bind("/x:/y:shared").unwrap();
        assert_eq!((m.mode.as_str(), m.propagation.as_str()), ("shared", "shared"));
        let m = parse_bind("/x:/y:").unwrap();
        assert_eq!(m.mode, "");
        let m = parse_bind("/y").unwrap();
        assert_eq!(
            (m.kind.as_str(), m.volume.as_deref(), m.destination.as_str()),
            ("volume", None, "/y")
        );
        // a relative "host path" is a volume name, judged by the volume name rules later
        assert_eq!(
            parse_bind("foo/bar:/y").unwrap().volume.as_deref(),
            Some("foo/bar")
        );
    }

    #[test]
    fn mounts_are_refused_with_dockerds_messages() {
        let bind = |source: &str| MountSpec {
            kind: "bind".into(),
            source: source.into(),
            target: "/y".into(),
            ..MountSpec::default()
        };
        let err = |m: MountSpec| parse_mount(&m, true).unwrap_err();
        assert_eq!(
            err(bind("/nonexistent-h8")),
            "invalid mount config for type \"bind\": bind source path does not exist: /nonexistent-h8"
        );
        assert_eq!(
            err(bind("")),
            "invalid mount config for type \"bind\": field Source must not be empty"
        );
        assert_eq!(
            err(bind("rel")),
            "invalid mount config for type \"bind\": invalid mount path: 'rel' mount path must be absolute"
        );
        let mut m = bind("/tmp");
        m.bind_options = Some(BindOptions {
            propagation: "bogus".into(),
            non_recursive: false,
        });
        assert_eq!(
            err(m),
            "invalid mount config for type \"bind\": invalid propagation mode: bogus"
        );
        let anonymous_ro = MountSpec {
            kind: "volume".into(),
            target: "/y".into(),
            read_only: true,
            ..MountSpec::default()
        };
        assert_eq!(
            err(anonymous_ro),
            "invalid mount config for type \"volume\": must not set ReadOnly mode when using anonymous volumes"
        );
        let tmpfs_with_source = MountSpec {
            kind: "tmpfs".into(),
            source: "x".into(),
            target: "/y".into(),
            ..MountSpec::default()
        };
        assert_eq!(
            err(tmpfs_with_source),
            "invalid mount config for type \"tmpfs\": field Source must not be specified"
        );
        let unknown = MountSpec {
            kind: "foo".into(),
            target: "/y".into(),
            ..MountSpec::default()
        };
        assert_eq!(
            err(unknown),
            "invalid mount config for type \"foo\": mount type unknown"
        );
        let no_target = MountSpec {
            kind: "volume".into(),
            source: "v".into(),
            ..MountSpec::default()
        };
        assert_eq!(
            err(no_target),
            "invalid mount config for type \"volume\": field Target must not be empty"
        );
    }

    #[test]
    fn two_mounts_on_one_destination_are_refused() {
        let strings = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let none = BTreeMap::new();
        let err = parse_all(&strings(&["/tmp:/y", "v1:/y"]), &[], &none).unwrap_err();
        assert_eq!(
            (err.to_string(), err.status()),
            ("Duplicate mount point: /y".into(), 400)
        );
        let tmpfs = |target: &str| MountSpec {
            kind: "tmpfs".into(),
            target: target.into(),
            ..MountSpec::default()
        };
        let err = parse_all(&[], &[tmpfs("/y"), tmpfs("/y/")], &none).unwrap_err();
        assert_eq!(err.to_string(), "Duplicate mount point: /y/");
        let err = parse_all(&strings(&["/x:/y:bogus"]), &[], &none).unwrap_err();
        assert_eq!(err.status(), 500);
    }

    #[test]
    fn tmpfs_options_are_dockers_mount_data() {
        let opts = |size_bytes, mode| TmpfsOptions { size_bytes, mode };
        assert_eq!(tmpfs_data(Some(&opts(1 << 20, 0)), false), "size=1m");
        assert_eq!(
            tmpfs_data(Some(&opts(1000, 0o1777)), true),
            "ro,mode=1777,size=1000"
        );
        assert_eq!(tmpfs_data(Some(&opts(3 << 30, 0)), false), "size=3g");
        assert_eq!(tmpfs_data(None, false), "");
    }

    #[test]
    fn clean_path_is_gos() {
        for (raw, clean) in [
            ("/a/b/../c", "/a/c"),
            ("/../x", "/x"),
            ("a/../..", ".."),
            ("//a//b/", "/a/b"),
            ("", "."),
            ("/", "/"),
            ("./a/.", "a"),
        ] {
            assert_eq!(clean_path(raw), clean, "{raw}");
        }
    }

    proptest! {
        /// Every spec either parses into a mount with an absolute, clean destination that is
        /// not `/`, or is refused with one of dockerd's messages; never a panic.
        #[test]
        fn any_bind_spec_parses_or_is_refused_in_dockers_words(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(String::new()), Just("/".to_owned()), Just("/x".to_owned()), Just("x".to_owned()),
                    Just("ro".to_owned()), Just("rw".to_owned()), Just("z".to_owned()), Just("nocopy".to_owned()),
                    Just("rslave".to_owned()), Just("ro,z".to_owned()), Just("..".to_owned()), "[a-z/.]{1,6}",
                ],
                1..5,
            )
        ) {
            let raw = parts.join(":");
            match parse_bind(&raw) {
                Ok(m) => {
                    prop_assert!(m.destination.starts_with('/') && m.destination != "/", "{} -> {:?}", raw, m);
                    prop_assert_eq!(clean_path(&m.destination), m.destination.clone());
                    prop_assert!(raw.matches(':').count() <= 2);
                    prop_assert!(valid_mode(&m.mode));
                    prop_assert_eq!(m.kind == "bind", m.source.starts_with('/'));
                    prop_assert_eq!(m.rw, !m.mode.split(',').any(|o| o == "ro"));
                }
                Err(e) => prop_assert!(
                    e.starts_with(&format!("invalid volume specification: '{}'", raw)) || e.starts_with("invalid mode: "),
                    "{}: {}", raw, e
                ),
            }
        }

        /// A mode is valid exactly when it repeats no kind of option and has no unknown one.
        #[test]
        fn modes_take_one_option_of_each_kind(options in proptest::collection::vec(
            prop_oneof![Just("ro"), Just("rw"), Just("z"), Just("Z"), Just("shared"), Just("rprivate"),
                        Just("nocopy"), Just("cached"), Just("bogus")], 0..5)) {
            let mode = options.join(",");
            let kind = |o: &str| match o {
                "ro" | "rw" => 0, "z" | "Z" => 1, "shared" | "rprivate" => 2, "nocopy" => 3, "cached" => 4, _ => 9,
            };
            let kinds: Vec<i32> = options.iter().map(|o| kind(o)).collect();
            let mut unique = kinds.clone();
            unique.sort();
            unique.dedup();
            let expected = options.is_empty() || (!kinds.contains(&9) && unique.len() == kinds.len());
            prop_assert_eq!(valid_mode(&mode), expected, "{}", mode);
        }
    }
}
