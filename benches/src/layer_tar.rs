//! Fixtures for the layer extraction benchmarks: two layer tars (plain and gzipped), the two
//! ways to unpack them (chapter 4's `apply_layer_tar`, GNU `tar -x`), and a tree listing to
//! check that both unpacked the same thing.
//!
//! * [`LayerArchive::generated`]: a synthetic but distro-shaped layer, the same bytes on every
//!   run: ~600 directories, 4000 regular files (mostly small, a few up to 3 MiB; text under
//!   `usr/share` and `etc`, binary-looking data elsewhere, so gzip gets a ~3× ratio as on real
//!   layers), 400 `.so` symlinks and 40 hard links, some names over 100 bytes (GNU long-name
//!   headers), about 60 MiB in all.
//! * [`LayerArchive::busybox`]: the busybox root filesystem of [`crate::BusyboxContainer`]:
//!   one ~1-2 MiB binary and ~400 symlinks, a layer where per-entry costs dominate.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ch04_layers::{ApplyLimits, ApplyStats, apply_layer_tar};
use tar::{EntryType, Header};

/// A layer tar on disk, plain and gzipped, in a temp dir removed on drop.
#[derive(Debug)]
pub struct LayerArchive {
    dir: tempfile::TempDir,
    name: &'static str,
    /// Size of the uncompressed tar: the byte count the throughput is measured in.
    pub tar_len: u64,
    pub tar_gz_len: u64,
    /// Entries in the tar (directories, files, links).
    pub entries: u64,
    /// Bytes of regular-file data in it.
    pub data_bytes: u64,
}

/// A compressed or uncompressed copy of the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Plain,
    Gzip,
}

impl Compression {
    /// The file suffix, also the criterion parameter (`generated.tar.gz`).
    pub fn suffix(self) -> &'static str {
        match self {
            Compression::Plain => "tar",
            Compression::Gzip => "tar.gz",
        }
    }
}

impl LayerArchive {
    /// The synthetic distro-like layer; see the module documentation.
    pub fn generated() -> std::io::Result<LayerArchive> {
        let dir = tempfile::Builder::new().prefix("mdb-layer-").tempdir()?;
        let tar = dir.path().join("generated.tar");
        let mut builder = tar::Builder::new(BufWriter::with_capacity(1 << 20, File::create(&tar)?));
        let (entries, data_bytes) = write_generated(&mut builder)?;
        builder.into_inner()?.flush()?;
        LayerArchive::finish(dir, "generated", entries, data_bytes)
    }

    /// The busybox root filesystem (`/bin/busybox`, its applet symlinks, `/etc` files).
    pub fn busybox() -> std::io::Result<LayerArchive> {
        let container = crate::BusyboxContainer::create()?;
        let dir = tempfile::Builder::new().prefix("mdb-layer-").tempdir()?;
        let tar = dir.path().join("busybox.tar");
        std::fs::write(&tar, container.rootfs_tar()?)?;
        let mut entries = 0;
        let mut data_bytes = 0;
        for entry in tar::Archive::new(File::open(&tar)?).entries()? {
            let entry = entry?;
            entries += 1;
            if entry.header().entry_type().is_file() {
                data_bytes += entry.size();
            }
        }
        LayerArchive::finish(dir, "busybox", entries, data_bytes)
    }

