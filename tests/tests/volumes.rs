//! Volumes and bind mounts through the daemon, with the real Docker CLI (issues 8 and 9):
//! named volumes that outlive their containers, anonymous ones that `rm -v` and `--rm` take
//! with them, read-only binds of directories and files, tmpfs, the image's files copied into
//! a new volume, `docker volume ls/inspect/rm/prune` as Docker prints them, a volume in use
//! refused, the daemon's own socket bound into a container for the docker CLI inside, the
//! volume events. Every expectation was checked against dockerd 20.10 (the oracle) with the
//! same docker CLI 28.2.2. Nothing stays mounted under the data root once containers are gone.

use std::path::Path;

use minidocker_e2e::text::{as_minidocker, redact_ids};
use minidocker_e2e::{TestDaemon, TestEnv, root_test};

/// `text` with the data root and the test's host directory replaced by placeholders, ids and
/// the `CreatedAt` times redacted: what a snapshot can hold.
fn redact(text: &str, env: &TestEnv, host_dir: Option<&Path>) -> String {
    let mut text = text.replace(&env.data_root().display().to_string(), "<data-root>");
    if let Some(dir) = host_dir {
        text = text.replace(&dir.display().to_string(), "<host-dir>");
    }
    for key in ["\"CreatedAt\": \"", "\"CreatedAt\":\""] {
        let mut out = String::new();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(key) {
            let value_start = at + key.len();
            let value_end = rest[value_start..]
                .find('"')
                .map_or(rest.len(), |e| value_start + e);
            out.push_str(&rest[..value_start]);
            out.push_str("<time>");
            rest = &rest[value_end..];
        }
        out.push_str(rest);
        text = out;
    }
    redact_ids(&text)
}

/// Where the docker CLI the tests run is (a static binary: it runs in busybox too).
fn docker_cli_path() -> std::path::PathBuf {
    let cli = minidocker_e2e::daemon::docker_cli();
    if cli.is_absolute() {
        return cli;
    }
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(&cli))
        .find(|path| path.is_file())
        .expect("the docker CLI on PATH")
}

/// Nothing of the data root is mounted on the host any more.
#[track_caller]
fn assert_nothing_mounted(env: &TestEnv) {
    let mounts = env.mounts_inside();
    assert!(mounts.is_empty(), "still mounted: {mounts:?}");
}

#[test]
fn a_named_volume_outlives_its_container_and_the_next_one_sees_it() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["volume", "create", "data"])
        .assert_stdout("data\n");
    daemon
        .docker(&[
            "run",
            "--rm",
            "-v",
            "data:/data",
            "busybox",
            "sh",
            "-c",
            "echo kept > /data/f",
        ])
        .assert_clean_success();
    daemon
        .docker(&["run", "--rm", "-v", "data:/srv:ro", "busybox", "cat", "/srv/f"])
        .assert_stdout("kept\n");
    let on_host = env.data_root().join("volumes/data/_data/f");
    assert_eq!(std::fs::read_to_string(&on_host).unwrap(), "kept\n");
    // a volume named by -v that does not exist yet is made, and stays after --rm
    daemon
        .docker(&["run", "--rm", "-v", "made:/m", "busybox", "true"])
        .assert_clean_success();
    daemon
        .docker(&["volume", "ls", "-q"])
        .assert_stdout("data\nmade\n");
    // a new volume over a directory of the image gets the image's files (copy-up), once
    daemon
        .docker(&[
            "run",
            "--rm",
            "-v",
            "etc:/etc",
            "busybox",
            "sh",
            "-c",
            "cat /etc/group; echo mine > /etc/mine",
        ])
        .assert_stdout("root:x:0:\nnogroup:x:65534:\n");
    daemon
        .docker(&["run", "--rm", "-v", "etc:/etc", "busybox", "cat", "/etc/mine"])
        .assert_stdout("mine\n");
    // nocopy: the image's files stay out
    daemon
        .docker(&[
            "run",
            "--rm",
            "-v",
            "bare:/etc:nocopy",
            "busybox",
            "ls",
            "/etc/group",
        ])
        .assert_code(1);
    assert_nothing_mounted(&env);
}

