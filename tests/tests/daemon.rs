//! `minidocker daemon` and the Remote API (chapter 10): the real Docker CLI (28.2.2) against
//! it, version negotiation, Docker's error bodies and headers, dockerd's flags and
//! daemon.json rules, clean shutdown. Docker's answers quoted here come from the Docker 20.10
//! oracle with the same CLI.

use serde_json::Value;

use minidocker_e2e::daemon::http_on;
use minidocker_e2e::{TestDaemon, TestEnv, root_test};

#[test]
fn the_docker_cli_negotiates_down_to_our_api_version() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let version = daemon.docker(&[
        "version",
        "--format",
        "{{.Client.APIVersion}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}} {{.Server.Os}}",
    ]);
    version.assert_clean_success();
    assert_eq!(version.stdout, "1.41 1.41 1.12 linux\n");

    let ping = daemon.http("GET", "/_ping", None);
    assert_eq!((ping.status, ping.body.as_str()), (200, "OK"));
    assert_eq!(ping.header("Api-Version"), Some("1.41"));
    assert_eq!(ping.header("Ostype"), Some("linux"));
    let head = daemon.http("HEAD", "/_ping", None);
    assert_eq!(head.status, 200);

    // Docker: 400 {"message":"client version 1.99 is too new. Maximum supported API version is 1.41"}
    let new = daemon.http("GET", "/v1.99/version", None);
    assert_eq!(new.status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&new.body).unwrap(),
        serde_json::json!({"message": "client version 1.99 is too new. Maximum supported API version is 1.41"})
    );
    let old = daemon.http("GET", "/v1.11/version", None);
    assert_eq!(old.status, 400);
    // any version in range, and none, reach the same route
    for path in ["/version", "/v1.24/version", "/v1.41/version"] {
        let answer = daemon.http("GET", path, None);
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
        let v: Value = serde_json::from_str(&answer.body).unwrap();
        assert_eq!(v["ApiVersion"], "1.41");
    }
    // Docker: 404 {"message":"page not found"}
    let missing = daemon.http("GET", "/v1.41/no/such/route", None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body.trim(), r#"{"message":"page not found"}"#);

    let info = daemon.docker(&[
        "info",
        "--format",
        "{{.Driver}} {{.OSType}} {{.Images}} {{.DockerRootDir}}",
    ]);
    info.assert_clean_success();
    assert_eq!(
        info.stdout,
        format!("overlay2 linux 1 {}\n", env.data_root().display())
    );
}

#[test]
fn network_commands_of_the_docker_cli_show_dockers_fields() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let ls = daemon.docker(&["network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"]);
    ls.assert_clean_success();
    assert_eq!(
        ls.stdout,
        "bridge bridge local\nhost host local\nnone null local\n"
    );

    let created = daemon.docker(&[
        "network",
        "create",
        "--subnet",
        "172.20.0.0/16",
        "--gateway",
        "172.20.0.1",
        "--label",
        "tier=db",
        "bridge2",
    ]);
    created.assert_clean_success();
    let id = created.stdout.trim().to_owned();
    assert_eq!(id.len(), 64);
    // made in the test's namespace, named as Docker names it
    assert!(env.net().links().contains(&format!("br-{}", &id[..12])));

    let inspect = daemon.docker(&["network", "inspect", "bridge2"]);
    inspect.assert_clean_success();
    let v: Value = serde_json::from_str(&inspect.stdout).unwrap();
    let keys: Vec<&str> = v[0].as_object().unwrap().keys().map(String::as_str).collect();
    // Docker 20.10's fields (the CLI prints them sorted)
    assert_eq!(
        keys,
        [
            "Attachable",
            "ConfigFrom",
            "ConfigOnly",
            "Containers",
            "Created",
            "Driver",
            "EnableIPv6",
            "IPAM",
            "Id",
            "Ingress",
            "Internal",
            "Labels",
            "Name",
            "Options",
            "Scope"
        ]
    );
    assert_eq!(
        v[0]["IPAM"],
        serde_json::json!({"Driver": "default", "Options": {}, "Config": [{"Subnet": "172.20.0.0/16", "Gateway": "172.20.0.1"}]})
    );
    assert_eq!(v[0]["Labels"], serde_json::json!({"tier": "db"}));
    let bridge = daemon.docker(&[
        "network",
        "inspect",
        "bridge",
        "--format",
        "{{index .Options \"com.docker.network.bridge.name\"}}",
    ]);
    assert_eq!(bridge.stdout, "minidocker0\n");

    daemon
        .docker(&[
            "network",
            "ls",
            "--filter",
            "type=custom",
            "--format",
            "{{.Name}}",
        ])
        .assert_stdout("bridge2\n");
    let dup = daemon.docker(&["network", "create", "bridge2"]);
    dup.assert_code(1);
    assert_eq!(
        dup.stderr,
        "Error response from daemon: network with name bridge2 already exists\n"
    );
    let predefined = daemon.docker(&["network", "rm", "bridge"]);
    assert_eq!(predefined.code, 1);
    assert!(
        predefined.stderr.starts_with(
            "Error response from daemon: bridge is a pre-defined network and cannot be removed\n"
        ),
        "{predefined}"
    );
    daemon
        .docker(&["network", "rm", "bridge2"])
        .assert_stdout("bridge2\n");
    let gone = daemon.docker(&["network", "inspect", "bridge2"]);
    assert_eq!(gone.code, 1);
    assert!(gone.stderr.contains("network bridge2 not found"), "{gone}");
    assert!(!env.net().links().iter().any(|l| l.starts_with("br-")));

    // the same network through the API's JSON, as the notes' curl examples do
    let made = daemon.http(
        "POST",
        "/v1.41/networks/create",
        Some(r#"{"Name":"api","IPAM":{"Config":[{"Subnet":"172.31.0.0/16"}]}}"#),
    );
    assert_eq!(made.status, 201, "{made:?}");
    let answer: Value = serde_json::from_str(&made.body).unwrap();
    assert_eq!(answer["Warning"], "");
    let bad = daemon.http("POST", "/networks/create", Some("{not json"));
    assert_eq!(bad.status, 400, "{bad:?}");
    assert_eq!(daemon.http("DELETE", "/networks/api", None).status, 204);
    assert_eq!(daemon.http("DELETE", "/networks/api", None).status, 404);
}

