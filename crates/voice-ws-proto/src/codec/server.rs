//! Decoding server frames: JSON by text frame, DAVE by binary frame.

use bytes::{Buf, Bytes};
use core::fmt;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::DecodeError;
use super::fast_path;
use super::key::KeyIn;
use super::op;
use super::server_types::{Incoming, ServerMessage, UnknownPayload};
use crate::frame::Frame;

/// Decodes one frame by its WebSocket frame type.
pub fn decode(frame: Frame<'_>) -> Result<Incoming, DecodeError> {
    match frame {
        Frame::Text(text) => decode_text(text),
        Frame::Binary(bytes) => decode_binary(bytes),
    }
}

/// Decodes a JSON text frame `{"op":..,"d":..,"seq":..}` in one pass.
///
/// Keys may come in any order and unknown keys are ignored. The shapes
/// voice servers send are read by a byte scanner that builds the typed
/// message directly; any other text (escapes, `"d"` before `"op"`, an
/// unknown opcode, malformed JSON) is read by serde_json, to the same
/// result. When `"d"` precedes `"op"` it is buffered as a `Value` first:
/// correct, only slower.
pub fn decode_text(text: &str) -> Result<Incoming, DecodeError> {
    // The common shapes are scanned directly; everything else (and every
    // error) is serde's, which decodes the same text the same way.
    match fast_path::decode(text) {
        Some(incoming) => Ok(incoming),
        None => decode_text_serde(text),
    }
}

/// [`decode_text`] through serde alone: any shape, and every error.
pub(super) fn decode_text_serde(text: &str) -> Result<Incoming, DecodeError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let incoming = de.deserialize_map(EnvelopeVisitor)?;
    de.end()?;
    Ok(incoming)
}

/// Decodes a binary frame `[seq u16 BE][op u8][payload]`. Payloads are
/// slices of `frame`: nothing is copied.
pub fn decode_binary(mut frame: Bytes) -> Result<Incoming, DecodeError> {
    if frame.len() < 3 {
        return Err(DecodeError::BinaryTooShort { len: frame.len() });
    }
    let seq = frame.get_u16();
    let op = frame.get_u8();
    let message = match op {
        op::DAVE_MLS_EXTERNAL_SENDER => ServerMessage::DaveMlsExternalSender(frame),
        op::DAVE_MLS_PROPOSALS => ServerMessage::DaveMlsProposals(frame),
        op::DAVE_MLS_ANNOUNCE_COMMIT_TRANSITION | op::DAVE_MLS_WELCOME => {
            if frame.len() < 2 {
                return Err(DecodeError::MissingTransitionId {
                    op,
                    len: frame.len(),
                });
            }
            let transition_id = frame.get_u16();
            if op == op::DAVE_MLS_ANNOUNCE_COMMIT_TRANSITION {
                ServerMessage::DaveMlsAnnounceCommitTransition {
                    transition_id,
                    commit: frame,
                }
            } else {
                ServerMessage::DaveMlsWelcome {
                    transition_id,
                    welcome: frame,
                }
            }
        }
        op => ServerMessage::Unknown {
            op,
            payload: UnknownPayload::Binary(frame),
        },
    };
    Ok(Incoming {
        seq: Some(seq),
        message,
    })
}

const OP: usize = 0;
const D: usize = 1;
const SEQ: usize = 2;

struct EnvelopeVisitor;

impl<'de> Visitor<'de> for EnvelopeVisitor {
    type Value = Incoming;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a voice gateway message {"op": .., "d": ..}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Incoming, A::Error> {
        let mut op: Option<u8> = None;
        let mut seq: Option<u16> = None;
        let mut message: Option<ServerMessage> = None;
        let mut early_d: Option<serde_json::Value> = None;
        while let Some(key) = map.next_key_seed(KeyIn(&["op", "d", "seq"]))? {
            match key {
                Some(OP) => op = Some(map.next_value()?),
                Some(SEQ) => seq = map.next_value()?,
                Some(D) => match op {
                    Some(op) => message = Some(map.next_value_seed(Payload { op })?),
                    None => early_d = Some(map.next_value()?),
                },
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let op = op.ok_or_else(|| de::Error::missing_field("op"))?;
        let message = match message {
            Some(message) => message,
            // A missing "d" decodes as null: right for Resumed, an error for
            // the messages that need a payload.
            None => Payload { op }
                .deserialize(early_d.unwrap_or(serde_json::Value::Null))
                .map_err(de::Error::custom)?,
        };
        Ok(Incoming { seq, message })
    }
}

/// Decodes `d` straight into the type its opcode names.
struct Payload {
    op: u8,
}

impl<'de> DeserializeSeed<'de> for Payload {
    type Value = ServerMessage;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<ServerMessage, D::Error> {
        use ServerMessage as M;
        Ok(match self.op {
            op::READY => M::Ready(Deserialize::deserialize(de)?),
            op::SESSION_DESCRIPTION => M::SessionDescription(Deserialize::deserialize(de)?),
            op::SPEAKING => M::Speaking(Deserialize::deserialize(de)?),
            op::HEARTBEAT_ACK => M::HeartbeatAck(Deserialize::deserialize(de)?),
            op::HELLO => M::Hello(Deserialize::deserialize(de)?),
            op::RESUMED => {
                IgnoredAny::deserialize(de)?;
                M::Resumed
            }
            op::CLIENTS_CONNECT => M::ClientsConnect(Deserialize::deserialize(de)?),
            op::CLIENT_DISCONNECT => M::ClientDisconnect(Deserialize::deserialize(de)?),
            op::DAVE_PREPARE_TRANSITION => M::DavePrepareTransition(Deserialize::deserialize(de)?),
            op::DAVE_EXECUTE_TRANSITION => M::DaveExecuteTransition(Deserialize::deserialize(de)?),
            op::DAVE_PREPARE_EPOCH => M::DavePrepareEpoch(Deserialize::deserialize(de)?),
            op => M::Unknown {
                op,
                payload: UnknownPayload::Json(Deserialize::deserialize(de)?),
            },
        })
    }
}
