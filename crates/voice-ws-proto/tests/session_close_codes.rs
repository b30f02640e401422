//! Every close code of docs/protocol.md's policy table, followed to its end:
//! resume, new session, stop or fatal. Each code runs twice: once on an
//! active session, once while the handshake is still in flight.

#![allow(clippy::unwrap_used)]

mod session_harness;

use session_harness::*;
use voice_ws_proto::codec::{ClientMessage, Speaking};
use voice_ws_proto::{CloseCode, Event, Invalidation, Phase, SendError, Transmit};

/// What docs/protocol.md says a server close with this code leads to.
#[derive(Clone, Copy, Debug)]
enum Policy {
    Resume,
    NewSession,
    Stop,
    Fatal,
}

/// Where the session is when the server closes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum When {
    /// Active, having taken a message with seq 5.
    Active,
    /// Identify sent and Hello received, no Ready yet.
    Handshake,
}

const ONE_HOUR_MS: u64 = 3_600_000;

fn speaking() -> ClientMessage {
    ClientMessage::Speaking(Speaking::new(1, 4242))
}

/// A session brought to `when`, everything drained. Returns the seq_ack a
/// Resume must carry.
fn setup(when: When) -> (SessionPair, i32) {
    let mut d = SessionPair::new();
    match when {
        When::Active => {
            d.handshake();
            d.advance_to(500);
            d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":5}"#);
            assert_eq!(message_seqs(&d.drain_events()), vec![Some(5)]);
            d.advance_to(1_000);
            assert!(d.drain_transmits().is_empty());
            (d, 5)
        }
        When::Handshake => {
            d.start();
            d.accept();
            d.server_text(HELLO);
            d.advance_to(1_000);
            assert_eq!(d.session.phase(), Phase::Identifying);
            d.drain_transmits();
            d.drain_events();
            (d, -1)
        }
    }
}

/// Nothing happens for an hour: no connect request, no frame, no timer.
fn assert_silent_for_an_hour(d: &mut SessionPair) {
    assert_eq!(d.session.poll_timeout(), None, "no timer may remain");
    assert_eq!(d.poll_connect(), None);
    d.advance(ONE_HOUR_MS);
    assert_eq!(d.poll_connect(), None, "no reconnect, ever");
    assert!(d.drain_transmits().is_empty());
    assert!(d.drain_events().is_empty());
}

fn run(code: Option<u16>, policy: Policy, when: When) {
    let (mut d, seq_ack) = setup(when);
    d.server_close(code);
    let events = d.drain_events();
    assert_eq!(
        events.first(),
        Some(&server_closed(code)),
        "code {code:?}: {events:?}"
    );
    let after: Vec<Event> = events[1..].to_vec();
    assert!(
        d.drain_transmits().is_empty(),
        "nothing to write on a closed socket"
    );
    match policy {
        Policy::Resume => {
            // Only a session that reached Ready can be resumed; before it
            // the same credentials identify again.
            let resume = when == When::Active;
            assert_eq!(
                after,
                vec![Event::Reconnecting {
                    attempt: 1,
                    delay: ms(0),
                    resume
                }],
                "code {code:?}"
            );
            d.accept();
            let sent = d.drain_transmits();
            assert_eq!(sent.len(), 1, "code {code:?}: one greeting, got {sent:?}");
            d.server_text(HELLO);
            if resume {
                assert_json(&sent[0], &resume_text(seq_ack));
                d.server_text(RESUMED);
            } else {
                assert_json(&sent[0], IDENTIFY);
                d.server_text(READY);
            }
            assert_eq!(d.session.phase(), Phase::Active, "code {code:?}");
            let events = d.drain_events();
            let done = |e: &Event| match resume {
                true => *e == Event::Resumed,
                false => matches!(e, Event::Ready(_)),
            };
            assert!(events.iter().any(done), "code {code:?}: {events:?}");
            assert!(
                d.drain_transmits().is_empty(),
                "code {code:?}: one greeting only"
            );
        }
        Policy::NewSession => {
            assert_eq!(
                after,
                vec![Event::SessionInvalidated {
                    code: Some(CloseCode(code.unwrap())),
                    reason: Invalidation::ClosedByServer,
                }],
                "code {code:?}"
            );
            assert_eq!(d.session.phase(), Phase::NeedsCredentials);
            assert_silent_for_an_hour(&mut d);
            d.session
                .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
            d.accept();
            let sent = d.drain_transmits();
            assert_eq!(sent.len(), 1, "code {code:?}: {sent:?}");
            assert_json(
                &sent[0],
                r#"{"op":0,"d":{"server_id":"41771983423143937","user_id":"104694319306248192","session_id":"new_session_id","token":"new_token","max_dave_protocol_version":1}}"#,
            );
            let hello_at = d.now_ms();
            d.server_text(HELLO);
            d.server_text(READY);
            assert_eq!(d.session.phase(), Phase::Active);
            d.drain_events();
            // A new session starts from "nothing seen".
            d.advance_to(hello_at + 13_750);
            let sent = d.drain_transmits();
            assert_eq!(sent.len(), 1, "{sent:?}");
            heartbeat(&sent[0], -1);
        }
        Policy::Stop => {
            assert_eq!(
                after,
                vec![Event::Stopped {
                    code: Some(CloseCode(code.unwrap()))
                }],
                "code {code:?}"
            );
            assert_eq!(d.session.phase(), Phase::Stopped);
            assert_eq!(d.session.send(speaking()), Err(SendError::Ended));
            assert_silent_for_an_hour(&mut d);
            assert_eq!(d.session.phase(), Phase::Stopped);
        }
        Policy::Fatal => {
            let c = CloseCode(code.unwrap());
            match after.as_slice() {
                [Event::Fatal { code: got, reason }] => {
                    assert_eq!(*got, c);
                    assert!(!reason.is_empty());
                    let hint = match c.0 {
                        4004 => "authentication",
                        4012 => "protocol",
                        4016 => "encryption",
                        4017 => "DAVE",
                        4020 => "bad request",
                        _ => unreachable!(),
                    };
                    assert!(reason.contains(hint), "{c:?}: {reason}");
                }
                other => panic!("code {code:?}: expected one Fatal, got {other:?}"),
            }
            assert_eq!(d.session.phase(), Phase::Failed);
            assert_eq!(d.session.send(speaking()), Err(SendError::Ended));
            assert_silent_for_an_hour(&mut d);
            assert_eq!(d.session.phase(), Phase::Failed);
        }
    }
}

