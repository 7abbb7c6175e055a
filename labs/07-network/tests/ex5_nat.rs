//! ex5: the iptables rules of a bridge network and of a published port, in Docker's layout.
//!
//! The expected lines are what `iptables -S` printed on a Docker 20.10 host, with `DOCKER`
//! renamed `MINIDOCKER` and the bridge renamed. The privileged tests apply your rules
//! inside a network namespace made for the test, so the host's own firewall is never
//! touched.

mod common;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};

use common::{TestHost, assert_no_leak, attach_with_chapter_code, ip, net, serve_once, talk};
use lab07_network::nat::Position;
use lab07_network::{
    BridgeNetwork, Iptables, Protocol, PublishedPort, Rule, Table, bridge_rules, port_rules,
};

/// What `iptables -t TABLE -S CHAIN` would list after adding `rules` to empty chains, in
/// order: `-A` appends, `-I` inserts at the top.
fn listing(rules: &[Rule]) -> BTreeMap<(&'static str, String), Vec<String>> {
    let mut chains: BTreeMap<(&'static str, String), Vec<String>> = BTreeMap::new();
    for rule in rules {
        let chain = chains
            .entry((rule.table.as_str(), rule.chain.clone()))
            .or_default();
        match rule.position {
            Position::Append => chain.push(rule.to_string()),
            Position::Insert => chain.insert(0, rule.to_string()),
        }
    }
    chains
}

fn chain<'a>(
    listing: &'a BTreeMap<(&'static str, String), Vec<String>>,
    table: &'static str,
    chain: &str,
) -> &'a [String] {
    listing
        .get(&(table, chain.to_string()))
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn default_bridge() -> BridgeNetwork {
    BridgeNetwork {
        bridge: "minidocker0".into(),
        subnet: net("172.17.0.0/16"),
        internal: false,
    }
}

fn web(host_ip: Option<Ipv4Addr>, host_port: u16) -> PublishedPort {
    PublishedPort {
        protocol: Protocol::Tcp,
        host_ip,
        host_port,
        container_ip: ip("172.17.0.2"),
        container_port: 80,
    }
}

#[test]
fn ex5_a_bridge_network_gets_dockers_rules() {
    let rules = bridge_rules(&default_bridge());
    assert_eq!(rules.len(), 8, "{rules:#?}");
    let listed = listing(&rules);
    assert_eq!(
        chain(&listed, "nat", "POSTROUTING"),
        ["-A POSTROUTING -s 172.17.0.0/16 ! -o minidocker0 -j MASQUERADE"]
    );
    assert_eq!(
        chain(&listed, "nat", "MINIDOCKER"),
        ["-A MINIDOCKER -i minidocker0 -j RETURN"]
    );
    assert_eq!(
        chain(&listed, "filter", "FORWARD"),
        [
            "-A FORWARD -o minidocker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
            "-A FORWARD -o minidocker0 -j MINIDOCKER",
            "-A FORWARD -i minidocker0 ! -o minidocker0 -j ACCEPT",
            "-A FORWARD -i minidocker0 -o minidocker0 -j ACCEPT",
        ]
    );
    assert_eq!(
        chain(&listed, "filter", "MINIDOCKER-ISOLATION-STAGE-1"),
        ["-A MINIDOCKER-ISOLATION-STAGE-1 -i minidocker0 ! -o minidocker0 -j MINIDOCKER-ISOLATION-STAGE-2"]
    );
    assert_eq!(
        chain(&listed, "filter", "MINIDOCKER-ISOLATION-STAGE-2"),
        ["-A MINIDOCKER-ISOLATION-STAGE-2 -o minidocker0 -j DROP"]
    );
    // the isolation rules go in front of the chains' final RETURN
    for rule in rules.iter().filter(|r| r.chain.contains("ISOLATION")) {
        assert_eq!(rule.position, Position::Insert, "{rule}");
    }
}

#[test]
fn ex5_the_subnet_is_masqueraded_as_a_network() {
    let network = BridgeNetwork {
        bridge: "br-0123456789ab".into(),
        subnet: net("172.18.0.1/16"),
        internal: false,
    };
    let listed = listing(&bridge_rules(&network));
    assert_eq!(
        chain(&listed, "nat", "POSTROUTING"),
        ["-A POSTROUTING -s 172.18.0.0/16 ! -o br-0123456789ab -j MASQUERADE"]
    );
}

