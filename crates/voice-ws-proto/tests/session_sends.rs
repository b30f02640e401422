//! Application sends through a session: held (bounded) while there is no
//! usable socket, flushed in order after the handshake, refused with a
//! clear error, and never dropped silently; graceful and forced closes.

#![allow(clippy::unwrap_used)]

mod session_harness;

use bytes::Bytes;
use session_harness::*;
use voice_ws_proto::codec::{ClientMessage, Identify, Resume, Speaking};
use voice_ws_proto::{CloseCode, Event, Invalidation, Outgoing, Phase, SendError, Token, Transmit};

fn speaking(flags: u32) -> ClientMessage {
    ClientMessage::Speaking(Speaking::new(flags, 4242))
}

const SPEAKING_1: &str = r#"{"op":5,"d":{"speaking":1,"delay":0,"ssrc":4242}}"#;
const SPEAKING_5: &str = r#"{"op":5,"d":{"speaking":5,"delay":0,"ssrc":4242}}"#;
const RAW: &str = r#"{"op":23,"d":{"transition_id":7}}"#;
const KEY_PACKAGE: [u8; 4] = [26, 0x01, 0x02, 0x03];

/// Sends the three kinds of message the session holds; all accepted.
fn send_three(d: &mut SessionPair) {
    d.session.send(speaking(1)).unwrap();
    d.session.send_text(RAW.into()).unwrap();
    d.session
        .send_binary(Bytes::from_static(&KEY_PACKAGE))
        .unwrap();
}

/// The three sends of [`send_three`], in order, exactly as written.
fn assert_three(sent: &[Transmit]) {
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert_json(&sent[0], SPEAKING_1);
    assert_eq!(
        sent[1],
        Transmit::Text(RAW.into()),
        "raw text goes out as is"
    );
    assert_eq!(sent[2], Transmit::Binary(Bytes::from_static(&KEY_PACKAGE)));
}

#[test]
fn a_send_on_an_active_session_goes_out_at_once() {
    let mut d = SessionPair::new();
    d.handshake();
    send_three(&mut d);
    assert_three(&d.drain_transmits());
    assert_eq!(d.session.pending_sends(), 0);
}

#[test]
fn sends_while_reconnecting_are_held_and_flushed_in_order_after_resumed() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_close(None);
    d.drain_events();
    assert_eq!(d.session.phase(), Phase::Connecting);
    send_three(&mut d);
    assert_eq!(d.session.pending_sends(), 3);
    assert!(d.drain_transmits().is_empty(), "no socket: nothing written");

    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "only Resume while resuming: {sent:?}");
    assert_json(&sent[0], &resume_text(-1));
    // More sends while resuming join the queue behind the first three.
    d.session.send(speaking(5)).unwrap();
    d.server_text(HELLO);
    assert!(
        d.drain_transmits().is_empty(),
        "Hello does not end the handshake"
    );
    assert_eq!(d.session.pending_sends(), 4);

    d.server_text(RESUMED);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_three(&sent[..3]);
    assert_json(&sent[3], SPEAKING_5);
    assert_eq!(d.session.pending_sends(), 0);
    // And once active, sends go straight out again.
    d.session.send(speaking(1)).unwrap();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    assert_json(&sent[0], SPEAKING_1);
}

#[test]
fn sends_during_the_backoff_wait_are_held() {
    let mut c = config();
    c.rng_seed = 3;
    let mut d = SessionPair::with_config(c);
    d.handshake();
    d.server_close(None);
    d.drain_events();
    d.accept();
    d.drain_transmits();
    d.server_close(None);
    let r = reconnects(&d.drain_events());
    assert!(!r[0].1.is_zero());
    assert_eq!(d.session.phase(), Phase::WaitingToReconnect);
    send_three(&mut d);
    d.advance_to_instant(d.now + r[0].1);
    d.accept();
    assert_eq!(d.sent_ops(), vec![7]);
    d.server_text(RESUMED);
    assert_three(&d.drain_transmits());
}

