//! Server-initiated messages and their wire layout.

use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use crate::wire;

/// Where a [`Sim::push`](crate::Sim::push) went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pushed {
    /// To the session with this number ([`Sim::active_session`]'s: sessions
    /// are numbered from 1 in the order the simulator created them).
    ///
    /// [`Sim::active_session`]: crate::Sim::active_session
    Session(u64),
    /// Held: no session is active (none got Ready yet, or the active one
    /// ended). The next session to get Ready takes it.
    Held,
}

/// A message the gateway sends on its own (not as a reply).
///
/// All variants except the `Raw*` ones are replayable: they take the next
/// sequence number of the session, are kept in its replay buffer, and are
/// re-sent after a Resume whose `seq_ack` is older.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerPush {
    /// op 5: `{"user_id","ssrc","speaking"}`.
    Speaking {
        /// The speaking user's id.
        user_id: String,
        /// The user's RTP SSRC.
        ssrc: u32,
        /// Bit flags: 1 microphone, 2 soundshare, 4 priority.
        speaking: u32,
    },
    /// op 11: `{"user_ids":[..]}`.
    ClientsConnect(Vec<String>),
    /// op 13: `{"user_id"}`.
    ClientDisconnect(String),
    /// op 21: `{"transition_id","protocol_version"}`.
    DavePrepareTransition {
        /// Transition id (0 = execute immediately).
        transition_id: u16,
        /// DAVE protocol version after the transition.
        protocol_version: u16,
    },
    /// op 22: `{"transition_id"}`.
    DaveExecuteTransition {
        /// Transition id.
        transition_id: u16,
    },
    /// op 24: `{"transition_id","epoch","protocol_version"}` (Discord's docs
    /// name `transition_id` and `epoch`). For a payload with a field missing,
    /// use [`ServerPush::Json`].
    DavePrepareEpoch {
        /// Transition id the new epoch belongs to.
        transition_id: u16,
        /// MLS epoch (1 = new group).
        epoch: u64,
        /// DAVE protocol version.
        protocol_version: u16,
    },
    /// A binary DAVE message, laid out as `[seq u16 BE][op][payload]`.
    DaveBinary {
        /// Opcode byte (25, 27, 29, 30, or anything for fault injection).
        op: u8,
        /// Payload, verbatim (ops 29 and 30 start with a u16 BE transition id).
        payload: Vec<u8>,
    },
    /// Any numbered JSON message: `{"op":op,"d":d,"seq":N}` with `d` written
    /// verbatim (it should be JSON; the sim does not check). For payloads the
    /// other variants do not cover, such as one with a field missing.
    Json {
        /// The opcode.
        op: u8,
        /// The `d` payload, verbatim.
        d: String,
    },
    /// A numbered text frame of exactly `len` bytes (at least 32 to 36, the
    /// size without padding): valid JSON with an unknown op,
    /// `{"op":18,"d":{"pad":"xxxx…"},"seq":N}`. Replayable like the others, so
    /// a client that cannot take it gets it again after every resume.
    Oversized {
        /// Total size of the text frame in bytes.
        len: usize,
    },
    /// A text frame sent as-is: no seq, not replayable.
    RawText(String),
    /// A binary frame sent as-is: no seq, not replayable.
    RawBinary(Vec<u8>),
}

impl ServerPush {
    /// Op 24, DAVE Prepare Epoch with all three fields.
    pub fn dave_prepare_epoch(transition_id: u16, epoch: u64, protocol_version: u16) -> Self {
        Self::DavePrepareEpoch {
            transition_id,
            epoch,
            protocol_version,
        }
    }

    /// Op 25, MLS External Sender Package.
    pub fn dave_external_sender(package: &[u8]) -> Self {
        Self::DaveBinary {
            op: 25,
            payload: package.to_vec(),
        }
    }

    /// Op 27, MLS Proposals.
    pub fn dave_proposals(proposals: &[u8]) -> Self {
        Self::DaveBinary {
            op: 27,
            payload: proposals.to_vec(),
        }
    }

