//! Content addresses: `sha256:<64 lowercase hex>`.
//!
//! Everything in an image is named by the hash of its bytes: layers, configs, manifests. A
//! name that is a hash can be checked, so every byte that comes from the network or the disk
//! goes through a [`VerifyingReader`] (or a [`DigestingWriter`]) before we trust it.

use std::fmt;
use std::io::{self, Read, Write};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// The only algorithm Docker and the OCI registries use in practice.
pub const SHA256: &str = "sha256";

/// Why a string is not a digest; the string itself is in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("invalid digest {0:?}: expected sha256:<64 lowercase hex characters>")]
    Invalid(String),
    #[error("unsupported digest algorithm in {0:?}")]
    UnsupportedAlgorithm(String),
}

/// The content does not hash to the digest it was named by.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("digest mismatch for {expected}: got {actual}")]
pub struct DigestMismatch {
    pub expected: Digest,
    pub actual: Digest,
}

/// `sha256:` followed by 64 lowercase hex characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    hex: String,
}

// ANCHOR: digest
impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_hasher(Sha256::new_with_prefix(bytes))
    }

    fn from_hasher(hasher: Sha256) -> Digest {
        Digest {
            hex: hex::encode(hasher.finalize()),
        }
    }

    /// Accept exactly 64 lowercase hex characters, without the `sha256:` prefix.
    pub fn from_hex(hex: &str) -> Result<Digest, DigestError> {
        if hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Digest { hex: hex.to_owned() })
        } else {
            Err(DigestError::Invalid(hex.to_owned()))
        }
    }

    pub fn algorithm(&self) -> &str {
        SHA256
    }

    /// The 64 hex characters: the file name in every content-addressed directory.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The 12 hex characters Docker prints (`IMAGE ID`, `<id>: Pull complete`).
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Digest, DigestError> {
        match s.split_once(':') {
            Some((SHA256, hex)) => Digest::from_hex(hex).map_err(|_| DigestError::Invalid(s.to_owned())),
            Some((alg, _)) if !alg.is_empty() && alg.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Err(DigestError::UnsupportedAlgorithm(s.to_owned()))
            }
            _ => Err(DigestError::Invalid(s.to_owned())),
        }
    }
}
// ANCHOR_END: digest

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SHA256}:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Hashes and counts everything written through it.
#[derive(Debug)]
pub struct DigestingWriter<W> {
    inner: W,
    hasher: Sha256,
    written: u64,
}

impl<W: Write> DigestingWriter<W> {
    pub fn new(inner: W) -> Self {
        DigestingWriter {
            inner,
            hasher: Sha256::new(),
            written: 0,
        }
    }

    pub fn written(&self) -> u64 {
        self.written
    }

    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The writer back, with the digest and length of what went through it.
    pub fn finish(self) -> (W, Digest, u64) {
        (self.inner, Digest::from_hasher(self.hasher), self.written)
    }
}

impl<W: Write> Write for DigestingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Hashes and counts everything read through it (a layer's diff id while it is unpacked).
#[derive(Debug)]
pub struct DigestingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
}

impl<R: Read> DigestingReader<R> {
    pub fn new(inner: R) -> Self {
        DigestingReader {
            inner,
            hasher: Sha256::new(),
            read: 0,
        }
    }

    /// The digest and length of everything read so far.
    pub fn finish(self) -> (Digest, u64) {
        (Digest::from_hasher(self.hasher), self.read)
    }
}

impl<R: Read> Read for DigestingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.read += n as u64;
        Ok(n)
    }
}

