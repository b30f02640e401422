//! Fuzz target bodies for voice-ws-proto.
