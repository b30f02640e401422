//! What the handshake does with messages it cannot use: a typed error
//! event, never a panic, and the session goes on. No MLS group is needed
//! for these, so the payloads are written out literally.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use voice_ws_dave::{DaveConfig, DaveError, DaveEvent, Handshake, IdError, MediaError};
use voice_ws_proto::codec::decode_binary;
use voice_ws_proto::{ClientMessage, Credentials, Endpoint, ServerMessage, Token};
use voice_ws_sim::dave::{DaveConfig as SimConfig, DeliveryService};

const ME: u64 = 158049329150427136;
const CHANNEL: u64 = 127121515262115840;

fn handshake() -> Handshake {
    Handshake::new(DaveConfig::default(), ME, CHANNEL)
}

fn drain(dave: &mut Handshake) -> (Vec<ClientMessage>, Vec<DaveEvent>) {
    let mut sent = Vec::new();
    while let Some(m) = dave.poll_transmit() {
        sent.push(m);
    }
    let mut events = Vec::new();
    while let Some(e) = dave.poll_event() {
        events.push(e);
    }
    (sent, events)
}

/// A binary server frame, decoded by the core as it would come off the socket.
fn binary(frame: &[u8]) -> ServerMessage {
    decode_binary(frame.to_vec().into()).unwrap().message
}

#[test]
fn proposals_that_cannot_be_read_are_typed_errors() {
    let mut dave = handshake();
    dave.handle_session_description(1);
    // The simulator's external sender (OpenMLS): we now have a pending group.
    let service = DeliveryService::new(SimConfig::new(CHANNEL)).unwrap();
    let mut frame = vec![0x00, 0x06, 25];
    frame.extend_from_slice(service.external_sender_package());
    dave.handle_message(&binary(&frame));
    drain(&mut dave);
    // [seq 00 07][op 27] and no operation byte.
    dave.handle_message(&binary(&[0x00, 0x07, 27]));
    // Operation 7 does not exist (0 append, 1 revoke).
    dave.handle_message(&binary(&[0x00, 0x08, 27, 0x07, 0x00]));
    // Append with a vector that claims 5 bytes and holds 1.
    dave.handle_message(&binary(&[0x00, 0x09, 27, 0x00, 0x05, 0xAA]));
    let (sent, events) = drain(&mut dave);
    assert!(sent.is_empty(), "{sent:?}");
    assert_eq!(events[0], DaveEvent::Error(DaveError::EmptyProposals));
    assert_eq!(
        events[1],
        DaveEvent::Error(DaveError::UnknownProposalsOperation(7))
    );
    assert!(
        matches!(events[2], DaveEvent::Error(DaveError::Proposals(_))),
        "{events:?}"
    );
    assert_eq!(events.len(), 3);
}

#[test]
fn proposals_without_a_group_are_ignored() {
    // The call is in clear: no group, so the protocol says ignore them.
    let mut dave = handshake();
    dave.handle_session_description(0);
    dave.handle_message(&binary(&[0x00, 0x01, 27, 0x00, 0x01, 0xAA]));
    assert_eq!(drain(&mut dave), (vec![], vec![]));
}

#[test]
fn an_unknown_transition_is_reported_and_changes_nothing() {
    let mut dave = handshake();
    dave.handle_session_description(0);
    dave.handle_execute_transition(9);
    let (sent, events) = drain(&mut dave);
    assert!(sent.is_empty());
    assert_eq!(events, [DaveEvent::Error(DaveError::UnknownTransition(9))]);
    assert_eq!(dave.protocol_version(), 0);
}

#[test]
fn a_transition_in_a_call_in_clear_is_prepared_acknowledged_and_executed() {
    let mut dave = handshake();
    dave.handle_session_description(0);
    dave.handle_prepare_transition(5, 0);
    let (sent, _) = drain(&mut dave);
    assert_eq!(
        sent,
        [ClientMessage::DaveTransitionReady { transition_id: 5 }]
    );
    assert_eq!(dave.pending_transitions().collect::<Vec<_>>(), [5]);
    dave.handle_execute_transition(5);
    let (sent, events) = drain(&mut dave);
    assert!(sent.is_empty());
    assert_eq!(
        events,
        [DaveEvent::TransitionExecuted {
            transition_id: 5,
            protocol_version: 0
        }]
    );
    // Transition 0 executes at once and is not acknowledged.
    dave.handle_prepare_transition(0, 0);
    let (sent, events) = drain(&mut dave);
    assert!(sent.is_empty());
    assert_eq!(
        events,
        [DaveEvent::TransitionExecuted {
            transition_id: 0,
            protocol_version: 0
        }]
    );
}

