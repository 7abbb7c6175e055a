//! NAT and filtering for bridge networks with iptables, in Docker's chain layout.
//!
//! **Lab 07 skeleton.** Exercise `ex5`: write [`bridge_rules`] and [`port_rules`] (the two
//! `todo!()`s; [`Iptables`] adds and deletes whatever rules they return). `labs/check 07`
//! tells you how far you are.
//!
//! ## Why the `iptables` program
//!
//! Docker 20.10 drives the firewall by running `iptables`, and so does this crate: the rules
//! it makes are the rules a Docker host shows in `iptables -t nat -S`, line for line (with
//! `MINIDOCKER` for `DOCKER`), so the book can put the two side by side. `iptables` is the
//! kernel's own user-space tool for this API (on Debian it is `iptables-nft`, which
//! translates each rule into nf_tables netlink messages); speaking nf_tables netlink
//! in-process would mean compiling every match into nftables' bytecode expressions, a
//! chapter of its own, for no gain a learner can see. Every call is checked: a failing
//! `iptables` is an error carrying its arguments and stderr, never ignored.
//!
//! ## The layout
//!
//! ```text
//! nat     PREROUTING  -m addrtype --dst-type LOCAL -j MINIDOCKER      (traffic from outside)
//!         OUTPUT      ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j MINIDOCKER  (from the host)
//!         MINIDOCKER  -i br -j RETURN                                   (per bridge)
//!                     ! -i br -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80
//!         POSTROUTING -s 172.17.0.0/16 ! -o br -j MASQUERADE            (outbound)
//!                     -s 172.17.0.2/32 -d 172.17.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE (hairpin)
//! filter  FORWARD     -j MINIDOCKER-ISOLATION-STAGE-1
//!                     -o br -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
//!                     -o br -j MINIDOCKER
//!                     -i br ! -o br -j ACCEPT
//!                     -i br -o br -j ACCEPT
//!         MINIDOCKER  -d 172.17.0.2/32 ! -i br -o br -p tcp -m tcp --dport 80 -j ACCEPT
//!         MINIDOCKER-ISOLATION-STAGE-1  -i br ! -o br -j MINIDOCKER-ISOLATION-STAGE-2
//!         MINIDOCKER-ISOLATION-STAGE-2  -o br -j DROP
//! ```
//!
//! The isolation stages drop traffic from one bridge network to another: stage 1 catches
//! what leaves a bridge for elsewhere, stage 2 drops it if elsewhere is another bridge.
//!
//! A published port on `127.0.0.1` is not reachable through DNAT from the host itself
//! (the `OUTPUT` jump skips `127.0.0.0/8`: the kernel does not route loopback traffic
//! to other interfaces): the userland proxy ([`crate::proxy`]) serves it.
//!
//! Every rule is a value ([`Rule`]); adding one checks first (`-C`) so it is never there
//! twice, and removing one deletes exactly that rule (`-D` with the same arguments).

use std::fmt;
use std::net::Ipv4Addr;
use std::process::Command;

use crate::cidr::Ipv4Net;
use crate::error::NetworkError;
use crate::netns::NetNs;
use crate::ports::Protocol;

/// The chain in `nat` and `filter` for published ports (Docker's `DOCKER`).
pub const CHAIN: &str = "MINIDOCKER";
/// Isolation between bridge networks, first stage (Docker's `DOCKER-ISOLATION-STAGE-1`).
pub const ISOLATION_STAGE_1: &str = "MINIDOCKER-ISOLATION-STAGE-1";
/// Isolation between bridge networks, second stage.
pub const ISOLATION_STAGE_2: &str = "MINIDOCKER-ISOLATION-STAGE-2";

/// An iptables table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `nat`: address translation, first packet of each connection only.
    Nat,
    /// `filter`: accept or drop.
    Filter,
}

impl Table {
    /// The name for `-t`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Table::Nat => "nat",
            Table::Filter => "filter",
        }
    }
}

/// Whether a rule goes at the end of its chain or at the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// `-A`.
    Append,
    /// `-I` (before everything else).
    Insert,
}

/// One iptables rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its table.
    pub table: Table,
    /// Its chain.
    pub chain: String,
    /// Where it goes when added.
    pub position: Position,
    /// The match and target, as `iptables -S` prints them.
    pub args: Vec<String>,
}

impl Rule {
    fn new(table: Table, chain: &str, position: Position, args: &str) -> Rule {
        Rule {
            table,
            chain: chain.to_string(),
            position,
            args: args.split_whitespace().map(String::from).collect(),
        }
    }
}

impl fmt::Display for Rule {
    /// The rule as `iptables -t TABLE -S` lists it: `-A CHAIN args...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-A {} {}", self.chain, self.args.join(" "))
    }
}

