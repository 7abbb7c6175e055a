//! Docker's detach keys: the key sequence that leaves an attached terminal without stopping
//! the container (`ctrl-p,ctrl-q` unless `--detach-keys` or `?detachKeys=` says otherwise).
//!
//! The format is moby's `term.ToBytes`: comma-separated keys, each a single character, or
//! `ctrl-@`, `ctrl-a` … `ctrl-z`, `ctrl-[`, `ctrl-\`, `ctrl-]`, `ctrl-^`, `ctrl-_` (the
//! control codes 0 to 31), or `DEL` (127). The daemon looks for the sequence in what a client
//! types into a terminal (`-t` only, as dockerd does): what comes before it goes on to the
//! container, a sequence cut short goes on as typed, the sequence itself ends the attach.

use std::str::FromStr;

/// Docker's default.
pub const DEFAULT_DETACH_KEYS: &str = "ctrl-p,ctrl-q";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetachKeysError {
    /// moby's message for a key it does not know.
    #[error("Unknown character: '{0}'")]
    UnknownKey(String),
}

/// A parsed detach sequence (never empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachKeys(Vec<u8>);

/// The control keys in code order: `ctrl-@` is 0, `ctrl-a` 1, … `ctrl-_` 31.
const CONTROL_KEYS: &str = "@abcdefghijklmnopqrstuvwxyz[\\]^_";

impl FromStr for DetachKeys {
    type Err = DetachKeysError;

    fn from_str(keys: &str) -> Result<DetachKeys, DetachKeysError> {
        let mut codes = Vec::new();
        for key in keys.split(',') {
            let code = match key.as_bytes() {
                [single] => *single,
                _ if key == "DEL" => 127,
                _ => key
                    .strip_prefix("ctrl-")
                    .filter(|k| k.len() == 1)
                    .and_then(|k| CONTROL_KEYS.find(k))
                    .map(|code| code as u8)
                    .ok_or_else(|| DetachKeysError::UnknownKey(key.to_owned()))?,
            };
            codes.push(code);
        }
        Ok(DetachKeys(codes))
    }
}

impl Default for DetachKeys {
    fn default() -> Self {
        DetachKeys(vec![0x10, 0x11])
    }
}

impl DetachKeys {
    /// The keys of a request: `given` if it is not empty, else Docker's default.
    pub fn or_default(given: &str) -> Result<DetachKeys, DetachKeysError> {
        match given {
            "" => Ok(DetachKeys::default()),
            keys => keys.parse(),
        }
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// What one piece of a client's input comes to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scanned {
    /// The bytes to pass on to the container now.
    pub forward: Vec<u8>,
    /// The detach sequence was typed: pass on `forward`, then end the attach.
    pub detached: bool,
}

// ANCHOR: escape_scanner
/// Finds the detach sequence in a stream of input, across reads: a prefix of it at the end of
/// one piece is held back until the next shows whether the sequence goes on.
#[derive(Debug, Clone)]
pub struct EscapeScanner {
    keys: DetachKeys,
    /// How many keys of the sequence the input ended with (held back).
    matched: usize,
}

impl EscapeScanner {
    pub fn new(keys: DetachKeys) -> EscapeScanner {
        EscapeScanner { keys, matched: 0 }
    }

    pub fn scan(&mut self, input: &[u8]) -> Scanned {
        let keys = self.keys.bytes();
        let mut forward = Vec::with_capacity(input.len() + self.matched);
        for &byte in input {
            if byte == keys[self.matched] {
                self.matched += 1;
                if self.matched == keys.len() {
                    self.matched = 0;
                    return Scanned {
                        forward,
                        detached: true,
                    };
                }
                continue;
            }
            // the sequence broke off: what was held back was typed after all
            forward.extend_from_slice(&keys[..self.matched]);
            self.matched = 0;
            if byte == keys[0] {
                self.matched = 1;
                if keys.len() == 1 {
                    self.matched = 0;
                    return Scanned {
                        forward,
                        detached: true,
                    };
                }
            } else {
                forward.push(byte);
            }
        }
        Scanned {
            forward,
            detached: false,
        }
    }
}
// ANCHOR_END: escape_scanner

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keys_parse_like_mobys_to_bytes() {
        assert_eq!("ctrl-p,ctrl-q".parse::<DetachKeys>().unwrap().bytes(), [16, 17]);
        assert_eq!("ctrl-@,ctrl-_".parse::<DetachKeys>().unwrap().bytes(), [0, 31]);
        assert_eq!("ctrl-\\,ctrl-[".parse::<DetachKeys>().unwrap().bytes(), [28, 27]);
        assert_eq!(
            "a,b,DEL".parse::<DetachKeys>().unwrap().bytes(),
            [b'a', b'b', 127]
        );
        assert_eq!("ctrl-a,x".parse::<DetachKeys>().unwrap().bytes(), [1, b'x']);
        assert_eq!(DetachKeys::or_default("").unwrap(), DetachKeys::default());
        assert_eq!(DetachKeys::default(), DEFAULT_DETACH_KEYS.parse().unwrap());
    }

