//! Docker's multiplexed stream ("stdcopy"): a container without a TTY has two outputs, and
//! `attach`, `logs` and `exec start` send both over one connection. Each piece is a frame:
//!
//! ```text
//!  byte 0      1..3     4..7 (u32, big-endian)   8..
//! [stream]   [0 0 0]   [length of the payload]  [payload]
//!  0 stdin, 1 stdout, 2 stderr
//! ```
//!
//! With a TTY there is only one output (the terminal's), so it is sent raw, without frames.

use std::io::Read;

/// The stream a frame belongs to: the number in its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StdStream {
    Stdin,
    Stdout,
    Stderr,
}

/// A frame header that is not Docker's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid stream frame header {header:?}: stream byte {stream} is not 0, 1 or 2")]
pub struct BadFrameHeader {
    pub header: [u8; 8],
    pub stream: u8,
}

impl StdStream {
    /// The stream byte of a frame header.
    pub fn id(self) -> u8 {
        match self {
            StdStream::Stdin => 0,
            StdStream::Stdout => 1,
            StdStream::Stderr => 2,
        }
    }
}

/// The size of a frame header.
pub const HEADER_LEN: usize = 8;

// ANCHOR: frame
/// One frame: `[stream, 0, 0, 0, len (u32 BE)]` then the payload.
pub fn frame(stream: StdStream, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.push(stream.id());
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload[..len as usize]);
    out
}
// ANCHOR_END: frame

// ANCHOR: parse_header
/// The stream and payload length a frame header announces.
pub fn parse_header(header: [u8; HEADER_LEN]) -> Result<(StdStream, usize), BadFrameHeader> {
    let stream = match header[0] {
        0 => StdStream::Stdin,
        1 => StdStream::Stdout,
        2 => StdStream::Stderr,
        stream => return Err(BadFrameHeader { header, stream }),
    };
    let len = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    Ok((stream, len as usize))
}
// ANCHOR_END: parse_header

/// The next frame of `reader`: its stream and payload; `None` at a clean end (between
/// frames). An end inside a frame is an `UnexpectedEof` error, a bad header `InvalidData`.
pub fn read_frame(reader: &mut impl Read) -> std::io::Result<Option<(StdStream, Vec<u8>)>> {
    let mut header = [0u8; HEADER_LEN];
    let mut filled = 0;
    while filled < HEADER_LEN {
        match reader.read(&mut header[filled..]) {
            Ok(0) if filled == 0 => return Ok(None),
            Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let (stream, len) =
        parse_header(header).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let mut payload = vec![0u8; len];
    reader.read_exact(&mut payload)?;
    Ok(Some((stream, payload)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_frame_is_a_header_then_the_payload() {
        assert_eq!(
            frame(StdStream::Stderr, b"hi"),
            [2, 0, 0, 0, 0, 0, 0, 2, b'h', b'i']
        );
        assert_eq!(
            parse_header([1, 0, 0, 0, 0, 1, 0, 0]),
            Ok((StdStream::Stdout, 65536))
        );
        assert!(parse_header([3, 0, 0, 0, 0, 0, 0, 0]).is_err());
    }

    #[test]
    fn an_end_inside_a_frame_is_an_error_and_between_frames_is_not() {
        let mut whole = &frame(StdStream::Stdout, b"abc")[..];
        assert_eq!(
            read_frame(&mut whole).unwrap(),
            Some((StdStream::Stdout, b"abc".to_vec()))
        );
        assert_eq!(read_frame(&mut whole).unwrap(), None);
        let cut = frame(StdStream::Stdout, b"abc");
        assert!(read_frame(&mut &cut[..5]).is_err());
        assert!(read_frame(&mut &cut[..9]).is_err());
    }

    proptest! {
        #[test]
        fn frames_read_back_as_they_were_written(
            pieces in proptest::collection::vec((0u8..3, proptest::collection::vec(any::<u8>(), 0..300)), 0..20)
        ) {
            let stream_of = |n: u8| [StdStream::Stdin, StdStream::Stdout, StdStream::Stderr][n as usize];
            let mut wire = Vec::new();
            for (s, payload) in &pieces {
                wire.extend(frame(stream_of(*s), payload));
            }
            let mut reader = &wire[..];
            for (s, payload) in &pieces {
                prop_assert_eq!(read_frame(&mut reader).unwrap(), Some((stream_of(*s), payload.clone())));
            }
            prop_assert_eq!(read_frame(&mut reader).unwrap(), None);
        }
    }
}