/// The chains this crate owns, in `(table, chain)` pairs.
pub fn chains() -> Vec<(Table, &'static str)> {
    vec![
        (Table::Nat, CHAIN),
        (Table::Filter, CHAIN),
        (Table::Filter, ISOLATION_STAGE_1),
        (Table::Filter, ISOLATION_STAGE_2),
    ]
}

/// The jumps from the built-in chains into ours, and the isolation chains' final RETURNs.
pub fn base_rules() -> Vec<Rule> {
    vec![
        Rule::new(
            Table::Nat,
            "PREROUTING",
            Position::Append,
            &format!("-m addrtype --dst-type LOCAL -j {CHAIN}"),
        ),
        Rule::new(
            Table::Nat,
            "OUTPUT",
            Position::Append,
            &format!("! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j {CHAIN}"),
        ),
        Rule::new(
            Table::Filter,
            "FORWARD",
            Position::Insert,
            &format!("-j {ISOLATION_STAGE_1}"),
        ),
        Rule::new(Table::Filter, ISOLATION_STAGE_1, Position::Append, "-j RETURN"),
        Rule::new(Table::Filter, ISOLATION_STAGE_2, Position::Append, "-j RETURN"),
    ]
}

/// A bridge network, as far as the firewall is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeNetwork {
    /// The bridge's name.
    pub bridge: String,
    /// Its subnet.
    pub subnet: Ipv4Net,
    /// `--internal`: no traffic in or out of the bridge, only between its containers.
    pub internal: bool,
}

/// The rules that let a bridge network's containers out (MASQUERADE), let replies and
/// published ports in, and keep other bridge networks out.
pub fn bridge_rules(network: &BridgeNetwork) -> Vec<Rule> {
    // ex5: the layout in the module documentation, for `br` and `subnet`, built with
    // `Rule::new(table, chain, position, "the rest as iptables -S prints it")`. An `internal`
    // network gets three rules: two DROPs inserted in ISOLATION_STAGE_1 (from outside the
    // subnet to the bridge, from the bridge to outside the subnet) and the bridge-to-bridge
    // ACCEPT appended to FORWARD. Any other gets eight: the MASQUERADE of the subnet in
    // POSTROUTING; the RETURN in nat's CHAIN; four FORWARD rules (replies in, new traffic to
    // CHAIN, out of the bridge, bridge to bridge), appended; one rule inserted in each
    // isolation stage.
    todo!(
        "ex5: internal: 2 DROPs in ISOLATION_STAGE_1 and FORWARD -i br -o br ACCEPT; otherwise MASQUERADE, nat CHAIN RETURN, 4 FORWARD rules, one rule in each isolation stage"
    )
}

/// One published port of one container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedPort {
    /// TCP or UDP.
    pub protocol: Protocol,
    /// Only on this host address (`-p 127.0.0.1:8080:80`); `None` is every address.
    pub host_ip: Option<Ipv4Addr>,
    /// The host port.
    pub host_port: u16,
    /// The container's address on the bridge.
    pub container_ip: Ipv4Addr,
    /// The port inside the container.
    pub container_port: u16,
}

/// The rules that publish one port: DNAT to the container, ACCEPT in `filter`, and the
/// MASQUERADE that makes a container reaching itself through its own published port
/// (hairpin) get the replies. With `hairpin_nat` (Docker's `--userland-proxy=false`) the
/// DNAT also applies to traffic coming from the bridge itself; otherwise that traffic is
/// left to the userland proxy, as Docker does by default.
pub fn port_rules(bridge: &str, port: &PublishedPort, hairpin_nat: bool) -> Vec<Rule> {
    // ex5: three rules: in nat's CHAIN the DNAT to `container_ip:container_port` (with
    // `-d HOST_IP/32` first if there is one, then, unless `hairpin_nat`, `! -i BRIDGE`); in
    // POSTROUTING the MASQUERADE of the container talking to itself (`-s CIP/32 -d CIP/32`);
    // in filter's CHAIN the ACCEPT of what is forwarded to it. Every match on the port is
    // `-p PROTO -m PROTO --dport PORT`; all three are appended.
    todo!(
        "ex5: DNAT in nat CHAIN ([-d ip/32] [! -i br] -p P -m P --dport HOST -j DNAT --to-destination CIP:CPORT), the hairpin MASQUERADE in POSTROUTING, the ACCEPT in filter CHAIN"
    )
}

/// Runs `iptables` in one network namespace.
#[derive(Debug, Clone, Copy)]
pub struct Iptables<'a> {
    netns: Option<&'a NetNs>,
}

impl Default for Iptables<'_> {
    fn default() -> Self {
        Iptables::new()
    }
}

