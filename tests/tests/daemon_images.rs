//! The image endpoints that move images, through `minidocker daemon`: pull and push (with a
//! real registry on 127.0.0.1), save and load, import and commit. The real Docker CLI
//! (28.2.2) drives them as a user would; raw HTTP shows dockerd's JSON streams, snapshotted
//! with the variable parts (ids, digests, sizes, the registry's port) redacted. Docker's output
//! for the same commands (dockerd 20.10.24 with the same CLI, piped) is quoted in the comments.

use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use minidocker_e2e::daemon::{HttpAnswer, docker_cli};
use minidocker_e2e::image::{busybox_rootfs_tar, tar_of};
use minidocker_e2e::registry::{Registry, free_port, redact};
use minidocker_e2e::store::{assert_no_staging_left, store_listing};
use minidocker_e2e::text::redact_ids;
use minidocker_e2e::{Cmd, Output, TestDaemon, TestEnv, TestNet, root_test};

/// `X-Registry-Auth` as the docker CLI sends it without credentials (`{}` in base64).
const NO_AUTH: (&str, &str) = ("X-Registry-Auth", "e30=");

/// A JSON stream's shape for a snapshot: its lines with the registry's port, ids, digests,
/// sizes and bars redacted, and each run of equal lines kept once (how many `Downloading`,
/// `Extracting` or `Loading layer` messages come depends on how the bytes arrive).
fn stream_shape(body: &str, hosts: &[&str]) -> String {
    let mut lines: Vec<String> = Vec::new();
    for line in body.lines() {
        let mut line = line.to_owned();
        for host in hosts {
            line = line.replace(host, "127.0.0.1:PORT");
        }
        let mut line = redact_ids(&line);
        for number in ["\"current\":", "\"total\":", "\"Size\":", " size: "] {
            line = redact_after(&line, number, |c| c.is_ascii_digit(), "<n>");
        }
        line = redact_after(&line, "\"progress\":\"", |c| c != '"', "<bar>");
        line = redact_after(&line, "\"id\":\"", |c| c.is_ascii_hexdigit(), "<layer>");
        if lines.last() != Some(&line) {
            lines.push(line);
        }
    }
    lines.iter().map(|l| format!("{l}\n")).collect()
}

/// `text` with the run of characters that `keep` accepts after each `marker` replaced by
/// `placeholder` (a run of 12 for `"id":"`, the short layer ids; any length otherwise).
fn redact_after(text: &str, marker: &str, keep: impl Fn(char) -> bool, placeholder: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        let (head, tail) = rest.split_at(at + marker.len());
        out.push_str(head);
        let run = tail.find(|c: char| !keep(c)).unwrap_or(tail.len());
        let redacted = run > 0 && (marker != "\"id\":\"" || run == 12);
        out.push_str(if redacted { placeholder } else { &tail[..run] });
        rest = &tail[run..];
    }
    out.push_str(rest);
    out
}

/// Every event so far, in order (`GET /events` until now).
fn all_events(daemon: &TestDaemon) -> Vec<Value> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("after 1970");
    let until = format!("{}.{:09}", now.as_secs(), now.subsec_nanos());
    let answer = daemon.http("GET", &format!("/v1.41/events?since=0&until={until}"), None);
    assert_eq!(answer.status, 200, "{answer:?}");
    answer
        .body
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{err}: {line}")))
        .collect()
}

/// The `(Type, Action, Actor.ID, name attribute)` of every event so far, in order.
fn events(daemon: &TestDaemon) -> Vec<(String, String, String, String)> {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    all_events(daemon)
        .iter()
        .map(|e| {
            (
                text(&e["Type"]),
                text(&e["Action"]),
                text(&e["Actor"]["ID"]),
                text(&e["Actor"]["Attributes"]["name"]),
            )
        })
        .collect()
}

