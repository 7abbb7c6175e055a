//! The image, container-list and disk-usage endpoints of the Remote API: the real Docker CLI
//! (28.2.2) against `minidocker daemon` runs `images`, `image inspect`, `history`, `tag`, `rmi`,
//! `image prune`, `ps` and `system df`, and raw HTTP checks Docker's status codes and JSON keys.
//! Docker's answers quoted here come from the Docker 20.10 oracle with the same CLI; where the
//! minidocker CLI already prints what Docker prints (the images, ps and system_df tests), the
//! Docker CLI through the API must print the same.
//!
//! The daemon cannot run containers yet: they are made beforehand with `minidocker run`.

use std::time::Duration;

use serde_json::{Value, json};

use minidocker_e2e::text::redact_ids;
use minidocker_e2e::{Output, Spawned, TestDaemon, TestEnv, root_test};

/// The 12-hex short form of `sha256:<64 hex>` or of a bare 64-hex id.
fn short(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..12]
}

/// The JSON of an answer's body.
#[track_caller]
fn body(answer: &minidocker_e2e::daemon::HttpAnswer) -> Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {answer:?}"))
}

/// The keys of a JSON object, sorted.
fn keys(v: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = v
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

/// An error answer: its status and message.
#[track_caller]
fn error(answer: &minidocker_e2e::daemon::HttpAnswer) -> (u16, String) {
    let v = body(answer);
    assert_eq!(keys(&v), ["message"], "{answer:?}");
    (
        answer.status,
        v["message"].as_str().unwrap_or_default().to_owned(),
    )
}

/// `{"name": {"value": true}}`, URL-encoded, as clients send `filters`.
fn filters(name: &str, value: &str) -> String {
    let json = json!({ name: { value: true } }).to_string();
    json.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The cells of a table row (columns are at least two spaces apart; `5 seconds ago` has single
/// spaces only).
fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

/// The lines of `text`, sorted.
fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

/// The busybox image's size as `images` prints it in `field`: `Size` (`1.98MB`) or
/// `VirtualSize` (`1.984MB`).
fn busybox_size(env: &TestEnv, field: &str) -> String {
    env.minidocker(&["images", "--format", &format!("{{{{.{field}}}}}"), "busybox"])
        .stdout
        .trim()
        .to_owned()
}

/// A stopped container `first` that wrote 6 bytes (`hello\n` in `/f`) and a dangling image
/// committed from it; returns the dangling image's id.
#[track_caller]
fn first_container_and_a_dangling_image(env: &TestEnv) -> String {
    env.run(&["--name", "first", "busybox", "sh", "-c", "echo hello > /f"])
        .assert_code(0);
    let commit = env.minidocker(&["commit", "first"]);
    commit.assert_clean_success();
    commit.stdout.trim().to_owned()
}

#[test]
fn the_docker_cli_lists_tags_and_inspects_images() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let busybox = env.image_id().to_owned();
    daemon
        .docker(&["tag", "busybox", "dapi/a:1"])
        .assert_clean_success()
        .assert_stdout("");
    std::thread::sleep(Duration::from_millis(20));
    let dangling = first_container_and_a_dangling_image(&env);

    // REPOSITORY   TAG       IMAGE ID       CREATED          SIZE
    // <none>       <none>    3c5b0e8e1d1a   1 second ago     1.98MB
    // dapi/a       1         75ade9a9948b   16 minutes ago   1.98MB
    // busybox      latest    75ade9a9948b   16 minutes ago   1.98MB
    let images = daemon.docker(&["images"]);
    images.assert_clean_success();
    let lines: Vec<&str> = images.stdout.lines().collect();
    assert!(
        lines[0].starts_with("REPOSITORY   TAG       IMAGE ID       CREATED ")
            && lines[0].ends_with("   SIZE"),
        "{images}"
    );
    let mut rows: Vec<Vec<&str>> = lines[1..].iter().map(|l| cells(l)).collect();
    let size = busybox_size(&env, "Size");
    assert_eq!(rows.len(), 3, "{images}");
    assert_eq!(rows[0][..3], ["<none>", "<none>", short(&dangling)], "{images}");
    assert!(rows[1][3].ends_with(" ago") && rows[1][4] == size, "{images}");
    // the docker CLI orders the repositories of one image as a Go map iterates: at random
    rows[1..].sort();
    assert_eq!(rows[1][..3], ["busybox", "latest", short(&busybox)], "{images}");
    assert_eq!(rows[2][..3], ["dapi/a", "1", short(&busybox)], "{images}");
    // the same rows as the minidocker CLI prints (checked against Docker in the images tests)
    let table = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Size}}\t{{.Digest}}";
    assert_eq!(
        sorted_lines(&daemon.docker(&["images", "--format", table]).stdout),
        sorted_lines(&env.minidocker(&["images", "--format", table]).stdout)
    );
    // -q keeps a line per row, duplicates included
    daemon.docker(&["images", "-q"]).assert_stdout(&format!(
        "{}\n{}\n{}\n",
        short(&dangling),
        short(&busybox),
        short(&busybox)
    ));
    let named = daemon.docker(&[
        "images",
        "--format",
        "{{.Repository}}:{{.Tag}}",
        "-f",
        "dangling=false",
    ]);
    assert_eq!(
        sorted_lines(&named.stdout),
        ["busybox:latest", "dapi/a:1"],
        "{named}"
    );
    daemon
        .docker(&["images", "-q", "-f", "dangling=true"])
        .assert_stdout(&format!("{}\n", short(&dangling)));
    daemon
        .docker(&["images", "--format", "{{.Tag}}", "dapi/*"])
        .assert_stdout("1\n");
    // Docker: Error response from daemon: Invalid filter 'dangling=[maybe]'
    let bad = daemon.docker(&["images", "-f", "dangling=maybe"]);
    bad.assert_code(1);
    assert_eq!(
        bad.stderr,
        "Error response from daemon: Invalid filter 'dangling=[maybe]'\n"
    );

    // image inspect: the JSON the minidocker CLI prints (Docker 20.10's ImageInspect)
    let inspect = daemon.docker(&["image", "inspect", "busybox"]);
    inspect.assert_clean_success();
    let ours = env.minidocker(&["image", "inspect", "busybox"]);
    assert_eq!(
        serde_json::from_str::<Value>(&inspect.stdout).unwrap(),
        serde_json::from_str::<Value>(&ours.stdout).unwrap()
    );
    daemon
        .docker(&["image", "inspect", "--format", "{{.Id}} {{.RepoTags}}", "busybox"])
        .assert_stdout(&format!("{busybox} [dapi/a:1 busybox:latest]\n"));
    // Docker: [] and Error response from daemon: no such image: nosuch: No such image: nosuch:latest
    let missing = daemon.docker(&["image", "inspect", "nosuch"]);
    missing.assert_code(1);
    assert_eq!(missing.stdout, "[]\n");
    assert_eq!(
        missing.stderr,
        "Error response from daemon: no such image: nosuch: No such image: nosuch:latest\n"
    );

    // history: the committed step on top of the imported one
    // IMAGE          CREATED          CREATED BY   SIZE      COMMENT
    // 75ade9a9948b   16 minutes ago                1.98MB    Imported from -
    let history = daemon.docker(&["history", "busybox"]);
    history.assert_clean_success();
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert!(
        lines[0].starts_with("IMAGE          CREATED ")
            && lines[0].ends_with("   CREATED BY   SIZE      COMMENT"),
        "{history}"
    );
    assert_eq!(lines.len(), 2, "{history}");
    let row = cells(lines[1]);
    assert_eq!(
        (row[0], row[2], row[3]),
        (short(&busybox), size.as_str(), "Imported from -")
    );
    let format = "{{.ID}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}";
    let steps = daemon.docker(&["history", "--no-trunc", "--format", format, &dangling]);
    steps.assert_clean_success().assert_stdout(&format!(
        "{dangling}|sh -c echo hello > /f|6B|\n{busybox}||{size}|Imported from -\n"
    ));
    assert_eq!(
        steps.stdout,
        env.minidocker(&["history", "--no-trunc", "--format", format, &dangling])
            .stdout
    );
    let missing = daemon.docker(&["history", "nosuch"]);
    missing.assert_code(1);
    assert_eq!(
        missing.stderr,
        "Error response from daemon: No such image: nosuch:latest\n"
    );
    let missing = daemon.docker(&["tag", "nosuch", "x"]);
    missing.assert_code(1);
    assert_eq!(
        missing.stderr,
        "Error response from daemon: No such image: nosuch:latest\n"
    );
}

