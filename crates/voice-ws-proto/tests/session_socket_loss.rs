//! Why an open socket ended without a close frame reaches the application
//! in the `Disconnected` event it explains (`handle_lost`), and changes
//! nothing else: the session resumes exactly as after `handle_close(None)`.

#![allow(clippy::unwrap_used)]

mod session_harness;

use session_harness::{SessionPair, reconnects, server_closed};
use voice_ws_proto::{Event, SocketLoss};

#[test]
fn a_reset_after_ready_is_named_and_resumed() {
    let mut d = SessionPair::new();
    d.handshake();
    d.drain_events();
    let now = d.now;
    d.session.handle_lost(now, SocketLoss::Reset);
    let events = d.drain_events();
    assert_eq!(
        events[0],
        Event::Disconnected {
            code: None,
            by_self: false,
            lost: Some(SocketLoss::Reset),
        }
    );
    let plan = reconnects(&events);
    assert_eq!(plan.len(), 1, "{events:#?}");
    assert!(plan[0].2, "a reset after Ready resumes: {events:#?}");

    // The next socket resumes, and its own end carries no stale reason.
    d.resume(-1);
    d.server_close(None);
    assert_eq!(d.drain_events()[0], server_closed(None));
}

#[test]
fn a_report_without_an_open_socket_changes_nothing() {
    let mut d = SessionPair::new();
    d.handshake();
    d.drain_events();
    d.server_close(Some(4015));
    let events = d.drain_events();
    assert_eq!(events[0], server_closed(Some(4015)), "{events:#?}");
    assert_eq!(reconnects(&events).len(), 1, "{events:#?}");

    // The driver saw the TCP end after the close frame, or the socket
    // being dialed failed: neither is an open socket's end, so no event,
    // and above all no second reconnect counted against the cap.
    let now = d.now;
    d.session.handle_lost(now, SocketLoss::Eof);
    d.session.handle_lost(
        now,
        SocketLoss::Io {
            message: "broken pipe".into(),
        },
    );
    assert_eq!(d.drain_events(), []);
    d.resume(-1);
    d.server_close(None);
    assert_eq!(d.drain_events()[0], server_closed(None));
}
