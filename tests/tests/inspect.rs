//! `inspect` of containers (CTR-30, CTR-31, CTR-41): Docker 20.10's `ContainerJSON` with its
//! fields in Docker's order, for exited and running containers; `-f` templates; containers
//! found before images; Docker's errors; `GET /containers/{id}/json` and the real Docker CLI
//! against `minidocker daemon`. Docker's answers quoted here come from the Docker 20.10 oracle
//! (`docker run -d --name web busybox sleep 60; docker inspect web`).

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use minidocker_e2e::text::redact_ids;
use minidocker_e2e::{TestDaemon, TestEnv, root_test};

const STARTUP: Duration = Duration::from_secs(30);

/// `docker inspect web` on dockerd 20.10: the object's keys, in the order printed.
const DOCKER_KEYS: [&str; 23] = [
    "Id",
    "Created",
    "Path",
    "Args",
    "State",
    "Image",
    "ResolvConfPath",
    "HostnamePath",
    "HostsPath",
    "LogPath",
    "Name",
    "RestartCount",
    "Driver",
    "Platform",
    "MountLabel",
    "ProcessLabel",
    "AppArmorProfile",
    "ExecIDs",
    "HostConfig",
    "GraphDriver",
    "Mounts",
    "Config",
    "NetworkSettings",
];

/// The keys of the one object in `inspect`'s indented output, in the order printed (the lines
/// indented by exactly 8 spaces).
fn top_level_keys(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("        \"") && !l.starts_with("         "))
        .filter_map(|l| l.trim_start().split('"').nth(1).map(str::to_owned))
        .collect()
}

/// `minidocker ARGS…` that must succeed; its stdout parsed as JSON.
#[track_caller]
fn json_of(env: &TestEnv, args: &[&str]) -> Value {
    let out = env.minidocker(args);
    out.assert_clean_success();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

/// `inspect NAME` of one object.
#[track_caller]
fn inspect(env: &TestEnv, name: &str) -> Value {
    let all = json_of(env, &["inspect", name]);
    assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    all[0].clone()
}

/// `minidocker inspect -f TEMPLATE NAME`'s stdout.
#[track_caller]
fn template(env: &TestEnv, format: &str, name: &str) -> String {
    let out = env.minidocker(&["inspect", "-f", format, name]);
    out.assert_clean_success();
    out.stdout
}

/// What changes from run to run taken out: ids, times, the data root, the short-id hostname,
/// and `OomKillDisable` (`false` on cgroup v1, `null` on v2, as Docker shows it).
fn redact(env: &TestEnv, text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let key = line.trim_start().split(':').next().unwrap_or_default();
            let indent = &line[..line.len() - line.trim_start().len()];
            let comma = if line.ends_with(',') { "," } else { "" };
            match key {
                "\"Created\"" | "\"StartedAt\"" | "\"FinishedAt\"" => {
                    format!("{indent}{key}: \"<time>\"{comma}")
                }
                "\"Hostname\"" => format!("{indent}{key}: \"<short id>\"{comma}"),
                "\"OomKillDisable\"" => format!("{indent}{key}: <false on cgroup v1, null on v2>{comma}"),
                _ => line.to_owned(),
            }
        })
        .collect();
    redact_ids(
        &lines
            .join("\n")
            .replace(&env.data_root().display().to_string(), "<data-root>"),
    )
}

fn is_file(path: &Value) -> bool {
    path.as_str()
        .is_some_and(|p| !p.is_empty() && Path::new(p).is_file())
}