#[test]
fn a_welcome_that_cannot_be_read_is_flagged_with_op_31_and_a_new_key_package() {
    let mut dave = handshake();
    dave.handle_session_description(1);
    let (sent, _) = drain(&mut dave);
    assert!(matches!(sent[..], [ClientMessage::DaveMlsKeyPackage(_)]));
    // [seq][op 30][transition 00 03] and three bytes that are no Welcome.
    dave.handle_message(&binary(&[0x00, 0x02, 30, 0x00, 0x03, 0x01, 0x02, 0x03]));
    let (sent, events) = drain(&mut dave);
    assert_eq!(
        sent[0],
        ClientMessage::DaveMlsInvalidCommitWelcome { transition_id: 3 }
    );
    assert!(matches!(sent[1], ClientMessage::DaveMlsKeyPackage(_)));
    assert_eq!(sent.len(), 2);
    assert!(
        matches!(
            &events[..],
            [DaveEvent::Error(DaveError::InvalidWelcome {
                transition_id: 3,
                ..
            })]
        ),
        "{events:?}"
    );
}

#[test]
fn a_commit_while_still_pending_is_not_flagged() {
    // Before we are in any group, a commit is someone else's group forming
    // (our welcome follows): no op 31.
    let mut dave = handshake();
    dave.handle_session_description(1);
    drain(&mut dave);
    dave.handle_message(&binary(&[0x00, 0x02, 29, 0x00, 0x04, 0xFF, 0xFF]));
    let (sent, _) = drain(&mut dave);
    assert!(sent.is_empty(), "{sent:?}");
}

#[test]
fn a_welcome_in_a_call_in_clear_is_refused() {
    let mut dave = handshake();
    dave.handle_session_description(0);
    dave.handle_message(&binary(&[0x00, 0x02, 30, 0x00, 0x03, 0x01]));
    let (sent, events) = drain(&mut dave);
    assert!(sent.is_empty());
    assert_eq!(events, [DaveEvent::Error(DaveError::NoSession { op: 30 })]);
}

#[test]
fn an_unsupported_version_is_reported_and_media_stays_refused() {
    let mut dave = handshake();
    dave.handle_session_description(2);
    let (sent, events) = drain(&mut dave);
    assert!(sent.is_empty());
    assert_eq!(events, [DaveEvent::Error(DaveError::UnsupportedVersion(2))]);
    assert_eq!(
        dave.media().encrypt_opus(&[1, 2, 3]),
        Err(MediaError::NotReady)
    );
}

#[test]
fn a_malformed_external_sender_is_reported() {
    let mut dave = handshake();
    dave.handle_session_description(1);
    drain(&mut dave);
    dave.handle_message(&binary(&[0x00, 0x01, 25, 0x05, 0x01]));
    let (_, events) = drain(&mut dave);
    assert!(
        matches!(events[..], [DaveEvent::Error(DaveError::ExternalSender(_))]),
        "{events:?}"
    );
}

#[test]
fn queues_are_bounded_and_an_overflow_is_reported_first() {
    let mut config = DaveConfig::default();
    config.max_transmits = 2;
    config.max_pending_transitions = 3;
    let mut dave = Handshake::new(config, ME, CHANNEL);
    dave.handle_session_description(0);
    for id in 1..=4 {
        dave.handle_prepare_transition(id, 0);
    }
    let (sent, events) = drain(&mut dave);
    // Three prepared (the bound), two acknowledgements kept, one lost.
    assert_eq!(
        sent,
        [
            ClientMessage::DaveTransitionReady { transition_id: 1 },
            ClientMessage::DaveTransitionReady { transition_id: 2 },
        ]
    );
    assert_eq!(events[0], DaveEvent::Error(DaveError::Overflow(1)));
    assert_eq!(
        events[1],
        DaveEvent::Error(DaveError::TooManyTransitions(4))
    );
    assert_eq!(dave.pending_transitions().count(), 3);
}