#[test]
fn ex5_an_internal_network_only_talks_to_itself() {
    // `docker network create --internal int1` (172.20.0.0/16)
    let network = BridgeNetwork {
        bridge: "br-2672dc384dc7".into(),
        subnet: net("172.20.0.0/16"),
        internal: true,
    };
    let rules = bridge_rules(&network);
    assert!(
        rules.iter().all(|r| r.table == Table::Filter),
        "no NAT at all: {rules:#?}"
    );
    let listed = listing(&rules);
    let mut isolation = chain(&listed, "filter", "MINIDOCKER-ISOLATION-STAGE-1").to_vec();
    isolation.sort();
    assert_eq!(
        isolation,
        [
            "-A MINIDOCKER-ISOLATION-STAGE-1 ! -d 172.20.0.0/16 -i br-2672dc384dc7 -j DROP",
            "-A MINIDOCKER-ISOLATION-STAGE-1 ! -s 172.20.0.0/16 -o br-2672dc384dc7 -j DROP",
        ]
    );
    assert_eq!(
        chain(&listed, "filter", "FORWARD"),
        ["-A FORWARD -i br-2672dc384dc7 -o br-2672dc384dc7 -j ACCEPT"]
    );
    assert_eq!(rules.len(), 3);
}

#[test]
fn ex5_a_published_port_gets_dockers_rules() {
    // docker run -p 8080:80 …, the container at 172.17.0.2
    let listed = listing(&port_rules("minidocker0", &web(None, 8080), false));
    assert_eq!(
        chain(&listed, "nat", "MINIDOCKER"),
        ["-A MINIDOCKER ! -i minidocker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80"]
    );
    assert_eq!(
        chain(&listed, "nat", "POSTROUTING"),
        ["-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE"]
    );
    assert_eq!(
        chain(&listed, "filter", "MINIDOCKER"),
        ["-A MINIDOCKER -d 172.17.0.2/32 ! -i minidocker0 -o minidocker0 -p tcp -m tcp --dport 80 -j ACCEPT"]
    );
    assert_eq!(listed.values().map(Vec::len).sum::<usize>(), 3);

    // docker run -p 127.0.0.1:8081:80 …
    let local = port_rules("minidocker0", &web(Some(Ipv4Addr::LOCALHOST), 8081), false);
    assert_eq!(
        local[0].to_string(),
        "-A MINIDOCKER -d 127.0.0.1/32 ! -i minidocker0 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 172.17.0.2:80"
    );
}

#[test]
fn ex5_udp_and_hairpin_nat() {
    let dns = PublishedPort {
        protocol: Protocol::Udp,
        host_ip: None,
        host_port: 5353,
        container_ip: ip("172.18.0.9"),
        container_port: 53,
    };
    let rules: Vec<String> = port_rules("br-0123456789ab", &dns, true)
        .iter()
        .map(Rule::to_string)
        .collect();
    assert_eq!(
        rules,
        [
            // hairpin NAT: the DNAT applies to traffic from the bridge too
            "-A MINIDOCKER -p udp -m udp --dport 5353 -j DNAT --to-destination 172.18.0.9:53",
            "-A POSTROUTING -s 172.18.0.9/32 -d 172.18.0.9/32 -p udp -m udp --dport 53 -j MASQUERADE",
            "-A MINIDOCKER -d 172.18.0.9/32 ! -i br-0123456789ab -o br-0123456789ab -p udp -m udp --dport 53 -j ACCEPT",
        ]
    );
}

