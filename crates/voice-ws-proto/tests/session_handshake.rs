//! Session handshake: connect URL, Identify on open, Hello and Ready in
//! either order, and a timeout on every step.

#![allow(clippy::unwrap_used)]

mod session_harness;

use session_harness::*;
use voice_ws_proto::codec::{Ready, SpeakingUpdate};
use voice_ws_proto::{
    ConnectError, Endpoint, Event, Incoming, Phase, ServerMessage, Session, SessionConfig, Transmit,
};

fn ready() -> Ready {
    Ready::new(
        4242,
        "127.0.0.1".into(),
        50000,
        vec![
            "aead_aes256_gcm_rtpsize".into(),
            "aead_xchacha20_poly1305_rtpsize".into(),
        ],
    )
}

#[test]
fn start_asks_for_a_v8_wss_url_built_from_the_bare_endpoint() {
    let mut d = SessionPair::new();
    assert_eq!(d.session.phase(), Phase::Idle);
    assert_eq!(d.poll_connect(), None, "nothing before start");
    d.start();
    assert_eq!(d.session.phase(), Phase::Connecting);
    assert_eq!(
        d.poll_connect().as_deref(),
        Some("wss://c-ams07-a1b2.discord.media/?v=8")
    );
    assert_eq!(d.poll_connect(), None, "one request per connect");
    d.start();
    assert_eq!(d.poll_connect(), None, "a second start does nothing");
    assert!(d.drain_transmits().is_empty());
}

#[test]
fn an_endpoint_with_a_port_keeps_it_in_the_url() {
    let mut creds = credentials();
    creds.endpoint = Endpoint::parse("c-ams07.discord.media:443", false).unwrap();
    let mut s = Session::new(SessionConfig::default(), creds);
    s.start(at(0));
    assert_eq!(
        s.poll_connect().as_deref(),
        Some("wss://c-ams07.discord.media:443/?v=8")
    );
}

#[test]
fn identify_goes_out_as_soon_as_the_socket_opens_before_hello() {
    let mut d = SessionPair::new();
    d.start();
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_json(&sent[0], IDENTIFY);
    assert_eq!(
        sent[0],
        Transmit::Text(IDENTIFY.into()),
        "Identify text, byte for byte"
    );
    assert_eq!(d.drain_events(), vec![Event::Connected]);
    assert_eq!(d.session.phase(), Phase::Identifying);
}

#[test]
fn identify_without_dave_says_version_zero() {
    let mut creds = credentials();
    creds.max_dave_protocol_version = 0;
    let mut d = SessionPair::with(config(), creds);
    d.start();
    d.accept();
    let sent = d.sent_json();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["op"], 0);
    assert_eq!(sent[0]["d"]["max_dave_protocol_version"], 0);
}

#[test]
fn hello_then_ready_completes_the_handshake() {
    let mut d = SessionPair::new();
    d.start();
    d.accept();
    d.drain_transmits();
    d.drain_events();
    d.server_text(HELLO);
    assert_eq!(
        d.drain_events(),
        vec![Event::Hello {
            heartbeat_interval: ms(13_750)
        }]
    );
    assert_eq!(d.session.phase(), Phase::Identifying);
    d.server_text(READY);
    assert_eq!(d.drain_events(), vec![Event::Ready(ready())]);
    assert_eq!(d.session.phase(), Phase::Active);
    // Ready's own heartbeat_interval (1) is the documented-erroneous one.
    assert_eq!(d.session.heartbeat_interval(), Some(ms(13_750)));
    assert!(
        d.drain_transmits().is_empty(),
        "nothing answers Hello or Ready"
    );

    // One interval after Hello: Heartbeat{seq_ack: -1}.
    d.advance_to(13_749);
    assert!(d.drain_transmits().is_empty());
    d.advance_to(13_750);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    heartbeat(&sent[0], -1);
}

#[test]
fn ready_before_hello_completes_the_handshake_too() {
    let mut d = SessionPair::new();
    d.start();
    d.accept();
    d.drain_transmits();
    d.drain_events();
    d.advance_to(40);
    d.server_text(READY);
    assert_eq!(d.session.phase(), Phase::Active);
    d.advance_to(90);
    d.server_text(HELLO);
    assert_eq!(
        d.drain_events(),
        vec![
            Event::Ready(ready()),
            Event::Hello {
                heartbeat_interval: ms(13_750)
            }
        ]
    );
    assert_eq!(d.session.phase(), Phase::Active);
    // Neither the Hello nor the handshake timer may fire later.
    d.advance_to(13_839);
    assert!(d.drain_transmits().is_empty());
    d.advance_to(13_840);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    heartbeat(&sent[0], -1);
    assert_eq!(d.session.phase(), Phase::Active);
    assert!(d.drain_events().is_empty());
}

