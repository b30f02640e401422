//! What the rules say the core does with each frame and heartbeat ACK,
//! written from docs/protocol.md (sections 4 and 5), for the harnesses to
//! hold the core to.
//!
//! [`Receiver`] predicts every inbound frame's fate (ignored, oversized,
//! invalid, duplicate, refused, accepted), keeps `seq_ack` as "the last
//! numbered message accepted into the bounded event queue", and remembers
//! what was accepted so that each event the owner takes can be matched,
//! in order, against the message it came from. [`Beats`] keeps one
//! socket's unanswered heartbeats.

use std::collections::VecDeque;

use voice_ws_proto::{CloseCode, Incoming, ServerMessage, Stats, Transmit};

use crate::server::{Class, Server, Wire, is_after};

/// What happens to one inbound frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// No socket: the frame is ignored.
    NoSocket,
    /// Over `max_message_size`: reported, socket dropped with 1009.
    Oversized,
    /// Undecodable: reported as `InvalidFrame`.
    Invalid,
    /// Numbered, not after the last received: skipped.
    Duplicate,
    /// Numbered and new, but the queue is full: not received, socket
    /// dropped with 4000.
    Refused,
    /// Queued (numbered: received, `seq_ack` moves to it).
    Accepted,
}

/// A frame's predicted fate.
#[derive(Clone, Debug)]
pub(crate) struct Prediction {
    pub(crate) outcome: Outcome,
    /// The decoded message, when it decodes.
    pub(crate) incoming: Option<Incoming>,
    /// The client drops the socket with this code.
    pub(crate) drop: Option<CloseCode>,
    /// The socket was open (not closing): a drop writes a close frame.
    pub(crate) open: bool,
}

impl Prediction {
    /// The message's seq, when it has one.
    pub(crate) fn seq(&self) -> Option<u16> {
        self.incoming.as_ref().and_then(|m| m.seq)
    }

    /// An accepted message of this kind.
    pub(crate) fn accepted(&self, kind: fn(&ServerMessage) -> bool) -> bool {
        self.outcome == Outcome::Accepted
            && self.incoming.as_ref().is_some_and(|m| kind(&m.message))
    }
}

/// The client's receiving side as the rules define it.
#[derive(Debug)]
pub(crate) struct Receiver {
    /// `seq_ack`: the last numbered message received.
    pub(crate) ack: Option<u16>,
    /// Messages queued for the owner and not taken yet, oldest first.
    pending: VecDeque<Incoming>,
    /// How many of them are numbered.
    numbered: usize,
    /// `max_pending_events`.
    bound: usize,
}

impl Receiver {
    pub(crate) fn new(max_pending_events: usize) -> Self {
        Self {
            ack: None,
            pending: VecDeque::new(),
            numbered: 0,
            bound: max_pending_events.max(1),
        }
    }

    /// The event queue's bound.
    pub(crate) fn bound(&self) -> usize {
        self.bound
    }

    /// A new session: nothing received.
    pub(crate) fn reset(&mut self) {
        self.ack = None;
    }

    /// What the core must do with `wire`. `room`: the event queue is
    /// below its bound.
    pub(crate) fn predict(
        &self,
        wire: &Wire,
        has_socket: bool,
        open: bool,
        max_message_size: usize,
        room: bool,
    ) -> Prediction {
        let mut p = Prediction {
            outcome: Outcome::NoSocket,
            incoming: None,
            drop: None,
            open,
        };
        if !has_socket {
            return p;
        }
        if wire.len() > max_message_size {
            p.outcome = Outcome::Oversized;
            p.drop = Some(CloseCode::MESSAGE_TOO_BIG);
            return p;
        }
        p.incoming = wire.decode();
        let Some(incoming) = &p.incoming else {
            p.outcome = Outcome::Invalid;
            if !room {
                p.drop = Some(CloseCode::RESUMABLE);
            }
            return p;
        };
        let ack = matches!(incoming.message, ServerMessage::HeartbeatAck(_));
        p.outcome = match incoming.seq {
            Some(seq) if self.ack.is_some_and(|last| !is_after(seq, last)) => Outcome::Duplicate,
            Some(_) if !room => Outcome::Refused,
            _ => Outcome::Accepted,
        };
        let drops = match p.outcome {
            Outcome::Refused => true,
            // Unnumbered messages go in past the bound, once, and the socket
            // is dropped; an unnumbered ACK queues no message at all.
            Outcome::Accepted => incoming.seq.is_none() && !ack && !room,
            _ => false,
        };
        if drops {
            p.drop = Some(CloseCode::RESUMABLE);
        }
        p
    }

