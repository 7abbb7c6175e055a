//! What the daemon's TLS and the CLI's have in common: the PEM files (a CA, a certificate, its
//! key), where they are looked for, and the cryptography (rustls with *ring*).
//!
//! Docker names the three files the same on both sides: `ca.pem`, `cert.pem`, `key.pem` in
//! `DOCKER_CERT_PATH`, else in the configuration directory (`DOCKER_CONFIG`, else
//! `~/.docker`). Errors are worded as Go's `crypto/tls` and dockerd word them
//! (`open ca.pem: no such file or directory`), so the side that adds context (the daemon's
//! "failed to create API server", the CLI's "unable to resolve docker endpoint") reads like
//! Docker.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The CA's file name in the certificate directory.
pub const CA_FILE: &str = "ca.pem";
/// The certificate's file name in the certificate directory.
pub const CERT_FILE: &str = "cert.pem";
/// The private key's file name in the certificate directory.
pub const KEY_FILE: &str = "key.pem";

/// A PEM file that cannot be used, in Go's words.
#[derive(Debug, thiserror::Error)]
pub enum PemError {
    /// The file cannot be read (`open key.pem: no such file or directory`). The I/O error is
    /// in the message already, so it is not a `source` (anyhow's `{:#}` would repeat it).
    #[error("open {}: {reason}", path.display())]
    Open {
        path: PathBuf,
        reason: String,
        error: std::io::Error,
    },
    /// No block of the kind looked for (`what` is `certificate` or `key`).
    #[error("tls: failed to find any PEM data in {what} input")]
    NoPem { path: PathBuf, what: &'static str },
    /// A block that does not parse.
    #[error("tls: failed to parse {what} in {}: {reason}", path.display())]
    Malformed {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },
}

impl PemError {
    /// Whether the file is missing (dockerd's "Could not load" rather than "Error reading").
    pub fn is_not_found(&self) -> bool {
        matches!(self, PemError::Open { error, .. } if error.kind() == std::io::ErrorKind::NotFound)
    }
}

/// A CA file that cannot be trusted, in dockerd's and the Docker CLI's words.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    #[error("could not read CA certificate {:?}: {cause}", path.display().to_string())]
    Read { path: PathBuf, cause: PemError },
    /// The file has no certificate that can be a trust anchor.
    #[error("failed to append certificates from PEM file: {:?}", path.display().to_string())]
    NoCertificates { path: PathBuf },
}

fn read(path: &Path) -> Result<Vec<u8>, PemError> {
    std::fs::read(path).map_err(|error| PemError::Open {
        path: path.to_owned(),
        reason: crate::go_errors::io_error_text(&error),
        error,
    })
}

/// Every certificate in the PEM file at `path` (at least one).
pub fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, PemError> {
    let bytes = read(path)?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PemError::Malformed {
            path: path.to_owned(),
            what: "certificate",
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(PemError::NoPem {
            path: path.to_owned(),
            what: "certificate",
        });
    }
    Ok(certs)
}

/// The private key in the PEM file at `path` (PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted).
pub fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, PemError> {
    let bytes = read(path)?;
    PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => PemError::NoPem {
            path: path.to_owned(),
            what: "key",
        },
        other => PemError::Malformed {
            path: path.to_owned(),
            what: "key",
            reason: other.to_string(),
        },
    })
}

/// The trust anchors in the CA file at `path`: only these are trusted (as Docker's
/// `ExclusiveRootPools`: the system's CAs are not added).
pub fn ca_roots(path: &Path) -> Result<Arc<RootCertStore>, CaError> {
    let certs = match certificates(path) {
        Ok(certs) => certs,
        Err(PemError::NoPem { .. } | PemError::Malformed { .. }) => {
            return Err(CaError::NoCertificates {
                path: path.to_owned(),
            });
        }
        Err(cause) => {
            return Err(CaError::Read {
                path: path.to_owned(),
                cause,
            });
        }
    };
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(CaError::NoCertificates {
            path: path.to_owned(),
        });
    }
    Ok(Arc::new(roots))
}

/// The cryptography both sides use: *ring*'s, chosen explicitly so that no process-wide default
/// has to be installed.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ANCHOR: cert_dir
/// Where Docker looks for `ca.pem`, `cert.pem` and `key.pem` when no flag names them, and what
/// the environment says about TLS (read once, from the variables dockerd and the Docker CLI
/// read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsEnv {
    /// `DOCKER_TLS_VERIFY` set to anything non-empty (even `0`): verify, and so use TLS.
    pub verify: bool,
    /// `DOCKER_TLS` set to anything non-empty: use TLS (the Docker CLI only).
    pub tls: bool,
    /// `DOCKER_CERT_PATH`, else `DOCKER_CONFIG`, else `$HOME/.docker`.
    pub cert_dir: PathBuf,
}

