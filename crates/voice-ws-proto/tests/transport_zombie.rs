//! Zombie detection: a heartbeat falls due while the previous one is still
//! unanswered, and the socket is dropped resumably.

mod common;

use common::{Pair, at, ms};
use voice_ws_proto::{CloseCode, State, Transmit, transport::Event};

fn speaking(seq: u16) -> String {
    format!(r#"{{"op":5,"d":{{"user_id":"1","ssrc":2,"speaking":1}},"seq":{seq}}}"#)
}

#[test]
fn withheld_ack_zombifies_exactly_when_the_next_beat_falls_due() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    p.expect_one_heartbeat(-1);

    // The server never answers.
    p.advance_to(27499);
    assert!(p.drain_transmits().is_empty());
    assert!(p.drain_events().is_empty(), "not 1 ms early");
    assert_eq!(p.t.state(), State::Open);

    p.advance_to(27500);
    assert_eq!(
        p.drain_events(),
        vec![
            Event::Zombified,
            Event::Disconnected {
                code: Some(CloseCode(4000)),
                by_self: true,
            },
        ]
    );
    assert_eq!(
        p.drain_transmits(),
        vec![Transmit::Close(CloseCode(4000)), Transmit::Abort]
    );
    assert_eq!(p.t.state(), State::Closed);
    assert_eq!(p.t.stats().heartbeats_missed, 1);
}

#[test]
fn no_heartbeats_after_the_zombie_verdict() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    p.expect_one_heartbeat(-1);
    p.advance_to(27500);
    p.drain_events();
    p.drain_transmits();

    assert_eq!(p.t.poll_timeout(), None);
    p.advance(10 * 13750);
    assert!(p.drain_transmits().is_empty());
    assert!(p.drain_events().is_empty());
    assert_eq!(p.t.stats().heartbeats_sent, 1);

    // A late server frame on the dead socket changes nothing either.
    p.server_text(r#"{"op":6,"d":{"t":13750}}"#);
    assert!(p.drain_events().is_empty());
}

#[test]
fn an_ack_just_before_the_due_time_keeps_the_socket_alive() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance_to(27499);
    p.server_ack(nonce);
    p.drain_events();
    p.advance_to(27500);
    p.expect_one_heartbeat(-1);
    assert!(p.drain_events().is_empty());
    assert_eq!(p.t.state(), State::Open);
}

#[test]
fn tolerance_3_zombifies_at_the_fourth_due_time() {
    let mut config = common::exact();
    config.heartbeat_tolerance = 3;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);

    for due in [13750, 27500, 41250] {
        p.advance_to(due);
        p.expect_one_heartbeat(-1);
        assert!(p.drain_events().is_empty(), "still alive at {due}");
    }
    p.advance_to(54999);
    assert!(p.drain_events().is_empty());
    p.advance_to(55000);
    assert_eq!(
        p.drain_events(),
        vec![
            Event::Zombified,
            Event::Disconnected {
                code: Some(CloseCode(4000)),
                by_self: true,
            },
        ]
    );
    assert_eq!(
        p.drain_transmits(),
        vec![Transmit::Close(CloseCode(4000)), Transmit::Abort]
    );
    assert_eq!(p.t.stats().heartbeats_missed, 3);
}

#[test]
fn tolerance_3_is_reset_by_an_ack() {
    let mut config = common::exact();
    config.heartbeat_tolerance = 3;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    p.advance_to(13750);
    p.expect_one_heartbeat(-1);
    p.advance_to(27500);
    p.expect_one_heartbeat(-1);
    p.advance_to(41250);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance(50);
    p.server_ack(nonce);
    p.drain_events();

    // Three more due times pass with beats before the next verdict.
    for due in [55000, 68750, 82500] {
        p.advance_to(due);
        p.expect_one_heartbeat(-1);
    }
    assert!(p.drain_events().is_empty());
    p.advance_to(96250);
    assert_eq!(p.drain_events()[0], Event::Zombified);
}

#[test]
fn tolerance_0_behaves_like_1() {
    let mut config = common::exact();
    config.heartbeat_tolerance = 0;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    p.advance_to(13750);
    p.expect_one_heartbeat(-1);
    p.advance_to(27499);
    assert!(p.drain_events().is_empty());
    p.advance_to(27500);
    assert_eq!(p.drain_events()[0], Event::Zombified);
}

