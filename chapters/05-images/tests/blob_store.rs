//! The blob store keeps only whole, verified blobs.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns: a failure is a test failure

mod common;

use std::io::{self, Read};

use ch05_images::{BlobError, BlobStore, Digest};
use common::files_under;

/// Yields `data`, then fails like a dropped connection.
struct FailsAfter<'a> {
    data: &'a [u8],
}

impl Read for FailsAfter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.data.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection reset by peer",
            ));
        }
        let n = buf.len().min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

#[test]
fn a_wrong_expected_digest_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).unwrap();
    let expected = Digest::of(b"the real content");
    let err = store
        .put_stream(&b"something else"[..], Some(&expected))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "digest mismatch for {expected}: got {}",
            Digest::of(b"something else")
        )
    );
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );
    assert!(!store.exists(&expected));
}

#[test]
fn a_truncated_stream_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).unwrap();
    let content = vec![7u8; 100_000];
    let expected = Digest::of(&content);

    // The stream ends early: the digest cannot match.
    let err = store.put_stream(&content[..50_000], Some(&expected)).unwrap_err();
    assert!(matches!(err, BlobError::Mismatch(_)), "{err}");
    // The stream breaks: the error is the I/O error, with or without an expected digest.
    for expected in [Some(&expected), None] {
        let err = store
            .put_stream(
                FailsAfter {
                    data: &content[..70_000],
                },
                expected,
            )
            .unwrap_err();
        assert!(err.to_string().contains("connection reset by peer"), "{err}");
    }
    assert!(
        files_under(dir.path()).is_empty(),
        "{:?}",
        files_under(dir.path())
    );

    let (digest, size) = store.put_stream(&content[..], Some(&expected)).unwrap();
    assert_eq!((digest, size), (expected.clone(), 100_000));
    assert_eq!(
        files_under(dir.path()),
        vec![format!("blobs/sha256/{}", expected.hex())]
    );
}

#[test]
fn a_corrupted_blob_is_detected_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = BlobStore::open(dir.path()).unwrap();
    let digest = store.put(b"layer bytes").unwrap();
    std::fs::write(store.path(&digest), b"layer bytez").unwrap();

    let err = store.read(&digest).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("digest mismatch for {digest}: got {}", Digest::of(b"layer bytez"))
    );
    let mut streamed = Vec::new();
    let err = store
        .open_blob(&digest)
        .unwrap()
        .read_to_end(&mut streamed)
        .unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(err.to_string().starts_with("digest mismatch for"), "{err}");
}