    /// Records a prediction as having happened.
    pub(crate) fn apply(&mut self, p: &Prediction) {
        if p.outcome != Outcome::Accepted {
            return;
        }
        let Some(incoming) = &p.incoming else { return };
        if let Some(seq) = incoming.seq {
            self.ack = Some(seq);
        }
        if matches!(incoming.message, ServerMessage::HeartbeatAck(_)) {
            // A numbered ACK is received (its seq counts) but queues nothing.
            return;
        }
        self.numbered += usize::from(incoming.seq.is_some());
        assert!(
            self.numbered <= self.bound,
            "{} numbered messages queued (max_pending_events {})",
            self.numbered,
            self.bound
        );
        self.pending.push_back(incoming.clone());
    }

    /// Checks the counters against a prediction.
    pub(crate) fn verify(&self, p: &Prediction, before: &Stats, after: &Stats) {
        let dups = after.duplicates_skipped - before.duplicates_skipped;
        let refused = after.messages_refused - before.messages_refused;
        let invalid = after.invalid_frames - before.invalid_frames;
        let expected = match p.outcome {
            Outcome::Duplicate => (1, 0, 0),
            Outcome::Refused => (0, 1, 0),
            Outcome::Oversized | Outcome::Invalid => (0, 0, 1),
            Outcome::NoSocket | Outcome::Accepted => (0, 0, 0),
        };
        assert_eq!(
            (dups, refused, invalid),
            expected,
            "frame {:?} (seq_ack {:?}): expected {:?}; (duplicates, refused, invalid) moved by {:?}",
            p.incoming,
            self.ack,
            p.outcome,
            (dups, refused, invalid)
        );
        if p.outcome == Outcome::NoSocket {
            assert_eq!(
                after.frames_in, before.frames_in,
                "a frame counted without a socket"
            );
        }
    }

    /// The owner took a message-derived event: the oldest message queued.
    pub(crate) fn take(&mut self) -> Option<Incoming> {
        let incoming = self.pending.pop_front()?;
        self.numbered -= usize::from(incoming.seq.is_some());
        Some(incoming)
    }

    /// Messages queued and not taken.
    pub(crate) fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// Checks that the transmits of a frame's input carry the drop `p`
/// predicts: the close frame with its code (when the socket was open, not
/// already closing), then the abort.
pub(crate) fn check_drop(p: &Prediction, transmits: &[Transmit]) {
    let Some(code) = p.drop else { return };
    let abort = transmits.iter().position(|t| *t == Transmit::Abort);
    let Some(abort) = abort else {
        panic!("the socket was dropped without an Abort: {transmits:?}");
    };
    if p.open {
        assert!(
            abort > 0 && transmits[abort - 1] == Transmit::Close(code),
            "the drop did not write close {} before the Abort: {transmits:?}",
            code.0
        );
    }
}

/// How the core must treat an ACK.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AckRule {
    /// It echoes one of the last `tolerance` unanswered beats of this
    /// socket: it proves life.
    Counts,
    /// Never sent on this socket, or already answered (or made moot by an
    /// answer to a later beat): it proves nothing.
    Ignored,
    /// An older unanswered beat the core may have stopped remembering.
    Either,
}

/// One socket's heartbeats, for the liveness rules (docs/protocol.md,
/// "Heartbeat and liveness").
#[derive(Debug)]
pub(crate) struct Beats {
    tolerance: usize,
    /// Nonces sent on this socket after the last answered one, oldest first.
    unanswered: Vec<u64>,
    /// Beats sent since the last proof of life.
    since_life: usize,
}

impl Beats {
    pub(crate) fn new(tolerance: u32) -> Self {
        Self {
            tolerance: tolerance.max(1) as usize,
            unanswered: Vec::new(),
            since_life: 0,
        }
    }

