//! Faults on the DAVE messages a connection carries (plan trigger
//! [`Trigger::BeforeDaveOp`](crate::Trigger::BeforeDaveOp), action
//! [`Action::CorruptDave`](crate::Action::CorruptDave)): which DAVE op an
//! outgoing frame is, and how a binary one is spoiled.

use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

/// The DAVE opcode (21 to 31) of a frame the gateway is about to send:
/// binary frames carry it after their seq, text frames in `op`.
pub(crate) fn dave_op(msg: &Message) -> Option<u8> {
    let op = match msg {
        Message::Binary(bytes) => *bytes.get(2)?,
        Message::Text(text) => {
            let value: Value = serde_json::from_str(text.as_str()).ok()?;
            u8::try_from(value.get("op")?.as_u64()?).ok()?
        }
        _ => return None,
    };
    (21..=31).contains(&op).then_some(op)
}

/// Flips every bit of the last byte of a binary frame's MLS payload (its
/// signature or tag: the message still parses, and no longer verifies).
/// Text frames and frames with no payload are left alone.
pub(crate) fn corrupt(msg: Message) -> Message {
    match msg {
        // [seq u16][op u8] and at least one payload byte.
        Message::Binary(bytes) if bytes.len() > 3 => {
            let mut spoiled = bytes.to_vec();
            if let Some(last) = spoiled.last_mut() {
                *last ^= 0xFF;
            }
            Message::binary(spoiled)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_are_read_from_both_frame_types() {
        // seq 7, op 29, transition 3, one byte of commit.
        assert_eq!(
            dave_op(&Message::binary(vec![0, 7, 29, 0, 3, 0xAA])),
            Some(29)
        );
        assert_eq!(
            dave_op(&Message::text(
                r#"{"op":21,"d":{"transition_id":3,"protocol_version":1},"seq":4}"#
            )),
            Some(21)
        );
        assert_eq!(dave_op(&Message::text(r#"{"op":6,"d":{"t":1}}"#)), None);
        assert_eq!(dave_op(&Message::binary(vec![0, 7])), None);
    }

    #[test]
    fn corruption_spoils_the_last_payload_byte_only() {
        let spoiled = corrupt(Message::binary(vec![0, 7, 29, 0, 3, 0xAA]));
        assert_eq!(spoiled, Message::binary(vec![0, 7, 29, 0, 3, 0x55]));
        let header_only = Message::binary(vec![0, 7, 29]);
        assert_eq!(corrupt(header_only.clone()), header_only);
    }
}
