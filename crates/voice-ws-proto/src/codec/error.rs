//! What can be wrong with a frame the server sent.

use alloc::string::{String, ToString};

/// A frame that could not be decoded. The transport reports it and keeps running.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A binary frame shorter than its 3-byte header `[seq u16][op u8]`.
    #[error("binary frame of {len} bytes is shorter than its 3-byte header")]
    BinaryTooShort {
        /// The frame's length.
        len: usize,
    },
    /// A binary MLS message whose payload lacks its leading u16 transition id.
    #[error("binary op {op} payload of {len} bytes lacks its u16 transition id")]
    MissingTransitionId {
        /// The opcode (29 or 30).
        op: u8,
        /// The payload's length.
        len: usize,
    },
    /// Text that is not JSON, or JSON whose fields have the wrong types.
    #[error("invalid JSON message: {message}")]
    Json {
        /// serde_json's description, with line and column.
        message: String,
    },
    /// A message larger than the configured maximum.
    #[error("message of {size} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// The message's size, when known.
        size: usize,
        /// The configured `max_message_size`.
        max: usize,
    },
}

impl From<serde_json::Error> for DecodeError {
    fn from(e: serde_json::Error) -> Self {
        DecodeError::Json {
            message: e.to_string(),
        }
    }
}
