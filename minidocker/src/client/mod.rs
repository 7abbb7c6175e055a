//! The `minidocker` CLI's side of the Engine API: every command is a few requests to the
//! daemon (`minidocker daemon`), on a unix socket or TCP, like the Docker CLI's.
//!
//! One request, one connection (HTTP/1.1, hyper's client connection), driven by a
//! single-threaded tokio runtime the blocking CLI code steps through with `block_on`. Errors
//! are typed: a daemon that answers with an error status becomes [`ClientError::Daemon`]
//! carrying Docker's `{"message": …}`, printed by the CLI as `Error response from daemon: …`.

use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Method, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub mod attach;
pub mod autostart;
mod host;
pub mod tls;

pub use host::{DEFAULT_TCP_PORT, Host};

/// The API version the CLI speaks (the daemon's own).
pub const API_VERSION: &str = crate::daemon::api::API_VERSION;

/// What can go wrong talking to the daemon.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("Cannot connect to the Docker daemon at {host}. Is the docker daemon running?")]
    Connect {
        host: String,
        #[source]
        source: std::io::Error,
    },
    /// The daemon answered with an error status; `message` is its `{"message": …}`.
    #[error("{message}")]
    Daemon { status: u16, message: String },
    #[error("invalid host {host:?}: {why}")]
    BadHost { host: String, why: String },
    #[error("error during connect: {method} {path}: {source}")]
    Http {
        method: Method,
        path: String,
        #[source]
        source: hyper::Error,
    },
    #[error("reading the daemon's answer to {path}: {source}")]
    Decode {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    /// TLS files that cannot be used.
    #[error(transparent)]
    TlsFiles(#[from] tls::TlsFilesError),
    /// The TLS handshake failed, or the daemon refused the client's certificate right after
    /// it; worded as the Docker CLI words it, naming the URL.
    #[error(
        "{}{} \"https://{addr}/v{API_VERSION}{path}\": {reason}",
        if *.refused { CLIENT_CERT_HINT } else { "error during connect: " },
        go_method(.method)
    )]
    Tls {
        method: Method,
        addr: String,
        path: String,
        reason: String,
        /// The daemon turned the client's certificate (or its absence) down.
        refused: bool,
    },
    #[error("starting the daemon's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// What the Docker CLI says when the daemon refuses its certificate.
const CLIENT_CERT_HINT: &str = "the server probably has client authentication (--tlsverify) enabled; check your TLS client certification settings: ";

/// A method as Go's `url.Error` names it: `Get`, `Post`.
fn go_method(method: &Method) -> String {
    let name = method.as_str();
    name.get(..1).unwrap_or_default().to_owned() + &name.get(1..).unwrap_or_default().to_lowercase()
}

impl ClientError {
    /// The daemon's status code, when it answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Daemon { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the daemon answered 404 (no such container, image, network …).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// The body of a request.
pub enum RequestBody {
    Empty,
    /// A JSON document (`Content-Type: application/json`).
    Json(Vec<u8>),
    /// A tar archive read as it is sent (`Content-Type: application/x-tar`): `load`, `import`.
    Tar(Box<dyn Read + Send>),
}

impl std::fmt::Debug for RequestBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestBody::Empty => f.write_str("Empty"),
            RequestBody::Json(b) => write!(f, "Json({} bytes)", b.len()),
            RequestBody::Tar(_) => f.write_str("Tar(..)"),
        }
    }
}

impl RequestBody {
    pub fn json(value: &impl Serialize) -> RequestBody {
        // a Serialize of our own types into a Vec cannot fail (no maps with non-string keys)
        RequestBody::Json(serde_json::to_vec(value).unwrap_or_default())
    }
}

type BoxedBody = BoxBody<Bytes, std::io::Error>;

/// A connection to one daemon.
#[derive(Debug)]
pub struct Client {
    host: Host,
    runtime: tokio::runtime::Runtime,
}

/// A response whose body has not been read yet.
#[derive(Debug)]
pub struct Response<'c> {
    client: &'c Client,
    path: String,
    pub status: StatusCode,
    pub headers: hyper::HeaderMap,
    body: Incoming,
    /// The connection, once the daemon has agreed to upgrade it (only when asked to).
    pub(crate) upgrade: Option<hyper::upgrade::OnUpgrade>,
}

