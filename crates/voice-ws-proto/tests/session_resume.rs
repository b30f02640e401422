//! v8 buffered resume: the Resume's seq_ack is the last message received
//! (queued for the application, taken or not), replayed messages are
//! delivered exactly once, a refused resume never turns into an Identify
//! loop, and consecutive reconnects are capped.

#![allow(clippy::unwrap_used)]

mod session_harness;

use session_harness::*;
use voice_ws_proto::{CloseCode, Event, Invalidation, Phase, Transmit};

/// Seq 1: Speaking (JSON).
const SEQ1: &str = r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":1}"#;
/// Seq 2: MLS External Sender (binary, seq in the header).
const SEQ2: [u8; 6] = [0x00, 0x02, 25, 0xAA, 0xBB, 0xCC];
/// Seq 3: Clients Connect (JSON).
const SEQ3: &str = r#"{"op":11,"d":{"user_ids":["1234","5678"]},"seq":3}"#;
/// Seq 4: MLS Proposals (binary).
const SEQ4: [u8; 5] = [0x00, 0x04, 27, 0x01, 0x02];
/// Seq 5: Client Disconnect (JSON).
const SEQ5: &str = r#"{"op":13,"d":{"user_id":"5678"},"seq":5}"#;

/// Takes events one at a time until `n` messages were taken; returns
/// their seqs. Other events taken on the way are returned too.
fn take_messages(d: &mut SessionPair, n: usize) -> (Vec<Option<u16>>, Vec<Event>) {
    let mut seqs = Vec::new();
    let mut others = Vec::new();
    while seqs.len() < n {
        match d.session.poll_event() {
            Some(Event::Message(m)) => seqs.push(m.seq),
            Some(other) => others.push(other),
            None => panic!("only {} messages to take, wanted {n}", seqs.len()),
        }
    }
    (seqs, others)
}

/// What the application takes after the new socket opened and before the
/// server replays.
#[derive(Clone, Copy)]
enum TakeAfterOpen {
    Nothing,
    Messages(usize),
    Everything,
}

/// Seqs 1..=3 arrive; the application takes `taken` of them; the server
/// never ACKs, so the socket turns zombie; the session resumes with
/// seq_ack 3, the last received. A lax server replays from what the
/// application took anyway, then sends 4 and 5. Every message must reach
/// the application exactly once.
fn zombie_then_resume(taken: usize, after_open: TakeAfterOpen) {
    let mut d = SessionPair::new();
    d.handshake(); // Hello at 0 ms: beats at 13750, 27500, ...
    d.advance_to(1_000);
    d.server_text(SEQ1);
    d.server_binary(&SEQ2);
    d.server_text(SEQ3);
    let (mut delivered, _) = take_messages(&mut d, taken);
    let last_taken = i64::try_from(taken).unwrap();

    d.advance_to(13_750);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    heartbeat(&sent[0], 3);
    // No ACK. The next beat falls due unanswered: zombie.
    d.advance_to(27_499);
    assert!(d.drain_transmits().is_empty());
    d.advance_to(27_500);
    assert_eq!(
        d.drain_transmits(),
        vec![Transmit::Close(CloseCode(4000)), Transmit::Abort]
    );

    // The owner reconnects before taking the rest of its events.
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_json(
        &sent[0],
        r#"{"op":7,"d":{"server_id":"41771983423143937","session_id":"my_session_id","token":"my_token","seq_ack":3}}"#,
    );

    let mut others = Vec::new();
    let mut take = |d: &mut SessionPair, n: Option<usize>, delivered: &mut Vec<Option<u16>>| {
        let mut k = 0;
        while n.is_none_or(|n| k < n) {
            match d.session.poll_event() {
                Some(Event::Message(m)) => {
                    delivered.push(m.seq);
                    k += 1;
                }
                Some(other) => others.push(other),
                None => break,
            }
        }
    };
    match after_open {
        TakeAfterOpen::Nothing => {}
        TakeAfterOpen::Messages(n) => take(&mut d, Some(n), &mut delivered),
        TakeAfterOpen::Everything => take(&mut d, None, &mut delivered),
    }

    // Resumed, then the replay of everything after seq_ack, then new ones.
    d.server_text(HELLO);
    d.server_text(RESUMED);
    if last_taken < 1 {
        d.server_text(SEQ1);
    }
    if last_taken < 2 {
        d.server_binary(&SEQ2);
    }
    if last_taken < 3 {
        d.server_text(SEQ3);
    }
    d.server_binary(&SEQ4);
    d.server_text(SEQ5);
    take(&mut d, None, &mut delivered);
    assert_eq!(d.session.phase(), Phase::Active);

    assert_eq!(
        delivered,
        vec![Some(1), Some(2), Some(3), Some(4), Some(5)],
        "each message exactly once, in order"
    );
    assert!(others.contains(&Event::Zombified), "{others:?}");
    assert!(others.contains(&self_closed(4000)), "{others:?}");
    assert!(others.contains(&Event::Resumed), "{others:?}");
    assert_eq!(d.session.seq_ack(), Some(5));
    // The next beat acknowledges everything received.
    d.advance_to(27_500 + 13_750);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    heartbeat(&sent[0], 5);
}

