//! TLS on `minidocker daemon`'s TCP listener (chapter 10): a CA, a server certificate for
//! 127.0.0.1 and a client certificate made here (rcgen), the daemon on `tcp://127.0.0.1:PORT`
//! in the test's network namespace, and the real Docker CLI (28.2.2) and minidocker's CLI
//! against it. Docker's answers quoted here come from dockerd 20.10 run with the same flags.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};

use minidocker_e2e::registry::free_port;
use minidocker_e2e::{Cmd, Output, TestDaemon, TestEnv, root_test};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

// ANCHOR: test_pki
/// The files of a small PKI, laid out as Docker expects them: `server/` holds what the daemon
/// is given (`ca.pem`, `server-cert.pem`, `server-key.pem`), `client/` what a client's
/// `DOCKER_CERT_PATH` holds (`ca.pem`, `cert.pem`, `key.pem`), and `other-ca.pem` is a CA
/// that signed neither.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().expect("a directory for the certificates");
        let (ca_pem, ca_issuer) = ca("minidocker test CA");
        let server = leaf(
            "127.0.0.1",
            vec![SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST))],
            ExtendedKeyUsagePurpose::ServerAuth,
            &ca_issuer,
        );
        let client = leaf(
            "client",
            Vec::new(),
            ExtendedKeyUsagePurpose::ClientAuth,
            &ca_issuer,
        );
        let (other_ca, _) = ca("another CA");
        for (path, pem) in [
            ("server/ca.pem", &ca_pem),
            ("server/server-cert.pem", &server.0),
            ("server/server-key.pem", &server.1),
            ("client/ca.pem", &ca_pem),
            ("client/cert.pem", &client.0),
            ("client/key.pem", &client.1),
            ("other-ca.pem", &other_ca),
        ] {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("a certificate directory");
            std::fs::write(&path, pem).expect("writing a certificate");
        }
        Pki { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn client_dir(&self) -> PathBuf {
        self.dir.path().join("client")
    }

    /// The daemon's flags: TLS with its certificate, and `mode` (`--tlsverify`, `--tls` …).
    fn daemon_flags(&self, host: &str, mode: &[&str]) -> Vec<String> {
        let mut flags: Vec<String> = ["-H", host].map(str::to_owned).to_vec();
        flags.extend(mode.iter().map(|s| (*s).to_owned()));
        for (flag, file) in [
            ("--tlscacert", "server/ca.pem"),
            ("--tlscert", "server/server-cert.pem"),
            ("--tlskey", "server/server-key.pem"),
        ] {
            flags.extend([flag.to_owned(), self.path(file)]);
        }
        flags
    }

    /// A client's flags: verify the daemon, and show the client certificate.
    fn client_flags(&self, host: &str) -> Vec<String> {
        let mut flags = vec!["--tlsverify".to_owned()];
        for (flag, file) in [
            ("--tlscacert", "client/ca.pem"),
            ("--tlscert", "client/cert.pem"),
            ("--tlskey", "client/key.pem"),
        ] {
            flags.extend([flag.to_owned(), self.path(file)]);
        }
        flags.extend(["-H".to_owned(), host.to_owned()]);
        flags
    }
}

/// A self-signed CA: its certificate (PEM) and what signs with it.
fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().expect("a CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).expect("a self-signed CA");
    (cert.pem(), Issuer::new(params, key))
}