#[test]
fn the_docker_cli_removes_and_prunes_images() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let busybox = env.image_id().to_owned();
    daemon
        .docker(&["tag", "busybox", "dapi/a:1"])
        .assert_clean_success();
    let dangling = first_container_and_a_dangling_image(&env);
    let (first, _) = env.find_container("first").expect("container first");

    daemon
        .docker(&["rmi", "dapi/a:1"])
        .assert_clean_success()
        .assert_stdout("Untagged: dapi/a:1\n");
    // Docker: conflict: unable to remove repository reference "busybox" (must force) - container
    // f95e6bf6ddf1 is using its referenced image 75ade9a9948b
    let in_use = daemon.docker(&["rmi", "busybox"]);
    in_use.assert_code(1);
    assert_eq!(
        in_use.stderr,
        format!(
            "Error response from daemon: conflict: unable to remove repository reference \"busybox\" (must force) - container {} is using its referenced image {}\n",
            short(&first),
            short(&busybox)
        )
    );
    let missing = daemon.docker(&["rmi", "nosuch"]);
    missing.assert_code(1);
    assert_eq!(
        missing.stderr,
        "Error response from daemon: No such image: nosuch:latest\n"
    );

    // Deleted Images:
    // deleted: sha256:764e841b0ef2678a09c9071ec50dfbc371a82f714e5c689f125f4359a9f2d6b7
    //
    // Total reclaimed space: 0B
    let prune = daemon.docker(&["image", "prune", "-f"]);
    prune.assert_clean_success();
    assert!(
        prune
            .stdout
            .starts_with(&format!("Deleted Images:\ndeleted: {dangling}\n")),
        "{prune}"
    );
    // the image, then its layer (which only it used): the 6 bytes the container wrote
    assert_eq!(
        redact_ids(&prune.stdout),
        "Deleted Images:\ndeleted: sha256:<64-hex id>\ndeleted: sha256:<64-hex id>\n\nTotal reclaimed space: 6B\n"
    );
    daemon
        .docker(&["image", "prune", "-f"])
        .assert_clean_success()
        .assert_stdout("Total reclaimed space: 0B\n");
    daemon
        .docker(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .assert_stdout("busybox:latest\n");

    // with the container gone, busybox may go: its name, then the image and its layer
    env.minidocker(&["rm", "first"]).assert_clean_success();
    let rmi = daemon.docker(&["rmi", "busybox"]);
    rmi.assert_clean_success();
    assert_eq!(
        redact_ids(&rmi.stdout),
        "Untagged: busybox:latest\nDeleted: sha256:<64-hex id>\nDeleted: sha256:<64-hex id>\n"
    );
    assert!(rmi.stdout.contains(&busybox), "{rmi}");
    daemon.docker(&["images", "-q"]).assert_stdout("");
}

