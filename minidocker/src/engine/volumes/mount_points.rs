//! A container's mounts through its life, as dockerd handles its `MountPoints`:
//!
//! ```text
//!  create   check_mounts      every -v / --mount / image VOLUME checked, nothing made yet
//!           register_mounts   volumes looked up or made (anonymous ones: a 64-hex name),
//!                             mount points recorded, the image's files copied into new volumes
//!  start    start_mounts      missing -v bind sources made; chapter 3 mounts, sorted so a
//!                             parent comes before what is mounted inside it; `mount` events
//!  stop     unmount_events    (the mounts go with the container's mount namespace)
//!  rm [-v]  release_mounts    its anonymous volumes removed with -v (or --rm) unless in use
//! ```
//!
//! The mount points are saved in `<container dir>/mounts.json` (minidocker's own file; dockerd
//! keeps them as `MountPoints` in `config.v2.json`). A volume is in use while any container,
//! running or not, has a mount point on it: that is its reference count.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ch03_rootfs::Mount;
use nix::mount::MsFlags;
use serde::{Deserialize, Serialize};

use super::mount_options::flags_and_data;
use super::spec::{
    DEFAULT_PROPAGATION, MountSpec, ParsedMount, TYPE_BIND, TYPE_TMPFS, TYPE_VOLUME, clean_path, parse_all,
    tmpfs_data,
};
use super::store::{LOCAL_DRIVER, Volume, VolumeStore, validate_local_options, validate_volume_name};
use super::{VolumeError, copy_up};
use crate::atomic::write_json_atomic;
use crate::container::Container;
use crate::engine::Engine;

/// A container's mount points, beside its `config.v2.json`.
pub const MOUNTS_FILE: &str = "mounts.json";

/// What the create body asks to have mounted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountRequest {
    /// `HostConfig.Binds`: `-v` flags with a source.
    pub binds: Vec<String>,
    /// `HostConfig.Mounts`: `--mount` flags.
    pub mounts: Vec<MountSpec>,
    /// `HostConfig.Tmpfs`: `--tmpfs` flags, destination to options.
    pub tmpfs: BTreeMap<String, String>,
    /// `Config.Volumes`: `-v` flags without a source (the image's are added at create).
    pub volumes: Vec<String>,
}

// ANCHOR: inspect_mount
/// One entry of `Mounts` in `docker inspect`: Docker's `types.MountPoint`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectMount {
    #[serde(rename = "Type")]
    pub kind: String,
    /// The volume's name (volumes only).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The host path: the bind source, the volume's `_data`; empty for tmpfs.
    pub source: String,
    pub destination: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub driver: String,
    /// The `-v` mode as given (`ro`, `rw,z`); `z` for a volume given without one.
    pub mode: String,
    #[serde(rename = "RW")]
    pub rw: bool,
    /// A bind mount's propagation (`rprivate` unless asked); empty for the others.
    pub propagation: String,
}
// ANCHOR_END: inspect_mount

/// One mount of a container, as decided at create.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MountPoint {
    #[serde(flatten)]
    pub view: InspectMount,
    /// The request it came from (dockerd's `Spec`); a volume without a source is anonymous.
    #[serde(default)]
    pub spec: MountSpec,
    /// The image's files are to be copied into the volume (done at create).
    #[serde(default)]
    pub copy_data: bool,
    /// A missing bind source is made at start (`-v`; `--mount` refuses one at create).
    #[serde(default)]
    pub create_source: bool,
}

impl MountPoint {
    /// Whether `rm -v` removes its volume: one made for this container, without a name given.
    pub fn is_anonymous_volume(&self) -> bool {
        self.view.kind == TYPE_VOLUME && self.spec.source.is_empty()
    }

    fn from_parsed(parsed: ParsedMount) -> MountPoint {
        MountPoint {
            view: InspectMount {
                kind: parsed.kind,
                name: parsed.volume.unwrap_or_default(),
                source: parsed.source,
                destination: parsed.destination,
                driver: String::new(),
                mode: parsed.mode,
                rw: parsed.rw,
                propagation: parsed.propagation,
            },
            spec: parsed.spec,
            copy_data: parsed.copy_data,
            create_source: parsed.create_source,
        }
    }
}

