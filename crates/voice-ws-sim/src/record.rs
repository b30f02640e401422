//! What crossed the wire on each connection, with timestamps.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

/// One WebSocket frame as it crossed the wire. Pings and pongs are not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedFrame {
    /// A text frame.
    Text(String),
    /// A binary frame, byte for byte.
    Binary(Vec<u8>),
    /// A close frame and its status code (`None`: a close frame without a code).
    Close(Option<u16>),
}

/// A frame and when it was sent or received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Time since [`Sim::start`](crate::Sim::start).
    pub at: Duration,
    /// The frame.
    pub frame: RecordedFrame,
}

/// The traffic of one accepted connection.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ConnectionLog {
    /// Accept index (0-based); also the index of its plan in [`SimConfig::plans`](crate::SimConfig::plans).
    pub index: usize,
    /// The client's address.
    pub peer: SocketAddr,
    /// Request target of the WebSocket upgrade (e.g. `/?v=8`); `None` if the
    /// handshake did not complete.
    pub path: Option<String>,
    /// When the TCP connection was accepted, since sim start.
    pub opened_at: Duration,
    /// When the connection task ended, since sim start (`None` while running).
    pub ended_at: Option<Duration>,
    /// Frames from the client, in order.
    pub received: Vec<Recorded>,
    /// Frames to the client, in order. Includes the automatic reply to a
    /// client's close frame.
    pub sent: Vec<Recorded>,
    /// `Some(code)` when the client started the closing handshake (its close
    /// frame's code, `None` inside if it had none); `None` if it did not (the
    /// server closed first, or the socket just dropped). Codes that may not
    /// appear on the wire (1005, 1006, 1015, reserved) read as 1002 here.
    pub closed_by_client: Option<Option<u16>>,
    /// Session this connection identified or resumed, if any.
    pub session_id: Option<String>,
    /// Last `seq_ack` the client sent (Heartbeat or Resume).
    pub last_seq_ack: Option<i64>,
    /// Seq of the first replayable message of the session this connection
    /// identified or resumed (random by default, see
    /// [`StartSeq`](crate::StartSeq)); pass it to
    /// [`SimConfig::with_start_seq`](crate::SimConfig::with_start_seq) to
    /// replay a run.
    pub start_seq: Option<u16>,
}

impl ConnectionLog {
    pub(crate) fn new(index: usize, peer: SocketAddr, opened_at: Duration) -> Self {
        Self {
            index,
            peer,
            path: None,
            opened_at,
            ended_at: None,
            received: Vec::new(),
            sent: Vec::new(),
            closed_by_client: None,
            session_id: None,
            last_seq_ack: None,
            start_seq: None,
        }
    }

    /// Op of each received message: `"op"` of JSON text frames, first byte of
    /// binary frames (client binary frames carry no seq). Frames without an op
    /// are skipped.
    pub fn received_ops(&self) -> Vec<u8> {
        self.received
            .iter()
            .filter_map(|r| match &r.frame {
                RecordedFrame::Text(text) => json_op(text),
                RecordedFrame::Binary(bytes) => bytes.first().copied(),
                RecordedFrame::Close(_) => None,
            })
            .collect()
    }

    /// Op of each sent message: `"op"` of JSON text frames, third byte of
    /// binary frames (after the u16 seq). Frames without an op are skipped.
    pub fn sent_ops(&self) -> Vec<u8> {
        self.sent
            .iter()
            .filter_map(|r| match &r.frame {
                RecordedFrame::Text(text) => json_op(text),
                RecordedFrame::Binary(bytes) => bytes.get(2).copied(),
                RecordedFrame::Close(_) => None,
            })
            .collect()
    }

    /// Every received text frame that parses as JSON.
    pub fn received_json(&self) -> Vec<Value> {
        parse_all(&self.received)
    }

    /// Every sent text frame that parses as JSON.
    pub fn sent_json(&self) -> Vec<Value> {
        parse_all(&self.sent)
    }

    /// Number of heartbeats (op 3) received.
    pub fn heartbeats(&self) -> usize {
        self.received_ops().iter().filter(|&&op| op == 3).count()
    }

    /// Code of the first close frame the server sent (its own close or the
    /// reply to the client's).
    pub fn server_close(&self) -> Option<Option<u16>> {
        self.sent.iter().find_map(|r| match r.frame {
            RecordedFrame::Close(code) => Some(code),
            _ => None,
        })
    }
}

/// What happened in one shared DAVE call (feature `dave`, with
/// [`SimConfig::dave_calls`](crate::SimConfig::dave_calls)).
#[cfg(feature = "dave")]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallLog {
    /// The `server_id` its members identified with.
    pub server_id: String,
    /// The MLS group id (voice channel id).
    pub group_id: u64,
    /// User ids in the call, in id order.
    pub members: Vec<u64>,
    /// User ids in the MLS group as the gateway sees it, in leaf order.
    pub group: Vec<u64>,
    /// Counters: epoch, commits picked and ignored, op 31 reports,
    /// transitions executed and timed out, resets, downgrades.
    pub stats: crate::dave::DaveStats,
    /// Notable events in order (commits picked with their transition ids,
    /// transitions executed, op 31 reports, resets), at most 4096.
    pub events: Vec<crate::dave::DaveEvent>,
}

pub(crate) fn frame_of(msg: &Message) -> Option<RecordedFrame> {
    match msg {
        Message::Text(text) => Some(RecordedFrame::Text(text.as_str().to_owned())),
        Message::Binary(bytes) => Some(RecordedFrame::Binary(bytes.to_vec())),
        Message::Close(frame) => Some(RecordedFrame::Close(
            frame.as_ref().map(|f| u16::from(f.code)),
        )),
        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => None,
    }
}

fn json_op(text: &str) -> Option<u8> {
    let value: Value = serde_json::from_str(text).ok()?;
    u8::try_from(value.get("op")?.as_u64()?).ok()
}

fn parse_all(frames: &[Recorded]) -> Vec<Value> {
    frames
        .iter()
        .filter_map(|r| match &r.frame {
            RecordedFrame::Text(text) => serde_json::from_str(text).ok(),
            _ => None,
        })
        .collect()
}
