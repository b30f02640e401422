//! Closing a socket: gracefully, by the server, and at once (force_close).

mod common;

use bytes::Bytes;
use common::{Pair, at};
use voice_ws_proto::codec::Speaking;
use voice_ws_proto::{ClientMessage, CloseCode, SendError, State, Transmit, transport::Event};

fn speaking() -> ClientMessage {
    ClientMessage::Speaking(Speaking::new(1, 1))
}

#[test]
fn close_sends_a_close_frame_and_waits_for_the_server() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(1000);
    p.t.close(p.now, CloseCode::NORMAL);
    assert_eq!(p.drain_transmits(), vec![Transmit::Close(CloseCode(1000))]);
    assert_eq!(p.t.state(), State::CloseSent);
    assert!(p.drain_events().is_empty(), "not disconnected yet");

    // The server answers with its close frame.
    p.advance(40);
    p.server_close(Some(1000));
    assert_eq!(
        p.drain_events(),
        vec![Event::Disconnected {
            code: Some(CloseCode(1000)),
            by_self: true,
        }]
    );
    assert_eq!(p.t.state(), State::Closed);
    assert!(p.drain_transmits().is_empty());
    assert_eq!(p.t.poll_timeout(), None);
}

#[test]
fn while_closing_no_heartbeats_go_out() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(13000);
    p.t.close(p.now, CloseCode::NORMAL);
    p.drain_transmits();
    p.advance_to(14000);
    assert!(p.drain_transmits().is_empty());
    p.t.heartbeat_now(p.now);
    assert!(p.drain_transmits().is_empty());
}

#[test]
fn close_times_out_into_an_abort() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance_to(1000);
    p.t.close(p.now, CloseCode(4000));
    assert_eq!(p.drain_transmits(), vec![Transmit::Close(CloseCode(4000))]);
    assert_eq!(
        p.t.poll_timeout(),
        Some(at(6000)),
        "default close_timeout 5 s"
    );

    p.advance_to(5999);
    assert!(p.drain_transmits().is_empty());
    assert!(p.drain_events().is_empty());

    p.advance_to(6000);
    assert_eq!(p.drain_transmits(), vec![Transmit::Abort]);
    assert_eq!(
        p.drain_events(),
        vec![Event::Disconnected {
            code: Some(CloseCode(4000)),
            by_self: true,
        }]
    );
    assert_eq!(p.t.state(), State::Closed);
    assert_eq!(p.t.poll_timeout(), None);
}

#[test]
fn server_close_4015_is_reported_as_the_servers() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.advance(5000);
    p.server_close(Some(4015));
    assert_eq!(
        p.drain_events(),
        vec![Event::Disconnected {
            code: Some(CloseCode(4015)),
            by_self: false,
        }]
    );
    assert_eq!(p.t.state(), State::Closed);
    assert!(p.drain_transmits().is_empty());
    assert_eq!(p.t.poll_timeout(), None);
    p.advance(60_000);
    assert!(
        p.drain_transmits().is_empty(),
        "no heartbeats on a closed socket"
    );
}

#[test]
fn socket_ending_without_a_close_frame() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_close(None);
    assert_eq!(
        p.drain_events(),
        vec![Event::Disconnected {
            code: None,
            by_self: false,
        }]
    );
    assert_eq!(p.t.state(), State::Closed);
}

#[test]
fn close_is_reported_once() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.server_close(Some(4015));
    p.server_close(Some(4015));
    p.server_close(None);
    assert_eq!(p.drain_events().len(), 1);
}

#[test]
fn close_without_an_open_socket_does_nothing() {
    let mut p = Pair::new();
    p.t.close(p.now, CloseCode::NORMAL);
    assert!(p.drain_transmits().is_empty());
    assert_eq!(p.t.state(), State::Idle);

    p.open_with_hello(13750);
    p.server_close(Some(4015));
    p.drain_events();
    p.t.close(p.now, CloseCode::NORMAL);
    assert!(p.drain_transmits().is_empty());
    assert!(p.drain_events().is_empty());
}

