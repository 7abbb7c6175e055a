//! Docker's overlay2 layout on disk, so the book can put ours next to `/var/lib/docker/overlay2`.
//!
//! ```text
//! <root>/                          (<data-root>/overlay2, mode 0710)
//!   l/                             short names, mode 0700
//!     ZSZSFE5U5DUHHHZ3KVIGRMBEYO -> ../<id>/diff
//!   <id>/
//!     diff/                        the layer's own files (an image layer, or a container's changes)
//!     link                         "ZSZSFE5U5DUHHHZ3KVIGRMBEYO": this layer's short name
//!     lower                        "l/AAA…:l/BBB…": every ancestor, nearest first (not for a base)
//!     work/                        overlayfs' work dir (every layer that has a parent)
//!     merged/                      the mount point, while mounted
//! ```
//!
//! ## Why `l/`?
//!
//! With [`MountApi::Legacy`] every lower layer is spelled out in one mount(2) data string of
//! at most one page. `/var/lib/docker/overlay2/<64 hex chars>/diff` is ~90 bytes, so a page
//! holds about 45 layers. `l/<26 chars>` is 28 bytes — *relative to `<root>`*. The kernel
//! resolves relative option paths against the caller's working directory, so the mount is
//! made by a forked child that first chdir(2)s into `<root>` (Docker re-execs itself as
//! `docker-mountfrom` for the same reason). 128 such layers use ~3.7 KiB, Docker's `maxDepth`.
//! Like Docker we try absolute paths first and only switch to the short relative ones when the
//! string would not fit. [`MountApi::FsConfig`] passes each layer separately: absolute paths,
//! no page limit, only overlayfs' own limit of 500 lower layers, which is also ours.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;
use nix::mount::MntFlags;

use crate::LayerError;
use crate::overlay::{
    Durability, MountApi, OVL_MAX_STACK, OverlayLayers, is_mountpoint, legacy_mount_data, mount_data_limit,
    mount_legacy_relative, mount_overlay_with, with_durability,
};

const LINK_DIR: &str = "l";
/// 16 random bytes in base32 (RFC 4648, `A–Z2–7`) are 26 characters, Docker's `idLength`.
pub const LINK_LEN: usize = 26;

// ANCHOR: driver
/// A layer store laid out like Docker's overlay2 driver.
#[derive(Debug, Clone)]
pub struct LayerDriver {
    root: PathBuf,
}

