//! TLS on the daemon's TCP listeners (`--tls`, `--tlsverify`, `--tlscacert`, `--tlscert`,
//! `--tlskey`), as dockerd 20.10 has it.
//!
//! ```text
//!  TCP accept ─▶ first bytes "GET /", "POST " …? ──yes──▶ "400 Client sent an HTTP request to an
//!      │                    │ no                           HTTPS server.", closed
//!      │                    ▼
//!      │          TLS handshake: the server's certificate; with --tlsverify also the client's,
//!      │          which must be signed by the CA (else the handshake fails: no HTTP at all)
//!      │                    │ done within the idle timeout
//!      ▼                    ▼
//!  (one task per connection)  connections::serve: the same HTTP/1.1 serving as a unix socket's
//! ```
//!
//! `--tls` alone is not "TLS without client certificates": since 20.10 dockerd verifies
//! clients unless told `--tlsverify=false`. Only the TCP listeners speak TLS; a unix socket
//! stays plain (its file mode is its access control).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::ServerConfig;
use rustls::server::WebPkiClientVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::tls::{CaError, PemError};

/// TLS as configured: on, with these files, verifying clients or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// `--tlsverify`: a client must present a certificate signed by `ca`.
    pub verify_clients: bool,
    /// `--tlscacert` (read only when clients are verified).
    pub ca: PathBuf,
    /// `--tlscert`: the server's certificate (chain).
    pub cert: PathBuf,
    /// `--tlskey`: its private key.
    pub key: PathBuf,
}

/// TLS files the daemon cannot start with, in dockerd's words.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("failed to create API server: Could not load X509 key pair (cert: {:?}, key: {:?}): {cause}", cert.display().to_string(), key.display().to_string())]
    KeyPairMissing {
        cert: PathBuf,
        key: PathBuf,
        cause: PemError,
    },
    #[error("failed to create API server: Error reading X509 key pair (cert: {:?}, key: {:?}): {reason}. Make sure the key is not encrypted.", cert.display().to_string(), key.display().to_string())]
    KeyPair {
        cert: PathBuf,
        key: PathBuf,
        reason: String,
    },
    #[error("failed to create API server: {0}")]
    Ca(CaError),
}

