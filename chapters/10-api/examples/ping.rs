//! Serves `GET /_ping` on a unix socket in a temporary directory, behind the version prefix
//! and Docker's headers, then asks it the way the Docker CLI does (its first request) and
//! prints the raw answer:
//!
//! ```text
//! cargo run -p ch10-api --example ping
//! ```

use std::io::{Read, Write};

use ch10_api::{ping::ping, version};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("ch10-ping-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let socket = dir.join("api.sock");
    let runtime = tokio::runtime::Runtime::new()?;
    let listener = runtime.block_on(async { tokio::net::UnixListener::bind(&socket) })?;
    let router = axum::Router::new()
        .route("/_ping", axum::routing::get(ping).head(ping))
        .layer(axum::middleware::from_fn(version::versions_and_headers));
    runtime.spawn(async move { axum::serve(listener, version::with_version_prefix(router)).await });

    for path in ["/v1.41/_ping", "/v1.99/_ping"] {
        let mut stream = std::os::unix::net::UnixStream::connect(&socket)?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: docker\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        println!("--- GET {path}\n{answer}\n");
    }
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
