//! Containers on overlay layers: each container writes to its own layer over the image's
//! read-only layers, the image's layers are shared on disk, and `rm` takes the container's
//! layer away.

use std::path::{Path, PathBuf};
use std::time::Duration;

use minidocker_e2e::{TestEnv, root_test};

/// The container's own directory name under `overlay2/` (its mount id).
fn mount_id(env: &TestEnv, container_id: &str) -> String {
    let dir = env.container_layer_dir(container_id);
    dir.file_name()
        .and_then(|n| n.to_str())
        .expect("a layer directory name")
        .to_owned()
}

fn layer_dir(env: &TestEnv, id: &str) -> PathBuf {
    env.data_root().join("overlay2").join(id)
}

/// The absolute diff dirs below layer `id`, read back through its `lower` file and `l/` links.
fn lower_dirs(env: &TestEnv, id: &str) -> Vec<PathBuf> {
    let overlay2 = env.data_root().join("overlay2");
    let lower =
        std::fs::read_to_string(layer_dir(env, id).join("lower")).expect("the layer has a lower file");
    lower
        .trim()
        .split(':')
        .map(|l| std::fs::canonicalize(overlay2.join(l)).expect("every l/ link resolves"))
        .collect()
}

fn id_of(env: &TestEnv, name: &str) -> String {
    env.find_container(name)
        .unwrap_or_else(|| panic!("container {name} exists"))
        .0
}

#[test]
fn two_containers_share_the_image_layers_and_keep_their_own_changes() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--name",
        "one",
        "busybox",
        "sh",
        "-c",
        "echo one > /file; rm /bin/vi",
    ])
    .assert_code(0);
    env.run(&[
        "--name",
        "two",
        "busybox",
        "sh",
        "-c",
        "cat /file 2>&1; ls /bin/vi",
    ])
    .assert_code(0)
    .assert_stdout("cat: can't open '/file': No such file or directory\n/bin/vi\n");

    let (one, two) = (
        mount_id(&env, &id_of(&env, "one")),
        mount_id(&env, &id_of(&env, "two")),
    );
    assert_ne!(one, two);
    let (lowers_one, lowers_two) = (lower_dirs(&env, &one), lower_dirs(&env, &two));
    // below each container: its own init layer, then the same image layer directory
    assert_eq!(lowers_one.len(), 2, "{lowers_one:?}");
    assert_eq!(
        lowers_one[0],
        std::fs::canonicalize(layer_dir(&env, &format!("{one}-init")).join("diff")).unwrap()
    );
    assert_eq!(
        lowers_one[1], lowers_two[1],
        "the image layer is one directory on disk"
    );

    // each container's changes are in its own upper dir: a file, and a whiteout for the deletion
    let upper = layer_dir(&env, &one).join("diff");
    assert_eq!(std::fs::read_to_string(upper.join("file")).unwrap(), "one\n");
    let whiteout = std::fs::symlink_metadata(upper.join("bin/vi")).expect("a whiteout for /bin/vi");
    assert!(std::os::unix::fs::FileTypeExt::is_char_device(
        &whiteout.file_type()
    ));
    assert_eq!(std::os::unix::fs::MetadataExt::rdev(&whiteout), 0);
    // and the image layer is untouched
    assert!(lowers_one[1].join("bin/vi").exists());
    assert!(!lowers_one[1].join("file").exists());
}