impl Client {
    /// A client of the daemon at `host` (nothing is sent yet).
    pub fn new(host: Host) -> Result<Client, ClientError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ClientError::Runtime)?;
        Ok(Client { host, runtime })
    }

    pub fn host(&self) -> &Host {
        &self.host
    }

    /// Runs `future` to completion on the client's runtime.
    pub(crate) fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }

    /// `GET /_ping`: whether a daemon answers at all.
    pub fn ping(&self) -> Result<(), ClientError> {
        self.request(Method::GET, "/_ping", RequestBody::Empty)
            .map(|_| ())
    }

    /// `GET path` decoded from JSON.
    pub fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.request(Method::GET, path, RequestBody::Empty)?.json()
    }

    /// `POST path` with a JSON `body`, the answer decoded from JSON.
    pub fn post_json<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &impl Serialize,
    ) -> Result<T, ClientError> {
        self.request(Method::POST, path, RequestBody::json(body))?.json()
    }

    /// `POST path` without a body; the answer's body is dropped.
    pub fn post(&self, path: &str) -> Result<(), ClientError> {
        self.request(Method::POST, path, RequestBody::Empty)?
            .bytes()
            .map(|_| ())
    }

    /// `DELETE path`; the answer's body is dropped.
    pub fn delete(&self, path: &str) -> Result<(), ClientError> {
        self.request(Method::DELETE, path, RequestBody::Empty)?
            .bytes()
            .map(|_| ())
    }

    /// Sends one request to `/v1.41{path}`; an error status becomes [`ClientError::Daemon`].
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: RequestBody,
    ) -> Result<Response<'_>, ClientError> {
        let response = self.block_on(self.send(method, path, body, false))?;
        Self::succeeded(response)
    }

    /// `response`, or the error it carries (a 4xx or 5xx status).
    pub(crate) fn succeeded(response: Response<'_>) -> Result<Response<'_>, ClientError> {
        if response.is_error() {
            return Err(response.into_error());
        }
        Ok(response)
    }

    /// Opens a connection and sends one request; the connection task runs on the runtime.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        body: RequestBody,
        upgrade: bool,
    ) -> Result<Response<'_>, ClientError> {
        let http_error = |source| ClientError::Http {
            method: method.clone(),
            path: path.to_owned(),
            source,
        };
        let (content_type, body): (Option<&str>, BoxedBody) = match body {
            RequestBody::Empty => (
                None,
                Full::new(Bytes::new()).map_err(|never| match never {}).boxed(),
            ),
            RequestBody::Json(bytes) => (
                Some("application/json"),
                Full::new(Bytes::from(bytes))
                    .map_err(|never| match never {})
                    .boxed(),
            ),
            RequestBody::Tar(reader) => (Some("application/x-tar"), streamed_body(reader)),
        };
        let mut request = hyper::Request::builder()
            .method(method.clone())
            .uri(format!("/v{API_VERSION}{path}"))
            .header(hyper::header::HOST, "docker")
            .header(
                hyper::header::USER_AGENT,
                concat!("minidocker/", env!("CARGO_PKG_VERSION")),
            );
        if let Some(content_type) = content_type {
            request = request.header(hyper::header::CONTENT_TYPE, content_type);
        }
        if upgrade {
            request = request
                .header(hyper::header::CONNECTION, "Upgrade")
                .header(hyper::header::UPGRADE, "tcp");
        }
        let request = request.body(body).map_err(|e| ClientError::Io {
            what: format!("building the request {method} {path}"),
            source: std::io::Error::other(e),
        })?;
        let mut sender = match &self.host {
            Host::Unix(socket) => {
                let stream = tokio::net::UnixStream::connect(socket)
                    .await
                    .map_err(|source| self.connect_error(source))?;
                handshake(TokioIo::new(stream)).await.map_err(http_error)?
            }
            Host::Tcp(addr) => {
                let stream = tokio::net::TcpStream::connect(addr.as_str())
                    .await
                    .map_err(|source| self.connect_error(source))?;
                handshake(TokioIo::new(stream)).await.map_err(http_error)?
            }
            Host::TcpTls { addr, tls } => {
                let stream = self.tls_stream(addr, tls, &method, path).await?;
                handshake(TokioIo::new(stream)).await.map_err(http_error)?
            }
        };
        // With TLS 1.3 a daemon refuses a client's certificate after the handshake, at the
        // first read: that error is a TLS one too.
        let mut response = sender
            .send_request(request)
            .await
            .map_err(|e| self.tls_error(&method, path, &e).unwrap_or_else(|| http_error(e)))?;
        let upgrade = upgrade.then(|| hyper::upgrade::on(&mut response));
        let (parts, body) = response.into_parts();
        Ok(Response {
            client: self,
            path: path.to_owned(),
            status: parts.status,
            headers: parts.headers,
            body,
            upgrade,
        })
    }

    // ANCHOR: tls_connect
    /// A TCP connection to `addr` wrapped in TLS: the same HTTP/1.1 then runs on it. A failed
    /// handshake is worded as the Docker CLI words it, naming the URL.
    async fn tls_stream(
        &self,
        addr: &str,
        tls: &tls::TlsConnector,
        method: &Method,
        path: &str,
    ) -> Result<tokio_rustls::client::TlsStream<tokio::net::TcpStream>, ClientError> {
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|source| self.connect_error(source))?;
        tls.connect(addr, stream).await.map_err(|e| {
            self.tls_error(method, path, &e)
                .unwrap_or_else(|| self.tls_io_error(method, path, &e))
        })
    }
    // ANCHOR_END: tls_connect

    /// `error` as [`ClientError::Tls`] when TLS is what failed.
    fn tls_error(
        &self,
        method: &Method,
        path: &str,
        error: &(dyn std::error::Error + 'static),
    ) -> Option<ClientError> {
        let Host::TcpTls { addr, .. } = &self.host else {
            return None;
        };
        let (reason, refused) = tls::describe_failure(tls::find_failure(error)?);
        Some(ClientError::Tls {
            method: method.clone(),
            addr: addr.clone(),
            path: path.to_owned(),
            reason,
            refused,
        })
    }

    /// A handshake that failed below TLS (the connection closed or was reset).
    fn tls_io_error(&self, method: &Method, path: &str, error: &std::io::Error) -> ClientError {
        ClientError::Tls {
            method: method.clone(),
            addr: self.host.to_string().trim_start_matches("tcp://").to_owned(),
            path: path.to_owned(),
            reason: if error.kind() == std::io::ErrorKind::UnexpectedEof {
                "EOF".to_owned()
            } else {
                crate::go_errors::io_error_text(error)
            },
            refused: false,
        }
    }

    fn connect_error(&self, source: std::io::Error) -> ClientError {
        ClientError::Connect {
            host: self.host.to_string(),
            source,
        }
    }
}

