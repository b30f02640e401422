//! Encoding client messages to their exact wire form.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt::Write as _;
use serde::Serialize;

use super::op;
use crate::frame::Transmit;
use crate::token::Token;

/// Every message a client sends, by opcode.
///
/// Identify, Resume and Heartbeat are built by the transport and session
/// themselves; applications normally send the others.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientMessage {
    /// Op 0: start a new session.
    Identify(Identify),
    /// Op 1: tell the server our UDP address and encryption mode.
    SelectProtocol(SelectProtocol),
    /// Op 3: a heartbeat (v8).
    Heartbeat {
        /// Unique per beat; an integer below 2^53.
        nonce: u64,
        /// The last sequence number received, `None` sent as -1.
        seq_ack: Option<u16>,
    },
    /// Op 5: our speaking state.
    Speaking(Speaking),
    /// Op 7: resume a session after a drop.
    Resume(Resume),
    /// Op 23: DAVE transition ready.
    DaveTransitionReady {
        /// The transition we are ready for.
        transition_id: u16,
    },
    /// Op 26 (binary): MLS key package.
    DaveMlsKeyPackage(Bytes),
    /// Op 28 (binary): MLS commit welcome.
    DaveMlsCommitWelcome(Bytes),
    /// Op 31: MLS invalid commit welcome (JSON, not binary).
    DaveMlsInvalidCommitWelcome {
        /// The transition whose commit or welcome was invalid.
        transition_id: u16,
    },
}

/// Op 0 Identify.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Identify {
    /// The guild (or call) id.
    pub server_id: String,
    /// Our user id.
    pub user_id: String,
    /// The voice session id from VOICE_STATE_UPDATE.
    pub session_id: String,
    /// The token from VOICE_SERVER_UPDATE.
    pub token: Token,
    /// Highest DAVE version we speak; 0 for none.
    pub max_dave_protocol_version: u16,
}

/// Op 7 Resume.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Resume {
    /// The guild (or call) id.
    pub server_id: String,
    /// The voice session id.
    pub session_id: String,
    /// The token.
    pub token: Token,
    /// The last sequence number delivered, `None` sent as -1.
    pub seq_ack: Option<u16>,
}

/// Op 1 Select Protocol (always `"udp"`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SelectProtocol {
    /// Our external IP, from IP discovery.
    pub address: String,
    /// Our external UDP port.
    pub port: u16,
    /// The encryption mode chosen from Ready's `modes`.
    pub mode: String,
}

/// Op 5 Speaking, as the client sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Speaking {
    /// Bit flags: 1 microphone, 2 soundshare, 4 priority.
    pub speaking: u32,
    /// Always 0 for bots.
    pub delay: u32,
    /// Our SSRC from Ready.
    pub ssrc: u32,
}

// Constructors: `#[non_exhaustive]` rules out struct literals outside this
// crate, so that a field Discord adds later (with a default here) is not a
// breaking change.

impl Identify {
    /// An Identify. The session builds this from its `Credentials`.
    pub fn new(
        server_id: String,
        user_id: String,
        session_id: String,
        token: Token,
        max_dave_protocol_version: u16,
    ) -> Self {
        Self {
            server_id,
            user_id,
            session_id,
            token,
            max_dave_protocol_version,
        }
    }
}

impl Resume {
    /// A Resume. The session builds this itself after a drop.
    pub fn new(server_id: String, session_id: String, token: Token, seq_ack: Option<u16>) -> Self {
        Self {
            server_id,
            session_id,
            token,
            seq_ack,
        }
    }
}

impl SelectProtocol {
    /// Select Protocol with our external address (from IP discovery) and
    /// the encryption mode chosen from Ready's `modes`.
    pub fn new(address: String, port: u16, mode: String) -> Self {
        Self {
            address,
            port,
            mode,
        }
    }
}

impl Speaking {
    /// Our speaking state (bit flags: 1 microphone, 2 soundshare,
    /// 4 priority) on this SSRC, with `delay` 0 (as bots send it).
    pub fn new(speaking: u32, ssrc: u32) -> Self {
        Self {
            speaking,
            delay: 0,
            ssrc,
        }
    }
}

impl ClientMessage {
    /// The opcode on the wire.
    pub fn op(&self) -> u8 {
        match self {
            ClientMessage::Identify(_) => op::IDENTIFY,
            ClientMessage::SelectProtocol(_) => op::SELECT_PROTOCOL,
            ClientMessage::Heartbeat { .. } => op::HEARTBEAT,
            ClientMessage::Speaking(_) => op::SPEAKING,
            ClientMessage::Resume(_) => op::RESUME,
            ClientMessage::DaveTransitionReady { .. } => op::DAVE_TRANSITION_READY,
            ClientMessage::DaveMlsKeyPackage(_) => op::DAVE_MLS_KEY_PACKAGE,
            ClientMessage::DaveMlsCommitWelcome(_) => op::DAVE_MLS_COMMIT_WELCOME,
            ClientMessage::DaveMlsInvalidCommitWelcome { .. } => {
                op::DAVE_MLS_INVALID_COMMIT_WELCOME
            }
        }
    }

