//! Target `decode_json`: text frames through the JSON decoder and through
//! a transport, for the bad-input policy.

use core::time::Duration;
use serde_json::Value;
use voice_ws_proto::codec::{UnknownPayload, decode_text};
use voice_ws_proto::transport::Event;
use voice_ws_proto::{
    DecodeError, Frame, Incoming, Instant, ServerMessage, State, Transport, TransportConfig,
};

/// Decodes `data` (lossily made UTF-8) as a JSON text frame.
///
/// Checks: no panic; errors are JSON errors with a description; a decoded
/// `seq`, user ids, an unknown op's `d`, and the op when the key is
/// unambiguous agree with a generic JSON parse of the same text; a Hello's interval is
/// in (0, 1 h]. Then the bad-input policy: fed to an open transport, the
/// text yields exactly one `Message` or `InvalidFrame` event (none for an
/// ACK) and the socket stays open.
pub fn decode_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();
    let result = decode_text(text);
    match &result {
        Ok(incoming) => check_against_value(text, incoming),
        Err(DecodeError::Json { message }) => {
            assert!(!message.is_empty(), "JSON error without a description");
        }
        Err(e) => panic!("text decode failed with a non-JSON error: {e:?}"),
    }
    check_bad_input_policy(text, &result);
}

fn check_against_value(text: &str, incoming: &Incoming) {
    if let ServerMessage::Hello(hello) = &incoming.message {
        assert!(
            hello.heartbeat_interval > Duration::ZERO
                && hello.heartbeat_interval <= Duration::from_secs(3600),
            "Hello interval out of range: {:?}",
            hello.heartbeat_interval
        );
    }
    // serde_json::Value refuses some texts the typed decoder may skip over
    // (numbers beyond f64 in ignored fields); compare only when it parses.
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let seq = map.get("seq").and_then(Value::as_u64);
    assert_eq!(
        incoming.seq.map(u64::from),
        seq,
        "decoded seq differs from the JSON's"
    );
    // With exactly one "op" in the text and no escapes, there is one op key.
    if text.matches(r#""op""#).count() == 1 && !text.contains('\\') {
        let op = map.get("op").and_then(Value::as_u64);
        assert_eq!(
            Some(u64::from(incoming.message.op())),
            op,
            "decoded op differs from the JSON's"
        );
    }
    let d = map.get("d").unwrap_or(&Value::Null);
    // serde-derived payloads also accept the sequence form (`"d":[[..]]`,
    // fields in declaration order); compare ids only for the object form.
    let ids_match = !d.is_object()
        || match &incoming.message {
            ServerMessage::ClientsConnect(m) => d["user_ids"].as_array().is_some_and(|ids| {
                ids.iter()
                    .map(snowflake)
                    .eq(m.user_ids.iter().map(|id| Some(*id)))
            }),
            ServerMessage::ClientDisconnect(m) => snowflake(&d["user_id"]) == Some(m.user_id),
            ServerMessage::Speaking(m) => match d.get("user_id") {
                None | Some(Value::Null) => m.user_id.is_none(),
                Some(id) => snowflake(id) == m.user_id && m.user_id.is_some(),
            },
            _ => true,
        };
    assert!(
        ids_match,
        "decoded user ids differ from the JSON's: {:?}",
        incoming.message
    );
    if let ServerMessage::Unknown {
        payload: UnknownPayload::Json(d),
        ..
    } = &incoming.message
    {
        let expected = map.get("d").cloned().unwrap_or(Value::Null);
        assert_eq!(d, &expected, "unknown op's d differs from the JSON's");
    }
}

/// A Discord id the way docs/protocol.md describes it: a string of decimal
/// digits (or, leniently, a JSON integer) that fits a u64.
fn snowflake(id: &Value) -> Option<u64> {
    match id {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse().ok()
        }
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn check_bad_input_policy(text: &str, result: &Result<Incoming, DecodeError>) {
    let mut t = Transport::new(TransportConfig::default());
    let now = Instant::from_millis(1);
    t.handle_open(now);
    assert_eq!(t.poll_event(), Some(Event::Connected));
    t.handle_frame(now, Frame::Text(text));
    assert_eq!(
        t.state(),
        State::Open,
        "a frame within the size limit closed the socket"
    );
    assert_eq!(
        t.poll_transmit(),
        None,
        "a received frame made the client write"
    );
    let event = t.poll_event();
    match (result, event) {
        (Err(e), Some(Event::InvalidFrame(reported))) => assert_eq!(e, &reported),
        (Ok(incoming), Some(Event::Message(m))) => assert_eq!(incoming, &m),
        (
            Ok(Incoming {
                message: ServerMessage::HeartbeatAck(_),
                ..
            }),
            None,
        ) => {}
        (result, event) => panic!("decoded {result:?} but the transport reported {event:?}"),
    }
    assert_eq!(t.poll_event(), None, "one frame, at most one event");
}