/// HTTP/1.1 over `io`, the connection driven by a task of its own (upgrades allowed, for
/// `attach` and `exec start`).
async fn handshake<T>(
    io: TokioIo<T>,
) -> Result<hyper::client::conn::http1::SendRequest<BoxedBody>, hyper::Error>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!("connection to the daemon: {e}");
        }
    });
    Ok(sender)
}

/// A body read from `reader` on a thread of its own, 64 KiB at a time, as it is sent.
fn streamed_body(mut reader: Box<dyn Read + Send>) -> BoxedBody {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(4);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let item = match reader.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => Ok(Frame::data(Bytes::copy_from_slice(&buf[..n]))),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = item.is_err();
            if tx.blocking_send(item).is_err() || failed {
                return;
            }
        }
    });
    let stream =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    BodyExt::boxed(StreamBody::new(stream))
}

impl<'c> Response<'c> {
    /// Whether the daemon refused the request (a 4xx or 5xx status).
    pub(crate) fn is_error(&self) -> bool {
        self.status.is_client_error() || self.status.is_server_error()
    }

    /// The value of header `name`, if it is there and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The next piece of the body as it arrives; `None` at its end.
    pub fn next_chunk(&mut self) -> Result<Option<Bytes>, ClientError> {
        let client = self.client;
        loop {
            let frame = client.block_on(self.body.frame());
            match frame {
                None => return Ok(None),
                Some(Err(source)) => {
                    return Err(ClientError::Http {
                        method: Method::GET,
                        path: self.path.clone(),
                        source,
                    });
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// The whole body.
    pub fn bytes(mut self) -> Result<Vec<u8>, ClientError> {
        let mut all = Vec::new();
        while let Some(chunk) = self.next_chunk()? {
            all.extend_from_slice(&chunk);
        }
        Ok(all)
    }

    /// The whole body, decoded from JSON.
    pub fn json<T: DeserializeOwned>(self) -> Result<T, ClientError> {
        let path = self.path.clone();
        let bytes = self.bytes()?;
        serde_json::from_slice(&bytes).map_err(|source| ClientError::Decode { path, source })
    }

    /// The body as a [`Read`]er (a tar stream: `save`, `export`).
    pub fn into_reader(self) -> BodyReader<'c> {
        BodyReader {
            response: self,
            pending: Bytes::new(),
        }
    }

    /// The body as a stream of JSON messages (pull progress, events, stats), each decoded as
    /// it arrives.
    pub fn json_messages<T: DeserializeOwned + 'c>(
        self,
    ) -> impl Iterator<Item = Result<T, ClientError>> + 'c {
        let path = self.path.clone();
        serde_json::Deserializer::from_reader(self.into_reader())
            .into_iter::<T>()
            .map(move |item| {
                item.map_err(|source| ClientError::Decode {
                    path: path.clone(),
                    source,
                })
            })
    }

    /// An error status as [`ClientError::Daemon`] with the daemon's message.
    fn into_error(self) -> ClientError {
        let status = self.status.as_u16();
        let reason = self.status.canonical_reason().unwrap_or("error").to_owned();
        let body = self.bytes().unwrap_or_default();
        #[derive(serde::Deserialize)]
        struct Message {
            message: String,
        }
        let message = match serde_json::from_slice::<Message>(&body) {
            Ok(m) => m.message,
            Err(_) if body.is_empty() => reason,
            Err(_) => String::from_utf8_lossy(&body).trim_end().to_owned(),
        };
        ClientError::Daemon { status, message }
    }
}

/// A response body read with [`Read`].
#[derive(Debug)]
pub struct BodyReader<'c> {
    response: Response<'c>,
    pending: Bytes,
}