#[test]
fn zombie_resume_owner_drains_before_the_replay() {
    zombie_then_resume(2, TakeAfterOpen::Everything);
}

#[test]
fn zombie_resume_owner_takes_nothing_until_after_the_replay() {
    zombie_then_resume(1, TakeAfterOpen::Nothing);
}

#[test]
fn zombie_resume_owner_took_nothing_before_the_zombie() {
    zombie_then_resume(0, TakeAfterOpen::Nothing);
}

#[test]
fn zombie_resume_owner_took_everything_before_the_zombie() {
    zombie_then_resume(3, TakeAfterOpen::Nothing);
}

#[test]
fn zombie_resume_owner_takes_part_between_open_and_replay() {
    // Resume says seq_ack 1; the owner then takes seq 2 from its queue;
    // the server replays 2 and 3: neither may be delivered again.
    zombie_then_resume(1, TakeAfterOpen::Messages(1));
}

#[test]
fn zombie_resume_owner_took_nothing_then_takes_part_between_open_and_replay() {
    zombie_then_resume(0, TakeAfterOpen::Messages(2));
}

#[test]
fn resume_after_a_drop_carries_the_last_taken_seq_json_or_binary() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":10}"#);
    d.server_binary(&[0x00, 0x0B, 25, 0x01]);
    d.server_text(r#"{"op":11,"d":{"user_ids":["1234"]},"seq":12}"#);
    assert_eq!(
        message_seqs(&d.drain_events()),
        vec![Some(10), Some(11), Some(12)]
    );
    d.server_close(Some(1006));
    d.drain_events();
    d.accept();
    assert_eq!(
        d.drain_transmits(),
        vec![Transmit::Text(
            r#"{"op":7,"d":{"server_id":"41771983423143937","session_id":"my_session_id","token":"my_token","seq_ack":12}}"#
                .into()
        )]
    );
}

#[test]
fn a_binary_message_moves_seq_ack_like_json() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":10}"#);
    // 0x7B01 = 31489: a binary frame that starts with '{' is still binary.
    d.server_binary(&[0x7B, 0x01, 27, 0x01]);
    assert_eq!(
        message_seqs(&d.drain_events()),
        vec![Some(10), Some(31_489)]
    );
    d.server_close(None);
    d.drain_events();
    d.resume(31_489);
}

#[test]
fn seq_zero_is_a_real_sequence_number() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":0}"#);
    assert_eq!(message_seqs(&d.drain_events()), vec![Some(0)]);
    d.server_close(Some(1001));
    d.drain_events();
    d.resume(0);
}

#[test]
fn seq_ack_wraps_at_u16() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":65535}"#);
    d.server_binary(&[0x00, 0x00, 25, 0x01]);
    assert_eq!(message_seqs(&d.drain_events()), vec![Some(65_535), Some(0)]);
    d.server_close(Some(4015));
    d.drain_events();
    d.resume(0);
}

#[test]
fn a_message_received_but_not_taken_is_acknowledged() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":9}"#);
    d.server_close(None);
    // The owner reconnects first, then takes its events.
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    assert_json(&sent[0], &resume_text(9));
    assert_eq!(message_seqs(&d.drain_events()), vec![Some(9)]);
    d.server_text(RESUMED);
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":9}"#);
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":0},"seq":10}"#);
    assert_eq!(
        message_seqs(&d.drain_events()),
        vec![Some(10)],
        "a replayed 9 is a repeat of one already received"
    );
}

