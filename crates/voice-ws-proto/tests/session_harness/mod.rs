//! A scripted voice server driving one [`Session`] on a virtual clock.
//!
//! The test plays both the driver (it obeys `poll_connect`, reports the
//! socket opening and closing) and the server (it hands in literal frames).
//! Time only moves when the test moves it: `advance_to` wakes at every
//! deadline `poll_timeout` reports, exactly as a well-behaved driver sleeps.
//! What the client sends is read back with `serde_json` (a reference parser),
//! never compared against this crate's own encoder.

#![allow(dead_code)]

use bytes::Bytes;
use core::time::Duration;
use serde_json::Value;
use voice_ws_proto::{
    CloseCode, Credentials, Endpoint, Event, Frame, Instant, Phase, Session, SessionConfig,
    Transmit,
};

/// What Discord sends as a voice endpoint: a bare host, no scheme.
pub(crate) const ENDPOINT: &str = "c-ams07-a1b2.discord.media";
/// The URL docs/protocol.md says to dial for it.
pub(crate) const URL: &str = "wss://c-ams07-a1b2.discord.media/?v=8";

/// Server Hello, 13750 ms interval.
pub(crate) const HELLO: &str = r#"{"op":8,"d":{"v":8,"heartbeat_interval":13750}}"#;
/// Server Ready (its own `heartbeat_interval` is the erroneous one to ignore).
pub(crate) const READY: &str = r#"{"op":2,"d":{"ssrc":4242,"ip":"127.0.0.1","port":50000,"modes":["aead_aes256_gcm_rtpsize","aead_xchacha20_poly1305_rtpsize"],"heartbeat_interval":1}}"#;
/// Server Resumed.
pub(crate) const RESUMED: &str = r#"{"op":9,"d":null}"#;

/// Milliseconds as a [`Duration`].
pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Milliseconds as an [`Instant`] on the virtual clock.
pub(crate) fn at(n: u64) -> Instant {
    Instant::from_millis(n)
}

/// The credentials most tests run with (token `my_token`).
pub(crate) fn credentials() -> Credentials {
    credentials_with("my_session_id", "my_token")
}

/// Credentials for the same guild and user with another session and token.
pub(crate) fn credentials_with(session_id: &str, token: &str) -> Credentials {
    Credentials {
        server_id: "41771983423143937".into(),
        channel_id: "127121515262115840".into(),
        user_id: "104694319306248192".into(),
        session_id: session_id.into(),
        token: token.into(),
        endpoint: Endpoint::parse(ENDPOINT, false).unwrap_or_else(|e| panic!("endpoint: {e}")),
        max_dave_protocol_version: 1,
    }
}

/// A config with short, distinct timeouts so each one can be told apart:
/// connect 4 s, Hello 5 s, handshake 15 s; every heartbeat at its exact
/// time (no coalescing), as the tests spell the schedule out.
pub(crate) fn config() -> SessionConfig {
    let mut c = SessionConfig::default();
    c.transport.heartbeat_coalesce = ms(0);
    c.connect_timeout = ms(4_000);
    c.hello_timeout = ms(5_000);
    c.handshake_timeout = ms(15_000);
    c
}

/// The Resume the client must send for [`credentials`] with this seq_ack.
pub(crate) fn resume_text(seq_ack: i32) -> String {
    format!(
        r#"{{"op":7,"d":{{"server_id":"41771983423143937","session_id":"my_session_id","token":"my_token","seq_ack":{seq_ack}}}}}"#
    )
}

/// The Identify the client must send for [`credentials`].
pub(crate) const IDENTIFY: &str = r#"{"op":0,"d":{"server_id":"41771983423143937","user_id":"104694319306248192","session_id":"my_session_id","token":"my_token","max_dave_protocol_version":1}}"#;

/// A session and its scripted server, with an obedient driver between them;
/// the same verbs as the transport tests' `Pair`.
pub(crate) struct SessionPair {
    /// The session under test.
    pub(crate) session: Session,
    /// The virtual clock.
    pub(crate) now: Instant,
    /// The URL the client should dial.
    pub(crate) url: String,
}