#[test]
fn sends_before_the_first_ready_wait_for_it() {
    let mut d = SessionPair::new();
    d.session.send(speaking(1)).unwrap(); // even before start
    d.start();
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    assert_json(&sent[0], IDENTIFY);
    d.server_text(HELLO);
    assert!(d.drain_transmits().is_empty());
    d.server_text(READY);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    assert_json(&sent[0], SPEAKING_1);
}

#[test]
fn held_sends_are_bounded() {
    let mut c = config();
    c.max_pending_sends = 2;
    let mut d = SessionPair::with_config(c);
    d.handshake();
    d.server_close(None);
    d.drain_events();
    d.session.send(speaking(1)).unwrap();
    d.session.send_text(RAW.into()).unwrap();
    assert_eq!(
        d.session.send(speaking(5)),
        Err(SendError::QueueFull { bound: 2 })
    );
    assert_eq!(
        d.session.send_text(RAW.into()),
        Err(SendError::QueueFull { bound: 2 })
    );
    assert_eq!(
        d.session.send_binary(Bytes::from_static(&KEY_PACKAGE)),
        Err(SendError::QueueFull { bound: 2 })
    );
    assert_eq!(d.session.pending_sends(), 2, "a refused send is not held");
    d.resume(-1);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 2, "only the two accepted: {sent:?}");
    assert_json(&sent[0], SPEAKING_1);
    assert_eq!(sent[1], Transmit::Text(RAW.into()));
    // Room again.
    d.session.send(speaking(5)).unwrap();
}

#[test]
fn identify_resume_and_heartbeat_are_reserved() {
    let mut d = SessionPair::new();
    d.handshake();
    let identify = ClientMessage::Identify(Identify::new(
        "41771983423143937".into(),
        "104694319306248192".into(),
        "my_session_id".into(),
        Token::new("my_token"),
        1,
    ));
    let resume = ClientMessage::Resume(Resume::new(
        "41771983423143937".into(),
        "my_session_id".into(),
        Token::new("my_token"),
        Some(3),
    ));
    let beat = ClientMessage::Heartbeat {
        nonce: 1,
        seq_ack: None,
    };
    assert_eq!(
        d.session.send(identify.clone()),
        Err(SendError::Reserved { op: 0 })
    );
    assert_eq!(
        d.session.send(resume.clone()),
        Err(SendError::Reserved { op: 7 })
    );
    assert_eq!(
        d.session.send(beat.clone()),
        Err(SendError::Reserved { op: 3 })
    );
    assert!(d.drain_transmits().is_empty());
    // Reserved while disconnected too, and never held.
    d.server_close(None);
    d.drain_events();
    assert_eq!(d.session.send(identify), Err(SendError::Reserved { op: 0 }));
    assert_eq!(d.session.send(resume), Err(SendError::Reserved { op: 7 }));
    assert_eq!(d.session.send(beat), Err(SendError::Reserved { op: 3 }));
    assert_eq!(d.session.pending_sends(), 0);
}

fn assert_all_sends_end(d: &mut SessionPair) {
    assert_eq!(d.session.send(speaking(1)), Err(SendError::Ended));
    assert_eq!(d.session.send_text(RAW.into()), Err(SendError::Ended));
    assert_eq!(
        d.session.send_binary(Bytes::from_static(&KEY_PACKAGE)),
        Err(SendError::Ended)
    );
    assert_eq!(d.session.pending_sends(), 0);
    assert!(d.drain_transmits().is_empty());
}

#[test]
fn after_a_stop_sends_are_refused_as_ended() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_close(Some(4014));
    d.drain_events();
    assert_eq!(d.session.phase(), Phase::Stopped);
    assert_all_sends_end(&mut d);
}

#[test]
fn after_a_fatal_close_sends_are_refused_as_ended() {
    let mut d = SessionPair::new();
    d.start();
    d.accept();
    assert_eq!(d.sent_ops(), vec![0]);
    d.server_close(Some(4017));
    d.drain_events();
    assert_eq!(d.session.phase(), Phase::Failed);
    assert_all_sends_end(&mut d);
}

