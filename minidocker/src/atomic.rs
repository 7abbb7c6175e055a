//! Writing state so that a crash leaves either the old file or the new one, never half of each.

use std::io::Write;
use std::path::Path;

pub use ch04_layers::Durability;

/// Write `contents` to `path` atomically: a temp file beside it, rename(2)d over `path`, so a
/// reader sees the old file or the new one. [`Durability::Synced`] adds an fsync(2) of the
/// file before the rename and of the directory after it, so a crash of the machine leaves
/// one of them too; [`Durability::Volatile`] state (a `--rm` container's) may be lost then.
pub fn write_atomic(path: &Path, contents: &[u8], durability: Durability) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents)?;
    if durability == Durability::Synced {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    if durability == Durability::Synced {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

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
}
