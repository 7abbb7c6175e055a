//! Chapter 7 end to end: network modes, user-defined networks with their DNS, isolation,
//! `network connect`, published ports, and nothing left behind. Every test's minidocker runs
//! in the test's own network namespace ([`TestNet`]): its bridges, veths and NAT rules are
//! made there and die with it. Docker's outputs for the same steps (Docker 20.10 oracle, CLI
//! 28.2.2) are quoted where they are compared.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ch07_network::NetNs;

use minidocker_e2e::{Cmd, Output, Spawned, TestEnv, TestNet, root_test};
use serde_json::Value;

const STARTUP: Duration = Duration::from_secs(20);

/// `minidocker run --name NAME ARGS... busybox httpd -f -p 80 -h /etc`: a web server whose
/// `/hostname` says which container answered.
#[track_caller]
fn web_service(env: &TestEnv, name: &str, args: &[&str]) -> Spawned {
    let mut all = vec!["--name", name];
    all.extend_from_slice(args);
    all.extend_from_slice(&["busybox", "httpd", "-f", "-p", "80", "-h", "/etc"]);
    let service = env.spawn_run(&all);
    env.wait_for_running(name, STARTUP);
    service
}

/// Ends a service the way `rm -f` does (httpd as PID 1 ignores SIGTERM: it has no handler)
/// and waits for its `minidocker run` to clean up.
#[track_caller]
fn stop(env: &TestEnv, service: Spawned, name: &str) -> Output {
    env.minidocker(&["rm", "-f", name]).assert_clean_success();
    service.wait()
}

/// A shell loop that retries `command` for up to 5 s (a server may still be starting).
fn retrying(command: &str) -> String {
    format!("for i in $(seq 50); do {command} && exit 0; sleep 0.1; done; exit 1")
}

/// `GET path` from `addr` (`ip:port`), from inside `ns`: the body, or why not. (The host's
/// busybox-static `wget` crashes outside a container: static glibc and the host's NSS.)
fn http_get(ns: &NetNs, addr: &str, path: &str) -> Result<String, String> {
    let addr: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    ns.run(|| -> std::io::Result<String> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n")?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    })
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("GET http://{addr}{path}: {e}"))
    .and_then(|r| match r.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200") => {
            Ok(body.to_owned())
        }
        _ => Err(format!("GET http://{addr}{path}: {r}")),
    })
}

/// [`http_get`], retried for up to 5 s (the server may still be starting).
#[track_caller]
fn http_get_eventually(ns: &NetNs, addr: &str, path: &str) -> String {
    let mut last = String::new();
    for _ in 0..50 {
        match http_get(ns, addr, path) {
            Ok(body) => return body,
            Err(e) => last = e,
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{last}");
}

/// `iptables -t nat -S` in the test's network namespace.
fn nat_rules(net: &TestNet) -> String {
    let out = Cmd::new("iptables")
        .args(["-w", "-t", "nat", "-S"])
        .in_net(net)
        .output();
    out.assert_code(0);
    out.stdout
}

/// The addresses IPAM has handed out, over all networks.
fn allocated_addresses(env: &TestEnv) -> Vec<String> {
    let text = std::fs::read_to_string(env.data_root().join("network/ipam.json")).unwrap_or_default();
    let state: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    let mut found = Vec::new();
    for network in state["networks"].as_object().into_iter().flat_map(|m| m.values()) {
        found.extend(
            network["allocated"]
                .as_object()
                .into_iter()
                .flat_map(|m| m.keys().cloned()),
        );
    }
    found
}

/// The links of the test's namespace that are veth ends.
fn veths(net: &TestNet) -> Vec<String> {
    net.links()
        .into_iter()
        .filter(|l| l.starts_with("veth"))
        .collect()
}

#[test]
fn default_bridge_gives_an_address_a_route_and_dockers_mac() {
    root_test!();
    let env = TestEnv::new();
    let out = env.run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        "ip -o -4 addr show eth0; ip route; cat /sys/class/net/eth0/address; tail -n1 /etc/hosts; hostname",
    ]);
    out.assert_clean_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].contains("inet 172.17.0.2/16"), "{out}");
    assert_eq!(lines[1], "default via 172.17.0.1 dev eth0 ", "{out}");
    assert!(lines[2].starts_with("172.17.0.0/16 dev eth0"), "{out}");
    // Docker: 02:42 and the address, for the first container 02:42:ac:11:00:02
    assert_eq!(lines[3], "02:42:ac:11:00:02", "{out}");
    let hostname = lines[5];
    assert_eq!(lines[4], format!("172.17.0.2\t{hostname}"), "{out}");
    assert!(env.net().links().contains(&"minidocker0".to_owned()));
    assert_eq!(
        veths(env.net()),
        Vec::<String>::new(),
        "the veth pair outlived --rm"
    );
    assert_eq!(allocated_addresses(&env), Vec::<String>::new());
}