#[test]
fn a_read_only_bind_of_a_directory_and_of_a_file() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("file"), "hi\n").unwrap();
    std::fs::write(host.path().join("greeting"), "greet\n").unwrap();
    let dir_bind = format!("{}:/data:ro", host.path().display());
    let out = daemon.docker(&[
        "run",
        "--rm",
        "-v",
        &dir_bind,
        "busybox",
        "sh",
        "-c",
        "cat /data/file; echo x > /data/new",
    ]);
    // Docker's answer, word for word
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, "hi\n", "sh: can't create /data/new: Read-only file system\n"),
        "{out}"
    );
    assert!(!host.path().join("new").exists());
    // read-write by default: the write lands on the host
    let rw_bind = format!("{}:/data", host.path().display());
    daemon
        .docker(&[
            "run",
            "--rm",
            "-v",
            &rw_bind,
            "busybox",
            "sh",
            "-c",
            "echo x > /data/new",
        ])
        .assert_clean_success();
    assert_eq!(std::fs::read_to_string(host.path().join("new")).unwrap(), "x\n");
    // a file onto a file, and a tmpfs with a size, as /proc/mounts shows them in Docker
    let file_bind = format!("{}:/etc/greeting:ro", host.path().join("greeting").display());
    let out = daemon.docker(&[
        "run",
        "--rm",
        "-v",
        &file_bind,
        "--mount",
        "type=tmpfs,target=/scratch,tmpfs-size=1m",
        "--tmpfs",
        "/t:size=2m,mode=1770",
        "busybox",
        "sh",
        "-c",
        "cat /etc/greeting; grep -E ' /(scratch|t) ' /proc/mounts; echo x > /etc/greeting",
    ]);
    assert_eq!(
        out.stdout,
        "greet\ntmpfs /scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k 0 0\n\
         tmpfs /t tmpfs rw,nosuid,nodev,noexec,relatime,size=2048k,mode=1770 0 0\n",
        "{out}"
    );
    assert!(out.stderr.contains("Read-only file system"), "{out}");
    // -v makes a missing host directory; --mount refuses it, as dockerd does
    let missing = host.path().join("new-dir/sub");
    let made = format!("{}:/n", missing.display());
    daemon
        .docker(&["run", "--rm", "-v", &made, "busybox", "true"])
        .assert_clean_success();
    assert!(missing.is_dir());
    let refused = daemon.docker(&[
        "create",
        "--mount",
        &format!(
            "type=bind,source={},target=/n",
            host.path().join("nope").display()
        ),
        "busybox",
        "true",
    ]);
    assert_eq!(
        (refused.code, redact(&refused.stderr, &env, Some(host.path()))),
        (
            1,
            "Error response from daemon: invalid mount config for type \"bind\": bind source path does not exist: <host-dir>/nope\n".to_owned()
        ),
        "{refused}"
    );
    assert_nothing_mounted(&env);
}

#[test]
fn rm_v_and_rm_take_the_anonymous_volumes_named_ones_stay() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&[
            "create",
            "--name",
            "c1",
            "-v",
            "/anon",
            "-v",
            "named:/named",
            "busybox",
            "true",
        ])
        .assert_code(0);
    let volumes = daemon.docker(&["volume", "ls", "-q"]).stdout;
    let anonymous: Vec<&str> = volumes.lines().filter(|v| *v != "named").collect();
    assert_eq!(anonymous.len(), 1, "{volumes}");
    assert_eq!(anonymous[0].len(), 64);
    daemon.docker(&["rm", "-v", "c1"]).assert_stdout("c1\n");
    daemon.docker(&["volume", "ls", "-q"]).assert_stdout("named\n");
    // without -v the anonymous volume stays (dangling)
    daemon
        .docker(&["create", "--name", "d1", "-v", "/anon", "busybox", "true"])
        .assert_code(0);
    daemon.docker(&["rm", "d1"]).assert_stdout("d1\n");
    let dangling = daemon.docker(&["volume", "ls", "-q", "--filter", "dangling=true"]);
    assert_eq!(dangling.stdout.lines().count(), 2, "{dangling}");
    // --rm takes them too (AutoRemove)
    daemon.docker(&["volume", "prune", "-f"]).assert_code(0);
    daemon
        .docker(&["run", "--rm", "-v", "/anon", "busybox", "true"])
        .assert_clean_success();
    daemon.docker(&["volume", "ls", "-q"]).assert_stdout("");
    assert_nothing_mounted(&env);
}