/// `first` (exited 0, wrote 6 bytes), `second` (exited 3), then `third` running with a port
/// published on the loopback; returns `third`'s `minidocker run`.
#[track_caller]
fn three_containers(env: &TestEnv) -> Spawned {
    env.run(&["--name", "first", "busybox", "sh", "-c", "echo hello > /f"])
        .assert_code(0);
    env.run(&["--name", "second", "busybox", "sh", "-c", "exit 3"])
        .assert_code(3);
    let third = env.spawn_run(&[
        "--name",
        "third",
        "-p",
        "127.0.0.1:8080:80",
        "busybox",
        "sleep",
        "300",
    ]);
    env.wait_for_running("third", Duration::from_secs(20));
    third
}

fn id_of(env: &TestEnv, name: &str) -> String {
    env.find_container(name)
        .unwrap_or_else(|| panic!("no container {name}"))
        .0
}

#[test]
fn the_docker_cli_lists_containers_with_dockers_columns_and_filters() {
    root_test!();
    let env = TestEnv::new();
    let third = three_containers(&env);
    let daemon = TestDaemon::start(&env, &[]);
    let (first, second, third_id) = (id_of(&env, "first"), id_of(&env, "second"), id_of(&env, "third"));

    // CONTAINER ID   IMAGE     COMMAND       CREATED         STATUS         PORTS                    NAMES
    // 0f4b35a8a7c9   busybox   "sleep 300"   2 seconds ago   Up 1 second    127.0.0.1:8080->80/tcp   third
    let ps = daemon.docker(&["ps"]);
    ps.assert_clean_success();
    let lines: Vec<&str> = ps.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "only the running one: {ps}");
    assert!(
        lines[0].starts_with("CONTAINER ID   IMAGE     COMMAND       CREATED ")
            && lines[0].ends_with("   NAMES"),
        "{ps}"
    );
    let row = cells(lines[1]);
    assert_eq!(row[..3], [&third_id[..12], "busybox", "\"sleep 300\""], "{ps}");
    assert!(row[3].ends_with(" ago") && row[4].starts_with("Up "), "{ps}");
    assert_eq!(row[5..], ["127.0.0.1:8080->80/tcp", "third"], "{ps}");

    let ps = daemon.docker(&["ps", "-a"]);
    ps.assert_clean_success();
    let rows: Vec<Vec<&str>> = ps.stdout.lines().skip(1).map(cells).collect();
    assert_eq!(rows.len(), 3, "{ps}");
    assert_eq!(
        rows[2][..3],
        [&first[..12], "busybox", "\"sh -c 'echo hello >…\""],
        "{ps}"
    );
    assert!(
        rows[2][4].starts_with("Exited (0) ") && rows[2][4].ends_with(" ago"),
        "{ps}"
    );
    assert_eq!(rows[2][5], "first", "no ports once stopped: {ps}");
    assert!(rows[1][4].starts_with("Exited (3) "), "{ps}");

    let names = |args: &[&str]| {
        let mut all = vec!["ps", "--format", "{{.Names}}"];
        all.extend_from_slice(args);
        let out = daemon.docker(&all);
        out.assert_clean_success();
        out.stdout
    };
    assert_eq!(names(&["-a"]), "third\nsecond\nfirst\n");
    assert_eq!(
        names(&["-n", "2"]),
        "third\nsecond\n",
        "a limit lists stopped ones too"
    );
    assert_eq!(names(&["-l"]), "third\n");
    assert_eq!(names(&["-a", "-f", "name=^fir"]), "first\n");
    assert_eq!(names(&["-f", "status=exited"]), "second\nfirst\n");
    assert_eq!(names(&["-a", "-f", "exited=3"]), "second\n");
    assert_eq!(names(&["-a", "-f", "before=second"]), "first\n");
    assert_eq!(names(&["-a", "-f", "since=first"]), "third\nsecond\n");
    assert_eq!(names(&["-a", "-f", "ancestor=busybox"]), "third\nsecond\nfirst\n");
    assert_eq!(names(&["-a", "-f", "ancestor=nosuch"]), "");
    assert_eq!(names(&["-a", "-f", "publish=80"]), "third\n");
    assert_eq!(
        names(&["-a", "-f", "network=bridge", "-f", "status=running"]),
        "third\n"
    );
    assert_eq!(names(&["-a", "-f", &format!("id={}", &second[..8])]), "second\n");
    daemon.docker(&["ps", "-a", "-q"]).assert_stdout(&format!(
        "{}\n{}\n{}\n",
        &third_id[..12],
        &second[..12],
        &first[..12]
    ));
    let size = busybox_size(&env, "Size");
    let sizes = daemon.docker(&["ps", "-a", "-s", "--format", "{{.Names}} {{.Size}}"]);
    // Docker: dapi-c2|6B (virtual 1.98MB)
    assert_eq!(
        sizes.stdout,
        format!("third 0B (virtual {size})\nsecond 0B (virtual {size})\nfirst 6B (virtual {size})\n")
    );
    // Docker: Error response from daemon: Invalid filter 'status=bogus'
    let bad = daemon.docker(&["ps", "-f", "status=bogus"]);
    bad.assert_code(1);
    assert_eq!(
        bad.stderr,
        "Error response from daemon: Invalid filter 'status=bogus'\n"
    );
    let bad = daemon.docker(&["ps", "-f", "publish=80:80"]);
    assert_eq!(
        bad.stderr,
        "Error response from daemon: filter for 'publish' should not contain ':': 80:80\n"
    );

    // A container's labels are its image's; once `busybox` names another image, the list
    // shows the id of the one the containers were made from (the CLI cuts it to 12 digits).
    env.minidocker(&["commit", "-c", "LABEL tier=db", "first", "busybox"])
        .assert_clean_success();
    env.run(&["--name", "fourth", "busybox", "true"]).assert_code(0);
    assert_eq!(names(&["-a", "-f", "label=tier=db"]), "fourth\n");
    assert_eq!(names(&["-a", "-f", "label=tier=web"]), "");
    let old = short(env.image_id());
    daemon
        .docker(&["ps", "-a", "--format", "{{.Names}} {{.Image}}"])
        .assert_stdout(&format!(
            "fourth busybox\nthird {old}\nsecond {old}\nfirst {old}\n"
        ));

    env.minidocker(&["rm", "-f", "third"]).assert_clean_success();
    let _ = third.wait();
}

