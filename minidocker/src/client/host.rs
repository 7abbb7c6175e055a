//! Where the daemon listens, as the Docker CLI spells it: `-H unix:///run/minidocker.sock`,
//! `-H tcp://127.0.0.1:2375`, or `DOCKER_HOST`.

use std::path::PathBuf;

use super::ClientError;
use super::tls::TlsConnector;

/// The port `tcp://HOST` means when it names none (dockerd's unencrypted port).
pub const DEFAULT_TCP_PORT: u16 = 2375;

/// A daemon's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// `unix://PATH`: a unix socket.
    Unix(PathBuf),
    /// `tcp://HOST:PORT`: plain TCP.
    Tcp(String),
    /// `tcp://HOST:PORT` with TLS (`--tls`, `--tlsverify`).
    TcpTls { addr: String, tls: TlsConnector },
}

impl Host {
    /// Parses `-H`'s value (Docker's rules: a scheme is required; `tcp://` alone is an
    /// error; `tcp://HOST` takes port 2375).
    pub fn parse(raw: &str) -> Result<Host, ClientError> {
        let bad = |why: &str| ClientError::BadHost {
            host: raw.to_owned(),
            why: why.to_owned(),
        };
        let (scheme, rest) = raw
            .split_once("://")
            .ok_or_else(|| bad("no scheme (unix:// or tcp://)"))?;
        match scheme {
            "unix" if !rest.is_empty() => Ok(Host::Unix(PathBuf::from(rest))),
            "unix" => Err(bad("no socket path")),
            "tcp" => {
                let rest = rest.trim_end_matches('/');
                if rest.is_empty() {
                    return Err(bad("no address"));
                }
                if rest.contains('/') {
                    return Err(bad("a path is not allowed after the address"));
                }
                let has_port = match rest.rsplit_once(':') {
                    Some((_, port)) if rest.ends_with(']') => port.is_empty(),
                    Some((_, port)) => !port.is_empty(),
                    None => false,
                };
                if has_port {
                    let port = rest.rsplit_once(':').map(|(_, p)| p).unwrap_or_default();
                    port.parse::<u16>().map_err(|_| bad("invalid port"))?;
                    Ok(Host::Tcp(rest.to_owned()))
                } else {
                    Ok(Host::Tcp(format!(
                        "{}:{DEFAULT_TCP_PORT}",
                        rest.trim_end_matches(':')
                    )))
                }
            }
            other => Err(bad(&format!("unsupported scheme {other}:// (unix:// or tcp://)"))),
        }
    }
}

impl Host {
    /// This host reached through `tls`: TCP speaks TLS; a unix socket stays as it is (the
    /// Docker CLI ignores its TLS flags there too).
    pub fn with_tls(self, tls: TlsConnector) -> Host {
        match self {
            Host::Tcp(addr) => Host::TcpTls { addr, tls },
            other => other,
        }
    }
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Unix(path) => write!(f, "unix://{}", path.display()),
            Host::Tcp(addr) | Host::TcpTls { addr, .. } => write!(f, "tcp://{addr}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_host_forms() {
        assert_eq!(
            Host::parse("unix:///run/minidocker.sock").unwrap(),
            Host::Unix("/run/minidocker.sock".into())
        );
        assert_eq!(
            Host::parse("tcp://127.0.0.1:2376").unwrap(),
            Host::Tcp("127.0.0.1:2376".into())
        );
        assert_eq!(
            Host::parse("tcp://localhost").unwrap(),
            Host::Tcp("localhost:2375".into())
        );
        assert_eq!(
            Host::parse("tcp://[::1]:80/").unwrap(),
            Host::Tcp("[::1]:80".into())
        );
        for bad in [
            "/run/x.sock",
            "unix://",
            "tcp://",
            "tcp://h:notaport",
            "ssh://h",
            "tcp://h:1/x",
        ] {
            assert!(Host::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn display_round_trips() {
        for raw in ["unix:///run/minidocker.sock", "tcp://127.0.0.1:2375"] {
            assert_eq!(Host::parse(raw).unwrap().to_string(), raw);
        }
    }
}
