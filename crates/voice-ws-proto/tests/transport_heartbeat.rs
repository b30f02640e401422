//! Heartbeat schedule, nonces and RTT, driven by a virtual clock.

mod common;

use common::{Pair, at, ms};
use std::collections::HashSet;
use voice_ws_proto::transport::FirstHeartbeat;
use voice_ws_proto::{TransportConfig, transport::Event};

const HELLO: &str = r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#;

#[test]
fn first_heartbeat_goes_out_one_interval_after_hello() {
    let mut p = Pair::new();
    p.open();
    p.server_text(HELLO);
    p.drain_events();
    assert!(
        p.drain_transmits().is_empty(),
        "nothing before the interval"
    );
    assert_eq!(p.t.heartbeat_interval(), Some(ms(13750)));

    p.advance(13749);
    assert!(p.drain_transmits().is_empty(), "nothing at 13749 ms");

    p.advance(1);
    assert_eq!(p.now_ms(), 13750);
    p.expect_one_heartbeat(-1);
    assert_eq!(p.t.stats().heartbeats_sent, 1);
}

#[test]
fn by_default_beats_go_out_on_the_last_coalescing_step_before_their_time() {
    // A lone connection (the default count): the 100 ms cap is the step.
    let mut p = Pair::with_config(TransportConfig::default());
    p.advance_to(40);
    p.open();
    p.server_text(HELLO);
    p.drain_events();
    // Due 13,790 ms (Hello at 40 + 13,750): out at 13,700.
    assert_eq!(p.t.poll_timeout(), Some(at(13_700)));
    p.advance_to(13_699);
    assert!(p.drain_transmits().is_empty(), "not before the step");
    p.advance_to(13_700);
    let nonce = p.expect_one_heartbeat(-1);
    p.server_ack(nonce);
    // The next is due 27,540 (not 13,750 after the send): out at 27,500.
    assert_eq!(p.t.poll_timeout(), Some(at(27_500)));

    // 15,000 connections on the runtime, each beating every 13.75 s: about
    // 100 beats fall due in 92 ms, so the step is 50 ms.
    p.t.set_runtime_connections(15_000);
    assert_eq!(p.t.poll_timeout(), Some(at(27_500)));
    p.t.set_runtime_connections(150_000);
    // 9.2 ms: the 5 ms step, 27,540 → 27,540.
    assert_eq!(p.t.poll_timeout(), Some(at(27_540)));
}

#[test]
fn first_heartbeat_can_go_out_right_after_hello() {
    let mut config = common::exact();
    config.first_heartbeat = FirstHeartbeat::Immediately;
    let mut p = Pair::with_config(config);
    p.advance_to(500);
    p.open();
    p.server_text(HELLO);
    // The owner drains, then sleeps until poll_timeout: that is now.
    assert_eq!(p.t.poll_timeout(), Some(at(500)));
    p.advance(0);
    let nonce = p.expect_one_heartbeat(-1);
    p.server_ack(nonce);

    // Then the regular cadence from there.
    p.advance(13749);
    assert!(p.drain_transmits().is_empty());
    p.advance(1);
    assert_eq!(p.now_ms(), 14250);
    p.expect_one_heartbeat(-1);
}

#[test]
fn hello_float_interval_drives_the_schedule() {
    let mut p = Pair::new();
    p.open();
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":13750.0,"v":8}}"#);
    p.advance(13749);
    assert!(p.drain_transmits().is_empty());
    p.advance(1);
    p.expect_one_heartbeat(-1);
}

#[test]
fn cadence_does_not_drift_when_the_owner_wakes_late() {
    let mut p = Pair::new();
    p.open_with_hello(13750);

    // The owner oversleeps by 10 ms; the beat goes out then...
    p.wake_late_at(13760);
    let n1 = p.expect_one_heartbeat(-1);
    p.advance(30);
    p.server_ack(n1);

    // ...but the next is still due at 2 x 13750, not 13760 + 13750.
    assert_eq!(p.t.poll_timeout(), Some(at(27500)));
    p.advance_to(27499);
    assert!(p.drain_transmits().is_empty());
    p.advance_to(27500);
    let n2 = p.expect_one_heartbeat(-1);
    p.server_ack(n2);

    p.advance_to(41249);
    assert!(p.drain_transmits().is_empty());
    p.advance_to(41250);
    p.expect_one_heartbeat(-1);
}

