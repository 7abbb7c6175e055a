//! The CLI's TLS, with the Docker CLI's global flags (`--tls`, `--tlsverify`, `--tlscacert`,
//! `--tlscert`, `--tlskey`) and environment (`DOCKER_TLS_VERIFY`, `DOCKER_TLS`,
//! `DOCKER_CERT_PATH`).
//!
//! ```text
//!  TCP connect ─▶ TLS handshake ─────────────────────────▶ HTTP/1.1 as on a unix socket
//!                 │ --tlsverify: the daemon's certificate must be signed by the CA and name
//!                 │   the host dialled (an IP address SAN for tcp://127.0.0.1:2376)
//!                 │ --tls: encrypted, but any certificate is accepted
//!                 └ cert.pem and key.pem, when there are, are the client's identity
//! ```
//!
//! As with the Docker CLI, TLS without `-H` means `tcp://localhost:2376`, a unix socket is
//! never wrapped in TLS, and failures are worded as its Go library words them.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use crate::tls::{CA_FILE, CERT_FILE, KEY_FILE, TlsEnv};

/// The address the CLI talks to when TLS is on and no host is given (Docker's
/// `DefaultTLSHost`).
pub const DEFAULT_TLS_HOST: &str = "tcp://localhost:2376";

/// The Docker CLI's TLS flags (global: `minidocker --tlsverify … ps`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsFlags {
    /// Use TLS; implied by --tlsverify
    #[arg(long = "tls")]
    pub tls: bool,
    /// Use TLS and verify the remote
    #[arg(long = "tlsverify", value_name = "bool", num_args = 0..=1, require_equals = true, default_missing_value = "true", hide_possible_values = true)]
    pub tlsverify: Option<bool>,
    /// Trust certs signed only by this CA (default "~/.docker/ca.pem")
    #[arg(long = "tlscacert", value_name = "string")]
    pub tlscacert: Option<PathBuf>,
    /// Path to TLS certificate file (default "~/.docker/cert.pem")
    #[arg(long = "tlscert", value_name = "string")]
    pub tlscert: Option<PathBuf>,
    /// Path to TLS key file (default "~/.docker/key.pem")
    #[arg(long = "tlskey", value_name = "string")]
    pub tlskey: Option<PathBuf>,
}

/// TLS as the CLI will use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// `--tlsverify`: the daemon's certificate is checked against `ca` and the host name.
    pub verify_server: bool,
    /// The CA file (read whenever TLS is on, as the Docker CLI reads it).
    pub ca: PathBuf,
    /// The client's certificate and key, when it has them.
    pub identity: Option<(PathBuf, PathBuf)>,
}

// ANCHOR: client_tls_rules
impl TlsFlags {
    /// The Docker CLI's rules: `--tlsverify` (given at all, or `DOCKER_TLS_VERIFY`) turns TLS
    /// on; `--tls` (or `DOCKER_TLS`) encrypts without verifying; a default `cert.pem` or
    /// `key.pem` that does not exist is not used, while a named one must exist.
    pub fn resolve(&self, env: &TlsEnv) -> Option<TlsOptions> {
        let verify = self.tlsverify.unwrap_or(env.verify);
        if !(verify || self.tls || env.tls || self.tlsverify.is_some()) {
            return None;
        }
        let file_or_default = |flag: &Option<PathBuf>, name: &str| match flag {
            Some(path) => Some(path.clone()),
            None => Some(env.default_file(name)).filter(|path| path.exists()),
        };
        let cert = file_or_default(&self.tlscert, CERT_FILE);
        let key = file_or_default(&self.tlskey, KEY_FILE);
        Some(TlsOptions {
            verify_server: verify,
            ca: self
                .tlscacert
                .clone()
                .unwrap_or_else(|| env.default_file(CA_FILE)),
            // one without the other fails as Go's does: `open : no such file or directory`
            identity: (cert.is_some() || key.is_some())
                .then(|| (cert.unwrap_or_default(), key.unwrap_or_default())),
        })
    }
}
// ANCHOR_END: client_tls_rules

/// A client's TLS configuration, its files read: cheap to clone (shared), compared by identity.
#[derive(Clone)]
pub struct TlsConnector {
    config: Arc<ClientConfig>,
}

impl std::fmt::Debug for TlsConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsConnector")
    }
}

impl PartialEq for TlsConnector {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.config, &other.config)
    }
}

impl Eq for TlsConnector {}

/// TLS files the CLI cannot use (the Docker CLI: `Failed to initialize: unable to resolve
/// docker endpoint: open ca.pem: no such file or directory`).
#[derive(Debug, thiserror::Error)]
#[error("Failed to initialize: unable to resolve docker endpoint: {0}")]
pub struct TlsFilesError(String);

