//! The messages a voice gateway sends, as typed values.

use alloc::string::String;
use alloc::vec::Vec;
use bytes::Bytes;
use core::fmt;
use core::time::Duration;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::key::KeyIn;
use super::op;
use super::snowflake;

/// A decoded server message with its sequence number.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming {
    /// The v8 sequence number: JSON `"seq"` or the binary header. `None` for
    /// messages the server does not buffer for replay (Hello, ACK, ...).
    pub seq: Option<u16>,
    /// The message.
    pub message: ServerMessage,
}

/// Every message the server sends, by opcode.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ServerMessage {
    /// Op 2: the voice server's UDP address and our SSRC.
    Ready(Ready),
    /// Op 4: the encryption mode and key.
    SessionDescription(SessionDescription),
    /// Op 5: someone's speaking state.
    Speaking(SpeakingUpdate),
    /// Op 6: the answer to a heartbeat.
    HeartbeatAck(HeartbeatAck),
    /// Op 8: the heartbeat interval, sent when the socket opens.
    Hello(Hello),
    /// Op 9: a Resume was accepted.
    Resumed,
    /// Op 11: users joined.
    ClientsConnect(ClientsConnect),
    /// Op 13: a user left.
    ClientDisconnect(ClientDisconnect),
    /// Op 21: DAVE prepare transition.
    DavePrepareTransition(DavePrepareTransition),
    /// Op 22: DAVE execute transition.
    DaveExecuteTransition(DaveExecuteTransition),
    /// Op 24: DAVE prepare epoch.
    DavePrepareEpoch(DavePrepareEpoch),
    /// Op 25 (binary): MLS external sender package.
    DaveMlsExternalSender(Bytes),
    /// Op 27 (binary): MLS proposals.
    DaveMlsProposals(Bytes),
    /// Op 29 (binary): MLS announce commit transition.
    DaveMlsAnnounceCommitTransition {
        /// The transition this commit belongs to.
        transition_id: u16,
        /// The MLS commit, after the transition id.
        commit: Bytes,
    },
    /// Op 30 (binary): MLS welcome.
    DaveMlsWelcome {
        /// The transition this welcome belongs to.
        transition_id: u16,
        /// The MLS welcome, after the transition id.
        welcome: Bytes,
    },
    /// Any other opcode: surfaced, not an error (Discord sends undocumented ones).
    Unknown {
        /// The opcode.
        op: u8,
        /// The payload as received.
        payload: UnknownPayload,
    },
}

impl ServerMessage {
    /// The message's opcode.
    pub fn op(&self) -> u8 {
        match self {
            ServerMessage::Ready(_) => op::READY,
            ServerMessage::SessionDescription(_) => op::SESSION_DESCRIPTION,
            ServerMessage::Speaking(_) => op::SPEAKING,
            ServerMessage::HeartbeatAck(_) => op::HEARTBEAT_ACK,
            ServerMessage::Hello(_) => op::HELLO,
            ServerMessage::Resumed => op::RESUMED,
            ServerMessage::ClientsConnect(_) => op::CLIENTS_CONNECT,
            ServerMessage::ClientDisconnect(_) => op::CLIENT_DISCONNECT,
            ServerMessage::DavePrepareTransition(_) => op::DAVE_PREPARE_TRANSITION,
            ServerMessage::DaveExecuteTransition(_) => op::DAVE_EXECUTE_TRANSITION,
            ServerMessage::DavePrepareEpoch(_) => op::DAVE_PREPARE_EPOCH,
            ServerMessage::DaveMlsExternalSender(_) => op::DAVE_MLS_EXTERNAL_SENDER,
            ServerMessage::DaveMlsProposals(_) => op::DAVE_MLS_PROPOSALS,
            ServerMessage::DaveMlsAnnounceCommitTransition { .. } => {
                op::DAVE_MLS_ANNOUNCE_COMMIT_TRANSITION
            }
            ServerMessage::DaveMlsWelcome { .. } => op::DAVE_MLS_WELCOME,
            ServerMessage::Unknown { op, .. } => *op,
        }
    }
}

/// The payload of a message with an opcode this crate does not know.
#[derive(Clone, Debug, PartialEq)]
pub enum UnknownPayload {
    /// The `d` of a JSON message.
    Json(serde_json::Value),
    /// The bytes after a binary message's header.
    Binary(Bytes),
}

/// Op 8 Hello.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Hello {
    /// How often to beat. Sent as milliseconds, integer or float.
    #[serde(deserialize_with = "millis")]
    pub heartbeat_interval: Duration,
    /// The gateway version the server speaks, when it says.
    #[serde(default)]
    pub v: Option<u8>,
}

/// Op 2 Ready. Its `heartbeat_interval` is documented as erroneous and ignored.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct Ready {
    /// Our RTP synchronisation source.
    pub ssrc: u32,
    /// The voice server's UDP IP.
    pub ip: String,
    /// The voice server's UDP port.
    pub port: u16,
    /// Encryption modes the server supports.
    #[serde(default)]
    pub modes: Vec<String>,
}

/// The 32-byte media key. Debug never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretKey(pub [u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Op 4 Session Description.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SessionDescription {
    /// The encryption mode chosen.
    pub mode: String,
    /// The media key.
    pub secret_key: SecretKey,
    /// The DAVE protocol version in force (0: none).
    #[serde(default)]
    pub dave_protocol_version: u16,
}

/// Op 5 Speaking, as the server sends it about another user.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SpeakingUpdate {
    /// Who is speaking.
    #[serde(default, deserialize_with = "snowflake::deserialize_option")]
    pub user_id: Option<u64>,
    /// Their SSRC.
    pub ssrc: u32,
    /// Bit flags: 1 microphone, 2 soundshare, 4 priority.
    pub speaking: u32,
}

