//! The voice-ws command.
fn main() {}
