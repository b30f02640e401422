//! Property tests: no input makes the decoder or the transport panic.

use bytes::Bytes;
use proptest::prelude::*;
use voice_ws_proto::codec::{decode_binary, decode_text};
use voice_ws_proto::{Frame, Instant, Transport, TransportConfig};

/// Text that looks like a gateway message often enough to reach the typed
/// decoders, mixed with arbitrary text.
fn gatewayish_text() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("op"),
        Just("d"),
        Just("seq"),
        Just("t"),
        Just("heartbeat_interval"),
        Just("user_ids"),
        Just("transition_id"),
        Just("secret_key"),
        Just("ssrc"),
    ];
    let value = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| format!("{n:?}")),
        (0u8..=32).prop_map(|n| n.to_string()),
        Just("null".to_string()),
        Just("[]".to_string()),
        Just("{}".to_string()),
        Just(r#"{"t":1}"#.to_string()),
        Just(r#"{"heartbeat_interval":13750}"#.to_string()),
        "\"[a-z0-9]{0,8}\"",
    ];
    let object = proptest::collection::vec((key, value), 0..5).prop_map(|fields| {
        let body: Vec<String> = fields
            .into_iter()
            .map(|(k, v)| format!("\"{k}\":{v}"))
            .collect();
        format!("{{{}}}", body.join(","))
    });
    prop_oneof![object, any::<String>()]
}

proptest! {
    #[test]
    fn decode_binary_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode_binary(Bytes::from(bytes));
    }

    #[test]
    fn decode_text_never_panics(text in any::<String>()) {
        let _ = decode_text(&text);
    }

    #[test]
    fn decode_gatewayish_text_never_panics(text in gatewayish_text()) {
        let _ = decode_text(&text);
    }

    #[test]
    fn transport_never_panics_on_frames_and_time(
        steps in proptest::collection::vec(
            prop_oneof![
                gatewayish_text().prop_map(Step::Text),
                proptest::collection::vec(any::<u8>(), 0..32).prop_map(Step::Binary),
                (0u64..60_000).prop_map(Step::Advance),
                any::<Option<u16>>().prop_map(Step::Close),
                Just(Step::Open),
                Just(Step::Drain),
            ],
            0..64,
        )
    ) {
        let mut t = Transport::new(TransportConfig::default());
        let mut now = Instant::ZERO;
        t.handle_open(now);
        for step in steps {
            match step {
                Step::Text(s) => t.handle_frame(now, Frame::Text(&s)),
                Step::Binary(b) => t.handle_frame(now, Frame::Binary(Bytes::from(b))),
                Step::Advance(ms) => {
                    now = Instant::from_millis(now.as_millis() + ms);
                    t.handle_timeout(now);
                }
                Step::Close(code) => t.handle_close(now, code),
                Step::Open => t.handle_open(now),
                Step::Drain => {
                    while t.poll_transmit().is_some() {}
                    while t.poll_event().is_some() {}
                }
            }
            // After handle_timeout(now) no deadline is left at or before now:
            // a driver sleeping until poll_timeout would otherwise spin.
            t.handle_timeout(now);
            let next = t.poll_timeout();
            prop_assert!(next.is_none_or(|d| d > now), "{next:?} at {now:?}");
        }
    }
}

#[derive(Clone, Debug)]
enum Step {
    Text(String),
    Binary(Vec<u8>),
    Advance(u64),
    Close(Option<u16>),
    Open,
    Drain,
}
