//! `pull`, `push` and the pull `run` does, against a real registry (Debian's `docker-registry`,
//! distribution 2.8, on a free port of 127.0.0.1) and against a tiny scripted one serving what
//! a good registry never would. Docker's output for the same steps (Docker 20.10.24, CLI 28.2.2,
//! piped: one line per status, no progress bars) is quoted in the comments; the snapshots keep
//! minidocker's, with the port, digests, layer ids and sizes redacted.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use minidocker_e2e::image::busybox_rootfs_tar;
use minidocker_e2e::process::Output;
use minidocker_e2e::registry::{Registry, free_port, redact};
use minidocker_e2e::store::{assert_no_staging_left, store_listing};
use minidocker_e2e::{TestEnv, TestNet, root_test};

/// A tiny HTTP server on 127.0.0.1 serving fixed bodies by path (one request per connection),
/// for images a real registry would refuse to store. Stopped on drop.
struct TinyRegistry {
    net: TestNet,
    host: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TinyRegistry {
    /// `routes`: path → (content type, body). `/v2/` answers `{}`; anything else is a 404 with
    /// a registry error body.
    fn start(net: &TestNet, routes: BTreeMap<String, (String, Vec<u8>)>) -> TinyRegistry {
        let listener = net
            .run(|| TcpListener::bind("127.0.0.1:0"))
            .expect("binding the tiny registry");
        let host = listener.local_addr().expect("its address").to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let _ = answer(stream, &routes);
                }
            }
        });
        TinyRegistry {
            net: net.clone(),
            host,
            stop,
            thread: Some(thread),
        }
    }
}

fn answer(stream: TcpStream, routes: &BTreeMap<String, (String, Vec<u8>)>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let mut parts = request.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (status, content_type, body) = match (path, routes.get(path)) {
        ("/v2/", _) => ("200 OK", "application/json", b"{}".to_vec()),
        (_, Some((content_type, body))) => ("200 OK", content_type.as_str(), body.clone()),
        _ => (
            "404 Not Found",
            "application/json",
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#.to_vec(),
        ),
    };
    let mut out = stream;
    write!(
        out,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        out.write_all(&body)?;
    }
    out.flush()
}

