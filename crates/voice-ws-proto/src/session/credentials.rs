//! Who we are to the voice server: ids, token, endpoint.

use alloc::string::String;

use super::endpoint::Endpoint;
use crate::token::Token;

/// Everything the main gateway hands over for one voice session
/// (VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE). Debug redacts the token.
///
/// A plain struct, built with a struct literal, on purpose (unlike the
/// `#[non_exhaustive]` messages): a field added here would be one more
/// thing the main gateway hands over, and code that does not pass it on
/// should stop compiling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The guild (or call) id.
    pub server_id: String,
    /// The voice channel id, from VOICE_STATE_UPDATE. The voice gateway
    /// does not ask for it; DAVE does: it is the MLS group id of the call.
    pub channel_id: String,
    /// Our user id.
    pub user_id: String,
    /// The voice session id.
    pub session_id: String,
    /// The voice token.
    pub token: Token,
    /// Where to connect.
    pub endpoint: Endpoint,
    /// Highest DAVE protocol version we speak; 0 for none. Since March
    /// 2026 Discord closes voice connections without DAVE with 4017: offer
    /// 1 (what [`VoiceJoin`](crate::join::VoiceJoin) does) and run the
    /// handshake (`voice-ws-dave`).
    pub max_dave_protocol_version: u16,
}
