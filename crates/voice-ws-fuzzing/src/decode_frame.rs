//! Target `decode_frame`: the same bytes as a binary frame and, when they
//! are UTF-8, as a text frame.

use bytes::Bytes;
use voice_ws_proto::codec::{UnknownPayload, decode, decode_binary, decode_text};
use voice_ws_proto::{DecodeError, Frame, Incoming, ServerMessage};

/// Decodes `data` by frame type and checks the result against the wire
/// layout of docs/protocol.md.
///
/// Binary frames are `[seq u16 BE][op u8][payload]`; ops 29 and 30 start
/// their payload with a u16 BE transition id. Each decoded field must match
/// the bytes, and payloads must be slices of the frame (no copy). As text,
/// the frame must give what `decode_text` gives: the frame type decides,
/// never the first byte. Panics on any mismatch.
pub fn decode_frame(data: &[u8]) {
    let frame = Bytes::copy_from_slice(data);
    let result = decode(Frame::Binary(frame.clone()));
    assert_eq!(
        result,
        decode_binary(frame.clone()),
        "decode and decode_binary disagree"
    );
    check_binary(&frame, result);

    if let Ok(text) = core::str::from_utf8(data) {
        let result = decode(Frame::Text(text));
        assert_eq!(result, decode_text(text), "decode and decode_text disagree");
        if let Err(e) = result {
            assert!(
                matches!(e, DecodeError::Json { .. }),
                "a text frame failed with a non-JSON error: {e:?}"
            );
        }
    }
}

fn check_binary(frame: &Bytes, result: Result<Incoming, DecodeError>) {
    let data = &frame[..];
    if data.len() < 3 {
        assert_eq!(
            result,
            Err(DecodeError::BinaryTooShort { len: data.len() }),
            "short binary frame"
        );
        return;
    }
    let seq = u16::from_be_bytes([data[0], data[1]]);
    let op = data[2];
    let rest = &data[3..];
    if matches!(op, 29 | 30) && rest.len() < 2 {
        assert_eq!(
            result,
            Err(DecodeError::MissingTransitionId {
                op,
                len: rest.len()
            }),
            "op {op} without a transition id"
        );
        return;
    }
    let incoming = result.unwrap_or_else(|e| panic!("binary frame refused: {e:?}"));
    assert_eq!(incoming.seq, Some(seq), "binary seq is the BE header");
    assert_eq!(incoming.message.op(), op, "binary op is byte 2");
    let (payload, offset) = match incoming.message {
        ServerMessage::DaveMlsExternalSender(p) | ServerMessage::DaveMlsProposals(p) => (p, 3),
        ServerMessage::DaveMlsAnnounceCommitTransition {
            transition_id,
            commit: p,
        }
        | ServerMessage::DaveMlsWelcome {
            transition_id,
            welcome: p,
        } => {
            let expected = u16::from_be_bytes([rest[0], rest[1]]);
            assert_eq!(transition_id, expected, "transition id is BE after the op");
            (p, 5)
        }
        ServerMessage::Unknown {
            payload: UnknownPayload::Binary(p),
            ..
        } => (p, 3),
        other => panic!("binary op {op} decoded as {other:?}"),
    };
    assert_eq!(
        &payload[..],
        &data[offset..],
        "payload is the rest of the frame"
    );
    if !payload.is_empty() {
        // Zero copy: the payload must point into the frame's own buffer.
        assert_eq!(
            payload.as_ptr(),
            data[offset..].as_ptr(),
            "binary payload was copied"
        );
    }
}
