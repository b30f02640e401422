//! From the main gateway's two voice events to [`Credentials`], as plain
//! data.
//!
//! Joining a voice channel, the main gateway sends two dispatches in either
//! order: VOICE_STATE_UPDATE (our `session_id`) and VOICE_SERVER_UPDATE
//! (`token`, `endpoint`). The endpoint may be null while Discord allocates
//! a voice server, and a second VOICE_SERVER_UPDATE means the voice server
//! moved. [`VoiceJoin`] pairs them for one guild and says what the
//! application should do after each: connect (or update credentials),
//! disconnect, or wait. It does no I/O: feed it the dispatches your gateway
//! library already decoded, or their `d` JSON.
//!
//! ```
//! use voice_ws_proto::join::{JoinAction, VoiceJoin, VoiceServerUpdate, VoiceStateUpdate};
//!
//! let mut join = VoiceJoin::new("41771983423143937", "104694319306248192");
//! // The two dispatches, in any order (the `d` of each, as Discord sends it).
//! let server: VoiceServerUpdate = serde_json::from_str(
//!     r#"{"token":"my_token","guild_id":"41771983423143937","endpoint":"sweetwater-12345.discord.media:2048"}"#,
//! ).unwrap();
//! assert_eq!(join.handle_voice_server(server), Ok(JoinAction::Wait));
//! let state: VoiceStateUpdate = serde_json::from_str(
//!     r#"{"guild_id":"41771983423143937","channel_id":"127121515262115840","user_id":"104694319306248192","session_id":"my_session_id","deaf":false,"mute":false}"#,
//! ).unwrap();
//! let Ok(JoinAction::Connect(credentials)) = join.handle_voice_state(state) else {
//!     panic!("both halves are in");
//! };
//! assert_eq!(credentials.endpoint.url(), "wss://sweetwater-12345.discord.media:2048/?v=8");
//! assert_eq!(credentials.channel_id, "127121515262115840");
//! assert_eq!(credentials.max_dave_protocol_version, 1);
//! ```

use alloc::string::String;

use serde::Deserialize;

use crate::session::{Credentials, Endpoint, EndpointError};
use crate::token::Token;

/// The part of a VOICE_STATE_UPDATE dispatch (a voice state object) that
/// matters here. Unknown fields are ignored, so the `d` of the dispatch
/// deserializes as it is.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct VoiceStateUpdate {
    /// The guild; absent for calls outside a guild.
    #[serde(default)]
    pub guild_id: Option<String>,
    /// The channel; `None` when the user left voice.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// Whose voice state this is.
    pub user_id: String,
    /// The voice session id.
    pub session_id: String,
}

impl VoiceStateUpdate {
    /// A voice state, for gateway libraries that hand over typed values.
    pub fn new(
        guild_id: Option<String>,
        channel_id: Option<String>,
        user_id: String,
        session_id: String,
    ) -> Self {
        Self {
            guild_id,
            channel_id,
            user_id,
            session_id,
        }
    }
}

/// A VOICE_SERVER_UPDATE dispatch.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct VoiceServerUpdate {
    /// The voice connection token.
    pub token: Token,
    /// The guild this voice server is for.
    pub guild_id: String,
    /// The voice server's host, maybe with a port; `None` while Discord
    /// allocates a new voice server.
    #[serde(default)]
    pub endpoint: Option<String>,
}

impl VoiceServerUpdate {
    /// A voice server update, for gateway libraries that hand over typed
    /// values.
    pub fn new(token: Token, guild_id: String, endpoint: Option<String>) -> Self {
        Self {
            token,
            guild_id,
            endpoint,
        }
    }
}

impl core::fmt::Debug for VoiceServerUpdate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("VoiceServerUpdate")
            .field("token", &self.token)
            .field("guild_id", &self.guild_id)
            .field("endpoint", &self.endpoint)
            .finish()
    }
}

/// What the application does after a dispatch.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinAction {
    /// Nothing yet: the other half is missing, or the dispatch was about
    /// another user or guild, or changed nothing.
    Wait,
    /// New credentials: connect with them, or hand them to
    /// `update_credentials` if a connection is running (the voice server
    /// moved, or the session was renewed).
    Connect(Credentials),
    /// The voice server went away (null endpoint: Discord is allocating
    /// another) or we left the channel: close the connection and wait.
    Disconnect,
}