/// The events of `kind` (`image`, `container`) as `Action ID name` lines, `hosts` redacted.
fn events_of(daemon: &TestDaemon, kind: &str, hosts: &[&str]) -> Vec<String> {
    events(daemon)
        .into_iter()
        .filter(|(t, ..)| t == kind)
        .map(|(_, action, id, name)| {
            let mut line = redact_ids(&format!("{action} {id} {name}"));
            for host in hosts {
                line = line.replace(host, "127.0.0.1:PORT");
            }
            line
        })
        .collect()
}

/// The status and message of an error answer.
#[track_caller]
fn error(answer: &HttpAnswer) -> (u16, String) {
    let v: Value = serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {answer:?}"));
    (
        answer.status,
        v["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// `docker images` as `repository:tag`, sorted.
fn image_names(daemon: &TestDaemon) -> Vec<String> {
    let out = daemon.docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"]);
    out.assert_clean_success();
    let mut names: Vec<String> = out.stdout.lines().map(str::to_owned).collect();
    names.sort();
    names
}

/// Every image id, dangling ones too.
fn image_ids(daemon: &TestDaemon) -> Vec<String> {
    let out = daemon.docker(&["images", "-a", "-q", "--no-trunc"]);
    out.assert_clean_success();
    let mut ids: Vec<String> = out.stdout.lines().map(str::to_owned).collect();
    ids.sort();
    ids
}

/// A shell pipeline of docker commands against `daemon` (`$DOCKER` is the real CLI).
fn docker_pipeline(daemon: &TestDaemon, config: &std::path::Path, script: &str) -> Output {
    Cmd::new("sh")
        .env("DOCKER", docker_cli())
        .env("DOCKER_HOST", daemon.docker_host())
        .env("DOCKER_CONFIG", config)
        .env_remove("DOCKER_CONTEXT")
        .args(["-c", script])
        .output()
}

/// `bytes` gzipped, by gzip(1).
fn gzipped(bytes: &[u8]) -> Vec<u8> {
    let mut child = Command::new("gzip")
        .arg("-c")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running gzip");
    let mut stdin = child.stdin.take().expect("its stdin");
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &data));
    let out = child.wait_with_output().expect("gzip ends");
    writer.join().expect("the writer").expect("writing to gzip");
    assert!(out.status.success());
    out.stdout
}

#[test]
fn push_and_pull_through_the_daemon_show_dockers_progress() {
    root_test!();
    let net = TestNet::new();
    let registry = Registry::start(&net);
    let host = registry.host.as_str();
    let repo = format!("{host}/busybox");
    let env = TestEnv::new_in(&net);
    let daemon = TestDaemon::start(&env, &[]);
    daemon.docker(&["tag", "busybox", &repo]).assert_clean_success();

    // docker push 127.0.0.1:5871/i8cli
    //   Using default tag: latest
    //   The push refers to repository [127.0.0.1:5871/i8cli]
    //   1cdcdf3b37c4: Preparing
    //   1cdcdf3b37c4: Pushed
    //   latest: digest: sha256:84708b62… size: 527
    let push = daemon.docker(&["push", &repo]);
    push.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("push", redact(&push, &[host]));

    // The same push as dockerd streams it: the layer is there now, and the result for
    // programs comes last (`{"progressDetail":{},"aux":{"Tag":…,"Digest":…,"Size":527}}`).
    let again = daemon.http_with(
        "POST",
        &format!("/v1.41/images/{repo}/push?tag=latest"),
        &[NO_AUTH],
        b"",
    );
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.header("Content-Type"), Some("application/json"));
    insta::assert_snapshot!("push_stream", stream_shape(&again.body, &[host]));
    let aux: Value = serde_json::from_str(again.body.lines().last().unwrap_or_default()).expect("aux");
    let digest = aux["aux"]["Digest"].as_str().expect("a digest").to_owned();
    assert!(
        push.stdout.contains(&format!("latest: digest: {digest} size: ")),
        "{push}"
    );

    // docker pull 127.0.0.1:5871/i8other:v1, into a daemon that has nothing
    //   v1: Pulling from i8other
    //   2d5ac4e1256a: Pulling fs layer
    //   2d5ac4e1256a: Verifying Checksum
    //   2d5ac4e1256a: Download complete
    //   2d5ac4e1256a: Pull complete
    //   Digest: sha256:13b56920…
    //   Status: Downloaded newer image for 127.0.0.1:5871/i8other:v1
    //   127.0.0.1:5871/i8other:v1
    let fresh = TestEnv::empty_in(&net);
    let puller = TestDaemon::start(&fresh, &[]);
    let pull = puller.docker(&["pull", &repo]);
    pull.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("pull", redact(&pull, &[host]));
    assert!(pull.stdout.contains(&format!("Digest: {digest}\n")), "{pull}");
    assert_eq!(image_names(&puller), [format!("{repo}:latest")]);
    assert_eq!(
        image_ids(&puller),
        [env.image_id()],
        "the same config, the same id"
    );
    assert_no_staging_left(&fresh);

    // Again: `Status: Image is up to date for …`.
    let up_to_date = puller.docker(&["pull", &repo]);
    up_to_date.assert_code(0).assert_stderr("");
    assert!(
        up_to_date
            .stdout
            .contains(&format!("Status: Image is up to date for {repo}:latest\n"))
    );

    // The whole stream of a pull that moves a layer, as dockerd sends it.
    puller.docker(&["rmi", &repo]).assert_code(0);
    assert!(image_ids(&puller).is_empty());
    let stream = puller.http_with(
        "POST",
        &format!("/v1.41/images/create?fromImage={repo}&tag=latest"),
        &[NO_AUTH],
        b"",
    );
    assert_eq!(stream.status, 200, "{stream:?}");
    assert_eq!(stream.header("Content-Type"), Some("application/json"));
    insta::assert_snapshot!("pull_stream", stream_shape(&stream.body, &[host]));
    assert_eq!(image_names(&puller), [format!("{repo}:latest")]);

    // Docker's image events: `push`/`pull` name the reference (`127.0.0.1:5871/i8box:latest`,
    // attribute name `127.0.0.1:5871/i8box`), `tag` the image id with the new name.
    insta::assert_snapshot!("push_events", events_of(&daemon, "image", &[host]).join("\n"));
    insta::assert_snapshot!("pull_events", events_of(&puller, "image", &[host]).join("\n"));
}

