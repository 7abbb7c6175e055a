//! Unpacking a layer tar onto a layer's `diff` dir, as if every entry were hostile.
//!
//! A layer tar comes from a registry: anyone can write one. The rules, and why:
//!
//! * **names**: a leading `./` is stripped; absolute names and any `..` component are refused
//!   with an error naming the entry (see `entry_name.rs`);
//! * **every write stays inside `layer_dir`**: the parent directory of an entry is resolved
//!   with `ch03_rootfs::secure_join`, which follows symlinks *as if `layer_dir` were `/`*; the
//!   last component is never followed: whatever is there is removed first, and files are
//!   created with `O_CREAT|O_EXCL|O_NOFOLLOW`. A symlink may point anywhere (it is resolved
//!   inside the container later), but nothing is ever written *through* it to the host;
//! * **hard links** must name an existing non-directory inside `layer_dir` (resolved the same
//!   way), or the error names both ends; `linkat(2)` never follows a symlink target;
//! * **whiteouts**: `.wh.<name>` becomes a 0/0 character device `<name>`; `.wh..wh..opq` marks
//!   its directory opaque. The OCI image-spec (layer.md) says a whiteout applies only to the
//!   layers *below*: so when this same tar already wrote `<name>`, that entry stays (a file
//!   already hides the lower one; a directory is made opaque), and an opaque marker never
//!   deletes entries of this layer, whatever their order. Other `.wh..wh.*` names (AUFS
//!   bookkeeping) are skipped; `.wh..` and `.wh...` are refused;
//! * **device nodes**: block and character devices need `CAP_MKNOD`; as root they are created,
//!   otherwise skipped with a warning, as Docker does inside a user namespace. FIFOs are
//!   always created;
//! * **sizes**: each entry's declared size is checked against [`ApplyLimits`] *before* its data
//!   is read; so is the number of entries. (The tar crate buffers a PAX or GNU long-name
//!   header in memory to read it: bound the size of the whole blob, which a manifest declares);
//! * **duplicates**: a later entry replaces an earlier one at the same name, whatever their
//!   types (a directory over a file, a file over a directory tree), as `tar -x` does; a
//!   directory over a directory merges;
//! * **metadata**: uid/gid with lchown(2) (as root only), the mode's 12 bits after the chown
//!   (which clears setuid), xattrs from PAX `SCHILY.xattr.*` records (except `trusted.overlay.*`,
//!   which would let a layer forge overlayfs' own bookkeeping), and the mtime; directories get
//!   their mode and mtime last, after their contents are written;
//! * **speed** (on a par with GNU `tar -x`, see `benches/`), without bending the rules above: a
//!   file, directory or symlink is created first and its name cleared only when the kernel
//!   says it is taken (`O_EXCL`, mkdir(2) and symlink(2) never follow a last component
//!   either); a resolved parent directory is remembered until something is removed, the only
//!   thing that can change where a name resolves; a regular file's owner, mode and mtime are
//!   set through its open descriptor.
//!
//! On error this returns at once and leaves `layer_dir` half-written. **The caller stages**:
//! it applies into a fresh temporary directory next to the layer store and renames it into
//! place only on success. `layer_dir` must be private to this process while it is applied.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use ch03_rootfs::secure_join::secure_join;
use nix::errno::Errno;
use nix::fcntl::{AT_FDCWD, AtFlags};
use nix::sys::stat::{Mode, SFlag, fchmod, futimens, makedev, mknod};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchown};
use tar::EntryType;

use crate::LayerError;
use crate::entry_name::{EntryName, parse_entry_name};
use crate::metadata::{
    Meta, chmod, lchown, mkdir, pax_xattrs, remove, set_metadata, set_mtime, set_owner_and_xattrs, set_xattrs,
};
use crate::whiteout::{
    OPAQUE_WHITEOUT, WHITEOUT_META_PREFIX, WHITEOUT_PREFIX, create_whiteout, is_whiteout, set_opaque,
};

// ANCHOR: limits
/// Bounds on what one layer tar may make us write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyLimits {
    pub max_entries: u64,
    pub max_file_size: u64,
    pub max_total_size: u64,
}

