//! v8 sequence acknowledgement: what heartbeats carry, and replay after a
//! resume delivering each message once.

mod common;

use common::{Pair, message_seqs};
use voice_ws_proto::transport::Event;

/// Server messages with the seqs a test needs (Speaking, op 5).
fn speaking(seq: u16) -> String {
    format!(r#"{{"op":5,"d":{{"user_id":"1","ssrc":2,"speaking":1}},"seq":{seq}}}"#)
}

/// Moves the clock to the next multiple of 13750 ms, expects the heartbeat
/// due there to carry `seq_ack`, and acknowledges it.
fn next_beat(p: &mut Pair, seq_ack: i32) {
    let next = (p.now_ms() / 13750 + 1) * 13750;
    p.advance_to(next);
    let nonce = p.expect_one_heartbeat(seq_ack);
    p.server_ack(nonce);
}

#[test]
fn json_seq_received_goes_into_the_next_heartbeat() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance(1000);
    p.server_text(&speaking(7));
    assert_eq!(message_seqs(&p.drain_events()), vec![Some(7)]);
    assert_eq!(p.t.seq_ack(), Some(7));
    next_beat(&mut p, 7);
}

#[test]
fn binary_seq_moves_seq_ack_like_json() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance(1000);
    p.server_binary(&[0x00, 0x09, 25, 0xAA]);
    assert_eq!(message_seqs(&p.drain_events()), vec![Some(9)]);
    next_beat(&mut p, 9);
}

#[test]
fn json_and_binary_share_one_sequence_space() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_text(&speaking(10));
    p.server_binary(&[0x00, 0x0B, 27, 1, 2]);
    p.drain_events();
    next_beat(&mut p, 11);
    p.server_binary(&[0x00, 0x0C, 30, 0x00, 0x01, 0xFF]);
    p.server_text(&speaking(13));
    p.drain_events();
    next_beat(&mut p, 13);
}

#[test]
fn binary_seq_0x7b00_is_counted() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_binary(&[0x7B, 0x00, 25, b'{']);
    p.drain_events();
    next_beat(&mut p, 0x7B00);
}

#[test]
fn seq_0_is_a_real_sequence_number() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_text(&speaking(0));
    p.drain_events();
    assert_eq!(p.t.seq_ack(), Some(0));
    next_beat(&mut p, 0);
}

#[test]
fn seq_wraps_from_65535_to_0() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_text(&speaking(65534));
    p.server_text(&speaking(65535));
    p.drain_events();
    next_beat(&mut p, 65535);
    p.server_text(&speaking(0));
    p.drain_events();
    next_beat(&mut p, 0);
    p.server_binary(&[0x00, 0x01, 27]);
    p.drain_events();
    next_beat(&mut p, 1);
}

#[test]
fn unsequenced_messages_do_not_move_seq_ack() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_text(&speaking(3));
    p.drain_events();
    p.server_text(r#"{"op":9,"d":null}"#);
    p.server_text(r#"{"op":18,"d":{}}"#);
    p.drain_events();
    assert_eq!(p.t.seq_ack(), Some(3));
    next_beat(&mut p, 3);
}

#[test]
fn seq_ack_is_the_last_message_received_not_the_last_taken() {
    // Discord: seq_ack is the last numbered message received.
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance(1000);
    p.server_text(&speaking(5));
    assert_eq!(p.t.seq_ack(), Some(5));
    // Not drained yet: the heartbeat acknowledges it all the same.
    p.advance_to(13750);
    let sent = p.drain_transmits();
    let nonce = common::heartbeat_nonce(&sent[0], 5);
    p.server_ack(nonce);
    let events = p.drain_events();
    assert_eq!(message_seqs(&events), vec![Some(5)]);
    assert_eq!(p.t.seq_ack(), Some(5));
}

#[test]
fn seq_ack_moves_as_each_message_is_received() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    for seq in [1, 2, 3] {
        p.server_text(&speaking(seq));
        assert_eq!(p.t.seq_ack(), Some(seq));
    }
    for seq in [1, 2, 3] {
        match p.t.poll_event() {
            Some(Event::Message(m)) => assert_eq!(m.seq, Some(seq)),
            other => panic!("expected message {seq}, got {other:?}"),
        }
    }
}

#[test]
fn seq_ack_survives_a_socket_drop() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_text(&speaking(41));
    p.drain_events();
    p.advance(2000);
    p.server_close(None);
    p.drain_events();

    p.advance(1000);
    p.open_with_hello(13750);
    assert_eq!(p.t.seq_ack(), Some(41));
    p.advance(13750);
    p.expect_one_heartbeat(41);
}

