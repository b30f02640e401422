//! What can go wrong with media or ids, as values. The handshake's own
//! errors ([`DaveError`](crate::DaveError)) live in `voice_ws_proto::dave`,
//! so that a driver can carry them on its event stream.

use std::string::String;

/// Why a media frame could not be encrypted or decrypted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The call is end-to-end encrypted but we have no key yet (the group
    /// is forming or being rebuilt). Do not send the frame in clear: drop it.
    #[error("DAVE is not ready: no media key yet")]
    NotReady,
    /// Encryption failed.
    #[error("encryption failed: {0}")]
    Encrypt(String),
    /// We have no key for this user (not in the group, or not yet).
    #[error("no decryptor for user {0}")]
    UnknownUser(u64),
    /// Decryption failed (wrong key, corrupted or unencrypted frame).
    #[error("decryption failed: {0}")]
    Decrypt(String),
}

/// A user or channel id that is not a Discord snowflake.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} is not a snowflake: {value:?}")]
pub struct IdError {
    /// Which id (`user_id` or `channel_id`).
    pub field: &'static str,
    /// What it was.
    pub value: String,
}