    #[test]
    fn unknown_keys_are_refused_with_mobys_message() {
        for bad in ["ctrl-P", "ab,c", "ctrl-", "", "ctrl-p,,ctrl-q", "del"] {
            let err = bad.parse::<DetachKeys>().unwrap_err();
            assert!(
                err.to_string().starts_with("Unknown character: '"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            "ctrl-P".parse::<DetachKeys>().unwrap_err().to_string(),
            "Unknown character: 'ctrl-P'"
        );
    }

    fn scanner() -> EscapeScanner {
        EscapeScanner::new(DetachKeys::default())
    }

    #[test]
    fn what_comes_before_the_sequence_goes_on_and_the_rest_is_dropped() {
        let got = scanner().scan(b"echo x\x10\x11y\r");
        assert_eq!(got.forward, b"echo x");
        assert!(got.detached);
    }

    #[test]
    fn a_sequence_split_across_reads_is_held_back_then_detaches() {
        let mut s = scanner();
        assert_eq!(
            s.scan(b"ls\x10"),
            Scanned {
                forward: b"ls".to_vec(),
                detached: false
            }
        );
        assert_eq!(
            s.scan(b"\x11"),
            Scanned {
                forward: vec![],
                detached: true
            }
        );
    }

    #[test]
    fn a_sequence_cut_short_is_passed_on_as_typed() {
        let mut s = scanner();
        assert_eq!(s.scan(b"\x10").forward, b"");
        assert_eq!(s.scan(b"z").forward, b"\x10z");
        // the first key again restarts the match
        assert_eq!(s.scan(b"\x10\x10").forward, b"\x10");
        assert!(s.scan(b"\x11").detached);
    }

    #[test]
    fn a_one_key_sequence_detaches_at_once() {
        let mut s = EscapeScanner::new("ctrl-x".parse().unwrap());
        assert_eq!(
            s.scan(b"ab\x18cd"),
            Scanned {
                forward: b"ab".to_vec(),
                detached: true
            }
        );
        let mut s = EscapeScanner::new("ctrl-x".parse().unwrap());
        assert!(s.scan(b"\x18").detached);
    }

    proptest! {
        /// Input without the first detach key passes through whole, however it is split.
        #[test]
        fn input_without_the_keys_passes_through(
            input in proptest::collection::vec(any::<u8>().prop_filter("no ctrl-p", |b| *b != 0x10), 0..200),
            cut in 0usize..200,
        ) {
            let cut = cut.min(input.len());
            let mut s = scanner();
            let mut out = s.scan(&input[..cut]).forward;
            out.extend(s.scan(&input[cut..]).forward);
            prop_assert_eq!(out, input);
        }

        /// Typed one byte at a time or all at once, the same bytes go on and it detaches at
        /// the same point.
        #[test]
        fn splitting_does_not_change_the_outcome(
            input in proptest::collection::vec(prop_oneof![Just(0x10u8), Just(0x11u8), Just(b'a')], 0..40),
        ) {
            let whole = scanner().scan(&input);
            let mut s = scanner();
            let mut forward = Vec::new();
            let mut detached = false;
            for byte in &input {
                let got = s.scan(std::slice::from_ref(byte));
                forward.extend(got.forward);
                if got.detached {
                    detached = true;
                    break;
                }
            }
            prop_assert_eq!(detached, whole.detached);
            prop_assert_eq!(forward, whole.forward);
        }
    }
}