#[test]
fn beats_at_every_multiple_of_the_interval() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    for k in 1..=10u64 {
        p.advance_to(13750 * k - 1);
        assert!(p.drain_transmits().is_empty(), "early beat before {k}");
        p.advance(1);
        let nonce = p.expect_one_heartbeat(-1);
        p.advance(5);
        p.server_ack(nonce);
    }
    assert_eq!(p.t.stats().heartbeats_sent, 10);
    assert_eq!(p.t.stats().heartbeats_acked, 10);
}

#[test]
fn late_owner_skipping_several_intervals_sends_one_beat_not_a_burst() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    let n1 = p.expect_one_heartbeat(-1);
    p.server_ack(n1);

    // The owner sleeps through the slots at 27500 and 41250.
    p.wake_late_at(55100);
    p.expect_one_heartbeat(-1);
    assert!(
        !p.drain_events().contains(&Event::Zombified),
        "a late owner is not a dead server"
    );
    // The next slot keeps the original grid.
    assert_eq!(p.t.poll_timeout(), Some(at(68750)));
}

#[test]
fn nonces_are_integers_below_2_pow_53_and_unique() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    let mut seen = HashSet::new();
    for k in 1..=5u64 {
        p.advance_to(13750 * k);
        let nonce = p.expect_one_heartbeat(-1);
        assert!(seen.insert(nonce), "nonce {nonce} reused");
        p.server_ack(nonce);
    }
    // Beats requested within the same millisecond still get their own nonce.
    for _ in 0..3 {
        p.t.heartbeat_now(p.now);
        let nonce = p.expect_one_heartbeat(-1);
        assert!(seen.insert(nonce), "nonce {nonce} reused");
        p.server_ack(nonce);
    }
}

#[test]
fn ack_with_the_right_nonce_measures_rtt() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    let nonce = p.expect_one_heartbeat(-1);

    p.advance(42);
    p.server_ack(nonce);
    assert_eq!(p.drain_events(), vec![Event::HeartbeatAck { rtt: ms(42) }]);
    assert_eq!(p.t.rtt(), Some(ms(42)));
    let stats = p.t.stats();
    assert_eq!(stats.heartbeats_sent, 1);
    assert_eq!(stats.heartbeats_acked, 1);
    assert_eq!(stats.heartbeats_missed, 0);
}

#[test]
fn ack_as_bare_integer_counts_too() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance(7);
    p.server_text(&format!(r#"{{"op":6,"d":{nonce}}}"#));
    assert_eq!(p.drain_events(), vec![Event::HeartbeatAck { rtt: ms(7) }]);
}

#[test]
fn rtt_is_measured_from_send_time_even_when_the_beat_was_late() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.wake_late_at(13800);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance(20);
    p.server_ack(nonce);
    assert_eq!(p.drain_events(), vec![Event::HeartbeatAck { rtt: ms(20) }]);
}

#[test]
fn ack_with_a_wrong_nonce_does_not_count() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance(10);
    p.server_ack(nonce + 1);
    assert!(p.drain_events().is_empty());
    assert_eq!(p.t.rtt(), None);
    assert_eq!(p.t.stats().heartbeats_acked, 0);

    // It really did not count: the next due time finds the beat unanswered.
    p.advance_to(27500);
    assert_eq!(p.drain_events()[0], Event::Zombified);
}

#[test]
fn ack_with_a_stale_nonce_does_not_count() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    let n1 = p.expect_one_heartbeat(-1);
    p.server_ack(n1);
    p.drain_events();

    p.advance_to(27500);
    let n2 = p.expect_one_heartbeat(-1);
    assert_ne!(n1, n2);
    p.advance(10);
    p.server_ack(n1);
    assert!(p.drain_events().is_empty(), "the ACK for the previous beat");
    assert_eq!(p.t.stats().heartbeats_acked, 1);

    p.advance_to(41250);
    assert_eq!(p.drain_events()[0], Event::Zombified);
}