// ANCHOR: server_config
impl TlsSettings {
    /// The server's TLS configuration, its files read now: a file that is missing or not what
    /// it should be is a startup error naming it.
    pub fn server_config(&self) -> Result<Arc<ServerConfig>, TlsSetupError> {
        let pair_error = |e: PemError| {
            if e.is_not_found() {
                TlsSetupError::KeyPairMissing {
                    cert: self.cert.clone(),
                    key: self.key.clone(),
                    cause: e,
                }
            } else {
                self.key_pair_error(e.to_string())
            }
        };
        let chain = crate::tls::certificates(&self.cert).map_err(pair_error)?;
        let key = crate::tls::private_key(&self.key).map_err(pair_error)?;
        let provider = crate::tls::provider();
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| self.key_pair_error(e.to_string()))?;
        let builder = if self.verify_clients {
            // only certificates signed by this CA; a client without one is refused
            let roots = crate::tls::ca_roots(&self.ca).map_err(TlsSetupError::Ca)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider)
                .build()
                .map_err(|e| self.key_pair_error(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder
            .with_single_cert(chain, key)
            .map_err(|e| self.key_pair_error(go_key_error(&e)))?;
        // HTTP/1.1 only, as the unix socket serves (hijacked attach and exec need it)
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    fn key_pair_error(&self, reason: String) -> TlsSetupError {
        TlsSetupError::KeyPair {
            cert: self.cert.clone(),
            key: self.key.clone(),
            reason,
        }
    }
}
// ANCHOR_END: server_config

/// rustls's refusal of a certificate and key that do not belong together, as Go says it.
fn go_key_error(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InconsistentKeys(_) => "tls: private key does not match public key".to_owned(),
        other => format!("tls: {other}"),
    }
}

/// What Go's HTTPS server answers a client that speaks plain HTTP to it.
const PLAIN_HTTP_ANSWER: &[u8] =
    b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";

/// The first five bytes by which Go recognizes a plain HTTP request (a TLS connection starts
/// with a handshake record, byte 0x16).
const PLAIN_HTTP_STARTS: [&[u8; 5]; 5] = [b"GET /", b"HEAD ", b"POST ", b"PUT /", b"OPTIO"];

// ANCHOR: tls_listener
/// A TCP listener whose connections come out as TLS streams, for `connections::serve`.
///
/// Handshakes run each in a task of its own (a slow or silent client holds up nobody) and must
/// finish within the idle timeout, the same deadline a request's headers have; finished ones
/// queue for `accept`. Dropping the listener stops accepting.
#[derive(Debug)]
pub struct TlsListener {
    local_addr: SocketAddr,
    ready: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    acceptor: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub fn new(
        listener: TcpListener,
        config: Arc<ServerConfig>,
        handshake_timeout: Duration,
    ) -> std::io::Result<TlsListener> {
        let local_addr = listener.local_addr()?;
        let (tx, ready) = tokio::sync::mpsc::channel(64);
        let acceptor = tokio::spawn(accept_loop(
            listener,
            TlsAcceptor::from(config),
            handshake_timeout,
            tx,
        ));
        Ok(TlsListener {
            local_addr,
            ready,
            acceptor,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            // the accepting task is gone (only when the listener is dropped): nothing more comes
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.local_addr)
    }
}

async fn accept_loop(
    mut listener: TcpListener,
    acceptor: TlsAcceptor,
    timeout: Duration,
    ready: tokio::sync::mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        // axum's accept: retries (after a pause) on errors such as running out of descriptors
        let (stream, peer) = axum::serve::Listener::accept(&mut listener).await;
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(timeout, handshake(&acceptor, stream)).await {
                Ok(Ok(Some(tls))) => {
                    let _ = ready.send((tls, peer)).await;
                }
                Ok(Ok(None)) => tracing::debug!(%peer, "plain HTTP on a TLS port: answered 400"),
                // Go's net/http logs the same line
                Ok(Err(e)) => tracing::warn!("http: TLS handshake error from {peer}: {e}"),
                Err(_) => tracing::debug!(%peer, "no TLS handshake within {timeout:?}: closed"),
            }
        });
    }
}
// ANCHOR_END: tls_listener

// ANCHOR: plain_http
/// The TLS handshake on `stream`, or, when the client sent plain HTTP instead, Go's 400
/// answer (then `None`).
async fn handshake(
    acceptor: &TlsAcceptor,
    mut stream: TcpStream,
) -> std::io::Result<Option<TlsStream<TcpStream>>> {
    if sends_plain_http(&stream).await? {
        stream.write_all(PLAIN_HTTP_ANSWER).await?;
        stream.shutdown().await?;
        // Read what the client sent before closing: closing with unread bytes would send a
        // reset, which may reach the client before it has read the answer.
        let mut sink = [0u8; 4096];
        let drain = async { while stream.read(&mut sink).await.is_ok_and(|n| n > 0) {} };
        let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
        return Ok(None);
    }
    acceptor.accept(stream).await.map(Some)
}

