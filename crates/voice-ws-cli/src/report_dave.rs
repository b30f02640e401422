//! How the DAVE handshake's events are shown (`Event::Dave`, from a
//! driver with its `dave` feature): one JSON object, or a few words.

use serde_json::{Value, json};
use voice_ws_proto::dave::DaveEvent;

/// The event as one JSON object with `"event": "dave"` and a `"dave"` kind.
pub(crate) fn json(event: &DaveEvent) -> Value {
    match event {
        DaveEvent::GroupEstablished {
            transition_id,
            epoch,
        } => json!({"event": "dave", "dave": "group_established",
            "transition_id": transition_id, "epoch": epoch}),
        DaveEvent::EpochChanged {
            transition_id,
            epoch,
        } => json!({"event": "dave", "dave": "epoch_changed",
            "transition_id": transition_id, "epoch": epoch}),
        DaveEvent::TransitionExecuted {
            transition_id,
            protocol_version,
        } => json!({"event": "dave", "dave": "transition_executed",
            "transition_id": transition_id, "protocol_version": protocol_version}),
        DaveEvent::PrivacyCodeChanged { code } => {
            json!({"event": "dave", "dave": "privacy_code", "code": code})
        }
        DaveEvent::MemberDecryptable { user_id } => {
            json!({"event": "dave", "dave": "member_decryptable", "user_id": user_id.to_string()})
        }
        DaveEvent::Error(e) => json!({"event": "dave", "dave": "error", "error": e.to_string()}),
        other => json!({"event": "dave", "dave": "other", "debug": format!("{other:?}")}),
    }
}

/// The event in a few words for the timeline.
pub(crate) fn text(event: &DaveEvent) -> String {
    match event {
        DaveEvent::GroupEstablished {
            transition_id,
            epoch,
        } => format!("DAVE: in the MLS group, epoch {epoch} (transition {transition_id})"),
        DaveEvent::EpochChanged {
            transition_id,
            epoch,
        } => format!("DAVE: epoch {epoch} (transition {transition_id})"),
        DaveEvent::TransitionExecuted {
            transition_id,
            protocol_version: 0,
        } => format!("DAVE: transition {transition_id} executed: media in clear (passthrough)"),
        DaveEvent::TransitionExecuted {
            transition_id,
            protocol_version,
        } => format!(
            "DAVE: transition {transition_id} executed: media end-to-end encrypted (v{protocol_version})"
        ),
        DaveEvent::PrivacyCodeChanged { code: Some(code) } => {
            format!("DAVE: privacy code {code}")
        }
        DaveEvent::PrivacyCodeChanged { code: None } => "DAVE: no privacy code (no group)".into(),
        DaveEvent::MemberDecryptable { user_id } => {
            format!("DAVE: can decrypt user {user_id}")
        }
        DaveEvent::Error(e) => format!("DAVE error: {e}"),
        other => format!("{other:?}"),
    }
}