#[test]
fn messages_queued_before_a_drop_are_delivered_once_despite_a_replay() {
    let mut p = Pair::new();
    p.open();
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#);
    for seq in [10, 11, 12] {
        p.server_text(&speaking(seq));
    }
    // The owner takes Connected, Hello and seq 10, then the socket drops.
    for _ in 0..3 {
        p.t.poll_event();
    }
    assert_eq!(
        p.t.seq_ack(),
        Some(12),
        "11 and 12 are received, only queued"
    );
    p.advance(100);
    p.server_close(None);

    // Reconnect. A server that replays more than the Resume asked for
    // (from 11) must not make 11 and 12 arrive twice.
    p.advance(1000);
    p.open();
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#);
    p.server_text(r#"{"op":9,"d":null}"#);
    for seq in [11, 12, 13] {
        p.server_text(&speaking(seq));
    }

    let events = p.drain_events();
    assert_eq!(
        message_seqs(&events),
        vec![Some(11), Some(12), None, None, Some(13)],
        "{events:?}"
    );
    assert_eq!(p.t.stats().duplicates_skipped, 2);
    assert_eq!(p.t.seq_ack(), Some(13));
}

#[test]
fn replayed_binary_messages_are_skipped_too() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_binary(&[0x00, 0x05, 25, 1]);
    p.server_binary(&[0x00, 0x06, 27, 2]);
    p.server_close(Some(1006));
    p.open();
    p.server_binary(&[0x00, 0x05, 25, 1]);
    p.server_binary(&[0x00, 0x06, 27, 2]);
    p.server_binary(&[0x00, 0x07, 27, 3]);
    let events = p.drain_events();
    assert_eq!(
        message_seqs(&events),
        vec![Some(5), Some(6), Some(7)],
        "{events:?}"
    );
    assert_eq!(p.t.stats().duplicates_skipped, 2);
}

#[test]
fn nothing_is_skipped_when_everything_was_taken_before_the_drop() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_text(&speaking(10));
    p.server_text(&speaking(11));
    p.drain_events();
    p.server_close(None);
    p.drain_events();

    p.open();
    p.server_text(r#"{"op":9,"d":null}"#);
    p.server_text(&speaking(12));
    p.server_text(&speaking(13));
    let events = p.drain_events();
    assert_eq!(
        message_seqs(&events),
        vec![None, Some(12), Some(13)],
        "{events:?}"
    );
    assert_eq!(p.t.stats().duplicates_skipped, 0);
}

#[test]

fn new_messages_are_delivered_when_the_owner_caught_up_before_the_replay() {
    // Received 10, 11, 12; only 10 taken when the socket drops. After the new
    // socket opens the owner drains 11 and 12 before its Resume goes out, so
    // the Resume carries seq_ack 12 and the server has nothing to replay: the
    // next message, 13, is new and must be delivered.
    let mut p = Pair::new();
    p.open_with_hello(13750);
    for seq in [10, 11, 12] {
        p.server_text(&speaking(seq));
    }
    let first = p.t.poll_event();
    assert!(
        matches!(&first, Some(Event::Message(m)) if m.seq == Some(10)),
        "{first:?}"
    );
    p.server_close(None);

    p.open();
    let before_resume = p.drain_events();
    assert_eq!(message_seqs(&before_resume), vec![Some(11), Some(12)]);
    assert_eq!(p.t.seq_ack(), Some(12), "the Resume carries 12");

    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#);
    p.server_text(r#"{"op":9,"d":null}"#);
    p.server_text(&speaking(13));
    p.server_text(&speaking(14));
    let events = p.drain_events();
    assert_eq!(
        message_seqs(&events),
        vec![None, None, Some(13), Some(14)],
        "new messages after a resume with nothing to replay were dropped: {events:?}"
    );
    assert_eq!(p.t.stats().duplicates_skipped, 0);
}

#[test]
fn a_replay_from_before_the_resume_point_is_skipped() {
    // Received 10, 11, 12; only 10 taken when the socket drops. The Resume
    // carries 12. A server that replays 11 and 12 anyway, then sends the
    // new 13: each of 11, 12, 13 reaches the owner exactly once.
    let mut p = Pair::new();
    p.open_with_hello(13750);
    for seq in [10, 11, 12] {
        p.server_text(&speaking(seq));
    }
    p.t.poll_event();
    p.server_close(None);

    p.open();
    assert_eq!(p.t.seq_ack(), Some(12), "the Resume carries 12");
    let took = p.t.poll_event();
    assert!(
        matches!(&took, Some(Event::Message(m)) if m.seq == Some(11)),
        "{took:?}"
    );

    for seq in [11, 12, 13] {
        p.server_text(&speaking(seq));
    }
    let events = p.drain_events();
    assert_eq!(
        message_seqs(&events),
        vec![Some(12), Some(13)],
        "a replayed message was delivered twice: {events:?}"
    );
    assert_eq!(p.t.stats().duplicates_skipped, 2);
}