#[test]
fn speaking_before_ready_is_delivered_as_a_message() {
    let mut d = SessionPair::new();
    d.start();
    d.accept();
    d.drain_transmits();
    d.drain_events();
    d.server_text(HELLO);
    d.server_text(r#"{"op":5,"d":{"user_id":"1234","ssrc":5678,"speaking":1},"seq":1}"#);
    assert_eq!(d.session.phase(), Phase::Identifying);
    d.server_text(READY);
    assert_eq!(
        d.drain_events(),
        vec![
            Event::Hello {
                heartbeat_interval: ms(13_750)
            },
            Event::Message(Incoming {
                seq: Some(1),
                message: ServerMessage::Speaking(SpeakingUpdate::new(Some(1234), 5678, 1,)),
            }),
            Event::Ready(ready()),
        ]
    );
    assert_eq!(d.session.phase(), Phase::Active);
    // Taking it acknowledged seq 1.
    assert_eq!(d.session.seq_ack(), Some(1));
    d.advance_to(13_750);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    heartbeat(&sent[0], 1);
}

#[test]
fn no_hello_within_hello_timeout_drops_the_socket_and_identifies_again() {
    let mut d = SessionPair::new();
    d.start();
    d.accept();
    d.drain_transmits();
    d.drain_events();
    d.advance_to(4_999);
    assert!(d.drain_transmits().is_empty());
    assert!(d.drain_events().is_empty());
    d.advance_to(5_000);
    assert_eq!(
        d.drain_transmits(),
        vec![
            Transmit::Close(voice_ws_proto::CloseCode(4000)),
            Transmit::Abort
        ]
    );
    assert_eq!(
        d.drain_events(),
        vec![
            self_closed(4000),
            Event::Reconnecting {
                attempt: 1,
                delay: ms(0),
                resume: false
            }
        ]
    );
    // No Ready, so no session to resume (Discord would answer 4006): the
    // same credentials identify again.
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_json(&sent[0], IDENTIFY);
    assert_eq!(d.session.phase(), Phase::Identifying);
}

#[test]
fn no_ready_after_identify_within_handshake_timeout_drops_the_socket() {
    let mut d = SessionPair::new();
    d.start();
    d.accept();
    d.drain_transmits();
    d.advance_to(100);
    d.server_text(HELLO);
    d.drain_events();
    // Hello came, so the Hello timeout (5 s) does not fire; the handshake
    // timeout (15 s after open) does.
    d.advance_to(14_999);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "only the heartbeat at 13850: {sent:?}");
    heartbeat(&sent[0], -1);
    assert!(d.drain_events().is_empty());
    d.advance_to(15_000);
    assert_eq!(
        d.drain_transmits(),
        vec![
            Transmit::Close(voice_ws_proto::CloseCode(4000)),
            Transmit::Abort
        ]
    );
    assert_eq!(
        d.drain_events(),
        vec![
            self_closed(4000),
            Event::Reconnecting {
                attempt: 1,
                delay: ms(0),
                resume: false
            }
        ]
    );
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_json(&sent[0], IDENTIFY);
}

#[test]
fn no_resumed_after_resume_drops_the_socket() {
    let mut d = SessionPair::new();
    d.handshake();
    d.advance_to(1_000);
    d.server_close(None);
    assert_eq!(
        reconnects(&d.drain_events()),
        vec![(1, ms(0), true)],
        "an ordinary drop resumes at once"
    );
    d.accept();
    assert_eq!(d.sent_ops(), vec![7]);
    d.server_text(HELLO);
    d.drain_events();
    assert_eq!(d.session.phase(), Phase::Resuming);
    d.advance_to(1_000 + 14_999);
    let sent = d.drain_transmits();
    assert!(
        sent.iter().all(|t| op_of(t) == Some(3)),
        "only heartbeats while waiting: {sent:?}"
    );
    d.advance_to(1_000 + 15_000);
    assert_eq!(
        d.drain_transmits(),
        vec![
            Transmit::Close(voice_ws_proto::CloseCode(4000)),
            Transmit::Abort
        ]
    );
    let events = d.drain_events();
    assert_eq!(events[0], self_closed(4000));
    let r = reconnects(&events);
    assert_eq!(r.len(), 1, "{events:?}");
    assert_eq!(
        (r[0].0, r[0].2),
        (2, true),
        "second attempt in a row, still a resume"
    );
}

