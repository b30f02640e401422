//! The fuzzer's voice server: renders server messages as literal JSON and
//! binary, and behaves like Discord where exactly-once delivery depends on
//! it (docs/protocol.md, sections 4 and 6):
//!
//! - every numbered message it sends with a *fresh* seq (after the last
//!   fresh one of its session, in u16 serial order) goes into a bounded
//!   replay buffer, whether a socket is up to carry it or not;
//! - after a Resume it replays everything after the Resume's `seq_ack`,
//!   in order, before any other numbered message; when the buffer no
//!   longer holds what follows `seq_ack` it closes 4006 instead of
//!   replaying a partial gap;
//! - an Identify starts a new server session (a new buffer).
//!
//! Every frame it hands out is classified ([`Class`]), so the harnesses
//! can hold the core to exactly-once delivery: a fresh message must be
//! received once, in order; a stale one (a repeat: `SeqChoice::Replay`,
//! `Back`, an `Exact` seq that is not new, or an arbitrary frame with such
//! a seq) must be dropped.

use std::collections::VecDeque;

use bytes::Bytes;
use voice_ws_proto::codec::decode;
use voice_ws_proto::{Frame, Incoming};

use crate::ops::{SeqChoice, ServerBinary, ServerText};
use crate::wire::{scrub, scrub_bytes};

/// Messages the replay buffer holds, like Discord's bounded buffer.
const LOG_CAP: usize = 64;

/// Entries more than this far (in seq) behind the newest are evicted too,
/// so every buffered seq is within half the u16 space of the newest and a
/// repeat of any of them is unambiguously old in serial order.
const LOG_SPAN: u16 = 0x4000;

/// Heartbeat nonces remembered for ACKs of earlier beats (`a` 0..16).
const NONCE_HISTORY: usize = 16;

/// Whether `seq` follows `last` in u16 serial order (RFC 1982): less than
/// half the number space ahead (docs/protocol.md, "seq_ack").
pub(crate) fn is_after(seq: u16, last: u16) -> bool {
    let ahead = seq.wrapping_sub(last);
    ahead != 0 && ahead < 0x8000
}

/// One message as it goes on the wire.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Wire {
    /// A text frame.
    Text(String),
    /// A binary frame.
    Binary(Vec<u8>),
}

impl Wire {
    /// The frame to hand to the core.
    pub(crate) fn frame(&self) -> Frame<'_> {
        match self {
            Wire::Text(text) => Frame::Text(text),
            Wire::Binary(bytes) => Frame::Binary(Bytes::from(bytes.clone())),
        }
    }

    /// Its size in bytes.
    pub(crate) fn len(&self) -> usize {
        match self {
            Wire::Text(text) => text.len(),
            Wire::Binary(bytes) => bytes.len(),
        }
    }

    /// What the core's decoder makes of it (`None`: undecodable).
    pub(crate) fn decode(&self) -> Option<Incoming> {
        decode(self.frame()).ok()
    }
}

/// What a frame is to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    /// A numbered message with a new seq: the client must receive it
    /// exactly once. The number is its place in the server's send order
    /// (consecutive within a server session).
    Fresh(u64),
    /// A numbered message whose seq is not new: a repeat the client must
    /// drop.
    Stale,
    /// No seq (or not a message at all): no replay brings it back.
    Unnumbered,
    /// No server session is tracked (loose driver, or the session ended
    /// without a new Identify on a bare transport).
    Untracked,
}

/// A frame to feed, with its class.
#[derive(Clone, Debug)]
pub(crate) struct Out {
    pub(crate) wire: Wire,
    pub(crate) class: Class,
}

#[derive(Debug)]
struct Entry {
    seq: u16,
    index: u64,
    wire: Wire,
}

/// One server session's replay buffer and delivery record.
#[derive(Debug)]
struct Log {
    entries: VecDeque<Entry>,
    /// The seq of the newest fresh message.
    last_fresh: Option<u16>,
    /// The seq of the newest evicted entry, and whether any was evicted.
    evicted: Option<u16>,
    /// The send-order number of this session's first message.
    first_index: u64,
    /// The send-order number of the last fresh message the client received.
    client_has: Option<u64>,
    /// Where the next deliberate repeat comes from.
    cursor: usize,
}