impl Drop for TinyRegistry {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.net.run(|| TcpStream::connect(&self.host)); // wake the accept loop
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `sha256:<hex>` of `bytes`, by coreutils' sha256sum (the harness has no hashing crate).
fn sha256(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("running sha256sum");
    let mut stdin = child.stdin.take().expect("its stdin");
    let data = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let mut out = String::new();
    child
        .stdout
        .take()
        .expect("its stdout")
        .read_to_string(&mut out)
        .expect("reading sha256sum");
    let _ = writer.join();
    assert!(child.wait().expect("sha256sum").success());
    format!("sha256:{}", &out[..64])
}

/// `repositories.json` of `env` as JSON.
fn repositories(env: &TestEnv) -> serde_json::Value {
    let path = env.data_root().join("image/overlay2/repositories.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// The image `name` in `env` (`127.0.0.1:PORT/busybox:latest`) names, per `repositories.json`.
fn image_named(env: &TestEnv, repository: &str, name: &str) -> Option<String> {
    repositories(env)["Repositories"][repository][name]
        .as_str()
        .map(str::to_owned)
}

/// Gives the image `busybox` a second name in `env`, as `minidocker tag` does.
#[track_caller]
fn tag(env: &TestEnv, target: &str) {
    env.minidocker(&["tag", "busybox", target]).assert_clean_success();
}

/// The `sha256:…` in `<tag>: digest: sha256:… size: N`, the last line of a push.
#[track_caller]
fn pushed_digest(out: &Output) -> String {
    let last = out.stdout.lines().last().unwrap_or_default();
    let digest = last
        .split_once(": digest: ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no digest line:\n{out}"));
    digest.to_owned()
}

#[test]
fn push_then_pull_by_tag_and_by_digest_and_run_pulls_what_it_lacks() {
    root_test!();
    let net = TestNet::new();
    let registry = Registry::start(&net);
    let host = registry.host.as_str();
    let repo = format!("{host}/busybox");
    let env = TestEnv::new_in(&net);
    tag(&env, &format!("{repo}:latest"));

    // docker push 127.0.0.1:5055/busybox
    //   Using default tag: latest
    //   The push refers to repository [127.0.0.1:5055/busybox]
    //   d33fb084782a: Preparing
    //   d33fb084782a: Pushed
    //   latest: digest: sha256:9fa7ec22… size: 527
    let push = env.minidocker(&["push", &repo]);
    push.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("push", redact(&push, &[host]));
    let digest = pushed_digest(&push);
    // pushing records the digest the registry knows the image by
    assert_eq!(
        image_named(&env, &repo, &format!("{repo}@{digest}")).as_deref(),
        Some(env.image_id())
    );

    // again: the layer is known (v2metadata) and the registry has it: `Layer already exists`
    let again = env.minidocker(&["push", &format!("{repo}:latest")]);
    again.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("push_again", redact(&again, &[host]));
    assert_eq!(pushed_digest(&again), digest, "the same manifest");
    env.minidocker(&["push", "-q", &repo])
        .assert_clean_success()
        .assert_stdout(&format!("{repo}:latest\n"));

    // Another image on the same layer, in another repository: the layer is mounted, not sent.
    // Docker: `d33fb084782a: Mounted from busybox`.
    let copy = format!("{host}/copy:v1");
    env.cmd(&["import", "-m", "another config, the same layer", "-", &copy])
        .stdin(busybox_rootfs_tar())
        .output()
        .assert_code(0);
    let mounted = env.minidocker(&["push", &copy]);
    mounted.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("push_mounted", redact(&mounted, &[host]));

    // rmi the name, pull it back: the image (its config) is still here as busybox, so no
    // layer moves, but the name is new. Docker prints exactly these lines in that case.
    env.minidocker(&["rmi", &repo]).assert_code(0);
    assert_eq!(image_named(&env, &repo, &format!("{repo}:latest")), None);
    env.minidocker(&["pull", &repo])
        .assert_clean_success()
        .assert_stdout(&format!(
            "Using default tag: latest\nlatest: Pulling from busybox\nDigest: {digest}\n\
             Status: Downloaded newer image for {repo}:latest\n{repo}:latest\n"
        ));
    assert_eq!(
        image_named(&env, &repo, &format!("{repo}:latest")).as_deref(),
        Some(env.image_id())
    );

    // docker pull 127.0.0.1:5055/busybox (into a data root that has nothing)
    //   Using default tag: latest
    //   latest: Pulling from busybox
    //   f5384d18de9e: Pulling fs layer
    //   f5384d18de9e: Verifying Checksum
    //   f5384d18de9e: Download complete
    //   f5384d18de9e: Pull complete
    //   Digest: sha256:9fa7ec22…
    //   Status: Downloaded newer image for 127.0.0.1:5055/busybox:latest
    //   127.0.0.1:5055/busybox:latest
    let fresh = TestEnv::empty_in(&net);
    let pull = fresh.minidocker(&["pull", &repo]);
    pull.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("pull", redact(&pull, &[host]));
    assert!(pull.stdout.contains(&format!("Digest: {digest}\n")), "{pull}");
    // the same image (config, hence id) as pushed, by tag and by digest, with its metadata
    assert_eq!(
        image_named(&fresh, &repo, &format!("{repo}:latest")).as_deref(),
        Some(env.image_id())
    );
    assert_eq!(
        image_named(&fresh, &repo, &format!("{repo}@{digest}")).as_deref(),
        Some(env.image_id())
    );
    let images = fresh.data_root().join("image/overlay2");
    let id_hex = env.image_id().trim_start_matches("sha256:");
    assert!(
        images
            .join("imagedb/metadata/sha256")
            .join(id_hex)
            .join("lastUpdated")
            .is_file()
    );
    for kind in ["diffid-by-digest", "v2metadata-by-diffid"] {
        let entries = std::fs::read_dir(images.join("distribution").join(kind).join("sha256"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(entries, 1, "distribution/{kind}");
    }
    assert_no_staging_left(&fresh);

    // Docker: `Status: Image is up to date for 127.0.0.1:5055/busybox:latest`, no layer lines
    let up_to_date = fresh.minidocker(&["pull", &repo]);
    up_to_date.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("pull_up_to_date", redact(&up_to_date, &[host]));

    // The other image shares the layer this data root now has: `Already exists`.
    let shared = fresh.minidocker(&["pull", &copy]);
    shared.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("pull_already_exists", redact(&shared, &[host]));

    // By digest: `127.0.0.1:5055/busybox@sha256:…: Pulling from busybox`, up to date here
    let by_digest = format!("{repo}@{digest}");
    let pinned = fresh.minidocker(&["pull", &by_digest]);
    pinned.assert_code(0).assert_stderr("").assert_stdout(&format!(
        "{by_digest}: Pulling from busybox\nDigest: {digest}\nStatus: Image is up to date for {by_digest}\n{by_digest}\n"
    ));
    fresh
        .minidocker(&["pull", "-q", &repo])
        .assert_clean_success()
        .assert_stdout(&format!("{repo}:latest\n"));
    // -a: every tag of the repository, then one status for the repository
    fresh
        .minidocker(&["pull", "-a", &repo])
        .assert_clean_success()
        .assert_stdout(&format!(
            "latest: Pulling from busybox\nDigest: {digest}\nStatus: Image is up to date for {repo}\n{repo}\n"
        ));

    // By digest into a data root without it: downloaded, named by the digest only.
    let other = TestEnv::empty_in(&net);
    let pinned = other.minidocker(&["pull", &by_digest]);
    pinned.assert_code(0).assert_stderr("");
    assert!(
        pinned.stdout.ends_with(&format!(
            "Status: Downloaded newer image for {by_digest}\n{by_digest}\n"
        )),
        "{pinned}"
    );
    assert_eq!(image_named(&other, &repo, &format!("{repo}:latest")), None);

    // docker run --rm 127.0.0.1:5055/busybox echo ok, without the image: on stderr
    //   Unable to find image '127.0.0.1:5055/busybox:latest' locally
    //   latest: Pulling from busybox
    //   … the layer lines …
    //   Digest: sha256:9fa7ec22…
    //   Status: Downloaded newer image for 127.0.0.1:5055/busybox:latest
    // then the container's output on stdout.
    let runner = TestEnv::empty_in(&net);
    let run = runner.run(&["--rm", &repo, "echo", "ok"]);
    run.assert_code(0).assert_stdout("ok\n");
    insta::assert_snapshot!("run_pulls_the_image", redact(&run, &[host]));
    assert!(runner.container_ids().is_empty(), "--rm left a container");
    // now it is there: no pull
    runner
        .run(&["--rm", &repo, "echo", "again"])
        .assert_clean_success()
        .assert_stdout("again\n");
    // --pull=always pulls anyway (without `Unable to find image`); -q hides the pull
    let always = runner.run(&["--rm", "--pull=always", &repo, "true"]);
    always.assert_code(0).assert_stderr(&format!(
        "latest: Pulling from busybox\nDigest: {digest}\nStatus: Image is up to date for {repo}:latest\n"
    ));
    let quiet = TestEnv::empty_in(&net);
    quiet
        .run(&["--rm", "-q", &repo, "echo", "quiet"])
        .assert_clean_success()
        .assert_stdout("quiet\n");
}

#[test]
fn failed_pulls_say_why_like_docker_and_leave_the_store_as_it_was() {
    root_test!();
    let net = TestNet::new();
    let registry = Registry::start(&net);
    let host = registry.host.as_str();
    let repo = format!("{host}/busybox");
    let pusher = TestEnv::new_in(&net);
    tag(&pusher, &format!("{repo}:latest"));
    pusher.minidocker(&["push", &repo]).assert_code(0);

    let env = TestEnv::new_in(&net);
    let before = store_listing(&env);

    // docker pull 127.0.0.1:5055/nope → exit 1, `Using default tag: latest` on stdout, then
    // Error response from daemon: manifest for 127.0.0.1:5055/nope:latest not found: manifest unknown: manifest unknown
    env.minidocker(&["pull", &format!("{host}/nope")])
        .assert_code(1)
        .assert_stdout("Using default tag: latest\n")
        .assert_stderr(&format!(
            "Error response from daemon: manifest for {host}/nope:latest not found: manifest unknown: manifest unknown\n"
        ));
    env.minidocker(&["pull", &format!("{repo}:nope")])
        .assert_code(1)
        .assert_stdout("")
        .assert_stderr(&format!(
            "Error response from daemon: manifest for {repo}:nope not found: manifest unknown: manifest unknown\n"
        ));

    // Error response from daemon: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused
    let dead = format!("127.0.0.1:{}", free_port(&net));
    env.minidocker(&["pull", &format!("{dead}/busybox:latest")])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: Get \"http://{dead}/v2/\": dial tcp {dead}: connect: connection refused\n"
        ));

    // docker run --rm 127.0.0.1:5055/nope true → 125
    //   Unable to find image '127.0.0.1:5055/nope:latest' locally
    //   docker: Error response from daemon: manifest for 127.0.0.1:5055/nope:latest not found: manifest unknown: manifest unknown
    //
    //   Run 'docker run --help' for more information
    env.run(&["--rm", &format!("{host}/nope"), "true"])
        .assert_code(125)
        .assert_stdout("")
        .assert_stderr(&format!(
            "Unable to find image '{host}/nope:latest' locally\nminidocker: Error response from daemon: manifest for {host}/nope:latest not found: manifest unknown: manifest unknown\n\nRun 'minidocker run --help' for more information\n"
        ));

    // A registry serving a corrupted layer blob. Docker:
    //   stdout: Using default tag: latest / latest: Pulling from tamper /
    //           b903a7fc2466: Pulling fs layer / b903a7fc2466: Verifying Checksum
    //   stderr: filesystem layer verification failed for digest sha256:b903a7fc…
    let (layer_blob, tampered) = tamper_layer_blob(&registry);
    let pull = env.minidocker(&["pull", &repo]);
    pull.assert_code(1).assert_stderr(&format!(
        "filesystem layer verification failed for digest {layer_blob}\n"
    ));
    insta::assert_snapshot!("pull_tampered_layer", redact(&pull, &[host]));
    assert!(tampered.exists());

    // docker run: the same, after `Unable to find image`, as `docker: <message>` + the trailer
    let run = env.run(&["--rm", &repo, "true"]);
    run.assert_code(125).assert_stdout("");
    assert!(
        run.stderr.ends_with(&format!(
            "minidocker: filesystem layer verification failed for digest {layer_blob}\n\nRun 'minidocker run --help' for more information\n"
        )),
        "{run}"
    );
    insta::assert_snapshot!("run_tampered_layer", redact(&run, &[host]));

    assert_eq!(store_listing(&env), before, "a failed pull changed the store");
    assert_no_staging_left(&env);
    assert!(env.container_ids().is_empty());
}

/// Flip a byte near the end of the registry's copy of the image's layer blob (the gzipped one);
/// returns its digest and file.
#[track_caller]
fn tamper_layer_blob(registry: &Registry) -> (String, PathBuf) {
    let blobs = registry.blobs_dir();
    for prefix in std::fs::read_dir(&blobs).expect("the registry's blobs").flatten() {
        for blob in std::fs::read_dir(prefix.path()).expect("a blob dir").flatten() {
            let hex = blob.file_name().to_string_lossy().into_owned();
            let file = registry.blob_file(&format!("sha256:{hex}"));
            let mut bytes = std::fs::read(&file).expect("a blob");
            if bytes.starts_with(&[0x1f, 0x8b]) && bytes.len() > 40 {
                let at = bytes.len() - 20;
                bytes[at] ^= 0xff;
                std::fs::write(&file, &bytes).expect("tampering");
                return (format!("sha256:{hex}"), file);
            }
        }
    }
    panic!("no gzipped layer blob in {}", blobs.display());
}

/// An uncompressed layer tar holding `files` (mode 0644, fixed times).
fn layer_tar(files: &[(&str, &str)]) -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(content.len() as u64);
        header.set_mtime(1_700_000_000);
        tar.append_data(&mut header, name, content.as_bytes())
            .expect("a tar entry");
    }
    tar.into_inner().expect("a layer tar")
}