/// Pairs VOICE_STATE_UPDATE and VOICE_SERVER_UPDATE for one guild and user.
#[derive(Clone, Debug)]
pub struct VoiceJoin {
    guild_id: String,
    user_id: String,
    max_dave_protocol_version: u16,
    allow_insecure: bool,
    /// Our voice session id and channel, from our latest voice state.
    session: Option<(String, String)>,
    /// The latest usable voice server: token and endpoint.
    server: Option<(Token, Endpoint)>,
    /// The credentials last handed out, so that a repeat is not news.
    issued: Option<Credentials>,
}

impl VoiceJoin {
    /// Waits for the voice events of `user_id` in `guild_id`. Credentials
    /// it builds offer DAVE protocol version 1.
    pub fn new(guild_id: impl Into<String>, user_id: impl Into<String>) -> Self {
        Self {
            guild_id: guild_id.into(),
            user_id: user_id.into(),
            max_dave_protocol_version: 1,
            allow_insecure: false,
            session: None,
            server: None,
            issued: None,
        }
    }

    /// Sets the `max_dave_protocol_version` of the credentials (0: no DAVE).
    pub fn with_max_dave_protocol_version(mut self, version: u16) -> Self {
        self.max_dave_protocol_version = version;
        self
    }

    /// Accepts `ws://` loopback endpoints, for tests against a local gateway.
    pub fn with_insecure_loopback(mut self, allow: bool) -> Self {
        self.allow_insecure = allow;
        self
    }

    /// A VOICE_STATE_UPDATE. Others' voice states, and other guilds', are
    /// not ours to act on.
    pub fn handle_voice_state(
        &mut self,
        update: VoiceStateUpdate,
    ) -> Result<JoinAction, JoinError> {
        let ours = update.user_id == self.user_id
            && update
                .guild_id
                .as_deref()
                .is_none_or(|g| g == self.guild_id);
        if !ours {
            return Ok(JoinAction::Wait);
        }
        let Some(channel_id) = update.channel_id else {
            // We left voice (or were disconnected): the session is over.
            self.session = None;
            return Ok(self.disconnect());
        };
        self.session = Some((update.session_id, channel_id));
        Ok(self.offer())
    }

    /// A VOICE_SERVER_UPDATE. An update for another guild is refused: a
    /// gateway library routing it here has a bug worth seeing.
    pub fn handle_voice_server(
        &mut self,
        update: VoiceServerUpdate,
    ) -> Result<JoinAction, JoinError> {
        if update.guild_id != self.guild_id {
            return Err(JoinError::OtherGuild {
                expected: self.guild_id.clone(),
                got: update.guild_id,
            });
        }
        let Some(endpoint) = update.endpoint else {
            // Discord: the voice server went away; disconnect and do not
            // reconnect until a new one is allocated.
            self.server = None;
            return Ok(self.disconnect());
        };
        let endpoint = Endpoint::parse(&endpoint, self.allow_insecure)?;
        self.server = Some((update.token, endpoint));
        Ok(self.offer())
    }

    /// The session was invalidated (`SessionInvalidated`): its session id and
    /// token are spent. Ask the main gateway to join again (opcode 4); the
    /// next pair of dispatches yields fresh credentials.
    pub fn invalidate(&mut self) {
        self.session = None;
        self.server = None;
        self.issued = None;
    }

    /// The credentials last handed out, if any are current.
    pub fn credentials(&self) -> Option<&Credentials> {
        self.issued.as_ref()
    }

    /// Credentials from both halves, when they are new.
    fn offer(&mut self) -> JoinAction {
        let (Some((session_id, channel_id)), Some((token, endpoint))) =
            (&self.session, &self.server)
        else {
            return JoinAction::Wait;
        };
        let credentials = Credentials {
            server_id: self.guild_id.clone(),
            channel_id: channel_id.clone(),
            user_id: self.user_id.clone(),
            session_id: session_id.clone(),
            token: token.clone(),
            endpoint: endpoint.clone(),
            max_dave_protocol_version: self.max_dave_protocol_version,
        };
        if self.issued.as_ref() == Some(&credentials) {
            return JoinAction::Wait;
        }
        self.issued = Some(credentials.clone());
        JoinAction::Connect(credentials)
    }

    fn disconnect(&mut self) -> JoinAction {
        match self.issued.take() {
            Some(_) => JoinAction::Disconnect,
            None => JoinAction::Wait,
        }
    }
}

/// A dispatch that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// A VOICE_SERVER_UPDATE for another guild reached this join.
    #[error("VOICE_SERVER_UPDATE for guild {got}, expected {expected}")]
    OtherGuild {
        /// The guild this join is for.
        expected: String,
        /// The guild the update named.
        got: String,
    },
    /// The endpoint Discord sent could not be used.
    #[error("unusable voice endpoint: {0}")]
    Endpoint(#[from] EndpointError),
}