/// What the server side of the harness remembers between messages.
#[derive(Debug)]
pub(crate) struct Server {
    /// Track sessions at all (off for a loose driver).
    tracking: bool,
    /// The current server session.
    log: Option<Log>,
    /// The seq of the last fresh message of any session: `Next` continues
    /// from it in a new session.
    counter: u16,
    /// Send-order numbers, never reused.
    next_index: u64,
    /// Replay owed on the current socket, sent before the next numbered
    /// message or right after Resumed.
    replay: VecDeque<Out>,
    /// A socket is up between the client and us (greeted, not lost).
    live: bool,
    /// The nonces of the last heartbeats the client transmitted, newest
    /// last.
    nonces: VecDeque<u64>,
}

impl Server {
    /// A server; `tracking` off classifies every frame [`Class::Untracked`].
    pub(crate) fn new(tracking: bool) -> Self {
        Self {
            tracking,
            log: None,
            counter: 0,
            next_index: 0,
            replay: VecDeque::new(),
            live: false,
            nonces: VecDeque::new(),
        }
    }

    /// The client's socket is gone: nothing reaches it until the next
    /// greeting, and any replay owed on it is void.
    pub(crate) fn socket_lost(&mut self) {
        self.live = false;
        self.replay.clear();
    }

    /// The client sent Identify: a new server session.
    pub(crate) fn identified(&mut self) {
        self.live = true;
        self.replay.clear();
        if self.tracking {
            self.log = Some(Log {
                entries: VecDeque::new(),
                last_fresh: None,
                evicted: None,
                first_index: self.next_index,
                client_has: None,
                cursor: 0,
            });
        }
    }

    /// The client sent Resume with `seq_ack` (-1: none). Returns false when
    /// the buffer no longer holds everything after it: the server closes
    /// 4006 then, and its session is gone.
    pub(crate) fn resumed(&mut self, seq_ack: i64) -> bool {
        self.live = true;
        self.replay.clear();
        let Some(log) = &mut self.log else {
            return true;
        };
        let start = if seq_ack < 0 {
            log.evicted.is_none().then_some(0)
        } else {
            let seq = u16::try_from(seq_ack).ok();
            match log.entries.iter().position(|e| Some(e.seq) == seq) {
                Some(at) => Some(at + 1),
                None if seq.is_some() && log.evicted == seq => Some(0),
                None => None,
            }
        };
        let Some(start) = start else {
            self.log = None;
            return false;
        };
        self.replay = log
            .entries
            .iter()
            .skip(start)
            .map(|e| Out {
                wire: e.wire.clone(),
                class: Class::Fresh(e.index),
            })
            .collect();
        true
    }

    /// The client transmitted a heartbeat with `nonce`.
    pub(crate) fn heard_heartbeat(&mut self, nonce: u64) {
        if self.nonces.len() == NONCE_HISTORY {
            self.nonces.pop_front();
        }
        self.nonces.push_back(nonce);
    }

    /// The client received the fresh message `index`: it must be the one
    /// after the last it received in this session. Panics otherwise.
    pub(crate) fn received(&mut self, index: u64) {
        let Some(log) = &mut self.log else { return };
        let expected = log.client_has.map_or(log.first_index, |has| has + 1);
        assert_eq!(
            index, expected,
            "fresh message #{index} received where #{expected} was due: \
             a message was lost or reordered"
        );
        log.client_has = Some(index);
    }

    /// Whether the client has received every fresh message of the current
    /// server session (or none is tracked).
    pub(crate) fn caught_up(&self) -> bool {
        let Some(log) = &self.log else { return true };
        log.entries
            .back()
            .is_none_or(|last| log.client_has == Some(last.index))
    }

    /// The largest fresh message the client has not received yet.
    pub(crate) fn largest_owed(&self) -> usize {
        let Some(log) = &self.log else { return 0 };
        log.entries
            .iter()
            .filter(|e| log.client_has.is_none_or(|has| e.index > has))
            .map(|e| e.wire.len())
            .max()
            .unwrap_or(0)
    }