impl<'a> Iptables<'a> {
    /// In the caller's network namespace.
    pub fn new() -> Iptables<'static> {
        Iptables { netns: None }
    }

    /// In `netns` (each `iptables` is spawned from a thread that entered it).
    pub fn in_netns(netns: &'a NetNs) -> Iptables<'a> {
        Iptables { netns: Some(netns) }
    }

    /// Runs `iptables -w ARGS`; `Ok(true)` on exit 0, `Ok(false)` on exit 1 when
    /// `false_on_1` (what `-C` answers for "no such rule"), an error otherwise.
    fn run(&self, args: &[String], false_on_1: bool) -> Result<(bool, String), NetworkError> {
        let shown = args.join(" ");
        let spawn = || Command::new("iptables").arg("-w").args(args).output();
        let output = match self.netns {
            Some(ns) => ns.run(spawn)?,
            None => spawn(),
        }
        .map_err(|source| NetworkError::IptablesSpawn {
            args: shown.clone(),
            source,
        })?;
        if output.status.success() {
            return Ok((true, String::from_utf8_lossy(&output.stdout).into_owned()));
        }
        if false_on_1 && output.status.code() == Some(1) {
            return Ok((false, String::new()));
        }
        Err(NetworkError::Iptables {
            args: shown,
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        })
    }

    fn rule_args(op: &str, rule: &Rule) -> Vec<String> {
        let mut args = vec![
            "-t".to_string(),
            rule.table.as_str().into(),
            op.into(),
            rule.chain.clone(),
        ];
        args.extend(rule.args.iter().cloned());
        args
    }

    /// Whether the rule is there (`iptables -C`).
    pub fn exists(&self, rule: &Rule) -> Result<bool, NetworkError> {
        Ok(self.run(&Self::rule_args("-C", rule), true)?.0)
    }

    /// Adds the rule unless it is already there (`-C`, then `-A` or `-I`).
    pub fn add(&self, rule: &Rule) -> Result<(), NetworkError> {
        if self.exists(rule)? {
            return Ok(());
        }
        tracing::debug!(table = rule.table.as_str(), rule = %rule, "iptables add");
        let op = match rule.position {
            Position::Append => "-A",
            Position::Insert => "-I",
        };
        self.run(&Self::rule_args(op, rule), false).map(|_| ())
    }

    /// Deletes the rule if it is there (`-C`, then `-D` with the same arguments).
    pub fn delete(&self, rule: &Rule) -> Result<(), NetworkError> {
        if !self.exists(rule)? {
            return Ok(());
        }
        tracing::debug!(table = rule.table.as_str(), rule = %rule, "iptables delete");
        self.run(&Self::rule_args("-D", rule), false).map(|_| ())
    }

    /// Adds rules in order.
    pub fn add_all(&self, rules: &[Rule]) -> Result<(), NetworkError> {
        rules.iter().try_for_each(|r| self.add(r))
    }

    /// Deletes rules, last first.
    pub fn delete_all(&self, rules: &[Rule]) -> Result<(), NetworkError> {
        rules.iter().rev().try_for_each(|r| self.delete(r))
    }

    /// The rules of a table (or of one chain), as `iptables -t TABLE -S [CHAIN]` prints them.
    pub fn list(&self, table: Table, chain: Option<&str>) -> Result<Vec<String>, NetworkError> {
        let mut args = vec!["-t".to_string(), table.as_str().into(), "-S".into()];
        args.extend(chain.map(String::from));
        let (_, out) = self.run(&args, false)?;
        Ok(out.lines().map(String::from).collect())
    }

    fn chain_exists(&self, table: Table, chain: &str) -> Result<bool, NetworkError> {
        let args = ["-t", table.as_str(), "-n", "-L", chain].map(String::from);
        Ok(self.run(&args, true)?.0)
    }

    /// Creates the MINIDOCKER chains (if missing) and the jumps into them.
    pub fn setup(&self) -> Result<(), NetworkError> {
        for (table, chain) in chains() {
            if !self.chain_exists(table, chain)? {
                self.run(&["-t", table.as_str(), "-N", chain].map(String::from), false)?;
            }
        }
        self.add_all(&base_rules())
    }

    /// Removes the jumps and the chains [`Iptables::setup`] made (they must be empty of
    /// bridge and port rules by then; a chain still in use makes this fail).
    pub fn teardown(&self) -> Result<(), NetworkError> {
        self.delete_all(&base_rules())?;
        for (table, chain) in chains() {
            if self.chain_exists(table, chain)? {
                self.run(&["-t", table.as_str(), "-X", chain].map(String::from), false)?;
            }
        }
        Ok(())
    }
}
