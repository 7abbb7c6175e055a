//! ex2: stdout and stderr multiplexed on one connection, as `attach`, `logs` and `exec` send
//! them without a TTY.

use lab10_api::stdcopy::{StdStream, frame, parse_header, read_frame};
use proptest::prelude::*;

#[test]
fn ex2_a_frame_is_an_eight_byte_header_then_the_payload() {
    assert_eq!(
        frame(StdStream::Stdout, b"hi\n"),
        [1, 0, 0, 0, 0, 0, 0, 3, b'h', b'i', b'\n']
    );
    assert_eq!(frame(StdStream::Stderr, b""), [2, 0, 0, 0, 0, 0, 0, 0]);
    let big = vec![b'x'; 70_000];
    assert_eq!(frame(StdStream::Stdin, &big)[..8], [0, 0, 0, 0, 0, 1, 0x11, 0x70]);
}

#[test]
fn ex2_headers_are_read_back_and_bad_ones_refused() {
    assert_eq!(
        parse_header([1, 0, 0, 0, 0, 0, 1, 0]),
        Ok((StdStream::Stdout, 256))
    );
    assert_eq!(
        parse_header([2, 0, 0, 0, 0, 1, 0, 0]),
        Ok((StdStream::Stderr, 65536))
    );
    assert_eq!(parse_header([0, 0, 0, 0, 0, 0, 0, 5]), Ok((StdStream::Stdin, 5)));
    let bad = parse_header([7, 0, 0, 0, 0, 0, 0, 1]).unwrap_err();
    assert_eq!(bad.stream, 7);
}

/// A reader that hands out one byte at a time, as a slow socket may.
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.0.split_first() {
            Some((first, rest)) if !buf.is_empty() => {
                buf[0] = *first;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

#[test]
fn ex2_frames_are_read_one_by_one_even_from_a_slow_reader() {
    let mut wire = frame(StdStream::Stdout, b"out");
    wire.extend(frame(StdStream::Stderr, b"err"));
    let mut reader = Trickle(&wire);
    assert_eq!(
        read_frame(&mut reader).unwrap(),
        Some((StdStream::Stdout, b"out".to_vec()))
    );
    assert_eq!(
        read_frame(&mut reader).unwrap(),
        Some((StdStream::Stderr, b"err".to_vec()))
    );
    assert_eq!(read_frame(&mut reader).unwrap(), None);
}

#[test]
fn ex2_a_stream_cut_inside_a_frame_is_an_error() {
    let wire = frame(StdStream::Stdout, b"abc");
    for cut in [3, 8, 10] {
        let err = read_frame(&mut &wire[..cut]).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof, "cut at {cut}");
    }
    let err = read_frame(&mut &[9u8, 0, 0, 0, 0, 0, 0, 0][..]).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
}

proptest! {
    #[test]
    fn ex2_frames_read_back_as_they_were_written(
        pieces in proptest::collection::vec((0u8..3, proptest::collection::vec(any::<u8>(), 0..200)), 0..12)
    ) {
        let stream_of = |n: u8| [StdStream::Stdin, StdStream::Stdout, StdStream::Stderr][n as usize];
        let wire: Vec<u8> = pieces.iter().flat_map(|(s, p)| frame(stream_of(*s), p)).collect();
        let mut reader = &wire[..];
        for (s, payload) in &pieces {
            prop_assert_eq!(read_frame(&mut reader).unwrap(), Some((stream_of(*s), payload.clone())));
        }
        prop_assert_eq!(read_frame(&mut reader).unwrap(), None);
    }
}