    /// A text message. Returns the frames that reach the client, in order
    /// (none while no socket is up; a fresh message is buffered anyway).
    pub(crate) fn text(&mut self, text: &ServerText, now_ms: u64) -> Vec<Out> {
        let seq = match text {
            ServerText::Ready(seq)
            | ServerText::Resumed(seq)
            | ServerText::SessionDescription(seq)
            | ServerText::Speaking { seq, .. }
            | ServerText::Other { seq, .. } => Some(*seq),
            _ => None,
        };
        if matches!(seq, Some(SeqChoice::Replay))
            && let Some(wire) = self.repeat()
        {
            return self.send(wire, false);
        }
        let wire = Wire::Text(self.render_text(text, now_ms));
        // Discord sends Resumed, then the replay.
        let replay_after = matches!(text, ServerText::Resumed(SeqChoice::None));
        self.send(wire, replay_after)
    }

    /// A binary message, as [`Server::text`].
    pub(crate) fn binary(&mut self, binary: &ServerBinary) -> Vec<Out> {
        if matches!(
            binary,
            ServerBinary::Dave {
                seq: SeqChoice::Replay,
                ..
            }
        ) && let Some(wire) = self.repeat()
        {
            return self.send(wire, false);
        }
        let wire = Wire::Binary(self.render_binary(binary));
        self.send(wire, false)
    }

    /// Classifies `wire`, buffers it if fresh, and returns what reaches the
    /// client: any replay owed first (before a numbered message; after an
    /// unnumbered Resumed when `replay_after`).
    fn send(&mut self, wire: Wire, replay_after: bool) -> Vec<Out> {
        let numbered = wire.decode().and_then(|m| m.seq);
        let class = match numbered {
            Some(seq) => self.classify(seq, &wire),
            None if self.log.is_some() => Class::Unnumbered,
            None => Class::Untracked,
        };
        if !self.live && self.tracking {
            // Nothing reaches a client without a socket. (Untracked, every
            // frame goes to the core, which must ignore what it cannot take.)
            return Vec::new();
        }
        let out = Out { wire, class };
        let mut frames = Vec::new();
        if replay_after {
            frames.push(out);
            frames.extend(self.replay.drain(..));
        } else {
            if numbered.is_some() {
                frames.extend(self.replay.drain(..));
            }
            frames.push(out);
        }
        frames
    }

    fn classify(&mut self, seq: u16, wire: &Wire) -> Class {
        let Some(log) = &mut self.log else {
            return Class::Untracked;
        };
        if log.last_fresh.is_some_and(|last| !is_after(seq, last)) {
            return Class::Stale;
        }
        let index = self.next_index;
        self.next_index += 1;
        self.counter = seq;
        log.last_fresh = Some(seq);
        log.entries.push_back(Entry {
            seq,
            index,
            wire: wire.clone(),
        });
        while let Some(oldest) = log.entries.front() {
            if log.entries.len() <= LOG_CAP && seq.wrapping_sub(oldest.seq) < LOG_SPAN {
                break;
            }
            log.evicted = Some(oldest.seq);
            log.entries.pop_front();
        }
        Class::Fresh(index)
    }

    /// A deliberate repeat: an earlier message of this session, exactly as
    /// it was sent (the client has it whenever a socket is up: the replay
    /// always goes first).
    fn repeat(&mut self) -> Option<Wire> {
        let log = self.log.as_mut()?;
        if log.entries.is_empty() {
            return None;
        }
        let entry = &log.entries[log.cursor % log.entries.len()];
        log.cursor = log.cursor.wrapping_add(1);
        Some(entry.wire.clone())
    }

    /// The seq a message carries.
    fn seq(&self, choice: SeqChoice) -> Option<u16> {
        let base = self
            .log
            .as_ref()
            .and_then(|log| log.last_fresh)
            .unwrap_or(self.counter);
        Some(match choice {
            SeqChoice::None => return None,
            // Replay with nothing to repeat yet: the last seq again.
            SeqChoice::Next => base.wrapping_add(1),
            SeqChoice::Replay => base,
            SeqChoice::Back(n) => base.wrapping_sub(u16::from(n)),
            SeqChoice::Exact(seq) => seq,
        })
    }