impl Read for BodyReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pending.is_empty() {
            match self.response.next_chunk() {
                Ok(Some(chunk)) => self.pending = chunk,
                Ok(None) => return Ok(0),
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending.split_to(n));
        Ok(n)
    }
}

/// `key=value&…` with each value percent-encoded: a request's query string.
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub fn percent_encode(value: &str) -> String {
    encode_except(value, b"")
}

/// A name as a part of a request's path (`/images/{name}/json`), escaped as Go's
/// `url.URL.EscapedPath` does: an image name keeps its `/`, `:` and `@`
/// (`localhost:5000/team/app@sha256:…`), anything else that could end the path (`?`, `#`, a
/// space) is percent-encoded.
pub fn path_escape(name: &str) -> String {
    encode_except(name, b"/:@$&+,;=")
}

/// Percent-encoding of every byte but the unreserved characters and those in `keep`.
fn encode_except(value: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(byte as char),
            _ if keep.contains(&byte) => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The socket a CLI without `-H` or `DOCKER_HOST` talks to for `data_root`: the default
/// socket for the default data root, else `<data-root>/run/minidocker.sock`, so a data root
/// of one's own gets a daemon of its own.
pub fn default_socket(data_root: &std::path::Path) -> PathBuf {
    if data_root == std::path::Path::new(crate::engine::DEFAULT_DATA_ROOT) {
        PathBuf::from(crate::daemon::config::DEFAULT_SOCKET)
    } else {
        data_root.join("run/minidocker.sock")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn queries_are_encoded() {
        assert_eq!(
            query(&[("filters", r#"{"label":["a=b"]}"#), ("all", "1")]),
            "filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D&all=1"
        );
    }

    #[test]
    fn image_names_keep_their_slashes_colons_and_ats_in_a_path() {
        assert_eq!(
            path_escape("localhost:5000/team/app@sha256:ab"),
            "localhost:5000/team/app@sha256:ab"
        );
        assert_eq!(path_escape("a b?c#d%"), "a%20b%3Fc%23d%25");
    }

    proptest! {
        #[test]
        fn percent_encoding_round_trips(s in ".*") {
            let encoded = percent_encode(&s);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
            let mut decoded = Vec::new();
            let bytes = encoded.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' {
                    let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
                    decoded.push(u8::from_str_radix(hex, 16).unwrap());
                    i += 3;
                } else {
                    decoded.push(bytes[i]);
                    i += 1;
                }
            }
            prop_assert_eq!(String::from_utf8(decoded).unwrap(), s);
        }
    }
}
