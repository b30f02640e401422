//! Decoding every server message of docs/protocol.md from literal wire bytes.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use core::time::Duration;
use serde_json::json;
use voice_ws_proto::codec::{
    ClientDisconnect, ClientsConnect, DaveExecuteTransition, DavePrepareEpoch,
    DavePrepareTransition, HeartbeatAck, Hello, Ready, SecretKey, SessionDescription,
    SpeakingUpdate, UnknownPayload, decode, decode_binary, decode_text,
};
use voice_ws_proto::{DecodeError, Frame, Incoming, ServerMessage};

fn text(wire: &str) -> Incoming {
    decode_text(wire).unwrap_or_else(|e| panic!("{wire} should decode: {e}"))
}

fn unsequenced(message: ServerMessage) -> Incoming {
    Incoming { seq: None, message }
}

fn json_error(wire: &str) {
    match decode_text(wire) {
        Err(DecodeError::Json { message }) => assert!(!message.is_empty()),
        other => panic!("{wire} should be a JSON error, got {other:?}"),
    }
}

// ---- op 8 Hello ----

#[test]
fn hello_with_integer_interval() {
    assert_eq!(
        text(r#"{"op":8,"d":{"heartbeat_interval":13750,"v":8}}"#),
        unsequenced(ServerMessage::Hello(Hello::new(
            Duration::from_millis(13750),
            Some(8),
        )))
    );
}

#[test]
fn hello_with_float_interval() {
    assert_eq!(
        text(r#"{"op":8,"d":{"heartbeat_interval":13750.0,"v":8}}"#),
        unsequenced(ServerMessage::Hello(Hello::new(
            Duration::from_millis(13750),
            Some(8),
        )))
    );
}

#[test]
fn hello_with_fractional_interval_keeps_the_fraction() {
    assert_eq!(
        text(r#"{"op":8,"d":{"heartbeat_interval":41250.5}}"#),
        unsequenced(ServerMessage::Hello(Hello::new(
            Duration::from_micros(41_250_500),
            None,
        )))
    );
}

#[test]
fn hello_with_zero_or_negative_interval_is_refused() {
    json_error(r#"{"op":8,"d":{"heartbeat_interval":0,"v":8}}"#);
    json_error(r#"{"op":8,"d":{"heartbeat_interval":0.0,"v":8}}"#);
    json_error(r#"{"op":8,"d":{"heartbeat_interval":-13750,"v":8}}"#);
    json_error(r#"{"op":8,"d":{"heartbeat_interval":-0.5,"v":8}}"#);
}

#[test]
fn hello_without_interval_is_refused() {
    json_error(r#"{"op":8,"d":{"v":8}}"#);
    json_error(r#"{"op":8,"d":null}"#);
    json_error(r#"{"op":8}"#);
}

// ---- op 2 Ready ----

#[test]
fn ready_ignores_its_erroneous_heartbeat_interval() {
    let wire = r#"{"op":2,"d":{"ssrc":1,"ip":"127.0.0.1","port":1234,"modes":["aead_aes256_gcm_rtpsize","aead_xchacha20_poly1305_rtpsize"],"heartbeat_interval":1},"seq":1}"#;
    assert_eq!(
        text(wire),
        Incoming {
            seq: Some(1),
            message: ServerMessage::Ready(Ready::new(
                1,
                "127.0.0.1".into(),
                1234,
                vec![
                    "aead_aes256_gcm_rtpsize".into(),
                    "aead_xchacha20_poly1305_rtpsize".into()
                ],
            )),
        }
    );
}

// ---- op 4 Session Description ----

#[test]
fn session_description_with_32_byte_key() {
    let wire = r#"{"op":4,"d":{"mode":"aead_aes256_gcm_rtpsize","secret_key":[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,255],"dave_protocol_version":1},"seq":2}"#;
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = i as u8;
    }
    key[31] = 255;
    assert_eq!(
        text(wire),
        Incoming {
            seq: Some(2),
            message: ServerMessage::SessionDescription(SessionDescription::new(
                "aead_aes256_gcm_rtpsize".into(),
                SecretKey(key),
                1,
            )),
        }
    );
}

#[test]
fn session_description_key_of_wrong_length_is_refused() {
    json_error(r#"{"op":4,"d":{"mode":"m","secret_key":[1,2,3]}}"#);
    json_error(
        r#"{"op":4,"d":{"mode":"m","secret_key":[256,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]}}"#,
    );
}

#[test]
fn secret_key_never_shows_in_debug() {
    let wire = r#"{"op":4,"d":{"mode":"m","secret_key":[7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7,7]}}"#;
    let debug = format!("{:?}", text(wire));
    assert!(!debug.contains("7, 7"), "{debug}");
}

// ---- op 5 Speaking ----

#[test]
fn speaking_from_the_server_names_the_user() {
    assert_eq!(
        text(
            r#"{"op":5,"d":{"user_id":"80351110224678912","ssrc":5678,"speaking":5,"delay":0},"seq":3}"#
        ),
        Incoming {
            seq: Some(3),
            message: ServerMessage::Speaking(
                SpeakingUpdate::new(Some(80351110224678912), 5678, 5,)
            ),
        }
    );
}

// ---- op 6 Heartbeat ACK ----

#[test]
fn heartbeat_ack_v8_object() {
    assert_eq!(
        text(r#"{"op":6,"d":{"t":1501184119561}}"#),
        unsequenced(ServerMessage::HeartbeatAck(HeartbeatAck::new(
            1501184119561,
        )))
    );
}

#[test]
fn heartbeat_ack_bare_integer() {
    assert_eq!(
        text(r#"{"op":6,"d":1501184119561}"#),
        unsequenced(ServerMessage::HeartbeatAck(HeartbeatAck::new(
            1501184119561,
        )))
    );
}

#[test]
fn heartbeat_ack_with_non_integer_nonce_is_refused() {
    json_error(r#"{"op":6,"d":{"t":"1501184119561"}}"#);
    json_error(r#"{"op":6,"d":{"t":1.5}}"#);
    json_error(r#"{"op":6,"d":{"t":-1}}"#);
    json_error(r#"{"op":6,"d":{}}"#);
}

// ---- op 9 Resumed ----

#[test]
fn resumed_with_null_payload() {
    assert_eq!(
        text(r#"{"op":9,"d":null}"#),
        unsequenced(ServerMessage::Resumed)
    );
}

#[test]
fn resumed_without_payload() {
    assert_eq!(text(r#"{"op":9}"#), unsequenced(ServerMessage::Resumed));
}

// ---- op 11 / 13 ----

#[test]
fn clients_connect() {
    assert_eq!(
        text(r#"{"op":11,"d":{"user_ids":["80351110224678912","1234"]},"seq":4}"#),
        Incoming {
            seq: Some(4),
            message: ServerMessage::ClientsConnect(ClientsConnect::new(vec![
                80351110224678912,
                1234
            ],)),
        }
    );
}

#[test]
fn client_disconnect() {
    assert_eq!(
        text(r#"{"op":13,"d":{"user_id":"80351110224678912"},"seq":5}"#),
        Incoming {
            seq: Some(5),
            message: ServerMessage::ClientDisconnect(ClientDisconnect::new(80351110224678912,)),
        }
    );
}

// ---- DAVE JSON ops 21 / 22 / 24 ----

#[test]
fn dave_prepare_transition() {
    assert_eq!(
        text(r#"{"op":21,"d":{"transition_id":3,"protocol_version":1},"seq":6}"#),
        Incoming {
            seq: Some(6),
            message: ServerMessage::DavePrepareTransition(DavePrepareTransition::new(3, 1,)),
        }
    );
}

#[test]
fn dave_execute_transition() {
    assert_eq!(
        text(r#"{"op":22,"d":{"transition_id":3},"seq":7}"#),
        Incoming {
            seq: Some(7),
            message: ServerMessage::DaveExecuteTransition(DaveExecuteTransition::new(3,)),
        }
    );
}

#[test]
fn dave_prepare_epoch() {
    // Discord's docs: transition_id and epoch.
    assert_eq!(
        text(r#"{"op":24,"d":{"transition_id":7,"epoch":2},"seq":8}"#),
        Incoming {
            seq: Some(8),
            message: ServerMessage::DavePrepareEpoch(DavePrepareEpoch::new(Some(7), 2, None,)),
        }
    );
    // The DAVE whitepaper's example: protocol_version and epoch.
    assert_eq!(
        text(r#"{"op":24,"d":{"epoch":1,"protocol_version":1},"seq":8}"#),
        Incoming {
            seq: Some(8),
            message: ServerMessage::DavePrepareEpoch(DavePrepareEpoch::new(None, 1, Some(1),)),
        }
    );
    assert_eq!(
        text(r#"{"op":24,"d":{"transition_id":3,"epoch":1,"protocol_version":1},"seq":9}"#),
        Incoming {
            seq: Some(9),
            message: ServerMessage::DavePrepareEpoch(DavePrepareEpoch::new(Some(3), 1, Some(1),)),
        }
    );
}

#[test]
fn dave_prepare_epoch_without_its_epoch_is_invalid() {
    assert!(matches!(
        decode_text(r#"{"op":24,"d":{"transition_id":7},"seq":8}"#),
        Err(DecodeError::Json { .. })
    ));
}

// ---- envelope: key order, unknown fields, unknown ops ----

#[test]
fn seq_before_and_after_d_decode_alike() {
    let expected = Incoming {
        seq: Some(9),
        message: ServerMessage::DaveExecuteTransition(DaveExecuteTransition::new(4)),
    };
    assert_eq!(
        text(r#"{"op":22,"seq":9,"d":{"transition_id":4}}"#),
        expected
    );
    assert_eq!(
        text(r#"{"op":22,"d":{"transition_id":4},"seq":9}"#),
        expected
    );
    assert_eq!(
        text(r#"{"seq":9,"op":22,"d":{"transition_id":4}}"#),
        expected
    );
}

#[test]
fn d_before_op_decodes_the_same() {
    assert_eq!(
        text(r#"{"d":{"heartbeat_interval":13750.0,"v":8},"op":8}"#),
        unsequenced(ServerMessage::Hello(Hello::new(
            Duration::from_millis(13750),
            Some(8),
        )))
    );
    assert_eq!(
        text(r#"{"d":{"t":42},"op":6}"#),
        unsequenced(ServerMessage::HeartbeatAck(HeartbeatAck::new(42)))
    );
    assert_eq!(
        text(r#"{"d":{"user_ids":["1"]},"seq":3,"op":11}"#),
        Incoming {
            seq: Some(3),
            message: ServerMessage::ClientsConnect(ClientsConnect::new(vec![1])),
        }
    );
    assert_eq!(
        text(r#"{"d":null,"op":9}"#),
        unsequenced(ServerMessage::Resumed)
    );
}

#[test]
fn unknown_top_level_and_inner_fields_are_ignored() {
    assert_eq!(
        text(
            r#"{"t":null,"op":8,"s":null,"d":{"heartbeat_interval":13750,"extra":{"deep":[1,2,{"x":null}]},"v":8},"new_field":"x"}"#
        ),
        unsequenced(ServerMessage::Hello(Hello::new(
            Duration::from_millis(13750),
            Some(8),
        )))
    );
    assert_eq!(
        text(r#"{"op":6,"d":{"t":7,"heartbeat_interval":1}}"#),
        unsequenced(ServerMessage::HeartbeatAck(HeartbeatAck::new(7)))
    );
}

#[test]
fn whitespace_between_tokens_is_accepted() {
    assert_eq!(
        text(" {\n  \"op\" : 9 ,\n  \"d\" : null\n}\n"),
        unsequenced(ServerMessage::Resumed)
    );
}

#[test]
fn unknown_op_18_is_surfaced_with_its_payload() {
    assert_eq!(
        text(r#"{"op":18,"d":{"flags":2,"user_id":"1"}}"#),
        unsequenced(ServerMessage::Unknown {
            op: 18,
            payload: UnknownPayload::Json(json!({"flags": 2, "user_id": "1"})),
        })
    );
}

#[test]
fn unknown_ops_seen_from_discord_are_not_errors() {
    for op in [12u8, 14, 15, 16, 17, 18, 20] {
        let wire = format!(r#"{{"op":{op},"d":{{"any":"thing"}},"seq":1}}"#);
        let incoming = text(&wire);
        assert_eq!(incoming.seq, Some(1));
        assert_eq!(incoming.message.op(), op);
        assert!(matches!(
            incoming.message,
            ServerMessage::Unknown {
                payload: UnknownPayload::Json(_),
                ..
            }
        ));
    }
}

#[test]
fn unknown_op_without_payload_is_null() {
    assert_eq!(
        text(r#"{"op":20}"#),
        unsequenced(ServerMessage::Unknown {
            op: 20,
            payload: UnknownPayload::Json(serde_json::Value::Null),
        })
    );
}

#[test]
fn null_seq_means_no_seq() {
    assert_eq!(
        text(r#"{"op":9,"d":null,"seq":null}"#),
        unsequenced(ServerMessage::Resumed)
    );
}

// ---- malformed JSON ----

#[test]
fn malformed_json_is_an_error() {
    json_error("");
    json_error("hello");
    json_error(r#"{"op":8,"#);
    json_error(r#"{"op":9,"d":null"#);
    json_error(r#"{"op":9,"d":null} trailing"#);
    json_error(r#"{"op":9,"d":null}{"op":9,"d":null}"#);
    json_error("[8]");
    json_error("null");
    json_error("8");
}

#[test]
fn missing_op_is_an_error() {
    json_error(r#"{"d":{"heartbeat_interval":13750}}"#);
    json_error(r#"{}"#);
}

#[test]
fn wrong_types_are_errors() {
    json_error(r#"{"op":"8","d":{"heartbeat_interval":13750}}"#);
    json_error(r#"{"op":8.0,"d":{"heartbeat_interval":13750}}"#);
    json_error(r#"{"op":256,"d":null}"#);
    json_error(r#"{"op":-1,"d":null}"#);
    json_error(r#"{"op":8,"d":{"heartbeat_interval":"13750"}}"#);
    json_error(r#"{"op":9,"d":null,"seq":65536}"#);
    json_error(r#"{"op":9,"d":null,"seq":-1}"#);
    json_error(r#"{"op":9,"d":null,"seq":"1"}"#);
    json_error(r#"{"op":2,"d":{"ssrc":"1","ip":"127.0.0.1","port":1234,"modes":[]}}"#);
    json_error(r#"{"op":2,"d":{"ssrc":1,"ip":"127.0.0.1","port":70000,"modes":[]}}"#);
    json_error(r#"{"op":11,"d":{"user_ids":"1"}}"#);
    json_error(r#"{"op":21,"d":{"transition_id":65536,"protocol_version":1}}"#);
}

#[test]
fn known_op_with_missing_payload_is_an_error() {
    json_error(r#"{"op":2}"#);
    json_error(r#"{"op":4,"d":null}"#);
    json_error(r#"{"op":13,"d":{}}"#);
    json_error(r#"{"op":22,"d":{}}"#);
}

// ---- binary frames ----

#[test]
fn binary_op_25_payload_is_a_slice_of_the_frame() {
    let frame = Bytes::from(vec![0x00, 0x05, 25, 0xAA, 0xBB, 0xCC]);
    let base = frame.as_ptr();
    let incoming = decode_binary(frame).unwrap();
    assert_eq!(incoming.seq, Some(5));
    let ServerMessage::DaveMlsExternalSender(payload) = incoming.message else {
        panic!("expected op 25, got {:?}", incoming.message);
    };
    assert_eq!(&payload[..], &[0xAA, 0xBB, 0xCC]);
    assert_eq!(payload.as_ptr(), base.wrapping_add(3), "payload was copied");
}

#[test]
fn binary_op_27_payload_is_a_slice_of_the_frame() {
    let frame = Bytes::from(vec![0x12, 0x34, 27, 1, 2, 3, 4]);
    let base = frame.as_ptr();
    let incoming = decode_binary(frame).unwrap();
    assert_eq!(incoming.seq, Some(0x1234));
    let ServerMessage::DaveMlsProposals(payload) = incoming.message else {
        panic!("expected op 27, got {:?}", incoming.message);
    };
    assert_eq!(&payload[..], &[1, 2, 3, 4]);
    assert_eq!(payload.as_ptr(), base.wrapping_add(3), "payload was copied");
}

#[test]
fn binary_op_25_with_header_only_has_empty_payload() {
    let incoming = decode_binary(Bytes::from_static(&[0xFF, 0xFF, 25])).unwrap();
    assert_eq!(
        incoming,
        Incoming {
            seq: Some(65535),
            message: ServerMessage::DaveMlsExternalSender(Bytes::new()),
        }
    );
}

#[test]
fn binary_op_29_reads_big_endian_transition_id() {
    let frame = Bytes::from(vec![0x01, 0x00, 29, 0x12, 0x34, 0xDE, 0xAD]);
    let base = frame.as_ptr();
    let incoming = decode_binary(frame).unwrap();
    assert_eq!(incoming.seq, Some(256));
    let ServerMessage::DaveMlsAnnounceCommitTransition {
        transition_id,
        commit,
    } = incoming.message
    else {
        panic!("expected op 29, got {:?}", incoming.message);
    };
    assert_eq!(transition_id, 0x1234);
    assert_eq!(&commit[..], &[0xDE, 0xAD]);
    assert_eq!(commit.as_ptr(), base.wrapping_add(5), "commit was copied");
}

#[test]
fn binary_op_30_reads_big_endian_transition_id() {
    let frame = Bytes::from(vec![0x00, 0x00, 30, 0xAB, 0xCD, 9, 8, 7]);
    let base = frame.as_ptr();
    let incoming = decode_binary(frame).unwrap();
    assert_eq!(incoming.seq, Some(0));
    let ServerMessage::DaveMlsWelcome {
        transition_id,
        welcome,
    } = incoming.message
    else {
        panic!("expected op 30, got {:?}", incoming.message);
    };
    assert_eq!(transition_id, 0xABCD);
    assert_eq!(&welcome[..], &[9, 8, 7]);
    assert_eq!(welcome.as_ptr(), base.wrapping_add(5), "welcome was copied");
}

#[test]
fn binary_op_29_and_30_with_only_a_transition_id() {
    assert_eq!(
        decode_binary(Bytes::from_static(&[0, 1, 29, 0, 7])).unwrap(),
        Incoming {
            seq: Some(1),
            message: ServerMessage::DaveMlsAnnounceCommitTransition {
                transition_id: 7,
                commit: Bytes::new(),
            },
        }
    );
    assert_eq!(
        decode_binary(Bytes::from_static(&[0, 2, 30, 1, 0])).unwrap(),
        Incoming {
            seq: Some(2),
            message: ServerMessage::DaveMlsWelcome {
                transition_id: 256,
                welcome: Bytes::new(),
            },
        }
    );
}

#[test]
fn unknown_binary_op_is_surfaced_with_its_payload() {
    assert_eq!(
        decode_binary(Bytes::from_static(&[0x00, 0x2A, 99, 1, 2])).unwrap(),
        Incoming {
            seq: Some(42),
            message: ServerMessage::Unknown {
                op: 99,
                payload: UnknownPayload::Binary(Bytes::from_static(&[1, 2])),
            },
        }
    );
}

#[test]
fn client_only_binary_ops_from_the_server_are_unknown() {
    // 26 and 28 are client-to-server; a server sending them is surfaced as is.
    for op in [26u8, 28] {
        let incoming = decode_binary(Bytes::from(vec![0, 3, op, 5])).unwrap();
        assert_eq!(
            incoming.message,
            ServerMessage::Unknown {
                op,
                payload: UnknownPayload::Binary(Bytes::from_static(&[5])),
            }
        );
    }
}

#[test]
fn binary_frames_shorter_than_the_header_are_refused() {
    assert_eq!(
        decode_binary(Bytes::from_static(&[])),
        Err(DecodeError::BinaryTooShort { len: 0 })
    );
    assert_eq!(
        decode_binary(Bytes::from_static(&[0])),
        Err(DecodeError::BinaryTooShort { len: 1 })
    );
    assert_eq!(
        decode_binary(Bytes::from_static(&[0, 1])),
        Err(DecodeError::BinaryTooShort { len: 2 })
    );
}

#[test]
fn binary_op_29_and_30_without_transition_id_are_refused() {
    assert_eq!(
        decode_binary(Bytes::from_static(&[0, 1, 29, 0x12])),
        Err(DecodeError::MissingTransitionId { op: 29, len: 1 })
    );
    assert_eq!(
        decode_binary(Bytes::from_static(&[0, 1, 30])),
        Err(DecodeError::MissingTransitionId { op: 30, len: 0 })
    );
}

#[test]
fn binary_frame_starting_with_brace_is_binary() {
    // seq 0x7B00: the first byte is '{', and the frame type alone decides.
    let wire: &[u8] = &[0x7B, 0x00, 25, b'"', b'o', b'p', b'"', b'}'];
    assert_eq!(
        decode(Frame::Binary(Bytes::copy_from_slice(wire))).unwrap(),
        Incoming {
            seq: Some(0x7B00),
            message: ServerMessage::DaveMlsExternalSender(Bytes::from_static(b"\"op\"}")),
        }
    );
}

#[test]
fn decode_dispatches_on_frame_type() {
    assert_eq!(
        decode(Frame::Text(r#"{"op":9,"d":null}"#)).unwrap(),
        unsequenced(ServerMessage::Resumed)
    );
    // The same bytes as a binary frame: seq 0x7B22, op b'o'.
    let wire = br#"{"op":9,"d":null}"#;
    let incoming = decode(Frame::Binary(Bytes::from_static(wire))).unwrap();
    assert_eq!(incoming.seq, Some(0x7B22));
    assert_eq!(incoming.message.op(), b'o');
}

#[test]
fn user_ids_are_snowflakes_and_garbage_ids_are_errors() {
    json_error(r#"{"op":13,"d":{"user_id":"12a"}}"#);
    json_error(r#"{"op":13,"d":{"user_id":"+12"}}"#);
    json_error(r#"{"op":13,"d":{"user_id":""}}"#);
    json_error(r#"{"op":13,"d":{"user_id":"18446744073709551616"}}"#);
    json_error(r#"{"op":11,"d":{"user_ids":["1",true]}}"#);
    assert_eq!(
        text(r#"{"op":13,"d":{"user_id":18446744073709551615}}"#),
        Incoming {
            seq: None,
            message: ServerMessage::ClientDisconnect(ClientDisconnect::new(u64::MAX)),
        }
    );
    assert_eq!(
        text(r#"{"op":5,"d":{"user_id":null,"ssrc":1,"speaking":0}}"#),
        Incoming {
            seq: None,
            message: ServerMessage::Speaking(SpeakingUpdate::new(None, 1, 0,)),
        }
    );
}
