//! A voice session: its credentials, seq counter and replay buffer. Sessions
//! outlive connections so that a Resume on a new socket finds them.

use std::collections::VecDeque;

use tokio::sync::mpsc::UnboundedSender;
use tokio_tungstenite::tungstenite::Message;

use crate::push::ServerPush;

/// The connection currently serving a session, reachable from outside its task.
pub(crate) struct Live {
    pub(crate) conn: usize,
    pub(crate) tx: UnboundedSender<Message>,
}

/// A voice session as the gateway keeps it (not the client's
/// `voice_ws_proto::Session`).
pub(crate) struct GatewaySession {
    pub(crate) token: String,
    pub(crate) ssrc: u32,
    /// Tells apart two sessions created under the same session id.
    pub(crate) generation: u64,
    pub(crate) dave_protocol_version: u16,
    pub(crate) live: Option<Live>,
    /// Ready was sent: only then can the session be resumed.
    pub(crate) ready: bool,
    /// Seq of the session's first replayable message.
    pub(crate) start_seq: u16,
    pub(crate) next_seq: u16,
    pub(crate) replay: ReplayBuffer,
    /// The call this session sits in (feature `dave`).
    #[cfg(feature = "dave")]
    pub(crate) call: Option<crate::call::Seat>,
}

impl GatewaySession {
    pub(crate) fn new(
        token: String,
        ssrc: u32,
        generation: u64,
        dave_protocol_version: u16,
        start_seq: u16,
        replay_capacity: usize,
    ) -> Self {
        Self {
            token,
            ssrc,
            generation,
            dave_protocol_version,
            live: None,
            ready: false,
            start_seq,
            next_seq: start_seq,
            replay: ReplayBuffer::new(replay_capacity),
            #[cfg(feature = "dave")]
            call: None,
        }
    }

    /// Encodes a push, giving replayable ones the next seq and keeping them for replay.
    pub(crate) fn push(&mut self, push: &ServerPush) -> Message {
        if !push.is_replayable() {
            return push.encode(0);
        }
        let seq = self.next_seq;
        self.next_seq = seq.wrapping_add(1);
        let msg = push.encode(seq);
        self.replay.keep(seq, msg.clone());
        msg
    }

    /// Messages a client that acknowledged `seq_ack` (-1: nothing) has missed,
    /// or `None` when some of them were already evicted from the replay buffer.
    pub(crate) fn replay_after(&self, seq_ack: i64) -> Option<Vec<Message>> {
        self.replay.after(seq_ack)
    }
}

/// The last N replayable messages with their seqs, oldest first.
pub(crate) struct ReplayBuffer {
    capacity: usize,
    pub(crate) entries: VecDeque<(u16, Message)>,
    /// Seq of the newest message no longer kept (evictions go oldest first).
    pub(crate) last_evicted: Option<u16>,
}

impl ReplayBuffer {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: VecDeque::new(),
            last_evicted: None,
        }
    }

    pub(crate) fn keep(&mut self, seq: u16, msg: Message) {
        if self.capacity == 0 {
            self.last_evicted = Some(seq);
            return;
        }
        if self.entries.len() == self.capacity {
            if let Some((evicted, _)) = self.entries.pop_front() {
                self.last_evicted = Some(evicted);
            }
        }
        self.entries.push_back((seq, msg));
    }

    /// What follows `seq_ack` (u16 serial order; -1 means nothing was received),
    /// or `None` when a message after `seq_ack` was evicted: the buffer can no
    /// longer give the client everything it missed, and Discord closes with
    /// 4006 rather than replay a gap.
    pub(crate) fn after(&self, seq_ack: i64) -> Option<Vec<Message>> {
        let Ok(ack) = u16::try_from(seq_ack) else {
            // -1 (or anything else outside u16): the client has seen nothing.
            if self.last_evicted.is_some() {
                return None;
            }
            return Some(self.entries.iter().map(|(_, m)| m.clone()).collect());
        };
        if self
            .last_evicted
            .is_some_and(|evicted| is_after(evicted, ack))
        {
            return None;
        }
        let replay = self
            .entries
            .iter()
            .filter(|(seq, _)| is_after(*seq, ack))
            .map(|(_, m)| m.clone())
            .collect();
        Some(replay)
    }
}

/// Serial-number order on u16 (RFC 1982): `seq` is newer than `ack` when it is
/// less than half the space ahead, so 0 comes after 65535.
pub(crate) fn is_after(seq: u16, ack: u16) -> bool {
    let ahead = seq.wrapping_sub(ack);
    ahead != 0 && ahead < 0x8000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(buffer: &ReplayBuffer, ack: i64) -> Vec<u16> {
        buffer
            .after(ack)
            .expect("nothing missed was evicted")
            .iter()
            .map(|m| match m {
                Message::Binary(b) => u16::from_be_bytes([b[0], b[1]]),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    fn filled(start: u16, n: u16, capacity: usize) -> ReplayBuffer {
        let mut buffer = ReplayBuffer::new(capacity);
        for i in 0..n {
            let seq = start.wrapping_add(i);
            buffer.keep(
                seq,
                ServerPush::DaveBinary {
                    op: 25,
                    payload: vec![],
                }
                .encode(seq),
            );
        }
        buffer
    }

    #[test]
    fn serial_order_wraps() {
        assert!(is_after(0, 65535));
        assert!(is_after(2, 65534));
        assert!(!is_after(65535, 0));
        assert!(!is_after(7, 7));
    }

    #[test]
    fn replays_across_the_wrap() {
        let buffer = filled(65533, 6, 1024);
        assert_eq!(seqs(&buffer, -1), [65533, 65534, 65535, 0, 1, 2]);
        assert_eq!(seqs(&buffer, 65535), [0, 1, 2]);
        assert_eq!(seqs(&buffer, 65533), [65534, 65535, 0, 1, 2]);
        assert_eq!(seqs(&buffer, 2), Vec::<u16>::new());
    }

    #[test]
    fn bounded_and_refuses_to_replay_a_gap() {
        let buffer = filled(0, 10, 4);
        assert_eq!(seqs(&buffer, 5), [6, 7, 8, 9]);
        assert_eq!(seqs(&buffer, 7), [8, 9]);
        assert_eq!(seqs(&buffer, 9), Vec::<u16>::new());
        // 0..=5 were evicted: a client that has not received 5 cannot resume.
        assert!(buffer.after(4).is_none());
        assert!(buffer.after(0).is_none());
        assert!(buffer.after(-1).is_none());
        // Nothing evicted yet: -1 gets everything.
        assert_eq!(seqs(&filled(0, 4, 4), -1), [0, 1, 2, 3]);
        // Capacity 0 keeps nothing: only a client that missed nothing resumes.
        let none = filled(0, 3, 0);
        assert!(none.after(1).is_none() && none.after(-1).is_none());
        assert_eq!(none.after(2).map(|m| m.len()), Some(0));
        // Never pushed anything.
        assert_eq!(ReplayBuffer::new(0).after(-1).map(|m| m.len()), Some(0));
    }

    #[test]
    fn gap_detection_across_the_wrap() {
        // 65530..=65535 and 0..=3 pushed, 4 kept: 0..=3; 65535 was the last evicted.
        let buffer = filled(65530, 10, 4);
        assert_eq!(seqs(&buffer, 65535), [0, 1, 2, 3]);
        assert_eq!(seqs(&buffer, 1), [2, 3]);
        assert!(buffer.after(65534).is_none());
        assert!(buffer.after(-1).is_none());
    }
}