#[test]
fn network_none_has_only_lo_and_host_shares_the_engines_namespace() {
    root_test!();
    let env = TestEnv::new();
    let none = env.run(&["--rm", "--network", "none", "busybox", "ls", "/sys/class/net"]);
    none.assert_clean_success();
    assert_eq!(none.stdout, "lo\n");
    // the engine's namespace is the test's: lo only, no bridge was made for `none`
    assert_eq!(env.net().links(), ["lo"]);
    let host = env.run(&["--rm", "--network", "host", "busybox", "ls", "/sys/class/net"]);
    host.assert_clean_success();
    assert_eq!(
        host.stdout, "lo\n",
        "host mode sees the engine's (the test's) interfaces"
    );
    let cfg = |name: &str| {
        let (id, _) = env.find_container(name).expect("container");
        let text = std::fs::read_to_string(env.containers_dir().join(id).join("hostconfig.json")).unwrap();
        serde_json::from_str::<Value>(&text).unwrap()["NetworkMode"].clone()
    };
    env.run(&["--name", "n1", "--network", "none", "busybox", "true"])
        .assert_clean_success();
    env.run(&["--name", "d1", "busybox", "true"])
        .assert_clean_success();
    env.run(&["--name", "b1", "--network", "bridge", "busybox", "true"])
        .assert_clean_success();
    assert_eq!(cfg("n1"), "none");
    assert_eq!(cfg("d1"), "default", "Docker records no --network as \"default\"");
    assert_eq!(cfg("b1"), "bridge");
}

#[test]
fn container_mode_shares_the_other_containers_interfaces() {
    root_test!();
    let env = TestEnv::new();
    let web = web_service(&env, "demo1", &[]);
    let show = "ip -o -4 addr show eth0 | awk '{print $4}'; cat /sys/class/net/eth0/address";
    let mine = env.run(&[
        "--rm",
        "--network",
        "container:demo1",
        "busybox",
        "sh",
        "-c",
        show,
    ]);
    mine.assert_clean_success();
    assert_eq!(mine.stdout, "172.17.0.2/16\n02:42:ac:11:00:02\n");
    // and the server of demo1 answers on its localhost
    let local = env.run(&[
        "--rm",
        "--network",
        "container:demo1",
        "busybox",
        "sh",
        "-c",
        &retrying("wget -qO- http://127.0.0.1/hostname"),
    ]);
    local.assert_clean_success();
    let conflict = env.run(&[
        "--rm",
        "--network",
        "container:demo1",
        "-h",
        "x",
        "busybox",
        "true",
    ]);
    conflict.assert_code(125);
    assert!(
        conflict
            .stderr
            .contains("conflicting options: hostname and the network mode"),
        "{conflict}"
    );
    stop(&env, web, "demo1");
    env.run(&["--name", "done", "busybox", "true"])
        .assert_clean_success();
    let gone = env.run(&["--rm", "--network", "container:done", "busybox", "true"]);
    gone.assert_code(125);
    assert!(
        gone.stderr
            .contains("cannot join network of a non running container"),
        "{gone}"
    );
}

