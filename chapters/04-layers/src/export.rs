//! An upper dir as a layer tar: what `docker commit`, `docker push` and `docker save` need.
//!
//! The tar is what moby's `TarWithOptions(diffDir, WhiteoutFormat: OverlayWhiteoutFormat)`
//! writes, so a layer exported here and one exported by Docker list the same way:
//!
//! * names are relative and `./`-less (`etc/passwd`), directories end in `/` (`etc/`);
//! * the order is a depth-first walk with the names of each directory sorted byte by byte
//!   (Go's `filepath.Walk`): a directory comes before its contents, so the same upper dir
//!   always gives the same bytes and the same digest;
//! * a whiteout (char device 0/0) becomes an empty regular file `.wh.<name>`, mode 0600;
//! * an opaque directory is its own entry followed by an empty `.wh..wh..opq` inside it;
//! * the second and later names of a hard-linked file are tar hard links to the first name;
//! * mode (with setuid/setgid/sticky), uid, gid and whole-second mtime are kept; names and
//!   link targets longer than 100 bytes go in a PAX header (`path`, `linkpath`), as Go does;
//! * xattrs: `security.capability` (as Docker) and `user.*` (as containers/storage), as PAX
//!   `SCHILY.xattr.*` records. `trusted.overlay.*` is overlayfs' bookkeeping and never leaves;
//! * sockets are skipped (tar has no type for them).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::Metadata;
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::Path;

use tar::{EntryType, Header};

use crate::whiteout::{OPAQUE_WHITEOUT, WHITEOUT_PREFIX, is_opaque, is_whiteout};
use crate::{LayerError, xattr};

/// tar's name and linkname fields hold 100 bytes; longer ones need a PAX record.
const NAME_FIELD: usize = 100;

// ANCHOR: write_layer_tar
/// uid → user name and gid → group name, for the `uname` and `gname` of each header (what
/// `tar -tv` shows as `root/root`); an id without a name keeps only its number.
#[derive(Debug, Clone, Default)]
pub struct OwnerNames {
    pub users: HashMap<u32, String>,
    pub groups: HashMap<u32, String>,
}

/// Write `upper` as a layer tar to `out`; returns the number of bytes written.
///
/// The upper dir must not change meanwhile (unmount the container or freeze it first).
pub fn write_layer_tar(upper: &Path, out: impl Write) -> Result<u64, LayerError> {
    write_tar_with_names(upper, &OwnerNames::default(), out)
}

/// [`write_layer_tar`] with the owners' names in the headers: `docker export` names them as
/// the container's `/etc/passwd` and `/etc/group` do.
pub fn write_tar_with_names(upper: &Path, names: &OwnerNames, out: impl Write) -> Result<u64, LayerError> {
    let mut exporter = Exporter {
        upper,
        tar: tar::Builder::new(Counting { inner: out, count: 0 }),
        first_name_of_inode: HashMap::new(),
        names,
    };
    exporter.dir(Path::new(""))?;
    let end = |source| LayerError::TarWrite {
        entry: "(end of archive)".into(),
        source,
    };
    let mut counting = exporter.tar.into_inner().map_err(end)?;
    counting.inner.flush().map_err(end)?;
    Ok(counting.count)
}
// ANCHOR_END: write_layer_tar

struct Exporter<'a, W: Write> {
    upper: &'a Path,
    tar: tar::Builder<Counting<W>>,
    /// (st_dev, st_ino) -> the name the inode was first written under.
    first_name_of_inode: HashMap<(u64, u64), Vec<u8>>,
    names: &'a OwnerNames,
}