#[test]
fn resumed_before_hello_completes_the_resume() {
    let mut d = SessionPair::new();
    d.handshake();
    d.advance_to(2_000);
    d.server_close(None);
    d.drain_events();
    d.accept();
    assert_eq!(d.sent_ops(), vec![7]);
    d.server_text(RESUMED);
    assert_eq!(d.session.phase(), Phase::Active);
    d.advance_to(2_050);
    d.server_text(HELLO);
    let events = d.drain_events();
    assert_eq!(
        events,
        vec![
            Event::Connected,
            Event::Resumed,
            Event::Hello {
                heartbeat_interval: ms(13_750)
            }
        ]
    );
    d.advance_to(2_050 + 13_750);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    heartbeat(&sent[0], -1);
}

#[test]
fn resume_refused_with_4006_invalidates_and_never_identifies() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":3}"#);
    d.drain_events();
    d.advance_to(1_000);
    d.server_close(Some(1006));
    d.drain_events();
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    assert_json(&sent[0], &resume_text(3));
    d.server_text(HELLO);
    d.server_close(Some(4006));
    assert_eq!(
        d.drain_events(),
        vec![
            Event::Connected,
            Event::Hello {
                heartbeat_interval: ms(13_750)
            },
            server_closed(Some(4006)),
            Event::SessionInvalidated {
                code: Some(CloseCode(4006)),
                reason: Invalidation::ClosedByServer,
            }
        ]
    );
    assert_eq!(d.session.phase(), Phase::NeedsCredentials);
    // No Identify loop: nothing at all until new credentials arrive.
    for _ in 0..60 {
        d.advance(60_000);
        assert_eq!(d.poll_connect(), None);
        assert!(d.drain_transmits().is_empty());
        assert!(d.drain_events().is_empty());
    }
    d.session
        .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
    d.accept();
    let sent = d.sent_json();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["op"], 0);
    assert_eq!(sent[0]["d"]["token"], "new_token");
}

/// A session that gives up after `max` reconnects without progress, and
/// never for a resume loop (each test here that wants one says so).
fn capped(max: u32) -> SessionPair {
    let mut c = config();
    c.max_reconnect_attempts = max;
    c.resume_loop_limit = u32::MAX;
    c.rng_seed = 11;
    SessionPair::with_config(c)
}

fn invalidated(events: &[Event]) -> Option<Invalidation> {
    events.iter().find_map(|e| match e {
        Event::SessionInvalidated { reason, .. } => Some(*reason),
        _ => None,
    })
}

/// Waits out the single `Reconnecting` among `events` and returns it.
fn wait_reconnect(d: &mut SessionPair, events: &[Event]) -> (u32, core::time::Duration, bool) {
    let r = reconnects(events);
    assert_eq!(r.len(), 1, "{events:?}");
    d.advance_to_instant(d.now + r[0].1);
    r[0]
}

#[test]
fn consecutive_failed_resumes_are_capped_then_invalidated() {
    let mut d = capped(3);
    d.handshake();
    d.advance_to(1_000);
    let mut attempts = Vec::new();
    d.server_close(Some(1006));
    loop {
        let events = d.drain_events();
        if let Some(reason) = invalidated(&events) {
            assert_eq!(reason, Invalidation::AttemptsExhausted { attempts: 3 });
            assert!(reconnects(&events).is_empty(), "{events:?}");
            break;
        }
        let (attempt, _, resume) = wait_reconnect(&mut d, &events);
        assert!(resume);
        attempts.push(attempt);
        assert!(attempts.len() <= 3, "cap exceeded: {attempts:?}");
        d.accept();
        assert_eq!(d.sent_ops(), vec![7], "always Resume, never Identify");
        d.server_text(HELLO);
        d.server_close(Some(1006)); // dropped again before Resumed
    }
    assert_eq!(attempts, vec![1, 2, 3]);
    assert_eq!(d.session.phase(), Phase::NeedsCredentials);
    d.advance(3_600_000);
    assert_eq!(d.poll_connect(), None);
    assert!(d.drain_transmits().is_empty());
}