impl LayerDriver {
    /// Open (creating if needed) a store at `root` (`<data-root>/overlay2`).
    pub fn open(root: &Path) -> Result<Self, LayerError> {
        make_dir_all(root, 0o710)?;
        make_dir_all(&root.join(LINK_DIR), 0o700)?;
        Ok(LayerDriver {
            root: root.to_owned(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Create layer `id` on top of `parent` (which must exist).
    pub fn create(&self, id: &str, parent: Option<&str>) -> Result<(), LayerError> {
        self.create_with(id, parent, Durability::Synced)
    }

    /// [`LayerDriver::create`], its `link` and `lower` files fsync(2)ed or not: a layer that
    /// goes with its `--rm` container needs none of it ([`Durability::Volatile`]). After a
    /// crash such a file may be empty; [`LayerDriver::remove`] copes with that.
    pub fn create_with(
        &self,
        id: &str,
        parent: Option<&str>,
        durability: Durability,
    ) -> Result<(), LayerError> {
        let dir = self.dir(id)?;
        let lowers = parent.map(|p| self.lowers_on_top_of(p, id)).transpose()?;
        std::fs::DirBuilder::new()
            .mode(0o710)
            .create(&dir)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => LayerError::LayerExists { id: id.to_owned() },
                _ => LayerError::io("mkdir(2)", &dir, &e),
            })?;
        let result = make_dir(&dir.join("diff"), 0o755)
            .and_then(|()| self.new_link(id))
            .and_then(|link| populate(&dir, &link, lowers.as_deref(), durability));
        if result.is_err() {
            let _ = self.remove(id); // leave nothing half-made behind
        }
        result
    }

    /// The `lower` list of a layer made on top of `parent`: `parent`'s short link first, then
    /// its own lowers. `id` names the new layer in the error when that is too deep.
    fn lowers_on_top_of(&self, parent: &str, id: &str) -> Result<Vec<String>, LayerError> {
        let parent_dir = self.existing_dir(parent)?;
        let link = read_link_file(&parent_dir)?;
        let theirs = read_optional(&parent_dir.join("lower"))?;
        stacked(
            id,
            &link,
            theirs.iter().flat_map(|l| l.split(':').map(str::to_owned)),
        )
    }
    // ANCHOR_END: driver

    // ANCHOR: stage
    /// Make a layer before its id is known, in `dir` (which must not exist yet, on the
    /// store's file system), on top of `below`: `diff/`, `work/`, `link` and `lower` as
    /// [`LayerDriver::create_with`] makes them, but no `l/` symlink, so nothing in the store
    /// refers to it. [`LayerDriver::publish`] gives it its id later, with one rename(2): an
    /// engine can make a container's layers ahead, in the background, and publish them when
    /// the container is created.
    pub fn stage(
        &self,
        dir: &Path,
        below: Below<'_>,
        durability: Durability,
    ) -> Result<StagedLayer, LayerError> {
        let name = dir.file_name().unwrap_or(OsStr::new("staged")).to_string_lossy();
        let lowers = match below {
            Below::Nothing => None,
            Below::Layer(parent) => Some(self.lowers_on_top_of(parent, &name)?),
            Below::Staged(staged) => Some(stacked(
                &name,
                &staged.link,
                staged.lowers.iter().flatten().cloned(),
            )?),
        };
        std::fs::DirBuilder::new()
            .mode(0o710)
            .create(dir)
            .map_err(|e| LayerError::io("mkdir(2)", dir, &e))?;
        let link = random_link_id()?;
        let result = make_dir(&dir.join("diff"), 0o755)
            .and_then(|()| populate(dir, &link, lowers.as_deref(), durability));
        if let Err(e) = result {
            let _ = std::fs::remove_dir_all(dir);
            return Err(e);
        }
        Ok(StagedLayer {
            dir: dir.to_owned(),
            link,
            lowers,
        })
    }

    /// Give staged layer `staged` its id: rename(2) it to `<root>/<id>` (never over an existing
    /// layer: `RENAME_NOREPLACE`), then make its `l/` symlink. The layer below it must be in
    /// the store by then (a staged one published first). On failure the staged layer is left
    /// where it was, or removed if it had been moved already.
    pub fn publish(&self, staged: &StagedLayer, id: &str) -> Result<(), LayerError> {
        let dir = self.dir(id)?;
        if let Some(nearest) = staged.lowers.as_ref().and_then(|l| l.first()) {
            let below = self.root.join(nearest);
            if !below.exists() {
                return Err(LayerError::UnknownLayer {
                    id: below.display().to_string(),
                });
            }
        }
        use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
        renameat2(
            AT_FDCWD,
            &staged.dir,
            AT_FDCWD,
            &dir,
            RenameFlags::RENAME_NOREPLACE,
        )
        .map_err(|errno| match errno {
            Errno::EEXIST => LayerError::LayerExists { id: id.to_owned() },
            _ => LayerError::path("rename(2)", &dir, errno),
        })?;
        let link = self.root.join(LINK_DIR).join(&staged.link);
        let target = Path::new("..").join(id).join("diff");
        if let Err(e) = std::os::unix::fs::symlink(&target, &link) {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(LayerError::io("symlink(2)", &link, &e));
        }
        Ok(())
    }
    // ANCHOR_END: stage
    // ANCHOR_END: driver

    // ANCHOR: new_link
    /// A fresh `l/<26 chars>` symlink to `<id>/diff`; returns the 26 characters.
    fn new_link(&self, id: &str) -> Result<String, LayerError> {
        let target = Path::new("..").join(id).join("diff");
        loop {
            let link = random_link_id()?;
            let path = self.root.join(LINK_DIR).join(&link);
            match std::os::unix::fs::symlink(&target, &path) {
                Ok(()) => return Ok(link),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue, // 2^-128, but still
                Err(e) => return Err(LayerError::io("symlink(2)", &path, &e)),
            }
        }
    }
    // ANCHOR_END: new_link

    /// `<root>/<id>/diff`: where the layer's files live (and where a layer tar is applied).
    pub fn diff_dir(&self, id: &str) -> PathBuf {
        self.root.join(id).join("diff")
    }

    // ANCHOR: lower_dirs
    /// The absolute diff dirs of `id`'s ancestors, nearest first, read back through `l/`.
    pub fn lower_dirs(&self, id: &str) -> Result<Vec<PathBuf>, LayerError> {
        let dir = self.existing_dir(id)?;
        let Some(lower) = read_optional(&dir.join("lower"))? else {
            return Ok(Vec::new());
        };
        lower
            .split(':')
            .map(|short| {
                let link = self.root.join(short);
                let target =
                    std::fs::read_link(&link).map_err(|e| LayerError::io("readlink(2)", &link, &e))?;
                // `../<id>/diff`, relative to l/
                let mut abs = self.root.join(LINK_DIR);
                for part in target.components() {
                    match part {
                        Component::ParentDir => {
                            abs.pop();
                        }
                        Component::Normal(p) => abs.push(p),
                        _ => return Err(corrupt(&link, "link target must be ../<id>/diff")),
                    }
                }
                if !abs.starts_with(&self.root) {
                    return Err(corrupt(&link, "link points outside the store"));
                }
                Ok(abs)
            })
            .collect()
    }
    // ANCHOR_END: lower_dirs

    // ANCHOR: mount
    /// Mount `id` with its ancestors below it at `<id>/merged` and return that path. A base
    /// layer (no `lower`) is not an overlay: its diff dir is returned, as Docker does.
    /// Mounting an already mounted layer returns it again (there is no reference count: one
    /// mount per container).
    pub fn mount(&self, id: &str, api: MountApi) -> Result<PathBuf, LayerError> {
        self.mount_with(id, api, Durability::Synced)
    }

    /// [`LayerDriver::mount`] with the upper dir's [`Durability`]: a layer once mounted
    /// [`Durability::Volatile`] must be mounted so every time (overlayfs refuses the other way).
    pub fn mount_with(&self, id: &str, api: MountApi, durability: Durability) -> Result<PathBuf, LayerError> {
        let dir = self.existing_dir(id)?;
        if !dir.join("lower").exists() {
            return Ok(dir.join("diff"));
        }
        let merged = dir.join("merged");
        make_dir(&merged, 0o700)?;
        if is_mountpoint(&merged) {
            return Ok(merged);
        }
        let absolute = OverlayLayers {
            lower: self.lower_dirs(id)?,
            upper: dir.join("diff"),
            work: dir.join("work"),
        };
        let result = if api == MountApi::FsConfig || legacy_mount_data(&absolute).len() <= mount_data_limit()
        {
            mount_overlay_with(&absolute, &merged, api, durability)
        } else {
            tracing::debug!(
                id,
                "mount data over a page: relative l/ paths from the store root"
            );
            self.relative_mount_data(id).and_then(|data| {
                mount_legacy_relative(&self.root, &with_durability(data, durability), &merged)
            })
        };
        if result.is_err() {
            let _ = std::fs::remove_dir(&merged); // as Docker's Get does on failure
        }
        result.map(|()| merged)
    }

    /// The short data string Docker falls back to: `lowerdir=l/…:l/…,upperdir=<id>/diff,…`,
    /// every path relative to the store root.
    pub fn relative_mount_data(&self, id: &str) -> Result<String, LayerError> {
        let dir = self.existing_dir(id)?;
        let lower = read_optional(&dir.join("lower"))?.unwrap_or_default();
        Ok(legacy_mount_data(&OverlayLayers {
            lower: lower
                .split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect(),
            upper: Path::new(id).join("diff"),
            work: Path::new(id).join("work"),
        }))
    }
    // ANCHOR_END: mount

    /// Unmount `<id>/merged` if mounted, then remove the mount point (Docker's `Put`).
    pub fn unmount(&self, id: &str) -> Result<(), LayerError> {
        let merged = self.unmount_only(id)?;
        match std::fs::remove_dir(&merged) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(LayerError::io("rmdir(2)", &merged, &e))
            }
            _ => Ok(()),
        }
    }