impl SessionPair {
    /// A session with [`config`] and [`credentials`], clock at 0 ms.
    pub(crate) fn new() -> Self {
        Self::with(config(), credentials())
    }

    /// A session with `config` and [`credentials`], clock at 0 ms.
    pub(crate) fn with_config(config: SessionConfig) -> Self {
        Self::with(config, credentials())
    }

    /// A session with `config` and `credentials`, clock at 0 ms.
    pub(crate) fn with(config: SessionConfig, credentials: Credentials) -> Self {
        Self {
            session: Session::new(config, credentials),
            now: Instant::ZERO,
            url: URL.into(),
        }
    }

    /// The virtual clock in milliseconds.
    pub(crate) fn now_ms(&self) -> u64 {
        self.now.as_millis()
    }

    /// `Session::start`.
    pub(crate) fn start(&mut self) {
        self.session.start(self.now);
    }

    /// Takes the connect request, if any.
    pub(crate) fn poll_connect(&mut self) -> Option<String> {
        self.session.poll_connect()
    }

    /// The session must be asking for a socket to [`URL`]: the driver opens it.
    pub(crate) fn accept(&mut self) {
        let url = self.session.poll_connect();
        assert_eq!(
            url.as_deref(),
            Some(self.url.as_str()),
            "expected a connect request at {:?}",
            self.now
        );
        self.session.handle_open(self.now);
    }

    /// The server sends a text frame.
    pub(crate) fn server_text(&mut self, text: &str) {
        self.session.handle_frame(self.now, Frame::Text(text));
    }

    /// The server sends a binary frame `[seq u16 BE][op][payload]`.
    pub(crate) fn server_binary(&mut self, bytes: &[u8]) {
        self.session
            .handle_frame(self.now, Frame::Binary(Bytes::copy_from_slice(bytes)));
    }

    /// The socket ends: the server's close code, `None` for no close frame
    /// (or, while connecting, the connect failed).
    pub(crate) fn server_close(&mut self, code: Option<u16>) {
        self.session.handle_close(self.now, code);
    }

    /// A well-behaved driver sleeping until `target`: it wakes at every
    /// deadline up to it and calls `handle_timeout` there. After each wake
    /// the next deadline must lie in the future, or the driver would spin.
    pub(crate) fn advance_to_instant(&mut self, target: Instant) {
        assert!(target >= self.now, "the clock never runs backwards");
        while let Some(deadline) = self.session.poll_timeout() {
            if deadline > target {
                break;
            }
            if deadline > self.now {
                self.now = deadline;
            }
            self.session.handle_timeout(self.now);
            if let Some(next) = self.session.poll_timeout() {
                assert!(
                    next > self.now,
                    "poll_timeout is {next:?} right after handle_timeout at {:?}: the driver would spin",
                    self.now
                );
            }
        }
        self.now = target;
    }

    /// [`SessionPair::advance_to_instant`] in milliseconds.
    pub(crate) fn advance_to(&mut self, ms: u64) {
        self.advance_to_instant(at(ms));
    }

    /// Sleeps `n` milliseconds (see [`SessionPair::advance_to_instant`]).
    pub(crate) fn advance(&mut self, n: u64) {
        self.advance_to_instant(self.now + ms(n));
    }

    /// Everything the session wants written, in order.
    pub(crate) fn drain_transmits(&mut self) -> Vec<Transmit> {
        core::iter::from_fn(|| self.session.poll_transmit()).collect()
    }

    /// Everything the session has to say, in order.
    pub(crate) fn drain_events(&mut self) -> Vec<Event> {
        core::iter::from_fn(|| self.session.poll_event()).collect()
    }

    /// The opcodes of the text frames written, in order (drains transmits).
    pub(crate) fn sent_ops(&mut self) -> Vec<u8> {
        self.drain_transmits().iter().filter_map(op_of).collect()
    }

    /// The text frames written, parsed (drains transmits; panics on anything
    /// but text).
    pub(crate) fn sent_json(&mut self) -> Vec<Value> {
        self.drain_transmits().iter().map(json_of).collect()
    }