#[test]
fn any_frame_is_alive_counts_other_frames_as_proof_of_life() {
    let mut config = common::exact();
    config.any_frame_is_alive = true;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    p.advance_to(13750);
    p.expect_one_heartbeat(-1);

    // No ACK, but the server talks.
    p.advance_to(20000);
    p.server_text(&speaking(1));
    p.drain_events();
    p.advance_to(27500);
    p.expect_one_heartbeat(1);
    assert!(p.drain_events().is_empty());
    assert_eq!(p.t.state(), State::Open);

    // And silence still kills it.
    p.advance_to(41250);
    assert_eq!(p.drain_events()[0], Event::Zombified);
}

#[test]
fn without_any_frame_is_alive_other_frames_do_not_count() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    p.expect_one_heartbeat(-1);
    p.advance_to(20000);
    p.server_text(&speaking(1));
    p.drain_events();
    p.advance_to(27500);
    assert_eq!(p.drain_events()[0], Event::Zombified);
}

#[test]

fn any_frame_is_alive_still_measures_rtt() {
    let mut config = common::exact();
    config.any_frame_is_alive = true;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    p.advance_to(13750);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance(33);
    p.server_ack(nonce);
    assert_eq!(p.drain_events(), vec![Event::HeartbeatAck { rtt: ms(33) }]);
    assert_eq!(p.t.rtt(), Some(ms(33)));
    assert_eq!(p.t.stats().heartbeats_acked, 1);
}

#[test]
fn a_new_socket_after_a_zombie_starts_a_fresh_heartbeat() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_text(&speaking(3));
    p.drain_events();
    p.advance_to(13750);
    p.expect_one_heartbeat(3);
    p.advance_to(27500);
    p.drain_events();
    p.drain_transmits();

    p.advance(500);
    p.open();
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#);
    assert_eq!(p.t.poll_timeout(), Some(at(28000 + 13750)));
    p.advance(13750);
    let nonce = p.expect_one_heartbeat(3);
    p.server_ack(nonce);
    p.advance(13750);
    p.expect_one_heartbeat(3);
    assert!(
        !p.drain_events().contains(&Event::Zombified),
        "the previous socket's unanswered beat does not carry over"
    );
}

/// A server that always answers 1.5 intervals late: with tolerance 2 each
/// late ACK echoes a nonce sent on this socket, proves it alive and clears
/// the count before the second unanswered beat falls due.
#[test]
fn a_server_slower_than_one_interval_is_alive_with_tolerance_2() {
    let mut config = common::exact();
    config.heartbeat_tolerance = 2;
    let mut p = Pair::with_config(config);
    p.open_with_hello(1000);
    let mut sent = Vec::new();
    for beat in 1..=10u64 {
        p.advance_to(beat * 1000);
        sent.push(p.expect_one_heartbeat(-1));
        // The ACK of the beat sent 1.5 intervals ago arrives now + 500 ms.
        if beat >= 2 {
            p.advance_to(beat * 1000 + 500);
            let late = sent[sent.len() - 2];
            p.server_text(&format!(r#"{{"op":6,"d":{{"t":{late}}}}}"#));
            let events = p.drain_events();
            assert_eq!(
                events,
                vec![Event::HeartbeatAck { rtt: ms(1500) }],
                "beat {beat}: RTT from the answered beat's own send time"
            );
        }
    }
    assert_eq!(p.t.state(), State::Open, "never a zombie");
    assert_eq!(p.t.rtt(), Some(ms(1500)));
    assert_eq!(p.t.stats().heartbeats_acked, 9);
}

/// The same server with tolerance 1 is a zombie at the second due time:
/// the default stays strict.
#[test]
fn a_server_slower_than_one_interval_is_a_zombie_with_tolerance_1() {
    let mut p = Pair::new();
    p.open_with_hello(1000);
    p.advance_to(1000);
    p.expect_one_heartbeat(-1);
    p.advance_to(2000);
    assert_eq!(p.drain_events()[0], Event::Zombified);
}

/// An ACK of a nonce this socket never sent (or sent on an earlier socket)
/// proves nothing.
#[test]
fn an_ack_of_a_foreign_nonce_proves_nothing() {
    let mut config = common::exact();
    config.heartbeat_tolerance = 2;
    let mut p = Pair::with_config(config);
    p.open_with_hello(1000);
    p.advance_to(1000);
    let old = p.expect_one_heartbeat(-1);
    p.server_close(Some(1006));
    p.drain_events();
    p.open_with_hello(1000);
    p.advance_to(2000);
    p.expect_one_heartbeat(-1);
    p.advance_to(2100);
    p.server_text(&format!(r#"{{"op":6,"d":{{"t":{old}}}}}"#));
    p.server_text(r#"{"op":6,"d":{"t":123456}}"#);
    assert!(p.drain_events().is_empty());
    p.advance_to(3000);
    p.expect_one_heartbeat(-1);
    p.advance_to(4000);
    assert_eq!(p.drain_events()[0], Event::Zombified);
}