impl TlsConnector {
    /// Reads the CA and the client's certificate and key that `options` name.
    pub fn new(options: &TlsOptions) -> Result<TlsConnector, TlsFilesError> {
        let roots = crate::tls::ca_roots(&options.ca).map_err(|e| match e {
            crate::tls::CaError::Read { cause, .. } => TlsFilesError(cause.to_string()),
            other => TlsFilesError(other.to_string()),
        })?;
        let provider = crate::tls::provider();
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsFilesError(e.to_string()))?;
        let builder = if options.verify_server {
            builder.with_root_certificates(roots)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AnyServerCertificate(provider)))
        };
        let mut config = match &options.identity {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let chain = crate::tls::certificates(cert).map_err(|e| TlsFilesError(e.to_string()))?;
                let key = crate::tls::private_key(key).map_err(|e| TlsFilesError(e.to_string()))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| TlsFilesError(format!("Could not load X509 key pair: tls: {e}")))?
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConnector {
            config: Arc::new(config),
        })
    }

    /// The TLS handshake on `stream`, the server named by the host part of `addr`
    /// (`127.0.0.1:2376`, `localhost:2376`, `[::1]:2376`).
    pub async fn connect(&self, addr: &str, stream: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(host.to_owned())
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(name, stream)
            .await
    }
}

/// `--tls` without `--tlsverify`: any certificate is accepted (Go's `InsecureSkipVerify`),
/// but the handshake's signatures are still checked, so the session is still encrypted with
/// the key of the certificate shown.
#[derive(Debug)]
struct AnyServerCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyServerCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

// ANCHOR: tls_failure
/// A TLS failure (of the handshake, or reported by the daemon right after it) in the Docker
/// CLI's words: `(reason, the daemon refused our certificate)`.
pub fn describe_failure(error: &rustls::Error) -> (String, bool) {
    match error {
        rustls::Error::InvalidCertificate(why) => (
            format!("tls: failed to verify certificate: x509: {}", x509_words(why)),
            false,
        ),
        rustls::Error::AlertReceived(alert) => (
            format!("remote error: tls: {}", alert_words(*alert)),
            matches!(
                alert,
                AlertDescription::BadCertificate
                    | AlertDescription::CertificateRequired
                    | AlertDescription::UnknownCA
            ),
        ),
        // the first bytes back were not a TLS record: a plain HTTP daemon answered
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => (
            "http: server gave HTTP response to HTTPS client".to_owned(),
            false,
        ),
        other => (format!("tls: {other}"), false),
    }
}
// ANCHOR_END: tls_failure

/// The rustls error inside an I/O or hyper error, if TLS is what failed.
pub fn find_failure<'e>(error: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // an io::Error's source() skips the error it wraps: look at that one too
        if let Some(tls) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

fn x509_words(why: &CertificateError) -> String {
    match why {
        CertificateError::UnknownIssuer => "certificate signed by unknown authority".to_owned(),
        CertificateError::NotValidForNameContext { expected, presented } => {
            // Go compares a host name with the DNS names only, an address with the IP SANs only
            let want_ip = matches!(expected, ServerName::IpAddress(_));
            let same_kind: Vec<&str> = presented
                .iter()
                .filter_map(|name| match presented_name(name) {
                    (name, is_ip) if is_ip == want_ip => Some(name),
                    _ => None,
                })
                .collect();
            let expected = expected.to_str();
            match (same_kind.is_empty(), want_ip) {
                (true, false) => {
                    format!("certificate is not valid for any names, but wanted to match {expected}")
                }
                (true, true) => format!(
                    "cannot validate certificate for {expected} because it doesn't contain any IP SANs"
                ),
                (false, _) => format!(
                    "certificate is valid for {}, not {expected}",
                    same_kind.join(", ")
                ),
            }
        }
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => {
            "certificate has expired or is not yet valid".to_owned()
        }
        other => other.to_string(),
    }
}

/// A name webpki says a certificate has (`DnsName("host")`, `IpAddress(127.0.0.1)`), and
/// whether it is an address.
fn presented_name(name: &str) -> (&str, bool) {
    if let Some(dns) = name
        .strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
    {
        return (dns, false);
    }
    match name.strip_prefix("IpAddress(").and_then(|n| n.strip_suffix(')')) {
        Some(ip) => (ip, true),
        None => (name, false),
    }
}

