//! `ps` and `rm`: the columns, statuses and messages Docker prints (oracle runs in the comments).

use std::time::Duration;

use minidocker_e2e::text::is_full_id;
use minidocker_e2e::{TestEnv, root_test};

#[test]
fn ps_shows_running_and_with_a_all_containers() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "t1", "busybox", "sh", "-c", "exit 3"])
        .assert_code(3);
    env.run(&["--name", "t2", "busybox", "true"]).assert_code(0);
    let running = env.spawn_run(&["--name", "t3", "busybox", "sleep", "300"]);
    env.wait_for_running("t3", Duration::from_secs(10));

    let ps = env.minidocker(&["ps"]);
    ps.assert_code(0);
    let lines: Vec<&str> = ps.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{ps}");
    assert!(
        lines[0].starts_with("CONTAINER ID   IMAGE     COMMAND       CREATED"),
        "{ps}"
    );
    assert!(
        lines[1].contains("busybox   \"sleep 300\"")
            && lines[1].contains("   Up ")
            && lines[1].ends_with("t3"),
        "{ps}"
    );

    // docker: "sh -c 'exit 3'" (an argument with a space is single-quoted), newest first
    let all = env.minidocker(&["ps", "-a", "--format", "{{.Names}}|{{.Command}}|{{.Status}}"]);
    let rows: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(rows.len(), 3, "{all}");
    assert!(rows[0].starts_with("t3|\"sleep 300\"|Up "), "{all}");
    assert!(
        rows[1].starts_with("t2|\"true\"|Exited (0) ") && rows[1].ends_with(" ago"),
        "{all}"
    );
    assert!(rows[2].starts_with("t1|\"sh -c 'exit 3'\"|Exited (3) "), "{all}");

    let quiet = env.minidocker(&["ps", "-aq"]);
    assert!(quiet.stdout.lines().all(|l| l.len() == 12), "{quiet}");
    let full = env.minidocker(&["ps", "-a", "-q", "--no-trunc"]);
    assert!(full.stdout.lines().all(is_full_id), "{full}");
    let latest = env.minidocker(&["ps", "-l", "--format", "{{.Names}}"]);
    assert_eq!(latest.stdout, "t3\n");

    // a running container is refused without -f, with Docker's message and exit code 1
    let (id, _) = env.find_container("t3").expect("t3 exists");
    let refused = env.minidocker(&["rm", "t3"]);
    refused.assert_code(1).assert_stderr(&format!(
        "Error response from daemon: You cannot remove a running container {id}. Stop the container before attempting removal or force remove\n"
    ));
    env.minidocker(&["rm", "-f", "t3"])
        .assert_code(0)
        .assert_stdout("t3\n");
    // the foreground `run` sees its container killed: 137, like `docker run` after `docker rm -f`
    let out = running.wait();
    out.assert_code(137);
    assert!(env.processes_inside().is_empty(), "rm -f left processes");
}

#[test]
fn rm_names_each_missing_container_and_goes_on() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "t1", "busybox", "true"]).assert_code(0);
    let out = env.minidocker(&["rm", "t1", "nosuch2"]);
    out.assert_code(1)
        .assert_stdout("t1\n")
        .assert_stderr("Error response from daemon: No such container: nosuch2\n");
    assert!(env.container_ids().is_empty());
}

#[test]
fn ps_json_format_has_dockers_keys() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "web", "busybox", "true"]).assert_code(0);
    let out = env.minidocker(&["ps", "-a", "--format", "{{json .}}"]);
    let v: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("json");
    for key in [
        "Command",
        "CreatedAt",
        "ID",
        "Image",
        "Names",
        "RunningFor",
        "State",
        "Status",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {v}");
    }
    assert_eq!(v["State"], "exited");
    assert_eq!(v["Names"], "web");
}
