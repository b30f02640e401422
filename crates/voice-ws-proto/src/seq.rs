//! v8 sequence numbers: what was received, what was delivered, what a
//! resume will replay twice.

/// Tracks sequence numbers across sockets of one session.
///
/// `acked` only moves when the application takes a message, so a Resume asks
/// the server to replay everything the application has not seen. Messages
/// received but still queued are remembered in `received`; when the server
/// replays them after a resume they are dropped as duplicates, so each is
/// delivered exactly once.
#[derive(Clone, Debug, Default)]
pub(crate) struct SeqTracker {
    acked: Option<u16>,
    received: Option<u16>,
    /// While a resume replays, seqs in `start..=end` (serial order) are
    /// duplicates of messages still queued. Fixed when the socket opens:
    /// the owner may take more messages meanwhile, but the server replays
    /// from the `seq_ack` the Resume carried, never from a later one.
    replay: Option<(u16, u16)>,
}

impl SeqTracker {
    /// The last sequence number the application took: what goes into
    /// heartbeats and Resume (`None` is sent as -1).
    pub(crate) fn ack(&self) -> Option<u16> {
        self.acked
    }

    /// A new socket opened: whatever is received but undelivered will be
    /// replayed by the server and must be skipped.
    pub(crate) fn on_new_socket(&mut self) {
        self.replay = match self.received {
            Some(end) if self.received != self.acked => {
                Some((self.acked.map_or(0, |a| a.wrapping_add(1)), end))
            }
            _ => None,
        };
    }

    /// A message with `seq` arrived. Returns false for a replayed duplicate.
    pub(crate) fn receive(&mut self, seq: u16) -> bool {
        if let Some((start, end)) = self.replay {
            if seq.wrapping_sub(start) <= end.wrapping_sub(start) {
                if seq == end {
                    self.replay = None;
                }
                return false;
            }
            // Outside the window: the server is sending new messages.
            self.replay = None;
        }
        self.received = Some(seq);
        true
    }

    /// The application took the message with `seq`.
    pub(crate) fn deliver(&mut self, seq: u16) {
        self.acked = Some(seq);
    }

    /// Forget everything: a new session starts at "nothing seen".
    pub(crate) fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_of_undelivered_messages_is_skipped_once() {
        let mut s = SeqTracker::default();
        for seq in [10, 11, 12] {
            assert!(s.receive(seq));
        }
        s.deliver(10);
        s.on_new_socket();
        // Server replays 11 and 12 (after seq_ack 10), then sends 13.
        assert!(!s.receive(11));
        assert!(!s.receive(12));
        assert!(s.receive(13));
        assert!(s.receive(14));
    }

    #[test]
    fn replay_window_wraps() {
        let mut s = SeqTracker::default();
        for seq in [65534, 65535, 0, 1] {
            assert!(s.receive(seq));
        }
        s.deliver(65534);
        s.on_new_socket();
        assert!(!s.receive(65535));
        assert!(!s.receive(0));
        assert!(!s.receive(1));
        assert!(s.receive(2));
    }

    #[test]
    fn window_is_fixed_when_the_socket_opens() {
        let mut s = SeqTracker::default();
        for seq in [10, 11, 12] {
            assert!(s.receive(seq));
        }
        s.deliver(10);
        s.on_new_socket();
        // The owner takes 11 after Resume(seq_ack 10) went out; the server
        // still replays 11 and 12.
        s.deliver(11);
        assert!(!s.receive(11));
        assert!(!s.receive(12));
        assert!(s.receive(13));
    }

    #[test]
    fn nothing_pending_means_no_window() {
        let mut s = SeqTracker::default();
        assert!(s.receive(0));
        s.deliver(0);
        s.on_new_socket();
        assert!(s.receive(1));
        assert_eq!(s.ack(), Some(0));
    }
}