#[test]
fn an_exited_container_shows_dockers_fields_in_dockers_order() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "web", "busybox", "true"]).assert_code(0);
    let (id, _) = env.only_container();

    let out = env.minidocker(&["inspect", "web"]);
    out.assert_clean_success();
    assert!(out.stdout.starts_with("[\n    {\n        \"Id\": \""), "{out}");
    assert_eq!(top_level_keys(&out.stdout), DOCKER_KEYS, "{out}");
    let c: Value = serde_json::from_str::<Value>(&out.stdout).unwrap()[0].clone();
    assert_eq!(c["Id"], id.as_str());
    assert_eq!(c["Name"], "/web");
    assert_eq!((&c["Path"], &c["Args"]), (&"true".into(), &serde_json::json!([])));
    assert_eq!(c["Image"], env.image_id());
    assert_eq!(c["State"]["Status"], "exited");
    assert_eq!(c["State"]["Running"], false);
    assert_eq!(c["State"]["Pid"], 0);
    assert_eq!(c["State"]["ExitCode"], 0);
    assert_ne!(c["State"]["StartedAt"], "0001-01-01T00:00:00Z");
    assert_ne!(c["State"]["FinishedAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        (&c["Driver"], &c["Platform"]),
        (&"overlay2".into(), &"linux".into())
    );
    // the files the engine wrote for it, in its directory
    let dir = env.containers_dir().join(&id);
    for (key, file) in [
        ("ResolvConfPath", "resolv.conf"),
        ("HostnamePath", "hostname"),
        ("HostsPath", "hosts"),
    ] {
        assert_eq!(c[key], dir.join(file).display().to_string(), "{key}");
        assert!(is_file(&c[key]), "{key}: {}", c[key]);
    }
    // its own layer, its init layer below, then the image's layer (as Docker lists them)
    let layer = env.container_layer_dir(&id);
    let data = &c["GraphDriver"]["Data"];
    assert_eq!(c["GraphDriver"]["Name"], "overlay2");
    assert_eq!(data["UpperDir"], layer.join("diff").display().to_string());
    assert_eq!(data["MergedDir"], layer.join("merged").display().to_string());
    assert_eq!(data["WorkDir"], layer.join("work").display().to_string());
    let lowers: Vec<&str> = data["LowerDir"].as_str().unwrap().split(':').collect();
    assert_eq!(lowers.len(), 2, "init layer and busybox's one layer: {lowers:?}");
    assert_eq!(lowers[0], format!("{}-init/diff", layer.display()));
    let image = json_of(&env, &["image", "inspect", "busybox"]);
    assert_eq!(lowers[1], image[0]["GraphDriver"]["Data"]["UpperDir"]);
    assert!(Path::new(lowers[0]).join(".dockerenv").is_file());
    // the host config and config as run recorded them
    assert_eq!(c["HostConfig"]["NetworkMode"], "default");
    assert_eq!(c["HostConfig"]["AutoRemove"], false);
    assert_eq!(c["Config"]["Cmd"], serde_json::json!(["true"]));
    assert_eq!(c["Config"]["Hostname"], &id[..12]);
    assert_eq!(c["Config"]["Image"], "busybox");
    assert_eq!(c["Mounts"], serde_json::json!([]));
    // stopped: still on the default bridge, without an address
    assert_eq!(c["NetworkSettings"]["IPAddress"], "");
    assert!(c["NetworkSettings"]["Networks"]["bridge"].is_object(), "{c}");

    insta::assert_snapshot!("container_inspect_exited", redact(&env, &out.stdout));

    // the same container by `container inspect`, by id, by a short id
    for name in ["web", id.as_str(), &id[..12]] {
        env.minidocker(&["container", "inspect", name])
            .assert_clean_success()
            .assert_stdout(&out.stdout);
    }
    // `-s`: its own layer's bytes and the whole root filesystem's
    let sized = json_of(&env, &["container", "inspect", "-s", "web"]);
    let image_size = image[0]["Size"].as_u64().unwrap();
    assert_eq!(sized[0]["SizeRw"], 0, "`true` changed nothing");
    assert_eq!(sized[0]["SizeRootFs"].as_u64(), Some(image_size));
}