#[test]
fn user_network_containers_reach_each_other_by_name_and_alias_and_the_default_bridge_does_not() {
    root_test!();
    let env = TestEnv::new();
    let created = env.minidocker(&[
        "network",
        "create",
        "--subnet",
        "172.20.0.0/16",
        "--gateway",
        "172.20.0.1",
        "bridge2",
    ]);
    created.assert_clean_success();
    let id = created.stdout.trim().to_owned();
    assert_eq!(id.len(), 64, "{created}");
    assert!(
        env.net().links().contains(&format!("br-{}", &id[..12])),
        "{:?}",
        env.net().links()
    );

    let demo3 = web_service(
        &env,
        "demo3",
        &["--network", "bridge2", "--network-alias", "demo33"],
    );
    let client = env.run(&[
        "--rm",
        "--network",
        "bridge2",
        "busybox",
        "sh",
        "-c",
        &format!(
            "cat /etc/resolv.conf; ping -c1 -W2 demo3 | head -n1; ping -c1 -W2 demo33 | head -n1; {}",
            retrying("wget -qO- http://demo3/hostname")
        ),
    ]);
    client.assert_clean_success();
    let (demo3_id, _) = env.find_container("demo3").expect("demo3");
    assert_eq!(
        client.stdout,
        format!(
            "nameserver 127.0.0.11\noptions ndots:0\nPING demo3 (172.20.0.2): 56 data bytes\nPING demo33 (172.20.0.2): 56 data bytes\n{}\n",
            &demo3_id[..12]
        )
    );
    // the short id resolves too (Docker adds it to the aliases)
    env.run(&[
        "--rm",
        "--network",
        "bridge2",
        "busybox",
        "nslookup",
        &demo3_id[..12],
        "127.0.0.11",
    ])
    .assert_clean_success();

    // Docker on the default bridge: `ping: bad address 'demo2'`
    let web2 = web_service(&env, "demo2", &[]);
    let by_name = env.run(&["--rm", "busybox", "ping", "-c1", "-W1", "demo2"]);
    by_name.assert_code(1);
    assert_eq!(by_name.stderr, "ping: bad address 'demo2'\n");
    // by address it works
    env.run(&[
        "--rm",
        "busybox",
        "sh",
        "-c",
        &retrying("wget -qO- http://172.17.0.2/hostname"),
    ])
    .assert_clean_success();

    let inspect = env.minidocker(&["network", "inspect", "bridge2"]);
    inspect.assert_clean_success();
    let v: Value = serde_json::from_str(&inspect.stdout).unwrap();
    assert_eq!(v[0]["Containers"][&demo3_id]["Name"], "demo3");
    assert_eq!(v[0]["Containers"][&demo3_id]["IPv4Address"], "172.20.0.2/16");
    assert_eq!(v[0]["IPAM"]["Config"][0]["Subnet"], "172.20.0.0/16");
    let settings = env.find_container("demo3").unwrap().1["NetworkSettings"].clone();
    let endpoint = &settings["Networks"]["bridge2"];
    assert_eq!(
        endpoint["Aliases"],
        serde_json::json!(["demo33", &demo3_id[..12]])
    );
    assert_eq!(endpoint["IPAddress"], "172.20.0.2");
    assert_eq!(endpoint["MacAddress"], "02:42:ac:14:00:02");
    assert_eq!(
        settings["IPAddress"], "",
        "top-level fields are the default bridge's only"
    );

    let busy = env.minidocker(&["network", "rm", "bridge2"]);
    busy.assert_code(1);
    assert_eq!(
        busy.stderr,
        format!(
            "Error response from daemon: error while removing network: network bridge2 id {id} has active endpoints\n"
        )
    );
    stop(&env, demo3, "demo3");
    stop(&env, web2, "demo2");
    env.minidocker(&["network", "rm", "bridge2"])
        .assert_stdout("bridge2\n");
    assert!(!env.net().links().iter().any(|l| l.starts_with("br-")));
    assert!(
        !nat_rules(env.net()).contains("172.20.0.0/16"),
        "the network's NAT rules outlived it"
    );
}

