//! `minidocker run` basics and isolation: what a container sees of the host (docs/oracle §1,
//! §9, §11). Exit codes, options, errors, state and signals have their own files.

use minidocker_e2e::image::{MARKER_CONTENT, MARKER_PATH};
use minidocker_e2e::{TestEnv, root_test};

/// The host's hostname, as the test process sees it.
fn host_hostname() -> String {
    nix::unistd::gethostname()
        .expect("gethostname")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn hello_prints_on_stdout_and_exits_zero() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "busybox", "echo", "hello"])
        .assert_clean_success()
        .assert_stdout("hello\n");
}

#[test]
fn hostname_flag_sets_the_container_hostname_only() {
    root_test!();
    let env = TestEnv::new();
    let before = host_hostname();
    assert_ne!(
        before, "myhost",
        "pick another test hostname: the host is called myhost"
    );
    env.run(&[
        "--rm",
        "-h",
        "myhost",
        "busybox",
        "sh",
        "-c",
        "hostname; cat /etc/hostname; cat /proc/sys/kernel/domainname",
    ])
    .assert_clean_success()
    .assert_stdout("myhost\nmyhost\n(none)\n");
    assert_eq!(host_hostname(), before, "the host's hostname changed");
}

#[test]
fn dotted_hostname_is_not_split_into_a_domainname() {
    root_test!();
    let env = TestEnv::new();
    env.run(&[
        "--rm",
        "-h",
        "my.host.example",
        "busybox",
        "sh",
        "-c",
        "hostname; cat /etc/hostname; cat /proc/sys/kernel/domainname",
    ])
    .assert_clean_success()
    .assert_stdout("my.host.example\nmy.host.example\n(none)\n");
}

#[test]
fn default_hostname_is_the_short_container_id() {
    root_test!();
    let env = TestEnv::new();
    // Without --rm, so the id can be read back from config.v2.json afterwards.
    let out = env.run(&[
        "busybox",
        "sh",
        "-c",
        "hostname; cat /etc/hostname; echo $HOSTNAME",
    ]);
    out.assert_clean_success();
    let (id, config) = env.only_container();
    let short = &id[..12];
    assert_eq!(out.stdout, format!("{short}\n{short}\n{short}\n"), "{out}");
    assert_eq!(config["Config"]["Hostname"], short);
}

#[test]
fn hostname_length_is_limited_only_by_the_kernel() {
    root_test!();
    let env = TestEnv::new();
    let name63 = "b".repeat(63);
    env.run(&["--rm", "-h", &name63, "busybox", "hostname"])
        .assert_clean_success()
        .assert_stdout(&format!("{name63}\n"));
}

/// Docker 20.10 does no hostname validation (docs/oracle §9): anything the kernel takes works,
/// and a name over 64 bytes fails in `sethostname` at container init, exit 125.
#[test]
fn hostname_is_not_validated_like_docker() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "-h", "bad host!", "busybox", "hostname"])
        .assert_clean_success()
        .assert_stdout("bad host!\n");
    let name64 = "c".repeat(64);
    env.run(&["--rm", "-h", &name64, "busybox", "hostname"])
        .assert_clean_success()
        .assert_stdout(&format!("{name64}\n"));
    env.run(&["--rm", "-h", &"a".repeat(70), "busybox", "hostname"])
        .assert_code(125)
        .assert_stdout("")
        .assert_stderr(&minidocker_e2e::text::start_error(
            "error during container init: sethostname: invalid argument",
        ));
}

#[test]
fn the_command_is_pid_1() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "busybox", "sh", "-c", "echo $$"])
        .assert_clean_success()
        .assert_stdout("1\n");
}

#[test]
fn ps_lists_only_the_containers_processes() {
    root_test!();
    let env = TestEnv::new();
    // docs/oracle §11, byte for byte.
    env.run(&["--rm", "busybox", "ps"])
        .assert_clean_success()
        .assert_stdout("PID   USER     COMMAND\n    1 root     ps\n");
}

#[test]
fn host_processes_are_invisible() {
    root_test!();
    let env = TestEnv::new();
    let sleeper = minidocker_e2e::Cmd::new("sleep").arg("30").spawn();
    let host_pid = sleeper.pid().as_raw();
    let me = std::process::id();
    let script = format!(
        "for p in {host_pid} {me}; do if [ -e /proc/$p ]; then echo $p visible; else echo $p hidden; fi; done; \
         cd /proc && for p in [0-9]*; do echo pid $p; done"
    );
    let out = env.run(&["--rm", "busybox", "sh", "-c", &script]);
    out.assert_clean_success();
    assert!(
        out.stdout
            .starts_with(&format!("{host_pid} hidden\n{me} hidden\n")),
        "{out}"
    );
    let pids: Vec<u32> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("pid ")?.parse().ok())
        .collect();
    assert_eq!(
        pids.first(),
        Some(&1),
        "/proc should list the container's init as 1: {out}"
    );
    assert!(
        pids.iter().all(|&p| p < 10),
        "/proc lists pids beyond the container's few processes: {pids:?}"
    );
    drop(sleeper);
}

#[test]
fn root_is_the_image() {
    root_test!();
    let env = TestEnv::new();
    assert!(
        std::path::Path::new("/etc/os-release").exists(),
        "precondition: the host has /etc/os-release"
    );
    let script = format!(
        "cat {MARKER_PATH}; ls -A /; [ -e /etc/os-release ] && echo host os-release visible; \
         stat -c '%s bytes' /.dockerenv"
    );
    let out = env.run(&["--rm", "busybox", "sh", "-c", &script]);
    out.assert_clean_success();
    let marker = MARKER_PATH.trim_start_matches('/');
    let listing = format!(".dockerenv\nbin\ndev\netc\nhome\n{marker}\nproc\nroot\nsys\ntmp\n");
    out.assert_stdout(&format!("{MARKER_CONTENT}{listing}0 bytes\n"));
}

/// docs/oracle §11: `/.dockerenv` is an empty file with mode 0755.
#[test]
fn dockerenv_is_like_dockers() {
    root_test!();
    let env = TestEnv::new();
    env.run(&["--rm", "busybox", "stat", "-c", "%a %s %U:%G", "/.dockerenv"])
        .assert_clean_success()
        .assert_stdout("755 0 root:root\n");
}

#[test]
fn etc_files_are_dockers() {
    root_test!();
    let env = TestEnv::new();
    let hosts = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n\
                 ff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n";
    env.run(&[
        "--rm",
        "-h",
        "etchost",
        "busybox",
        "cat",
        "/etc/hosts",
        "/etc/hostname",
    ])
    .assert_clean_success()
    // Docker's last line: the container's address on the default bridge, its hostname
    .assert_stdout(&format!("{hosts}172.17.0.2\tetchost\netchost\n"));
}

#[test]
fn only_loopback_with_network_none_and_eth0_on_the_default_bridge() {
    root_test!();
    let env = TestEnv::new();
    let out = env.run(&["--rm", "--network", "none", "busybox", "ls", "/sys/class/net"]);
    out.assert_clean_success().assert_stdout("lo\n");
    let out = env.run(&["--rm", "busybox", "ls", "/sys/class/net"]);
    out.assert_clean_success().assert_stdout("eth0\nlo\n");
}