    /// Op 29, MLS Announce Commit Transition: payload `[transition_id u16 BE][commit]`.
    pub fn dave_announce_commit(transition_id: u16, commit: &[u8]) -> Self {
        Self::DaveBinary {
            op: 29,
            payload: with_transition_id(transition_id, commit),
        }
    }

    /// Op 30, MLS Welcome: payload `[transition_id u16 BE][welcome]`.
    pub fn dave_welcome(transition_id: u16, welcome: &[u8]) -> Self {
        Self::DaveBinary {
            op: 30,
            payload: with_transition_id(transition_id, welcome),
        }
    }

    /// A numbered op 18 text frame of exactly `len` bytes ([`ServerPush::Oversized`]).
    pub fn oversized(len: usize) -> Self {
        Self::Oversized { len }
    }

    /// Whether the message takes a seq and is kept for replay.
    pub fn is_replayable(&self) -> bool {
        !matches!(self, Self::RawText(_) | Self::RawBinary(_))
    }

    /// The opcode, when the variant has a fixed one.
    pub fn op(&self) -> Option<u8> {
        match self {
            Self::Speaking { .. } => Some(5),
            Self::ClientsConnect(_) => Some(11),
            Self::ClientDisconnect(_) => Some(13),
            Self::DavePrepareTransition { .. } => Some(21),
            Self::DaveExecuteTransition { .. } => Some(22),
            Self::DavePrepareEpoch { .. } => Some(24),
            Self::DaveBinary { op, .. } => Some(*op),
            Self::Json { op, .. } => Some(*op),
            Self::Oversized { .. } => Some(18),
            Self::RawText(_) | Self::RawBinary(_) => None,
        }
    }

    /// The wire frame; `seq` is ignored by the `Raw*` variants.
    pub(crate) fn encode(&self, seq: u16) -> Message {
        match self {
            Self::Speaking {
                user_id,
                ssrc,
                speaking,
            } => json(
                5,
                &format!(
                    r#"{{"user_id":{},"ssrc":{ssrc},"speaking":{speaking}}}"#,
                    Value::from(user_id.as_str())
                ),
                seq,
            ),
            Self::ClientsConnect(ids) => json(
                11,
                &format!(r#"{{"user_ids":{}}}"#, Value::from(ids.clone())),
                seq,
            ),
            Self::ClientDisconnect(id) => json(
                13,
                &format!(r#"{{"user_id":{}}}"#, Value::from(id.as_str())),
                seq,
            ),
            Self::DavePrepareTransition {
                transition_id,
                protocol_version,
            } => json(
                21,
                &format!(
                    r#"{{"transition_id":{transition_id},"protocol_version":{protocol_version}}}"#
                ),
                seq,
            ),
            Self::DaveExecuteTransition { transition_id } => {
                json(22, &format!(r#"{{"transition_id":{transition_id}}}"#), seq)
            }
            Self::DavePrepareEpoch {
                transition_id,
                epoch,
                protocol_version,
            } => json(
                24,
                &format!(
                    r#"{{"transition_id":{transition_id},"epoch":{epoch},"protocol_version":{protocol_version}}}"#
                ),
                seq,
            ),
            Self::Json { op, d } => json(*op, d, seq),
            Self::DaveBinary { op, payload } => {
                let mut frame = Vec::with_capacity(3 + payload.len());
                frame.extend_from_slice(&seq.to_be_bytes());
                frame.push(*op);
                frame.extend_from_slice(payload);
                Message::binary(frame)
            }
            Self::Oversized { len } => Message::text(wire::oversized_numbered(*len, seq)),
            Self::RawText(text) => Message::text(text.clone()),
            Self::RawBinary(bytes) => Message::binary(bytes.clone()),
        }
    }
}

fn with_transition_id(transition_id: u16, rest: &[u8]) -> Vec<u8> {
    let mut payload = Vec::with_capacity(2 + rest.len());
    payload.extend_from_slice(&transition_id.to_be_bytes());
    payload.extend_from_slice(rest);
    payload
}

// Discord puts "seq" after "d"; written by hand so the order is exactly that.
fn json(op: u8, d: &str, seq: u16) -> Message {
    Message::text(format!(r#"{{"op":{op},"d":{d},"seq":{seq}}}"#))
}