/// A TLS alert's name as Go prints it (`bad certificate`, `certificate required`).
fn alert_words(alert: AlertDescription) -> String {
    match alert {
        AlertDescription::UnknownCA => "unknown certificate authority".to_owned(),
        other => {
            // the CamelCase name as lowercase words: BadCertificate → bad certificate
            let mut words = String::new();
            for c in format!("{other:?}").chars() {
                if c.is_uppercase() && !words.is_empty() {
                    words.push(' ');
                }
                words.push(c.to_ascii_lowercase());
            }
            words
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_in(dir: &std::path::Path, verify: bool) -> TlsEnv {
        TlsEnv {
            verify,
            tls: false,
            cert_dir: dir.to_owned(),
        }
    }

    #[test]
    fn tls_is_on_with_either_flag_or_docker_tls_verify() {
        let dir = tempfile::tempdir().unwrap();
        let none = TlsFlags::default();
        assert_eq!(none.resolve(&env_in(dir.path(), false)), None);
        let from_env = none.resolve(&env_in(dir.path(), true)).unwrap();
        assert!(from_env.verify_server);
        assert_eq!(from_env.ca, dir.path().join("ca.pem"));
        let tls = TlsFlags {
            tls: true,
            ..TlsFlags::default()
        };
        assert!(!tls.resolve(&env_in(dir.path(), false)).unwrap().verify_server);
        // --tlsverify=false still means TLS, and beats DOCKER_TLS_VERIFY
        let unverified = TlsFlags {
            tlsverify: Some(false),
            ..TlsFlags::default()
        };
        assert!(
            !unverified
                .resolve(&env_in(dir.path(), true))
                .unwrap()
                .verify_server
        );
    }

    #[test]
    fn default_cert_and_key_are_used_only_when_they_exist() {
        let dir = tempfile::tempdir().unwrap();
        let flags = TlsFlags {
            tlsverify: Some(true),
            ..TlsFlags::default()
        };
        assert_eq!(flags.resolve(&env_in(dir.path(), false)).unwrap().identity, None);
        std::fs::write(dir.path().join("cert.pem"), "").unwrap();
        std::fs::write(dir.path().join("key.pem"), "").unwrap();
        assert_eq!(
            flags.resolve(&env_in(dir.path(), false)).unwrap().identity,
            Some((dir.path().join("cert.pem"), dir.path().join("key.pem")))
        );
        let named = TlsFlags {
            tlscert: Some("/nonexistent/c.pem".into()),
            ..flags
        };
        assert_eq!(
            named.resolve(&env_in(dir.path(), false)).unwrap().identity,
            Some((PathBuf::from("/nonexistent/c.pem"), dir.path().join("key.pem")))
        );
    }

    #[test]
    fn missing_files_fail_as_the_docker_cli_says() {
        let options = TlsOptions {
            verify_server: true,
            ca: "/nonexistent/ca.pem".into(),
            identity: None,
        };
        assert_eq!(
            TlsConnector::new(&options).unwrap_err().to_string(),
            "Failed to initialize: unable to resolve docker endpoint: open /nonexistent/ca.pem: no such file or directory"
        );
    }

    #[test]
    fn failures_read_like_go_s() {
        let (reason, refused) =
            describe_failure(&rustls::Error::AlertReceived(AlertDescription::BadCertificate));
        assert_eq!(
            (reason.as_str(), refused),
            ("remote error: tls: bad certificate", true)
        );
        let (reason, _) = describe_failure(&rustls::Error::AlertReceived(
            AlertDescription::CertificateRequired,
        ));
        assert_eq!(reason, "remote error: tls: certificate required");
        let (reason, refused) = describe_failure(&rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        assert_eq!(
            (reason.as_str(), refused),
            (
                "tls: failed to verify certificate: x509: certificate signed by unknown authority",
                false
            )
        );
        let wrong_name = |expected: &'static str, presented: &[&str]| {
            describe_failure(&rustls::Error::InvalidCertificate(
                CertificateError::NotValidForNameContext {
                    expected: ServerName::try_from(expected).unwrap(),
                    presented: presented.iter().map(|p| (*p).to_owned()).collect(),
                },
            ))
            .0
        };
        assert_eq!(
            wrong_name("localhost", &["IpAddress(127.0.0.1)"]),
            "tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match localhost"
        );
        assert_eq!(
            wrong_name("localhost", &["DnsName(\"docker.test\")", "IpAddress(127.0.0.1)"]),
            "tls: failed to verify certificate: x509: certificate is valid for docker.test, not localhost"
        );
        assert_eq!(
            wrong_name("127.0.0.2", &["IpAddress(127.0.0.1)"]),
            "tls: failed to verify certificate: x509: certificate is valid for 127.0.0.1, not 127.0.0.2"
        );
        let wrapped = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::CertificateRequired),
        );
        assert!(matches!(
            find_failure(&wrapped),
            Some(rustls::Error::AlertReceived(_))
        ));
        assert!(find_failure(&std::io::Error::other("plain")).is_none());
    }
}
