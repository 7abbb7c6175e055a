//! `system df`: Docker's disk usage rows and the -v sections (oracle output in the comments).

use std::time::Duration;

use minidocker_e2e::{TestEnv, root_test};
use serde_json::Value;

/// The busybox image's size as `docker system df` prints it (go-units `HumanSize`, 4 digits),
/// which `images` also prints as `VirtualSize`.
fn busybox_size(env: &TestEnv) -> String {
    env.minidocker(&["images", "--format", "{{.VirtualSize}}", "busybox"])
        .stdout
        .trim()
        .to_owned()
}

/// `TYPE TOTAL ACTIVE SIZE RECLAIMABLE` rows as `--format '{{json .}}'` gives them.
fn summary(env: &TestEnv) -> Vec<[String; 5]> {
    let out = env.minidocker(&["system", "df", "--format", "{{json .}}"]);
    out.assert_clean_success();
    out.stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("json row");
            ["Type", "TotalCount", "Active", "Size", "Reclaimable"]
                .map(|k| v[k].as_str().unwrap_or("?").to_owned())
        })
        .collect()
}

fn r(cells: [&str; 5]) -> [String; 5] {
    cells.map(str::to_owned)
}

#[test]
fn df_counts_images_and_the_containers_own_layers() {
    root_test!();
    let env = TestEnv::new();
    let size = busybox_size(&env);

    // TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE
    // Images          1         0         1.984MB   1.984MB (100%)
    let out = env.minidocker(&["system", "df"]);
    out.assert_clean_success().assert_stdout(&format!(
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\nImages          1         0         {size:<10}{size} (100%)\nContainers      0         0         0B        0B\nLocal Volumes   0         0         0B        0B\nBuild Cache     0         0         0B        0B\n"
    ));

    // A stopped container that wrote 6 bytes: its layer is all reclaimable; the image it uses
    // is active, and what only it uses is not reclaimable.
    env.run(&["--name", "wr", "busybox", "sh", "-c", "echo hello > /f"])
        .assert_code(0);
    assert_eq!(
        summary(&env),
        [
            r(["Images", "1", "1", &size, "0B (0%)"]),
            r(["Containers", "1", "0", "6B", "6B (100%)"]),
            r(["Local Volumes", "0", "0", "0B", "0B"]),
            r(["Build Cache", "0", "0", "0B", "0B"]),
        ]
    );

    // A running container counts as active and is not reclaimable.
    let _running = env.spawn_run(&[
        "--name",
        "busy",
        "busybox",
        "sh",
        "-c",
        "echo 1234 > /g; sleep 300",
    ]);
    env.wait_for_running("busy", Duration::from_secs(10));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let rows = summary(&env);
        if rows[1] == r(["Containers", "2", "1", "11B", "6B (54%)"]) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{rows:?}");
        std::thread::sleep(Duration::from_millis(50));
    }

    let table = env.minidocker(&["system", "df", "--format", "table {{.Type}}\\t{{.Active}}"]);
    table.assert_stdout("TYPE            ACTIVE\nImages          1\nContainers      1\nLocal Volumes   0\nBuild Cache     0\n");
}

#[test]
fn df_verbose_lists_images_and_containers() {
    root_test!();
    let env = TestEnv::new();
    let id = env.image_id()["sha256:".len().."sha256:".len() + 12].to_owned();
    env.minidocker(&["tag", "busybox", "other:1"])
        .assert_clean_success();
    env.run(&["--name", "wr", "busybox", "sh", "-c", "echo hello > /f"])
        .assert_code(0);
    let (cid, _) = env.find_container("wr").expect("container");
    let out = env.minidocker(&["system", "df", "-v"]);
    out.assert_clean_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "Images space usage:", "{out}");
    assert_eq!(lines[1], "");
    assert!(
        lines[2].starts_with("REPOSITORY   TAG       IMAGE ID       CREATED ")
            && lines[2].ends_with("   SIZE      SHARED SIZE   UNIQUE SIZE   CONTAINERS"),
        "{out}"
    );
    // one row per image (its first name), with its container count
    assert!(
        lines[3].starts_with(&format!("busybox      latest    {id}   ")),
        "{out}"
    );
    let cells: Vec<&str> = lines[3]
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells[5..],
        ["0B", &busybox_size(&env), "1"],
        "shared, unique, containers: {out}"
    );
    assert_eq!(lines[4], "");
    assert_eq!(lines[5], "Containers space usage:");
    assert!(
        lines[7].starts_with(
            "CONTAINER ID   IMAGE     COMMAND                  LOCAL VOLUMES   SIZE      CREATED "
        ) && lines[7].contains("   STATUS   ")
            && lines[7].ends_with("   NAMES"),
        "{out}"
    );
    assert!(
        lines[8].starts_with(&format!(
            "{}   busybox   \"sh -c 'echo hello >…\"   0               6B        ",
            &cid[..12]
        )) && lines[8].ends_with("   wr"),
        "{out}"
    );
    let tail: Vec<&str> = lines[9..].to_vec();
    assert_eq!(
        tail,
        [
            "",
            "Local Volumes space usage:",
            "",
            "VOLUME NAME   LINKS     SIZE",
            "",
            "Build cache usage: 0B",
            "",
            "CACHE ID   CACHE TYPE   SIZE      CREATED   LAST USED   USAGE     SHARED",
        ],
        "{out}"
    );

    // a template over the verbose data
    let names = env.minidocker(&[
        "system",
        "df",
        "-v",
        "--format",
        "{{range .Images}}{{.Repository}}:{{.Containers}} {{end}}{{range .Containers}}{{.Names}}:{{.Size}}{{end}}",
    ]);
    names.assert_clean_success().assert_stdout("busybox:1 wr:6B");

    env.minidocker(&["system", "df", "x"]).assert_code(1).assert_stderr(
        "minidocker: 'minidocker system df' accepts no arguments\n\nUsage:  minidocker system df [OPTIONS]\n\nRun 'minidocker system df --help' for more information\n",
    );
}

#[test]
fn df_of_an_empty_engine() {
    root_test!();
    let env = TestEnv::empty();
    env.minidocker(&["system", "df"]).assert_clean_success().assert_stdout(
        "TYPE            TOTAL     ACTIVE    SIZE      RECLAIMABLE\nImages          0         0         0B        0B\nContainers      0         0         0B        0B\nLocal Volumes   0         0         0B        0B\nBuild Cache     0         0         0B        0B\n",
    );
}