/// The platform the engine pulls for: Go's name for this machine's architecture.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// Serve, under `name:latest`, an OCI index (with an entry for another platform first) → an
/// OCI manifest → a config listing `diff_ids` and uncompressed `layers`.
fn serve_image(
    routes: &mut BTreeMap<String, (String, Vec<u8>)>,
    name: &str,
    layers: &[Vec<u8>],
    diff_ids: &[String],
) {
    let config = serde_json::json!({
        "architecture": go_arch(),
        "os": "linux",
        "created": "2024-05-06T07:08:09.123456789Z",
        "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": diff_ids.iter().map(|_| serde_json::json!({"created_by": "test layer"})).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    let descriptor = |media_type: &str, bytes: &[u8]| serde_json::json!({"mediaType": media_type, "digest": sha256(bytes), "size": bytes.len()});
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": layers.iter().map(|l| descriptor("application/vnd.oci.image.layer.v1.tar", l)).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes();
    let mut elsewhere = descriptor("application/vnd.oci.image.manifest.v1+json", b"not served");
    elsewhere["platform"] = serde_json::json!({"os": "linux", "architecture": "s390x"});
    let mut here = descriptor("application/vnd.oci.image.manifest.v1+json", &manifest);
    here["platform"] = serde_json::json!({"os": "linux", "architecture": go_arch()});
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [elsewhere, here],
    })
    .to_string()
    .into_bytes();
    let oci = |t: &str| format!("application/vnd.oci.image.{t}.v1+json");
    let mut serve = |path: String, content_type: String, body: Vec<u8>| {
        routes.insert(path, (content_type, body));
    };
    serve(format!("/v2/{name}/manifests/latest"), oci("index"), index);
    serve(
        format!("/v2/{name}/manifests/{}", sha256(&manifest)),
        oci("manifest"),
        manifest,
    );
    serve(
        format!("/v2/{name}/blobs/{}", sha256(&config)),
        "application/octet-stream".into(),
        config,
    );
    for layer in layers {
        serve(
            format!("/v2/{name}/blobs/{}", sha256(layer)),
            "application/octet-stream".into(),
            layer.clone(),
        );
    }
}