/// Whether the connection starts like a plain HTTP request (looked at without consuming it).
async fn sends_plain_http(stream: &TcpStream) -> std::io::Result<bool> {
    let mut head = [0u8; 5];
    loop {
        let n = stream.peek(&mut head).await?;
        if n == 0 {
            return Ok(false);
        }
        if n == head.len() {
            return Ok(PLAIN_HTTP_STARTS.contains(&&head));
        }
        if !PLAIN_HTTP_STARTS
            .iter()
            .any(|start| start.starts_with(&head[..n]))
        {
            return Ok(false);
        }
        // part of a method name so far: wait for the rest (the caller's deadline bounds this)
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
// ANCHOR_END: plain_http

#[cfg(test)]
mod tests {
    use super::*;

    struct Files {
        dir: tempfile::TempDir,
    }

    /// A CA and a server certificate for 127.0.0.1 signed by it, in a directory.
    fn files() -> Files {
        let dir = tempfile::tempdir().unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".into()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        std::fs::write(dir.path().join("cert.pem"), cert.pem()).unwrap();
        std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
        Files { dir }
    }

    impl Files {
        fn settings(&self, verify_clients: bool) -> TlsSettings {
            TlsSettings {
                verify_clients,
                ca: self.dir.path().join("ca.pem"),
                cert: self.dir.path().join("cert.pem"),
                key: self.dir.path().join("key.pem"),
            }
        }
    }

    #[test]
    fn good_files_make_a_server_with_or_without_client_verification() {
        let files = files();
        assert!(files.settings(true).server_config().is_ok());
        let mut no_ca = files.settings(false);
        no_ca.ca = files.dir.path().join("absent.pem");
        assert!(
            no_ca.server_config().is_ok(),
            "the CA is read only to verify clients"
        );
    }

    #[test]
    fn bad_files_are_named_as_dockerd_names_them() {
        let files = files();
        let error = |change: &dyn Fn(&mut TlsSettings)| {
            let mut settings = files.settings(true);
            change(&mut settings);
            settings.server_config().unwrap_err().to_string()
        };
        let path = |name: &str| files.dir.path().join(name).display().to_string();
        assert_eq!(
            error(&|s| s.cert = files.dir.path().join("nope.pem")),
            format!(
                "failed to create API server: Could not load X509 key pair (cert: \"{}\", key: \"{}\"): open {}: no such file or directory",
                path("nope.pem"),
                path("key.pem"),
                path("nope.pem")
            )
        );
        std::fs::write(files.dir.path().join("bad.pem"), "garbage").unwrap();
        assert_eq!(
            error(&|s| s.key = files.dir.path().join("bad.pem")),
            format!(
                "failed to create API server: Error reading X509 key pair (cert: \"{}\", key: \"{}\"): tls: failed to find any PEM data in key input. Make sure the key is not encrypted.",
                path("cert.pem"),
                path("bad.pem")
            )
        );
        // the CA's key with the server's certificate
        let other = self::files();
        assert!(
            error(&|s| s.key = other.dir.path().join("key.pem"))
                .ends_with("tls: private key does not match public key. Make sure the key is not encrypted."),
        );
        assert_eq!(
            error(&|s| s.ca = files.dir.path().join("nope-ca.pem")),
            format!(
                "failed to create API server: could not read CA certificate \"{0}\": open {0}: no such file or directory",
                path("nope-ca.pem")
            )
        );
        assert_eq!(
            error(&|s| s.ca = files.dir.path().join("bad.pem")),
            format!(
                "failed to create API server: failed to append certificates from PEM file: \"{}\"",
                path("bad.pem")
            )
        );
    }

    #[test]
    fn plain_http_is_told_it_reached_an_https_server() {
        let files = files();
        let config = files.settings(false).server_config().unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = tcp.local_addr().unwrap();
            let _listener = TlsListener::new(tcp, config, Duration::from_secs(5)).unwrap();
            for (request, answered) in [
                (&b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n"[..], true),
                (b"POST /containers/create HTTP/1.1\r\n\r\n", true),
                // Go recognizes only these methods; anything else is a failed handshake
                (b"DELETE /x HTTP/1.1\r\n\r\n", false),
            ] {
                let mut client = TcpStream::connect(addr).await.unwrap();
                client.write_all(request).await.unwrap();
                let mut answer = Vec::new();
                let _ = client.read_to_end(&mut answer).await;
                if answered {
                    assert_eq!(
                        String::from_utf8_lossy(&answer),
                        String::from_utf8_lossy(PLAIN_HTTP_ANSWER)
                    );
                } else {
                    // rustls's fatal alert record (Go's server closes without one)
                    assert_eq!(answer.first(), Some(&0x15), "{answer:?}");
                }
            }
        });
    }
}