#[test]
fn containers_json_has_dockers_shape_and_status_codes() {
    root_test!();
    let env = TestEnv::new();
    let third = three_containers(&env);
    let daemon = TestDaemon::start(&env, &[]);
    let list = daemon.http("GET", "/v1.41/containers/json", None);
    assert_eq!(list.status, 200, "{list:?}");
    let running = body(&list);
    assert_eq!(running.as_array().map(Vec::len), Some(1), "{running}");
    let c = &running[0];
    // Docker 20.10's types.Container, without the sizes unless asked
    assert_eq!(
        keys(c),
        [
            "Command",
            "Created",
            "HostConfig",
            "Id",
            "Image",
            "ImageID",
            "Labels",
            "Mounts",
            "Names",
            "NetworkSettings",
            "Ports",
            "State",
            "Status"
        ]
    );
    assert_eq!(c["Names"], json!(["/third"]));
    assert_eq!(c["Image"], "busybox");
    assert_eq!(c["ImageID"], env.image_id());
    assert_eq!(c["Command"], "sleep 300");
    assert_eq!(
        c["Ports"],
        json!([{"IP": "127.0.0.1", "PrivatePort": 80, "PublicPort": 8080, "Type": "tcp"}])
    );
    assert_eq!(c["State"], "running");
    assert_eq!(c["HostConfig"], json!({"NetworkMode": "default"}));
    let bridge = &c["NetworkSettings"]["Networks"]["bridge"];
    assert!(
        bridge["IPAddress"]
            .as_str()
            .is_some_and(|ip| ip.starts_with("172.17.")),
        "{c}"
    );
    assert_eq!(
        (&bridge["Links"], &bridge["Aliases"]),
        (&Value::Null, &Value::Null)
    );
    assert_eq!((&c["Labels"], &c["Mounts"]), (&json!({}), &json!([])));

    // the exited one in full: Docker's shape (ids, times and the network's id replaced)
    let all = body(&daemon.http("GET", "/containers/json?all=1&size=1", None));
    let mut first = all[2].clone();
    assert_eq!(first["SizeRw"], 6);
    for (key, placeholder) in [
        ("Id", "<id>"),
        ("ImageID", "<image id>"),
        ("Created", "<created>"),
        ("Status", "<status>"),
    ] {
        first[key] = json!(placeholder);
    }
    first["NetworkSettings"]["Networks"]["bridge"]["NetworkID"] = json!("<network id>");
    first["SizeRootFs"] = json!(first["SizeRootFs"].as_u64().map(|s| s > 6));
    insta::assert_json_snapshot!("exited_container", first);

    let limited = body(&daemon.http("GET", "/containers/json?limit=2", None));
    let names: Vec<&Value> = limited
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["Names"][0])
        .collect();
    assert_eq!(names, [&json!("/third"), &json!("/second")]);
    let exited = body(&daemon.http(
        "GET",
        &format!("/containers/json?filters={}", filters("status", "exited")),
        None,
    ));
    assert_eq!(exited.as_array().map(Vec::len), Some(2));

    // Docker: 400 Invalid filter 'foo'; 500 for a limit that is not a number
    assert_eq!(
        error(&daemon.http(
            "GET",
            &format!("/containers/json?filters={}", filters("foo", "1")),
            None
        )),
        (400, "Invalid filter 'foo'".to_owned())
    );
    assert_eq!(
        error(&daemon.http("GET", "/containers/json?limit=x", None)),
        (500, "strconv.Atoi: parsing \"x\": invalid syntax".to_owned())
    );

    env.minidocker(&["rm", "-f", "third"]).assert_clean_success();
    let _ = third.wait();
}

