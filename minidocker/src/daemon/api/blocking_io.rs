//! The bridges between the engine's blocking I/O and HTTP bodies, both ways.
//!
//! ```text
//!  request body ──▶ BodyReader (std::io::Read) ──▶ engine: load_images, import_image
//!  engine: pull, push, save_images … ──▶ ChunkWriter (std::io::Write) ──▶ response body
//!                                         └─ the first word decides the status
//! ```
//!
//! dockerd answers a streaming endpoint in one of two ways, decided by what comes first: an
//! error before any byte went out is an ordinary answer (its status and `{"message": …}`);
//! once bytes went out the status is 200 and a failure can only be told inside the stream
//! (a JSON progress stream's last object, `{"errorDetail":…}`) or by cutting it (a tar).
//! [`first_word_decides`] waits for the engine's first word to choose.

use std::io::{self, Read, Write};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::{ApiError, AppState};
use crate::engine::Engine;
use crate::progress::{JsonMessage, JsonProgressWriter};

/// A request body read on a blocking thread, as the engine reads a file.
#[derive(Debug)]
pub struct BodyReader {
    chunks: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl BodyReader {
    /// Starts a task (on the current runtime) that hands `body` over chunk by chunk, as fast as
    /// the reader takes them.
    pub fn new(body: Body) -> BodyReader {
        let (tx, chunks) = mpsc::channel(8);
        tokio::spawn(async move {
            let mut data = body.into_data_stream();
            while let Some(chunk) = data.next().await {
                let chunk = chunk.map_err(io::Error::other);
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    return;
                }
            }
        });
        BodyReader {
            chunks,
            current: Bytes::new(),
        }
    }
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                None => return Ok(0),
                Some(chunk) => self.current = chunk?,
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current = self.current.slice(n..);
        Ok(n)
    }
}

/// What blocking work says to its response: bytes of the body, or the error that ends it.
type Word = Result<Vec<u8>, ApiError>;

/// The response body as blocking work writes it: each write is a chunk. A write fails once
/// the client is gone, which stops the work.
#[derive(Debug)]
pub struct ChunkWriter {
    tx: mpsc::Sender<Word>,
}

impl Write for ChunkWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.tx
            .blocking_send(Ok(buf.to_vec()))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// ANCHOR: first_word_decides