#[test]
fn user_networks_are_isolated_until_a_container_joins_both() {
    root_test!();
    let env = TestEnv::new();
    env.minidocker(&["network", "create", "left"])
        .assert_clean_success();
    env.minidocker(&["network", "create", "right"])
        .assert_clean_success();
    let server = web_service(&env, "server", &["--network", "left"]);
    let server_ip =
        env.find_container("server").unwrap().1["NetworkSettings"]["Networks"]["left"]["IPAddress"]
            .as_str()
            .unwrap()
            .to_owned();
    // the pools' next free subnets after 172.17 (the default bridge, made first)
    assert_eq!(server_ip, "172.18.0.2");
    let client = env.spawn_run(&["--name", "client", "--network", "right", "busybox", "sleep", "60"]);
    let client_pid = env.wait_for_running("client", STARTUP);
    let client_ns = NetNs::of_pid(client_pid.as_raw()).expect("the client's netns");
    let server_addr = format!("{server_ip}:80");
    assert!(
        http_get(&client_ns, &server_addr, "/hostname").is_err(),
        "right reached left"
    );

    env.minidocker(&["network", "connect", "left", "client"])
        .assert_clean_success();
    http_get_eventually(&client_ns, &server_addr, "/hostname");
    let mut links: Vec<String> = ch07_network::Netlink::open_in(&client_ns)
        .and_then(|mut nl| nl.links())
        .expect("the client's links")
        .into_iter()
        .map(|l| l.name)
        .collect();
    links.sort();
    assert_eq!(links, ["eth0", "eth1", "lo"]);
    let hosts = std::fs::read_to_string(
        env.containers_dir()
            .join(env.find_container("client").unwrap().0)
            .join("hosts"),
    )
    .unwrap();
    assert_eq!(
        hosts.lines().filter(|l| l.starts_with("172.")).count(),
        2,
        "{hosts}"
    );

    let again = env.minidocker(&["network", "connect", "left", "client"]);
    again.assert_code(1);
    assert_eq!(
        again.stderr,
        "Error response from daemon: endpoint with name client already exists in network left\n"
    );
    env.minidocker(&["network", "disconnect", "left", "client"])
        .assert_clean_success();
    assert!(
        http_get(&client_ns, &server_addr, "/hostname").is_err(),
        "still connected after disconnect"
    );
    stop(&env, server, "server");
    stop(&env, client, "client");
    assert_eq!(allocated_addresses(&env), Vec::<String>::new());
}

