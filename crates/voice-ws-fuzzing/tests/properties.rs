//! Property tests of the codec.
//!
//! Client messages: the crate has no client-side decoder, so each encoded
//! message is read back with `serde_json::Value` (binary: by its bytes) and
//! compared field by field with the values that went in. Server messages
//! are written as literal JSON with `format!` (keys in random order, with
//! unknown keys mixed in) and must decode to exactly those values. And no
//! input at all makes the decoder panic.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use core::time::Duration;
use proptest::prelude::*;
use serde_json::{Value, json};
use voice_ws_proto::codec::{
    ClientDisconnect, ClientsConnect, DaveExecuteTransition, DavePrepareEpoch,
    DavePrepareTransition, HeartbeatAck, Hello, Identify, Ready, Resume, SecretKey, SelectProtocol,
    SessionDescription, Speaking, SpeakingUpdate, UnknownPayload, decode_binary, decode_text,
};
use voice_ws_proto::{ClientMessage, DecodeError, Incoming, ServerMessage, Transmit};

// ---- helpers ----

/// The JSON of a text transmit, parsed by serde_json (not by the crate).
fn json_of(t: &Transmit) -> Value {
    match t {
        Transmit::Text(text) => serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("encoded text is not JSON ({e}): {text}")),
        other => panic!("expected a text frame, got {other:?}"),
    }
}

/// Checks the envelope `{"op": op, "d": ..}` (nothing else: clients send
/// no `seq`) and returns `d`.
fn payload(t: &Transmit, op: u8) -> Value {
    let v = json_of(t);
    let map = v.as_object().unwrap();
    assert_eq!(map.get("op"), Some(&json!(op)), "op of {v}");
    assert_eq!(map.len(), 2, "envelope has only op and d: {v}");
    map["d"].clone()
}

