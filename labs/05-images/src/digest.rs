//! Content addresses: `sha256:<64 lowercase hex>`.
//!
//! **Lab 05 skeleton.** Exercise `ex1`: write [`Digest::from_hex`], `Digest::from_str` and
//! `VerifyingReader::read` (the three `todo!()`s). `labs/check 05` tells you how far you
//! are.
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
        // ex1: exactly 64 characters, each a digit or `a` to `f` (uppercase is refused). The
        // error is `DigestError::Invalid(hex.to_owned())`.
        todo!(
            "ex1: Ok(Digest {{ hex }}) for exactly 64 characters of 0-9a-f, else Err(DigestError::Invalid(..))"
        )
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
        // ex1: split at the first `:`. `sha256` and valid hex (`Digest::from_hex`) is a digest;
        // another non-empty, alphanumeric algorithm is `DigestError::UnsupportedAlgorithm(s)`;
        // anything else, bad hex included, is `DigestError::Invalid(s)`, naming the whole string.
        todo!(
            "ex1: split_once(':'): sha256 + from_hex, another algorithm => UnsupportedAlgorithm(s), anything else => Invalid(s)"
        )
    }
}

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
        // ex1: pass the bytes through, feeding them to the hasher (`hasher.update`). At the
        // end of the input (`inner.read` returns 0 for a non-empty `buf`), `self.hasher.take()`
        // and `Digest::from_hasher` give the actual digest. Not `self.expected`: fail with
        // `io::Error::new(io::ErrorKind::InvalidData, DigestMismatch { .. })`, now and on every
        // later read (keep it in `self.mismatch`). Equal: `Ok(0)`, now and on every later read
        // (the hasher is gone).
        todo!(
            "ex1: hash what passes through; at EOF compare with self.expected: a mismatch is an InvalidData error wrapping a DigestMismatch (and stays one), a match is Ok(0)"
        )
    }
}

/// The [`DigestMismatch`] inside an I/O error from a [`VerifyingReader`], if that is what it is.
pub fn as_mismatch(e: &io::Error) -> Option<&DigestMismatch> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<DigestMismatch>())
}
