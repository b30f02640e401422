//! Frame <-> message: JSON text and DAVE binary, both directions.
//!
//! Decoding is one pass from `&str` into typed structs (no `Value`
//! envelope): a byte scanner for the shapes servers send, serde_json for
//! the rest and for every error. Binary payloads are `Bytes` slices of the
//! frame, never copies.

mod client;
mod error;
mod fast_path;
mod key;
pub mod op;
mod server;
mod server_types;
mod snowflake;

pub use client::{ClientMessage, Identify, Resume, SelectProtocol, Speaking};
pub use error::DecodeError;
pub use server::{decode, decode_binary, decode_text};
pub use server_types::{
    ClientDisconnect, ClientsConnect, DaveExecuteTransition, DavePrepareEpoch,
    DavePrepareTransition, HeartbeatAck, Hello, Incoming, Ready, SecretKey, ServerMessage,
    SessionDescription, SpeakingUpdate, UnknownPayload,
};

pub(crate) use client::encode_heartbeat;