/// A JSON string literal, escaped by serde_json.
fn lit(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// `{"op":..,"d":..,"seq":..}` with the keys in the order `order` picks and
/// an unknown key somewhere, as servers may send.
fn envelope(op: u8, d: &str, seq: Option<u16>, order: u8) -> String {
    let mut fields = vec![format!(r#""op":{op}"#), format!(r#""d":{d}"#)];
    if let Some(seq) = seq {
        fields.push(format!(r#""seq":{seq}"#));
    }
    if order & 1 != 0 {
        fields.push(r#""t":null"#.to_string());
    }
    let n = fields.len();
    fields.rotate_left(usize::from(order >> 1) % n);
    if order & 0x40 != 0 {
        fields.reverse();
    }
    format!("{{{}}}", fields.join(","))
}

/// A Discord id as Discord sends it (a decimal string) or, accepted
/// leniently, as a JSON integer.
fn snowflake(id: u64, as_string: bool) -> String {
    if as_string {
        format!(r#""{id}""#)
    } else {
        id.to_string()
    }
}

fn decoded(text: &str) -> Incoming {
    decode_text(text).unwrap_or_else(|e| panic!("{text} should decode: {e}"))
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Quarters print and parse back exactly (serde_json without
        // float_roundtrip may be an ulp off on arbitrary doubles).
        (-4_000_000i32..4_000_000).prop_map(|n| Value::from(f64::from(n) / 4.0)),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn seq() -> impl Strategy<Value = Option<u16>> {
    prop::option::of(any::<u16>())
}

// ---- client messages: encode, then read back with serde_json ----

proptest! {
    #[test]
    fn identify_encodes_every_field(
        server_id in ".{0,24}",
        user_id in "[0-9]{1,20}",
        session_id in ".{0,40}",
        token in ".{0,80}",
        dave in any::<u16>(),
    ) {
        let m = ClientMessage::Identify(Identify::new(
            server_id.clone(),
            user_id.clone(),
            session_id.clone(),
            token.as_str().into(),
            dave,
        ));
        prop_assert_eq!(m.op(), 0);
        prop_assert!(m.is_control());
        let d = payload(&m.encode(), 0);
        prop_assert_eq!(d["server_id"].as_str(), Some(server_id.as_str()));
        prop_assert_eq!(d["user_id"].as_str(), Some(user_id.as_str()));
        prop_assert_eq!(d["session_id"].as_str(), Some(session_id.as_str()));
        prop_assert_eq!(d["token"].as_str(), Some(token.as_str()));
        prop_assert_eq!(d["max_dave_protocol_version"].as_u64(), Some(u64::from(dave)));
        prop_assert_eq!(d.as_object().unwrap().len(), 5);
    }

    #[test]
    fn select_protocol_encodes_every_field(
        address in ".{0,40}",
        port in any::<u16>(),
        mode in "[a-z0-9_]{0,40}",
    ) {
        let m = ClientMessage::SelectProtocol(SelectProtocol::new(
            address.clone(),
            port,
            mode.clone(),
        ));
        prop_assert_eq!(m.op(), 1);
        let d = payload(&m.encode(), 1);
        prop_assert_eq!(d["protocol"].as_str(), Some("udp"));
        prop_assert_eq!(d["data"]["address"].as_str(), Some(address.as_str()));
        prop_assert_eq!(d["data"]["port"].as_u64(), Some(u64::from(port)));
        prop_assert_eq!(d["data"]["mode"].as_str(), Some(mode.as_str()));
    }

    #[test]
    fn heartbeat_nonce_is_an_integer_and_seq_ack_defaults_to_minus_one(
        nonce in 0u64..(1 << 53),
        seq_ack in seq(),
    ) {
        let m = ClientMessage::Heartbeat { nonce, seq_ack };
        prop_assert_eq!(m.op(), 3);
        prop_assert!(m.is_control());
        let d = payload(&m.encode(), 3);
        // An integer, neither a float nor a string (Discord answers 4020).
        prop_assert!(d["t"].is_u64(), "nonce is not an integer: {}", d);
        prop_assert_eq!(d["t"].as_u64(), Some(nonce));
        prop_assert_eq!(d["seq_ack"].as_i64(), Some(seq_ack.map_or(-1, i64::from)));
    }

    #[test]
    fn speaking_encodes_every_field(speaking in any::<u32>(), delay in any::<u32>(), ssrc in any::<u32>()) {
        let mut sent = Speaking::new(speaking, ssrc);
        sent.delay = delay;
        let m = ClientMessage::Speaking(sent);
        prop_assert_eq!(m.op(), 5);
        prop_assert!(!m.is_control());
        let d = payload(&m.encode(), 5);
        prop_assert_eq!(d["speaking"].as_u64(), Some(u64::from(speaking)));
        prop_assert_eq!(d["delay"].as_u64(), Some(u64::from(delay)));
        prop_assert_eq!(d["ssrc"].as_u64(), Some(u64::from(ssrc)));
    }

    #[test]
    fn resume_encodes_every_field(
        server_id in ".{0,24}",
        session_id in ".{0,40}",
        token in ".{0,80}",
        seq_ack in seq(),
    ) {
        let m = ClientMessage::Resume(Resume::new(
            server_id.clone(),
            session_id.clone(),
            token.as_str().into(),
            seq_ack,
        ));
        prop_assert_eq!(m.op(), 7);
        prop_assert!(m.is_control());
        let d = payload(&m.encode(), 7);
        prop_assert_eq!(d["server_id"].as_str(), Some(server_id.as_str()));
        prop_assert_eq!(d["session_id"].as_str(), Some(session_id.as_str()));
        prop_assert_eq!(d["token"].as_str(), Some(token.as_str()));
        prop_assert_eq!(d["seq_ack"].as_i64(), Some(seq_ack.map_or(-1, i64::from)));
        prop_assert_eq!(d.as_object().unwrap().len(), 4);
    }

    #[test]
    fn dave_json_messages_encode_the_transition_id(transition_id in any::<u16>(), invalid in any::<bool>()) {
        let (m, op) = if invalid {
            (ClientMessage::DaveMlsInvalidCommitWelcome { transition_id }, 31)
        } else {
            (ClientMessage::DaveTransitionReady { transition_id }, 23)
        };
        prop_assert_eq!(m.op(), op);
        let d = payload(&m.encode(), op);
        prop_assert_eq!(d, json!({ "transition_id": transition_id }));
    }

    #[test]
    fn dave_binary_messages_are_op_then_payload(
        payload in prop::collection::vec(any::<u8>(), 0..2048),
        commit in any::<bool>(),
    ) {
        let bytes = Bytes::from(payload.clone());
        let (m, op) = if commit {
            (ClientMessage::DaveMlsCommitWelcome(bytes), 28)
        } else {
            (ClientMessage::DaveMlsKeyPackage(bytes), 26)
        };
        prop_assert_eq!(m.op(), op);
        match m.encode() {
            Transmit::Binary(frame) => {
                prop_assert_eq!(frame[0], op);
                prop_assert_eq!(&frame[1..], &payload[..]);
            }
            other => prop_assert!(false, "op {} should be binary, got {:?}", op, other),
        }
    }
}

// ---- server messages: literal JSON in, typed values out ----

proptest! {
    #[test]
    fn hello_interval_integer_or_float(
        ms in 1u64..3_600_000,
        form in 0u8..3,
        v in prop::option::of(any::<u8>()),
        order in any::<u8>(),
    ) {
        let (number, expected) = match form {
            0 => (format!("{ms}"), Duration::from_millis(ms)),
            1 => (format!("{ms}.0"), Duration::from_millis(ms)),
            _ => (format!("{ms}.5"), Duration::from_micros(ms * 1000 + 500)),
        };
        let d = match v {
            Some(v) => format!(r#"{{"v":{v},"heartbeat_interval":{number}}}"#),
            None => format!(r#"{{"heartbeat_interval":{number}}}"#),
        };
        let text = envelope(8, &d, None, order);
        prop_assert_eq!(
            decoded(&text),
            Incoming {
                seq: None,
                message: ServerMessage::Hello(Hello::new(expected, v)),
            },
            "{}", text
        );
    }

    #[test]
    fn speaking_update(
        user_id in any::<u64>(),
        as_string in any::<bool>(),
        ssrc in any::<u32>(),
        speaking in any::<u32>(),
        seq in seq(),
        order in any::<u8>(),
    ) {
        let d = format!(
            r#"{{"user_id":{},"ssrc":{ssrc},"speaking":{speaking},"delay":0}}"#,
            snowflake(user_id, as_string)
        );
        let text = envelope(5, &d, seq, order);
        prop_assert_eq!(
            decoded(&text),
            Incoming {
                seq,
                message: ServerMessage::Speaking(SpeakingUpdate::new(
                    Some(user_id),
                    ssrc,
                    speaking,
                )),
            }
        );
    }

    #[test]
    fn ready_ignores_its_heartbeat_interval(
        ssrc in any::<u32>(),
        ip in any::<[u8; 4]>(),
        port in any::<u16>(),
        modes in prop::collection::vec("[a-z0-9_]{1,32}", 0..5),
        bogus in 0.0f64..1e6,
        seq in seq(),
        order in any::<u8>(),
    ) {
        let ip = format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
        let modes_json: Vec<String> = modes.iter().map(|m| lit(m)).collect();
        let d = format!(
            r#"{{"ssrc":{ssrc},"ip":{},"port":{port},"modes":[{}],"heartbeat_interval":{bogus},"experiments":["x"]}}"#,
            lit(&ip),
            modes_json.join(",")
        );
        let text = envelope(2, &d, seq, order);
        prop_assert_eq!(
            decoded(&text),
            Incoming { seq, message: ServerMessage::Ready(Ready::new(ssrc, ip, port, modes)) }
        );
    }

    #[test]
    fn session_description(
        mode in "[a-z0-9_]{1,32}",
        key in any::<[u8; 32]>(),
        dave in any::<u16>(),
        seq in seq(),
        order in any::<u8>(),
    ) {
        let key_json: Vec<String> = key.iter().map(u8::to_string).collect();
        let d = format!(
            r#"{{"mode":{},"secret_key":[{}],"dave_protocol_version":{dave}}}"#,
            lit(&mode),
            key_json.join(",")
        );
        let text = envelope(4, &d, seq, order);
        prop_assert_eq!(
            decoded(&text),
            Incoming {
                seq,
                message: ServerMessage::SessionDescription(SessionDescription::new(
                    mode,
                    SecretKey(key),
                    dave,
                )),
            }
        );
    }

    #[test]
    fn heartbeat_ack_object_or_bare(nonce in any::<u64>(), bare in any::<bool>(), order in any::<u8>()) {
        let d = if bare { format!("{nonce}") } else { format!(r#"{{"t":{nonce}}}"#) };
        let text = envelope(6, &d, None, order);
        prop_assert_eq!(
            decoded(&text),
            Incoming { seq: None, message: ServerMessage::HeartbeatAck(HeartbeatAck::new(nonce)) }
        );
    }

    #[test]
    fn clients_connect_and_disconnect(
        user_ids in prop::collection::vec(any::<u64>(), 0..60),
        as_string in any::<bool>(),
        seq in seq(),
        order in any::<u8>(),
    ) {
        let ids: Vec<String> = user_ids.iter().map(|id| snowflake(*id, as_string)).collect();
        let text = envelope(11, &format!(r#"{{"user_ids":[{}]}}"#, ids.join(",")), seq, order);
        prop_assert_eq!(
            decoded(&text),
            Incoming {
                seq,
                message: ServerMessage::ClientsConnect(ClientsConnect::new(user_ids.clone())),
            }
        );
        if let Some(user_id) = user_ids.first() {
            let text = envelope(13, &format!(r#"{{"user_id":{}}}"#, snowflake(*user_id, as_string)), seq, order);
            prop_assert_eq!(
                decoded(&text),
                Incoming {
                    seq,
                    message: ServerMessage::ClientDisconnect(ClientDisconnect::new(
                        *user_id,
                    )),
                }
            );
        }
    }

    #[test]
    fn dave_json_transitions_and_epochs(
        transition_id in any::<u16>(),
        protocol_version in any::<u16>(),
        epoch in any::<u64>(),
        seq in seq(),
        order in any::<u8>(),
    ) {
        let d21 = format!(r#"{{"transition_id":{transition_id},"protocol_version":{protocol_version}}}"#);
        prop_assert_eq!(
            decoded(&envelope(21, &d21, seq, order)),
            Incoming {
                seq,
                message: ServerMessage::DavePrepareTransition(DavePrepareTransition::new(
                    transition_id,
                    protocol_version,
                )),
            }
        );
        let d22 = format!(r#"{{"transition_id":{transition_id}}}"#);
        prop_assert_eq!(
            decoded(&envelope(22, &d22, seq, order)),
            Incoming {
                seq,
                message: ServerMessage::DaveExecuteTransition(DaveExecuteTransition::new(transition_id)),
            }
        );
        let d24 = format!(
            r#"{{"transition_id":{transition_id},"epoch":{epoch},"protocol_version":{protocol_version}}}"#
        );
        prop_assert_eq!(
            decoded(&envelope(24, &d24, seq, order)),
            Incoming {
                seq,
                message: ServerMessage::DavePrepareEpoch(DavePrepareEpoch::new(
                    Some(transition_id),
                    epoch,
                    Some(protocol_version),
                )),
            }
        );
        // Only the epoch is required.
        let d24 = format!(r#"{{"epoch":{epoch}}}"#);
        prop_assert_eq!(
            decoded(&envelope(24, &d24, seq, order)),
            Incoming {
                seq,
                message: ServerMessage::DavePrepareEpoch(DavePrepareEpoch::new(
                    None,
                    epoch,
                    None,
                )),
            }
        );
    }

    #[test]
    fn unknown_json_ops_are_surfaced_with_their_payload(
        op in any::<u8>().prop_filter("undocumented ops only", |op| {
            !matches!(op, 2 | 4 | 5 | 6 | 8 | 9 | 11 | 13 | 21 | 22 | 24)
        }),
        d in any_json(),
        seq in seq(),
        order in any::<u8>(),
    ) {
        let text = envelope(op, &d.to_string(), seq, order);
        prop_assert_eq!(
            decoded(&text),
            Incoming { seq, message: ServerMessage::Unknown { op, payload: UnknownPayload::Json(d) } }
        );
    }

    #[test]
    fn binary_dave_messages(
        seq in any::<u16>(),
        op in prop::sample::select(vec![25u8, 27, 29, 30]),
        transition_id in any::<u16>(),
        body in prop::collection::vec(any::<u8>(), 0..4096),
    ) {
        let mut frame = seq.to_be_bytes().to_vec();
        frame.push(op);
        if matches!(op, 29 | 30) {
            frame.extend_from_slice(&transition_id.to_be_bytes());
        }
        frame.extend_from_slice(&body);
        let body = Bytes::from(body);
        let message = match op {
            25 => ServerMessage::DaveMlsExternalSender(body),
            27 => ServerMessage::DaveMlsProposals(body),
            29 => ServerMessage::DaveMlsAnnounceCommitTransition { transition_id, commit: body },
            _ => ServerMessage::DaveMlsWelcome { transition_id, welcome: body },
        };
        prop_assert_eq!(
            decode_binary(Bytes::from(frame)),
            Ok(Incoming { seq: Some(seq), message })
        );
    }
}

// ---- bad input: errors, never panics ----

proptest! {
    #[test]
    fn snowflakes_are_digits_only_and_fit_u64(id in r#"[0-9+\- ]{0,22}"#) {
        let text = format!(r#"{{"op":13,"d":{{"user_id":{}}}}}"#, lit(&id));
        let expected = (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            .then(|| id.parse::<u64>().ok())
            .flatten();
        match (decode_text(&text), expected) {
            (Ok(incoming), Some(user_id)) => prop_assert_eq!(
                incoming.message,
                ServerMessage::ClientDisconnect(ClientDisconnect::new(user_id))
            ),
            (Err(DecodeError::Json { .. }), None) => {}
            (result, expected) => prop_assert!(false, "{:?} for {:?}, expected {:?}", result, id, expected),
        }
    }
}

proptest! {
    #[test]
    fn binary_decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        match decode_binary(Bytes::from(bytes.clone())) {
            Ok(incoming) => {
                prop_assert!(bytes.len() >= 3);
                prop_assert_eq!(incoming.seq, Some(u16::from_be_bytes([bytes[0], bytes[1]])));
                prop_assert_eq!(incoming.message.op(), bytes[2]);
            }
            Err(DecodeError::BinaryTooShort { len }) => prop_assert_eq!(len, bytes.len()),
            Err(DecodeError::MissingTransitionId { op, len }) => {
                prop_assert!(matches!(op, 29 | 30));
                prop_assert_eq!(len + 3, bytes.len());
            }
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    #[test]
    fn text_decode_never_panics(text in ".{0,200}") {
        if let Err(e) = decode_text(&text) {
            prop_assert!(matches!(e, DecodeError::Json { .. }), "{:?}", e);
        }
    }

    #[test]
    fn json_ish_text_decode_never_panics(text in r#"[{}\[\]":,0-9a-z\-. ]{0,80}"#) {
        if let Err(e) = decode_text(&text) {
            prop_assert!(matches!(e, DecodeError::Json { .. }), "{:?}", e);
        }
    }

    #[test]
    fn any_payload_under_any_op_decodes_or_errs(
        op in any::<u8>(),
        d in any_json(),
        seq in seq(),
        order in any::<u8>(),
    ) {
        let text = envelope(op, &d.to_string(), seq, order);
        match decode_text(&text) {
            Ok(incoming) => {
                prop_assert_eq!(incoming.seq, seq);
                prop_assert_eq!(incoming.message.op(), op);
            }
            Err(e) => prop_assert!(matches!(e, DecodeError::Json { .. }), "{:?}", e),
        }
    }
}

// ---- op programs: exactly-once delivery across drops and resumes ----

/// One op of a program that stays close to a real connection: sockets
/// opening, Hello, Ready, numbered messages (fresh, repeats, stale),
/// drops of every kind, an owner that falls behind and catches up, time.
fn delivery_op() -> impl Strategy<Value = Vec<u8>> {
    // Seq choice bytes: 1 next, 2 repeat, 3.. that many back (see ops.rs).
    let seq = prop_oneof![
        6 => Just(vec![1u8]),
        1 => Just(vec![2u8]),
        1 => (3u8..8).prop_map(|b| vec![b]),
        1 => any::<u16>().prop_map(|s| {
            let [lo, hi] = s.to_le_bytes();
            vec![0xff, lo, hi]
        }),
    ];
    prop_oneof![
        3 => Just(b"O".to_vec()),
        2 => Just(b"H\x00\x88\x13".to_vec()),
        2 => seq.clone().prop_map(|s| [b"R".to_vec(), s].concat()),
        2 => Just(b"r\x00".to_vec()),
        8 => (seq.clone(), any::<u8>()).prop_map(|(s, f)| [b"S".to_vec(), s, vec![f]].concat()),
        2 => (seq, 0u8..8).prop_map(|(s, kind)| [vec![b'J', kind], s, vec![7, 0]].concat()),
        // Server closes: 1006, 1000, 4015, 4006, 4014, 4020, no close frame.
        2 => prop::sample::select(vec![5u8, 1, 19, 14, 18, 22, 0]).prop_map(|c| vec![b'C', c]),
        1 => Just(b"Z\x00\x00\x01\x00".to_vec()),
        3 => (0u8..4).prop_map(|n| vec![b'E', n]),
        2 => prop::sample::select(vec![10u16, 500, 1500, 5000, 12000])
            .prop_map(|ms| [vec![b't'], ms.to_le_bytes().to_vec()].concat()),
        1 => (0u8..3).prop_map(|n| vec![b'a', n]),
        1 => Just(b"A".to_vec()),
        1 => Just(b"U".to_vec()),
    ]
}

/// A header for these programs: lazy owner or not, small event queues,
/// any heartbeat tolerance, backoff none or tiny, any resume-loop limit.
fn delivery_program() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        0u8..8,
        0u8..4,
        any::<u8>(),
        prop::collection::vec(delivery_op(), 0..80),
    )
        .prop_map(|(lazy, events, tolerance, seed, ops)| {
            let flags = u8::from(lazy);
            let bounds = (events << 3) | (tolerance << 6);
            // Backoff tiny (1-5 ms), other timeouts default.
            let timeouts = 2 << 6;
            let mut data = vec![flags, bounds, timeouts, 0, seed];
            data.extend(ops.concat());
            data
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The session harness checks, among the rest, that every fresh
    /// message is received once and in order, repeats never, and that the
    /// owner takes each exactly once; it panics otherwise.
    #[test]
    fn session_delivers_exactly_once(data in delivery_program()) {
        voice_ws_fuzzing::session_ops(&data);
    }

    /// The same over a bare transport whose owner resumes on each socket.
    #[test]
    fn transport_delivers_exactly_once(data in delivery_program()) {
        voice_ws_fuzzing::transport_ops(&data);
    }
}
