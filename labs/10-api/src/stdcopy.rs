//! Docker's multiplexed stream ("stdcopy"): a container without a TTY has two outputs, and
//! `attach`, `logs` and `exec start` send both over one connection. Each piece is a frame:
//!
//! **Lab 10 skeleton.** Exercise `ex2`: write [`frame`], [`parse_header`] and
//! [`read_frame`] (the three `todo!()`s). `labs/check 10` tells you how far you are.
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

/// One frame: `[stream, 0, 0, 0, len (u32 BE)]` then the payload.
pub fn frame(stream: StdStream, payload: &[u8]) -> Vec<u8> {
    // ex2: eight header bytes, then the payload: the stream's id, three zeros, the payload's
    // length as a big-endian u32.
    todo!("ex2: vec![stream.id(), 0, 0, 0] + (payload.len() as u32).to_be_bytes() + payload")
}

/// The stream and payload length a frame header announces.
pub fn parse_header(header: [u8; HEADER_LEN]) -> Result<(StdStream, usize), BadFrameHeader> {
    // ex2: the first byte is the stream (0, 1, 2; anything else is `BadFrameHeader`), bytes
    // 4..8 the length, big-endian.
    todo!(
        "ex2: match header[0] {{ 0 => Stdin, 1 => Stdout, 2 => Stderr, s => Err(BadFrameHeader {{ header, stream: s }}) }}, u32::from_be_bytes(header[4..8])"
    )
}

/// The next frame of `reader`: its stream and payload; `None` at a clean end (between
/// frames). An end inside a frame is an `UnexpectedEof` error, a bad header `InvalidData`.
pub fn read_frame(reader: &mut impl Read) -> std::io::Result<Option<(StdStream, Vec<u8>)>> {
    // ex2: read the 8 header bytes (a reader may give fewer than asked: loop). Nothing at all
    // before the header is the clean end, `Ok(None)`; an end in the middle of a header is
    // `UnexpectedEof`. Then `parse_header` (its error as `InvalidData`) and exactly that many
    // payload bytes.
    todo!(
        "ex2: fill an [u8; 8] with read() in a loop (0 bytes read at offset 0 => Ok(None), later => UnexpectedEof), parse_header, then read_exact the payload"
    )
}
