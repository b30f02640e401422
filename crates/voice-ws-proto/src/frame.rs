//! WebSocket frames as the core sees them: in from the socket, out to it.

use alloc::string::String;
use bytes::Bytes;
use core::fmt;

use crate::close_code::CloseCode;

/// One complete WebSocket data message handed in by the driver.
///
/// The frame *type* decides how it is decoded, never its first byte: a
/// binary frame whose sequence number is `0x7Bxx` starts with `{`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A text message, already UTF-8 validated by the WebSocket layer.
    /// Borrowed so the JSON decoder reads it in place.
    Text(&'a str),
    /// A binary message; payload slices of it are handed on without copying.
    Binary(Bytes),
}

impl Frame<'_> {
    /// The message's size in bytes.
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(s) => s.len(),
            Frame::Binary(b) => b.len(),
        }
    }

    /// Whether the message is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the driver must do on the socket next, in order.
///
/// Debug shows the opcode and size of a message, never its text: an
/// Identify or Resume carries the token.
#[derive(Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Write a text message.
    Text(String),
    /// Write a binary message.
    Binary(Bytes),
    /// Write a close frame with this code. The core waits for the peer's
    /// close (reported through `handle_close`) or for its close timeout.
    Close(CloseCode),
    /// Drop the socket now. Frames handed over before may be flushed on a
    /// best-effort basis; the core no longer listens to this socket.
    Abort,
}

impl Transmit {
    /// Bytes of payload this transmit puts on the wire (0 for control).
    pub fn payload_len(&self) -> usize {
        match self {
            Transmit::Text(s) => s.len(),
            Transmit::Binary(b) => b.len(),
            Transmit::Close(_) | Transmit::Abort => 0,
        }
    }
}

impl fmt::Debug for Transmit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transmit::Text(text) => write!(
                f,
                "Text {{ op: {}, len: {} }}",
                json_op(text).map_or(-1, i32::from),
                text.len()
            ),
            Transmit::Binary(bytes) => write!(
                f,
                "Binary {{ op: {}, len: {} }}",
                bytes.first().map_or(-1, |op| i32::from(*op)),
                bytes.len()
            ),
            Transmit::Close(code) => write!(f, "Close({code:?})"),
            Transmit::Abort => f.write_str("Abort"),
        }
    }
}

/// The op of an outgoing JSON message, which this crate always writes as
/// `{"op":N,...`.
fn json_op(text: &str) -> Option<u8> {
    let digits = text.strip_prefix(r#"{"op":"#)?;
    let end = digits.find(|c: char| !c.is_ascii_digit())?;
    digits[..end].parse().ok()
}
