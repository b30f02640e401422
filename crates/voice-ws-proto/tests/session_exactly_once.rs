//! Exactly-once, in-order delivery across resumes, with `seq_ack` the last
//! message received (docs/protocol.md, "seq_ack"). Each scenario is one the
//! issue tracker named: a first seq near the wrap with nothing taken, a
//! full queue at the moment of the drop, and a drop in the middle of a
//! replay. The server in each is lax on purpose where that is harder for
//! the client (it replays more than the Resume asked for).

#![allow(clippy::unwrap_used)]

mod session_harness;

use session_harness::*;
use voice_ws_proto::{CloseCode, Event, Phase, Transmit};

/// Client Disconnect (op 13) with `seq`, as the server sends it.
fn numbered(seq: u16) -> String {
    format!(r#"{{"op":13,"d":{{"user_id":"1234"}},"seq":{seq}}}"#)
}

#[test]
fn first_seq_65533_with_nothing_taken_before_the_drop() {
    let mut d = SessionPair::new();
    d.handshake();
    for seq in [65533, 65534, 65535, 0] {
        d.server_text(&numbered(seq));
    }
    // The application took nothing; the socket drops.
    d.server_close(None);
    // The Resume acknowledges what was received, across the wrap.
    d.resume_keeping_events(0);
    // A server replaying from the session's first message anyway.
    for seq in [65533, 65534, 65535, 0, 1, 2] {
        d.server_text(&numbered(seq));
    }
    let events = d.drain_events();
    assert_eq!(
        message_seqs(&events),
        [65533, 65534, 65535, 0, 1, 2].map(Some),
        "each once, in order, through the wrap: {events:?}"
    );
    assert_eq!(d.session.stats().duplicates_skipped, 4);
    assert_eq!(d.session.seq_ack(), Some(2));
}

#[test]
fn a_full_queue_at_the_moment_of_the_drop() {
    let mut c = config();
    c.transport.max_pending_events = 8;
    let mut d = SessionPair::with_config(c);
    d.handshake();
    // The application stops reading. 1..=8 fill the queue; 9 is refused.
    for seq in 1..=9 {
        d.server_text(&numbered(seq));
    }
    assert_eq!(
        d.drain_transmits(),
        vec![Transmit::Close(CloseCode(4000)), Transmit::Abort],
        "dropped resumably"
    );
    assert_eq!(d.session.seq_ack(), Some(8), "9 was not received");
    assert_eq!(d.session.stats().messages_refused, 1);
    // No new socket while the application is not reading.
    d.advance(60_000);
    assert_eq!(d.poll_connect(), None);
    assert_eq!(d.session.phase(), Phase::WaitingToReconnect);

    // It reads; the next look (one backoff step later) reconnects.
    let mut delivered = message_seqs(&d.drain_events());
    d.advance(1_000);
    d.resume_keeping_events(8);
    // Discord replays after 8; the server's 10..=12 are new.
    for seq in 9..=12 {
        d.server_text(&numbered(seq));
    }
    delivered.extend(message_seqs(&d.drain_events()));
    let all: Vec<Option<u16>> = (1..=12).map(Some).collect();
    assert_eq!(delivered, all, "nothing lost, nothing twice");
}

#[test]
fn a_drop_in_the_middle_of_a_replay() {
    let mut d = SessionPair::new();
    d.handshake();
    for seq in 1..=3 {
        d.server_text(&numbered(seq));
    }
    let mut delivered = message_seqs(&d.drain_events());
    // Dropped; meanwhile the server buffered 4..=8 for us.
    d.server_close(Some(1006));
    d.resume_keeping_events(3);
    for seq in 4..=6 {
        d.server_text(&numbered(seq));
    }
    // Dropped again halfway through the replay; the application has not
    // read anything of it yet.
    d.server_close(Some(1006));
    let events = d.drain_events();
    assert!(
        events.contains(&Event::Reconnecting {
            attempt: 1,
            delay: ms(0),
            resume: true
        }),
        "the replay was progress: attempts start again: {events:?}"
    );
    delivered.extend(message_seqs(&events));
    d.resume_keeping_events(6);
    // A lax server replays from 4 again; only 7 and 8 are new.
    for seq in 4..=8 {
        d.server_text(&numbered(seq));
    }
    delivered.extend(message_seqs(&d.drain_events()));
    let all: Vec<Option<u16>> = (1..=8).map(Some).collect();
    assert_eq!(delivered, all);
}

#[test]
fn messages_queued_before_new_credentials_are_still_delivered_once() {
    let mut d = SessionPair::new();
    d.handshake();
    d.server_text(&numbered(7));
    // A voice server change before the application read seq 7.
    d.session
        .update_credentials(d.now, credentials_with("new_session_id", "new_token"));
    d.accept();
    assert_eq!(d.sent_ops(), vec![0]);
    d.server_text(HELLO);
    d.server_text(READY);
    // The new session numbers from wherever it likes; 7 is new there.
    d.server_text(&numbered(7));
    let events = d.drain_events();
    assert_eq!(message_seqs(&events), vec![Some(7), Some(7)], "{events:?}");
}