#[test]
fn published_ports_answer_on_a_given_and_a_chosen_port_and_are_released() {
    root_test!();
    let env = TestEnv::new();
    let web = web_service(&env, "web", &["-p", "8080:80", "-p", "127.0.0.1::80"]);
    let port = env.minidocker(&["port", "web"]);
    port.assert_clean_success();
    let lines: Vec<&str> = port.stdout.lines().collect();
    assert_eq!(lines[0], "80/tcp -> 0.0.0.0:8080");
    let chosen = lines[1]
        .strip_prefix("80/tcp -> 127.0.0.1:")
        .unwrap_or_else(|| panic!("{port}"))
        .to_owned();
    assert_ne!(chosen, "0");
    env.minidocker(&["port", "web", "80"])
        .assert_stdout(&format!("0.0.0.0:8080\n127.0.0.1:{chosen}\n"));
    let missing = env.minidocker(&["port", "web", "81"]);
    missing.assert_code(1);
    assert_eq!(missing.stderr, "Error: No public port '81' published for web\n");

    let (id, _) = env.find_container("web").unwrap();
    let expected = format!("{}\n", &id[..12]);
    let engine_ns = env.net().netns();
    // through the userland proxy (loopback), and through DNAT (the bridge's address is the
    // engine's own, so the OUTPUT chain's jump to MINIDOCKER rewrites it)
    assert_eq!(
        http_get_eventually(engine_ns, "127.0.0.1:8080", "/hostname"),
        expected
    );
    assert_eq!(
        http_get_eventually(engine_ns, &format!("127.0.0.1:{chosen}"), "/hostname"),
        expected
    );
    assert_eq!(
        http_get_eventually(engine_ns, "172.17.0.1:8080", "/hostname"),
        expected
    );
    assert!(nat_rules(env.net()).contains("--dport 8080 -j DNAT --to-destination 172.17.0.2:80"));

    let ps = env.minidocker(&["ps", "--format", "{{.Ports}}"]);
    assert_eq!(
        ps.stdout,
        format!("0.0.0.0:8080->80/tcp, 127.0.0.1:{chosen}->80/tcp\n")
    );

    // Docker: "Bind for 0.0.0.0:8080 failed: port is already allocated"
    let taken = env.run(&["--rm", "-p", "8080:80", "busybox", "true"]);
    taken.assert_code(125);
    assert!(
        taken
            .stderr
            .contains("failed programming external connectivity on endpoint")
            && taken
                .stderr
                .contains("Bind for 0.0.0.0:8080 failed: port is already allocated"),
        "{taken}"
    );
    stop(&env, web, "web");
    let rules = nat_rules(env.net());
    assert!(
        !rules.contains("DNAT"),
        "DNAT rules outlived the container:\n{rules}"
    );
    assert_eq!(veths(env.net()), Vec::<String>::new());
    assert_eq!(allocated_addresses(&env), Vec::<String>::new());
    // the port is free again
    env.net()
        .run(|| std::net::TcpListener::bind("0.0.0.0:8080"))
        .expect("port 8080 still taken after the container went");
}

#[test]
fn publish_all_uses_the_exposed_ports() {
    root_test!();
    let env = TestEnv::new();
    let web = web_service(&env, "web", &["-P", "--expose", "80"]);
    let port = env.minidocker(&["port", "web"]);
    port.assert_clean_success();
    assert!(port.stdout.starts_with("80/tcp -> 0.0.0.0:"), "{port}");
    stop(&env, web, "web");
}

#[test]
fn rm_f_of_a_container_whose_run_was_killed_gives_everything_back() {
    root_test!();
    let env = TestEnv::new();
    let web = web_service(&env, "web", &["-p", "8081:80"]);
    // SIGKILL: its `run` cannot clean up; the container dies with it (PDEATHSIG)
    drop(web);
    env.minidocker(&["rm", "-f", "web"]).assert_clean_success();
    assert!(!nat_rules(env.net()).contains("DNAT"));
    assert_eq!(allocated_addresses(&env), Vec::<String>::new());
}