#[test]
fn exit_codes_and_recorded_flags_show_in_templates() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--name",
        "failed",
        "-e",
        "GREETING=hi",
        "-m",
        "64m",
        "--dns",
        "1.1.1.1",
        "--add-host",
        "h:1.2.3.4",
        "-w",
        "/tmp",
        "busybox",
        "sh",
        "-c",
        "exit 3",
    ])
    .assert_code(3);
    // CTR-30
    assert_eq!(template(&env, "{{ .State.Status }}", "failed"), "exited\n");
    assert_eq!(template(&env, "{{.State.ExitCode}}", "failed"), "3\n");
    assert_eq!(template(&env, "{{.RestartCount}}", "failed"), "0\n");
    assert_eq!(template(&env, "{{.State.Pid}}", "failed"), "0\n");
    // what `run` recorded, where Docker shows it (the oracle: `-m 64m` gives MemorySwap twice it)
    assert_eq!(
        template(
            &env,
            "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{json .HostConfig.Dns}} {{json .HostConfig.ExtraHosts}}",
            "failed"
        ),
        "67108864 134217728 [\"1.1.1.1\"] [\"h:1.2.3.4\"]\n"
    );
    assert_eq!(
        template(
            &env,
            "{{json .Config.Env}} {{.Config.WorkingDir}} {{json .Config.Cmd}}",
            "failed"
        ),
        "[\"GREETING=hi\"] /tmp [\"sh\",\"-c\",\"exit 3\"]\n"
    );
    // Docker's defaults for what minidocker has no flag for yet
    assert_eq!(
        template(
            &env,
            "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.LogConfig.Type}} {{.HostConfig.ShmSize}} {{.HostConfig.IpcMode}}",
            "failed"
        ),
        "no json-file 67108864 private\n"
    );
}

#[test]
fn a_running_container_shows_its_process_and_its_network() {
    root_test!();
    let env = TestEnv::new();
    let service = env.spawn_run(&["--name", "runner", "busybox", "sleep", "60"]);
    let pid = env.wait_for_running("runner", STARTUP);

    let c = inspect(&env, "runner");
    assert_eq!(c["State"]["Status"], "running");
    assert_eq!(c["State"]["Running"], true);
    assert_eq!(c["State"]["Pid"], pid.as_raw());
    assert_eq!(c["State"]["FinishedAt"], "0001-01-01T00:00:00Z");
    // on the default bridge: its endpoint, repeated at the top as Docker does
    let settings = &c["NetworkSettings"];
    let bridge = &settings["Networks"]["bridge"];
    let ip = settings["IPAddress"].as_str().unwrap().to_owned();
    assert!(ip.starts_with("172.17."), "{settings}");
    assert_eq!(settings["IPPrefixLen"], 16);
    assert_eq!(settings["Gateway"], "172.17.0.1");
    assert!(
        settings["MacAddress"]
            .as_str()
            .unwrap()
            .starts_with("02:42:ac:11:"),
        "{settings}"
    );
    for key in ["IPAddress", "IPPrefixLen", "Gateway", "MacAddress", "EndpointID"] {
        assert_eq!(bridge[key], settings[key], "{key}");
    }
    assert_eq!(bridge["NetworkID"].as_str().map(str::len), Some(64), "{bridge}");

    // CTR-30's templates
    assert_eq!(template(&env, "{{.State.Status}}", "runner"), "running\n");
    assert_eq!(template(&env, "{{.State.Pid}}", "runner"), format!("{pid}\n"));
    assert_eq!(template(&env, "{{.RestartCount}}", "runner"), "0\n");
    assert_eq!(
        template(&env, "{{.NetworkSettings.IPAddress}}", "runner"),
        format!("{ip}\n")
    );
    assert_eq!(
        template(&env, "{{.NetworkSettings.Networks.bridge.IPAddress}}", "runner"),
        format!("{ip}\n")
    );
    let networks = template(&env, "{{json .NetworkSettings.Networks}}", "runner");
    assert_eq!(
        serde_json::from_str::<Value>(&networks).unwrap(),
        settings["Networks"],
        "{networks}"
    );
    env.minidocker(&[
        "container",
        "inspect",
        "-f",
        "{{.State.Status}} {{.Name}}",
        "runner",
    ])
    .assert_clean_success()
    .assert_stdout("running /runner\n");

    env.minidocker(&["rm", "-f", "runner"]).assert_clean_success();
    service.wait();
}