impl<W: Write> Exporter<'_, W> {
    fn dir(&mut self, rel: &Path) -> Result<(), LayerError> {
        let dir = self.upper.join(rel);
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| LayerError::io("opendir(3)", &dir, &e))? {
            names.push(
                entry
                    .map_err(|e| LayerError::io("readdir(3)", &dir, &e))?
                    .file_name(),
            );
        }
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            let rel = rel.join(name);
            let path = self.upper.join(&rel);
            let meta = std::fs::symlink_metadata(&path).map_err(|e| LayerError::io("lstat(2)", &path, &e))?;
            self.entry(&rel, &path, &meta)?;
            if meta.is_dir() {
                self.dir(&rel)?;
            }
        }
        Ok(())
    }

    // ANCHOR: entry
    fn entry(&mut self, rel: &Path, path: &Path, meta: &Metadata) -> Result<(), LayerError> {
        let name = rel.as_os_str().as_bytes().to_vec();
        let mut header = Header::new_ustar();
        header.set_mode(meta.mode() & 0o7777);
        header.set_uid(meta.uid().into());
        header.set_gid(meta.gid().into());
        // (a name longer than the header's 32 bytes is left out; the number stays)
        if let Some(user) = self.names.users.get(&meta.uid()) {
            let _ = header.set_username(user);
        }
        if let Some(group) = self.names.groups.get(&meta.gid()) {
            let _ = header.set_groupname(group);
        }
        header.set_mtime(u64::try_from(meta.mtime()).unwrap_or(0));
        header.set_size(0);
        let ft = meta.file_type();

        if is_whiteout(meta) {
            let base = rel.file_name().map_or(&[][..], |n| n.as_bytes());
            let wh = rel.with_file_name(OsString::from_vec([WHITEOUT_PREFIX.as_bytes(), base].concat()));
            header.set_entry_type(EntryType::Regular);
            header.set_mode(0o600);
            let wh = wh.into_os_string().into_vec();
            return self.append_plain(header, wh, None, Vec::new(), io::empty());
        }
        if ft.is_dir() {
            header.set_entry_type(EntryType::Directory);
            let mut dir_name = name.clone();
            dir_name.push(b'/');
            self.append(header.clone(), dir_name, None, path, io::empty())?;
            if is_opaque(path)? {
                header.set_entry_type(EntryType::Regular);
                header.set_mode(meta.mode() & 0o777);
                let opq = rel.join(OPAQUE_WHITEOUT).as_os_str().as_bytes().to_vec();
                self.append_plain(header, opq, None, Vec::new(), io::empty())?;
            }
            return Ok(());
        }
        if ft.is_file() {
            if meta.nlink() > 1 {
                let key = (meta.dev(), meta.ino());
                if let Some(first) = self.first_name_of_inode.get(&key).cloned() {
                    header.set_entry_type(EntryType::Link);
                    return self.append(header, name, Some(first), path, io::empty());
                }
                self.first_name_of_inode.insert(key, name.clone());
            }
            header.set_entry_type(EntryType::Regular);
            header.set_size(meta.size());
            let file = std::fs::File::options()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(path)
                .map_err(|e| LayerError::io("open(2)", path, &e))?;
            // exactly `size` bytes even if the file changed size since lstat
            let data = file.take(meta.size()).chain(io::repeat(0)).take(meta.size());
            return self.append(header, name, None, path, data);
        }
        if ft.is_symlink() {
            let target = std::fs::read_link(path).map_err(|e| LayerError::io("readlink(2)", path, &e))?;
            header.set_entry_type(EntryType::Symlink);
            let target = target.as_os_str().as_bytes().to_vec();
            return self.append_plain(header, name, Some(target), Vec::new(), io::empty());
        }
        if ft.is_char_device() || ft.is_block_device() || ft.is_fifo() {
            header.set_entry_type(match () {
                _ if ft.is_char_device() => EntryType::Char,
                _ if ft.is_block_device() => EntryType::Block,
                _ => EntryType::Fifo,
            });
            let rdev = meta.rdev();
            let bad = |source| LayerError::TarWrite {
                entry: rel.display().to_string(),
                source,
            };
            header.set_device_major(libc::major(rdev)).map_err(bad)?;
            header.set_device_minor(libc::minor(rdev)).map_err(bad)?;
            return self.append(header, name, None, path, io::empty());
        }
        tracing::debug!(path = %path.display(), "skipping a socket: tar cannot hold it");
        Ok(())
    }
    // ANCHOR_END: entry

    /// Append with the file's exported xattrs.
    fn append(
        &mut self,
        header: Header,
        name: Vec<u8>,
        link: Option<Vec<u8>>,
        path: &Path,
        data: impl Read,
    ) -> Result<(), LayerError> {
        let xattrs = exported_xattrs(path, header.entry_type())?;
        self.append_plain(header, name, link, xattrs, data)
    }

    /// Names go straight into the header fields (the tar crate would strip a directory's
    /// trailing `/`), with a PAX header before the entry for long names and xattrs.
    fn append_plain(
        &mut self,
        mut header: Header,
        name: Vec<u8>,
        link: Option<Vec<u8>>,
        xattrs: Vec<(String, Vec<u8>)>,
        data: impl Read,
    ) -> Result<(), LayerError> {
        let entry = String::from_utf8_lossy(&name).into_owned();
        let mut pax: Vec<(String, Vec<u8>)> = Vec::new();
        if name.len() > NAME_FIELD {
            pax.push(("path".into(), name.clone()));
        }
        if let Some(link) = link.as_ref().filter(|l| l.len() > NAME_FIELD) {
            pax.push(("linkpath".into(), link.clone()));
        }
        pax.extend(xattrs.into_iter().map(|(k, v)| (format!("SCHILY.xattr.{k}"), v)));
        let fail = |source| LayerError::TarWrite {
            entry: entry.clone(),
            source,
        };
        if !pax.is_empty() {
            let records = pax.iter().map(|(k, v)| (k.as_str(), v.as_slice()));
            self.tar.append_pax_extensions(records).map_err(fail)?;
        }
        fill(&mut header.as_old_mut().name, &name);
        fill(
            &mut header.as_old_mut().linkname,
            link.as_deref().unwrap_or_default(),
        );
        header.set_cksum();
        self.tar.append(&header, data).map_err(fail)
    }
}

/// Copy as much of `value` as fits into a NUL-padded header field.
fn fill(field: &mut [u8], value: &[u8]) {
    field.fill(0);
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}

/// `security.capability` and `user.*`, sorted by name so the output is deterministic.
fn exported_xattrs(path: &Path, kind: EntryType) -> Result<Vec<(String, Vec<u8>)>, LayerError> {
    if matches!(kind, EntryType::Symlink | EntryType::Link) {
        return Ok(Vec::new());
    }
    let mut names: Vec<String> = xattr::llist(path)?
        .into_iter()
        .filter(|n| n == "security.capability" || n.starts_with("user."))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        if let Some(value) = xattr::lget(path, &name)? {
            out.push((name, value));
        }
    }
    Ok(out)
}

/// A writer that counts what passes through it.
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
