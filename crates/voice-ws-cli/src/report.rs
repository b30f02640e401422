//! How events are shown: one JSON object per line, or a readable timeline.

use serde_json::{Value, json};
use voice_ws_proto::codec::op;
use voice_ws_proto::{Event, Outgoing};

use crate::units::{self, ms};

/// The event as one JSON object with an `"event"` field.
pub(crate) fn event_json(event: &Event) -> Value {
    match event {
        Event::Connected => json!({"event": "connected"}),
        Event::Hello { heartbeat_interval } => {
            json!({"event": "hello", "heartbeat_interval_ms": ms(*heartbeat_interval)})
        }
        Event::Ready(r) => json!({
            "event": "ready", "ssrc": r.ssrc, "ip": r.ip, "port": r.port, "modes": r.modes,
        }),
        Event::SessionDescription(sd) => json!({
            "event": "session_description",
            "mode": sd.mode,
            "dave_protocol_version": sd.dave_protocol_version,
        }),
        Event::Resumed => json!({"event": "resumed"}),
        Event::Message(m) => json!({"event": "message", "op": m.message.op(), "seq": m.seq}),
        Event::HeartbeatAck { rtt } => {
            json!({"event": "heartbeat_ack", "rtt_ms": ms(*rtt), "rtt_us": units::us(*rtt)})
        }
        Event::Zombified => json!({"event": "zombified"}),
        Event::Disconnected {
            code,
            by_self,
            lost,
        } => json!({
            "event": "disconnected", "code": code.map(|c| c.0), "by_self": by_self,
            "lost": lost.as_ref().map(|l| l.kind()),
            "reason": lost.as_ref().map(ToString::to_string),
        }),
        Event::ConnectFailed { error } => json!({
            "event": "connect_failed", "kind": error.kind(), "reason": error.to_string(),
        }),
        Event::Reconnecting {
            attempt,
            delay,
            resume,
        } => json!({
            "event": "reconnecting", "attempt": attempt, "delay_ms": ms(*delay), "resume": resume,
        }),
        Event::SessionInvalidated { code, reason } => json!({
            "event": "session_invalidated", "code": code.map(|c| c.0),
            "reason": reason.to_string(),
        }),
        Event::Stopped { code } => json!({"event": "stopped", "code": code.map(|c| c.0)}),
        Event::Fatal { code, reason } => {
            json!({"event": "fatal", "code": code.0, "reason": reason})
        }
        Event::Unsent(messages) => json!({"event": "unsent", "count": messages.len(),
            "ops": messages.iter().map(outgoing_op).collect::<Vec<_>>()}),
        Event::InvalidFrame(e) => json!({"event": "invalid_frame", "error": e.to_string()}),
        Event::Dave(e) => crate::report_dave::json(e),
        // An event added to the core after this command was written.
        other => json!({"event": "other", "debug": format!("{other:?}")}),
    }
}

/// The event in a few words for the timeline.
pub(crate) fn event_text(event: &Event) -> String {
    match event {
        Event::Connected => "socket open, identify/resume sent".into(),
        Event::Hello { heartbeat_interval } => {
            format!("hello: heartbeat every {} ms", ms(*heartbeat_interval))
        }
        Event::Ready(r) => format!("ready: ssrc {} udp {}:{}", r.ssrc, r.ip, r.port),
        Event::SessionDescription(sd) => format!(
            "session description: {} dave v{}",
            sd.mode, sd.dave_protocol_version
        ),
        Event::Resumed => "resumed".into(),
        Event::Message(m) => {
            let seq = m.seq.map_or("-".into(), |s| s.to_string());
            format!(
                "message op {} seq {seq} ({})",
                m.message.op(),
                op_name(m.message.op())
            )
        }
        Event::HeartbeatAck { rtt } => format!("heartbeat ack, rtt {} ms", units::ms_1dp(*rtt)),
        Event::Zombified => "ZOMBIE: heartbeat unanswered".into(),
        Event::Disconnected {
            lost: Some(loss), ..
        } => format!("disconnected: {loss}"),
        Event::Disconnected { code, by_self, .. } => format!(
            "disconnected: {} ({})",
            code.map_or("no close frame".into(), |c| c.to_string()),
            if *by_self { "by us" } else { "by server" }
        ),
        Event::ConnectFailed { error } => format!("connect failed: {error}"),
        Event::Reconnecting {
            attempt,
            delay,
            resume,
        } => format!(
            "reconnecting: attempt {attempt} in {}, {}",
            units::delay(*delay),
            if *resume { "resume" } else { "identify" }
        ),
        Event::SessionInvalidated { code, reason } => format!(
            "session invalidated ({}): {reason}; new credentials needed",
            code.map_or("-".into(), |c| c.to_string())
        ),
        Event::Stopped { code } => {
            format!("stopped ({})", code.map_or("-".into(), |c| c.to_string()))
        }
        Event::Fatal { code, reason } => format!("FATAL {code}: {reason}"),
        Event::Unsent(m) => format!("{} sends never went out", m.len()),
        Event::InvalidFrame(e) => format!("invalid frame: {e}"),
        Event::Dave(e) => crate::report_dave::text(e),
        other => format!("{other:?}"),
    }
}

fn outgoing_op(o: &Outgoing) -> Option<u8> {
    match o {
        Outgoing::Message(m) => Some(m.op()),
        Outgoing::Text(_) | Outgoing::Binary(_) => None,
    }
}

fn op_name(op: u8) -> &'static str {
    op::name(op).unwrap_or("undocumented")
}