#[test]
fn multi_platform_layered_images_and_a_layer_that_is_not_what_the_config_says() {
    root_test!();
    let base = busybox_rootfs_tar().to_vec();
    let top = layer_tar(&[("two.txt", "two\n")]);
    let other = layer_tar(&[("two.txt", "not what the config says\n")]);
    let mut routes = BTreeMap::new();
    serve_image(
        &mut routes,
        "layered",
        &[base.clone(), top.clone()],
        &[sha256(&base), sha256(&top)],
    );
    serve_image(
        &mut routes,
        "mismatch",
        &[base.clone(), other],
        &[sha256(&base), sha256(&top)],
    );
    let many: Vec<Vec<u8>> = (1..=5)
        .map(|n| layer_tar(&[(&format!("layer{n}"), &format!("{n}\n"))]))
        .collect();
    let many_ids: Vec<String> = many.iter().map(|l| sha256(l)).collect();
    serve_image(&mut routes, "many", &many, &many_ids);
    // A layer that is what the config says, byte for byte, but no valid tar (no owner fields).
    let mut broken = layer_tar(&[("fine.txt", "fine\n")]);
    broken[108..124].fill(0);
    let header_sum: u32 = broken[..512]
        .iter()
        .enumerate()
        .map(|(i, b)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(*b)
            }
        })
        .sum();
    broken[148..156].copy_from_slice(format!("{header_sum:06o}\0 ").as_bytes());
    serve_image(
        &mut routes,
        "broken",
        &[base.clone(), broken.clone()],
        &[sha256(&base), sha256(&broken)],
    );
    let net = TestNet::new();
    let server = TinyRegistry::start(&net, routes);
    let host = server.host.as_str();

    // An index → the linux/<arch> manifest → two uncompressed layers, stacked in order.
    let env = TestEnv::empty_in(&net);
    let pull = env.minidocker(&["pull", &format!("{host}/layered")]);
    pull.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("pull_two_layers_from_an_index", redact(&pull, &[host]));
    env.run(&[
        "--rm",
        &format!("{host}/layered"),
        "cat",
        "/two.txt",
        "/etc/group",
    ])
    .assert_clean_success()
    .assert_stdout(&format!("two\n{}", minidocker_e2e::image::GROUP));

    // Five layers: Docker fetches three at a time, the fourth and fifth say `Waiting` first.
    let five = env.minidocker(&["pull", &format!("{host}/many")]);
    five.assert_code(0).assert_stderr("");
    insta::assert_snapshot!("pull_five_layers", redact(&five, &[host]));
    let layers = std::fs::read_dir(env.data_root().join("image/overlay2/layerdb/sha256"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(layers, 2 + 5, "the layers of both images");

    // The second layer unpacks to another diff id than the config lists: Docker's
    // `layers from manifest don't match image configuration`, and the first layer, registered
    // by this pull, is removed again.
    let fresh = TestEnv::empty_in(&net);
    // (this first pull makes the empty store's directories, and fails before it has anything)
    fresh
        .minidocker(&["pull", &format!("{host}/nope")])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: manifest for {host}/nope:latest not found: manifest unknown: manifest unknown\n"
        ));
    let before = store_listing(&fresh);
    let bad = fresh.minidocker(&["pull", &format!("{host}/mismatch")]);
    bad.assert_code(1)
        .assert_stderr("layers from manifest don't match image configuration\n");
    insta::assert_snapshot!("pull_layer_not_matching_the_config", redact(&bad, &[host]));
    assert_eq!(store_listing(&fresh), before, "a failed pull changed the store");
    assert_no_staging_left(&fresh);

    // A layer that cannot be unpacked: chapter 4's error, and again nothing left.
    let bad = fresh.minidocker(&["pull", &format!("{host}/broken")]);
    bad.assert_code(1);
    assert!(bad.stderr.contains("fine.txt"), "{bad}");
    assert_eq!(store_listing(&fresh), before, "a failed pull changed the store");
    assert_no_staging_left(&fresh);
}

