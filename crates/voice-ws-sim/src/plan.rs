//! Scheduled fault injection for one connection.

use std::time::Duration;

use crate::push::ServerPush;

/// The ordered fault steps one connection follows.
///
/// Each step fires at most once, when its [`Trigger`] happens; steps sharing a
/// trigger fire in list order. The default (empty) plan is a healthy gateway.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionPlan {
    /// The steps, in the order they fire when triggers coincide.
    pub steps: Vec<Step>,
}

/// One scheduled action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// When the action happens.
    pub when: Trigger,
    /// What happens.
    pub action: Action,
}

/// When a [`Step`] fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trigger {
    /// Right after the WebSocket handshake, before Hello is sent (so
    /// [`Action::GoSilent`] here suppresses Hello).
    OnOpen,
    /// When an Identify or a Resume was accepted, before Ready (or Resumed and
    /// its replay) is sent. [`Action::Close`], [`Action::Reset`] or
    /// [`Action::GoSilent`] here end or stall the handshake before Ready; a
    /// session whose Ready was never sent cannot be resumed (4006), and a new
    /// Identify with the same credentials starts it afresh.
    BeforeReady,
    /// After Ready (on Identify) or after Resumed and its replay (on Resume)
    /// were sent.
    AfterReady,
    /// After the Nth heartbeat (1-based) received on this connection was
    /// handled, i.e. after its ACK unless ACKs are withheld or delayed.
    AfterHeartbeats(u32),
    /// This long after the WebSocket handshake completed.
    After(Duration),
    /// Right before the first DAVE message with this opcode (21 to 31)
    /// pushed to this connection from outside its plan (the call's DAVE
    /// messages, or [`Sim::push`](crate::Sim::push)) goes out; it goes out after the
    /// action (unless the action ends or silences the connection, in which
    /// case a resume replays it). With [`Action::GoSilent`] the client
    /// loses its session's messages from there on until it resumes: a
    /// resume in the middle of a DAVE transition.
    BeforeDaveOp(u8),
}

/// What a [`Step`] does.
///
/// While silent ([`Action::GoSilent`]) the gateway sends nothing on its own
/// (Hello, Ready, ACKs, replies, pushes), but explicitly scheduled faults
/// (`Close`, `Reset` and the `Send*` actions) still go out.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Stop answering heartbeats; everything else stays normal.
    WithholdAcks,
    /// Answer each later heartbeat this much later, with its own nonce, in the
    /// order the heartbeats came; the delay may exceed the heartbeat interval
    /// (several ACKs then wait at once, up to 1024). `Duration::ZERO` restores
    /// immediate ACKs once those already waiting are sent.
    DelayAcks(Duration),
    /// Send a close frame with this code, wait briefly for the client's reply,
    /// then end the connection.
    Close(u16),
    /// Abort the TCP connection (`SO_LINGER` 0, then drop): the client sees a
    /// reset and no close frame.
    Reset,
    /// Send nothing any more (not even ACKs) but keep the socket open and keep
    /// reading. Replayable pushes made meanwhile are buffered unsent, so a later
    /// resume replays them.
    GoSilent,
    /// If a Resume arrives on this connection, forget that session and close
    /// with this code (typically 4006). Use with [`Trigger::OnOpen`].
    RefuseResume(u16),
    /// Send a server message (replayable ones get the next seq of the session;
    /// before Ready/Resumed went out they wait for it, so nothing numbered
    /// precedes Ready).
    Push(ServerPush),
    /// Send a text frame that is not JSON: `{"op":`.
    SendMalformed,
    /// Send `{"op":18,"d":{"any":1}}` and a binary frame with op 99 (the binary
    /// one takes the next seq, like any server binary message).
    SendUnknownOp,
    /// Send a text frame of exactly this many bytes that is valid JSON with an
    /// unknown op and no seq (`{"op":18,"d":{"pad":"xxxx…"}}`, not replayed),
    /// or as much of it as fits when shorter than 24 bytes. See
    /// [`Action::PushOversized`] for a numbered one.
    SendOversized(usize),
    /// Push a numbered text frame of exactly this many bytes,
    /// `{"op":18,"d":{"pad":"xxxx…"},"seq":N}`: the same as
    /// `Push(ServerPush::oversized(len))`. It is kept for replay, so every
    /// resume that has not acknowledged it sends it again.
    PushOversized(usize),
    /// Send a 2-byte binary frame (a seq and no op).
    SendShortBinary,
    /// Spoil the next binary DAVE message sent on this connection (the
    /// last byte of its MLS payload flipped): with
    /// [`Trigger::BeforeDaveOp`]`(29)` a commit the client cannot process,
    /// which it reports with op 31. The replay buffer keeps the intact
    /// message.
    CorruptDave,
}

impl Step {
    /// A step doing `action` when `when` happens.
    pub fn new(when: Trigger, action: Action) -> Self {
        Self { when, action }
    }
}

impl ConnectionPlan {
    /// An empty plan: a healthy gateway.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a step.
    pub fn then(mut self, when: Trigger, action: Action) -> Self {
        self.steps.push(Step::new(when, action));
        self
    }

    /// Close with `code` after the Nth heartbeat (ACKed) was received.
    pub fn close_after_heartbeats(n: u32, code: u16) -> Self {
        Self::new().then(Trigger::AfterHeartbeats(n), Action::Close(code))
    }

    /// Close with `code` right after Ready (or Resumed).
    pub fn close_after_ready(code: u16) -> Self {
        Self::new().then(Trigger::AfterReady, Action::Close(code))
    }

    /// Stop ACKing after the Nth heartbeat (that one is still ACKed).
    pub fn withhold_acks_after_heartbeats(n: u32) -> Self {
        Self::new().then(Trigger::AfterHeartbeats(n), Action::WithholdAcks)
    }

    /// Reset the TCP connection after the Nth heartbeat.
    pub fn reset_after_heartbeats(n: u32) -> Self {
        Self::new().then(Trigger::AfterHeartbeats(n), Action::Reset)
    }

    /// Close with `code` once Identify or Resume arrived, before Ready (or
    /// Resumed) is sent.
    pub fn close_before_ready(code: u16) -> Self {
        Self::new().then(Trigger::BeforeReady, Action::Close(code))
    }

    /// Keep the socket open but never send Ready (or Resumed), nor anything
    /// else: a handshake that times out on the client's side.
    pub fn withhold_ready() -> Self {
        Self::new().then(Trigger::BeforeReady, Action::GoSilent)
    }

    /// Go silent right after Ready (or Resumed).
    pub fn silent_after_ready() -> Self {
        Self::new().then(Trigger::AfterReady, Action::GoSilent)
    }

    /// Refuse a Resume on this connection with `code`.
    pub fn refuse_resume(code: u16) -> Self {
        Self::new().then(Trigger::OnOpen, Action::RefuseResume(code))
    }
}
