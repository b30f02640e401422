//! The voice token never shows in `Debug` of a session or its credentials,
//! whatever the session is doing.

#![allow(clippy::unwrap_used)]

mod session_harness;

use session_harness::*;

const SECRET: &str = "MTIzNDU2Nzg5.voice-secret";

fn secret_driver() -> SessionPair {
    SessionPair::with(config(), credentials_with("my_session_id", SECRET))
}

fn assert_hidden(d: &SessionPair, when: &str) {
    for shown in [format!("{:?}", d.session), format!("{:#?}", d.session)] {
        assert!(!shown.contains(SECRET), "{when}: token in {shown}");
        assert!(!shown.contains("voice-secret"), "{when}: part of the token");
    }
    let creds = d.session.credentials();
    let shown = format!("{creds:?} {creds:#?}");
    assert!(!shown.contains(SECRET), "{when}: token in {shown}");
}

#[test]
fn credentials_debug_never_shows_the_token() {
    let creds = credentials_with("my_session_id", SECRET);
    let shown = format!("{creds:?} {creds:#?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("my_session_id"), "the rest is still shown");
    assert!(shown.contains("c-ams07-a1b2.discord.media"));
}

#[test]
fn session_debug_never_shows_the_token_between_inputs() {
    let mut d = secret_driver();
    assert_hidden(&d, "idle");
    d.start();
    assert_hidden(&d, "connecting");
    d.accept();
    let sent = d.sent_json();
    assert_eq!(sent[0]["d"]["token"], SECRET, "Identify does carry it");
    assert_hidden(&d, "identifying, Identify taken by the driver");
    d.server_text(HELLO);
    d.server_text(READY);
    d.drain_events();
    assert_hidden(&d, "active");
    d.server_close(None);
    d.drain_events();
    assert_hidden(&d, "reconnecting");
    d.accept();
    let sent = d.sent_json();
    assert_eq!(sent[0]["op"], 7);
    assert_hidden(&d, "resuming, Resume taken by the driver");
    d.server_close(Some(4006));
    d.drain_events();
    assert_hidden(&d, "invalidated");
    d.session.update_credentials(
        d.now,
        credentials_with("new_session_id", "other.secret-token"),
    );
    let shown = format!("{:?}", d.session);
    assert!(!shown.contains("other.secret-token"), "{shown}");
}

#[test]
fn session_debug_never_shows_the_token_while_identify_or_resume_waits_to_be_written() {
    let mut d = secret_driver();
    d.start();
    d.accept();
    // The Identify is queued; a driver logging the session now must not
    // leak the token.
    assert_hidden(&d, "Identify queued");
    d.drain_transmits();
    d.server_text(READY);
    d.server_close(None);
    d.drain_events();
    d.accept();
    assert_hidden(&d, "Resume queued");
}

#[test]

fn debug_of_the_identify_and_resume_transmits_never_shows_the_token() {
    let mut d = secret_driver();
    d.start();
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(op_of(&sent[0]), Some(0));
    let shown = format!("{:?} {:#?}", sent[0], sent[0]);
    assert!(!shown.contains(SECRET), "Identify: {shown}");
    d.server_text(READY);
    d.server_close(None);
    d.drain_events();
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(op_of(&sent[0]), Some(7));
    let shown = format!("{:?} {:#?}", sent[0], sent[0]);
    assert!(!shown.contains(SECRET), "Resume: {shown}");
}
