//! Reading the gateway's recording of one connection.

use std::time::Duration;

use serde_json::{Value, json};
use voice_ws_sim::{ConnectionLog, RecordedFrame};

use crate::setup::{SERVER_ID, SESSION_ID, TOKEN, USER_ID};

/// A heartbeat (op 3) as the gateway received it.
#[derive(Clone, Debug, PartialEq)]
pub struct WireHeartbeat {
    /// When the gateway received it (since the gateway started).
    pub at: Duration,
    /// `d.t` exactly as sent.
    pub nonce: Value,
    /// `d.seq_ack` exactly as sent.
    pub seq_ack: Value,
}

/// The first frame the client sent on `conn`, parsed as JSON.
///
/// # Panics
/// When the client sent nothing, or its first frame was not JSON text.
pub fn first_received_json(conn: &ConnectionLog) -> Value {
    let first = conn
        .received
        .first()
        .unwrap_or_else(|| panic!("connection {} received nothing", conn.index));
    match &first.frame {
        RecordedFrame::Text(text) => serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("first frame is not JSON ({e}): {text}")),
        other => panic!("first frame is not text: {other:?}"),
    }
}

/// The Resume (op 7) of the first session, as docs/protocol.md writes it,
/// asking for what follows `seq_ack`.
pub fn resume_json(seq_ack: i64) -> Value {
    json!({"op": 7, "d": {
        "server_id": SERVER_ID,
        "session_id": SESSION_ID,
        "token": TOKEN,
        "seq_ack": seq_ack,
    }})
}

/// The Identify (op 0) of a session, as docs/protocol.md writes it, with
/// DAVE version 1.
pub fn identify_json(session_id: &str, token: &str) -> Value {
    json!({"op": 0, "d": {
        "server_id": SERVER_ID,
        "user_id": USER_ID,
        "session_id": session_id,
        "token": token,
        "max_dave_protocol_version": 1,
    }})
}

/// Each connection's recorded start seq, for replaying a run whose seqs
/// were random ([`voice_ws_sim::SimConfig::with_start_seq`]).
pub fn start_seqs(conns: &[ConnectionLog]) -> String {
    let seqs: Vec<String> = conns
        .iter()
        .map(|c| match c.start_seq {
            Some(seq) => format!("connection {}: {seq}", c.index),
            None => format!("connection {}: no session", c.index),
        })
        .collect();
    format!(
        "the gateway's start seqs (replay with SimConfig::with_start_seq): {}",
        seqs.join(", ")
    )
}

/// Every heartbeat the client sent on `conn`, in order.
pub fn received_heartbeats(conn: &ConnectionLog) -> Vec<WireHeartbeat> {
    conn.received
        .iter()
        .filter_map(|r| match &r.frame {
            RecordedFrame::Text(text) => {
                let value: Value = serde_json::from_str(text).ok()?;
                (value["op"] == 3).then(|| WireHeartbeat {
                    at: r.at,
                    nonce: value["d"]["t"].clone(),
                    seq_ack: value["d"]["seq_ack"].clone(),
                })
            }
            _ => None,
        })
        .collect()
}

/// Close frames the client sent on `conn` (its own, or its reply to the
/// gateway's), with their codes.
pub fn received_closes(conn: &ConnectionLog) -> Vec<Option<u16>> {
    conn.received
        .iter()
        .filter_map(|r| match r.frame {
            RecordedFrame::Close(code) => Some(code),
            _ => None,
        })
        .collect()
}

/// The seq of every sequenced message the gateway sent on `conn`: JSON
/// `"seq"`, or the u16 big-endian header of a binary frame.
pub fn sent_seqs(conn: &ConnectionLog) -> Vec<u16> {
    conn.sent.iter().filter_map(|r| seq_of(&r.frame)).collect()
}

/// When the gateway sent the message with `seq` on `conn`.
pub fn sent_seq_at(conn: &ConnectionLog, seq: u16) -> Option<Duration> {
    conn.sent
        .iter()
        .find(|r| seq_of(&r.frame) == Some(seq))
        .map(|r| r.at)
}

fn seq_of(frame: &RecordedFrame) -> Option<u16> {
    match frame {
        RecordedFrame::Text(text) => {
            let value: Value = serde_json::from_str(text).ok()?;
            u16::try_from(value.get("seq")?.as_u64()?).ok()
        }
        RecordedFrame::Binary(bytes) => match bytes.as_slice() {
            [hi, lo, _op, ..] => Some(u16::from_be_bytes([*hi, *lo])),
            _ => None,
        },
        RecordedFrame::Close(_) => None,
    }
}