#[test]
fn force_close_discards_pending_frames_and_transmits_nothing_after() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.t.send(speaking()).expect("open socket");
    p.t.force_close(CloseCode::NORMAL);

    assert_eq!(p.t.poll_transmit(), None);
    assert_eq!(p.t.state(), State::Terminated);
    assert_eq!(p.t.poll_timeout(), None);
    assert_eq!(
        p.drain_events(),
        vec![Event::Disconnected {
            code: Some(CloseCode(1000)),
            by_self: true,
        }]
    );

    // Whatever happens next, nothing goes out.
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":100,"v":8}}"#);
    p.server_binary(&[0, 1, 25, 1]);
    p.advance(60_000);
    p.t.handle_timeout(at(10_000_000));
    p.t.heartbeat_now(p.now);
    p.t.close(p.now, CloseCode::NORMAL);
    p.open();
    p.server_text(r#"{"op":8,"d":{"heartbeat_interval":100,"v":8}}"#);
    p.advance(1000);
    assert_eq!(p.t.poll_transmit(), None);
    assert_eq!(p.t.poll_timeout(), None);
    assert!(p.drain_events().is_empty());
    assert_eq!(p.t.state(), State::Terminated);
    assert_eq!(p.t.send(speaking()), Err(SendError::Ended));
    assert_eq!(p.t.send_text("{}".into()), Err(SendError::Ended));
    assert_eq!(
        p.t.send_binary(Bytes::from_static(&[26])),
        Err(SendError::Ended)
    );
}

#[test]
fn force_close_is_idempotent() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.t.force_close(CloseCode::NORMAL);
    p.t.force_close(CloseCode::NORMAL);
    p.t.force_close(CloseCode(4000));
    assert_eq!(
        p.drain_events(),
        vec![Event::Disconnected {
            code: Some(CloseCode(1000)),
            by_self: true,
        }]
    );
    assert_eq!(p.t.poll_transmit(), None);
    assert_eq!(p.t.poll_timeout(), None);
}

#[test]
fn force_close_while_closing_cancels_the_close_timer() {
    let mut p = Pair::new();
    p.open_with_hello(13750);
    p.t.close(p.now, CloseCode::NORMAL);
    p.t.force_close(CloseCode::NORMAL);
    assert_eq!(p.t.poll_transmit(), None, "even the pending close frame");
    assert_eq!(p.t.poll_timeout(), None);
    p.advance(10_000);
    assert_eq!(p.t.poll_transmit(), None);
    p.server_close(Some(1000));
    assert_eq!(
        p.drain_events(),
        vec![Event::Disconnected {
            code: Some(CloseCode(1000)),
            by_self: true,
        }]
    );
}

#[test]
fn force_close_without_a_socket_reports_no_disconnect() {
    let mut p = Pair::new();
    p.t.force_close(CloseCode::NORMAL);
    assert!(p.drain_events().is_empty());
    assert_eq!(p.t.state(), State::Terminated);
    p.open();
    assert!(
        p.drain_events().is_empty(),
        "no Connected after force_close"
    );
}

#[test]
fn an_oversized_frame_while_closing_drops_without_a_second_close_frame() {
    let mut config = common::exact();
    config.max_message_size = 64;
    let mut p = Pair::with_config(config);
    p.open_with_hello(13750);
    p.t.close(p.now, CloseCode::NORMAL);
    assert_eq!(p.drain_transmits(), vec![Transmit::Close(CloseCode(1000))]);
    // The server sends one more message, over the limit, before its close.
    p.server_text(r#"{"op":5,"d":{"user_id":"80351110224678912","ssrc":2,"speaking":1},"seq":1}"#);
    assert_eq!(p.drain_transmits(), vec![Transmit::Abort]);
    let events = p.drain_events();
    assert_eq!(
        events.last(),
        Some(&Event::Disconnected {
            code: Some(CloseCode(1000)),
            by_self: true,
        }),
        "{events:?}"
    );
    assert_eq!(p.t.state(), State::Closed);
}