#[test]
fn a_volume_in_use_cannot_be_removed() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let id = daemon
        .docker(&["create", "-v", "busy:/d", "busybox", "true"])
        .stdout;
    let id = id.trim();
    for args in [&["volume", "rm", "busy"][..], &["volume", "rm", "-f", "busy"]] {
        let refused = daemon.docker(args);
        assert_eq!(
            (refused.code, refused.stderr.as_str()),
            (
                1,
                format!("Error response from daemon: remove busy: volume is in use - [{id}]\n").as_str()
            ),
            "{refused}"
        );
    }
    let answer = daemon.http("DELETE", "/v1.41/volumes/busy", None);
    assert_eq!(answer.status, 409, "{answer:?}");
    daemon.docker(&["rm", id]).assert_code(0);
    daemon.docker(&["volume", "rm", "busy"]).assert_stdout("busy\n");
    let gone = daemon.docker(&["volume", "rm", "busy"]);
    assert_eq!(
        (gone.code, gone.stderr.as_str()),
        (1, "Error response from daemon: get busy: no such volume\n")
    );
    daemon
        .docker(&["volume", "rm", "-f", "busy"])
        .assert_stdout("busy\n");
}

#[test]
fn volume_commands_print_what_docker_prints() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["volume", "create", "--label", "a=b", "--label", "c", "v1"])
        .assert_stdout("v1\n");
    daemon
        .docker(&[
            "volume",
            "create",
            "-o",
            "type=tmpfs",
            "-o",
            "device=tmpfs",
            "-o",
            "o=size=1m",
            "v2",
        ])
        .assert_stdout("v2\n");
    daemon
        .docker(&["volume", "ls"])
        .assert_stdout("DRIVER    VOLUME NAME\nlocal     v1\nlocal     v2\n");
    // The Docker CLI joins .Labels in Go's map order, which is random: either order is Docker's.
    let labelled = daemon.docker(&[
        "volume",
        "ls",
        "--filter",
        "label=a=b",
        "--format",
        "{{.Name}} {{.Labels}} {{.Scope}}",
    ]);
    labelled.assert_code(0);
    assert!(
        ["v1 a=b,c= local\n", "v1 c=,a=b local\n"].contains(&labelled.stdout.as_str()),
        "unexpected labels: {labelled}"
    );
    let inspect = daemon.docker(&["volume", "inspect", "v1", "v2"]);
    inspect.assert_code(0);
    insta::assert_snapshot!("volume_inspect", redact(&inspect.stdout, &env, None));
    daemon
        .docker(&[
            "volume",
            "inspect",
            "-f",
            "{{.Name}} {{.Driver}} {{.Options}}",
            "v2",
        ])
        .assert_stdout("v2 local map[device:tmpfs o:size=1m type:tmpfs]\n");
    // the tmpfs volume is a filesystem of its own where it is mounted
    let df = daemon.docker(&[
        "run",
        "--rm",
        "-v",
        "v2:/d",
        "busybox",
        "sh",
        "-c",
        "grep ' /d ' /proc/mounts",
    ]);
    assert_eq!(df.stdout, "tmpfs /d tmpfs rw,relatime,size=1024k 0 0\n", "{df}");
    let missing = daemon.docker(&["volume", "inspect", "nosuch"]);
    assert_eq!(
        (missing.code, missing.stdout.as_str(), missing.stderr.as_str()),
        (
            1,
            "[]\n",
            "Error response from daemon: get nosuch: no such volume\n"
        )
    );
    let invalid = daemon.docker(&["volume", "create", "a"]);
    assert_eq!(
        invalid.stderr,
        "Error response from daemon: create a: volume name is too short, names should be at least two alphanumeric characters\n"
    );
    let bad_filter = daemon.docker(&["volume", "ls", "-f", "bogus=1"]);
    assert_eq!(
        bad_filter.stderr,
        "Error response from daemon: Invalid filter 'bogus'\n"
    );
    // the API's own shapes
    let list = daemon.http(
        "GET",
        "/v1.41/volumes?filters=%7B%22name%22%3A%5B%22v1%22%5D%7D",
        None,
    );
    insta::assert_snapshot!("volume_list_api", redact(&list.body, &env, None));
    // prune: every unused volume (API 1.41), with Docker's prompt and report
    daemon
        .docker(&[
            "run",
            "--rm",
            "-v",
            "v1:/d",
            "busybox",
            "sh",
            "-c",
            "echo 12345 > /d/f",
        ])
        .assert_clean_success();
    // system df counts them (Docker's UsageData: containers using each, bytes in it)
    daemon
        .docker(&["create", "--name", "user", "-v", "v2:/d", "busybox", "true"])
        .assert_code(0);
    let df = daemon.docker(&[
        "system",
        "df",
        "--format",
        "{{.Type}}: {{.TotalCount}} {{.Active}} {{.Size}} {{.Reclaimable}}",
    ]);
    assert!(df.stdout.contains("\nLocal Volumes: 2 1 6B 6B (100%)\n"), "{df}");
    daemon.docker(&["rm", "user"]).assert_code(0);
    let declined = daemon.docker_cmd(&["volume", "prune"]).stdin("n\n").output();
    assert_eq!(
        declined.stdout,
        "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "
    );
    daemon.docker(&["volume", "ls", "-q"]).assert_stdout("v1\nv2\n");
    daemon
        .docker(&["volume", "prune", "-f", "--filter", "label=a"])
        .assert_stdout("Deleted Volumes:\nv1\n\nTotal reclaimed space: 6B\n");
    daemon
        .docker(&["volume", "prune", "-f"])
        .assert_stdout("Deleted Volumes:\nv2\n\nTotal reclaimed space: 0B\n");
    daemon
        .docker(&["volume", "prune", "-f"])
        .assert_stdout("Total reclaimed space: 0B\n");
    let answer = daemon.http("POST", "/v1.41/volumes/prune", None);
    assert_eq!(answer.body, "{\"VolumesDeleted\":[],\"SpaceReclaimed\":0}\n");
}