impl Default for ApplyLimits {
    /// Generous but finite: 1M entries, 16 GiB per file, 64 GiB in all.
    fn default() -> Self {
        ApplyLimits {
            max_entries: 1_000_000,
            max_file_size: 16 << 30,
            max_total_size: 64 << 30,
        }
    }
}

/// What one apply wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplyStats {
    /// Tar entries processed (PAX global headers not counted).
    pub entries: u64,
    /// Bytes of regular-file data written.
    pub bytes: u64,
}
// ANCHOR_END: limits

// ANCHOR: apply_layer_tar
/// Unpack the layer tar `input` into `layer_dir` (an existing, empty, private directory).
pub fn apply_layer_tar(
    layer_dir: &Path,
    input: impl Read,
    limits: &ApplyLimits,
) -> Result<ApplyStats, LayerError> {
    tracing::debug!(layer_dir = %layer_dir.display(), "applying layer tar");
    let mut applier = Applier::new(layer_dir, limits);
    let mut archive = tar::Archive::new(SkipByReading::new(input));
    let entries = archive
        .entries_with_seek()
        .map_err(|source| applier.read_error(source))?;
    for entry in entries {
        let mut entry = entry.map_err(|source| applier.read_error(source))?;
        applier.entry(&mut entry)?;
    }
    applier.finish_dirs()?;
    Ok(applier.stats)
}
// ANCHOR_END: apply_layer_tar

/// A reader that can "seek" forward only, by reading and dropping bytes.
///
/// The tar crate skips the padding after each entry's data by reading it into a 32 KiB
/// buffer that it zeroes first, every time: for a layer of small files that is more memset(3)
/// than anything else we do in user space. Given a `Seek`, it asks to seek instead, and this
/// reads the (usually < 512) bytes into a buffer made once.
struct SkipByReading<R> {
    inner: R,
    pos: u64,
    scratch: Vec<u8>,
}

impl<R: Read> SkipByReading<R> {
    fn new(inner: R) -> Self {
        SkipByReading {
            inner,
            pos: 0,
            scratch: vec![0; 8192],
        }
    }
}

impl<R: Read> Read for SkipByReading<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read> std::io::Seek for SkipByReading<R> {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let forward = match to {
            std::io::SeekFrom::Current(delta) => u64::try_from(delta).ok(),
            _ => None,
        };
        let Some(mut left) = forward else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "a layer tar is read front to back",
            ));
        };
        while left > 0 {
            let want = self
                .scratch
                .len()
                .min(usize::try_from(left).unwrap_or(usize::MAX));
            let n = self.inner.read(&mut self.scratch[..want])?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            self.pos += n as u64;
            left -= n as u64;
        }
        Ok(self.pos)
    }
}

/// A directory's mode and mtime, set after everything inside it is written.
struct DeferredDir {
    path: PathBuf,
    mode: u32,
    mtime: i64,
}

/// What was at an entry's name before it was written.
enum Existing {
    Nothing,
    Directory,
    Whiteout,
}

struct Applier<'a> {
    root: &'a Path,
    limits: &'a ApplyLimits,
    stats: ApplyStats,
    declared_total: u64,
    is_root: bool,
    dirs: Vec<DeferredDir>,
    /// The last entry name seen, for read errors.
    last: String,
    /// Parent directories [`Applier::parent_dir`] resolved, by entry parent name (as
    /// [`EntryName::parent`] spells it: plain components, so equal bytes are equal names).
    /// Only a removal can change where a name resolves (every path in here is made of
    /// existing directories, and new names never appear inside one), so [`Applier::replace`]
    /// clears it.
    parents: HashMap<OsString, PathBuf>,
    /// Whether anything was removed: until then, every directory made is still where it was.
    removed: bool,
    /// File data goes through this buffer (large writes: fewer system calls).
    buf: Vec<u8>,
}

/// Big enough that a typical file is one read(2) and one write(2).
const COPY_BUFFER: usize = 256 * 1024;