#[test]
fn connect_timeout_aborts_and_asks_again_after_backoff() {
    let mut d = SessionPair::new();
    d.start();
    assert_eq!(d.poll_connect().as_deref(), Some(URL));
    // The driver never reports the socket open.
    d.advance_to(3_999);
    assert!(d.drain_transmits().is_empty());
    assert_eq!(d.poll_connect(), None);
    d.advance_to(4_000);
    // The immediate retry supersedes the attempt: no Abort that a driver
    // draining it after the new request could turn against the new attempt.
    assert!(d.drain_transmits().is_empty());
    assert_eq!(
        d.drain_events(),
        vec![
            Event::ConnectFailed {
                error: ConnectError::TimedOut
            },
            Event::Reconnecting {
                attempt: 1,
                delay: ms(0),
                resume: false
            }
        ]
    );
    assert_eq!(
        d.session.last_connect_error(),
        Some(&ConnectError::TimedOut)
    );
    assert_eq!(
        d.poll_connect().as_deref(),
        Some(URL),
        "first retry at once"
    );

    // Second timeout: attempt 2 waits its backoff, so the stale attempt
    // is aborted now.
    d.advance_to(8_000);
    assert_eq!(d.drain_transmits(), vec![Transmit::Abort]);
    let r = reconnects(&d.drain_events());
    assert_eq!(r.len(), 1);
    let (attempt, delay, resume) = r[0];
    assert_eq!((attempt, resume), (2, false));
    assert!(delay <= ms(1_000), "{delay:?}");
    assert!(!delay.is_zero(), "seed 0 gives attempt 2 a delay");
    assert_eq!(d.poll_connect(), None, "not before the backoff");
    assert_eq!(d.session.poll_timeout(), Some(at(8_000) + delay));
    d.advance_to_instant(at(8_000) + delay);
    // Never opened a socket: the retry identifies.
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1);
    assert_json(&sent[0], IDENTIFY);
}

#[test]
fn before_ready_every_socket_identifies_and_counts_toward_the_cap() {
    let mut d = SessionPair::new();
    d.start();
    assert_eq!(d.poll_connect().as_deref(), Some(URL));
    d.server_close(None); // the connect failed
    assert_eq!(
        d.drain_events(),
        vec![Event::Reconnecting {
            attempt: 1,
            delay: ms(0),
            resume: false
        }]
    );
    d.accept();
    assert_eq!(d.sent_ops(), vec![0]);
    d.server_close(Some(1006));
    let r = reconnects(&d.drain_events());
    assert_eq!(r.len(), 1);
    let (attempt, delay, resume) = r[0];
    assert_eq!(
        (attempt, resume),
        (2, false),
        "no Ready in between: attempts add up, and nothing to resume"
    );
    d.advance_to_instant(d.now + delay);
    d.accept();
    assert_eq!(d.sent_ops(), vec![0], "Identify again, same credentials");
    d.server_text(HELLO);
    d.server_text(READY);
    d.drain_events();
    // Ready: from now on a drop resumes, starting again from attempt 1.
    d.server_close(Some(1006));
    assert_eq!(reconnects(&d.drain_events()), vec![(1, ms(0), true)]);
    d.accept();
    assert_eq!(d.sent_ops(), vec![7]);
}

#[test]
fn a_socket_opened_after_its_connect_timed_out_is_aborted() {
    let mut d = SessionPair::new();
    d.start();
    d.poll_connect();
    d.advance_to(4_000);
    assert!(
        d.drain_transmits().is_empty(),
        "superseded by the immediate retry"
    );
    d.drain_events();
    assert_eq!(d.poll_connect().as_deref(), Some(URL));
    d.server_close(None); // the retry fails too
    let r = reconnects(&d.drain_events());
    assert_eq!(r.len(), 1);
    let delay = r[0].1;
    assert!(!delay.is_zero(), "seed 0 gives attempt 2 a delay");
    assert_eq!(d.session.phase(), Phase::WaitingToReconnect);
    // A late open of a socket nobody asked for any more.
    d.session.handle_open(d.now);
    assert_eq!(d.drain_transmits(), vec![Transmit::Abort]);
    assert_eq!(d.session.phase(), Phase::WaitingToReconnect);
    assert!(d.drain_events().is_empty());
    assert_eq!(d.poll_connect(), None);
}

/// A drop after Identify but before Ready: there is no session to resume
/// (Discord answers such a Resume with 4006), so the next socket identifies
/// again with the same credentials, and the new session's seqs start from
/// "nothing received".
#[test]
fn a_drop_before_ready_identifies_again_with_the_same_credentials() {
    let mut d = SessionPair::new();
    d.start();
    d.accept();
    assert_eq!(d.sent_ops(), vec![0]);
    d.server_text(HELLO);
    d.server_text(r#"{"op":11,"d":{"user_ids":["1234"]},"seq":7}"#);
    d.server_close(Some(1006));
    let events = d.drain_events();
    assert_eq!(reconnects(&events), vec![(1, ms(0), false)], "{events:?}");
    d.accept();
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_json(&sent[0], IDENTIFY);
    let hello_at = d.now_ms();
    d.server_text(HELLO);
    d.server_text(READY);
    assert_eq!(d.session.phase(), Phase::Active);
    assert_eq!(
        d.session.seq_ack(),
        None,
        "seq 7 belonged to the old session"
    );
    d.drain_events();
    d.advance_to(hello_at + 13_750);
    let sent = d.drain_transmits();
    assert_eq!(sent.len(), 1, "{sent:?}");
    heartbeat(&sent[0], -1);
}