#[test]
fn sigterm_stops_the_daemon_and_removes_its_socket_and_pid_file() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let (socket, pidfile) = (daemon.socket(), daemon.pidfile());
    let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
    assert!(pid > 1);
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&socket).unwrap().permissions());
    assert_eq!(
        mode & 0o777,
        0o660,
        "the socket is rw for root and its group only"
    );
    let out = daemon.stop();
    assert_eq!(out.code, 0, "{out}");
    assert!(!socket.exists() && !pidfile.exists(), "{out}");
}

#[test]
fn two_daemons_with_their_own_data_roots_run_side_by_side() {
    root_test!();
    let a = TestEnv::new();
    let b = TestEnv::empty_in(a.net());
    let da = TestDaemon::start(&a, &[]);
    let db = TestDaemon::start(&b, &[]);
    let images = |d: &TestDaemon| d.docker(&["info", "--format", "{{.Images}}"]).stdout;
    assert_eq!((images(&da), images(&db)), ("1\n".to_owned(), "0\n".to_owned()));
    // one socket, one daemon: a second on the same socket is refused
    let out = a
        .cmd(&[
            "daemon",
            "--data-root",
            &a.data_root().display().to_string(),
            "-H",
            &da.docker_host(),
            "--pidfile",
            "/tmp/minidocker-e2e-unused.pid",
        ])
        .output();
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("another daemon is listening on"), "{out}");
    assert_eq!(http_on(&db.socket(), "GET", "/_ping", None).status, 200);
}

#[test]
fn daemon_json_is_checked_like_dockerds() {
    root_test!();
    let env = TestEnv::new();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("daemon.json");
    let run = |json: &str, extra: &[&str]| {
        std::fs::write(&config, json).unwrap();
        let mut args = vec![
            "daemon",
            "--config-file",
            config.to_str().unwrap(),
            "--pidfile",
            "/tmp/minidocker-e2e-unused.pid",
        ];
        args.extend_from_slice(extra);
        env.cmd(&args).output()
    };
    let unknown = run(r#"{"no-such-key": true}"#, &[]);
    assert_eq!(unknown.code, 1);
    assert_eq!(
        unknown.stderr,
        "minidocker daemon: the following directives don't match any configuration option: no-such-key\n"
    );
    let both = run(r#"{"data-root": "/tmp/a"}"#, &["--data-root", "/tmp/b"]);
    assert_eq!(both.code, 1);
    assert!(
        both.stderr.contains(
            "the following directives are specified both as a flag and in the configuration file: data-root"
        ),
        "{both}"
    );
    let missing = env
        .cmd(&["daemon", "--config-file", "/nonexistent/daemon.json"])
        .output();
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("/nonexistent/daemon.json"), "{missing}");
}

#[test]
fn bad_requests_get_a_status_and_a_json_message_and_the_daemon_keeps_serving() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let message = |body: &str| -> String {
        serde_json::from_str::<Value>(body).expect("a JSON error body")["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let malformed = daemon.http("POST", "/networks/create", Some("{not json"));
    assert_eq!(malformed.status, 400, "{malformed:?}");
    assert!(
        message(&malformed.body).starts_with("invalid JSON in the request body"),
        "{malformed:?}"
    );
    let wrong_type = daemon.http("POST", "/networks/create", Some(r#"{"Name": 42}"#));
    assert_eq!(wrong_type.status, 400, "{wrong_type:?}");
    let huge = format!(r#"{{"Name":"x","Labels":{{"a":"{}"}}}}"#, "x".repeat(3 << 20));
    let too_big = daemon.http("POST", "/networks/create", Some(&huge));
    assert_eq!(too_big.status, 413, "{:?}", too_big.status);
    let unnamed = daemon.http("POST", "/networks/create", Some("{}"));
    assert_eq!(
        (unnamed.status, message(&unnamed.body).as_str()),
        (400, "network name must be specified")
    );
    let missing = daemon.http("GET", "/networks/nosuch", None);
    assert_eq!(
        (missing.status, message(&missing.body).as_str()),
        (404, "network nosuch not found")
    );
    // and everyone else is still served
    assert_eq!(daemon.http("GET", "/_ping", None).status, 200);
    daemon.docker(&["network", "ls", "-q"]).assert_code(0);
}
