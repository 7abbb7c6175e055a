//! The query handler: one DNS message in, and out either a reply, "ask upstream", or
//! nothing. Pure: no socket, no clock, so every rule of Docker's embedded resolver is a unit
//! test here, and arbitrary bytes can be thrown at it (see the proptest below).
//!
//! The rules (moby `libnetwork/resolver.go`):
//!
//! | query | answer |
//! |---|---|
//! | `A` of a known name | its addresses, TTL 600, several rotated between queries (Docker shuffles) |
//! | `AAAA` or `MX` of a known name | `NOERROR` with no records (no IPv6 here; "implicit MX") |
//! | `PTR` of `d.c.b.a.in-addr.arpa` for a known address | the name, as a fully qualified name |
//! | anything else, unknown names included (one label or many) | forwarded upstream (1) |
//! | a type or class the parser does not know | forwarded upstream as it came |
//! | an opcode other than `QUERY` | `NOTIMP` |
//! | not exactly one question | `FORMERR` |
//! | a response, or bytes that are no DNS message | ignored |
//!
//! (1) Docker keeps a one-label `A`/`AAAA` name from going upstream only when the container
//! sets `ndots` itself (`--dns-option ndots:N`), answering an empty `NOERROR` so the client
//! tries its search domains; with the `ndots:0` the engine writes, it forwards them too, and
//! so does this server.
//!
//! Names are compared in lower case without the trailing dot; the records answered carry the
//! name as the client spelled it. A UDP reply longer than the client accepts (512 bytes, or
//! its EDNS size) loses answers from the end and gets the `TC` flag, so the client asks
//! again over TCP.

use std::net::Ipv4Addr;

use simple_dns::rdata::{A, PTR, RData};
use simple_dns::{
    CLASS, Name, OPCODE, Packet, PacketFlag, QCLASS, QTYPE, Question, RCODE, ResourceRecord, SimpleDnsError,
    TYPE, header_buffer,
};

use super::{ANSWER_TTL, Resolver, Transport};

/// The largest UDP reply to a client that did not announce a size with EDNS (RFC 1035).
const CLASSIC_UDP_SIZE: usize = 512;
/// The largest message over TCP (the length prefix is 16 bits).
const TCP_MESSAGE_SIZE: usize = 65535;

/// What to do with one message.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// Send this reply.
    Reply(Vec<u8>),
    /// Not ours to answer: send the query upstream unchanged. The failure tells how to
    /// answer the client if no upstream does.
    Forward(Failure),
    /// Not a query: drop it (UDP) or close the connection (TCP).
    Ignore,
}

/// Enough of a query to answer it with an error code later, on another thread.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    id: u16,
    echoed: PacketFlag,
    opcode: OPCODE,
    questions: Vec<Question<'static>>,
}

impl Failure {
    fn of(query: &Packet<'_>) -> Failure {
        Failure {
            id: query.id(),
            echoed: echoed_flags(|flag| query.has_flags(flag)),
            opcode: query.opcode(),
            questions: query
                .questions
                .iter()
                .cloned()
                .map(Question::into_owned)
                .collect(),
        }
    }

    /// For a query the parser refused (an unknown type): its header only.
    fn of_header(query: &[u8]) -> Option<Failure> {
        Some(Failure {
            id: header_buffer::id(query).ok()?,
            echoed: echoed_flags(|flag| header_buffer::has_flags(query, flag).unwrap_or(false)),
            opcode: header_buffer::opcode(query).ok()?,
            questions: Vec::new(),
        })
    }

    /// The reply with `rcode` and no records: `SERVFAIL` when no upstream answered,
    /// `REFUSED` when too many queries are already being forwarded.
    pub(crate) fn reply(&self, rcode: RCODE) -> Vec<u8> {
        let mut reply = reply_to(self.id, self.echoed);
        *reply.opcode_mut() = self.opcode;
        *reply.rcode_mut() = rcode;
        reply.questions = self.questions.clone();
        // building can only fail on a name too long to write, and these names were parsed
        reply.build_bytes_vec_compressed().unwrap_or_default()
    }
}

/// The query's flags that a reply repeats: recursion desired and checking disabled.
fn echoed_flags(has: impl Fn(PacketFlag) -> bool) -> PacketFlag {
    [PacketFlag::RECURSION_DESIRED, PacketFlag::CHECKING_DISABLED]
        .into_iter()
        .filter(|flag| has(*flag))
        .fold(PacketFlag::empty(), |all, flag| all | flag)
}

