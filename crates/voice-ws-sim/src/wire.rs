//! The gateway's own replies, written as literal JSON so the sim never shares a
//! codec with the client under test.

use serde_json::Value;

/// Encryption modes offered in Ready; the first is the default choice.
pub(crate) const MODES: [&str; 2] = ["aead_aes256_gcm_rtpsize", "aead_xchacha20_poly1305_rtpsize"];

pub(crate) fn hello(heartbeat_interval_ms: f64) -> String {
    // serde_json prints 1000.0 as "1000.0": Discord sends a float, and clients
    // that parse it as an integer must fail here rather than in production.
    format!(
        r#"{{"op":8,"d":{{"v":8,"heartbeat_interval":{}}}}}"#,
        Value::from(heartbeat_interval_ms)
    )
}

pub(crate) fn ready(ssrc: u32, port: u16, heartbeat_interval_ms: f64) -> String {
    // Ready's heartbeat_interval is documented as wrong; send a clearly
    // different value so a client that uses it shows up in tests.
    let bogus = Value::from(heartbeat_interval_ms * 0.75);
    format!(
        r#"{{"op":2,"d":{{"ssrc":{ssrc},"ip":"127.0.0.1","port":{port},"modes":["{}","{}"],"heartbeat_interval":{bogus}}}}}"#,
        MODES[0], MODES[1]
    )
}

pub(crate) fn session_description(mode: &str, ssrc: u32, dave_protocol_version: u16) -> String {
    let key: Vec<String> = secret_key(ssrc).iter().map(u8::to_string).collect();
    format!(
        r#"{{"op":4,"d":{{"mode":{},"secret_key":[{}],"dave_protocol_version":{dave_protocol_version}}}}}"#,
        Value::from(mode),
        key.join(",")
    )
}

pub(crate) fn heartbeat_ack(nonce: &Value) -> String {
    format!(r#"{{"op":6,"d":{{"t":{nonce}}}}}"#)
}

pub(crate) const RESUMED: &str = r#"{"op":9,"d":null}"#;

pub(crate) const MALFORMED: &str = r#"{"op":"#;

pub(crate) const UNKNOWN_OP_TEXT: &str = r#"{"op":18,"d":{"any":1}}"#;

pub(crate) const UNKNOWN_BINARY_OP: u8 = 99;

pub(crate) const SHORT_BINARY: [u8; 2] = [0x00, 0x01];

/// `{"op":18,"d":{"pad":"xxxx…"}}` of exactly `len` bytes, or as much of it as
/// fits when shorter than 24 bytes (then not JSON).
pub(crate) fn oversized(len: usize) -> String {
    const HEAD: &str = r#"{"op":18,"d":{"pad":""#;
    const TAIL: &str = r#""}}"#;
    let skeleton = HEAD.len() + TAIL.len();
    if len < skeleton {
        let mut text = format!("{HEAD}{TAIL}");
        text.truncate(len);
        return text;
    }
    padded(HEAD, len - skeleton, TAIL)
}

/// `{"op":18,"d":{"pad":"xxxx…"},"seq":N}` of exactly `len` bytes: a numbered
/// message with an unknown op. Never shorter than with no padding (32 to 36
/// bytes, depending on the digits of `seq`).
pub(crate) fn oversized_numbered(len: usize, seq: u16) -> String {
    const HEAD: &str = r#"{"op":18,"d":{"pad":""#;
    let tail = format!(r#""}},"seq":{seq}}}"#);
    let pad = len.saturating_sub(HEAD.len() + tail.len());
    padded(HEAD, pad, &tail)
}

fn padded(head: &str, pad: usize, tail: &str) -> String {
    let mut text = String::with_capacity(head.len() + pad + tail.len());
    text.push_str(head);
    text.extend(std::iter::repeat_n('x', pad));
    text.push_str(tail);
    text
}

// Deterministic per session so tests can compare keys across messages.
pub(crate) fn secret_key(ssrc: u32) -> [u8; 32] {
    let mut key = [0u8; 32];
    let seed = ssrc.to_be_bytes();
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = seed[i % 4].wrapping_add((i as u8).wrapping_mul(37));
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_keeps_the_float() {
        assert_eq!(
            hello(13750.0),
            r#"{"op":8,"d":{"v":8,"heartbeat_interval":13750.0}}"#
        );
    }

    #[test]
    fn oversized_is_exact_json() {
        for len in [24, 25, 100, 4096] {
            let text = oversized(len);
            assert_eq!(text.len(), len);
            let v: Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(v["op"], 18);
        }
        assert_eq!(oversized(3).len(), 3);
    }

    #[test]
    fn numbered_oversized_is_exact_json_with_its_seq() {
        for seq in [0, 9, 10, 99, 12345, 65535] {
            for len in [40, 41, 1000, 1 << 17] {
                let text = oversized_numbered(len, seq);
                assert_eq!(text.len(), len, "{seq} {len}");
                let v: Value = serde_json::from_str(&text).expect("valid JSON");
                assert_eq!(
                    (v["op"].as_u64(), v["seq"].as_u64()),
                    (Some(18), Some(u64::from(seq)))
                );
            }
        }
        assert_eq!(
            oversized_numbered(0, 7),
            r#"{"op":18,"d":{"pad":""},"seq":7}"#
        );
        assert_eq!(oversized_numbered(0, 65535).len(), 36);
    }

    #[test]
    fn session_description_has_32_byte_key() {
        let v: Value =
            serde_json::from_str(&session_description(MODES[0], 7, 1)).expect("valid JSON");
        assert_eq!(v["d"]["secret_key"].as_array().map(Vec::len), Some(32));
    }
}