#[test]
fn inspect_shows_the_mounts_as_docker_does() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let host = tempfile::tempdir().unwrap();
    std::fs::write(host.path().join("file"), "x").unwrap();
    let dir = host.path().display().to_string();
    let created = daemon.docker(&[
        "create",
        "--name",
        "mm",
        "-v",
        "named:/named",
        "-v",
        &format!("{dir}:/ro:ro"),
        "-v",
        &format!("{dir}/file:/etc/f"),
        "-v",
        "/anon",
        "--mount",
        "type=tmpfs,target=/tmp2,tmpfs-size=1m",
        "--mount",
        "type=volume,source=mv,target=/mv,readonly",
        "--mount",
        &format!("type=bind,source={dir},target=/mb"),
        "busybox",
        "true",
    ]);
    created.assert_code(0);
    let out = daemon.docker(&[
        "inspect",
        "-f",
        "{{json .Mounts}}\n{{json .HostConfig.Binds}}\n{{json .HostConfig.Mounts}}\n{{json .Config.Volumes}}",
        "mm",
    ]);
    out.assert_code(0);
    let mut lines: Vec<String> = out.stdout.lines().map(str::to_owned).collect();
    // one mount a line, for a readable snapshot
    let mounts: Vec<serde_json::Value> = serde_json::from_str(&lines[0]).unwrap();
    lines[0] = mounts
        .iter()
        .map(|m| m.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    // The Docker CLI sends the `-v` binds in Go's map order, which is random: sorted here.
    let mut binds: Vec<String> = serde_json::from_str(&lines[1]).unwrap();
    binds.sort();
    lines[1] = serde_json::to_string(&binds).unwrap();
    insta::assert_snapshot!(
        "inspect_mounts",
        redact(&lines.join("\n"), &env, Some(host.path()))
    );
    // the daemon's own JSON: Docker's field order
    let raw = redact(
        &daemon.http("GET", "/v1.41/containers/mm/json", None).body,
        &env,
        Some(host.path()),
    );
    for part in [
        r#""Mounts":[{"Type":"volume","Name":"<64-hex id>","Source":"<data-root>/volumes/<64-hex id>/_data","Destination":"/anon","Driver":"local","Mode":"","RW":true,"Propagation":""},{"Type":"bind","Source":"<host-dir>/file","Destination":"/etc/f","Mode":"","RW":true,"Propagation":"rprivate"},"#,
        r#""IOMaximumBandwidth":0,"Mounts":[{"Type":"tmpfs","Target":"/tmp2","TmpfsOptions":{"SizeBytes":1048576}},"#,
    ] {
        assert!(raw.contains(part), "{part} not in {raw}");
    }
    // HostConfig.Binds comes first in HostConfig, in the order the client sent (Go's map
    // order for the Docker CLI): its contents are in the snapshot above, sorted
    assert!(raw.contains(r#""HostConfig":{"Binds":["#), "{raw}");
    // ps --filter volume=: a destination, a volume's name, a bind's source; exactly
    for (value, listed) in [
        ("named", "mm\n"),
        ("/ro", "mm\n"),
        (dir.as_str(), "mm\n"),
        ("nam", ""),
    ] {
        daemon
            .docker(&[
                "ps",
                "-a",
                "--filter",
                &format!("volume={value}"),
                "--format",
                "{{.Names}}",
            ])
            .assert_stdout(listed);
    }
    daemon.docker(&["rm", "-v", "mm"]).assert_code(0);
    // the named ones stay
    daemon
        .docker(&["volume", "ls", "-q"])
        .assert_stdout("mv\nnamed\n");
}

#[test]
fn invalid_specifications_are_refused_as_dockerd_refuses_them() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    for (spec, message, status) in [
        ("/x:/y:bogus", "invalid mode: bogus", 500),
        (
            "/x:/",
            "invalid volume specification: '/x:/': invalid mount config for type \"bind\": invalid specification: destination can't be '/'",
            500,
        ),
        (
            "foo/bar:/y",
            "create foo/bar: \"foo/bar\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path",
            400,
        ),
        (
            "vol:/y:shared",
            "invalid volume specification: 'vol:/y:shared': invalid mount config for type \"volume\": field BindOptions must not be specified",
            500,
        ),
    ] {
        let body = format!(
            r#"{{"Image":"busybox","Cmd":["true"],"HostConfig":{{"Binds":[{}]}}}}"#,
            serde_json::json!(spec)
        );
        let answer = daemon.http("POST", "/v1.41/containers/create", Some(&body));
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (
                status,
                format!("{}\n", serde_json::json!({ "message": message })).as_str()
            ),
            "{spec}"
        );
        let cli = daemon.docker(&["create", "-v", spec, "busybox", "true"]);
        assert_eq!(
            (cli.code, cli.stderr),
            (1, format!("Error response from daemon: {message}\n")),
            "{spec}"
        );
    }
    // (a one-letter source would be a Windows drive to the docker CLI: `v:/y` is a path)
    let duplicate = daemon.docker(&["create", "-v", "/tmp:/y", "-v", "vv:/y", "busybox", "true"]);
    assert_eq!(
        duplicate.stderr, "Error response from daemon: Duplicate mount point: /y\n",
        "{duplicate}"
    );
    // nothing was made by the refused requests
    daemon.docker(&["ps", "-aq"]).assert_stdout("");
    daemon.docker(&["volume", "ls", "-q"]).assert_stdout("");
}