#[test]
fn image_endpoints_answer_with_dockers_status_codes_and_keys() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let busybox = env.image_id().to_owned();

    let list = daemon.http("GET", "/v1.41/images/json", None);
    assert_eq!(list.status, 200);
    let images = body(&list);
    // Docker 20.10: [{"Containers":-1,"Created":1796169281,"Id":"sha256:75ade9a9…","Labels":null,
    // "ParentId":"","RepoDigests":null,"RepoTags":["busybox:latest"],"SharedSize":-1,
    // "Size":1984241,"VirtualSize":1984241}]
    assert_eq!(
        images[0],
        json!({"Containers": -1, "Created": images[0]["Created"], "Id": busybox, "Labels": null,
               "ParentId": "", "RepoDigests": null, "RepoTags": ["busybox:latest"],
               "SharedSize": -1, "Size": images[0]["Size"], "VirtualSize": images[0]["Size"]})
    );
    assert!(images[0]["Size"].as_u64().is_some_and(|s| s > 0));

    let inspect = body(&daemon.http("GET", "/images/busybox/json", None));
    assert_eq!(inspect["Id"], busybox.as_str());
    assert_eq!(
        error(&daemon.http("GET", "/images/nosuch/json", None)),
        (
            404,
            "no such image: nosuch: No such image: nosuch:latest".to_owned()
        )
    );
    assert_eq!(
        error(&daemon.http("GET", "/images/UPPER/json", None)),
        (
            400,
            "no such image: UPPER: invalid reference format: repository name must be lowercase".to_owned()
        )
    );

    let history = body(&daemon.http("GET", "/images/busybox/history", None));
    assert_eq!(
        keys(&history[0]),
        ["Comment", "Created", "CreatedBy", "Id", "Size", "Tags"]
    );
    assert_eq!(history[0]["Tags"], json!(["busybox:latest"]));
    assert_eq!(
        error(&daemon.http("GET", "/images/nosuch/history", None)),
        (404, "No such image: nosuch:latest".to_owned())
    );

    // tag: 201 and no body; names with a registry and slashes reach the same routes
    let tagged = daemon.http(
        "POST",
        "/v1.41/images/busybox/tag?repo=localhost:5000/team/app&tag=1",
        None,
    );
    assert_eq!((tagged.status, tagged.body.as_str()), (201, ""), "{tagged:?}");
    let by_long_name = body(&daemon.http("GET", "/images/localhost:5000/team/app:1/json", None));
    assert_eq!(by_long_name["Id"], busybox.as_str());
    assert_eq!(
        daemon.http("POST", "/images/busybox/tag?repo=dapi", None).status,
        201,
        "the tag defaults to latest"
    );
    for (query, expected) in [
        ("repo=x&tag=1", (404, "No such image: nosuch:latest")),
        (
            "repo=UPPER&tag=1",
            (500, "invalid reference format: repository name must be lowercase"),
        ),
        ("repo=x&tag=a@b", (500, "invalid tag format")),
        (
            "repo=sha256&tag=x",
            (
                400,
                "refusing to create an ambiguous tag using digest algorithm as name",
            ),
        ),
    ] {
        let source = if expected.0 == 404 { "nosuch" } else { "busybox" };
        let answer = daemon.http("POST", &format!("/images/{source}/tag?{query}"), None);
        assert_eq!(error(&answer), (expected.0, expected.1.to_owned()), "{query}");
    }
    let digest = format!("x@sha256:{}", "a".repeat(64));
    assert_eq!(
        error(&daemon.http("POST", &format!("/images/busybox/tag?repo={digest}"), None)),
        (400, "refusing to create a tag with a digest reference".to_owned())
    );

    // remove: a name is untagged; Docker's 409 for an image in several repositories by id
    let untagged = daemon.http("DELETE", "/images/localhost:5000/team/app:1", None);
    assert_eq!(untagged.status, 200);
    assert_eq!(
        body(&untagged),
        json!([{"Untagged": "localhost:5000/team/app:1"}])
    );
    assert_eq!(
        error(&daemon.http("DELETE", &format!("/images/{}", short(&busybox)), None)),
        (
            409,
            format!(
                "conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories",
                short(&busybox)
            )
        )
    );
    assert_eq!(
        error(&daemon.http("DELETE", "/images/nosuch", None)),
        (404, "No such image: nosuch:latest".to_owned())
    );
    assert_eq!(
        body(&daemon.http("DELETE", "/images/dapi?force=1&noprune=1", None)),
        json!([{"Untagged": "dapi:latest"}])
    );

    let pruned = daemon.http("POST", "/images/prune", None);
    assert_eq!(
        (pruned.status, body(&pruned)),
        (200, json!({"ImagesDeleted": null, "SpaceReclaimed": 0}))
    );
    assert_eq!(
        error(&daemon.http(
            "POST",
            &format!("/images/prune?filters={}", filters("reference", "x")),
            None
        )),
        (400, "Invalid filter 'reference'".to_owned())
    );
    assert_eq!(
        error(&daemon.http("GET", "/images/busybox/bogus", None)),
        (404, "page not found".to_owned())
    );
}