/// A certificate for `names`, signed by `issuer`, for `purpose`: (certificate, key) in PEM.
fn leaf(
    common_name: &str,
    names: Vec<SanType>,
    purpose: ExtendedKeyUsagePurpose,
    issuer: &Issuer<'static, KeyPair>,
) -> (String, String) {
    let key = KeyPair::generate().expect("a key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("parameters");
    params.distinguished_name.push(DnType::CommonName, common_name);
    params.subject_alt_names = names;
    params.extended_key_usages = vec![purpose];
    let cert = params.signed_by(&key, issuer).expect("a signed certificate");
    (cert.pem(), key.serialize_pem())
}
// ANCHOR_END: test_pki

/// A daemon on `tcp://127.0.0.1:PORT` (and its unix sockets) with TLS in `mode`.
fn tls_daemon(env: &TestEnv, pki: &Pki, mode: &[&str]) -> (TestDaemon, String) {
    let host = format!("tcp://127.0.0.1:{}", free_port(env.net()));
    let flags = pki.daemon_flags(&host, mode);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    (TestDaemon::start(env, &flags), host)
}

/// The real Docker CLI in the test's namespace (where the daemon's TCP port is).
fn docker(env: &TestEnv, daemon: &TestDaemon, flags: &[String], args: &[&str]) -> Output {
    docker_cmd(env, daemon, flags, args).output()
}

fn docker_cmd(env: &TestEnv, daemon: &TestDaemon, flags: &[String], args: &[&str]) -> Cmd {
    daemon.docker_cmd(&[]).args(flags).args(args).in_net(env.net())
}

/// One plain HTTP request to `addr` from inside the namespace; what came back.
fn plain_http(env: &TestEnv, addr: &str) -> String {
    let addr = addr.to_owned();
    env.net().run(move || {
        let mut stream = TcpStream::connect(&addr).expect("connecting");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(30)))
            .expect("a read timeout");
        stream
            .write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\n\r\n")
            .expect("sending");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
}

/// A message with the query string of the URL in it taken out (`ps` asks `?all=0`).
fn without_query(message: &str) -> String {
    match (message.find('?'), message.find("\": ")) {
        (Some(start), Some(end)) if start < end => format!("{}{}", &message[..start], &message[end..]),
        _ => message.to_owned(),
    }
}

// ANCHOR: tlsverify_test
#[test]
fn with_tlsverify_only_clients_with_a_certificate_from_the_ca_get_in() {
    root_test!();
    let env = TestEnv::new();
    let pki = Pki::new();
    let (daemon, host) = tls_daemon(&env, &pki, &["--tlsverify"]);
    let with_cert = pki.client_flags(&host);

    let version = docker(
        &env,
        &daemon,
        &with_cert,
        &["version", "--format", "{{.Server.APIVersion}}"],
    );
    version.assert_clean_success();
    assert_eq!(version.stdout, "1.41\n");
    // attach's taken-over connection, over TLS
    let run = docker(
        &env,
        &daemon,
        &with_cert,
        &["run", "--rm", "busybox", "echo", "hi"],
    );
    run.assert_clean_success();
    assert_eq!(run.stdout, "hi\n");
    docker(&env, &daemon, &with_cert, &["ps", "-a", "-q"]).assert_stdout("");

    // no client certificate: the handshake fails. dockerd (Go) answers `bad certificate`, so
    // the CLI adds its hint; rustls answers TLS 1.3's `certificate required`.
    let no_cert: Vec<String> = [
        "--tlsverify",
        "--tlscacert",
        &pki.path("client/ca.pem"),
        "-H",
        &host,
    ]
    .map(str::to_owned)
    .to_vec();
    let refused = docker(&env, &daemon, &no_cert, &["ps"]);
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("remote error: tls: certificate required"),
        "{}",
        refused.transcript()
    );

    // a client that does not trust the daemon's CA refuses the daemon
    let mut distrust = with_cert.clone();
    distrust[2] = pki.path("other-ca.pem");
    let distrusted = docker(&env, &daemon, &distrust, &["ps"]);
    distrusted.assert_code(1);
    assert_eq!(
        distrusted.stderr,
        format!(
            "error during connect: Get \"https://{}/v1.50/containers/json\": tls: failed to verify certificate: x509: certificate signed by unknown authority\n",
            host.trim_start_matches("tcp://")
        )
    );

    // plain HTTP gets Go's answer, and the CLI shows it as dockerd's
    let addr = host.trim_start_matches("tcp://");
    assert_eq!(
        plain_http(&env, addr),
        "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"
    );
    let plain = docker(&env, &daemon, &["-H".to_owned(), host.clone()], &["ps"]);
    plain.assert_code(1);
    assert_eq!(
        plain.stderr,
        "Error response from daemon: Client sent an HTTP request to an HTTPS server.\n"
    );

    // with --tlsverify, no warning about the TCP listener
    let out = daemon.stop();
    assert!(
        !out.stderr.contains("WARNING: API is accessible"),
        "{}",
        out.stderr
    );
}
// ANCHOR_END: tlsverify_test