#[test]
fn failed_pulls_and_pushes_say_why_like_docker_and_leave_nothing_behind() {
    root_test!();
    let net = TestNet::new();
    let registry = Registry::start(&net);
    let host = registry.host.as_str();
    let env = TestEnv::new_in(&net);
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["tag", "busybox", &format!("{host}/busybox")])
        .assert_clean_success();
    let before = store_listing(&env);

    // docker pull 127.0.0.1:5871/nope
    //   Using default tag: latest                                              (stdout)
    //   Error response from daemon: manifest for 127.0.0.1:5871/nope:latest not found: manifest unknown: manifest unknown
    daemon
        .docker(&["pull", &format!("{host}/nope")])
        .assert_code(1)
        .assert_stdout("Using default tag: latest\n")
        .assert_stderr(&format!(
            "Error response from daemon: manifest for {host}/nope:latest not found: manifest unknown: manifest unknown\n"
        ));
    // docker pull 127.0.0.1:5872/nope (nothing listens there)
    //   Error response from daemon: Get "http://127.0.0.1:5872/v2/": dial tcp 127.0.0.1:5872: connect: connection refused
    let dead = format!("127.0.0.1:{}", free_port(&net));
    daemon
        .docker(&["pull", &format!("{dead}/busybox")])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: Get \"http://{dead}/v2/\": dial tcp {dead}: connect: connection refused\n"
        ));
    // dockerd's statuses for the same, before any stream: 404, 500, 400, 400
    let pull =
        |query: &str| error(&daemon.http_with("POST", &format!("/v1.41/images/create?{query}"), &[], b""));
    assert_eq!(pull(&format!("fromImage={host}/nope&tag=latest")).0, 404);
    assert_eq!(pull(&format!("fromImage={dead}/busybox&tag=latest")).0, 500);
    assert_eq!(
        pull("fromImage=BAD&tag=latest"),
        (
            400,
            "invalid reference format: repository name must be lowercase".into()
        )
    );
    assert_eq!(
        pull("fromImage=busybox&tag=a:b"),
        (400, "invalid tag format".into())
    );

    // docker push 127.0.0.1:5871/i8cli:nope
    //   The push refers to repository [127.0.0.1:5871/i8cli]                  (stdout)
    //   tag does not exist: 127.0.0.1:5871/i8cli:nope
    daemon
        .docker(&["push", &format!("{host}/busybox:nope")])
        .assert_code(1)
        .assert_stdout(&format!("The push refers to repository [{host}/busybox]\n"))
        .assert_stderr(&format!("tag does not exist: {host}/busybox:nope\n"));
    // once the stream has begun, an error is its last message
    let unknown = daemon.http_with(
        "POST",
        &format!("/v1.41/images/{host}/nolocal/push?tag=latest"),
        &[NO_AUTH],
        b"",
    );
    assert_eq!(unknown.status, 200);
    insta::assert_snapshot!("push_error_stream", stream_shape(&unknown.body, &[host]));
    // without credentials in the header or the body: dockerd's 400; a bad name: its 500
    assert_eq!(
        error(&daemon.http(
            "POST",
            &format!("/v1.41/images/{host}/busybox/push?tag=latest"),
            None
        )),
        (400, "Bad parameters and missing X-Registry-Auth: EOF".into())
    );
    assert_eq!(
        error(&daemon.http_with("POST", "/v1.41/images/BAD/push?tag=x", &[NO_AUTH], b"")),
        (
            500,
            "invalid reference format: repository name must be lowercase".into()
        )
    );

    assert_eq!(
        store_listing(&env),
        before,
        "a failed pull or push changed the store"
    );
    assert_no_staging_left(&env);
    assert!(
        events_of(&daemon, "image", &[host])
            .iter()
            .all(|e| !e.starts_with("pull") && !e.starts_with("push")),
        "no pull or push event for a failure"
    );
}