#[test]
fn the_daemons_socket_in_a_container_lets_the_docker_cli_inside_list_the_containers() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["run", "-d", "--name", "outer", "busybox", "sleep", "300"])
        .assert_code(0);
    let socket = format!("{}:/var/run/docker.sock", daemon.socket().display());
    let cli = format!("{}:/usr/local/bin/docker:ro", docker_cli_path().display());
    let out = daemon.docker(&[
        "run",
        "--rm",
        "--name",
        "inner",
        "-v",
        &socket,
        "-v",
        &cli,
        "busybox",
        "sh",
        "-c",
        // (its own record says running a moment after its command starts: wait for it)
        "until docker ps --format '{{.Names}}' | grep -q inner; do sleep 0.1; done; docker ps --format '{{.Names}}'",
    ]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "inner\nouter\n"), "{out}");
    daemon.docker(&["rm", "-f", "outer"]).assert_code(0);
    assert_nothing_mounted(&env);
}

#[test]
fn volume_events_follow_dockers_sequence() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    let start = now();
    daemon
        .docker(&[
            "run", "--name", "ev", "-v", "evv:/d", "-v", "/anon", "busybox", "true",
        ])
        .assert_code(0);
    daemon.docker(&["rm", "-v", "ev"]).assert_code(0);
    daemon.docker(&["volume", "rm", "evv"]).assert_code(0);
    let until = now() + 1;
    let events = daemon.docker(&[
        "events",
        "--since",
        &start.to_string(),
        "--until",
        &until.to_string(),
        "--format",
        "{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes}}",
    ]);
    let text = redact(&events.stdout, &env, None);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("volume ") || l.contains(" create ") || l.contains(" destroy "))
        .collect();
    assert_eq!(
        lines,
        [
            "volume create evv map[driver:local]",
            "volume create <64-hex id> map[driver:local]",
            "container create <64-hex id> map[image:busybox name:ev]",
            "volume mount <64-hex id> map[container:<64-hex id> destination:/anon driver:local propagation: read/write:true]",
            "volume mount evv map[container:<64-hex id> destination:/d driver:local propagation: read/write:true]",
            "volume unmount <64-hex id> map[container:<64-hex id> driver:local]",
            "volume unmount evv map[container:<64-hex id> driver:local]",
            "volume destroy <64-hex id> map[driver:local]",
            "container destroy <64-hex id> map[image:busybox name:ev]",
            "volume destroy evv map[driver:local]",
        ],
        "{events}"
    );
}