#[test]
fn held_sends_come_back_as_unsent_when_the_session_is_invalidated() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_close(None);
    d.drain_events();
    d.session.send(speaking(1)).unwrap();
    d.session.send_text(RAW.into()).unwrap();
    d.accept();
    assert_eq!(d.sent_ops(), vec![7]);
    d.server_close(Some(4006)); // the resume is refused
    assert_eq!(
        d.drain_events(),
        vec![
            Event::Connected,
            server_closed(Some(4006)),
            Event::Unsent(vec![
                Outgoing::Message(speaking(1)),
                Outgoing::Text(RAW.into())
            ]),
            Event::SessionInvalidated {
                code: Some(CloseCode(4006)),
                reason: Invalidation::ClosedByServer,
            },
        ]
    );
    assert_eq!(d.session.pending_sends(), 0);
    // Nothing of the old session reaches the new one.
    d.session
        .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
    d.accept();
    d.server_text(READY);
    assert_eq!(d.sent_ops(), vec![0]);
}

#[test]
fn held_sends_come_back_as_unsent_when_the_reconnect_cap_runs_out() {
    let mut c = config();
    c.max_reconnect_attempts = 1;
    let mut d = SessionPair::with_config(c);
    d.handshake();
    d.server_close(None);
    d.drain_events();
    d.session.send(speaking(1)).unwrap();
    d.accept();
    d.server_close(None);
    let events = d.drain_events();
    assert_eq!(
        events[events.len() - 2..],
        [
            Event::Unsent(vec![Outgoing::Message(speaking(1))]),
            Event::SessionInvalidated {
                code: None,
                reason: Invalidation::AttemptsExhausted { attempts: 1 },
            }
        ],
        "{events:?}"
    );
}

#[test]
fn held_sends_come_back_as_unsent_on_a_stop_code() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_close(None);
    d.drain_events();
    d.session
        .send_binary(Bytes::from_static(&KEY_PACKAGE))
        .unwrap();
    d.accept();
    d.server_close(Some(4022));
    let events = d.drain_events();
    assert_eq!(
        events[events.len() - 2..],
        [
            Event::Unsent(vec![Outgoing::Binary(Bytes::from_static(&KEY_PACKAGE))]),
            Event::Stopped {
                code: Some(CloseCode(4022))
            }
        ],
        "{events:?}"
    );
}

#[test]
fn close_sends_1000_then_stops_when_the_server_answers() {
    let mut d = SessionPair::new();
    d.handshake();
    d.advance_to(1_000);
    d.session.close(d.now);
    assert_eq!(d.drain_transmits(), vec![Transmit::Close(CloseCode(1000))]);
    assert_eq!(d.session.phase(), Phase::Closing);
    assert!(d.drain_events().is_empty(), "not stopped before the answer");
    assert_all_sends_end(&mut d);
    // No heartbeat while closing.
    d.advance_to(4_999);
    assert!(d.drain_transmits().is_empty());
    d.server_close(Some(1000));
    assert_eq!(
        d.drain_events(),
        vec![
            self_closed(1000),
            Event::Stopped {
                code: Some(CloseCode(1000))
            }
        ]
    );
    assert_eq!(d.session.phase(), Phase::Stopped);
    assert_eq!(d.session.poll_timeout(), None);
    d.advance(3_600_000);
    assert_eq!(
        d.poll_connect(),
        None,
        "our own 1000 is no reason to resume"
    );
    assert!(d.drain_transmits().is_empty());
}

#[test]
fn close_gives_up_waiting_for_the_servers_answer() {
    let mut d = SessionPair::new();
    d.handshake();
    d.session.close(d.now);
    assert_eq!(d.drain_transmits(), vec![Transmit::Close(CloseCode(1000))]);
    d.advance(4_999);
    assert!(d.drain_transmits().is_empty());
    d.advance(1); // the default close timeout is 5 s
    assert_eq!(d.drain_transmits(), vec![Transmit::Abort]);
    assert_eq!(
        d.drain_events(),
        vec![
            self_closed(1000),
            Event::Stopped {
                code: Some(CloseCode(1000))
            }
        ]
    );
    d.advance(3_600_000);
    assert_eq!(d.poll_connect(), None);
}

