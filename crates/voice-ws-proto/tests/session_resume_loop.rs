//! No reconnect loop on a message that can never be received
//! (docs/protocol.md, "Resume"): a resume counts as progress only once a new
//! message is accepted or the socket stays up `resume_stable_after`; until
//! then the backoff grows, and resumes that keep ending the same way at the
//! same `seq_ack` stop with `SessionInvalidated`.

#![allow(clippy::unwrap_used)]

mod session_harness;

use session_harness::*;
use voice_ws_proto::{CloseCode, Event, Invalidation, Phase, SessionConfig, Transmit};

/// The message size limit of these sessions: room for Ready, not for
/// [`oversized`].
const LIMIT: usize = 256;
const SEQ5: &str = r#"{"op":13,"d":{"user_id":"1234"},"seq":5}"#;

/// 300 bytes of valid JSON with seq 6 (an undocumented op with padding).
fn oversized() -> String {
    let pad = "x".repeat(300 - r#"{"op":18,"d":{"pad":""},"seq":6}"#.len());
    format!(r#"{{"op":18,"d":{{"pad":"{pad}"}},"seq":6}}"#)
}

fn small_messages() -> SessionConfig {
    let mut c = config();
    c.transport.max_message_size = LIMIT;
    c.rng_seed = 7;
    c
}

/// The session is Active with seq 5 received; the server then sends the
/// oversized seq 6, and replays it after every Resume.
#[test]
fn a_replayed_oversized_message_stops_after_three_identical_resumes() {
    let oversized = oversized();
    assert_eq!(oversized.len(), 300);
    let mut d = SessionPair::with_config(small_messages());
    d.handshake();
    d.server_text(SEQ5);
    d.server_text(&oversized);
    assert_eq!(
        d.drain_transmits(),
        vec![Transmit::Close(CloseCode(1009)), Transmit::Abort]
    );
    let mut sockets = 1;
    let mut attempts = Vec::new();
    let start = d.now;
    let reason = loop {
        let events = d.drain_events();
        if let Some(reason) = events.iter().find_map(|e| match e {
            Event::SessionInvalidated { code, reason } => {
                assert_eq!(*code, Some(CloseCode(1009)));
                Some(*reason)
            }
            _ => None,
        }) {
            break reason;
        }
        let r = reconnects(&events);
        assert_eq!(r.len(), 1, "{events:?}");
        attempts.push(r[0].0);
        d.advance_to_instant(d.now + r[0].1);
        d.accept();
        sockets += 1;
        let sent = d.drain_transmits();
        assert_eq!(sent.len(), 1);
        assert_json(&sent[0], &resume_text(5));
        d.server_text(HELLO);
        d.server_text(RESUMED);
        d.server_text(&oversized);
        assert_eq!(
            d.drain_transmits(),
            vec![Transmit::Close(CloseCode(1009)), Transmit::Abort]
        );
        assert!(sockets < 10, "a reconnect loop");
    };
    assert_eq!(
        reason,
        Invalidation::ResumeLoop {
            resumes: 3,
            seq_ack: Some(5)
        }
    );
    assert_eq!(
        attempts,
        vec![1, 2, 3],
        "Resumed alone never reset the count"
    );
    assert_eq!(sockets, 4, "one Identify, three Resumes");
    assert!(d.now - start < ms(5_000), "{:?}", d.now - start);
    assert_eq!(d.session.phase(), Phase::NeedsCredentials);
    d.advance(3_600_000);
    assert_eq!(d.poll_connect(), None);
}

#[test]
fn resumes_that_end_differently_are_not_a_loop() {
    let mut c = config();
    c.rng_seed = 3;
    let mut d = SessionPair::with_config(c);
    d.handshake();
    d.server_text(SEQ5);
    d.drain_events();
    d.server_close(Some(1006));
    for code in [4015, 1006, 4015, 1006] {
        let events = d.drain_events();
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::SessionInvalidated { .. })),
            "{events:?}"
        );
        let r = reconnects(&events);
        assert_eq!(r.len(), 1, "{events:?}");
        d.advance_to_instant(d.now + r[0].1);
        d.resume(5);
        d.server_close(Some(code));
    }
    // Five unproven resumes in a row: attempts kept growing.
    assert_eq!(reconnects(&d.drain_events())[0].0, 5);
}

/// A quiet call: the session resumes, no message arrives, and the resumed
/// socket drops after `up_ms`. Returns the next reconnect's attempt number.
fn attempt_after_a_quiet_resume_of(up_ms: u64) -> u32 {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_text(SEQ5);
    d.server_close(Some(1006));
    d.drain_events();
    d.resume(5);
    d.advance(up_ms);
    d.server_close(Some(1006));
    let r = reconnects(&d.drain_events());
    assert_eq!(r.len(), 1, "{r:?}");
    assert!(r[0].2, "a resume");
    r[0].0
}

#[test]
fn a_resumed_socket_that_stays_up_is_progress() {
    // resume_stable_after is 10 s: the count starts over.
    assert_eq!(attempt_after_a_quiet_resume_of(10_000), 1);
}

#[test]
fn a_resumed_socket_that_drops_sooner_is_not() {
    assert_eq!(attempt_after_a_quiet_resume_of(9_999), 2);
}
