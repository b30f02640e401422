//! Tokio driver for voice-ws-proto.