// ANCHOR: verifying_reader
/// Passes bytes through and, at end of file, fails with [`DigestMismatch`] (as an
/// [`io::ErrorKind::InvalidData`] error) unless they hash to `expected`.
///
/// A reader that stops early, or returns other bytes, never reaches a clean EOF: whoever copies
/// from it sees the error before they can commit what they copied.
#[derive(Debug)]
pub struct VerifyingReader<R> {
    inner: R,
    expected: Digest,
    hasher: Option<Sha256>,
    mismatch: Option<DigestMismatch>,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, expected: Digest) -> Self {
        VerifyingReader {
            inner,
            expected,
            hasher: Some(Sha256::new()),
            mismatch: None,
        }
    }

    pub fn expected(&self) -> &Digest {
        &self.expected
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(m) = &self.mismatch {
            return Err(io::Error::new(io::ErrorKind::InvalidData, m.clone()));
        }
        let Some(hasher) = self.hasher.as_mut() else {
            return Ok(0); // verified EOF, read again
        };
        let n = self.inner.read(buf)?;
        if n > 0 || buf.is_empty() {
            hasher.update(&buf[..n]);
            return Ok(n);
        }
        let actual = self.hasher.take().map(Digest::from_hasher);
        match actual {
            Some(actual) if actual != self.expected => {
                let m = DigestMismatch {
                    expected: self.expected.clone(),
                    actual,
                };
                self.mismatch = Some(m.clone());
                Err(io::Error::new(io::ErrorKind::InvalidData, m))
            }
            _ => Ok(0),
        }
    }
}
// ANCHOR_END: verifying_reader

/// The [`DigestMismatch`] inside an I/O error from a [`VerifyingReader`], if that is what it is.
pub fn as_mismatch(e: &io::Error) -> Option<&DigestMismatch> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<DigestMismatch>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const EMPTY: &str = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn of_and_display() {
        let d = Digest::of(b"");
        assert_eq!(d.to_string(), EMPTY);
        assert_eq!(d.short(), "e3b0c44298fc");
        assert_eq!(EMPTY.parse::<Digest>().unwrap(), d);
        assert_eq!(serde_json::to_string(&d).unwrap(), format!("\"{EMPTY}\""));
        assert_eq!(
            serde_json::from_str::<Digest>(&format!("\"{EMPTY}\"")).unwrap(),
            d
        );
    }

    #[test]
    fn errors_name_the_bad_string() {
        let err = "sha256:XYZ".parse::<Digest>().unwrap_err();
        assert!(err.to_string().contains("sha256:XYZ"), "{err}");
        let err = format!("sha512:{}", "a".repeat(128))
            .parse::<Digest>()
            .unwrap_err();
        assert!(matches!(err, DigestError::UnsupportedAlgorithm(_)));
        assert!(EMPTY.to_uppercase().parse::<Digest>().is_err());
        assert!(serde_json::from_str::<Digest>("\"sha256:1\"").is_err());
    }

    #[test]
    fn verifying_reader_fails_at_eof_on_mismatch() {
        let mut out = Vec::new();
        let mut ok = VerifyingReader::new(&b"hello"[..], Digest::of(b"hello"));
        assert_eq!(ok.read_to_end(&mut out).unwrap(), 5);

        let mut bad = VerifyingReader::new(&b"hellO"[..], Digest::of(b"hello"));
        let err = bad.read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "digest mismatch for {}: got {}",
                Digest::of(b"hello"),
                Digest::of(b"hellO")
            )
        );
        assert!(as_mismatch(&err).is_some());
        assert!(bad.read(&mut [0; 4]).is_err(), "the error sticks");
    }

    #[test]
    fn digesting_writer_counts_and_hashes() {
        let mut w = DigestingWriter::new(Vec::new());
        w.write_all(b"abc").unwrap();
        let (buf, d, n) = w.finish();
        assert_eq!((buf.as_slice(), n), (&b"abc"[..], 3));
        assert_eq!(d, Digest::of(b"abc"));
    }

    proptest! {
        #[test]
        fn parse_display_round_trip(hex in "[0-9a-f]{64}") {
            let d: Digest = format!("sha256:{hex}").parse().unwrap();
            prop_assert_eq!(d.hex(), hex.as_str());
            prop_assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
        }

        #[test]
        fn only_64_lowercase_hex_parse(s in "sha256:[0-9a-fA-Fg-z]{0,70}") {
            let hex = &s[7..];
            let valid = hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            prop_assert_eq!(s.parse::<Digest>().is_ok(), valid);
        }

        #[test]
        fn never_panics(s in "\\PC{0,80}") {
            let _ = s.parse::<Digest>();
        }
    }
}