impl TlsEnv {
    /// From this process's environment.
    pub fn from_process() -> TlsEnv {
        TlsEnv::from_lookup(&|name| std::env::var_os(name).map(PathBuf::from))
    }

    /// From the variables `lookup` gives (an empty value counts as unset, as in Go).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<PathBuf>) -> TlsEnv {
        let get = |name: &str| lookup(name).filter(|v| !v.as_os_str().is_empty());
        let cert_dir = get("DOCKER_CERT_PATH")
            .or_else(|| get("DOCKER_CONFIG"))
            .unwrap_or_else(|| get("HOME").unwrap_or_default().join(".docker"));
        TlsEnv {
            verify: get("DOCKER_TLS_VERIFY").is_some(),
            tls: get("DOCKER_TLS").is_some(),
            cert_dir,
        }
    }

    /// `name` in the certificate directory.
    pub fn default_file(&self, name: &str) -> PathBuf {
        self.cert_dir.join(name)
    }
}
// ANCHOR_END: cert_dir

/// No environment at all (`.docker` relative to the working directory, as Go's
/// `filepath.Join("", ".docker")` without `HOME`): what tests start from.
impl Default for TlsEnv {
    fn default() -> TlsEnv {
        TlsEnv::from_lookup(&|_| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_directory_is_docker_s() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            TlsEnv::from_lookup(&move |name| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| PathBuf::from(v))
            })
        };
        assert_eq!(
            env(&[("HOME", "/home/u")]).default_file(CA_FILE),
            PathBuf::from("/home/u/.docker/ca.pem")
        );
        assert_eq!(
            env(&[("HOME", "/home/u"), ("DOCKER_CONFIG", "/cfg")]).cert_dir,
            PathBuf::from("/cfg")
        );
        let all = env(&[
            ("HOME", "/home/u"),
            ("DOCKER_CONFIG", "/cfg"),
            ("DOCKER_CERT_PATH", "/certs"),
            ("DOCKER_TLS_VERIFY", "0"),
        ]);
        assert_eq!(all.cert_dir, PathBuf::from("/certs"));
        assert!(
            all.verify,
            "any non-empty DOCKER_TLS_VERIFY turns verification on"
        );
        let empty = env(&[
            ("HOME", "/h"),
            ("DOCKER_TLS_VERIFY", ""),
            ("DOCKER_CERT_PATH", ""),
        ]);
        assert!(!empty.verify && !empty.tls);
        assert_eq!(empty.cert_dir, PathBuf::from("/h/.docker"));
    }

    #[test]
    fn unusable_files_are_named_in_go_s_words() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let e = certificates(&missing).unwrap_err();
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            format!("open {}: no such file or directory", missing.display())
        );
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "garbage\n").unwrap();
        assert_eq!(
            private_key(&garbage).unwrap_err().to_string(),
            "tls: failed to find any PEM data in key input"
        );
        assert_eq!(
            certificates(&garbage).unwrap_err().to_string(),
            "tls: failed to find any PEM data in certificate input"
        );
        assert_eq!(
            ca_roots(&garbage).unwrap_err().to_string(),
            format!(
                "failed to append certificates from PEM file: \"{}\"",
                garbage.display()
            )
        );
        assert_eq!(
            ca_roots(&missing).unwrap_err().to_string(),
            format!(
                "could not read CA certificate \"{0}\": open {0}: no such file or directory",
                missing.display()
            )
        );
    }

    #[test]
    fn a_generated_ca_certificate_and_key_load() {
        let dir = tempfile::tempdir().unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        std::fs::write(dir.path().join(CERT_FILE), cert.pem()).unwrap();
        std::fs::write(dir.path().join(KEY_FILE), key.serialize_pem()).unwrap();
        assert_eq!(certificates(&dir.path().join(CERT_FILE)).unwrap().len(), 1);
        assert!(matches!(
            private_key(&dir.path().join(KEY_FILE)).unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
        // a self-signed certificate is its own trust anchor
        assert_eq!(ca_roots(&dir.path().join(CERT_FILE)).unwrap().len(), 1);
    }
}