    /// start → accept → Identify → Hello → Ready, everything drained:
    /// the session is `Active` at the current time.
    pub(crate) fn handshake(&mut self) {
        self.start();
        self.accept();
        self.server_text(HELLO);
        self.server_text(READY);
        assert_eq!(self.session.phase(), Phase::Active);
        self.drain_transmits();
        self.drain_events();
    }

    /// After a drop: accept the reconnect (it must be immediate), expect
    /// exactly a Resume with `seq_ack`, then Hello and Resumed; drains.
    pub(crate) fn resume(&mut self, seq_ack: i32) {
        self.resume_keeping_events(seq_ack);
        self.drain_events();
    }

    /// [`SessionPair::resume`] that leaves the events for the test to take.
    pub(crate) fn resume_keeping_events(&mut self, seq_ack: i32) {
        self.accept();
        let sent = self.drain_transmits();
        assert_eq!(sent.len(), 1, "expected only Resume, got {sent:?}");
        assert_json(&sent[0], &resume_text(seq_ack));
        self.server_text(HELLO);
        self.server_text(RESUMED);
        assert_eq!(self.session.phase(), Phase::Active);
    }
}

/// The opcode of a text transmit, read with serde_json.
pub(crate) fn op_of(t: &Transmit) -> Option<u8> {
    match t {
        Transmit::Text(s) => {
            let v: Value =
                serde_json::from_str(s).unwrap_or_else(|e| panic!("{s} is not JSON: {e}"));
            v["op"].as_u64().and_then(|op| u8::try_from(op).ok())
        }
        _ => None,
    }
}

/// A text transmit parsed with serde_json.
pub(crate) fn json_of(t: &Transmit) -> Value {
    match t {
        Transmit::Text(s) => {
            serde_json::from_str(s).unwrap_or_else(|e| panic!("{s} is not JSON: {e}"))
        }
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// `t` is a text frame holding exactly the JSON `expected` (same fields,
/// same values, key order free).
pub(crate) fn assert_json(t: &Transmit, expected: &str) {
    let want: Value =
        serde_json::from_str(expected).unwrap_or_else(|e| panic!("bad literal {expected}: {e}"));
    assert_eq!(json_of(t), want, "sent {t:?}");
}

/// Checks `t` is a v8 heartbeat `{"op":3,"d":{"t":<int>,"seq_ack":seq_ack}}`
/// and returns its nonce.
pub(crate) fn heartbeat(t: &Transmit, seq_ack: i64) -> u64 {
    let v = json_of(t);
    assert_eq!(v["op"], 3, "not a heartbeat: {v}");
    assert_eq!(v["d"]["seq_ack"], seq_ack, "heartbeat {v}");
    let nonce = v["d"]["t"]
        .as_u64()
        .unwrap_or_else(|| panic!("nonce must be an integer: {v}"));
    assert!(nonce < 1 << 53);
    nonce
}

/// The server's ACK for `nonce`.
pub(crate) fn ack(nonce: u64) -> String {
    format!(r#"{{"op":6,"d":{{"t":{nonce}}}}}"#)
}

/// `Disconnected` as the server closed it.
pub(crate) fn server_closed(code: Option<u16>) -> Event {
    Event::Disconnected {
        code: code.map(CloseCode),
        by_self: false,
        lost: None,
    }
}

/// `Disconnected` as we dropped it.
pub(crate) fn self_closed(code: u16) -> Event {
    Event::Disconnected {
        code: Some(CloseCode(code)),
        by_self: true,
        lost: None,
    }
}

/// The seqs of the `Message` events in `events`, in order.
pub(crate) fn message_seqs(events: &[Event]) -> Vec<Option<u16>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Message(m) => Some(m.seq),
            _ => None,
        })
        .collect()
}

/// The `Reconnecting` events among `events`: (attempt, delay, resume).
pub(crate) fn reconnects(events: &[Event]) -> Vec<(u32, Duration, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Reconnecting {
                attempt,
                delay,
                resume,
            } => Some((*attempt, *delay, *resume)),
            _ => None,
        })
        .collect()
}