/// `docker system df` through the API prints what `minidocker system df` prints (checked
/// against Docker in the system_df tests).
#[test]
fn system_df_through_the_api_matches_the_cli() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "first", "busybox", "sh", "-c", "echo hello > /f"])
        .assert_code(0);
    let daemon = TestDaemon::start(&env, &[]);
    let size = busybox_size(&env, "VirtualSize");

    // TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
    // Images          1         1         1.984MB   0B (0%)
    // Containers      1         0         6B        6B (100%)
    let df = daemon.docker(&["system", "df"]);
    df.assert_clean_success();
    assert_eq!(df.stdout, env.minidocker(&["system", "df"]).stdout);
    assert_eq!(
        df.stdout.lines().nth(2).map(cells),
        Some(vec!["Containers", "1", "0", "6B", "6B (100%)"])
    );

    let verbose: Output = daemon.docker(&["system", "df", "-v"]);
    verbose.assert_clean_success();
    let lines: Vec<&str> = verbose.stdout.lines().collect();
    assert_eq!(lines[0], "Images space usage:", "{verbose}");
    let image = cells(lines[3]);
    assert_eq!(
        (image[0], image[1], image[2]),
        ("busybox", "latest", short(env.image_id()))
    );
    assert_eq!(
        image[5..],
        ["0B", &size, "1"],
        "shared, unique, containers: {verbose}"
    );
    let containers = lines
        .iter()
        .position(|l| *l == "Containers space usage:")
        .unwrap_or_else(|| panic!("{verbose}"));
    let row = cells(lines[containers + 3]);
    assert_eq!(
        row[1..5],
        ["busybox", "\"sh -c 'echo hello >…\"", "0", "6B"],
        "{verbose}"
    );
    assert_eq!(row.last(), Some(&"first"));

    let answer = daemon.http("GET", "/v1.41/system/df", None);
    assert_eq!(answer.status, 200);
    let du = body(&answer);
    // Docker 20.10: {"LayersSize":…,"Images":[…],"Containers":[…],"Volumes":[],"BuildCache":null,"BuilderSize":0}
    assert_eq!(
        keys(&du),
        [
            "BuildCache",
            "BuilderSize",
            "Containers",
            "Images",
            "LayersSize",
            "Volumes"
        ]
    );
    assert_eq!(
        (&du["Volumes"], &du["BuildCache"], &du["BuilderSize"]),
        (&json!([]), &Value::Null, &json!(0))
    );
    let image_size = du["Images"][0]["Size"].as_u64().unwrap_or_default();
    assert_eq!(du["LayersSize"], image_size);
    assert_eq!(du["Images"][0]["Containers"], 1);
    assert_eq!(du["Images"][0]["SharedSize"], 0);
    assert_eq!(du["Containers"][0]["SizeRw"], 6);
    assert_eq!(du["Containers"][0]["SizeRootFs"], image_size + 6);
}