#[test]
fn close_without_a_socket_stops_at_once_and_returns_held_sends() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_close(None);
    d.drain_events();
    d.session.send(speaking(1)).unwrap();
    d.session.close(d.now);
    assert!(d.drain_transmits().is_empty());
    assert_eq!(
        d.drain_events(),
        vec![
            Event::Unsent(vec![Outgoing::Message(speaking(1))]),
            Event::Stopped { code: None }
        ]
    );
    assert_eq!(d.poll_connect(), None, "the pending connect is withdrawn");
}

#[test]
fn force_close_writes_nothing_more_and_is_idempotent() {
    let mut d = SessionPair::new();
    d.handshake();
    d.advance_to(1_000);
    // Queued but not yet taken by the driver: discarded.
    d.session.send(speaking(1)).unwrap();
    d.session.heartbeat_now(d.now);
    d.session.force_close(CloseCode(1000));
    assert!(d.drain_transmits().is_empty(), "nothing after force_close");
    assert_eq!(
        d.drain_events(),
        vec![
            self_closed(1000),
            Event::Stopped {
                code: Some(CloseCode(1000))
            }
        ]
    );
    assert_eq!(d.session.phase(), Phase::Stopped);
    assert_eq!(d.session.poll_timeout(), None);

    d.session.force_close(CloseCode(1000));
    d.session.force_close(CloseCode(4000));
    assert!(d.drain_events().is_empty(), "idempotent: no second Stopped");

    // Whatever happens next, nothing is written and nothing restarts.
    d.server_text(HELLO);
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":1}"#);
    d.server_binary(&[0x00, 0x02, 25, 0x01]);
    d.session.heartbeat_now(d.now);
    d.session.close(d.now);
    d.server_close(Some(1006));
    d.session
        .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
    d.start();
    d.advance(3_600_000);
    assert_all_sends_end(&mut d);
    assert!(d.drain_transmits().is_empty());
    assert!(d.drain_events().is_empty());
    assert_eq!(d.poll_connect(), None);
    assert_eq!(d.session.poll_timeout(), None);
}

#[test]
fn force_close_while_waiting_returns_held_sends() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_close(None);
    d.drain_events();
    d.session.send(speaking(1)).unwrap();
    d.session.force_close(CloseCode(1000));
    assert!(d.drain_transmits().is_empty());
    assert_eq!(
        d.drain_events(),
        vec![
            Event::Unsent(vec![Outgoing::Message(speaking(1))]),
            Event::Stopped {
                code: Some(CloseCode(1000))
            }
        ]
    );
    assert_eq!(d.poll_connect(), None);
}

#[test]
fn an_owner_that_stops_reading_gets_no_new_socket_until_it_reads_again() {
    let mut c = config();
    c.transport.max_pending_events = 4;
    let mut d = SessionPair::with_config(c);
    d.handshake();
    // The owner stops taking events; the server keeps sending.
    for seq in 1..=5 {
        d.server_text(&format!(
            r#"{{"op":5,"d":{{"user_id":"1","ssrc":2,"speaking":1}},"seq":{seq}}}"#
        ));
    }
    // The fifth message found the queue full: the socket was dropped
    // resumably (nothing after seq_ack is lost, the server replays it).
    let dropped = d.drain_transmits();
    assert_eq!(
        dropped,
        vec![Transmit::Close(CloseCode(4000)), Transmit::Abort]
    );
    // However long the owner stays away, no new socket fills the queue further.
    d.advance(60_000);
    assert_eq!(d.poll_connect(), None);
    let events = d.drain_events();
    assert!(events.len() <= 4 + 3, "queue stayed bounded: {events:?}");
    assert!(events.contains(&Event::Disconnected {
        code: Some(CloseCode(4000)),
        by_self: true,
        lost: None,
    }));
    // Once it reads again, the session reconnects and resumes.
    d.advance(c_backoff_step());
    assert!(d.poll_connect().is_some());
}

/// The default backoff base: how often a waiting reconnect looks again.
fn c_backoff_step() -> u64 {
    1_000
}