/// Op 6 Heartbeat ACK (v8 `{"t": nonce}`; a bare integer is accepted too).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HeartbeatAck {
    /// The nonce of the heartbeat being acknowledged.
    pub nonce: u64,
}

/// Op 11 Clients Connect.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ClientsConnect {
    /// The users who joined.
    #[serde(deserialize_with = "snowflake::deserialize_vec")]
    pub user_ids: Vec<u64>,
}

/// Op 13 Client Disconnect.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ClientDisconnect {
    /// The user who left.
    #[serde(deserialize_with = "snowflake::deserialize")]
    pub user_id: u64,
}

/// Op 21 DAVE Prepare Transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DavePrepareTransition {
    /// The transition (0: execute now).
    pub transition_id: u16,
    /// The DAVE protocol version after the transition.
    pub protocol_version: u16,
}

/// Op 22 DAVE Execute Transition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DaveExecuteTransition {
    /// The transition to execute.
    pub transition_id: u16,
}

/// Op 24 DAVE Prepare Epoch.
///
/// Discord's docs name `transition_id` and `epoch`; servers have also sent
/// `protocol_version`. Only `epoch` is required (docs/protocol.md, op 24).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DavePrepareEpoch {
    /// The transition this epoch belongs to, when the server names it.
    #[serde(default)]
    pub transition_id: Option<u16>,
    /// The MLS epoch (1: a new group).
    pub epoch: u64,
    /// The DAVE protocol version, when the server names it.
    #[serde(default)]
    pub protocol_version: Option<u16>,
}

// Constructors: the decoder builds these; tests, simulated servers and
// other decoders build them here, since `#[non_exhaustive]` rules out
// struct literals outside this crate. A field Discord adds later takes its
// default here, so these signatures stay.

impl Hello {
    /// A Hello with this interval and gateway version.
    pub fn new(heartbeat_interval: Duration, v: Option<u8>) -> Self {
        Self {
            heartbeat_interval,
            v,
        }
    }
}

impl Ready {
    /// A Ready with this SSRC, UDP address and encryption modes.
    pub fn new(ssrc: u32, ip: String, port: u16, modes: Vec<String>) -> Self {
        Self {
            ssrc,
            ip,
            port,
            modes,
        }
    }
}

impl SessionDescription {
    /// A Session Description with this mode, key and DAVE version.
    pub fn new(mode: String, secret_key: SecretKey, dave_protocol_version: u16) -> Self {
        Self {
            mode,
            secret_key,
            dave_protocol_version,
        }
    }
}

impl SpeakingUpdate {
    /// A Speaking update about this user and SSRC.
    pub fn new(user_id: Option<u64>, ssrc: u32, speaking: u32) -> Self {
        Self {
            user_id,
            ssrc,
            speaking,
        }
    }
}

impl HeartbeatAck {
    /// An ACK of the heartbeat with this nonce.
    pub fn new(nonce: u64) -> Self {
        Self { nonce }
    }
}

impl ClientsConnect {
    /// Clients Connect for these users.
    pub fn new(user_ids: Vec<u64>) -> Self {
        Self { user_ids }
    }
}

impl ClientDisconnect {
    /// Client Disconnect for this user.
    pub fn new(user_id: u64) -> Self {
        Self { user_id }
    }
}

impl DavePrepareTransition {
    /// A DAVE Prepare Transition to this protocol version.
    pub fn new(transition_id: u16, protocol_version: u16) -> Self {
        Self {
            transition_id,
            protocol_version,
        }
    }
}

impl DaveExecuteTransition {
    /// A DAVE Execute Transition.
    pub fn new(transition_id: u16) -> Self {
        Self { transition_id }
    }
}

impl DavePrepareEpoch {
    /// A DAVE Prepare Epoch.
    pub fn new(transition_id: Option<u16>, epoch: u64, protocol_version: Option<u16>) -> Self {
        Self {
            transition_id,
            epoch,
            protocol_version,
        }
    }
}

/// Longest interval accepted from Hello: longer ones are a broken server,
/// and would push the zombie check out of reach.
pub(super) const MAX_INTERVAL_MS: f64 = 3_600_000.0;

fn millis<'de, D: Deserializer<'de>>(de: D) -> Result<Duration, D::Error> {
    // f64's Deserialize takes integers too, so 13750 and 13750.0 both land here.
    let ms = f64::deserialize(de)?;
    if !(ms > 0.0 && ms <= MAX_INTERVAL_MS) {
        return Err(de::Error::custom(
            "heartbeat_interval must be a positive number of milliseconds up to one hour",
        ));
    }
    Ok(Duration::from_micros((ms * 1000.0) as u64))
}

impl<'de> Deserialize<'de> for HeartbeatAck {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct AckVisitor;

        impl<'de> Visitor<'de> for AckVisitor {
            type Value = HeartbeatAck;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(r#"{"t": <integer nonce>} or an integer nonce"#)
            }

            fn visit_u64<E: de::Error>(self, nonce: u64) -> Result<HeartbeatAck, E> {
                Ok(HeartbeatAck { nonce })
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<HeartbeatAck, A::Error> {
                let mut nonce = None;
                while let Some(key) = map.next_key_seed(KeyIn(&["t"]))? {
                    if key == Some(0) {
                        nonce = Some(map.next_value::<u64>()?);
                    } else {
                        map.next_value::<de::IgnoredAny>()?;
                    }
                }
                nonce
                    .map(|nonce| HeartbeatAck { nonce })
                    .ok_or_else(|| de::Error::missing_field("t"))
            }
        }

        de.deserialize_any(AckVisitor)
    }
}
