//! Reading what the client put on the wire with plain string search, so
//! the checks never trust the crate's own encoder.

use voice_ws_proto::Transmit;

/// Every token the harnesses hand out starts with this; nothing else the
/// harnesses send contains it.
pub(crate) const TOKEN_STEM: &str = "VWSFUZZTOKEN";

/// The token of the `n`th credentials of a run.
pub(crate) fn token(n: u32) -> String {
    format!("{TOKEN_STEM}{n:08}")
}

/// Panics if the token shows in `value`'s `Debug` (`what` names it): the
/// crate redacts credentials wherever it might be logged.
pub(crate) fn assert_no_token_in_debug(value: &impl core::fmt::Debug, what: &str) {
    let debug = format!("{value:?}");
    assert!(
        !debug.contains(TOKEN_STEM),
        "the token leaked into the {what}'s Debug"
    );
}

/// Heartbeat nonces must be JSON integers below 2^53.
pub(crate) const NONCE_LIMIT: u64 = 1 << 53;

/// A transmit, as far as the checks care.
#[derive(Debug)]
pub(crate) enum Sent<'a> {
    /// Op 0 text.
    Identify(&'a str),
    /// Op 7 text with its `seq_ack`.
    Resume {
        /// The whole text.
        text: &'a str,
        /// `seq_ack` as sent (-1: none).
        seq_ack: i64,
    },
    /// Op 3 text.
    Heartbeat {
        /// `"t"`.
        nonce: u64,
        /// `"seq_ack"` (-1: none).
        seq_ack: i64,
    },
    /// Any other text or binary frame: what the application sent.
    App,
    /// A close frame.
    Close,
    /// Drop the socket.
    Abort,
}

/// Classifies a transmit and checks the shape of the ones the core writes
/// itself. Panics on a heartbeat or resume without integer fields.
pub(crate) fn classify(t: &Transmit) -> Sent<'_> {
    let text = match t {
        Transmit::Text(text) => text.as_str(),
        Transmit::Binary(_) => return Sent::App,
        Transmit::Close(_) => return Sent::Close,
        Transmit::Abort => return Sent::Abort,
    };
    if text.starts_with(r#"{"op":0,"d":"#) {
        Sent::Identify(text)
    } else if text.starts_with(r#"{"op":7,"d":"#) {
        let seq_ack = int_after(text, "seq_ack")
            .unwrap_or_else(|| panic!("Resume without an integer seq_ack: {text:?}"));
        Sent::Resume { text, seq_ack }
    } else if text.starts_with(r#"{"op":3,"d":"#) {
        let nonce = int_after(text, "t")
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or_else(|| panic!("heartbeat without an integer nonce: {text:?}"));
        let seq_ack = int_after(text, "seq_ack")
            .unwrap_or_else(|| panic!("heartbeat without an integer seq_ack: {text:?}"));
        Sent::Heartbeat { nonce, seq_ack }
    } else {
        Sent::App
    }
}

/// The integer after the first `"key":` in `text`.
pub(crate) fn int_after(text: &str, key: &str) -> Option<i64> {
    let pattern = format!(r#""{key}":"#);
    let start = text.find(&pattern)? + pattern.len();
    let rest = &text[start..];
    let end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '-')))
        .map_or(rest.len(), |(i, _)| i);
    rest[..end].parse().ok()
}

/// Whether a transmit's payload contains any harness token.
pub(crate) fn carries_token(t: &Transmit) -> bool {
    match t {
        Transmit::Text(text) => text.contains(TOKEN_STEM),
        Transmit::Binary(bytes) => contains_bytes(bytes, TOKEN_STEM.as_bytes()),
        Transmit::Close(_) | Transmit::Abort => false,
    }
}

/// Whether `haystack` contains `needle`.
pub(crate) fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Removes every token look-alike from a payload the harness feeds in
/// (application sends, server frames), so that a token anywhere can only
/// have come from the credentials.
pub(crate) fn scrub(mut text: String) -> String {
    while text.contains(TOKEN_STEM) {
        text = text.replace(TOKEN_STEM, "");
    }
    text
}

/// [`scrub`] for bytes.
pub(crate) fn scrub_bytes(mut bytes: Vec<u8>) -> Vec<u8> {
    let stem = TOKEN_STEM.as_bytes();
    while let Some(at) = bytes.windows(stem.len()).position(|w| w == stem) {
        bytes.drain(at..at + stem.len());
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_integers_after_keys() {
        let hb = r#"{"op":3,"d":{"t":1501184119561,"seq_ack":-1}}"#;
        assert_eq!(int_after(hb, "t"), Some(1_501_184_119_561));
        assert_eq!(int_after(hb, "seq_ack"), Some(-1));
        assert_eq!(int_after(hb, "nope"), None);
        assert_eq!(int_after(r#"{"t":"x"}"#, "t"), None);
    }

    #[test]
    fn scrub_removes_nested_look_alikes() {
        let nested = format!("a{}{TOKEN_STEM}{}b", &TOKEN_STEM[..4], &TOKEN_STEM[4..]);
        assert_eq!(scrub(nested.clone()), "ab");
        assert_eq!(scrub_bytes(nested.into_bytes()), b"ab");
    }
}
