//! v8 sequence numbers: the last message received, and what counts as a
//! repeat of it.
//!
//! Discord defines `seq_ack` as the last numbered message *received*
//! (docs/protocol.md, "seq_ack"). The core receives a message when it
//! accepts it into its bounded event queue; a message it cannot accept is
//! not received, so the server's replay brings it back.

/// The last sequence number received on a session, across its sockets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct SeqTracker {
    last: Option<u16>,
}

impl SeqTracker {
    /// What heartbeats and Resume carry (`None` is sent as -1).
    pub(crate) fn ack(&self) -> Option<u16> {
        self.last
    }

    /// Whether `seq` is new: after the last received in u16 serial order.
    /// Anything else is a replay or repeat of a message already received.
    pub(crate) fn is_new(&self, seq: u16) -> bool {
        self.last.is_none_or(|last| is_after(seq, last))
    }

    /// The message with `seq` was accepted.
    pub(crate) fn receive(&mut self, seq: u16) {
        self.last = Some(seq);
    }

    /// Forget everything: a new session starts at "nothing received".
    pub(crate) fn reset(&mut self) {
        self.last = None;
    }
}

/// Serial-number order on u16 (RFC 1982): `seq` follows `last` when it is
/// less than half the number space ahead of it, so the order survives the
/// wrap from 65535 to 0.
pub(crate) fn is_after(seq: u16, last: u16) -> bool {
    let ahead = seq.wrapping_sub(last);
    ahead != 0 && ahead < 0x8000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anything_is_new_before_the_first_message() {
        let s = SeqTracker::default();
        assert!(s.is_new(65533));
        assert!(s.is_new(0));
        assert_eq!(s.ack(), None);
    }

    #[test]
    fn replays_before_the_wrap_are_repeats() {
        let mut s = SeqTracker::default();
        for seq in [65533, 65534, 65535, 0, 1] {
            assert!(s.is_new(seq), "{seq}");
            s.receive(seq);
        }
        for seq in [65533, 65534, 65535, 0, 1] {
            assert!(!s.is_new(seq), "{seq} replayed");
        }
        assert!(s.is_new(2));
    }

    #[test]
    fn serial_order_is_half_the_space() {
        assert!(is_after(1, 0));
        assert!(is_after(0, 65535));
        assert!(is_after(0x7FFF, 0));
        assert!(!is_after(0x8000, 0));
        assert!(!is_after(5, 5));
        assert!(!is_after(65535, 0));
    }
}