#[test]
fn save_and_load_round_trip_through_the_daemon() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let dir = tempfile::tempdir().expect("a temp dir");
    let archive = dir.path().join("busybox.tar");
    let archive_arg = archive.to_str().expect("utf-8");

    // docker save -o busybox.tar busybox: nothing printed, a file of mode 0600 (the CLI's)
    daemon
        .docker(&["save", "-o", archive_arg, "busybox"])
        .assert_clean_success()
        .assert_stdout("");
    let saved = std::fs::read(&archive).expect("the archive");
    let entries: Vec<String> = tar::Archive::new(&saved[..])
        .entries()
        .expect("a tar")
        .map(|e| e.expect("an entry").path().expect("a path").display().to_string())
        .collect();
    assert!(entries.contains(&"manifest.json".to_owned()), "{entries:?}");

    // docker rmi busybox; docker load -i busybox.tar → Loaded image: busybox:latest
    daemon.docker(&["rmi", "busybox"]).assert_code(0);
    assert!(image_ids(&daemon).is_empty());
    daemon
        .docker(&["load", "-i", archive_arg])
        .assert_clean_success()
        .assert_stdout("Loaded image: busybox:latest\n");
    assert_eq!(image_ids(&daemon), [env.image_id()]);

    // docker save busybox | docker load → Loaded image: busybox:latest
    let config = dir.path().join("docker-cli");
    docker_pipeline(&daemon, &config, r#""$DOCKER" save busybox | "$DOCKER" load"#)
        .assert_clean_success()
        .assert_stdout("Loaded image: busybox:latest\n");

    // The tar over HTTP, by name and by id, is the same archive the CLI wrote.
    let by_name = daemon.http("GET", "/v1.41/images/busybox/get", None);
    assert_eq!(by_name.status, 200);
    assert_eq!(by_name.header("Content-Type"), Some("application/x-tar"));
    assert_eq!(by_name.bytes.len(), saved.len());
    let id = env.image_id().to_owned();
    let two = daemon.http(
        "GET",
        &format!("/v1.41/images/get?names=busybox&names={id}"),
        None,
    );
    assert_eq!(two.status, 200);
    assert!(
        tar::Archive::new(&two.bytes[..])
            .entries()
            .expect("a tar")
            .count()
            > 0
    );

    // dockerd's load stream: `Loading layer` progress unless quiet, then the names; an image
    // saved by id loads without one (`Loaded image ID: sha256:…`).
    daemon.docker(&["rmi", "busybox"]).assert_code(0);
    let tar_header = ("Content-Type", "application/x-tar");
    let loaded = daemon.http_with("POST", "/v1.41/images/load?quiet=0", &[tar_header], &saved);
    assert_eq!(loaded.status, 200);
    assert_eq!(loaded.header("Content-Type"), Some("application/json"));
    insta::assert_snapshot!("load_stream", stream_shape(&loaded.body, &[]));
    let by_id = daemon.http("GET", &format!("/v1.41/images/{id}/get"), None);
    daemon.docker(&["rmi", "busybox"]).assert_code(0);
    let unnamed = daemon.http_with("POST", "/v1.41/images/load?quiet=1", &[tar_header], &by_id.bytes);
    assert_eq!(
        unnamed.body,
        format!("{{\"stream\":\"Loaded image ID: {id}\\n\"}}\n")
    );

    // Docker: a save event per image saved, a load event per image loaded, by id.
    let events = events_of(&daemon, "image", &[]);
    let of = |action: &str| {
        events
            .iter()
            .filter(|e| e.starts_with(&format!("{action} ")))
            .count()
    };
    assert_eq!((of("save"), of("load")), (5, 4), "{events:#?}");
    assert!(
        events.contains(&"load sha256:<64-hex id> sha256:<64-hex id>".to_owned()),
        "{events:#?}"
    );
}