/// How many `/`-separated parts a destination has: mounts are made shallowest first.
fn depth(destination: &Path) -> usize {
    destination.components().count()
}

// ANCHOR: add_user_mounts
/// Puts a container's own mounts into chapter 3's list: one on the same destination as a
/// default mount (`/dev/shm`, `/etc/hosts`) replaces it, and all come after the defaults,
/// parents before what is mounted inside them (dockerd sorts them by depth the same way).
pub fn add_user_mounts(mounts: &mut Vec<Mount>, mut user: Vec<Mount>) {
    mounts.retain(|m| !user.iter().any(|u| u.destination == m.destination));
    user.sort_by_key(|m| depth(&m.destination));
    mounts.extend(user);
}
// ANCHOR_END: add_user_mounts

impl Engine {
    /// The volume store of this engine's data root.
    pub fn volume_store(&self) -> VolumeStore {
        VolumeStore::new(&self.data_root)
    }

    // ANCHOR: check_mounts
    /// A container's mounts checked as dockerd checks them at create, before anything is
    /// made: the `Binds` and `Mounts` entries, named volumes' names and drivers, and an
    /// anonymous volume for each `Config.Volumes` path (the request's, then the image's)
    /// that nothing else is mounted on.
    pub fn check_mounts<'a>(
        &self,
        request: &'a MountRequest,
        image_volumes: impl Iterator<Item = &'a String>,
    ) -> Result<Vec<ParsedMount>, VolumeError> {
        let mut parsed = parse_all(&request.binds, &request.mounts, &request.tmpfs)?;
        let data_root = self.data_root.to_string_lossy().into_owned();
        for mount in &mut parsed {
            match mount.kind.as_str() {
                TYPE_VOLUME => {
                    let driver_config = mount
                        .spec
                        .volume_options
                        .as_ref()
                        .and_then(|o| o.driver_config.clone());
                    let name = mount.volume.clone().unwrap_or_default();
                    if let Some(driver) = driver_config.as_ref().map(|d| d.name.as_str())
                        && !driver.is_empty()
                        && driver != LOCAL_DRIVER
                    {
                        return Err(VolumeError::NoSuchDriver {
                            name,
                            driver: driver.to_owned(),
                        });
                    }
                    if !name.is_empty() {
                        validate_volume_name(&name)?;
                        if self.volume_store().get(&name)?.is_none() {
                            validate_local_options(&name, &driver_config.unwrap_or_default().options)?;
                        }
                    }
                    if mount.mode.is_empty() {
                        mount.mode = "z".into(); // dockerd's setBindModeIfNull
                    }
                }
                TYPE_BIND => {
                    // dockerd's validateBindDaemonRoot, a plain prefix test either way
                    let source = &mount.spec.source;
                    if source.starts_with(&data_root) || data_root.starts_with(source.as_str()) {
                        match mount.propagation.as_str() {
                            "" => mount.propagation = "rslave".into(),
                            "rslave" | "rshared" => {}
                            other => {
                                return Err(VolumeError::Spec {
                                    message: format!(
                                        "invalid mount config: must use either propagation mode \"rslave\" or \"rshared\" when mount source is within the daemon root, daemon root: {data_root:?}, bind mount source: {source:?}, propagation: {other:?}"
                                    ),
                                    status: 400,
                                });
                            }
                        }
                    } else if mount.propagation.is_empty() {
                        mount.propagation = DEFAULT_PROPAGATION.into();
                    }
                }
                _ => {}
            }
        }
        for path in request.volumes.iter().chain(image_volumes) {
            let destination = clean_path(path);
            if parsed.iter().any(|m| m.destination == destination) {
                continue; // dockerd's HasMountFor: a bind or volume there wins
            }
            parsed.push(ParsedMount {
                kind: TYPE_VOLUME.into(),
                volume: None,
                source: String::new(),
                destination: destination.clone(),
                mode: String::new(),
                rw: true,
                propagation: String::new(),
                copy_data: true,
                create_source: false,
                spec: MountSpec {
                    kind: TYPE_VOLUME.into(),
                    target: destination,
                    ..MountSpec::default()
                },
            });
        }
        Ok(parsed)
    }
    // ANCHOR_END: check_mounts

    // ANCHOR: register_mounts
    /// Makes what `check_mounts` decided for `container`: its volumes (named ones made if
    /// missing, with the labels and options `--mount` gives; anonymous ones with a random
    /// name), its mount points recorded, then the image's files copied into each new, empty
    /// volume. On failure the volumes it made are removed again (the caller removes the
    /// container).
    pub fn register_mounts(
        &self,
        container: &Container,
        planned: Vec<ParsedMount>,
    ) -> Result<Vec<MountPoint>, VolumeError> {
        let store = self.volume_store();
        let mut created: Vec<String> = Vec::new();
        let mut used: Vec<String> = Vec::new();
        let registered = self.register_locked(&store, container, planned, &mut created, &mut used);
        let result = registered.and_then(|points| {
            self.copy_image_content(container, &points)?;
            Ok(points)
        });
        match result {
            Ok(points) => {
                // every volume the container uses, made now or not (dockerd "creates" each)
                for name in &used {
                    self.volume_event(name, "create", &[]);
                }
                Ok(points)
            }
            Err(e) => {
                if let Ok(lock) = store.lock() {
                    for name in &created {
                        let _ = store.remove(&lock, name);
                    }
                }
                let _ = std::fs::remove_file(self.containers.dir(&container.id).join(MOUNTS_FILE));
                Err(e)
            }
        }
    }
    // ANCHOR_END: register_mounts

    /// The volumes made and the record written under the volume lock, so no `volume rm`
    /// can take a volume between its lookup and the record that makes it in use.
    fn register_locked(
        &self,
        store: &VolumeStore,
        container: &Container,
        planned: Vec<ParsedMount>,
        created: &mut Vec<String>,
        used: &mut Vec<String>,
    ) -> Result<Vec<MountPoint>, VolumeError> {
        let lock = store.lock()?;
        let mut points = Vec::new();
        for parsed in planned {
            let mut point = MountPoint::from_parsed(parsed);
            if point.view.kind == TYPE_VOLUME {
                let given = (!point.view.name.is_empty()).then(|| point.view.name.clone());
                let volume = match given.as_deref().map(|n| store.get(n)).transpose()?.flatten() {
                    Some(existing) => existing,
                    None => {
                        let options = point.spec.volume_options.clone().unwrap_or_default();
                        let name = given.unwrap_or_else(new_volume_name);
                        let volume = store.create(
                            &lock,
                            &new_volume(
                                &name,
                                options.labels,
                                options.driver_config.map(|d| d.options).unwrap_or_default(),
                            ),
                        )?;
                        created.push(name);
                        volume
                    }
                };
                used.push(volume.name.clone());
                point.view.name = volume.name.clone();
                point.view.source = volume.mountpoint.clone();
                point.view.driver = volume.driver.clone();
            }
            points.push(point);
        }
        points.sort_by(|a, b| a.view.destination.cmp(&b.view.destination));
        let path = self.containers.dir(&container.id).join(MOUNTS_FILE);
        write_json_atomic(&path, &points, self.containers.durability(&container.id))
            .map_err(|source| VolumeError::Io { path, source })?;
        Ok(points)
    }

    /// dockerd's `populateVolumes`: for each volume to copy into, the image's directory at its
    /// destination copied into it if the volume is empty (the container's filesystem mounted
    /// for as long as that takes).
    fn copy_image_content(&self, container: &Container, points: &[MountPoint]) -> Result<(), VolumeError> {
        let store = self.volume_store();
        let wanted: Vec<(&MountPoint, Volume)> = points
            .iter()
            .filter(|p| p.view.kind == TYPE_VOLUME && p.copy_data)
            .map(|p| store.find(&p.view.name).map(|v| (p, v)))
            .collect::<Result<_, _>>()?;
        let wanted: Vec<_> = wanted
            .into_iter()
            .filter(|(_, v)| !v.mounts_a_filesystem())
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let rootfs = self
            .container_rootfs(container)
            .map_err(|e| VolumeError::System(e.to_string()))?;
        for (point, volume) in wanted {
            let io = |path: &Path| {
                let path = path.to_owned();
                move |source| VolumeError::Io { path, source }
            };
            let image_dir =
                ch03_rootfs::secure_join::secure_join(rootfs.path(), Path::new(&point.view.destination))
                    .map_err(|e| VolumeError::System(e.to_string()))?;
            let data = PathBuf::from(&volume.mountpoint);
            match std::fs::symlink_metadata(&image_dir) {
                Err(_) => continue, // nothing there in the image
                Ok(meta) if !meta.is_dir() => {
                    return Err(VolumeError::System(format!(
                        "cannot mount volume over existing file, file exists {}",
                        image_dir.display()
                    )));
                }
                Ok(_) => {}
            }
            if copy_up::is_empty_dir(&data).map_err(io(&data))? {
                copy_up::copy_dir(&image_dir, &data).map_err(io(&data))?;
            }
        }
        Ok(())
    }

    /// The mount points recorded for container `id` (none for a container made before
    /// volumes, or with none).
    pub fn mount_points(&self, id: &str) -> Result<Vec<MountPoint>, VolumeError> {
        let path = self.containers.dir(id).join(MOUNTS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|source| VolumeError::Json { path, source }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(VolumeError::Io { path, source }),
        }
    }

    /// `Mounts` of `docker inspect`.
    pub fn inspect_mounts(&self, id: &str) -> Result<Vec<InspectMount>, VolumeError> {
        Ok(self.mount_points(id)?.into_iter().map(|p| p.view).collect())
    }

    /// Which containers (their ids) have a mount point on each volume.
    pub fn volume_references(&self) -> Result<BTreeMap<String, Vec<String>>, VolumeError> {
        let mut references: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let containers = self.containers.list().map_err(|e| VolumeError::Io {
            path: self.data_root.join("containers"),
            source: std::io::Error::other(e.to_string()),
        })?;
        for container in containers {
            for point in self.mount_points(&container.id)? {
                if point.view.kind == TYPE_VOLUME {
                    references
                        .entry(point.view.name)
                        .or_default()
                        .push(container.id.clone());
                }
            }
        }
        Ok(references)
    }

    // ANCHOR: start_mounts
    /// The mounts of `container`'s start, in chapter 3's terms: bind sources `-v` asked for
    /// made if missing (a directory, as dockerd does), volumes as binds of their `_data` (or
    /// their own filesystem for `-o type=…`), tmpfs with dockerd's `noexec,nosuid,nodev`; a
    /// `mount` event for each volume.
    pub fn start_mounts(&self, container: &Container) -> Result<Vec<Mount>, VolumeError> {
        let store = self.volume_store();
        let mut mounts = Vec::new();
        let points = self.mount_points(&container.id)?;
        for point in &points {
            let view = &point.view;
            let read_only = if view.rw {
                MsFlags::empty()
            } else {
                MsFlags::MS_RDONLY
            };
            let mount = match view.kind.as_str() {
                TYPE_BIND => {
                    if point.create_source && std::fs::symlink_metadata(&view.source).is_err() {
                        std::fs::DirBuilder::new()
                            .recursive(true)
                            .create(&view.source)
                            .map_err(|e| {
                                let errno =
                                    nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO));
                                VolumeError::System(format!(
                                    "error while creating mount source path '{}': mkdir {}: {}",
                                    view.source,
                                    view.source,
                                    crate::go_errors::errno_text(errno)
                                ))
                            })?;
                    }
                    let recursive = !point.spec.bind_options.as_ref().is_some_and(|b| b.non_recursive);
                    let mut m = Mount::bind(&view.source, &view.destination);
                    if !recursive {
                        m.flags.remove(MsFlags::MS_REC);
                    }
                    m.flags |= read_only;
                    m
                }
                TYPE_VOLUME => {
                    let volume = store.find(&view.name)?;
                    volume_mount(&volume, &view.destination, read_only)
                }
                TYPE_TMPFS => tmpfs_mount(
                    &view.destination,
                    &tmpfs_data(point.spec.tmpfs_options.as_ref(), !view.rw),
                ),
                _ => continue,
            };
            mounts.push(mount);
        }
        let host_config = self
            .containers
            .host_config(&container.id)
            .map_err(|e| VolumeError::Io {
                path: self.containers.dir(&container.id),
                source: std::io::Error::other(e.to_string()),
            })?;
        for (destination, options) in &host_config.tmpfs {
            mounts.push(tmpfs_mount(destination, options));
        }
        for point in points.iter().filter(|p| p.view.kind == TYPE_VOLUME) {
            let view = &point.view;
            self.volume_event(
                &view.name,
                "mount",
                &[
                    ("container", container.id.clone()),
                    ("destination", view.destination.clone()),
                    ("propagation", view.propagation.clone()),
                    ("read/write", view.rw.to_string()),
                ],
            );
        }
        Ok(mounts)
    }
    // ANCHOR_END: start_mounts

    /// The `unmount` events of a container that has stopped (its mounts went with its mount
    /// namespace).
    pub fn unmount_events(&self, container: &Container) {
        for point in self.mount_points(&container.id).unwrap_or_default() {
            if point.view.kind == TYPE_VOLUME {
                self.volume_event(
                    &point.view.name,
                    "unmount",
                    &[("container", container.id.clone())],
                );
            }
        }
    }

    // ANCHOR: release_mounts
    /// At `rm`: with `remove_anonymous` (`rm -v`, `--rm`), the container's anonymous volumes
    /// are removed, unless another container uses one too (then it stays, silently, as in
    /// dockerd). Named volumes always stay.
    pub fn release_mounts(&self, id: &str, remove_anonymous: bool) -> Result<(), VolumeError> {
        if !remove_anonymous {
            return Ok(());
        }
        let points = self.mount_points(id)?;
        let anonymous: Vec<&MountPoint> = points.iter().filter(|p| p.is_anonymous_volume()).collect();
        if anonymous.is_empty() {
            return Ok(());
        }
        let store = self.volume_store();
        let lock = store.lock()?;
        let references = self.volume_references()?;
        for point in anonymous {
            let name = &point.view.name;
            let others = references
                .get(name)
                .is_some_and(|ids| ids.iter().any(|other| other != id));
            if others {
                continue;
            }
            match store.remove(&lock, name) {
                Ok(()) => self.volume_event(name, "destroy", &[]),
                Err(VolumeError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    // ANCHOR_END: release_mounts

    /// Records that `action` happened to volume `name` (`driver` and `extra` attributes).
    pub fn volume_event(&self, name: &str, action: &str, extra: &[(&str, String)]) {
        let mut attributes: BTreeMap<String, String> =
            extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        attributes.insert("driver".into(), LOCAL_DRIVER.into());
        self.events
            .emit(&crate::events::Event::new("volume", action, name, attributes));
    }
}

/// A new volume's record (not saved yet).
pub fn new_volume(name: &str, labels: BTreeMap<String, String>, options: BTreeMap<String, String>) -> Volume {
    Volume {
        created_at: chrono::Local::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        driver: LOCAL_DRIVER.into(),
        labels: (!labels.is_empty()).then_some(labels),
        mountpoint: String::new(),
        name: name.into(),
        options: (!options.is_empty()).then_some(options),
        scope: "local".into(),
        usage_data: None,
    }
}

/// A name for an anonymous volume: 64 hex digits, as dockerd's `stringid.GenerateRandomID`.
pub fn new_volume_name() -> String {
    use rand::RngCore;
    let mut random = rand::rng();
    crate::container::generate_id(|b| random.fill_bytes(b))
}

/// A volume at `destination`: its `_data` bound there, or, for a volume made with
/// `-o type=… -o device=… -o o=…`, that filesystem mounted there (in the container's mount
/// namespace: each container using it mounts it afresh).
fn volume_mount(volume: &Volume, destination: &str, read_only: MsFlags) -> Mount {
    let options = volume.options();
    if !volume.mounts_a_filesystem() {
        let mut m = Mount::bind(&volume.mountpoint, destination);
        m.flags |= read_only;
        return m;
    }
    let (flags, data) = flags_and_data(read_only, options.get("o").map_or("", String::as_str));
    let fstype = options
        .get("type")
        .cloned()
        .filter(|t| !t.is_empty() && t != "none");
    Mount {
        destination: destination.into(),
        fstype: if flags.contains(MsFlags::MS_BIND) {
            None
        } else {
            fstype
        },
        source: options.get("device").cloned().unwrap_or_default().into(),
        flags,
        data: (!data.is_empty()).then_some(data),
    }
}

/// A tmpfs at `destination` with dockerd's defaults (`noexec,nosuid,nodev`) under `options`.
fn tmpfs_mount(destination: &str, options: &str) -> Mount {
    let defaults = MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID | MsFlags::MS_NODEV;
    let (flags, data) = flags_and_data(defaults, options);
    Mount {
        destination: destination.into(),
        fstype: Some("tmpfs".into()),
        source: "tmpfs".into(),
        flags,
        data: (!data.is_empty()).then_some(data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_mounts_replace_defaults_and_go_parents_first() {
        let mut mounts = vec![
            Mount::bind("/c/hosts", "/etc/hosts"),
            Mount::bind("/c/hostname", "/etc/hostname"),
        ];
        let user = vec![
            Mount::bind("/h/a/b", "/a/b"),
            Mount::bind("/h/hosts", "/etc/hosts"),
            Mount::bind("/h/a", "/a"),
        ];
        add_user_mounts(&mut mounts, user);
        let order: Vec<_> = mounts
            .iter()
            .map(|m| m.source.to_string_lossy().into_owned())
            .collect();
        assert_eq!(order, ["/c/hostname", "/h/a", "/h/a/b", "/h/hosts"]);
    }

    #[test]
    fn tmpfs_and_filesystem_volumes_become_dockers_mounts() {
        let m = tmpfs_mount("/t", "size=1m,ro");
        assert_eq!(m.data.as_deref(), Some("size=1m"));
        assert!(
            m.flags
                .contains(MsFlags::MS_RDONLY | MsFlags::MS_NOEXEC | MsFlags::MS_NOSUID)
        );
        let options = BTreeMap::from([
            ("type".to_owned(), "tmpfs".to_owned()),
            ("device".to_owned(), "tmpfs".to_owned()),
            ("o".to_owned(), "size=1m".to_owned()),
        ]);
        let volume = new_volume("v", BTreeMap::new(), options);
        let m = volume_mount(&volume, "/d", MsFlags::empty());
        assert_eq!(
            (m.fstype.as_deref(), m.data.as_deref()),
            (Some("tmpfs"), Some("size=1m"))
        );
        let bind = BTreeMap::from([
            ("type".to_owned(), "none".to_owned()),
            ("device".to_owned(), "/srv/data".to_owned()),
            ("o".to_owned(), "bind".to_owned()),
        ]);
        let m = volume_mount(&new_volume("v", BTreeMap::new(), bind), "/d", MsFlags::MS_RDONLY);
        assert!(m.is_bind() && m.fstype.is_none() && m.flags.contains(MsFlags::MS_RDONLY));
        assert_eq!(m.source, Path::new("/srv/data"));
    }

    #[test]
    fn inspect_shows_dockers_fields_and_the_record_keeps_the_request() {
        let point = MountPoint {
            view: InspectMount {
                kind: "bind".into(),
                source: "/h".into(),
                destination: "/d".into(),
                mode: "ro".into(),
                rw: false,
                propagation: "rprivate".into(),
                ..InspectMount::default()
            },
            ..MountPoint::default()
        };
        assert_eq!(
            serde_json::to_string(&point.view).unwrap(),
            r#"{"Type":"bind","Source":"/h","Destination":"/d","Mode":"ro","RW":false,"Propagation":"rprivate"}"#
        );
        let saved = serde_json::to_string(&point).unwrap();
        assert_eq!(serde_json::from_str::<MountPoint>(&saved).unwrap(), point);
        assert!(!point.is_anonymous_volume());
    }
}