#[test]
fn the_container_layer_is_mounted_while_it_runs_and_removed_with_rm() {
    root_test!();
    let env = TestEnv::new();
    let mut run = env.spawn_run(&[
        "--name",
        "web",
        "busybox",
        "sh",
        "-c",
        "echo hi > /hello; echo ready; exec sleep 30",
    ]);
    run.wait_for_line("ready");
    env.wait_for_running("web", Duration::from_secs(10));
    let id = id_of(&env, "web");
    let layer = mount_id(&env, &id);
    let merged = layer_dir(&env, &layer).join("merged");
    // Docker mounts the overlay in the host's mount namespace: the files are visible there.
    let mounts = env.mounts_inside();
    assert!(
        mounts
            .iter()
            .any(|m| m.mount_point == merged && m.fstype == "overlay"),
        "{merged:?} is not an overlay mount: {mounts:?}"
    );
    assert_eq!(std::fs::read_to_string(merged.join("hello")).unwrap(), "hi\n");

    env.minidocker(&["rm", "-f", "web"])
        .assert_code(0)
        .assert_stdout("web\n");
    run.wait().assert_code(137);
    assert_eq!(env.mounts_inside(), [], "the overlay is unmounted");
    for dir in [layer.clone(), format!("{layer}-init")] {
        assert!(
            !layer_dir(&env, &dir).exists(),
            "{dir} is removed with the container"
        );
    }
    assert!(
        !env.data_root()
            .join("image/overlay2/layerdb/mounts")
            .join(&id)
            .exists(),
        "the mount record is removed"
    );
    // the image's layer stays
    let image_layers: Vec<PathBuf> = std::fs::read_dir(env.data_root().join("overlay2"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| n != "l"))
        .collect();
    assert_eq!(image_layers.len(), 1, "{image_layers:?}");
    assert_links_resolve(&env.data_root().join("overlay2"));
}