macro_rules! close_code_tests {
    ($($name:ident: $code:expr => $policy:ident;)*) => {
        mod active {
            use super::*;
            $(
                #[test]
                fn $name() {
                    run($code, Policy::$policy, When::Active);
                }
            )*
        }
        mod during_handshake {
            use super::*;
            $(
                #[test]
                fn $name() {
                    run($code, Policy::$policy, When::Handshake);
                }
            )*
        }
    };
}

// docs/protocol.md, "Close codes", row by row.
close_code_tests! {
    c1000_normal: Some(1000) => Resume;
    c1001_going_away: Some(1001) => Resume;
    c1005_no_status: Some(1005) => Resume;
    c1006_abnormal: Some(1006) => Resume;
    no_close_frame: None => Resume;
    c4001_unknown_opcode: Some(4001) => NewSession;
    c4002_decode_error: Some(4002) => NewSession;
    c4003_not_authenticated: Some(4003) => NewSession;
    c4004_authentication_failed: Some(4004) => Fatal;
    c4005_already_authenticated: Some(4005) => NewSession;
    c4006_session_no_longer_valid: Some(4006) => NewSession;
    c4009_session_timeout: Some(4009) => NewSession;
    c4011_server_not_found: Some(4011) => NewSession;
    c4012_unknown_protocol: Some(4012) => Fatal;
    c4014_disconnected: Some(4014) => Stop;
    c4015_voice_server_crashed: Some(4015) => Resume;
    c4016_unknown_encryption_mode: Some(4016) => Fatal;
    c4017_dave_required: Some(4017) => Fatal;
    c4020_bad_request: Some(4020) => Fatal;
    c4021_rate_limited: Some(4021) => Stop;
    c4022_call_terminated: Some(4022) => Stop;
    c4999_unknown_4xxx: Some(4999) => NewSession;
}

#[test]
fn a_stop_code_while_resuming_still_stops() {
    let (mut d, _) = setup(When::Active);
    d.server_close(None);
    d.drain_events();
    d.accept();
    assert_eq!(d.sent_ops(), vec![7]);
    d.server_close(Some(4014));
    assert_eq!(
        d.drain_events(),
        vec![
            Event::Connected,
            server_closed(Some(4014)),
            Event::Stopped {
                code: Some(CloseCode(4014))
            }
        ]
    );
    assert_silent_for_an_hour(&mut d);
}

#[test]
fn a_stopped_session_restarts_only_with_new_credentials() {
    let (mut d, _) = setup(When::Active);
    d.server_close(Some(4014));
    d.drain_events();
    assert_silent_for_an_hour(&mut d);
    // A new VOICE_SERVER_UPDATE may restart it.
    d.session
        .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
    d.accept();
    let sent = d.sent_json();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["op"], 0);
    assert_eq!(sent[0]["d"]["token"], "new_token");
    assert_eq!(sent[0]["d"]["session_id"], "new_session_id");
}

#[test]
fn a_fatal_close_writes_nothing_back() {
    let (mut d, _) = setup(When::Active);
    d.server_close(Some(4004));
    let sent: Vec<Transmit> = d.drain_transmits();
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(d.session.phase(), Phase::Failed);
}
