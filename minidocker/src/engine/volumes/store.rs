//! The volumes of the `local` driver, one directory each under `<data-root>/volumes`, the way
//! dockerd's local driver lays them out:
//!
//! ```text
//! <data-root>/volumes/
//! ├── .lock                flock(2)ed while a process creates, removes or starts using a volume
//! │                        (a name no volume can have: they start with a letter or digit)
//! └── <name>/
//!     ├── volume.json      the record (`volume inspect` without Mountpoint), written atomically
//!     └── _data/           the volume's files: what containers see where it is mounted
//! ```
//!
//! (dockerd keeps the records in `volumes/metadata.db`, a bolt database, and the driver
//! options in `<name>/opts.json`; here both are the one JSON file beside `_data`.)
//!
//! Several processes use volumes at once (the daemon's requests, the shims starting their
//! containers), so every change that must see a consistent state (is the volume still
//! unused? does its name exist?) happens under the exclusive lock.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::VolumeError;
use crate::atomic::{Durability, write_json_atomic};

/// The only driver there is.
pub const LOCAL_DRIVER: &str = "local";
/// A record's file, beside `_data`.
const RECORD_FILE: &str = "volume.json";
/// The directory containers see.
const DATA_DIR: &str = "_data";

/// The options the local driver takes (`-o type=tmpfs -o device=tmpfs -o o=size=64m`): a
/// filesystem to mount where the volume is used instead of its `_data` directory.
pub const LOCAL_OPTIONS: [&str; 4] = ["type", "device", "o", "size"];

/// `UsageData` of `system df`: how many containers use the volume and its bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UsageData {
    pub ref_count: i64,
    pub size: i64,
}

// ANCHOR: volume_record
/// A volume as `volume inspect` shows it: Docker's `types.Volume`, fields in its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    /// RFC 3339 in seconds, local time (`2026-12-02T02:58:47Z`).
    pub created_at: String,
    pub driver: String,
    /// `null` when it has none.
    pub labels: Option<BTreeMap<String, String>>,
    /// Where its files are on the host (`<data-root>/volumes/<name>/_data`), worked out
    /// from where the data root is now.
    #[serde(default)]
    pub mountpoint: String,
    pub name: String,
    /// The driver options it was created with; `null` when none.
    pub options: Option<BTreeMap<String, String>>,
    pub scope: String,
    /// Only in `system df`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_data: Option<UsageData>,
}
// ANCHOR_END: volume_record

impl Volume {
    /// The options as a map (none: empty).
    pub fn options(&self) -> BTreeMap<String, String> {
        self.options.clone().unwrap_or_default()
    }

    /// Whether the volume is a filesystem of its own (`-o type=…`) rather than its `_data`
    /// directory.
    pub fn mounts_a_filesystem(&self) -> bool {
        self.options
            .as_ref()
            .is_some_and(|o| o.contains_key("type") || o.contains_key("device"))
    }
}

// ANCHOR: validate_volume_name
/// The local driver's rule for names: two or more of `[a-zA-Z0-9][a-zA-Z0-9_.-]`; anything
/// else is Docker's error (a relative path given to `-v` ends up here too, hence its hint).
pub fn validate_volume_name(name: &str) -> Result<(), VolumeError> {
    let invalid = |reason: String| VolumeError::Invalid {
        op: "create",
        name: name.to_owned(),
        reason,
    };
    if name.chars().count() == 1 {
        return Err(invalid(
            "volume name is too short, names should be at least two alphanumeric characters".into(),
        ));
    }
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !valid {
        return Err(invalid(format!(
            "{name:?} includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"
        )));
    }
    Ok(())
}
// ANCHOR_END: validate_volume_name