#[test]
fn repeated_ack_counts_once() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance(10);
    p.server_ack(nonce);
    p.advance(10);
    p.server_ack(nonce);
    assert_eq!(p.drain_events(), vec![Event::HeartbeatAck { rtt: ms(10) }]);
    assert_eq!(p.t.stats().heartbeats_acked, 1);
    assert_eq!(p.t.rtt(), Some(ms(10)));
}

#[test]
fn ack_before_any_heartbeat_is_ignored() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance(100);
    p.server_ack(0);
    p.server_ack(100);
    assert!(p.drain_events().is_empty());
    assert_eq!(p.t.stats().heartbeats_acked, 0);
}

#[test]
fn ack_is_an_event_of_its_own_not_a_message() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13750);
    let nonce = p.expect_one_heartbeat(-1);
    p.server_ack(nonce);
    let events = p.drain_events();
    assert!(
        !events.iter().any(|e| matches!(e, Event::Message(_))),
        "{events:?}"
    );
}

#[test]
fn early_and_repeated_handle_timeout_do_nothing() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    for t in [0, 1, 5000, 13749] {
        p.t.handle_timeout(at(t));
    }
    assert!(p.drain_transmits().is_empty());
    assert_eq!(p.t.poll_timeout(), Some(at(13750)));

    p.t.handle_timeout(at(13750));
    p.t.handle_timeout(at(13750));
    p.t.handle_timeout(at(13751));
    p.now = at(13751);
    p.expect_one_heartbeat(-1);
    assert_eq!(p.t.poll_timeout(), Some(at(27500)));
}

#[test]
fn no_heartbeat_before_hello() {
    let mut p = Pair::new();
    p.open();
    assert_eq!(p.t.poll_timeout(), None);
    p.advance(60_000);
    assert!(p.drain_transmits().is_empty());
    assert_eq!(p.t.heartbeat_interval(), None);
}

#[test]
fn heartbeat_now_beats_at_once_and_restarts_the_cadence() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(1000);
    p.t.heartbeat_now(p.now);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance(15);
    p.server_ack(nonce);
    assert_eq!(p.drain_events(), vec![Event::HeartbeatAck { rtt: ms(15) }]);

    // The next one is one interval after the requested beat, not at 13750.
    p.advance_to(14749);
    assert!(p.drain_transmits().is_empty());
    p.advance_to(14750);
    p.expect_one_heartbeat(-1);
}

#[test]
fn heartbeat_now_works_before_hello() {
    let mut p = Pair::new();
    p.open();
    p.advance(300);
    p.t.heartbeat_now(p.now);
    let nonce = p.expect_one_heartbeat(-1);
    p.advance(25);
    p.server_ack(nonce);
    assert_eq!(
        p.drain_events(),
        vec![Event::Connected, Event::HeartbeatAck { rtt: ms(25) }]
    );
}

#[test]
fn heartbeat_in_moves_the_next_beat() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(1000);
    p.t.heartbeat_in(p.now, ms(500));
    assert_eq!(p.t.poll_timeout(), Some(at(1500)));
    p.advance_to(1499);
    assert!(p.drain_transmits().is_empty());
    p.advance_to(1500);
    let nonce = p.expect_one_heartbeat(-1);
    p.server_ack(nonce);

    // Then the cadence continues one interval on from that beat.
    p.advance_to(15249);
    assert!(p.drain_transmits().is_empty());
    p.advance_to(15250);
    p.expect_one_heartbeat(-1);
}

#[test]
fn heartbeat_commands_without_a_socket_do_nothing() {
    let mut p = Pair::new();
    p.t.heartbeat_now(p.now);
    p.t.heartbeat_in(p.now, ms(10));
    p.advance(1000);
    assert!(p.drain_transmits().is_empty());
    assert_eq!(p.t.poll_timeout(), None);
}

#[test]
fn a_new_socket_waits_for_its_own_hello() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance(5000);
    p.server_close(Some(4015));
    p.drain_events();
    p.advance(1000);
    p.open();
    assert_eq!(p.t.poll_timeout(), None, "no beat before the new Hello");
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":5000,"v":8}}"#);
    p.advance(4999);
    assert!(p.drain_transmits().is_empty());
    p.advance(1);
    p.expect_one_heartbeat(-1);
    assert_eq!(p.t.heartbeat_interval(), Some(ms(5000)));
}
