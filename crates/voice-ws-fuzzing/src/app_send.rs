//! The typed client messages the harnesses send as the application.
//!
//! Both harnesses turn an op program's `P` sends into the same messages,
//! and the session harness's credentials name the same server and user,
//! so the identities live here once.

use bytes::Bytes;
use voice_ws_proto::ClientMessage;
use voice_ws_proto::codec::{Identify, Resume, SelectProtocol, Speaking};

use crate::ops::AppSend;
use crate::wire;

/// The guild (server) every harness connection is for.
pub(crate) const SERVER_ID: &str = "41771983423143937";
/// The user every harness connection is for.
pub(crate) const USER_ID: &str = "104694319306248192";

/// The typed message an [`AppSend`] stands for (`None` for raw sends).
pub(crate) fn client_message(
    send: &AppSend,
    token: &str,
    seq_ack: Option<u16>,
) -> Option<ClientMessage> {
    const MODES: [&str; 3] = [
        "aead_aes256_gcm_rtpsize",
        "aead_xchacha20_poly1305_rtpsize",
        "xsalsa20_poly1305",
    ];
    Some(match send {
        AppSend::Text(_) | AppSend::Binary(_) => return None,
        AppSend::Speaking { speaking, ssrc } => {
            ClientMessage::Speaking(Speaking::new(u32::from(*speaking), *ssrc))
        }
        AppSend::SelectProtocol { port, mode } => {
            ClientMessage::SelectProtocol(SelectProtocol::new(
                "203.0.113.7".into(),
                *port,
                MODES[usize::from(*mode) % MODES.len()].into(),
            ))
        }
        AppSend::TransitionReady(id) => ClientMessage::DaveTransitionReady { transition_id: *id },
        AppSend::InvalidCommitWelcome(id) => {
            ClientMessage::DaveMlsInvalidCommitWelcome { transition_id: *id }
        }
        AppSend::KeyPackage(bytes) => {
            ClientMessage::DaveMlsKeyPackage(Bytes::from(wire::scrub_bytes(bytes.clone())))
        }
        AppSend::CommitWelcome(bytes) => {
            ClientMessage::DaveMlsCommitWelcome(Bytes::from(wire::scrub_bytes(bytes.clone())))
        }
        AppSend::Identify => ClientMessage::Identify(Identify::new(
            SERVER_ID.into(),
            USER_ID.into(),
            "my_session_id".into(),
            token.into(),
            1,
        )),
        AppSend::Resume => ClientMessage::Resume(Resume::new(
            SERVER_ID.into(),
            "my_session_id".into(),
            token.into(),
            seq_ack,
        )),
        AppSend::Heartbeat { nonce } => ClientMessage::Heartbeat {
            nonce: u64::from(*nonce),
            seq_ack,
        },
    })
}