/// The local driver's check of `-o` options: known names only, a device for a filesystem
/// type, and no `size` (it needs quota support of the backing filesystem, which minidocker
/// does not set up).
pub fn validate_local_options(name: &str, options: &BTreeMap<String, String>) -> Result<(), VolumeError> {
    let invalid = |reason: String| VolumeError::Invalid {
        op: "create",
        name: name.to_owned(),
        reason,
    };
    if let Some(unknown) = options.keys().find(|k| !LOCAL_OPTIONS.contains(&k.as_str())) {
        return Err(invalid(format!("invalid option: {unknown:?}")));
    }
    if options.contains_key("size") {
        return Err(invalid("quota size requested but no quota support".into()));
    }
    if (options.contains_key("type") || options.contains_key("o")) && !options.contains_key("device") {
        return Err(invalid("missing required option: \"device\"".into()));
    }
    Ok(())
}

/// The records and the lock under `<data-root>/volumes`.
#[derive(Debug, Clone)]
pub struct VolumeStore {
    root: PathBuf,
}

/// The exclusive lock on volume state; released when dropped (the descriptor closes).
#[derive(Debug)]
pub struct VolumeLock {
    _lock: nix::fcntl::Flock<File>,
}

impl VolumeStore {
    /// The store of a data root (nothing is created until a volume is).
    pub fn new(data_root: &Path) -> VolumeStore {
        VolumeStore {
            root: data_root.join("volumes"),
        }
    }

    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> VolumeError + '_ {
        move |source| VolumeError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// Takes the exclusive lock: flock(2), waiting for other processes.
    pub fn lock(&self) -> Result<VolumeLock, VolumeError> {
        std::fs::create_dir_all(&self.root).map_err(Self::io(&self.root))?;
        let path = self.root.join(".lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Self::io(&path))?;
        let lock = nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockExclusive)
            .map_err(|(_, errno)| Self::io(&path)(errno.into()))?;
        Ok(VolumeLock { _lock: lock })
    }

    /// The directory of volume `name`.
    fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Where volume `name`'s files are on the host.
    pub fn data_dir(&self, name: &str) -> PathBuf {
        self.dir(name).join(DATA_DIR)
    }