impl<'a> Applier<'a> {
    fn new(root: &'a Path, limits: &'a ApplyLimits) -> Self {
        Applier {
            root,
            limits,
            stats: ApplyStats::default(),
            declared_total: 0,
            is_root: nix::unistd::geteuid().is_root(),
            dirs: Vec::new(),
            last: String::new(),
            parents: HashMap::new(),
            removed: false,
            buf: vec![0; COPY_BUFFER],
        }
    }

    fn read_error(&self, source: std::io::Error) -> LayerError {
        let context = if self.last.is_empty() {
            "at the first entry".to_owned()
        } else {
            format!("after entry {:?}", self.last)
        };
        LayerError::TarRead { context, source }
    }

    // ANCHOR: entry
    fn entry<R: Read>(&mut self, entry: &mut tar::Entry<'_, R>) -> Result<(), LayerError> {
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() {
            return Ok(()); // archive-wide PAX defaults: nothing to create
        }
        self.stats.entries += 1;
        if self.stats.entries > self.limits.max_entries {
            return Err(LayerError::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        self.last.clone_from(&shown);
        let invalid = |reason| LayerError::InvalidEntryName {
            entry: shown.clone(),
            reason,
        };
        let name = parse_entry_name(&raw).map_err(invalid)?;
        if kind.is_file() || kind.is_contiguous() || kind.is_gnu_sparse() {
            self.check_size(entry, &shown)?;
        }
        let Some(base) = name.base() else {
            // `./`: the layer root itself, which exists already (Docker skips it too)
            return if kind.is_dir() {
                Ok(())
            } else {
                Err(invalid("names the layer root"))
            };
        };
        let base_bytes = base.as_bytes();
        if base_bytes == OPAQUE_WHITEOUT.as_bytes() {
            return set_opaque(self.resolved_parent(&name, &shown)?);
        }
        if base_bytes.starts_with(WHITEOUT_META_PREFIX.as_bytes()) {
            tracing::debug!(entry = %shown, "skipping AUFS metadata");
            return Ok(());
        }
        if let Some(hidden) = base_bytes.strip_prefix(WHITEOUT_PREFIX.as_bytes()) {
            return self.whiteout(&name, hidden, &shown);
        }
        let xattrs = pax_xattrs(entry).map_err(|source| self.read_error(source))?;
        let path = self.resolved_parent(&name, &shown)?.join(base);
        let header = entry.header().clone();
        let meta = Meta::from_header(&header).map_err(|source| LayerError::TarRead {
            context: format!("the header of entry {shown:?}"),
            source,
        })?;
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mut file = match create_file(&path) {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        self.replace(&path, false)?;
                        create_file(&path)
                    }
                    other => other,
                }
                .map_err(|e| LayerError::io("open(2) O_CREAT|O_EXCL|O_NOFOLLOW", &path, &e))?;
                let written = self.copy_data(entry, &mut file, &path)?;
                if written != entry.size() {
                    return Err(LayerError::TruncatedEntry {
                        entry: shown,
                        declared: entry.size(),
                        actual: written,
                    });
                }
                self.stats.bytes += written;
                set_file_metadata(&file, &path, &meta, &xattrs, self.is_root)
            }
            EntryType::Directory => {
                let existing = match nix::unistd::mkdir(&path, Mode::from_bits_truncate(0o700)) {
                    Ok(()) => None,
                    Err(Errno::EEXIST) => Some(self.replace(&path, true)?),
                    Err(errno) => return Err(LayerError::path("mkdir(2)", &path, errno)),
                };
                match existing {
                    None | Some(Existing::Directory) => {}
                    Some(Existing::Nothing) => mkdir(&path, 0o700)?,
                    Some(Existing::Whiteout) => {
                        // a directory over this layer's own whiteout: hide the lower one
                        mkdir(&path, 0o700)?;
                        set_opaque(&path)?;
                    }
                }
                set_owner_and_xattrs(&path, &meta, &xattrs, self.is_root)?;
                // the parent of this directory's entries: a real directory (made here, or one
                // that lstat(2) showed is no symlink) in a resolved parent, as `parent_dir`
                // would find it
                let key = name.parent().join(base).into_os_string();
                self.parents.insert(key, path.clone());
                self.dirs.push(DeferredDir {
                    path,
                    mode: meta.mode,
                    mtime: meta.mtime,
                });
                Ok(())
            }
            EntryType::Symlink => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| invalid("symlink without a target"))?;
                let target = OsStr::from_bytes(&target);
                match std::os::unix::fs::symlink(target, &path) {
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        self.replace(&path, false)?;
                        std::os::unix::fs::symlink(target, &path)
                    }
                    other => other,
                }
                .map_err(|e| LayerError::io("symlink(2)", &path, &e))?;
                if self.is_root {
                    lchown(&path, &meta)?;
                }
                set_mtime(&path, meta.mtime)
            }
            EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .ok_or_else(|| invalid("hardlink without a target"))?;
                self.hardlink(&path, &target, &shown)
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let kind = match kind {
                    EntryType::Char => SFlag::S_IFCHR,
                    EntryType::Block => SFlag::S_IFBLK,
                    _ => SFlag::S_IFIFO,
                };
                if kind != SFlag::S_IFIFO && !self.is_root {
                    tracing::warn!(entry = %shown, "skipping a device node: creating one needs CAP_MKNOD");
                    return Ok(());
                }
                let major = header.device_major().ok().flatten().unwrap_or(0);
                let minor = header.device_minor().ok().flatten().unwrap_or(0);
                self.replace(&path, false)?;
                mknod(&path, kind, Mode::empty(), makedev(major.into(), minor.into()))
                    .map_err(|errno| LayerError::path("mknod(2)", &path, errno))?;
                set_metadata(&path, &meta, &xattrs, self.is_root)
            }
            other => Err(LayerError::UnsupportedEntry {
                entry: shown,
                kind: format!("{other:?}"),
            }),
        }
    }
    // ANCHOR_END: entry

    /// Copy the entry's data into `file`: read errors are the tar's, write errors the file's.
    fn copy_data(&mut self, entry: &mut impl Read, file: &mut File, path: &Path) -> Result<u64, LayerError> {
        let mut written = 0;
        loop {
            let n = match entry.read(&mut self.buf) {
                Ok(0) => return Ok(written),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(self.read_error(source)),
            };
            file.write_all(&self.buf[..n])
                .map_err(|e| LayerError::io("write(2)", path, &e))?;
            written += n as u64;
        }
    }

    fn check_size<R: Read>(&mut self, entry: &tar::Entry<'_, R>, shown: &str) -> Result<(), LayerError> {
        let size = entry.size().max(entry.header().size().unwrap_or(0));
        if size > self.limits.max_file_size {
            return Err(LayerError::FileTooLarge {
                entry: shown.to_owned(),
                size,
                limit: self.limits.max_file_size,
            });
        }
        self.declared_total = self.declared_total.saturating_add(size);
        if self.declared_total > self.limits.max_total_size {
            return Err(LayerError::TotalTooLarge {
                entry: shown.to_owned(),
                limit: self.limits.max_total_size,
            });
        }
        Ok(())
    }

    // ANCHOR: parent_dir
    /// The host directory an entry goes into: resolved inside the layer (symlinks included),
    /// created if missing (0755, as Docker does); a whiteout on the way becomes an opaque dir.
    fn parent_dir(&self, name: &EntryName, shown: &str) -> Result<PathBuf, LayerError> {
        let resolved = secure_join(self.root, &name.parent()).map_err(|_| LayerError::SymlinkLoop {
            entry: shown.to_owned(),
        })?;
        let inside = resolved
            .strip_prefix(self.root)
            .map_err(|_| LayerError::InvalidEntryName {
                entry: shown.to_owned(),
                reason: "resolves outside the layer",
            })?;
        let mut dir = self.root.to_owned();
        for part in inside.components() {
            dir.push(part);
            match std::fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => {}
                Ok(meta) if is_whiteout(&meta) => {
                    remove(&dir, false)?;
                    mkdir(&dir, 0o755)?;
                    set_opaque(&dir)?;
                }
                Ok(_) => {
                    return Err(LayerError::NotADirectory {
                        entry: shown.to_owned(),
                        path: dir,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => mkdir(&dir, 0o755)?,
                Err(e) => return Err(LayerError::io("lstat(2)", &dir, &e)),
            }
        }
        Ok(dir)
    }
    // ANCHOR_END: parent_dir

    /// [`Applier::parent_dir`], remembered: a tar lists a directory's entries together, and
    /// resolving their parent again would cost a readlink(2) and an lstat(2) per component.
    fn resolved_parent(&mut self, name: &EntryName, shown: &str) -> Result<&Path, LayerError> {
        let parent = name.parent().into_os_string();
        if !self.parents.contains_key(&parent) {
            let dir = self.parent_dir(name, shown)?;
            self.parents.insert(parent.clone(), dir);
        }
        Ok(&self.parents[&parent])
    }

    /// Make room at `path` without ever following what is there.
    fn replace(&mut self, path: &Path, keep_dir: bool) -> Result<Existing, LayerError> {
        match std::fs::symlink_metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Existing::Nothing),
            Err(e) => Err(LayerError::io("lstat(2)", path, &e)),
            Ok(meta) if meta.is_dir() && keep_dir => Ok(Existing::Directory),
            Ok(meta) => {
                // what was resolved through `path` (a directory, a symlink) may now go elsewhere
                self.parents.clear();
                self.removed = true;
                remove(path, meta.is_dir())?;
                Ok(if is_whiteout(&meta) {
                    Existing::Whiteout
                } else {
                    Existing::Nothing
                })
            }
        }
    }

    // ANCHOR: whiteout
    fn whiteout(&self, name: &EntryName, hidden: &[u8], shown: &str) -> Result<(), LayerError> {
        if matches!(hidden, b"" | b"." | b"..") {
            return Err(LayerError::InvalidEntryName {
                entry: shown.to_owned(),
                reason: "whiteout of `.`, `..` or nothing",
            });
        }
        let path = self.parent_dir(name, shown)?.join(OsStr::from_bytes(hidden));
        match std::fs::symlink_metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_whiteout(&path),
            Err(e) => Err(LayerError::io("lstat(2)", &path, &e)),
            // this layer's own directory stays, but nothing below may show through it
            Ok(meta) if meta.is_dir() => set_opaque(&path),
            Ok(_) => Ok(()), // this layer's file (or whiteout) already hides the lower one
        }
    }
    // ANCHOR_END: whiteout

    // ANCHOR: hardlink
    fn hardlink(&mut self, path: &Path, raw_target: &[u8], shown: &str) -> Result<(), LayerError> {
        let bad = |reason| LayerError::InvalidHardlink {
            entry: shown.to_owned(),
            target: String::from_utf8_lossy(raw_target).into_owned(),
            reason,
        };
        let target_name = parse_entry_name(raw_target).map_err(bad)?;
        let base = target_name
            .base()
            .ok_or_else(|| bad("points at the layer root"))?;
        let parent = secure_join(self.root, &target_name.parent()).map_err(|_| bad("too many symlinks"))?;
        if !parent.starts_with(self.root) {
            return Err(bad("resolves outside the layer"));
        }
        let target = parent.join(base);
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() => return Err(bad("target is a directory")),
            Ok(_) => {}
            Err(_) => return Err(bad("target does not exist in the layer")),
        }
        if target == path {
            return Err(bad("links to itself"));
        }
        self.replace(path, false)?;
        // no AT_SYMLINK_FOLLOW: a symlink target is linked as the symlink itself
        nix::unistd::linkat(AT_FDCWD, &target, AT_FDCWD, path, AtFlags::empty())
            .map_err(|errno| LayerError::path("linkat(2)", path, errno))
    }
    // ANCHOR_END: hardlink

    /// Directory modes and mtimes, now that nothing more is written inside them. A directory
    /// that a later entry replaced, or that now sits below a symlink, is skipped (when nothing
    /// was removed, none can have been).
    fn finish_dirs(&mut self) -> Result<(), LayerError> {
        for dir in std::mem::take(&mut self.dirs) {
            let Ok(rel) = dir.path.strip_prefix(self.root) else {
                continue;
            };
            let still_there = !self.removed
                || secure_join(self.root, rel).is_ok_and(|p| p == dir.path)
                    && std::fs::symlink_metadata(&dir.path).is_ok_and(|m| m.is_dir());
            if still_there {
                chmod(&dir.path, dir.mode)?;
                set_mtime(&dir.path, dir.mtime)?;
            }
        }
        Ok(())
    }
}