/// An empty reply: the query's id, `QR`, the echoed flags, and `RA` (we recurse, upstream).
fn reply_to(id: u16, echoed: PacketFlag) -> Packet<'static> {
    let mut reply = Packet::new_reply(id);
    reply.set_flags(echoed | PacketFlag::RECURSION_AVAILABLE);
    reply
}

// ANCHOR: respond
/// Decides what to do with one message received over `transport`. `rotation` picks which of
/// several addresses of a name comes first.
pub(crate) fn respond(
    message: &[u8],
    transport: Transport,
    resolver: &dyn Resolver,
    rotation: usize,
) -> Outcome {
    let query = match Packet::parse(message) {
        Ok(query) => query,
        // a record type or class newer than the parser: not one of ours, so upstream decides
        Err(
            SimpleDnsError::InvalidQType(_)
            | SimpleDnsError::InvalidClass(_)
            | SimpleDnsError::InvalidQClass(_),
        ) => {
            return forward_unparsed(message);
        }
        Err(_) => return Outcome::Ignore,
    };
    if query.has_flags(PacketFlag::RESPONSE) {
        return Outcome::Ignore;
    }
    if query.opcode() != OPCODE::StandardQuery {
        return Outcome::Reply(Failure::of(&query).reply(RCODE::NotImplemented));
    }
    let [question] = query.questions.as_slice() else {
        return Outcome::Reply(Failure::of(&query).reply(RCODE::FormatError));
    };
    match local_answers(question, resolver, rotation) {
        Some(answers) => match reply_with(&query, answers, transport) {
            Some(reply) => Outcome::Reply(reply),
            None => Outcome::Reply(Failure::of(&query).reply(RCODE::ServerFailure)),
        },
        None => Outcome::Forward(Failure::of(&query)),
    }
}

/// The records that answer `question` from the resolver, or `None` when the name (or the
/// type) is not ours.
fn local_answers<'a>(
    question: &Question<'a>,
    resolver: &dyn Resolver,
    rotation: usize,
) -> Option<Vec<ResourceRecord<'a>>> {
    if question.qclass != QCLASS::CLASS(CLASS::IN) {
        return None;
    }
    let name = normalize(&question.qname);
    let record = |rdata| ResourceRecord::new(question.qname.clone(), CLASS::IN, ANSWER_TTL, rdata);
    match question.qtype {
        QTYPE::TYPE(TYPE::A) => {
            let mut addresses = resolver.lookup(&name)?;
            if !addresses.is_empty() {
                let first = rotation % addresses.len();
                addresses.rotate_left(first);
            }
            let records = addresses.into_iter().map(|ip| record(RData::A(A::from(ip))));
            Some(records.collect())
        }
        // the name is ours but has no IPv6 address or mail exchanger: say so, do not forward
        QTYPE::TYPE(TYPE::AAAA | TYPE::MX) => resolver.lookup(&name).map(|_| Vec::new()),
        QTYPE::TYPE(TYPE::PTR) => {
            let host = resolver.reverse(reverse_ipv4(&name)?)?;
            let host = Name::new(host.trim_end_matches('.')).ok()?.into_owned();
            Some(vec![record(RData::PTR(PTR(host)))])
        }
        _ => None,
    }
}
// ANCHOR_END: respond

/// The reply to `query` with `answers`, cut to what the client accepts over `transport`.
fn reply_with<'a>(
    query: &Packet<'a>,
    answers: Vec<ResourceRecord<'a>>,
    transport: Transport,
) -> Option<Vec<u8>> {
    let limit = match transport {
        Transport::Tcp => TCP_MESSAGE_SIZE,
        Transport::Udp => query
            .opt()
            .map_or(CLASSIC_UDP_SIZE, |opt| usize::from(opt.udp_packet_size))
            .max(CLASSIC_UDP_SIZE),
    };
    let mut reply = reply_to(query.id(), echoed_flags(|flag| query.has_flags(flag)));
    reply.questions = query.questions.clone();
    reply.answers = answers;
    let mut bytes = reply.build_bytes_vec_compressed().ok()?;
    while bytes.len() > limit && reply.answers.pop().is_some() {
        reply.set_flags(PacketFlag::TRUNCATION);
        bytes = reply.build_bytes_vec_compressed().ok()?;
    }
    Some(bytes)
}