#[test]
fn run_rm_leaves_only_the_image_behind() {
    root_test!();
    let env = TestEnv::new();
    // the predefined networks' records, made once (as dockerd makes them when it starts)
    env.minidocker(&["network", "ls", "-q"]).assert_code(0);
    let before = listing(env.data_root());
    env.run(&["--rm", "busybox", "sh", "-c", "echo x > /tmp/x"])
        .assert_code(0);
    // its directories went to the trash at once, and a moment later they are deleted
    let trash = env.data_root().join("trash");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::fs::read_dir(&trash).is_ok_and(|mut d| d.next().is_some()) {
        assert!(
            std::time::Instant::now() < deadline,
            "the trash was never emptied"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let after = listing(env.data_root());
    // the event log grows, as it should (`docker events` shows the run), the volume store's
    // lock file is made on its first use (dockerd's volumes/metadata.db is there from its
    // start), and so is the (empty) trash
    let added: Vec<&PathBuf> = after
        .iter()
        .filter(|p| !before.contains(p) && !p.ends_with("events.jsonl"))
        .filter(|p| !p.ends_with("volumes") && !p.ends_with("volumes/.lock"))
        .filter(|p| !p.ends_with("trash"))
        // the next --rm container's layers, made ahead (checked below)
        .filter(|p| !p.starts_with("spare-layers"))
        .collect();
    let removed: Vec<&PathBuf> = before.iter().filter(|p| !after.contains(p)).collect();
    assert!(
        added.is_empty() && removed.is_empty(),
        "--rm left {added:?}, took {removed:?}"
    );
    assert_eq!(env.mounts_inside(), []);
    // nothing in the store refers to the spare layers: a daemon that ends leaves garbage
    assert_links_resolve(&env.data_root().join("overlay2"));
}

/// The names in the daemon's `spare-layers/` once the thread that makes them is done.
fn spare_layers_when_made(data_root: &Path, daemon: nix::unistd::Pid) -> Vec<String> {
    let deadline = std::time::Instant::now() + minidocker_e2e::process::scaled(Duration::from_secs(30));
    while minidocker_e2e::process::has_thread_named(daemon, "spare-layers") {
        assert!(
            std::time::Instant::now() < deadline,
            "the spare layers were never made"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut names: Vec<String> = std::fs::read_dir(data_root.join("spare-layers"))
        .expect("spare-layers/")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_rm_container_takes_the_layers_made_ahead_and_the_daemon_makes_the_next() {
    root_test!();
    let env = TestEnv::new();
    let daemon = minidocker_e2e::TestDaemon::start(&env, &[]);
    let daemon_pid = daemon.pid();
    assert_eq!(
        spare_layers_when_made(env.data_root(), daemon_pid),
        Vec::<String>::new(),
        "none before a --rm container says which image"
    );
    daemon.docker(&["run", "--rm", "busybox", "true"]).assert_code(0);
    let spare = spare_layers_when_made(env.data_root(), daemon_pid);
    assert_eq!(spare.len(), 2, "a pair: {spare:?}");
    assert_eq!(spare[1], format!("{}-init", spare[0]));

    let run = daemon.docker(&[
        "run",
        "-d",
        "--rm",
        "--name",
        "took",
        "busybox",
        "sh",
        "-c",
        "echo hi > /f; sleep 1000",
    ]);
    run.assert_code(0);
    let id = run.stdout.trim().to_owned();
    env.wait_for_running("took", Duration::from_secs(30));
    // the pair is this container's layers now, under its id, like any container's
    let upper = layer_dir(&env, &id).join("diff");
    let deadline = std::time::Instant::now() + minidocker_e2e::process::scaled(Duration::from_secs(10));
    while !upper.join("f").exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the container's write is not in {}",
            upper.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        layer_dir(&env, &format!("{id}-init"))
            .join("diff/.dockerenv")
            .exists()
    );
    let inspect = daemon.docker(&["inspect", "-f", "{{.GraphDriver.Data.LowerDir}}", "took"]);
    let lower = inspect.stdout.trim();
    assert!(
        lower.starts_with(&format!(
            "{}/diff:",
            layer_dir(&env, &format!("{id}-init")).display()
        )),
        "{lower}"
    );
    assert_links_resolve(&env.data_root().join("overlay2"));
    let next = spare_layers_when_made(env.data_root(), daemon_pid);
    assert_eq!(next.len(), 2, "the next pair: {next:?}");
    assert!(!next.contains(&spare[0]), "taken, not left: {next:?}");
    daemon.docker(&["rm", "-f", "took"]).assert_code(0);
    assert!(!layer_dir(&env, &id).exists());
}

/// Every `l/` link points at an existing layer's diff dir (removed layers take their link).
fn assert_links_resolve(overlay2: &Path) {
    for link in std::fs::read_dir(overlay2.join("l"))
        .expect("overlay2/l exists")
        .flatten()
    {
        assert!(
            std::fs::metadata(link.path()).is_ok(),
            "dangling link {}",
            link.path().display()
        );
    }
}

/// Every path under `root`, not descending into layers' `diff` dirs.
fn listing(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("listing the data root").flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) && entry.file_name() != "diff" {
                pending.push(path.clone());
            }
            out.push(path.strip_prefix(root).expect("under the data root").to_owned());
        }
    }
    out.sort();
    out
}

#[test]
fn rm_of_the_last_container_of_a_force_removed_image_frees_its_layers() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--name", "holder", "busybox", "true"]).assert_code(0);
    // Docker: the image goes, its layers stay while a container is built on them
    env.minidocker(&["rmi", "-f", "busybox"]).assert_code(0);
    let layerdb = env.data_root().join("image/overlay2/layerdb/sha256");
    assert_eq!(
        std::fs::read_dir(&layerdb).unwrap().count(),
        1,
        "the layer is kept for the container"
    );

    env.minidocker(&["rm", "holder"]).assert_code(0);
    assert_eq!(
        std::fs::read_dir(&layerdb).unwrap().count(),
        0,
        "the layer goes with its last user"
    );
    let overlay2: Vec<_> = std::fs::read_dir(env.data_root().join("overlay2"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(overlay2, ["l"], "only the empty l/ remains");
    assert_eq!(
        std::fs::read_dir(env.data_root().join("overlay2/l"))
            .unwrap()
            .count(),
        0
    );
    let tars = env.data_root().join("image/overlay2/layertars/blobs/sha256");
    assert_eq!(
        std::fs::read_dir(&tars).unwrap().count(),
        0,
        "the layer tar is deleted too"
    );
}

/// A `--rm` container's layer is mounted `volatile`: no syncs, none at its unmount either (it
/// goes with the container); any other container's layer is synced, as Docker mounts all.
#[test]
fn only_a_rm_containers_layer_is_volatile() {
    root_test!();
    let env = TestEnv::new();
    let root_options = "awk '$2 == \"/\" {print $4}' /proc/mounts";
    let removed = env.run(&["--rm", "busybox", "sh", "-c", root_options]);
    removed.assert_code(0);
    assert!(
        // (6.x kernels show it as `fsync=volatile`, older ones as `volatile`)
        removed
            .stdout
            .trim()
            .split(',')
            .any(|o| o == "volatile" || o == "fsync=volatile"),
        "{removed}"
    );
    let kept = env.run(&["--name", "kept", "busybox", "sh", "-c", root_options]);
    kept.assert_code(0);
    assert!(
        kept.stdout.contains("upperdir="),
        "the root is the overlay: {kept}"
    );
    assert!(!kept.stdout.contains("volatile"), "{kept}");
}