#[test]
fn the_roster_is_bounded() {
    let mut config = DaveConfig::default();
    config.max_roster = 1;
    let mut dave = Handshake::new(config, ME, CHANNEL);
    dave.handle_clients_connect(&[1, 2]);
    let (_, events) = drain(&mut dave);
    assert_eq!(events, [DaveEvent::Error(DaveError::RosterFull(2))]);
    assert!(dave.expects(1) && dave.expects(ME) && !dave.expects(2));
    dave.handle_client_disconnect(1);
    assert!(!dave.expects(1));
}

#[test]
fn credentials_with_ids_that_are_not_snowflakes_are_refused() {
    let mut credentials = Credentials {
        server_id: "41771983423143937".into(),
        channel_id: "127121515262115840".into(),
        user_id: "104694319306248192".into(),
        session_id: "my_session_id".into(),
        token: Token::new("my_token"),
        endpoint: Endpoint::parse("c-ams07.discord.media:443", false).unwrap(),
        max_dave_protocol_version: 1,
    };
    assert!(Handshake::from_credentials(DaveConfig::default(), &credentials).is_ok());
    credentials.channel_id = String::new();
    assert_eq!(
        Handshake::from_credentials(DaveConfig::default(), &credentials).unwrap_err(),
        IdError {
            field: "channel_id",
            value: String::new()
        }
    );
}

#[test]
fn passthrough_frames_are_borrowed_and_marked_frames_are_not_taken_for_clear() {
    let mut dave = handshake();
    dave.handle_session_description(0);
    let media = dave.media();
    assert!(media.is_passthrough());
    let clear = [0x78, 0x01, 0x02];
    assert_eq!(media.decrypt(ME + 1, &clear).unwrap().as_ref(), &clear);
    // A frame ending in the DAVE marker 0xFAFA is a protocol frame: without
    // keys for its sender it is not played out as if it were clear.
    let marked = [0x78, 0x01, 0x02, 0xFA, 0xFA];
    assert_eq!(
        media.decrypt(ME + 1, &marked),
        Err(MediaError::UnknownUser(ME + 1))
    );
}

#[test]
fn the_handshake_can_live_in_a_connection_task() {
    // Drivers run the session in a task that may move between threads.
    fn send<T: Send + 'static>(_: &T) {}
    send(&handshake());
}

#[test]
fn new_credentials_keep_the_media_handle_and_refuse_bad_ids() {
    let mut credentials = Credentials {
        server_id: "41771983423143937".into(),
        channel_id: "127121515262115840".into(),
        user_id: "104694319306248192".into(),
        session_id: "my_session_id".into(),
        token: Token::new("my_token"),
        endpoint: Endpoint::parse("c-ams07.discord.media:443", false).unwrap(),
        max_dave_protocol_version: 1,
    };
    let mut dave = Handshake::from_credentials(DaveConfig::default(), &credentials).unwrap();
    let media = dave.media();
    dave.handle_session_description(0);
    assert!(media.is_passthrough());

    // Another channel: the old session is forgotten (media refused again)...
    credentials.channel_id = "127121515262115841".into();
    assert_eq!(dave.update_credentials(&credentials), Ok(()));
    assert!(!media.is_passthrough());
    assert_eq!(media.encrypt_opus(&[0x78, 0x01]), Err(MediaError::NotReady));
    // ...and the handle handed out before follows the new session.
    dave.handle_session_description(0);
    assert!(media.is_passthrough());
    dave.handle_session_description(1);
    let (sent, _) = drain(&mut dave);
    assert!(
        matches!(sent[..], [ClientMessage::DaveMlsKeyPackage(_)]),
        "{sent:?}"
    );

    credentials.user_id = "me".into();
    assert_eq!(
        dave.update_credentials(&credentials),
        Err(IdError {
            field: "user_id",
            value: "me".into()
        })
    );
}