    /// Whether this message belongs to the transport's own bookkeeping
    /// (Identify, Resume, Heartbeat): those are never queued or replayed.
    pub fn is_control(&self) -> bool {
        matches!(
            self,
            ClientMessage::Identify(_) | ClientMessage::Resume(_) | ClientMessage::Heartbeat { .. }
        )
    }

    /// The frame to put on the wire: JSON text, or `[op u8][payload]` binary.
    pub fn encode(&self) -> Transmit {
        match self {
            ClientMessage::Identify(m) => json(
                op::IDENTIFY,
                &IdentifyWire {
                    server_id: &m.server_id,
                    user_id: &m.user_id,
                    session_id: &m.session_id,
                    token: m.token.expose(),
                    max_dave_protocol_version: m.max_dave_protocol_version,
                },
            ),
            ClientMessage::SelectProtocol(m) => json(
                op::SELECT_PROTOCOL,
                &SelectProtocolWire {
                    protocol: "udp",
                    data: m,
                },
            ),
            ClientMessage::Heartbeat { nonce, seq_ack } => {
                Transmit::Text(encode_heartbeat(*nonce, *seq_ack))
            }
            ClientMessage::Speaking(m) => json(op::SPEAKING, m),
            ClientMessage::Resume(m) => json(
                op::RESUME,
                &ResumeWire {
                    server_id: &m.server_id,
                    session_id: &m.session_id,
                    token: m.token.expose(),
                    seq_ack: wire_seq(m.seq_ack),
                },
            ),
            ClientMessage::DaveTransitionReady { transition_id } => json(
                op::DAVE_TRANSITION_READY,
                &TransitionWire {
                    transition_id: *transition_id,
                },
            ),
            ClientMessage::DaveMlsKeyPackage(payload) => binary(op::DAVE_MLS_KEY_PACKAGE, payload),
            ClientMessage::DaveMlsCommitWelcome(payload) => {
                binary(op::DAVE_MLS_COMMIT_WELCOME, payload)
            }
            ClientMessage::DaveMlsInvalidCommitWelcome { transition_id } => json(
                op::DAVE_MLS_INVALID_COMMIT_WELCOME,
                &TransitionWire {
                    transition_id: *transition_id,
                },
            ),
        }
    }
}

/// `{"op":3,"d":{"t":<nonce>,"seq_ack":<n or -1>}}` with one allocation:
/// this runs every interval on every connection.
pub(crate) fn encode_heartbeat(nonce: u64, seq_ack: Option<u16>) -> String {
    let mut s = String::with_capacity(56);
    // Writing integers into a String cannot fail.
    let _ = write!(
        s,
        r#"{{"op":{},"d":{{"t":{nonce},"seq_ack":{}}}}}"#,
        op::HEARTBEAT,
        wire_seq(seq_ack)
    );
    s
}

/// v8 sends "nothing received yet" as -1, and seq 0 is a real sequence number.
fn wire_seq(seq: Option<u16>) -> i32 {
    seq.map_or(-1, i32::from)
}

#[derive(Serialize)]
struct Envelope<'a, T> {
    op: u8,
    d: &'a T,
}

#[derive(Serialize)]
struct IdentifyWire<'a> {
    server_id: &'a str,
    user_id: &'a str,
    session_id: &'a str,
    token: &'a str,
    max_dave_protocol_version: u16,
}

#[derive(Serialize)]
struct ResumeWire<'a> {
    server_id: &'a str,
    session_id: &'a str,
    token: &'a str,
    seq_ack: i32,
}

#[derive(Serialize)]
struct SelectProtocolWire<'a> {
    protocol: &'static str,
    data: &'a SelectProtocol,
}

#[derive(Serialize)]
struct TransitionWire {
    transition_id: u16,
}

fn json<T: Serialize>(op: u8, d: &T) -> Transmit {
    // Serializing these plain structs into memory cannot fail; an empty
    // frame would be refused by the server rather than panic here.
    let text = serde_json::to_string(&Envelope { op, d }).unwrap_or_default();
    Transmit::Text(text)
}

fn binary(op: u8, payload: &Bytes) -> Transmit {
    let mut frame = Vec::with_capacity(1 + payload.len());
    frame.push(op);
    frame.extend_from_slice(payload);
    Transmit::Binary(frame.into())
}
