//! ex1: digests, the names of everything in an image, and checking bytes against them.

use std::io::Read;

use lab05_images::digest::as_mismatch;
use lab05_images::{BlobError, BlobStore, Digest, DigestError, VerifyingReader};

const EMPTY_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

#[test]
fn ex1_a_digest_is_sha256_and_64_lowercase_hex() {
    let text = format!("sha256:{EMPTY_HEX}");
    let digest: Digest = text.parse().expect("a valid digest");
    assert_eq!(digest, Digest::of(b""));
    assert_eq!(digest.to_string(), text);
    assert_eq!(digest.hex(), EMPTY_HEX);
    assert_eq!(Digest::from_hex(EMPTY_HEX).expect("valid hex"), digest);
    assert_eq!(
        serde_json::from_str::<Digest>(&format!("\"{text}\"")).expect("a digest in JSON"),
        digest
    );
}

#[test]
fn ex1_anything_else_is_refused_and_named() {
    let upper = format!("sha256:{}", EMPTY_HEX.to_uppercase());
    let short = format!("sha256:{}", &EMPTY_HEX[1..]);
    let long = format!("sha256:{EMPTY_HEX}0");
    let not_hex = format!("sha256:{}g", &EMPTY_HEX[1..]);
    let no_algorithm = format!(":{EMPTY_HEX}");
    for bad in [
        upper.as_str(),
        &short,
        &long,
        &not_hex,
        &no_algorithm,
        EMPTY_HEX,
        "",
        "sha256",
    ] {
        match bad.parse::<Digest>() {
            Err(err @ DigestError::Invalid(_)) => {
                assert!(err.to_string().contains(&format!("{bad:?}")), "{bad:?}: {err}");
            }
            other => panic!("{bad:?} must be DigestError::Invalid, got {other:?}"),
        }
    }
    let sha512 = format!("sha512:{}", "a".repeat(128));
    assert_eq!(
        sha512.parse::<Digest>(),
        Err(DigestError::UnsupportedAlgorithm(sha512.clone()))
    );
    for bad in [&EMPTY_HEX[1..], &EMPTY_HEX.to_uppercase()] {
        assert_eq!(Digest::from_hex(bad), Err(DigestError::Invalid(bad.to_string())));
    }
    assert!(
        serde_json::from_str::<Digest>("\"sha256:1\"").is_err(),
        "JSON goes through the same check"
    );
}

#[test]
fn ex1_a_verifying_reader_passes_matching_bytes_through() {
    let mut reader = VerifyingReader::new(&b"hello"[..], Digest::of(b"hello"));
    let mut out = Vec::new();
    reader.read_to_end(&mut out).expect("the bytes match");
    assert_eq!(out, b"hello");
    assert_eq!(reader.read(&mut [0; 8]).expect("still at a clean end"), 0);

    let mut empty = VerifyingReader::new(&b""[..], Digest::of(b""));
    assert_eq!(
        empty
            .read_to_end(&mut Vec::new())
            .expect("nothing is the empty digest"),
        0
    );
}

#[test]
fn ex1_a_verifying_reader_fails_at_the_end_on_other_bytes() {
    let expected = Digest::of(b"hello");
    for (bytes, what) in [(&b"hellO"[..], "other bytes"), (&b"hell"[..], "a short read")] {
        let mut reader = VerifyingReader::new(bytes, expected.clone());
        let mut out = Vec::new();
        let err = reader.read_to_end(&mut out).expect_err(what);
        assert_eq!(out, bytes, "{what}: the bytes still pass through until the end");
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData, "{what}");
        assert_eq!(
            err.to_string(),
            format!("digest mismatch for {expected}: got {}", Digest::of(bytes))
        );
        let mismatch = as_mismatch(&err).expect("a DigestMismatch inside the io::Error");
        assert_eq!(
            (&mismatch.expected, &mismatch.actual),
            (&expected, &Digest::of(bytes))
        );
        assert!(reader.read(&mut [0; 8]).is_err(), "{what}: the error sticks");
    }
}

#[test]
fn ex1_the_blob_store_keeps_only_what_matches_its_name() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = BlobStore::open(tmp.path()).expect("open the blob store");
    // a download whose bytes are not what the manifest promised leaves nothing behind
    let promised = Digest::of(b"the real layer");
    let download = VerifyingReader::new(&b"something else"[..], promised.clone());
    match store.put_stream(download, None) {
        Err(BlobError::Mismatch(m)) => assert_eq!(m.expected, promised),
        other => panic!("expected a mismatch, got {other:?}"),
    }
    assert!(store.list().expect("list").is_empty(), "nothing stored");

    // a blob corrupted on disk is caught when it is read
    let digest = store.put(b"config").expect("put");
    assert_eq!(store.read(&digest).expect("read"), b"config");
    std::fs::write(store.path(&digest), b"c0nfig").expect("corrupt the blob");
    match store.read(&digest) {
        Err(BlobError::Mismatch(m)) => assert_eq!((m.expected, m.actual), (digest, Digest::of(b"c0nfig"))),
        other => panic!("expected a mismatch, got {other:?}"),
    }
}