#[test]
fn minidocker_s_cli_speaks_tls_with_flags_or_docker_tls_verify() {
    root_test!();
    let env = TestEnv::new();
    let pki = Pki::new();
    let (_daemon, host) = tls_daemon(&env, &pki, &["--tlsverify"]);

    let with_flags = env.cmd(&[]).args(pki.client_flags(&host)).args(["ps"]).output();
    with_flags.assert_clean_success();
    assert!(
        with_flags.stdout.starts_with("CONTAINER ID   IMAGE"),
        "{}",
        with_flags.transcript()
    );

    // DOCKER_TLS_VERIFY and DOCKER_CERT_PATH (ca.pem, cert.pem and key.pem in it)
    let from_env = |args: &[&str]| {
        env.cmd(&["-H", &host])
            .args(args)
            .env("DOCKER_TLS_VERIFY", "1")
            .env("DOCKER_CERT_PATH", pki.client_dir())
            .output()
    };
    from_env(&["ps", "-q"]).assert_stdout("");
    // a hijacked attach, and the wait beside it, over TLS
    let run = from_env(&[
        "run",
        "--rm",
        "busybox",
        "sh",
        "-c",
        "echo out; echo err >&2; exit 3",
    ]);
    run.assert_code(3);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("out\n", "err\n"));

    // without a certificate the daemon refuses, as the Docker CLI says it
    let no_cert = env
        .cmd(&[
            "--tlsverify",
            "--tlscacert",
            &pki.path("client/ca.pem"),
            "-H",
            &host,
            "ps",
        ])
        .env("DOCKER_CERT_PATH", "/nonexistent")
        .output();
    no_cert.assert_code(1);
    assert_eq!(
        without_query(&no_cert.stderr),
        format!(
            "the server probably has client authentication (--tlsverify) enabled; check your TLS client certification settings: Get \"https://{}/v1.41/containers/json\": remote error: tls: certificate required\n",
            host.trim_start_matches("tcp://")
        )
    );
    // the daemon's certificate names 127.0.0.1, not localhost
    let localhost = host.replace("127.0.0.1", "localhost");
    let wrong_name = env
        .cmd(&[])
        .args(pki.client_flags(&localhost))
        .args(["ps"])
        .output();
    wrong_name.assert_code(1);
    assert_eq!(
        without_query(&wrong_name.stderr),
        format!(
            "error during connect: Get \"https://{}/v1.41/containers/json\": tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match localhost\n",
            localhost.trim_start_matches("tcp://")
        )
    );
    // a CA file that is not there
    let missing = env
        .cmd(&[
            "--tlsverify",
            "--tlscacert",
            "/nonexistent/ca.pem",
            "-H",
            &host,
            "ps",
        ])
        .output();
    missing.assert_code(1);
    assert_eq!(
        missing.stderr,
        "Failed to initialize: unable to resolve docker endpoint: open /nonexistent/ca.pem: no such file or directory\n"
    );
}