#[test]
fn usage_and_local_errors_of_pull_and_push() {
    root_test!();
    let net = TestNet::new();
    let env = TestEnv::new_in(&net);
    for (cmd, usage) in [
        ("pull", "minidocker pull [OPTIONS] NAME[:TAG|@DIGEST]"),
        ("push", "minidocker push [OPTIONS] NAME[:TAG]"),
        ("image pull", "minidocker image pull [OPTIONS] NAME[:TAG|@DIGEST]"),
        ("image push", "minidocker image push [OPTIONS] NAME[:TAG]"),
    ] {
        let expected = format!(
            "minidocker: 'minidocker {cmd}' requires 1 argument\n\nUsage:  {usage}\n\nRun 'minidocker {cmd} --help' for more information\n"
        );
        let cmd: Vec<&str> = cmd.split(' ').collect();
        let with = |args: &[&'static str]| -> Vec<&str> { cmd.iter().chain(args).copied().collect() };
        env.minidocker(&cmd).assert_code(1).assert_stderr(&expected);
        env.minidocker(&with(&["a", "b"]))
            .assert_code(1)
            .assert_stderr(&expected);
        env.minidocker(&with(&["BAD"]))
            .assert_code(1)
            .assert_stdout("")
            .assert_stderr("invalid reference format: repository name (library/BAD) must be lowercase\n");
        env.minidocker(&with(&["-a", "busybox:latest"]))
            .assert_code(1)
            .assert_stderr("tag can't be used with --all-tags/-a\n");
    }

    // docker push 127.0.0.1:5055/nothere → exit 1
    //   stdout: Using default tag: latest / The push refers to repository [127.0.0.1:5055/nothere]
    //   stderr: An image does not exist locally with the tag: 127.0.0.1:5055/nothere
    let dead = format!("127.0.0.1:{}", free_port(&net));
    env.minidocker(&["push", &format!("{dead}/nothere")])
        .assert_code(1)
        .assert_stdout(&format!(
            "Using default tag: latest\nThe push refers to repository [{dead}/nothere]\n"
        ))
        .assert_stderr(&format!(
            "An image does not exist locally with the tag: {dead}/nothere\n"
        ));
    // docker push busybox:nothere: `tag does not exist: busybox:nothere`
    env.minidocker(&["push", "busybox:nothere"])
        .assert_code(1)
        .assert_stdout("The push refers to repository [docker.io/library/busybox]\n")
        .assert_stderr("tag does not exist: busybox:nothere\n");
    // A registry that is down, after the first line:
    //   Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused
    tag(&env, &format!("{dead}/bb"));
    env.minidocker(&["push", &format!("{dead}/bb")])
        .assert_code(1)
        .assert_stdout(&format!(
            "Using default tag: latest\nThe push refers to repository [{dead}/bb]\n"
        ))
        .assert_stderr(&format!(
            "Get \"http://{dead}/v2/\": dial tcp {dead}: connect: connection refused\n"
        ));

    // docker run --pull=bogus: `docker: invalid pull option: 'bogus': must be one of "always", "missing" or "never"`
    env.run(&["--pull=bogus", "--rm", "busybox", "true"])
        .assert_code(125)
        .assert_stderr(
            "minidocker: invalid pull option: 'bogus': must be one of \"always\", \"missing\" or \"never\"\n\nRun 'minidocker run --help' for more information\n",
        );

    // Docker Hub cannot be reached from here: a clean network error, quickly, nothing left.
    let before = store_listing(&env);
    let started = Instant::now();
    let hub = env
        .cmd(&["pull", "alpine:3.19"])
        .timeout(Duration::from_secs(90))
        .output();
    hub.assert_code(1).assert_stdout("");
    assert!(
        hub.stderr
            .starts_with("Error response from daemon: Get \"https://registry-1.docker.io/v2/\": ")
            || hub
                .stderr
                .starts_with("Error response from daemon: https://registry-1.docker.io/v2/ "),
        "{hub}"
    );
    assert!(started.elapsed() < Duration::from_secs(75), "{hub}");
    assert_eq!(store_listing(&env), before);
}