#[test]
fn save_and_load_errors_are_dockers_and_change_nothing() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let dir = tempfile::tempdir().expect("a temp dir");
    let before = store_listing(&env);

    // docker save nothere → Error response from daemon: No such image: nothere (no file made)
    let file = dir.path().join("out.tar");
    daemon
        .docker(&["save", "-o", file.to_str().expect("utf-8"), "nothere"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such image: nothere\n");
    assert!(!file.exists());
    // dockerd answers before streaming anything
    let get = |path: &str| error(&daemon.http("GET", path, None));
    assert_eq!(
        get("/v1.41/images/nothere/get"),
        (404, "No such image: nothere".into())
    );
    assert_eq!(
        get("/v1.41/images/get?names=busybox&names=nothere"),
        (404, "No such image: nothere".into())
    );
    assert_eq!(
        get("/v1.41/images/busybox:nope/get"),
        (404, "reference does not exist".into())
    );
    assert_eq!(get("/v1.41/images/BAD/get").0, 500);

    // docker load < garbage: the error, exit 1 (dockerd streams it: status 200)
    let garbage = b"this is not a tar archive at all".repeat(40);
    let out = daemon.docker_cmd(&["load"]).stdin(garbage.clone()).output();
    out.assert_code(1).assert_stdout("");
    assert!(out.stderr.starts_with("reading the archive into "), "{out}");
    let answer = daemon.http_with(
        "POST",
        "/v1.41/images/load",
        &[("Content-Type", "application/x-tar")],
        &garbage,
    );
    assert_eq!(answer.status, 200);
    let last: Value = serde_json::from_str(answer.body.lines().last().unwrap_or_default()).expect("JSON");
    assert_eq!(last["error"], last["errorDetail"]["message"], "{answer:?}");
    assert!(
        last["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("reading the archive into ")
    );

    // A hostile archive: an entry that climbs out of the directory it is unpacked in.
    let escape = tar_of(&[("../escaped", b"x")]);
    daemon
        .docker_cmd(&["load"])
        .stdin(escape)
        .output()
        .assert_code(1)
        .assert_stderr("archive entry \"../escaped\" is unsafe: absolute names and '..' are not allowed\n");
    assert!(!env.data_root().join("tmp/escaped").exists() && !env.data_root().join("escaped").exists());

    assert_eq!(
        store_listing(&env),
        before,
        "a failed save or load changed the store"
    );
    assert_no_staging_left(&env);
}

#[test]
fn import_from_stdin_a_file_and_http() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let rootfs = busybox_rootfs_tar();

    // docker import -c 'CMD ["sh"]' - flat:v1 < rootfs.tar
    //   sha256:add07f03…
    let out = daemon
        .docker_cmd(&["import", "-c", r#"CMD ["sh"]"#, "-", "flat:v1"])
        .stdin(rootfs)
        .output();
    out.assert_clean_success();
    let id = out.stdout.trim_end().to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{out}");
    daemon
        .docker(&["inspect", "-f", "{{json .Config.Cmd}} {{.Comment}}", "flat:v1"])
        .assert_clean_success()
        .assert_stdout("[\"sh\"] Imported from -\n");
    daemon
        .docker(&["run", "--rm", "flat:v1", "sh", "-c", "echo from the import"])
        .assert_clean_success()
        .assert_stdout("from the import\n");

    // docker import -m msg rootfs.tar.gz flat:gz (the CLI sends the file as it is)
    let dir = tempfile::tempdir().expect("a temp dir");
    let gz = dir.path().join("rootfs.tar.gz");
    std::fs::write(&gz, gzipped(rootfs)).expect("writing the gzipped rootfs");
    daemon
        .docker(&["import", "-m", "msg", gz.to_str().expect("utf-8"), "flat:gz"])
        .assert_clean_success();
    daemon
        .docker(&["history", "--format", "{{.Comment}}", "flat:gz"])
        .assert_clean_success()
        .assert_stdout("msg\n");

    // dockerd's answer: one message, the id
    let answer = daemon.http_with(
        "POST",
        "/v1.41/images/create?fromSrc=-&repo=flat&tag=v2&changes=ENV%20A%3D1",
        &[("Content-Type", "application/x-tar")],
        rootfs,
    );
    assert_eq!(answer.status, 200, "{answer:?}");
    insta::assert_snapshot!("import_stream", stream_shape(&answer.body, &[]));
    assert_eq!(
        image_names(&daemon),
        ["busybox:latest", "flat:gz", "flat:v1", "flat:v2"]
    );

    // Refusals, before the body is read: a bad change (400), a bad tar (500)
    let before = store_listing(&env);
    let refused = daemon.http_with(
        "POST",
        "/v1.41/images/create?fromSrc=-&repo=bad&changes=BOGUS%20x",
        &[("Content-Type", "application/x-tar")],
        rootfs,
    );
    assert_eq!(
        error(&refused),
        (400, "bogus is not a valid change command".into())
    );
    // docker import - bad:x < garbage → Error response from daemon: …, exit 1
    let out = daemon
        .docker_cmd(&["import", "-", "bad:x"])
        .stdin(b"this is not a tar archive at all".repeat(40))
        .output();
    out.assert_code(1).assert_stdout("");
    assert!(out.stderr.starts_with("Error response from daemon: "), "{out}");
    assert_eq!(store_listing(&env), before, "a refused import changed the store");
    assert_no_staging_left(&env);

    // Docker: `tag` (the name as given) then `import` (the id) for each named import.
    insta::assert_snapshot!("import_events", events_of(&daemon, "image", &[]).join("\n"));
}

#[test]
fn commit_through_the_daemon() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);

    // docker run --name greeter-src busybox sh -c 'echo hi > /greeting'
    // docker commit -c 'CMD ["cat","/greeting"]' -m 'a greeting' -a me greeter-src greeter:v1
    //   sha256:5d2f7a71…
    daemon
        .docker(&[
            "run",
            "--name",
            "greeter-src",
            "busybox",
            "sh",
            "-c",
            "echo hi > /greeting",
        ])
        .assert_clean_success();
    let out = daemon.docker(&[
        "commit",
        "-c",
        r#"CMD ["cat","/greeting"]"#,
        "-m",
        "a greeting",
        "-a",
        "me",
        "greeter-src",
        "greeter:v1",
    ]);
    out.assert_clean_success();
    let id = out.stdout.trim_end().to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{out}");
    daemon
        .docker(&["run", "--rm", "greeter:v1"])
        .assert_clean_success()
        .assert_stdout("hi\n");
    daemon
        .docker(&["inspect", "-f", "{{.Author}} {{json .Config.Cmd}}", "greeter:v1"])
        .assert_clean_success()
        .assert_stdout("me [\"cat\",\"/greeting\"]\n");

    // dockerd's answer: 201 {"Id": …}; a config in the body is what the changes apply to
    let answer = daemon.http(
        "POST",
        "/v1.41/commit?container=greeter-src&repo=overlaid&changes=ENV%20B%3D2",
        Some(r#"{"Env":["A=1"],"Labels":{"k":"v"}}"#),
    );
    assert_eq!(answer.status, 201, "{answer:?}");
    let created: Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(
        created.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["Id".to_owned()])
    );
    daemon
        .docker(&[
            "inspect",
            "-f",
            "{{json .Config.Env}} {{json .Config.Labels}}",
            "overlaid:latest",
        ])
        .assert_clean_success()
        .assert_stdout("[\"A=1\",\"B=2\"] {\"k\":\"v\"}\n");

    // A running container is paused for the commit and runs on after it.
    daemon
        .docker(&["run", "-d", "--name", "runner", "busybox", "sleep", "600"])
        .assert_clean_success();
    daemon
        .docker(&["commit", "runner", "snapshot"])
        .assert_clean_success();
    daemon
        .docker(&["inspect", "-f", "{{.State.Status}}", "runner"])
        .assert_clean_success()
        .assert_stdout("running\n");
    daemon.docker(&["rm", "-f", "runner"]).assert_code(0);

    // docker commit nothere x → Error response from daemon: No such container: nothere
    let images = image_ids(&daemon);
    daemon
        .docker(&["commit", "nothere", "x"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nothere\n");
    let commit = |query: &str| error(&daemon.http("POST", &format!("/v1.41/commit?{query}"), None));
    assert_eq!(
        commit("container=nothere"),
        (404, "No such container: nothere".into())
    );
    assert_eq!(
        commit("container="),
        (400, r#"invalid name or ID supplied: """#.into())
    );
    assert_eq!(
        commit("container=greeter-src&repo=BAD"),
        (
            500,
            "invalid reference format: repository name must be lowercase".into()
        )
    );
    assert_eq!(
        commit("container=greeter-src&changes=BOGUS"),
        (400, "bogus is not a valid change command".into())
    );
    assert_eq!(image_ids(&daemon), images, "a refused commit made an image");

    // Docker's commit event is the container's: comment, imageID, imageRef (the name as
    // given), with a tag event before it; pause and unpause around a running one.
    let events: Vec<String> = events(&daemon)
        .into_iter()
        .filter(|(kind, action, ..)| {
            kind == "image" || ["commit", "pause", "unpause"].contains(&action.as_str())
        })
        .map(|(kind, action, id, name)| redact_ids(&format!("{kind} {action} {id} {name}")))
        .collect();
    insta::assert_snapshot!("commit_events", events.join("\n"));
    let first_commit = all_events(&daemon)
        .into_iter()
        .find(|e| e["Action"] == "commit")
        .expect("a commit event");
    let attributes = &first_commit["Actor"]["Attributes"];
    assert_eq!(attributes["comment"], "a greeting");
    assert_eq!(attributes["imageID"], id.as_str());
    assert_eq!(attributes["imageRef"], "greeter:v1");
    assert_eq!(attributes["name"], "greeter-src");
    assert_eq!(attributes["image"], "busybox");
}