    /// A new socket: nothing sent on it.
    pub(crate) fn opened(&mut self) {
        self.unanswered.clear();
        self.since_life = 0;
    }

    /// A heartbeat went out. `scheduled`: from the interval, not
    /// `heartbeat_now`; such a beat means the socket was not a zombie.
    pub(crate) fn sent(&mut self, nonce: u64, scheduled: bool) {
        if scheduled {
            assert!(
                self.since_life < self.tolerance,
                "a heartbeat went out where {} unanswered beats make a zombie (tolerance {})",
                self.since_life,
                self.tolerance
            );
        }
        self.unanswered.push(nonce);
        self.since_life += 1;
    }

    /// What an ACK with `nonce` must do.
    pub(crate) fn rule(&self, nonce: u64) -> AckRule {
        match self.unanswered.iter().position(|n| *n == nonce) {
            Some(at) if at + self.tolerance >= self.unanswered.len() => AckRule::Counts,
            Some(_) => AckRule::Either,
            None => AckRule::Ignored,
        }
    }

    /// The ACK of `nonce` counted: the socket is alive, and the beats up to
    /// it will not be answered any more.
    pub(crate) fn answered(&mut self, nonce: u64) {
        if let Some(at) = self.unanswered.iter().position(|n| *n == nonce) {
            self.unanswered.drain(..=at);
        }
        self.since_life = 0;
    }

    /// Any frame proved life (`any_frame_is_alive`).
    pub(crate) fn proof_of_life(&mut self) {
        self.since_life = 0;
    }

    /// The socket was declared a zombie: only after `tolerance` beats in a
    /// row went unanswered.
    pub(crate) fn zombie(&self) {
        assert!(
            self.since_life >= self.tolerance,
            "zombie after {} unanswered beats (tolerance {})",
            self.since_life,
            self.tolerance
        );
    }
}

/// The nonce an ACK frame echoes.
fn ack_nonce(p: &Prediction) -> Option<u64> {
    match &p.incoming.as_ref()?.message {
        ServerMessage::HeartbeatAck(ack) => Some(ack.nonce),
        _ => None,
    }
}

/// How many events sit in the queue of a `Session` or `Transport`, read
/// from its `Debug` (the last `events: N` field is the owner-facing
/// queue).
pub(crate) fn queued_events(debug: &str) -> usize {
    let at = debug
        .rfind("events: ")
        .unwrap_or_else(|| panic!("no events field in {debug}"));
    let rest = &debug[at + "events: ".len()..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end]
        .parse()
        .unwrap_or_else(|e| panic!("events field in {debug}: {e}"))
}

/// Holds a frame's fate to what the server needs for exactly-once
/// delivery: a fresh message is received in order or not at all (then the
/// socket is gone and the replay brings it back); a repeat never.
pub(crate) fn check_delivery(server: &mut Server, class: Class, p: &Prediction) {
    match (class, p.outcome) {
        (Class::Fresh(index), Outcome::Accepted) => server.received(index),
        (Class::Fresh(index), Outcome::Duplicate) => panic!(
            "fresh message #{index} (seq {:?}) dropped as a duplicate: lost",
            p.seq()
        ),
        (Class::Stale, Outcome::Accepted) => panic!(
            "a repeat of seq {:?} was received again: delivered twice",
            p.seq()
        ),
        _ => {}
    }
}

/// Holds an accepted ACK to the liveness rules, given the counters around
/// it, and records its answer.
pub(crate) fn check_ack(beats: &mut Beats, p: &Prediction, before: &Stats, after: &Stats) {
    let (Outcome::Accepted, Some(nonce)) = (p.outcome, ack_nonce(p)) else {
        return;
    };
    let counted = after.heartbeats_acked - before.heartbeats_acked;
    match beats.rule(nonce) {
        AckRule::Counts => assert_eq!(counted, 1, "an ACK of an unanswered beat did not count"),
        AckRule::Ignored => assert_eq!(
            counted, 0,
            "an ACK of nonce {nonce} counted: never sent on this socket, or answered"
        ),
        AckRule::Either => {}
    }
    if counted == 1 {
        beats.answered(nonce);
    }
}
