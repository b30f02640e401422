//! Why a socket could not be opened reaches the application as data: the
//! driver's reason (`handle_connect_error`) or the connect timeout, always
//! before the `Reconnecting` that follows.

#![allow(clippy::unwrap_used)]

mod session_harness;

use session_harness::{SessionPair, URL, ms};
use voice_ws_proto::{ConnectError, Event, Phase};

#[test]
fn a_failed_dial_reports_its_reason_before_reconnecting() {
    let mut d = SessionPair::new();
    d.start();
    assert_eq!(d.poll_connect().as_deref(), Some(URL));
    let now = d.now;
    d.session.handle_connect_error(now, ConnectError::Refused);
    assert_eq!(
        d.drain_events(),
        vec![
            Event::ConnectFailed {
                error: ConnectError::Refused
            },
            Event::Reconnecting {
                attempt: 1,
                delay: ms(0),
                resume: false
            },
        ]
    );
    assert_eq!(d.session.last_connect_error(), Some(&ConnectError::Refused));
    // Exactly what handle_close(None) does while connecting: retry at once.
    assert_eq!(d.poll_connect().as_deref(), Some(URL));
    assert_eq!(d.session.phase(), Phase::Connecting);

    let tls = ConnectError::Tls {
        reason: "invalid peer certificate: UnknownIssuer".into(),
    };
    let now = d.now;
    d.session.handle_connect_error(now, tls.clone());
    let events = d.drain_events();
    assert_eq!(events[0], Event::ConnectFailed { error: tls.clone() });
    assert!(matches!(events[1], Event::Reconnecting { attempt: 2, .. }));
    assert_eq!(d.session.last_connect_error(), Some(&tls));
    assert!(tls.to_string().contains("DriverConfig::tls"), "{tls}");
}

#[test]
fn an_open_socket_clears_the_reason_and_stale_reports_are_ignored() {
    let mut d = SessionPair::new();
    d.start();
    d.poll_connect();
    let now = d.now;
    d.session
        .handle_connect_error(now, ConnectError::UpgradeRejected { status: 404 });
    d.drain_events();
    d.accept();
    assert_eq!(d.session.last_connect_error(), None);
    // Not connecting any more: a late report changes nothing.
    let now = d.now;
    d.session.handle_connect_error(now, ConnectError::Refused);
    assert!(
        !d.drain_events()
            .iter()
            .any(|e| matches!(e, Event::ConnectFailed { .. } | Event::Reconnecting { .. }))
    );
    assert_eq!(d.session.last_connect_error(), None);
}
