//! Telling events apart, for the waits and the assertions.

use voice_ws_proto::Event;
use voice_ws_proto::codec::{Incoming, ServerMessage};

/// `Event::Ready`.
pub fn is_ready(event: &Event) -> bool {
    matches!(event, Event::Ready(_))
}

/// `Event::Resumed`.
pub fn is_resumed(event: &Event) -> bool {
    matches!(event, Event::Resumed)
}

/// `Event::SessionDescription`.
pub fn is_session_description(event: &Event) -> bool {
    matches!(event, Event::SessionDescription(_))
}

/// `Event::HeartbeatAck`.
pub fn is_heartbeat_ack(event: &Event) -> bool {
    matches!(event, Event::HeartbeatAck { .. })
}

/// `Event::Disconnected`, whoever closed.
pub fn is_disconnected(event: &Event) -> bool {
    matches!(event, Event::Disconnected { .. })
}

/// `Event::SessionInvalidated`, whatever the reason.
pub fn is_session_invalidated(event: &Event) -> bool {
    matches!(event, Event::SessionInvalidated { .. })
}

/// `Event::Reconnecting`, whatever the attempt.
pub fn is_reconnecting(event: &Event) -> bool {
    matches!(event, Event::Reconnecting { .. })
}

/// The attempt number of an `Event::Reconnecting` that resumes.
pub fn resume_attempt(event: &Event) -> Option<u32> {
    match event {
        Event::Reconnecting {
            attempt,
            resume: true,
            ..
        } => Some(*attempt),
        _ => None,
    }
}

/// The attempt number of an `Event::Reconnecting` that identifies anew.
pub fn identify_attempt(event: &Event) -> Option<u32> {
    match event {
        Event::Reconnecting {
            attempt,
            resume: false,
            ..
        } => Some(*attempt),
        _ => None,
    }
}

/// The attempt number of every `Event::Reconnecting`, resume or not, in order.
pub fn reconnect_attempts(events: &[Event]) -> Vec<u32> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Reconnecting { attempt, .. } => Some(*attempt),
            _ => None,
        })
        .collect()
}

/// `Event::Message`.
pub fn is_message(event: &Event) -> bool {
    matches!(event, Event::Message(_))
}

/// The server message an `Event::Message` carries.
pub fn message(event: &Event) -> Option<&Incoming> {
    match event {
        Event::Message(incoming) => Some(incoming),
        _ => None,
    }
}

/// The `seq` of every `Event::Message`, in delivery order.
pub fn message_seqs(events: &[Event]) -> Vec<Option<u16>> {
    events.iter().filter_map(message).map(|m| m.seq).collect()
}

/// The ssrc of a Speaking message, if `event` is one.
pub fn speaking_ssrc(event: &Event) -> Option<u32> {
    match &message(event)?.message {
        ServerMessage::Speaking(speaking) => Some(speaking.ssrc),
        _ => None,
    }
}
