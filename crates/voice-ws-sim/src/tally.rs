//! Counting numbered client messages, for end-to-end accounting of what an
//! application sent ([`Sim::client_tally`](crate::Sim::client_tally)).
//!
//! A client Speaking (op 5) whose `delay` is a positive integer counts as
//! message number `delay`. Real clients send `delay` 0, which is not
//! counted; a test harness numbers its sends from 1 and checks that each
//! number arrived exactly once. Frames are counted as they are read, also
//! while a close is drained, so a message the client put on the wire before
//! the socket closed is counted.

use std::sync::{Mutex, PoisonError};

use serde_json::Value;

/// Highest number tracked for duplicates: 4 Mi numbers (a 512 KiB bitmap).
/// Larger ones are counted as received but not checked.
const MAX_TRACKED: u64 = 1 << 22;

/// What arrived of the numbered client messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientTally {
    /// Numbered messages read, duplicates included.
    pub received: u64,
    /// Numbers read more than once.
    pub duplicates: u64,
    /// Numbers read after a higher one (each counted once).
    pub out_of_order: u64,
    /// The highest number read.
    pub highest: u64,
}

/// The tally and the numbers seen so far (a bitmap), behind one mutex.
#[derive(Default)]
pub(crate) struct Tally {
    inner: Mutex<(ClientTally, Vec<u64>)>,
}

impl Tally {
    /// Counts `text` if it is a numbered Speaking; cheap for anything else.
    pub(crate) fn note(&self, text: &str) {
        if !text.contains("\"op\":5") {
            return;
        }
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return;
        };
        if value.get("op").and_then(Value::as_u64) != Some(5) {
            return;
        }
        let id = value
            .get("d")
            .and_then(|d| d.get("delay"))
            .and_then(Value::as_u64)
            .unwrap_or(0);
        if id == 0 {
            return;
        }
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let (tally, seen) = &mut *guard;
        tally.received += 1;
        if id < tally.highest {
            tally.out_of_order += 1;
        }
        tally.highest = tally.highest.max(id);
        if id >= MAX_TRACKED {
            return;
        }
        let (word, bit) = ((id / 64) as usize, id % 64);
        if seen.len() <= word {
            seen.resize(word + 1, 0);
        }
        if seen[word] & (1 << bit) != 0 {
            tally.duplicates += 1;
        }
        seen[word] |= 1 << bit;
    }

    pub(crate) fn snapshot(&self) -> ClientTally {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_numbered_speaking_only_and_finds_repeats() {
        let tally = Tally::default();
        for text in [
            r#"{"op":5,"d":{"speaking":1,"delay":1,"ssrc":7}}"#,
            r#"{"op":5,"d":{"speaking":1,"delay":0,"ssrc":7}}"#,
            r#"{"op":3,"d":{"t":5,"seq_ack":-1}}"#,
            r#"{"op":5,"d":{"speaking":1,"delay":3,"ssrc":7}}"#,
            r#"{"op":5,"d":{"speaking":1,"delay":2,"ssrc":7}}"#,
            r#"{"op":5,"d":{"speaking":1,"delay":3,"ssrc":7}}"#,
            r#"{"op":5,"d":"#,
        ] {
            tally.note(text);
        }
        let got = tally.snapshot();
        assert_eq!(got.received, 4);
        assert_eq!(got.duplicates, 1);
        // 2 after 3, and the repeated 3 is not below the highest.
        assert_eq!(got.out_of_order, 1);
        assert_eq!(got.highest, 3);
    }
}
