//! Encoding every client message to its exact wire form, compared with
//! literal text and bytes from docs/protocol.md.

use bytes::Bytes;
use voice_ws_proto::codec::{Identify, Resume, SelectProtocol, Speaking};
use voice_ws_proto::{ClientMessage, Token, Transmit};

fn text(wire: &str) -> Transmit {
    Transmit::Text(wire.into())
}

#[test]
fn identify_with_dave() {
    let identify = ClientMessage::Identify(Identify::new(
        "41771983423143937".into(),
        "104694319306248192".into(),
        "my_session_id".into(),
        Token::new("my_token"),
        1,
    ));
    assert_eq!(
        identify.encode(),
        text(
            r#"{"op":0,"d":{"server_id":"41771983423143937","user_id":"104694319306248192","session_id":"my_session_id","token":"my_token","max_dave_protocol_version":1}}"#
        )
    );
}

#[test]
fn identify_without_dave_sends_version_0() {
    let identify = ClientMessage::Identify(Identify::new(
        "1".into(),
        "2".into(),
        "s".into(),
        Token::new("t"),
        0,
    ));
    assert_eq!(
        identify.encode(),
        text(
            r#"{"op":0,"d":{"server_id":"1","user_id":"2","session_id":"s","token":"t","max_dave_protocol_version":0}}"#
        )
    );
}

#[test]
fn identify_escapes_strings() {
    let identify = ClientMessage::Identify(Identify::new(
        "1".into(),
        "2".into(),
        "a\"b\\c".into(),
        Token::new("t\n"),
        0,
    ));
    assert_eq!(
        identify.encode(),
        text(
            r#"{"op":0,"d":{"server_id":"1","user_id":"2","session_id":"a\"b\\c","token":"t\n","max_dave_protocol_version":0}}"#
        )
    );
}

#[test]
fn identify_and_resume_debug_never_show_the_token() {
    let identify = ClientMessage::Identify(Identify::new(
        "1".into(),
        "2".into(),
        "s".into(),
        Token::new("SECRET-TOKEN-VALUE"),
        1,
    ));
    let resume = ClientMessage::Resume(Resume::new(
        "1".into(),
        "s".into(),
        Token::new("SECRET-TOKEN-VALUE"),
        None,
    ));
    for message in [identify, resume] {
        let debug = format!("{message:?}");
        assert!(!debug.contains("SECRET-TOKEN-VALUE"), "{debug}");
    }
}

#[test]
fn select_protocol() {
    let select = ClientMessage::SelectProtocol(SelectProtocol::new(
        "127.0.0.1".into(),
        1337,
        "aead_aes256_gcm_rtpsize".into(),
    ));
    assert_eq!(
        select.encode(),
        text(
            r#"{"op":1,"d":{"protocol":"udp","data":{"address":"127.0.0.1","port":1337,"mode":"aead_aes256_gcm_rtpsize"}}}"#
        )
    );
}

#[test]
fn heartbeat_with_nothing_received_sends_seq_ack_minus_1() {
    let beat = ClientMessage::Heartbeat {
        nonce: 13750,
        seq_ack: None,
    };
    assert_eq!(
        beat.encode(),
        text(r#"{"op":3,"d":{"t":13750,"seq_ack":-1}}"#)
    );
}

#[test]
fn heartbeat_with_seq_0_sends_0() {
    let beat = ClientMessage::Heartbeat {
        nonce: 1501184119561,
        seq_ack: Some(0),
    };
    assert_eq!(
        beat.encode(),
        text(r#"{"op":3,"d":{"t":1501184119561,"seq_ack":0}}"#)
    );
}

#[test]
fn heartbeat_with_largest_values() {
    let beat = ClientMessage::Heartbeat {
        nonce: (1 << 53) - 1,
        seq_ack: Some(65535),
    };
    assert_eq!(
        beat.encode(),
        text(r#"{"op":3,"d":{"t":9007199254740991,"seq_ack":65535}}"#)
    );
}

#[test]
fn speaking() {
    let speaking = ClientMessage::Speaking(Speaking::new(5, 1));
    assert_eq!(
        speaking.encode(),
        text(r#"{"op":5,"d":{"speaking":5,"delay":0,"ssrc":1}}"#)
    );
}

#[test]
fn resume_with_seq_ack() {
    let resume = ClientMessage::Resume(Resume::new(
        "41771983423143937".into(),
        "my_session_id".into(),
        Token::new("my_token"),
        Some(10),
    ));
    assert_eq!(
        resume.encode(),
        text(
            r#"{"op":7,"d":{"server_id":"41771983423143937","session_id":"my_session_id","token":"my_token","seq_ack":10}}"#
        )
    );
}

#[test]
fn resume_with_nothing_received_sends_minus_1_and_seq_0_sends_0() {
    let resume = |seq_ack| {
        ClientMessage::Resume(Resume::new(
            "1".into(),
            "s".into(),
            Token::new("t"),
            seq_ack,
        ))
        .encode()
    };
    assert_eq!(
        resume(None),
        text(r#"{"op":7,"d":{"server_id":"1","session_id":"s","token":"t","seq_ack":-1}}"#)
    );
    assert_eq!(
        resume(Some(0)),
        text(r#"{"op":7,"d":{"server_id":"1","session_id":"s","token":"t","seq_ack":0}}"#)
    );
}

#[test]
fn dave_transition_ready_op_23_is_json() {
    assert_eq!(
        ClientMessage::DaveTransitionReady { transition_id: 3 }.encode(),
        text(r#"{"op":23,"d":{"transition_id":3}}"#)
    );
}

#[test]
fn dave_mls_invalid_commit_welcome_op_31_is_json() {
    assert_eq!(
        ClientMessage::DaveMlsInvalidCommitWelcome {
            transition_id: 65535
        }
        .encode(),
        text(r#"{"op":31,"d":{"transition_id":65535}}"#)
    );
}

#[test]
fn dave_mls_key_package_op_26_is_binary_without_seq() {
    assert_eq!(
        ClientMessage::DaveMlsKeyPackage(Bytes::from_static(&[0x01, 0x02, 0x03])).encode(),
        Transmit::Binary(Bytes::from_static(&[26, 0x01, 0x02, 0x03]))
    );
}

#[test]
fn dave_mls_commit_welcome_op_28_is_binary_without_seq() {
    assert_eq!(
        ClientMessage::DaveMlsCommitWelcome(Bytes::from_static(&[0xFF, 0x00])).encode(),
        Transmit::Binary(Bytes::from_static(&[28, 0xFF, 0x00]))
    );
    assert_eq!(
        ClientMessage::DaveMlsCommitWelcome(Bytes::new()).encode(),
        Transmit::Binary(Bytes::from_static(&[28]))
    );
}

#[test]
fn opcodes_match_the_protocol_table() {
    let cases = [
        (
            ClientMessage::Heartbeat {
                nonce: 1,
                seq_ack: None,
            },
            3,
        ),
        (ClientMessage::DaveTransitionReady { transition_id: 1 }, 23),
        (ClientMessage::DaveMlsKeyPackage(Bytes::new()), 26),
        (ClientMessage::DaveMlsCommitWelcome(Bytes::new()), 28),
        (
            ClientMessage::DaveMlsInvalidCommitWelcome { transition_id: 1 },
            31,
        ),
        (ClientMessage::Speaking(Speaking::new(1, 1)), 5),
    ];
    for (message, op) in cases {
        assert_eq!(message.op(), op, "{message:?}");
    }
}
