//! Limits and bad input: oversized and malformed frames, sends without a
//! socket, and every queue bounded.

mod common;

use bytes::Bytes;
use common::Pair;
use voice_ws_proto::codec::Speaking;
use voice_ws_proto::{
    ClientMessage, CloseCode, DecodeError, Instant, SendError, State, Transmit, transport::Event,
};

fn speaking_update(seq: u16) -> String {
    format!(r#"{{"op":5,"d":{{"user_id":"1","ssrc":2,"speaking":1}},"seq":{seq}}}"#)
}

fn speaking() -> ClientMessage {
    ClientMessage::Speaking(Speaking::new(1, 7))
}

// ---- size ----

#[test]
fn frame_over_max_message_size_closes_with_1009() {
    let mut config = common::exact();
    config.max_message_size = 64;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);

    // 65 bytes of otherwise valid JSON.
    let big = r#"{"op":18,"d":{"padding":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}"#;
    assert_eq!(big.len(), 65);
    p.server_text(big);
    assert_eq!(
        p.drain_events(),
        vec![
            Event::InvalidFrame(DecodeError::TooLarge { size: 65, max: 64 }),
            Event::Disconnected {
                code: Some(CloseCode(1009)),
                by_self: true,
            },
        ]
    );
    assert_eq!(
        p.drain_transmits(),
        vec![Transmit::Close(CloseCode(1009)), Transmit::Abort]
    );
    assert_eq!(p.t.state(), State::Closed);
}

#[test]
fn frame_of_exactly_max_message_size_is_accepted() {
    let mut config = common::exact();
    config.max_message_size = 64;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    let fits = r#"{"op":18,"d":{"padding":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}"#;
    assert_eq!(fits.len(), 64);
    p.server_text(fits);
    let events = p.drain_events();
    assert!(
        matches!(events.as_slice(), [Event::Message(_)]),
        "{events:?}"
    );
    assert_eq!(p.t.state(), State::Open);
}

#[test]
fn binary_frame_over_max_message_size_closes_with_1009() {
    let mut config = common::exact();
    config.max_message_size = 64;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    let mut frame = vec![0x00, 0x01, 25];
    frame.resize(65, 0xAB);
    p.server_binary(&frame);
    assert_eq!(
        p.drain_events(),
        vec![
            Event::InvalidFrame(DecodeError::TooLarge { size: 65, max: 64 }),
            Event::Disconnected {
                code: Some(CloseCode(1009)),
                by_self: true,
            },
        ]
    );
    assert_eq!(
        p.drain_transmits(),
        vec![Transmit::Close(CloseCode(1009)), Transmit::Abort]
    );
}

#[test]
fn oversized_message_refused_by_the_websocket_layer_closes_with_1009() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.t.handle_oversized(p.now, 5 << 20);
    assert_eq!(
        p.drain_events(),
        vec![
            Event::InvalidFrame(DecodeError::TooLarge {
                size: 5 << 20,
                max: 1 << 20,
            }),
            Event::Disconnected {
                code: Some(CloseCode(1009)),
                by_self: true,
            },
        ]
    );
    assert_eq!(
        p.drain_transmits(),
        vec![Transmit::Close(CloseCode(1009)), Transmit::Abort]
    );
}

#[test]
fn default_limit_leaves_room_for_large_mls_payloads() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    let mut welcome = vec![0x00, 0x01, 30, 0x00, 0x02];
    welcome.resize(256 * 1024, 0xAB);
    p.server_binary(&welcome);
    let events = p.drain_events();
    assert!(
        matches!(
            events.as_slice(),
            [Event::Message(m)] if m.message.op() == 30
        ),
        "{events:?}"
    );
}

// ---- malformed input ----