#[test]
fn failed_connects_count_toward_the_cap() {
    let mut d = capped(3);
    d.handshake();
    d.server_close(None);
    let mut attempts = Vec::new();
    loop {
        let events = d.drain_events();
        if invalidated(&events).is_some() {
            break;
        }
        attempts.push(wait_reconnect(&mut d, &events).0);
        assert_eq!(d.poll_connect().as_deref(), Some(URL));
        d.server_close(None); // the connect itself fails
    }
    assert_eq!(attempts, vec![1, 2, 3]);
    assert_eq!(d.poll_connect(), None);
}

#[test]
fn a_resume_that_receives_a_new_message_resets_the_attempt_counter() {
    let mut d = capped(3);
    d.handshake();
    d.server_close(Some(1006));
    let events = d.drain_events();
    let (a1, _, _) = wait_reconnect(&mut d, &events);
    d.accept();
    d.server_close(Some(1006));
    let events = d.drain_events();
    let (a2, _, _) = wait_reconnect(&mut d, &events);
    assert_eq!((a1, a2), (1, 2));
    d.accept();
    d.drain_transmits();
    d.server_text(HELLO);
    d.server_text(RESUMED);
    assert_eq!(d.session.phase(), Phase::Active);
    // Resumed alone proves nothing: a drop now would be attempt 3.
    d.server_text(r#"{"op":13,"d":{"user_id":"1234"},"seq":0}"#);
    d.drain_events();
    // A message after the resume point: counting starts over, with an
    // immediate attempt 1, and three more in a row.
    d.server_close(Some(1006));
    let mut attempts = Vec::new();
    loop {
        let events = d.drain_events();
        if invalidated(&events).is_some() {
            break;
        }
        let r = wait_reconnect(&mut d, &events);
        if attempts.is_empty() {
            assert_eq!(r, (1, ms(0), true));
        }
        attempts.push(r.0);
        d.accept();
        d.server_close(Some(1006));
    }
    assert_eq!(attempts, vec![1, 2, 3]);
}

#[test]
fn new_credentials_start_from_seq_ack_minus_one_even_with_old_messages_queued() {
    let mut d = SessionPair::new();
    d.handshake();
    d.advance_to(1_000);
    // A message of the old session the owner has not taken yet.
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":7}"#);
    // A voice server change: new credentials before the owner caught up.
    d.session
        .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
    assert_eq!(
        d.drain_transmits(),
        vec![Transmit::Close(CloseCode(1000)), Transmit::Abort]
    );
    // The owner catches up: the old message is still delivered...
    assert_eq!(message_seqs(&d.drain_events()), vec![Some(7)]);
    d.accept();
    assert_eq!(d.sent_ops(), vec![0]);
    d.server_text(HELLO);
    d.server_text(READY);
    d.drain_events();
    // ...but the new session has seen nothing: its heartbeat says -1.
    d.advance_to(1_000 + 13_750);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    heartbeat(&sent[0], -1);
}

#[test]
fn new_credentials_reset_seq_ack_when_the_owner_is_caught_up() {
    let mut d = SessionPair::new();
    d.handshake();
    d.advance_to(1_000);
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":7}"#);
    assert_eq!(message_seqs(&d.drain_events()), vec![Some(7)]);
    d.session
        .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
    assert_eq!(
        d.drain_transmits(),
        vec![Transmit::Close(CloseCode(1000)), Transmit::Abort]
    );
    assert_eq!(
        d.drain_events(),
        vec![self_closed(1000)],
        "replacing credentials is no reconnect"
    );
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    assert_json(
        &sent[0],
        r#"{"op":0,"d":{"server_id":"41771983423143937","user_id":"104694319306248192","session_id":"new_session_id","token":"new_token","max_dave_protocol_version":1}}"#,
    );
    d.server_text(HELLO);
    d.server_text(READY);
    d.advance_to(1_000 + 13_750);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    heartbeat(&sent[0], -1);
    // A drop of the new session resumes it, with the new token.
    d.server_close(None);
    d.drain_events();
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    assert_json(
        &sent[0],
        r#"{"op":7,"d":{"server_id":"41771983423143937","session_id":"new_session_id","token":"new_token","seq_ack":-1}}"#,
    );
}