#[test]
fn tls_without_client_verification_takes_anyone_and_says_so() {
    root_test!();
    let env = TestEnv::new();
    let pki = Pki::new();
    // dockerd 20.10: `--tls` alone verifies clients too; only --tlsverify=false does not
    let (daemon, host) = tls_daemon(&env, &pki, &["--tls", "--tlsverify=false"]);
    let no_cert: Vec<String> = ["--tls", "--tlscacert", &pki.path("client/ca.pem"), "-H", &host]
        .map(str::to_owned)
        .to_vec();
    let cert_dir = env.data_root().join("no-client-cert");
    let anonymous = docker_cmd(&env, &daemon, &no_cert, &["ps", "-q"])
        .env("DOCKER_CERT_PATH", &cert_dir)
        .output();
    anonymous.assert_clean_success();
    // minidocker's CLI with --tls does not verify the daemon either
    env.cmd(&[
        "--tls",
        "--tlscacert",
        &pki.path("other-ca.pem"),
        "-H",
        &host,
        "ps",
        "-q",
    ])
    .env("DOCKER_CERT_PATH", &cert_dir)
    .output()
    .assert_stdout("");
    // the warning, at start and in `docker info`, as dockerd 20.10 words it
    let warning = format!(
        "WARNING: API is accessible on https://{} without TLS client verification.\n         Access to the remote API is equivalent to root access on the host. Refer\n         to the 'Docker daemon attack surface' section in the documentation for\n         more information: https://docs.docker.com/go/attack-surface/",
        host.trim_start_matches("tcp://")
    );
    let info = daemon.docker(&["info", "--format", "{{json .Warnings}}"]);
    info.assert_clean_success();
    assert_eq!(info.stdout, format!("{}\n", serde_json::json!([warning])));
    let out = daemon.stop();
    assert!(out.stderr.contains(&warning), "{}", out.stderr);

    let (daemon, host) = tls_daemon(&env, &pki, &["--tls"]);
    let refused = docker_cmd(
        &env,
        &daemon,
        &[&no_cert[..3], &["-H".to_owned(), host]].concat(),
        &["ps"],
    )
    .env("DOCKER_CERT_PATH", &cert_dir)
    .output();
    refused.assert_code(1);
    assert!(
        refused.stderr.contains("remote error: tls: certificate required"),
        "{}",
        refused.stderr
    );
}

#[test]
fn tls_files_the_daemon_cannot_use_stop_it_at_start_naming_them() {
    root_test!();
    let env = TestEnv::new();
    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("a directory");
    let start = |mode: &[&str], cert: &str| -> Output {
        let config = dir.path().join("daemon.json");
        std::fs::write(&config, "{}").expect("daemon.json");
        let mut args: Vec<String> = [
            "daemon",
            "--data-root",
            &env.data_root().display().to_string(),
            "-H",
            &format!("unix://{}", dir.path().join("d.sock").display()),
            "--pidfile",
            &dir.path().join("d.pid").display().to_string(),
            "--config-file",
            &config.display().to_string(),
            "--tlscacert",
            &pki.path("server/ca.pem"),
            "--tlscert",
            cert,
            "--tlskey",
            &pki.path("server/server-key.pem"),
        ]
        .map(str::to_owned)
        .to_vec();
        args.extend(mode.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        env.cmd(&args).output()
    };
    let missing = start(&["--tlsverify"], "/nonexistent/cert.pem");
    missing.assert_code(1);
    assert_eq!(
        missing.stderr,
        format!(
            "minidocker daemon: failed to create API server: Could not load X509 key pair (cert: \"/nonexistent/cert.pem\", key: \"{}\"): open /nonexistent/cert.pem: no such file or directory\n",
            pki.path("server/server-key.pem")
        )
    );
    // nothing was started: no pid file, no socket
    assert!(!dir.path().join("d.pid").exists() && !dir.path().join("d.sock").exists());
    // the CA where the certificate should be
    let garbage: &Path = &dir.path().join("garbage.pem");
    std::fs::write(garbage, "not a certificate\n").expect("writing");
    let bad = start(&["--tls"], &garbage.display().to_string());
    bad.assert_code(1);
    assert_eq!(
        bad.stderr,
        format!(
            "minidocker daemon: failed to create API server: Error reading X509 key pair (cert: \"{}\", key: \"{}\"): tls: failed to find any PEM data in certificate input. Make sure the key is not encrypted.\n",
            garbage.display(),
            pki.path("server/server-key.pem")
        )
    );
}