/// Runs `work` on the engine (on a blocking thread) writing the response body of type
/// `content_type`; see the module documentation. An error `work` returns after its first
/// bytes cuts the body short.
pub async fn first_word_decides<F>(state: &AppState, content_type: &'static str, work: F) -> Response
where
    F: FnOnce(&Engine, &mut ChunkWriter) -> Result<(), ApiError> + Send + 'static,
{
    let (tx, mut rx) = mpsc::channel::<Word>(16);
    let failed = tx.clone();
    let state = state.clone();
    tokio::spawn(async move {
        let done = state
            .blocking(move |engine| work(engine, &mut ChunkWriter { tx }))
            .await;
        if let Err(e) = done {
            let _ = failed.send(Err(e)).await;
        }
    });
    let first = match rx.recv().await {
        Some(Err(e)) => return e.into_response(),
        Some(Ok(bytes)) => Some(bytes),
        None => None,
    };
    let rest = futures_util::stream::unfold(rx, |mut rx| async move {
        let word = rx.recv().await?;
        let chunk = word.map_err(|e| io::Error::other(e.message));
        Some((chunk, rx))
    });
    let body = futures_util::stream::iter(first.map(Ok)).chain(rest);
    let mut response = Response::new(Body::from_stream(body));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
// ANCHOR_END: first_word_decides

/// Where an endpoint's progress goes: dockerd's JSON messages, one a line.
pub type Progress<'a> = &'a mut dyn FnMut(JsonMessage);

// ANCHOR: json_progress
/// A JSON progress stream (`pull`, `push`, `load`, `import`): `work` reports through its
/// [`Progress`]; an error before the first message is an ordinary answer, an error after it
/// the stream's last message, as dockerd writes them.
pub async fn json_progress<F>(state: &AppState, work: F) -> Response
where
    F: FnOnce(&Engine, Progress<'_>) -> Result<(), ApiError> + Send + 'static,
{
    first_word_decides(state, "application/json", move |engine, body| {
        let mut wire = JsonProgressWriter::new(body);
        let mut client_gone = false;
        let done = work(engine, &mut |message| {
            if !client_gone && wire.show(&message).is_err() {
                client_gone = true;
            }
        });
        match done {
            Err(e) if wire.has_begun() => {
                let _ = wire.fail(&e.message);
                Ok(())
            }
            other => other,
        }
    })
    .await
}
// ANCHOR_END: json_progress

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_body_reads_back_whole_across_its_chunks() {
        let chunks: Vec<io::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::new()),
            Ok(Bytes::from_static(b"chunked world")),
        ];
        let body = Body::from_stream(futures_util::stream::iter(chunks));
        let mut reader = BodyReader::new(body);
        let read = tokio::task::spawn_blocking(move || {
            let mut small = [0u8; 4];
            let n = reader.read(&mut small).unwrap();
            let mut rest = Vec::new();
            reader.read_to_end(&mut rest).unwrap();
            (small[..n].to_vec(), rest)
        })
        .await
        .unwrap();
        assert_eq!(read.0, b"hell");
        assert_eq!(read.1, b"o chunked world");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_body_fails_the_read() {
        let chunks: Vec<io::Result<Bytes>> = vec![
            Ok(Bytes::from_static(b"part")),
            Err(io::Error::other("connection reset")),
        ];
        let mut reader = BodyReader::new(Body::from_stream(futures_util::stream::iter(chunks)));
        let read = tokio::task::spawn_blocking(move || {
            let mut all = Vec::new();
            reader.read_to_end(&mut all).map_err(|e| e.to_string())
        })
        .await
        .unwrap();
        assert!(read.unwrap_err().contains("connection reset"));
    }

    fn state() -> (tempfile::TempDir, AppState) {
        let dir = tempfile::tempdir().unwrap();
        let flags = crate::daemon::DaemonFlags {
            data_root: Some(dir.path().to_owned()),
            ..Default::default()
        };
        let config = crate::daemon::DaemonConfig::merge(&flags, &Default::default(), dir.path()).unwrap();
        (dir, AppState::new(&config).unwrap())
    }

    async fn answer(response: Response) -> (u16, String) {
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await;
        (
            status,
            String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned(),
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_error_before_the_first_message_is_an_ordinary_answer() {
        let (_dir, state) = state();
        let response = json_progress(&state, |_, _| Err(ApiError::not_found("manifest unknown"))).await;
        assert_eq!(
            answer(response).await,
            (404, r#"{"message":"manifest unknown"}"#.to_owned())
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_error_after_it_is_the_streams_last_message() {
        let (_dir, state) = state();
        let response = json_progress(&state, |_, out| {
            out(JsonMessage::line("The push refers to repository [x]"));
            Err(ApiError::internal("tag does not exist: x:nope"))
        })
        .await;
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            HeaderValue::from_static("application/json")
        );
        assert_eq!(
            answer(response).await,
            (
                200,
                "{\"status\":\"The push refers to repository [x]\"}\n\
                 {\"errorDetail\":{\"message\":\"tag does not exist: x:nope\"},\"error\":\"tag does not exist: x:nope\"}\n"
                    .to_owned()
            )
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bytes_stream_with_their_content_type_and_a_late_error_cuts_them_short() {
        let (_dir, state) = state();
        let response = first_word_decides(&state, "application/x-tar", |_, body| {
            body.write_all(b"first").unwrap();
            body.write_all(b" second").unwrap();
            Ok(())
        })
        .await;
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            HeaderValue::from_static("application/x-tar")
        );
        assert_eq!(answer(response).await, (200, "first second".to_owned()));

        let cut = first_word_decides(&state, "application/x-tar", |_, body| {
            body.write_all(b"half a tar").unwrap();
            Err(ApiError::internal("disk on fire"))
        })
        .await;
        assert_eq!(cut.status().as_u16(), 200);
        let read = axum::body::to_bytes(cut.into_body(), usize::MAX).await;
        assert!(read.is_err(), "the body must end in an error, not look complete");
    }
}
