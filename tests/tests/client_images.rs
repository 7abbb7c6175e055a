//! The image, network and disk-usage commands of the `minidocker` CLI are clients of a
//! daemon: any daemon `-H` or `DOCKER_HOST` names, TCP as well as a unix socket, with the
//! archives of `import`, `save` and `load` streamed through the connection rather than held
//! whole by the CLI.

use std::io::{Read, Write};

use minidocker_e2e::image::tar_of;
use minidocker_e2e::registry::free_port;
use minidocker_e2e::{TestDaemon, TestEnv, root_test};

#[test]
fn image_commands_reach_a_daemon_over_tcp() {
    root_test!();
    let env = TestEnv::new();
    let port = free_port(env.net());
    let host = format!("tcp://127.0.0.1:{port}");
    let _daemon = TestDaemon::start(&env, &["-H", &host]);
    let over_tcp = |args: &[&str]| {
        let mut all = vec!["-H", host.as_str()];
        all.extend_from_slice(args);
        env.minidocker(&all)
    };

    // docker -H tcp://127.0.0.1:PORT images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
    let short_id = &env.image_id()["sha256:".len().."sha256:".len() + 12];
    over_tcp(&["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"])
        .assert_clean_success()
        .assert_stdout(&format!("busybox:latest {short_id}\n"));
    // DOCKER_HOST says the same as -H
    let by_env = env
        .cmd(&["images", "-q", "--no-trunc"])
        .env("DOCKER_HOST", &host)
        .output();
    by_env
        .assert_clean_success()
        .assert_stdout(&format!("{}\n", env.image_id()));

    // an import, a save to a file, the image removed, and a load back, all through TCP
    let imported = env
        .cmd(&["-H", &host, "import", "-", "viatcp:1"])
        .stdin(tar_of(&[("hello", b"over tcp")]))
        .output();
    imported.assert_clean_success();
    let id = imported.stdout.trim_end().to_owned();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{imported}");
    let dir = tempfile::tempdir().expect("a temp dir");
    let archive = dir.path().join("viatcp.tar");
    let archive_arg = archive.to_str().expect("utf-8");
    over_tcp(&["save", "-o", archive_arg, "viatcp:1"]).assert_clean_success();
    // the image, then its layer
    let removed = over_tcp(&["rmi", "viatcp:1"]);
    removed.assert_clean_success();
    assert!(
        removed
            .stdout
            .starts_with(&format!("Untagged: viatcp:1\nDeleted: {id}\nDeleted: sha256:")),
        "{removed}"
    );
    over_tcp(&["load", "-i", archive_arg])
        .assert_clean_success()
        .assert_stdout("Loaded image: viatcp:1\n");
    over_tcp(&["image", "inspect", "-f", "{{.Id}}", "viatcp:1"])
        .assert_clean_success()
        .assert_stdout(&format!("{id}\n"));
    // a daemon's error through TCP is printed as through the socket
    over_tcp(&["history", "nosuch"])
        .assert_code(1)
        .assert_stderr("Error response from daemon: No such image: nosuch:latest\n");
}

#[test]
fn network_prune_through_the_daemon() {
    root_test!();
    let env = TestEnv::empty();
    let daemon = TestDaemon::start(&env, &[]);
    // nothing to remove: dockerd's nil list, and the CLI prints nothing
    let none = daemon.http("POST", "/v1.41/networks/prune", None);
    assert_eq!(
        (none.status, none.body.trim_end()),
        (200, r#"{"NetworksDeleted":null}"#)
    );
    env.minidocker(&["network", "prune", "-f"])
        .assert_clean_success()
        .assert_stdout("");
    env.minidocker(&["network", "create", "unused"])
        .assert_clean_success();
    // docker network prune, answered y:
    //   WARNING! This will remove all custom networks not used by at least one container.
    //   Are you sure you want to continue? [y/N] Deleted Networks:
    //   unused
    env.cmd(&["network", "prune"])
        .stdin("y\n")
        .output()
        .assert_clean_success()
        .assert_stdout(
            "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] Deleted Networks:\nunused\n\n",
        );
    env.minidocker(&["network", "ls", "-q", "-f", "name=unused"])
        .assert_clean_success()
        .assert_stdout("");
}

#[test]
fn a_named_daemon_that_does_not_answer_is_not_started() {
    root_test!();
    let env = TestEnv::empty();
    // docker -H tcp://127.0.0.1:PORT images (nothing listening), exit 1:
    //   Cannot connect to the Docker daemon at tcp://127.0.0.1:PORT. Is the docker daemon running?
    let host = format!("tcp://127.0.0.1:{}", free_port(env.net()));
    for args in [
        &["images"][..],
        &["network", "ls"],
        &["system", "df"],
        &["load", "-i", "/dev/null"],
    ] {
        let mut all = vec!["-H", host.as_str()];
        all.extend_from_slice(args);
        env.minidocker(&all)
            .assert_code(1)
            .assert_stdout("")
            .assert_stderr(&format!(
                "Cannot connect to the Docker daemon at {host}. Is the docker daemon running?\n"
            ));
    }
}

/// A rootfs tar of one file of `size` zero bytes, written to `path` as it is made.
fn write_big_rootfs(path: &std::path::Path, size: u64) {
    let file = std::fs::File::create(path).expect("creating the tar");
    let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_mode(0o644);
    header.set_size(size);
    header.set_mtime(1_700_000_000);
    header.set_uid(0);
    header.set_gid(0);
    tar.append_data(&mut header, "big", std::io::repeat(0).take(size))
        .expect("the big entry");
    tar.into_inner()
        .and_then(|mut out| out.flush())
        .expect("writing the tar");
}

/// The largest resident set, in KiB, of the processes this test has waited for (getrusage(2),
/// `RUSAGE_CHILDREN`).
fn children_peak_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage(2) fills the struct it is given; RUSAGE_CHILDREN is a valid `who`.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) };
    assert_eq!(rc, 0, "getrusage(2): {}", std::io::Error::last_os_error());
    // SAFETY: initialized by the successful call above (and zeroed before it).
    unsafe { usage.assume_init() }.ru_maxrss
}

#[test]
fn import_streams_the_tar_instead_of_holding_it() {
    root_test!();
    let env = TestEnv::empty();
    const SIZE: u64 = 128 << 20;
    let dir = tempfile::tempdir().expect("a temp dir");
    let tar = dir.path().join("big.tar");
    write_big_rootfs(&tar, SIZE);

    let imported = env.minidocker(&["import", tar.to_str().expect("utf-8"), "big:1"]);
    imported.assert_clean_success();
    env.minidocker(&["image", "inspect", "-f", "{{.Size}}", "big:1"])
        .assert_clean_success()
        .assert_stdout(&format!("{SIZE}\n"));
    // Every process this test waited for (the CLIs; not the daemon, which they started in
    // the background) stayed far below the tar's size: the CLI sent it as it read it.
    let peak_kib = children_peak_rss_kib();
    assert!(
        (peak_kib as u64) < (SIZE >> 10) / 2,
        "a CLI used {peak_kib} KiB for a {} KiB tar",
        SIZE >> 10
    );
}