/// A query the parser refused is forwarded if its header says it is a standard query with
/// one question; anything else is dropped.
fn forward_unparsed(message: &[u8]) -> Outcome {
    let is_query = header_buffer::has_flags(message, PacketFlag::RESPONSE) == Ok(false)
        && header_buffer::opcode(message) == Ok(OPCODE::StandardQuery)
        && header_buffer::questions(message) == Ok(1);
    match Failure::of_header(message) {
        Some(failure) if is_query => Outcome::Forward(failure),
        _ => Outcome::Ignore,
    }
}

/// A name as the resolver sees it: lower case, no trailing dot.
fn normalize(name: &Name<'_>) -> String {
    let mut text = name.to_string().to_ascii_lowercase();
    while text.ends_with('.') {
        text.pop();
    }
    text
}

/// The address in a reverse name: `4.3.2.1.in-addr.arpa` is 1.2.3.4. `None` for anything
/// else (a partial or classless name, IPv6's `ip6.arpa`), which then goes upstream.
pub(crate) fn reverse_ipv4(name: &str) -> Option<Ipv4Addr> {
    let digits = name.strip_suffix(".in-addr.arpa")?;
    let mut octets = [0u8; 4];
    let mut labels = digits.split('.');
    for octet in octets.iter_mut().rev() {
        let label = labels.next()?;
        if label.is_empty() || label.len() > 3 || !label.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = label.parse().ok()?;
    }
    match labels.next() {
        None => Some(Ipv4Addr::from(octets)),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::dns::NameTable;
    use proptest::prelude::*;
    use simple_dns::rdata::OPT;

    fn table() -> NameTable {
        let mut table = NameTable::new();
        table
            .insert("web", Ipv4Addr::new(172, 18, 0, 2))
            .insert("web.mynet", Ipv4Addr::new(172, 18, 0, 2))
            .insert("db", Ipv4Addr::new(172, 18, 0, 3))
            .insert("api", Ipv4Addr::new(172, 18, 0, 4))
            .insert("api", Ipv4Addr::new(172, 18, 0, 5));
        table
    }

    fn query(id: u16, name: &str, qtype: TYPE) -> Vec<u8> {
        let mut packet = Packet::new_query(id);
        packet.set_flags(PacketFlag::RECURSION_DESIRED);
        packet.questions.push(Question::new(
            Name::new_unchecked(name),
            QTYPE::TYPE(qtype),
            QCLASS::CLASS(CLASS::IN),
            false,
        ));
        packet.build_bytes_vec().unwrap()
    }

    fn reply(outcome: Outcome) -> Vec<u8> {
        match outcome {
            Outcome::Reply(bytes) => bytes,
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    fn addresses(packet: &Packet<'_>) -> Vec<Ipv4Addr> {
        packet
            .answers
            .iter()
            .map(|rr| match &rr.rdata {
                RData::A(a) => Ipv4Addr::from(a.address),
                other => panic!("not an A record: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn a_query_for_a_known_name_is_answered_with_ttl_600() {
        let bytes = reply(respond(&query(7, "web", TYPE::A), Transport::Udp, &table(), 0));
        let packet = Packet::parse(&bytes).unwrap();
        assert_eq!(packet.id(), 7);
        assert_eq!(packet.rcode(), RCODE::NoError);
        assert!(packet.has_flags(PacketFlag::RESPONSE | PacketFlag::RECURSION_AVAILABLE));
        assert!(packet.has_flags(PacketFlag::RECURSION_DESIRED));
        assert!(!packet.has_flags(PacketFlag::AUTHORITATIVE_ANSWER));
        assert_eq!(packet.questions.len(), 1);
        assert_eq!(addresses(&packet), [Ipv4Addr::new(172, 18, 0, 2)]);
        assert_eq!(packet.answers[0].ttl, 600);
    }

    #[test]
    fn names_are_case_insensitive_and_answers_keep_the_clients_spelling() {
        let bytes = reply(respond(
            &query(1, "WeB.MyNet.", TYPE::A),
            Transport::Udp,
            &table(),
            0,
        ));
        let packet = Packet::parse(&bytes).unwrap();
        assert_eq!(addresses(&packet), [Ipv4Addr::new(172, 18, 0, 2)]);
        assert_eq!(packet.answers[0].name.to_string(), "WeB.MyNet");
    }

    #[test]
    fn several_addresses_rotate_between_queries() {
        let first = |rotation| {
            let bytes = reply(respond(
                &query(1, "api", TYPE::A),
                Transport::Udp,
                &table(),
                rotation,
            ));
            addresses(&Packet::parse(&bytes).unwrap())
        };
        let (a, b) = (Ipv4Addr::new(172, 18, 0, 4), Ipv4Addr::new(172, 18, 0, 5));
        assert_eq!(first(0), [a, b]);
        assert_eq!(first(1), [b, a]);
        assert_eq!(first(2), [a, b]);
    }

    #[test]
    fn aaaa_and_mx_of_a_known_name_are_empty_noerror() {
        for qtype in [TYPE::AAAA, TYPE::MX] {
            let bytes = reply(respond(&query(3, "db", qtype), Transport::Udp, &table(), 0));
            let packet = Packet::parse(&bytes).unwrap();
            assert_eq!(packet.rcode(), RCODE::NoError, "{qtype:?}");
            assert!(packet.answers.is_empty(), "{qtype:?}");
        }
    }

    #[test]
    fn ptr_of_a_known_address_is_its_name() {
        let bytes = reply(respond(
            &query(9, "3.0.18.172.in-addr.arpa", TYPE::PTR),
            Transport::Udp,
            &table(),
            0,
        ));
        let packet = Packet::parse(&bytes).unwrap();
        let [answer] = packet.answers.as_slice() else {
            panic!("one answer expected: {packet:?}")
        };
        assert_eq!(answer.name.to_string(), "3.0.18.172.in-addr.arpa");
        match &answer.rdata {
            RData::PTR(ptr) => assert_eq!(ptr.0.to_string(), "db"),
            other => panic!("not a PTR: {other:?}"),
        }
    }

    #[test]
    fn what_is_not_ours_is_forwarded() {
        for (name, qtype) in [
            ("example.com", TYPE::A),
            ("nosuchcontainer", TYPE::A),
            ("example.com", TYPE::AAAA),
            ("web", TYPE::TXT),
            ("9.9.9.9.in-addr.arpa", TYPE::PTR),
            ("18.172.in-addr.arpa", TYPE::PTR),
        ] {
            let outcome = respond(&query(5, name, qtype), Transport::Udp, &table(), 0);
            assert!(
                matches!(outcome, Outcome::Forward(_)),
                "{name} {qtype:?}: {outcome:?}"
            );
        }
    }

    #[test]
    fn a_type_unknown_to_the_parser_is_forwarded_and_fails_as_servfail() {
        let mut bytes = query(0x4242, "example.com", TYPE::A);
        let qtype_at = bytes.len() - 4;
        bytes[qtype_at..qtype_at + 2].copy_from_slice(&65280u16.to_be_bytes()); // private use
        let Outcome::Forward(failure) = respond(&bytes, Transport::Udp, &table(), 0) else {
            panic!("expected forward")
        };
        let servfail = failure.reply(RCODE::ServerFailure);
        let packet = Packet::parse(&servfail).unwrap();
        assert_eq!(packet.id(), 0x4242);
        assert_eq!(packet.rcode(), RCODE::ServerFailure);
        assert!(packet.has_flags(PacketFlag::RESPONSE | PacketFlag::RECURSION_DESIRED));
    }

    #[test]
    fn failure_replies_repeat_the_question() {
        let Outcome::Forward(failure) =
            respond(&query(8, "example.com", TYPE::A), Transport::Udp, &table(), 0)
        else {
            panic!("expected forward")
        };
        for rcode in [RCODE::ServerFailure, RCODE::Refused] {
            let bytes = failure.reply(rcode);
            let packet = Packet::parse(&bytes).unwrap();
            assert_eq!(packet.rcode(), rcode);
            assert_eq!(packet.questions[0].qname.to_string(), "example.com");
        }
    }

    #[test]
    fn responses_and_garbage_are_ignored() {
        let mut response = query(1, "web", TYPE::A);
        response[2] |= 0x80; // QR
        assert!(matches!(
            respond(&response, Transport::Udp, &table(), 0),
            Outcome::Ignore
        ));
        for garbage in [&b""[..], b"\x00", b"hello world, not dns"] {
            assert!(matches!(
                respond(garbage, Transport::Tcp, &table(), 0),
                Outcome::Ignore
            ));
        }
    }

    #[test]
    fn other_opcodes_are_notimp_and_two_questions_formerr() {
        let mut update = query(1, "web", TYPE::A);
        update[2] |= 5 << 3; // opcode UPDATE
        let packet = reply(respond(&update, Transport::Udp, &table(), 0));
        assert_eq!(Packet::parse(&packet).unwrap().rcode(), RCODE::NotImplemented);

        let mut two = Packet::new_query(2);
        for name in ["web", "db"] {
            two.questions.push(Question::new(
                Name::new_unchecked(name),
                QTYPE::TYPE(TYPE::A),
                QCLASS::CLASS(CLASS::IN),
                false,
            ));
        }
        let bytes = reply(respond(
            &two.build_bytes_vec().unwrap(),
            Transport::Udp,
            &table(),
            0,
        ));
        assert_eq!(Packet::parse(&bytes).unwrap().rcode(), RCODE::FormatError);
    }

    #[test]
    fn udp_replies_are_truncated_to_what_the_client_accepts() {
        let mut many = NameTable::new();
        for i in 0..100u8 {
            many.insert("big", Ipv4Addr::new(10, 0, 0, i));
        }
        let bytes = reply(respond(&query(1, "big", TYPE::A), Transport::Udp, &many, 0));
        assert!(bytes.len() <= 512);
        let packet = Packet::parse(&bytes).unwrap();
        assert!(packet.has_flags(PacketFlag::TRUNCATION));
        assert!(!packet.answers.is_empty() && packet.answers.len() < 100);

        // over TCP, or with an EDNS size big enough, everything fits
        let bytes = reply(respond(&query(1, "big", TYPE::A), Transport::Tcp, &many, 0));
        let packet = Packet::parse(&bytes).unwrap();
        assert_eq!(packet.answers.len(), 100);
        assert!(!packet.has_flags(PacketFlag::TRUNCATION));

        let plain = query(1, "big", TYPE::A);
        let mut edns = Packet::parse(&plain).unwrap();
        *edns.opt_mut() = Some(OPT {
            opt_codes: Vec::new(),
            udp_packet_size: 4096,
            version: 0,
        });
        let bytes = reply(respond(
            &edns.build_bytes_vec().unwrap(),
            Transport::Udp,
            &many,
            0,
        ));
        assert_eq!(Packet::parse(&bytes).unwrap().answers.len(), 100);
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_ipv4("4.3.2.1.in-addr.arpa"),
            Some(Ipv4Addr::new(1, 2, 3, 4))
        );
        assert_eq!(
            reverse_ipv4("2.0.17.172.in-addr.arpa"),
            Some(Ipv4Addr::new(172, 17, 0, 2))
        );
        for bad in [
            "3.2.1.in-addr.arpa",
            "5.4.3.2.1.in-addr.arpa",
            "256.0.0.1.in-addr.arpa",
            "+1.0.0.1.in-addr.arpa",
            "1..0.1.in-addr.arpa",
            "0001.0.0.1.in-addr.arpa",
            "1.0.0.1.ip6.arpa",
            "web",
        ] {
            assert_eq!(reverse_ipv4(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), tcp in any::<bool>()) {
            let transport = if tcp { Transport::Tcp } else { Transport::Udp };
            let reply = match respond(&bytes, transport, &table(), 0) {
                Outcome::Reply(reply) => Some(reply),
                Outcome::Forward(failure) => Some(failure.reply(RCODE::ServerFailure)),
                Outcome::Ignore => None,
            };
            if let Some(reply) = reply {
                // every reply we make is a response to the id we were given
                prop_assert!(header_buffer::has_flags(&reply, PacketFlag::RESPONSE).unwrap());
                prop_assert_eq!(header_buffer::id(&reply).unwrap(), header_buffer::id(&bytes).unwrap());
            }
        }

        #[test]
        fn mutated_queries_never_panic(position in 0usize..64, value in any::<u8>(), cut in 0usize..64) {
            let mut bytes = query(1, "web.mynet", TYPE::A);
            let at = position % bytes.len();
            bytes[at] = value;
            bytes.truncate(bytes.len().saturating_sub(cut % 8));
            let _ = respond(&bytes, Transport::Udp, &table(), 0);
        }

        #[test]
        fn every_reverse_name_of_an_address_parses_back(ip in any::<u32>()) {
            let ip = Ipv4Addr::from(ip);
            let [a, b, c, d] = ip.octets();
            prop_assert_eq!(reverse_ipv4(&format!("{d}.{c}.{b}.{a}.in-addr.arpa")), Some(ip));
        }
    }
}