#[test]
fn ex5_a_published_port_answers_through_dnat() {
    let test = "ex5_a_published_port_answers_through_dnat";
    if !common::is_root(test) || !common::iptables_available(test) {
        return;
    }
    {
        let mut host = TestHost::new();
        host.add_bridge("lab07nat0", "172.17.0.1/16");
        let gateway = ip("172.17.0.1");
        let container = attach_with_chapter_code(&host, "lab07nat0", "lab07nv1", "172.17.0.2/16", gateway);
        let ipt = Iptables::in_netns(&host.ns);
        let pristine = (
            ipt.list(Table::Nat, None).expect("list nat"),
            ipt.list(Table::Filter, None).expect("list filter"),
        );
        ipt.setup().expect("create the MINIDOCKER chains");
        let network = BridgeNetwork {
            bridge: "lab07nat0".into(),
            subnet: net("172.17.0.0/16"),
            internal: false,
        };
        let port = PublishedPort {
            container_ip: container.ip,
            ..web(None, 8080)
        };
        let mut rules = bridge_rules(&network);
        rules.extend(port_rules("lab07nat0", &port, false));
        ipt.add_all(&rules).expect("add your rules");

        // `iptables -t nat -S` on Docker, after `docker run -p 8080:80` (DOCKER renamed)
        assert_eq!(
            ipt.list(Table::Nat, None).expect("list nat"),
            [
                "-P PREROUTING ACCEPT",
                "-P INPUT ACCEPT",
                "-P OUTPUT ACCEPT",
                "-P POSTROUTING ACCEPT",
                "-N MINIDOCKER",
                "-A PREROUTING -m addrtype --dst-type LOCAL -j MINIDOCKER",
                "-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j MINIDOCKER",
                "-A POSTROUTING -s 172.17.0.0/16 ! -o lab07nat0 -j MASQUERADE",
                "-A POSTROUTING -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE",
                "-A MINIDOCKER -i lab07nat0 -j RETURN",
                "-A MINIDOCKER ! -i lab07nat0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80",
            ]
        );
        // and the FORWARD chain of its filter table (Docker's DOCKER-USER jump aside)
        assert_eq!(
            ipt.list(Table::Filter, Some("FORWARD")).expect("list FORWARD"),
            [
                "-P FORWARD ACCEPT",
                "-A FORWARD -j MINIDOCKER-ISOLATION-STAGE-1",
                "-A FORWARD -o lab07nat0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
                "-A FORWARD -o lab07nat0 -j MINIDOCKER",
                "-A FORWARD -i lab07nat0 ! -o lab07nat0 -j ACCEPT",
                "-A FORWARD -i lab07nat0 -o lab07nat0 -j ACCEPT",
            ]
        );

        // the host connects to one of its own addresses, port 8080: OUTPUT → MINIDOCKER → DNAT
        let (_, server) = serve_once(
            &container.ns,
            SocketAddr::from((container.ip, 80)),
            "hello from the container",
        );
        let reply = talk(&host.ns, SocketAddr::from((gateway, 8080))).expect("connect to :8080");
        assert_eq!(reply, "hello from the container");
        assert_eq!(server.join().expect("the server thread"), "hello");

        ipt.delete_all(&rules).expect("delete your rules");
        ipt.teardown().expect("remove the MINIDOCKER chains");
        let after = (
            ipt.list(Table::Nat, None).expect("list nat"),
            ipt.list(Table::Filter, None).expect("list filter"),
        );
        assert_eq!(
            after, pristine,
            "deleting your rules leaves the tables as they were"
        );
    }
    assert_no_leak(&["lab07nat0", "lab07nv1"]);
}

#[test]
fn ex5_two_bridge_networks_are_isolated() {
    let test = "ex5_two_bridge_networks_are_isolated";
    if !common::is_root(test) || !common::iptables_available(test) {
        return;
    }
    {
        let mut host = TestHost::new();
        // this test host routes between its bridges, as Docker's host does
        host.ns
            .run(|| std::fs::write("/proc/sys/net/ipv4/ip_forward", "1"))
            .expect("run in the test host")
            .expect("net.ipv4.ip_forward=1 in the test host");
        host.add_bridge("lab07a0", "10.207.1.1/24");
        host.add_bridge("lab07b0", "10.207.2.1/24");
        let a = attach_with_chapter_code(&host, "lab07a0", "lab07av1", "10.207.1.2/24", ip("10.207.1.1"));
        let b = attach_with_chapter_code(&host, "lab07b0", "lab07bv1", "10.207.2.2/24", ip("10.207.2.1"));

        // no rules yet: the host routes a's packets to b
        let (addr, server) = serve_once(&b.ns, SocketAddr::from((b.ip, 0)), "from b");
        assert_eq!(talk(&a.ns, addr).expect("a reaches b without rules"), "from b");
        server.join().expect("the server thread");

        let ipt = Iptables::in_netns(&host.ns);
        ipt.setup().expect("create the MINIDOCKER chains");
        let mut rules = bridge_rules(&BridgeNetwork {
            bridge: "lab07a0".into(),
            subnet: net("10.207.1.0/24"),
            internal: false,
        });
        rules.extend(bridge_rules(&BridgeNetwork {
            bridge: "lab07b0".into(),
            subnet: net("10.207.2.0/24"),
            internal: false,
        }));
        ipt.add_all(&rules).expect("add your rules");
        let (addr, server) = serve_once(&b.ns, SocketAddr::from((b.ip, 0)), "from b");
        assert!(
            talk(&a.ns, addr).is_err(),
            "a container on lab07a0 reached one on lab07b0: the isolation stages let it through"
        );

        ipt.delete_all(&rules).expect("delete your rules");
        ipt.teardown().expect("remove the MINIDOCKER chains");
        assert_eq!(talk(&a.ns, addr).expect("a reaches b again"), "from b");
        server.join().expect("the server thread");
    }
    assert_no_leak(&["lab07a0", "lab07b0", "lab07av1", "lab07bv1"]);
}