#[test]
fn the_minidocker_cli_prints_what_the_docker_cli_prints() {
    root_test!();
    let env = TestEnv::new();
    let daemon = TestDaemon::start(&env, &[]);
    daemon
        .docker(&["volume", "create", "--label", "a=b", "v1"])
        .assert_code(0);
    daemon
        .docker(&["create", "--name", "keeper", "-v", "used:/u", "busybox", "true"])
        .assert_code(0);
    // an anonymous volume left dangling (rm without -v)
    daemon
        .docker(&["create", "--name", "anon", "-v", "/anon", "busybox", "true"])
        .assert_code(0);
    daemon.docker(&["rm", "anon"]).assert_code(0);
    let same = |args: &[&str]| {
        let docker = daemon.docker(args);
        let minidocker = env.minidocker(args);
        assert_eq!(
            (
                minidocker.code,
                minidocker.stdout.as_str(),
                minidocker.stderr.as_str()
            ),
            (
                docker.code,
                docker.stdout.as_str(),
                as_minidocker(&docker.stderr).as_str()
            ),
            "{docker}"
        );
    };
    same(&["volume", "create", "--label", "a=b", "v1"]);
    same(&["volume", "ls"]);
    same(&["volume", "list", "-q"]);
    same(&["volume", "ls", "--format", "{{.Name}}\t{{.Driver}}\t{{.Labels}}"]);
    same(&[
        "volume",
        "ls",
        "--format",
        "table {{.Name}}\t{{.Labels}}\t{{.Mountpoint}}",
    ]);
    same(&["volume", "ls", "--format", "json"]);
    same(&["volume", "ls", "-f", "dangling=true", "-q"]);
    same(&["volume", "ls", "-f", "label=a=b"]);
    same(&["volume", "ls", "-f", "bogus=1"]);
    same(&["volume", "ls", "-f", "bogus"]);
    same(&["volume", "ls", "extra"]);
    same(&["volume", "inspect", "v1", "used"]);
    same(&["volume", "inspect", "-f", "{{.Name}} {{.Labels}}", "v1", "nosuch"]);
    same(&["volume", "inspect"]);
    same(&["volume", "create", "a1", "b1"]);
    same(&["volume", "create", "--name", "x1", "y1"]);
    same(&["volume", "create", "--label", "=x", "z1"]);
    same(&["volume", "create", "-d", "nosuch", "z1"]);
    same(&["volume", "create", "-o", "foo=bar", "z1"]);
    same(&["volume", "rm", "used", "nosuch"]);
    same(&["volume", "rm", "-f", "nosuch"]);
    same(&["volume", "rm"]);
    same(&["volume", "prune", "extra"]);
    // run and create's -v, --mount and --tmpfs: the CLI's own errors and the daemon's
    same(&["create", "-v", ":/y", "busybox", "true"]);
    same(&["create", "-v", "", "busybox", "true"]);
    same(&["create", "--mount", "type=tmpfs", "busybox", "true"]);
    same(&["create", "--mount", "target=/x,bogus=1", "busybox", "true"]);
    same(&["run", "--rm", "-v", "/x:/y:bogus", "busybox", "true"]);
    same(&[
        "run",
        "--rm",
        "-v",
        "used:/u:ro",
        "busybox",
        "sh",
        "-c",
        "touch /u/x",
    ]);
    same(&[
        "run",
        "--rm",
        "-v",
        "used:/u",
        "--mount",
        "type=tmpfs,destination=/t,tmpfs-size=64k",
        "--tmpfs",
        "/t2:size=128k",
        "busybox",
        "sh",
        "-c",
        "grep -E ' /(u|t|t2) ' /proc/mounts | cut -d' ' -f2,3",
    ]);
    daemon.docker(&["volume", "create", "gone"]).assert_code(0);
    env.minidocker(&["volume", "rm", "gone"]).assert_stdout("gone\n");
    // prune: the anonymous volume and v1 go, `used` stays
    env.minidocker(&["volume", "prune", "-f", "--filter", "label=a"])
        .assert_stdout("Deleted Volumes:\nv1\n\nTotal reclaimed space: 0B\n");
    let pruned = env.minidocker(&["volume", "prune", "-f"]);
    assert_eq!(pruned.stdout.lines().count(), 4, "{pruned}");
    same(&["volume", "ls", "-q"]);
    same(&["volume", "prune", "-f"]);
}
