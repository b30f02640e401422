//! Telling events apart, for the waits and the assertions.

use voice_ws_proto::Event;
use voice_ws_proto::codec::Incoming;

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
