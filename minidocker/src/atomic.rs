//! Writing state so that a crash leaves either the old file or the new one, never half of each.

use std::io::Write;
use std::path::Path;

pub use ch04_layers::Durability;

/// How the name of [`write_atomic`]'s temporary file begins: it becomes the file only by a
/// rename, so a watcher of the directory can pass over anything named so
/// (`daemon/api/record_watch.rs`).
pub const TEMP_PREFIX: &str = ".tmp";

// ANCHOR: write_atomic
/// Write `contents` to `path` atomically: a temp file beside it, put in `path`'s place in one
/// step, so a reader sees the old file or the new one. [`Durability::Synced`] adds an
/// fsync(2) of the file before the rename(2) and of the directory after it, so a crash of the
/// machine leaves one of them too; [`Durability::Volatile`] state (a `--rm` container's) may
/// be lost then, and is swapped in without a flush ([`swap_in`]).
pub fn write_atomic(path: &Path, contents: &[u8], durability: Durability) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new().prefix(TEMP_PREFIX).tempfile_in(dir)?;
    tmp.write_all(contents)?;
    match durability {
        Durability::Synced => {
            tmp.as_file().sync_all()?;
            tmp.persist(path).map_err(|e| e.error)?;
            std::fs::File::open(dir)?.sync_all()
        }
        Durability::Volatile => swap_in(tmp, path),
    }
}

/// Puts `tmp` in `path`'s place without starting its writeback. A rename(2) over an
/// existing file makes ext4 write the new file out at once (`auto_da_alloc`, its guard for
/// programs that replace a file without fsync: ~0.4 ms a save here); an exchange
/// (renameat2(2) `RENAME_EXCHANGE`) is just as atomic for readers and has no such rule. The
/// old version, now under the temp name, is deleted after. Nothing to replace yet, or a file
/// system without exchanges: a plain rename(2).
fn swap_in(tmp: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    use nix::errno::Errno;
    use nix::fcntl::{AT_FDCWD, RenameFlags, renameat2};
    let tmp = tmp.into_temp_path();
    match renameat2(AT_FDCWD, &*tmp, AT_FDCWD, path, RenameFlags::RENAME_EXCHANGE) {
        // the old version goes with the temp name
        Ok(()) => tmp.close(),
        Err(Errno::ENOENT | Errno::EINVAL) => tmp.persist(path).map_err(|e| e.error),
        Err(errno) => Err(errno.into()),
    }
}
// ANCHOR_END: write_atomic

/// Serialise `value` as indented JSON and write it atomically.
pub fn write_json_atomic<T: serde::Serialize>(
    path: &Path,
    value: &T,
    durability: Durability,
) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    write_atomic(path, &json, durability)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        write_atomic(&p, b"a long first version", Durability::Synced).unwrap();
        write_atomic(&p, b"short", Durability::Synced).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"short");
        write_atomic(&p, b"volatile", Durability::Volatile).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"volatile");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[test]
    fn a_volatile_write_makes_new_files_and_replaces_old_ones_whole() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.v2.json");
        write_atomic(&p, b"first", Durability::Volatile).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"first", "made where there was none");
        // a reader that opened the old version keeps reading all of it
        let old = std::fs::File::open(&p).unwrap();
        let old_ino = old.metadata().unwrap().ino();
        write_atomic(&p, b"second, longer", Durability::Volatile).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second, longer");
        assert_ne!(
            std::fs::metadata(&p).unwrap().ino(),
            old_ino,
            "a new file, not rewritten in place"
        );
        assert_eq!(std::io::read_to_string(&old).unwrap(), "first");
        assert_eq!(old.metadata().unwrap().nlink(), 0, "the old version is deleted");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[test]
    fn a_write_into_a_missing_directory_fails_and_names_nothing_left() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("gone/state.json");
        for durability in [Durability::Synced, Durability::Volatile] {
            let err = write_atomic(&p, b"x", durability).unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
        }
    }
}