#[test]
fn network_flag_errors_are_dockers() {
    root_test!();
    let env = TestEnv::new();
    let ip = env.run(&[
        "--rm",
        "--network",
        "bridge",
        "--ip",
        "172.17.0.100",
        "busybox",
        "true",
    ]);
    ip.assert_code(125);
    assert!(
        ip.stderr
            .contains("user specified IP address is supported on user defined networks only"),
        "{ip}"
    );
    let unknown = env.run(&["--rm", "--network", "nosuchnet", "busybox", "true"]);
    unknown.assert_code(125);
    assert!(
        unknown.stderr.contains("network nosuchnet not found"),
        "{unknown}"
    );
    let predefined = env.minidocker(&["network", "rm", "bridge"]);
    predefined.assert_code(1);
    assert_eq!(
        predefined.stderr,
        "Error response from daemon: bridge is a pre-defined network and cannot be removed\n"
    );
    env.minidocker(&["network", "create", "dup"])
        .assert_clean_success();
    let dup = env.minidocker(&["network", "create", "dup"]);
    dup.assert_code(1);
    assert_eq!(
        dup.stderr,
        "Error response from daemon: network with name dup already exists\n"
    );
    let bad_port = env.run(&["--rm", "-p", "99999:80", "busybox", "true"]);
    bad_port.assert_code(125);
    assert!(bad_port.stderr.contains("invalid hostPort: 99999"), "{bad_port}");
    let overlap = env.minidocker(&["network", "create", "--subnet", "172.17.0.0/24", "overlap"]);
    overlap.assert_code(1);
    assert!(
        overlap
            .stderr
            .contains("Pool overlaps with other one on this address space"),
        "{overlap}"
    );
    assert_eq!(env.container_ids().len(), 0, "a refused run created a container");
}

#[test]
fn network_ls_lists_the_predefined_networks_and_filters() {
    root_test!();
    let env = TestEnv::new();
    env.minidocker(&["network", "create", "--label", "tier=db", "redis"])
        .assert_clean_success();
    let ls = env.minidocker(&["network", "ls", "--format", "{{.Name}} {{.Driver}} {{.Scope}}"]);
    ls.assert_clean_success();
    assert_eq!(
        ls.stdout,
        "bridge bridge local\nhost host local\nnone null local\nredis bridge local\n"
    );
    let table = env.minidocker(&["network", "ls"]);
    assert!(
        table
            .stdout
            .starts_with("NETWORK ID     NAME      DRIVER    SCOPE\n"),
        "{table}"
    );
    env.minidocker(&["network", "ls", "-f", "type=custom", "--format", "{{.Name}}"])
        .assert_stdout("redis\n");
    env.minidocker(&["network", "ls", "-f", "label=tier=db", "-q"])
        .assert_clean_success();
    let pruned = env.minidocker(&["network", "prune", "-f"]);
    pruned.assert_stdout("Deleted Networks:\nredis\n\n");
}

/// The notes' scenario: a group of services on one custom network, with fixed addresses
/// (`--ip 172.38.0.11…`), each reaching the others by name.
#[test]
fn services_on_a_custom_network_with_fixed_addresses_reach_each_other_by_name() {
    root_test!();
    let env = TestEnv::new();
    env.minidocker(&["network", "create", "redis", "--subnet", "172.38.0.0/16"])
        .assert_clean_success();
    let mut services = Vec::new();
    for n in 1..=3 {
        let ip = format!("172.38.0.1{n}");
        services.push(web_service(
            &env,
            &format!("redis-{n}"),
            &["--net", "redis", "--ip", &ip],
        ));
    }
    for n in 1..=3 {
        let (id, config) = env.find_container(&format!("redis-{n}")).unwrap();
        assert_eq!(
            config["NetworkSettings"]["Networks"]["redis"]["IPAddress"],
            format!("172.38.0.1{n}")
        );
        let out = env.run(&[
            "--rm",
            "--net",
            "redis",
            "busybox",
            "sh",
            "-c",
            &format!(
                "nslookup redis-{n} 127.0.0.11 | grep -c 172.38.0.1{n}; {}",
                retrying(&format!("wget -qO- http://redis-{n}/hostname"))
            ),
        ]);
        out.assert_clean_success();
        assert_eq!(out.stdout, format!("1\n{}\n", &id[..12]));
    }
    let taken = env.run(&["--rm", "--net", "redis", "--ip", "172.38.0.11", "busybox", "true"]);
    taken.assert_code(125);
    assert!(taken.stderr.contains("Address already in use"), "{taken}");
    for (n, s) in services.into_iter().enumerate() {
        stop(&env, s, &format!("redis-{}", n + 1));
    }
}