    /// Unmount `<id>/merged` if mounted and leave the empty mount point, for a layer that is
    /// removed whole soon after (a `--rm` container's): the directory goes with the rest of
    /// it, off the path of whoever waits for the container's end. (Freeing a directory's block
    /// is not always cheap: on a file system mounted `-o discard` without a journal, rmdir(2)
    /// waits for the disk to discard it.) Returns the mount point.
    pub fn unmount_only(&self, id: &str) -> Result<PathBuf, LayerError> {
        let merged = self.existing_dir(id)?.join("merged");
        if is_mountpoint(&merged) {
            match nix::mount::umount2(&merged, MntFlags::MNT_DETACH) {
                // unmounted by another process since we looked (a container's shim at its
                // exit while `rm -f` removes it): what we wanted
                Err(Errno::EINVAL) if !is_mountpoint(&merged) => {}
                Err(errno) => {
                    return Err(LayerError::Unmount {
                        path: merged.clone(),
                        errno,
                    });
                }
                Ok(()) => {}
            }
        }
        Ok(merged)
    }

    /// Unmount if mounted, then delete `l/<link>` and `<id>/`. Removing a missing layer is fine.
    pub fn remove(&self, id: &str) -> Result<(), LayerError> {
        self.remove_with(id, &|dir| std::fs::remove_dir_all(dir))
    }