#[test]
fn containers_are_found_before_images_and_missing_ones_named() {
    root_test!();
    let env = TestEnv::new();
    // a container named like the image
    env.run(&["--name", "busybox", "busybox", "true"]).assert_code(0);
    assert_eq!(inspect(&env, "busybox")["Name"], "/busybox");
    let image = json_of(&env, &["inspect", "--type", "image", "busybox"]);
    assert_eq!(image[0]["Id"], env.image_id());
    let by_type = json_of(&env, &["inspect", "--type", "container", "busybox"]);
    assert_eq!(by_type[0]["Name"], "/busybox");

    // the Docker CLI (28.2.2 against Docker 20.10): `[]`, then the error, exit 1; the
    // daemon's words when a kind was asked for, its own when nothing of any kind was found
    env.minidocker(&["inspect", "nosuch"])
        .assert_code(1)
        .assert_stdout("[]\n")
        .assert_stderr("Error: No such object: nosuch\n");
    env.minidocker(&["container", "inspect", "nosuch"])
        .assert_code(1)
        .assert_stdout("[]\n")
        .assert_stderr("Error response from daemon: No such container: nosuch\n");
    env.minidocker(&["inspect", "--type", "container", env.image_id()])
        .assert_code(1)
        .assert_stderr(&format!(
            "Error response from daemon: No such container: {}\n",
            env.image_id()
        ));
    // the ones found are printed, the others named after them
    env.minidocker(&["container", "inspect", "-f", "{{.Name}}", "busybox", "nosuch"])
        .assert_code(1)
        .assert_stdout("/busybox\n")
        .assert_stderr("Error response from daemon: No such container: nosuch\n");
    env.minidocker(&["container", "inspect"])
        .assert_code(1)
        .assert_stderr(
            "minidocker: 'minidocker container inspect' requires at least 1 argument\n\nUsage:  minidocker container inspect [OPTIONS] CONTAINER [CONTAINER...]\n\nSee 'minidocker container inspect --help' for more information\n",
        );
}

#[test]
fn the_docker_cli_inspects_containers_through_the_api() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "web", "busybox", "true"]).assert_code(0);
    let (id, _) = env.only_container();
    let daemon = TestDaemon::start(&env, &[]);

    // the docker CLI prints the daemon's JSON as it came, indented: the same text
    let ours = env.minidocker(&["inspect", "web"]);
    daemon
        .docker(&["inspect", "web"])
        .assert_clean_success()
        .assert_stdout(&ours.stdout);
    daemon
        .docker(&["container", "inspect", "-f", "{{.State.Status}}", "web"])
        .assert_clean_success()
        .assert_stdout("exited\n");
    daemon
        .docker(&[
            "container",
            "inspect",
            "-f",
            "{{.Id}} {{.HostConfig.NetworkMode}} {{.GraphDriver.Name}} {{.Config.Image}}",
            "web",
        ])
        .assert_clean_success()
        .assert_stdout(&format!("{id} default overlay2 busybox\n"));
    // the CLI 28.2.2 against dockerd 20.10 words them so
    daemon
        .docker(&["container", "inspect", "nosuch"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such container: nosuch\n");
    daemon
        .docker(&["inspect", "nosuch"])
        .assert_code(1)
        .assert_stdout("[]\n")
        .assert_stderr("Error: No such object: nosuch\n");

    let answer = daemon.http("GET", "/v1.41/containers/web/json", None);
    assert_eq!(answer.status, 200, "{answer:?}");
    assert_eq!(answer.header("Content-Type"), Some("application/json"));
    let c: Value = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(c["Id"], id.as_str());
    assert!(c.get("SizeRw").is_none(), "sizes only when asked");
    let sized: Value = serde_json::from_str(
        &daemon
            .http("GET", &format!("/containers/{}/json?size=1", &id[..12]), None)
            .body,
    )
    .unwrap();
    assert_eq!(sized["SizeRw"], 0);
    assert!(sized["SizeRootFs"].as_u64().unwrap() > 0, "{sized}");
    // Docker: 404 {"message":"No such container: nosuch"}
    let missing = daemon.http("GET", "/v1.41/containers/nosuch/json", None);
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body.trim(), r#"{"message":"No such container: nosuch"}"#);
}
