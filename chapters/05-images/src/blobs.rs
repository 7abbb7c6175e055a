//! A content-addressed blob store: `<root>/blobs/sha256/<hex>`.
//!
//! The file name *is* the hash of the content, so a blob is written once and never changes.
//! Every write goes to `<root>/blobs/tmp` first and is renamed into place only after its digest
//! was checked and the data `fsync`ed: a download that is cut short or returns the wrong bytes
//! leaves nothing behind, and a blob that exists is whole.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::atomic::sync_dir;
use crate::digest::{Digest, DigestMismatch, DigestingWriter, VerifyingReader, as_mismatch};

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {digest} not found in {}", .path.display())]
    NotFound { digest: Digest, path: PathBuf },
    #[error(transparent)]
    Mismatch(#[from] DigestMismatch),
    #[error("{op} {}: {source}", .path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> BlobError + 'a {
    move |source| BlobError::Io {
        op,
        path: path.to_owned(),
        source,
    }
}

/// The blobs under `<root>/blobs`.
#[derive(Debug, Clone)]
pub struct BlobStore {
    dir: PathBuf,
    tmp: PathBuf,
}

impl BlobStore {
    /// Open (creating if needed) the store under `root`.
    pub fn open(root: impl AsRef<Path>) -> Result<BlobStore, BlobError> {
        let blobs = root.as_ref().join("blobs");
        let dir = blobs.join("sha256");
        let tmp = blobs.join("tmp");
        for d in [&dir, &tmp] {
            std::fs::create_dir_all(d).map_err(io_err("creating", d))?;
        }
        Ok(BlobStore { dir, tmp })
    }

    /// Where the blob lives (whether or not it exists).
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.dir.join(digest.hex())
    }

    pub fn exists(&self, digest: &Digest) -> bool {
        self.path(digest).is_file()
    }

    /// Store `bytes`, returning their digest.
    pub fn put(&self, bytes: &[u8]) -> Result<Digest, BlobError> {
        self.put_stream(bytes, None).map(|(digest, _)| digest)
    }

    // ANCHOR: put_stream
    /// Copy `reader` into the store and return its digest and length.
    ///
    /// With `expected`, content that hashes to anything else is refused. Either way the data is
    /// staged in `blobs/tmp`, `fsync`ed and renamed into place only once complete; on any error
    /// (a read error, a short stream, a mismatch) the staged file is deleted.
    pub fn put_stream(
        &self,
        mut reader: impl Read,
        expected: Option<&Digest>,
    ) -> Result<(Digest, u64), BlobError> {
        let staged = tempfile::Builder::new()
            .prefix("put-")
            .tempfile_in(&self.tmp)
            .map_err(io_err("creating a temporary file in", &self.tmp))?;
        let mut writer = DigestingWriter::new(staged);
        if let Err(e) = io::copy(&mut reader, &mut writer) {
            return Err(match as_mismatch(&e) {
                Some(m) => BlobError::Mismatch(m.clone()),
                None => BlobError::Io {
                    op: "copying into",
                    path: writer.get_ref().path().to_owned(),
                    source: e,
                },
            });
        }
        let (staged, actual, size) = writer.finish();
        if let Some(expected) = expected.filter(|e| **e != actual) {
            return Err(BlobError::Mismatch(DigestMismatch {
                expected: expected.clone(),
                actual,
            }));
        }
        let target = self.path(&actual);
        if target.is_file() {
            return Ok((actual, size)); // same name, same bytes: the staged copy is dropped
        }
        staged
            .as_file()
            .sync_all()
            .map_err(io_err("syncing", staged.path()))?;
        staged.persist(&target).map_err(|e| BlobError::Io {
            op: "renaming a staged blob to",
            path: target.clone(),
            source: e.error,
        })?;
        sync_dir(&self.dir).map_err(io_err("syncing", &self.dir))?;
        tracing::debug!(digest = %actual, size, "stored blob");
        Ok((actual, size))
    }
    // ANCHOR_END: put_stream

    // ANCHOR: open_blob
    /// A reader over the blob that fails at end of file if the bytes on disk were corrupted.
    pub fn open_blob(&self, digest: &Digest) -> Result<VerifyingReader<File>, BlobError> {
        let path = self.path(digest);
        let file = File::open(&path).map_err(|e| self.not_found_or(digest, &path, "opening", e))?;
        Ok(VerifyingReader::new(file, digest.clone()))
    }

    /// The whole blob, verified.
    pub fn read(&self, digest: &Digest) -> Result<Vec<u8>, BlobError> {
        let mut bytes = Vec::new();
        let path = self.path(digest);
        self.open_blob(digest)?
            .read_to_end(&mut bytes)
            .map_err(|e| match as_mismatch(&e) {
                Some(m) => BlobError::Mismatch(m.clone()),
                None => io_err("reading", &path)(e),
            })?;
        Ok(bytes)
    }
    // ANCHOR_END: open_blob

    pub fn size(&self, digest: &Digest) -> Result<u64, BlobError> {
        let path = self.path(digest);
        std::fs::metadata(&path)
            .map(|m| m.len())
            .map_err(|e| self.not_found_or(digest, &path, "reading metadata of", e))
    }

    /// Delete the blob; `false` if it was not there.
    pub fn remove(&self, digest: &Digest) -> Result<bool, BlobError> {
        let path = self.path(digest);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err("removing", &path)(e)),
        }
    }

    /// Every blob in the store (file names that are not digests are skipped).
    pub fn list(&self) -> Result<Vec<Digest>, BlobError> {
        let entries = std::fs::read_dir(&self.dir).map_err(io_err("listing", &self.dir))?;
        let mut out: Vec<Digest> = entries
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().to_str().and_then(|n| Digest::from_hex(n).ok()))
            .collect();
        out.sort();
        Ok(out)
    }

    fn not_found_or(&self, digest: &Digest, path: &Path, op: &'static str, e: io::Error) -> BlobError {
        if e.kind() == io::ErrorKind::NotFound {
            BlobError::NotFound {
                digest: digest.clone(),
                path: self.dir.clone(),
            }
        } else {
            io_err(op, path)(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_read_remove() {
        let dir = tempfile::tempdir().unwrap();
        let store = BlobStore::open(dir.path()).unwrap();
        let d = store.put(b"hello").unwrap();
        assert_eq!(d, Digest::of(b"hello"));
        assert!(store.path(&d).ends_with(format!("blobs/sha256/{}", d.hex())));
        assert_eq!(store.read(&d).unwrap(), b"hello");
        assert_eq!(store.size(&d).unwrap(), 5);
        assert_eq!(store.put(b"hello").unwrap(), d, "idempotent");
        assert_eq!(store.list().unwrap(), vec![d.clone()]);
        assert!(store.remove(&d).unwrap());
        assert!(!store.remove(&d).unwrap());
        let err = store.read(&d).unwrap_err();
        assert!(matches!(err, BlobError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains(&d.to_string()));
    }
}