    /// [`LayerDriver::remove`], with `delete` deciding how its `l/` link goes, then `<id>/`
    /// once nothing refers to it any more (unmounted, the link gone): the engine renames both
    /// into a trash it empties later, so that a `docker rm` does not wait for every file to be
    /// unlinked. `delete` may find either gone already (`NotFound` is fine).
    pub fn remove_with(
        &self,
        id: &str,
        delete: &dyn Fn(&Path) -> std::io::Result<()>,
    ) -> Result<(), LayerError> {
        let dir = self.dir(id)?;
        if !dir.is_dir() {
            return Ok(());
        }
        // (the empty mount point goes with the directory)
        self.unmount_only(id)?;
        if is_mountpoint(&dir.join("merged")) {
            // never recurse into a live mount: that would delete the container's files
            return Err(LayerError::path(
                "remove",
                dir.join("merged"),
                nix::errno::Errno::EBUSY,
            ));
        }
        match read_link_file(&dir) {
            // handed to `delete` too: a link of 77 bytes has a block of its own on disk
            Ok(link) => {
                let path = self.root.join(LINK_DIR).join(link);
                if let Err(e) = delete(&path) {
                    if e.kind() != std::io::ErrorKind::NotFound {
                        return Err(LayerError::io("remove", &path, &e));
                    }
                }
            }
            // a volatile layer's `link` emptied by a crash: find its symlink by its target
            Err(_) => self.remove_links_to(id)?,
        }
        delete(&dir).map_err(|e| LayerError::io("remove", &dir, &e))
    }

