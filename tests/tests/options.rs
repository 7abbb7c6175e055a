//! `-e`, `-u` and `-w` as Docker applies them (docs/oracle §5-§7). Their error cases are in
//! `errors.rs`.

use minidocker_e2e::{TestEnv, root_test};

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[test]
fn env_order_is_path_hostname_user_vars_home() {
    root_test!();
    let env = TestEnv::new();
    // Without --rm, to compare HOSTNAME with the container id.
    let out = env.run(&["-e", "FOO=bar", "-e", "A=B=C", "-e", "EMPTY=", "busybox", "env"]);
    out.assert_clean_success();
    let (id, _) = env.only_container();
    out.assert_stdout(&format!(
        "{PATH}\nHOSTNAME={}\nFOO=bar\nA=B=C\nEMPTY=\nHOME=/root\n",
        &id[..12]
    ));
}

#[test]
fn env_without_value_takes_the_callers_value_or_nothing() {
    root_test!();
    let env = TestEnv::new();
    let out = env
        .run_cmd(&["--rm", "-h", "h", "-e", "FOO", "busybox", "env"])
        .env("FOO", "fromhost")
        .output();
    out.assert_clean_success()
        .assert_stdout(&format!("{PATH}\nHOSTNAME=h\nFOO=fromhost\nHOME=/root\n"));
    let out = env
        .run_cmd(&["--rm", "-h", "h", "-e", "FOO", "busybox", "env"])
        .env_remove("FOO")
        .output();
    out.assert_clean_success()
        .assert_stdout(&format!("{PATH}\nHOSTNAME=h\nHOME=/root\n"));
}

#[test]
fn env_home_given_by_the_user_is_kept() {
    root_test!();
    let env = TestEnv::new();
    let out = env.run(&["--rm", "-h", "h", "-e", "HOME=/elsewhere", "busybox", "env"]);
    out.assert_clean_success()
        .assert_stdout(&format!("{PATH}\nHOSTNAME=h\nHOME=/elsewhere\n"));
}

#[test]
fn user_by_name_gets_its_passwd_ids_and_home() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--rm",
        "-u",
        "nobody",
        "busybox",
        "sh",
        "-c",
        "id; echo HOME=$HOME",
    ])
    .assert_clean_success()
    .assert_stdout("uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\nHOME=/nonexistent\n");
}

#[test]
fn numeric_user_without_passwd_entry_gets_gid_0_and_home_slash() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "-u", "1000", "busybox", "sh", "-c", "id; echo HOME=$HOME"])
        .assert_clean_success()
        .assert_stdout("uid=1000 gid=0(root) groups=0(root)\nHOME=/\n");
}

#[test]
fn user_and_group_forms() {
    root_test!();
    let env = TestEnv::new();
    // docs/oracle §6, byte for byte.
    let cases = [
        ("0", "uid=0(root) gid=0(root) groups=0(root)"),
        ("", "uid=0(root) gid=0(root) groups=0(root)"),
        (
            "root:nogroup",
            "uid=0(root) gid=65534(nogroup) groups=65534(nogroup)",
        ),
        (
            "65534:65534",
            "uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)",
        ),
        ("nobody:root", "uid=65534(nobody) gid=0(root) groups=0(root)"),
        ("1000:1000", "uid=1000 gid=1000 groups=1000"),
    ];
    for (user, id) in cases {
        let out = env.run(&["--rm", "-u", user, "busybox", "id"]);
        out.assert_clean_success().assert_stdout(&format!("{id}\n"));
    }
}

#[test]
fn missing_workdir_is_created_owned_by_root() {
    root_test!();
    let env = TestEnv::new();
    // docs/oracle §7: created with parents, 0755, root:root even for -u 1000.
    env.run(&[
        "--rm",
        "-w",
        "/nonexistent/a/b",
        "-u",
        "1000",
        "busybox",
        "sh",
        "-c",
        "pwd; stat -c '%n %a %U:%G' /nonexistent /nonexistent/a/b",
    ])
    .assert_clean_success()
    .assert_stdout("/nonexistent/a/b\n/nonexistent 755 root:root\n/nonexistent/a/b 755 root:root\n");
}

#[test]
fn existing_and_empty_workdir() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "-w", "/tmp", "busybox", "pwd"])
        .assert_clean_success()
        .assert_stdout("/tmp\n");
    env.run(&["--rm", "-w", "", "busybox", "pwd"])
        .assert_clean_success()
        .assert_stdout("/\n");
    env.run(&["--rm", "busybox", "pwd"])
        .assert_clean_success()
        .assert_stdout("/\n");
}