    fn finish(
        dir: tempfile::TempDir,
        name: &'static str,
        entries: u64,
        data_bytes: u64,
    ) -> std::io::Result<LayerArchive> {
        let tar = dir.path().join(format!("{name}.tar"));
        let gz = dir.path().join(format!("{name}.tar.gz"));
        // gzip's default level 6, as `gzip` and Docker's `push` use
        let mut encoder = flate2::write::GzEncoder::new(
            BufWriter::with_capacity(1 << 20, File::create(&gz)?),
            flate2::Compression::default(),
        );
        std::io::copy(&mut File::open(&tar)?, &mut encoder)?;
        encoder.finish()?.flush()?;
        Ok(LayerArchive {
            tar_len: std::fs::metadata(&tar)?.len(),
            tar_gz_len: std::fs::metadata(&gz)?.len(),
            dir,
            name,
            entries,
            data_bytes,
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The archive file in the given compression.
    pub fn path(&self, compression: Compression) -> PathBuf {
        self.dir
            .path()
            .join(format!("{}.{}", self.name, compression.suffix()))
    }

    /// A fresh, empty directory to unpack into, next to the archive (same filesystem).
    pub fn fresh_dir(&self) -> std::io::Result<tempfile::TempDir> {
        fresh_dir_in(self.dir.path())
    }
}

/// A fresh, empty directory in `parent`, with mode 0755 as a layer's `diff/` dir has, removed
/// (with everything unpacked into it) on drop.
pub fn fresh_dir_in(parent: &Path) -> std::io::Result<tempfile::TempDir> {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new().prefix("x-").tempdir_in(parent)?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    Ok(dir)
}

/// The name of the filesystem `path` is on (`tmpfs`, `ext4`, …), for the reports.
pub fn filesystem_name(path: &Path) -> String {
    use nix::sys::statfs::{
        BTRFS_SUPER_MAGIC, EXT4_SUPER_MAGIC, OVERLAYFS_SUPER_MAGIC, TMPFS_MAGIC, XFS_SUPER_MAGIC, statfs,
    };
    let Ok(fs) = statfs(path) else {
        return "unknown".to_owned();
    };
    let kind = fs.filesystem_type();
    [
        (TMPFS_MAGIC, "tmpfs"),
        (EXT4_SUPER_MAGIC, "ext4"),
        (XFS_SUPER_MAGIC, "xfs"),
        (BTRFS_SUPER_MAGIC, "btrfs"),
        (OVERLAYFS_SUPER_MAGIC, "overlay"),
    ]
    .iter()
    .find(|(magic, _)| *magic == kind)
    .map_or_else(|| format!("{kind:?}"), |(_, name)| (*name).to_owned())
}

/// Unpack with chapter 4: the layer opened the way the engine opens one
/// (`ch05_images::archive::open_layer_tar`: a `BufReader` over the file, plus flate2's gzip
/// decoder when the file starts with gzip's magic), then `apply_layer_tar` with the default
/// limits.
pub fn apply_ours(archive: &Path, dest: &Path) -> Result<ApplyStats, String> {
    let input = ch05_images::archive::open_layer_tar(archive)
        .map_err(|e| format!("opening {}: {e}", archive.display()))?;
    apply_layer_tar(dest, input, &ApplyLimits::default()).map_err(|e| e.to_string())
}

/// Unpack with GNU tar: `tar -x -f <archive> -C <dest>`, with `-z` for gzip (tar then runs
/// `gzip -d` in a second process and reads it through a pipe). As root, GNU tar restores
/// owners and modes by default, as `apply_layer_tar` does.
pub fn extract_gnu_tar(archive: &Path, compression: Compression, dest: &Path) -> Result<(), String> {
    let mut cmd = Command::new("tar");
    cmd.arg(if compression == Compression::Gzip {
        "-xzf"
    } else {
        "-xf"
    })
    .arg(archive)
    .arg("-C")
    .arg(dest)
    .stdin(Stdio::null());
    let out = cmd.output().map_err(|e| format!("running GNU tar: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "tar -x {}: {}: {}",
            archive.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// One line per path below `root` (never following symlinks): type, mode, owner, size, mtime
/// (files and symlinks; directory mtimes change as entries are written), link count and symlink
/// target. Two unpackers agree when their listings are equal.
pub fn tree_listing(root: &Path) -> std::io::Result<BTreeMap<PathBuf, String>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let meta = std::fs::symlink_metadata(&path)?;
            let rel = path.strip_prefix(root).unwrap_or(&path).to_owned();
            let ft = meta.file_type();
            let line = if ft.is_dir() {
                stack.push(path.clone());
                format!("dir {:o} {}:{}", meta.mode() & 0o7777, meta.uid(), meta.gid())
            } else if ft.is_symlink() {
                format!(
                    "symlink -> {} {}:{} mtime {}",
                    std::fs::read_link(&path)?.display(),
                    meta.uid(),
                    meta.gid(),
                    meta.mtime()
                )
            } else {
                format!(
                    "file {:o} {}:{} size {} mtime {} links {}",
                    meta.mode() & 0o7777,
                    meta.uid(),
                    meta.gid(),
                    meta.size(),
                    meta.mtime(),
                    meta.nlink()
                )
            };
            out.insert(rel, line);
        }
    }
    Ok(out)
}

/// A small, fast, deterministic generator (xorshift64*): the same layer on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
}

const MTIME: u64 = 1_700_000_000;
const FILES: usize = 4000;
const SYMLINKS: usize = 400;
const HARDLINKS: usize = 40;

const WORDS: &[&str] = &[
    "the",
    "container",
    "layer",
    "overlay",
    "mount",
    "image",
    "runtime",
    "kernel",
    "namespace",
    "cgroup",
    "file",
    "directory",
    "symlink",
    "of",
    "and",
    "to",
    "in",
    "is",
    "for",
    "with",
    "configuration",
    "default",
    "value",
    "option",
    "see",
    "manual",
    "page",
    "license",
    "copyright",
    "GNU",
    "General",
    "Public",
    "License",
    "version",
    "2",
    "or",
    "later",
    "#",
    "if",
    "then",
    "fi",
    "return",
    "0;",
    "1;",
    "{",
    "}",
    "def",
    "import",
    "self",
    "None",
    "=",
    "==",
    "\n",
    "\n\n",
];

/// The directory tree: top-level dirs like a Debian root, each with nested package dirs.
fn directories(rng: &mut Rng) -> Vec<String> {
    let mut dirs: Vec<String> = [
        "bin",
        "etc",
        "etc/default",
        "etc/ssl",
        "etc/ssl/certs",
        "lib",
        "lib/x86_64-linux-gnu",
        "sbin",
        "usr",
        "usr/bin",
        "usr/lib",
        "usr/lib/x86_64-linux-gnu",
        "usr/lib/python3",
        "usr/lib/python3/dist-packages",
        "usr/share",
        "usr/share/doc",
        "usr/share/locale",
        "usr/share/man",
        "usr/share/man/man1",
        "var",
        "var/lib",
        "var/lib/dpkg",
        "var/lib/dpkg/info",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for i in 0..140 {
        let pkg = format!(
            "package-{i:03}-{}",
            ["utils", "common", "data", "bin", "libs"][i % 5]
        );
        dirs.push(format!("usr/share/doc/{pkg}"));
        if i % 2 == 0 {
            let py = format!("usr/lib/python3/dist-packages/{}", pkg.replace('-', "_"));
            dirs.push(py.clone());
            for sub in 0..rng.range(0, 4) {
                // some deep, long names: entries over 100 bytes need GNU long-name headers
                let long = format!("{py}/submodule_with_a_rather_long_descriptive_name_{sub}");
                dirs.push(long.clone());
                if sub == 0 {
                    dirs.push(format!("{long}/tests/fixtures"));
                }
            }
        }
        if i % 4 == 0 {
            dirs.push(format!("usr/lib/x86_64-linux-gnu/{pkg}"));
        }
    }
    for lang in ["de", "es", "fr", "it", "ja", "pt_BR", "ru", "zh_CN"] {
        dirs.push(format!("usr/share/locale/{lang}"));
        dirs.push(format!("usr/share/locale/{lang}/LC_MESSAGES"));
    }
    // every ancestor too; sorted, a parent comes before its children, as in a tar
    let mut all = std::collections::BTreeSet::new();
    for dir in dirs {
        let mut path = Path::new(&dir);
        all.insert(dir.clone());
        while let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            all.insert(parent.to_string_lossy().into_owned());
            path = parent;
        }
    }
    all.into_iter().collect()
}

/// File sizes shaped like a distro layer: ~70% under 4 KiB, 25% up to 24 KiB, 5% up to
/// 192 KiB, 0.25% (10 files) from 512 KiB to 3 MiB.
fn file_size(rng: &mut Rng) -> u64 {
    match rng.range(0, 10_000) {
        0..25 => rng.range(512 << 10, 3 << 20),
        25..525 => rng.range(32 << 10, 192 << 10),
        525..3025 => rng.range(4 << 10, 24 << 10),
        _ => rng.range(64, 4 << 10),
    }
}

/// Text (words) for documentation and configuration; binary-looking data elsewhere: runs of
/// random bytes, zeros, and repeats of earlier bytes, which gzip shrinks about 2×.
fn file_data(rng: &mut Rng, text: bool, size: usize, out: &mut Vec<u8>) {
    out.clear();
    while out.len() < size {
        if text {
            if rng.next() % 4 == 0 {
                // identifiers, numbers: what keeps real text from compressing more than ~3×
                let len = rng.range(2, 10);
                out.extend(
                    (0..len).map(|_| b"abcdefghijklmnopqrstuvwxyz0123456789_"[(rng.next() % 37) as usize]),
                );
            } else {
                out.extend_from_slice(rng.pick(WORDS).as_bytes());
            }
            out.push(b' ');
        } else {
            let run = rng.range(16, 512) as usize;
            match rng.next() % 3 {
                0 => out.extend((0..run).map(|_| rng.next() as u8)),
                1 => out.resize(out.len() + run, 0),
                _ if out.len() > run => {
                    let from = rng.range(0, (out.len() - run) as u64) as usize;
                    out.extend_from_within(from..from + run);
                }
                _ => out.extend(std::iter::repeat_n(0x90, run)),
            }
        }
    }
    out.truncate(size);
}

fn header(kind: EntryType, mode: u32, size: u64) -> Header {
    let mut h = Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(MTIME);
    h.set_uid(0);
    h.set_gid(0);
    h
}

/// Write the generated layer; returns (entries, regular-file bytes).
fn write_generated<W: Write>(builder: &mut tar::Builder<W>) -> std::io::Result<(u64, u64)> {
    let mut rng = Rng(0x6d69_6e69_646f_636b); // "minidock"
    let dirs = directories(&mut rng);
    // files per directory: spread at random, listed right after their directory, as in a tar
    let mut per_dir: Vec<Vec<(String, u64)>> = vec![Vec::new(); dirs.len()];
    for i in 0..FILES {
        let d = rng.range(0, dirs.len() as u64) as usize;
        let ext = *rng.pick(&["", ".so.1", ".py", ".txt", ".gz", ".conf", ".mo", "-data.bin"]);
        per_dir[d].push((format!("file{i:04}{ext}"), file_size(&mut rng)));
    }
    let mut entries = 0;
    let mut bytes = 0;
    let mut data = Vec::new();
    let mut files: Vec<String> = Vec::new();
    for (dir, contents) in dirs.iter().zip(per_dir) {
        let mut h = header(EntryType::Directory, 0o755, 0);
        builder.append_data(&mut h, format!("{dir}/"), std::io::empty())?;
        entries += 1;
        let text = dir.starts_with("usr/share") || dir.starts_with("etc") || dir.contains("python");
        let exec = dir.ends_with("bin");
        for (name, size) in contents {
            file_data(&mut rng, text, size as usize, &mut data);
            let mode = if exec { 0o755 } else { 0o644 };
            let path = format!("{dir}/{name}");
            let mut h = header(EntryType::Regular, mode, size);
            if rng.next() % 50 == 0 {
                h.set_uid(1000); // a few files owned by someone else, as `chown` in a Dockerfile
                h.set_gid(1000);
            }
            builder.append_data(&mut h, &path, data.as_slice())?;
            entries += 1;
            bytes += size;
            files.push(path);
        }
    }
    for i in 0..SYMLINKS {
        let target = Path::new(rng.pick(&files)).to_owned();
        let dir = target.parent().unwrap_or(Path::new(""));
        let base = target.file_name().unwrap_or_default().to_string_lossy();
        // `libfoo.so -> libfoo.so.1`: a relative link next to its target
        let mut h = header(EntryType::Symlink, 0o777, 0);
        builder.append_link(&mut h, dir.join(format!("link{i:03}-{base}")), base.as_ref())?;
        entries += 1;
    }
    for i in 0..HARDLINKS {
        let target = rng.pick(&files).clone();
        let mut h = header(EntryType::Link, 0o644, 0);
        builder.append_link(&mut h, format!("usr/bin/hardlink{i:02}"), &target)?;
        entries += 1;
    }
    Ok((entries, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn read_all(path: &Path) -> Vec<u8> {
        let mut v = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut v))
            .expect("reading the archive");
        v
    }

    #[test]
    fn the_generated_layer_is_distro_sized_and_the_same_every_time() {
        let a = LayerArchive::generated().expect("generating");
        let b = LayerArchive::generated().expect("generating");
        assert_eq!(
            read_all(&a.path(Compression::Plain)),
            read_all(&b.path(Compression::Plain)),
            "deterministic"
        );
        assert!(a.entries > (FILES + SYMLINKS + HARDLINKS) as u64, "{a:?}");
        assert!((40 << 20..100 << 20).contains(&a.data_bytes), "{a:?}");
        let ratio = a.tar_len as f64 / a.tar_gz_len as f64;
        assert!((2.0..5.0).contains(&ratio), "gzip ratio {ratio:.2}");
    }

    #[test]
    fn ours_and_gnu_tar_unpack_the_same_tree() {
        let archive = LayerArchive::generated().expect("generating");
        for compression in [Compression::Plain, Compression::Gzip] {
            let ours = archive.fresh_dir().expect("dir");
            let theirs = archive.fresh_dir().expect("dir");
            let stats = apply_ours(&archive.path(compression), ours.path()).expect("apply_layer_tar");
            assert_eq!(stats.bytes, archive.data_bytes);
            extract_gnu_tar(&archive.path(compression), compression, theirs.path()).expect("tar -x");
            let (ours, theirs) = (
                tree_listing(ours.path()).expect("listing"),
                tree_listing(theirs.path()).expect("listing"),
            );
            assert_eq!(ours.len(), theirs.len());
            if nix::unistd::geteuid().is_root() {
                assert_eq!(ours, theirs);
            }
        }
    }
}