    /// Every `l/` symlink to `../<id>/diff` removed.
    fn remove_links_to(&self, id: &str) -> Result<(), LayerError> {
        let links = self.root.join(LINK_DIR);
        let target = Path::new("..").join(id).join("diff");
        let entries = std::fs::read_dir(&links).map_err(|e| LayerError::io("opendir(3)", &links, &e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if std::fs::read_link(&path).is_ok_and(|t| t == target) {
                std::fs::remove_file(&path).map_err(|e| LayerError::io("unlink(2)", &path, &e))?;
            }
        }
        Ok(())
    }

    pub fn exists(&self, id: &str) -> bool {
        self.dir(id).is_ok_and(|d| d.is_dir())
    }

    /// `<root>/<id>` for a well-formed id.
    fn dir(&self, id: &str) -> Result<PathBuf, LayerError> {
        validate_id(id)?;
        Ok(self.root.join(id))
    }

    fn existing_dir(&self, id: &str) -> Result<PathBuf, LayerError> {
        let dir = self.dir(id)?;
        if !dir.is_dir() {
            return Err(LayerError::UnknownLayer { id: id.to_owned() });
        }
        Ok(dir)
    }
}

/// What a staged layer is made on top of ([`LayerDriver::stage`]).
#[derive(Debug, Clone, Copy)]
pub enum Below<'a> {
    /// Nothing: a base layer.
    Nothing,
    /// A layer of the store, by id.
    Layer(&'a str),
    /// Another staged layer, to be published before this one.
    Staged(&'a StagedLayer),
}

/// A layer made ahead of its id, outside the store ([`LayerDriver::stage`]).
#[derive(Debug)]
pub struct StagedLayer {
    dir: PathBuf,
    link: String,
    lowers: Option<Vec<String>>,
}

impl StagedLayer {
    /// Where it is until published.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Its `diff/`: where its files go before it is published.
    pub fn diff_dir(&self) -> PathBuf {
        self.dir.join("diff")
    }
}

/// A layer's own files in its directory `dir` (`diff/` made already): its `link` name, and
/// with layers below it (`lowers`, nearest first) a `work/` dir and the `lower` list.
fn populate(
    dir: &Path,
    link: &str,
    lowers: Option<&[String]>,
    durability: Durability,
) -> Result<(), LayerError> {
    write_atomic(&dir.join("link"), link.as_bytes(), durability)?;
    let Some(lowers) = lowers else {
        return Ok(()); // a base layer: nothing below it, never mounted as an overlay
    };
    make_dir(&dir.join("work"), 0o700)?;
    write_atomic(&dir.join("lower"), lowers.join(":").as_bytes(), durability)
}

/// The `lower` list of layer `id` made on top of the layer whose short name is `link` and
/// whose own list is `theirs`: that layer first, then its lowers; refused when it is more than
/// overlayfs can stack.
fn stacked(id: &str, link: &str, theirs: impl Iterator<Item = String>) -> Result<Vec<String>, LayerError> {
    let lowers: Vec<String> = std::iter::once(format!("{LINK_DIR}/{link}"))
        .chain(theirs)
        .collect();
    if lowers.len() > OVL_MAX_STACK {
        return Err(LayerError::TooDeep {
            id: id.to_owned(),
            depth: lowers.len(),
            limit: OVL_MAX_STACK,
        });
    }
    Ok(lowers)
}

/// Ids name directories: `[A-Za-z0-9_.-]`, not starting with `.`, and never `l`.
fn validate_id(id: &str) -> Result<(), LayerError> {
    let bad = |reason| LayerError::InvalidId {
        id: id.to_owned(),
        reason,
    };
    if id.is_empty() || id.len() > 128 {
        return Err(bad("must be 1 to 128 characters"));
    }
    if id == LINK_DIR {
        return Err(bad("`l` is the short-link directory"));
    }
    if id.starts_with('.')
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
    {
        return Err(bad(
            "only letters, digits, `_`, `.` and `-`, not starting with `.`",
        ));
    }
    Ok(())
}

// ANCHOR: random_link_id
/// 16 bytes from getrandom(2), base32-encoded: 26 characters of `A–Z2–7`.
fn random_link_id() -> Result<String, LayerError> {
    let mut bytes = [0u8; 16];
    // SAFETY: the kernel writes at most 16 bytes into the 16-byte buffer.
    let n = unsafe { libc::getrandom(bytes.as_mut_ptr().cast(), bytes.len(), 0) };
    if n != 16 {
        return Err(LayerError::path("getrandom(2)", "l", nix::errno::Errno::last()));
    }
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let bits = u128::from_be_bytes(bytes);
    Ok((0..LINK_LEN)
        .map(|i| {
            // 26 groups of 5 bits (130 bits: the last group is padded with zeros, as base32 does)
            let shift = 128 - 5 * (i as i32 + 1);
            let group = if shift >= 0 { bits >> shift } else { bits << -shift };
            char::from(ALPHABET[(group & 0x1f) as usize])
        })
        .collect())
}
// ANCHOR_END: random_link_id

fn read_link_file(dir: &Path) -> Result<String, LayerError> {
    let path = dir.join("link");
    let link = std::fs::read_to_string(&path).map_err(|e| LayerError::io("read(2)", &path, &e))?;
    if link.len() != LINK_LEN
        || !link
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    {
        return Err(corrupt(&path, "not 26 characters of A-Z2-7"));
    }
    Ok(link)
}

fn read_optional(path: &Path) -> Result<Option<String>, LayerError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(LayerError::io("read(2)", path, &e)),
    }
}

/// Write a temp file next to `path`, fsync it (unless [`Durability::Volatile`]), rename it
/// over `path`.
fn write_atomic(path: &Path, data: &[u8], durability: Durability) -> Result<(), LayerError> {
    let name = path.file_name().unwrap_or(OsStr::new("file")).to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let mut file = std::fs::File::create(&tmp).map_err(|e| LayerError::io("open(2)", &tmp, &e))?;
    file.write_all(data)
        .map_err(|e| LayerError::io("write(2)", &tmp, &e))?;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
        .map_err(|e| LayerError::io("fchmod(2)", &tmp, &e))?;
    if durability == Durability::Synced {
        file.sync_all()
            .map_err(|e| LayerError::io("fsync(2)", &tmp, &e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| LayerError::io("rename(2)", path, &e))
}

fn make_dir(path: &Path, mode: u32) -> Result<(), LayerError> {
    match std::fs::DirBuilder::new().mode(mode).create(path) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(LayerError::io("mkdir(2)", path, &e)),
        _ => Ok(()),
    }
}

fn make_dir_all(path: &Path, mode: u32) -> Result<(), LayerError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(|e| LayerError::io("mkdir(2)", path, &e))
}

fn corrupt(path: &Path, reason: &str) -> LayerError {
    LayerError::Corrupt {
        path: path.to_owned(),
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
#[path = "driver_tests.rs"]
mod tests;