#[test]
fn malformed_frames_are_reported_and_the_socket_stays_up() {
    let mut p = Pair::new();
    p.open();
    p.drain_events();
    p.server_text("not json");
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":0}}"#);
    p.server_text(r#"{"d":null}"#);
    p.server_binary(&[0x00, 0x01]);
    p.server_binary(&[0x00, 0x01, 29, 0x12]);

    let events = p.drain_events();
    assert_eq!(events.len(), 5, "{events:?}");
    assert!(matches!(
        events[0],
        Event::InvalidFrame(DecodeError::Json { .. })
    ));
    assert!(matches!(
        events[1],
        Event::InvalidFrame(DecodeError::Json { .. })
    ));
    assert!(matches!(
        events[2],
        Event::InvalidFrame(DecodeError::Json { .. })
    ));
    assert_eq!(
        events[3],
        Event::InvalidFrame(DecodeError::BinaryTooShort { len: 2 })
    );
    assert_eq!(
        events[4],
        Event::InvalidFrame(DecodeError::MissingTransitionId { op: 29, len: 1 })
    );
    assert_eq!(p.t.stats().invalid_frames, 5);
    assert_eq!(p.t.state(), State::Open);
    assert!(p.drain_transmits().is_empty(), "no close for bad input");

    // A later Hello still works: the first beat comes one interval after it.
    p.advance(1000);
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#);
    p.advance(13749);
    assert!(p.drain_transmits().is_empty());
    p.advance(1);
    p.expect_one_heartbeat(-1);
}

#[test]
fn a_malformed_frame_does_not_move_seq_ack() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_text(&speaking_update(4));
    p.server_text(r#"{"op":5,"d":{"ssrc":"x"},"seq":5}"#);
    p.drain_events();
    assert_eq!(p.t.seq_ack(), Some(4));
}

// ---- sends ----

#[test]
fn send_without_an_open_socket_is_refused() {
    let mut p = Pair::new();
    assert_eq!(p.t.send(speaking()), Err(SendError::NotOpen));
    assert_eq!(p.t.send_text("{}".into()), Err(SendError::NotOpen));
    assert_eq!(
        p.t.send_binary(Bytes::from_static(&[26, 1])),
        Err(SendError::NotOpen)
    );

    p.open_with_hello(13750);
    p.server_close(Some(4015));
    assert_eq!(p.t.send(speaking()), Err(SendError::NotOpen));

    p.open();
    p.t.close(p.now, CloseCode::NORMAL);
    assert_eq!(p.t.send(speaking()), Err(SendError::NotOpen));
    assert_eq!(p.drain_transmits(), vec![Transmit::Close(CloseCode(1000))]);
}

#[test]
fn send_on_an_open_socket_queues_the_literal_frame() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.t.send(speaking()).expect("open socket");
    p.t.send_binary(Bytes::from_static(&[26, 9, 9]))
        .expect("open socket");
    assert_eq!(
        p.drain_transmits(),
        vec![
            Transmit::Text(r#"{"op":5,"d":{"speaking":1,"delay":0,"ssrc":7}}"#.into()),
            Transmit::Binary(Bytes::from_static(&[26, 9, 9])),
        ]
    );
}

#[test]
fn full_outbound_queue_refuses_sends() {
    let mut config = common::exact();
    config.max_outbound_frames = 2;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    assert_eq!(p.t.send(speaking()), Ok(()));
    assert_eq!(p.t.send(speaking()), Ok(()));
    assert_eq!(p.t.send(speaking()), Err(SendError::QueueFull { bound: 2 }));
    assert_eq!(
        p.t.send_text("{}".into()),
        Err(SendError::QueueFull { bound: 2 })
    );
    assert_eq!(
        p.drain_transmits().len(),
        2,
        "the refused send was not queued"
    );

    // Draining makes room again.
    assert_eq!(p.t.send(speaking()), Ok(()));
}

#[test]
fn heartbeat_goes_out_even_when_the_outbound_queue_is_full() {
    let mut config = common::exact();
    config.max_outbound_frames = 2;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    p.t.send(speaking()).expect("room");
    p.t.send(speaking()).expect("room");
    p.advance_to(13750);
    let sent = p.drain_transmits();
    assert_eq!(sent.len(), 3, "{sent:?}");
    common::heartbeat_nonce(&sent[2], -1);
}

// ---- pending events ----

#[test]
fn owner_falling_behind_drops_the_socket_resumably() {
    let mut config = common::exact();
    config.max_pending_events = 4;
    let mut p = Pair::with_config(config);
    p.open();
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#);
    // Connected and Hello wait; the owner does not drain.
    for seq in 1..=10 {
        p.server_text(&speaking_update(seq));
    }
    assert_eq!(
        p.drain_transmits(),
        vec![Transmit::Close(CloseCode(4000)), Transmit::Abort]
    );
    assert_eq!(p.t.state(), State::Closed);
    // Connected, Hello, 1 and 2 filled the queue: 3 was refused, so the
    // last message received is 2.
    assert_eq!(p.t.seq_ack(), Some(2), "only what fitted is received");
    assert_eq!(p.t.stats().messages_refused, 1);

    let events = p.drain_events();
    assert!(
        events.len() <= 4 + 2,
        "the queue stayed bounded: {events:?}"
    );
    assert_eq!(
        events.last(),
        Some(&Event::Disconnected {
            code: Some(CloseCode(4000)),
            by_self: true,
        })
    );
    // Nothing past the last message delivered is acknowledged, so a Resume
    // gets the rest replayed.
    let delivered = common::message_seqs(&events);
    let last = delivered.iter().flatten().last().copied();
    assert_eq!(p.t.seq_ack(), last);
    assert!(last < Some(10));

    // The Resume carries that seq_ack; the server replays everything after
    // it, and an owner that keeps up gets each message once.
    p.open();
    let resume_from = last.map_or(1, |s| s + 1);
    let mut replayed = Vec::new();
    for seq in resume_from..=10 {
        p.server_text(&speaking_update(seq));
        replayed.extend(common::message_seqs(&p.drain_events()));
    }
    let expected: Vec<Option<u16>> = (resume_from..=10).map(Some).collect();
    assert_eq!(replayed, expected);
}

#[test]
fn draining_in_time_keeps_the_socket_up() {
    let mut config = common::exact();
    config.max_pending_events = 4;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    for seq in 1..=100 {
        p.server_text(&speaking_update(seq));
        p.drain_events();
    }
    assert_eq!(p.t.state(), State::Open);
    assert!(p.drain_transmits().is_empty());
    assert_eq!(p.t.seq_ack(), Some(100));
}

#[test]
fn frames_without_a_socket_are_ignored() {
    let mut p = Pair::new();
    p.server_text(&speaking_update(1));
    p.server_binary(&[0, 2, 25]);
    p.t.handle_timeout(Instant::from_millis(1_000_000));
    assert!(p.drain_events().is_empty());
    assert!(p.drain_transmits().is_empty());
    assert_eq!(p.t.stats().frames_in, 0);
    assert_eq!(p.t.seq_ack(), None);
}

#[test]
fn stats_count_frames_and_bytes() {
    let mut p = Pair::new();
    p.open();
    let hello = r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#;
    p.server_text(hello);
    p.server_binary(&[0, 1, 25, 1, 2]);
    p.t.send_text(r#"{"op":5}"#.into()).expect("open");
    p.drain_transmits();
    let stats = p.t.stats();
    assert_eq!(stats.frames_in, 2);
    assert_eq!(stats.bytes_in, hello.len() as u64 + 5);
    assert_eq!(stats.frames_out, 1);
    assert_eq!(stats.bytes_out, 8);
}