    /// The volume called `name`, if there is one (its record complete: one being created or
    /// removed right now is not there).
    pub fn get(&self, name: &str) -> Result<Option<Volume>, VolumeError> {
        // (not a name the driver gives out: not a volume, nor a path out of the store)
        if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) || name.contains('/') {
            return Ok(None);
        }
        let path = self.dir(name).join(RECORD_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(VolumeError::Io { path, source }),
        };
        let mut volume: Volume =
            serde_json::from_slice(&bytes).map_err(|source| VolumeError::Json { path, source })?;
        volume.mountpoint = self.data_dir(name).to_string_lossy().into_owned();
        Ok(Some(volume))
    }

    /// Volume `name`, or Docker's `get <name>: no such volume`.
    pub fn find(&self, name: &str) -> Result<Volume, VolumeError> {
        self.get(name)?
            .ok_or_else(|| VolumeError::NotFound(name.to_owned()))
    }

    /// Every volume, sorted by name.
    pub fn list(&self) -> Result<Vec<Volume>, VolumeError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(VolumeError::Io {
                    path: self.root.clone(),
                    source,
                });
            }
        };
        let mut volumes = Vec::new();
        for entry in entries.flatten() {
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                continue;
            }
            if let Some(volume) = self.get(&entry.file_name().to_string_lossy())? {
                volumes.push(volume);
            }
        }
        volumes.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(volumes)
    }

    /// Makes the directories and record of `volume` (whose name is free: the caller holds
    /// the lock and has looked). A failure leaves nothing behind.
    pub fn create(&self, _lock: &VolumeLock, volume: &Volume) -> Result<Volume, VolumeError> {
        let dir = self.dir(&volume.name);
        std::fs::create_dir_all(&dir).map_err(Self::io(&dir))?;
        let data = self.data_dir(&volume.name);
        let record = dir.join(RECORD_FILE);
        let made = std::fs::create_dir_all(&data)
            .map_err(Self::io(&data))
            .and_then(|()| {
                // The record is the last thing written: until it is there, there is no volume.
                let stored = Volume {
                    mountpoint: String::new(),
                    usage_data: None,
                    ..volume.clone()
                };
                write_json_atomic(&record, &stored, Durability::Synced).map_err(Self::io(&record))
            });
        if let Err(e) = made {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
        self.find(&volume.name)
    }

    /// Removes volume `name`, record first (from then on it is gone), then its files.
    pub fn remove(&self, _lock: &VolumeLock, name: &str) -> Result<(), VolumeError> {
        let dir = self.dir(name);
        let record = dir.join(RECORD_FILE);
        match std::fs::remove_file(&record) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VolumeError::NotFound(name.to_owned()));
            }
            Err(source) => return Err(VolumeError::Io { path: record, source }),
        }
        std::fs::remove_dir_all(&dir).map_err(Self::io(&dir))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn volume(name: &str) -> Volume {
        Volume {
            created_at: "2026-12-02T02:58:47Z".into(),
            driver: LOCAL_DRIVER.into(),
            labels: None,
            mountpoint: String::new(),
            name: name.into(),
            options: None,
            scope: "local".into(),
            usage_data: None,
        }
    }

    #[test]
    fn a_volume_is_dockers_json_in_dockers_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = VolumeStore::new(dir.path());
        let lock = store.lock().unwrap();
        let made = store.create(&lock, &volume("data")).unwrap();
        assert_eq!(
            serde_json::to_string(&made).unwrap(),
            format!(
                r#"{{"CreatedAt":"2026-12-02T02:58:47Z","Driver":"local","Labels":null,"Mountpoint":"{}/volumes/data/_data","Name":"data","Options":null,"Scope":"local"}}"#,
                dir.path().display()
            )
        );
        assert!(store.data_dir("data").is_dir());
        assert_eq!(store.list().unwrap(), vec![made.clone()]);
        // the lock's file is no volume, and takes no name a volume could have
        let lock_named = store.create(&lock, &volume("lock")).unwrap();
        assert_eq!(store.list().unwrap(), vec![made, lock_named]);
        assert!(store.get(".lock").unwrap().is_none());
    }

    #[test]
    fn removing_takes_the_files_and_a_missing_volume_is_not_found() {
        let dir = tempfile::tempdir().unwrap();
        let store = VolumeStore::new(dir.path());
        let lock = store.lock().unwrap();
        store.create(&lock, &volume("data")).unwrap();
        std::fs::write(store.data_dir("data").join("f"), "x").unwrap();
        store.remove(&lock, "data").unwrap();
        assert!(!dir.path().join("volumes/data").exists());
        assert_eq!(
            store.remove(&lock, "data").unwrap_err().to_string(),
            "get data: no such volume"
        );
        assert_eq!(
            store.find("../containers").unwrap_err().to_string(),
            "get ../containers: no such volume"
        );
        // a directory without its record (being created, or half removed) is no volume
        std::fs::create_dir_all(dir.path().join("volumes/half/_data")).unwrap();
        assert!(store.list().unwrap().is_empty());
    }

    #[test]
    fn names_and_options_are_checked_as_the_local_driver_does() {
        validate_volume_name("ab").unwrap();
        validate_volume_name("a.b_c-1").unwrap();
        assert_eq!(
            validate_volume_name("a").unwrap_err().to_string(),
            "create a: volume name is too short, names should be at least two alphanumeric characters"
        );
        assert_eq!(
            validate_volume_name("foo/bar").unwrap_err().to_string(),
            r#"create foo/bar: "foo/bar" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path"#
        );
        assert!(validate_volume_name("-ab").is_err());
        let opts = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect()
        };
        validate_local_options("v", &opts(&[("type", "tmpfs"), ("device", "tmpfs")])).unwrap();
        let err = |pairs: &[(&str, &str)]| validate_local_options("v", &opts(pairs)).unwrap_err().to_string();
        assert_eq!(err(&[("foo", "bar")]), r#"create v: invalid option: "foo""#);
        assert_eq!(
            err(&[("type", "tmpfs")]),
            r#"create v: missing required option: "device""#
        );
        assert_eq!(
            err(&[("o", "size=1m")]),
            r#"create v: missing required option: "device""#
        );
        assert_eq!(
            err(&[("size", "10m")]),
            "create v: quota size requested but no quota support"
        );
    }
}