    /// `,"seq":N` (Discord puts it after `"d"`), or nothing.
    fn seq_field(&self, choice: SeqChoice) -> String {
        match self.seq(choice) {
            Some(seq) => format!(r#","seq":{seq}"#),
            None => String::new(),
        }
    }

    /// The nonce an `a` ACK echoes: `back` < 16 picks one of the last
    /// heartbeats heard (0: the latest), anything else guesses from the
    /// clock, `now_ms - (back - 16)`.
    fn guessed_nonce(&self, back: u8, now_ms: u64) -> u64 {
        let back = usize::from(back);
        if back < NONCE_HISTORY {
            let len = self.nonces.len();
            return len.checked_sub(back + 1).map_or(0, |at| self.nonces[at]);
        }
        now_ms.saturating_sub((back - NONCE_HISTORY) as u64)
    }

    /// A text frame as a server would send it. `now_ms` is the harness clock.
    fn render_text(&self, text: &ServerText, now_ms: u64) -> String {
        match text {
            ServerText::Hello { style, interval_ms } => match style % 4 {
                0 => format!(r#"{{"op":8,"d":{{"heartbeat_interval":{interval_ms},"v":8}}}}"#),
                1 => format!(r#"{{"op":8,"d":{{"v":8,"heartbeat_interval":{interval_ms}.0}}}}"#),
                2 => format!(r#"{{"op":8,"d":{{"heartbeat_interval":{interval_ms}.5}}}}"#),
                _ => format!(r#"{{"d":{{"heartbeat_interval":{interval_ms}}},"op":8}}"#),
            },
            ServerText::Ready(seq) => {
                // The SSRC tells Ready events apart.
                let ssrc = self.next_index;
                let seq = self.seq_field(*seq);
                format!(
                    r#"{{"op":2,"d":{{"ssrc":{ssrc},"ip":"127.0.0.1","port":1234,"modes":["aead_aes256_gcm_rtpsize","aead_xchacha20_poly1305_rtpsize"],"heartbeat_interval":1}}{seq}}}"#
                )
            }
            ServerText::Resumed(seq) => {
                let seq = self.seq_field(*seq);
                format!(r#"{{"op":9,"d":null{seq}}}"#)
            }
            ServerText::SessionDescription(seq) => {
                let seq = self.seq_field(*seq);
                let id = self.next_index % 256;
                format!(
                    r#"{{"op":4,"d":{{"mode":"aead_aes256_gcm_rtpsize","secret_key":[{id},2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32],"dave_protocol_version":0}}{seq}}}"#
                )
            }
            ServerText::AckLast => {
                let nonce = self.nonces.back().copied().unwrap_or(0);
                format!(r#"{{"op":6,"d":{{"t":{nonce}}}}}"#)
            }
            ServerText::AckGuess(back) => {
                let nonce = self.guessed_nonce(*back, now_ms);
                format!(r#"{{"op":6,"d":{{"t":{nonce}}}}}"#)
            }
            ServerText::Speaking { seq, speaking } => {
                let seq = self.seq_field(*seq);
                let user = self.next_index;
                format!(
                    r#"{{"op":5,"d":{{"user_id":"{user}","ssrc":77,"speaking":{speaking}}}{seq}}}"#
                )
            }
            ServerText::Other { kind, seq, value } => {
                let seq = self.seq_field(*seq);
                let (op, d) = match kind % 8 {
                    0 => (11, format!(r#"{{"user_ids":["{value}","2"]}}"#)),
                    1 => (13, format!(r#"{{"user_id":"{value}"}}"#)),
                    2 => (
                        21,
                        format!(r#"{{"transition_id":{value},"protocol_version":1}}"#),
                    ),
                    3 => (22, format!(r#"{{"transition_id":{value}}}"#)),
                    4 => (
                        24,
                        format!(
                            r#"{{"transition_id":{value},"epoch":{value},"protocol_version":1}}"#
                        ),
                    ),
                    5 => (18, format!(r#"{{"any":{value}}}"#)),
                    6 => (15, format!(r#"{{"any":{value},"business":"x"}}"#)),
                    _ => (*kind, format!("{value}")),
                };
                format!(r#"{{"op":{op},"d":{d}{seq}}}"#)
            }
            ServerText::Arbitrary(s) => scrub(s.clone()),
        }
    }

    /// A binary frame as a server would send it.
    fn render_binary(&self, binary: &ServerBinary) -> Vec<u8> {
        match binary {
            ServerBinary::Dave { seq, op, payload } => {
                let seq = self.seq(*seq).unwrap_or(0);
                // Mostly DAVE opcodes; the rest of the byte range too.
                let op = match op % 8 {
                    0 | 4 => 25,
                    1 | 5 => 27,
                    2 => 29,
                    3 => 30,
                    _ => *op,
                };
                let mut frame = Vec::with_capacity(3 + payload.len());
                frame.extend_from_slice(&seq.to_be_bytes());
                frame.push(op);
                frame.extend_from_slice(&scrub_bytes(payload.clone()));
                frame
            }
            ServerBinary::Raw(bytes) => scrub_bytes(bytes.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn speaking(seq: SeqChoice) -> ServerText {
        ServerText::Speaking { seq, speaking: 1 }
    }

    fn classes(outs: &[Out]) -> Vec<Class> {
        outs.iter().map(|o| o.class).collect()
    }

    #[test]
    fn serial_order_is_half_the_space() {
        assert!(is_after(1, 0));
        assert!(is_after(0, 65535));
        assert!(is_after(0x7FFF, 0));
        assert!(!is_after(0x8000, 0));
        assert!(!is_after(5, 5));
    }

    #[test]
    fn replays_after_seq_ack_before_the_next_message() {
        let mut s = Server::new(true);
        s.identified();
        let first = s.text(&speaking(SeqChoice::Exact(65534)), 0);
        assert_eq!(classes(&first), [Class::Fresh(0)]);
        s.socket_lost();
        // Sent while no socket is up: buffered, not delivered.
        assert!(s.text(&speaking(SeqChoice::Next), 0).is_empty());
        assert!(s.text(&speaking(SeqChoice::Next), 0).is_empty());
        assert!(s.resumed(65534));
        let out = s.text(&ServerText::Resumed(SeqChoice::None), 0);
        assert_eq!(
            classes(&out),
            [Class::Unnumbered, Class::Fresh(1), Class::Fresh(2)]
        );
        assert_eq!(out[2].wire.decode().and_then(|m| m.seq), Some(0));
        // Repeats are stale; a new seq is fresh.
        assert_eq!(
            classes(&s.text(&speaking(SeqChoice::Replay), 0)),
            [Class::Stale]
        );
        assert_eq!(
            classes(&s.text(&speaking(SeqChoice::Back(1)), 0)),
            [Class::Stale]
        );
        assert_eq!(
            classes(&s.text(&speaking(SeqChoice::Next), 0)),
            [Class::Fresh(3)]
        );
    }

    #[test]
    fn a_resume_past_the_buffer_is_refused() {
        let mut s = Server::new(true);
        s.identified();
        s.socket_lost();
        for _ in 0..=LOG_CAP {
            s.text(&speaking(SeqChoice::Next), 0);
        }
        assert!(!s.resumed(-1), "the first message was evicted");
        assert_eq!(
            classes(&s.text(&speaking(SeqChoice::Next), 0)),
            [Class::Untracked]
        );
    }

    #[test]
    fn a_numbered_message_flushes_the_replay_first() {
        let mut s = Server::new(true);
        s.identified();
        s.text(&speaking(SeqChoice::Exact(10)), 0);
        s.text(&speaking(SeqChoice::Next), 0);
        s.socket_lost();
        assert!(s.resumed(10));
        let out = s.text(&speaking(SeqChoice::Next), 0);
        assert_eq!(classes(&out), [Class::Fresh(1), Class::Fresh(2)]);
        // Unnumbered messages do not wait for anything.
        assert!(s.resumed(10));
        let out = s.text(&ServerText::AckLast, 0);
        assert_eq!(classes(&out), [Class::Unnumbered]);
    }
}