/// `set_metadata` for a regular file we just created and still hold open: fchown(2),
/// xattrs, fchmod(2), futimens(2), the same steps in the same order, on the descriptor.
fn set_file_metadata(
    file: &File,
    path: &Path,
    meta: &Meta,
    xattrs: &[(String, Vec<u8>)],
    is_root: bool,
) -> Result<(), LayerError> {
    if is_root {
        let (uid, gid) = (Some(Uid::from_raw(meta.uid)), Some(Gid::from_raw(meta.gid)));
        fchown(file, uid, gid).map_err(|errno| LayerError::path("fchown(2)", path, errno))?;
    }
    set_xattrs(path, xattrs)?;
    fchmod(file, Mode::from_bits_retain(meta.mode))
        .map_err(|errno| LayerError::path("fchmod(2)", path, errno))?;
    let t = TimeSpec::new(meta.mtime, 0);
    futimens(file, &t, &t).map_err(|errno| LayerError::path("futimens(2)", path, errno))
}

/// `open(2)` with `O_CREAT|O_EXCL|O_NOFOLLOW`, mode 0600: never through an existing name.
fn create_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, EntryType, &str)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, kind, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_mode(0o755);
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            if *kind == EntryType::Symlink {
                header.set_size(0);
                builder.append_link(&mut header, name, data).unwrap();
            } else {
                header.set_size(data.len() as u64);
                builder.append_data(&mut header, name, data.as_bytes()).unwrap();
            }
        }
        builder.into_inner().unwrap()
    }

    /// The remembered parent `a` must not outlive the directory it named: once `a` is a
    /// symlink, `a/g` goes where the symlink points, resolved inside the layer. The absolute
    /// symlink points at a victim temp dir, never at a host path: if this ever regressed, it
    /// would overwrite the victim, not `/etc`.
    #[test]
    fn a_parent_replaced_by_a_symlink_is_resolved_again() {
        let tmp = tempfile::tempdir().unwrap();
        let victim = tempfile::tempdir().unwrap();
        std::fs::write(victim.path().join("passwd"), "victim").unwrap();
        let victim_path = victim.path().to_str().unwrap();
        let tar = tar_of(&[
            ("a/", EntryType::Directory, ""),
            ("a/f", EntryType::Regular, "f"),
            ("b/", EntryType::Directory, ""),
            ("a", EntryType::Symlink, "b"),
            ("a/g", EntryType::Regular, "g"),
            ("c/", EntryType::Directory, ""),
            ("c/f", EntryType::Regular, "f"),
            ("c", EntryType::Symlink, victim_path),
            ("c/passwd", EntryType::Regular, "from the layer"),
        ]);
        apply_layer_tar(tmp.path(), tar.as_slice(), &ApplyLimits::default()).unwrap();
        assert_eq!(
            std::fs::read_to_string(victim.path().join("passwd")).unwrap(),
            "victim",
            "nothing is written outside the layer"
        );
        assert_eq!(std::fs::read_to_string(tmp.path().join("b/g")).unwrap(), "g");
        assert!(
            !tmp.path().join("b/f").exists(),
            "a/f went with the old directory"
        );
        let inside = tmp.path().join(victim_path.trim_start_matches('/'));
        assert_eq!(
            std::fs::read_to_string(inside.join("passwd")).unwrap(),
            "from the layer",
            "the symlink's absolute target is resolved inside the layer"
        );
    }
}
