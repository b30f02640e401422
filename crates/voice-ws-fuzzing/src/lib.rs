//! Fuzz target bodies for voice-ws-proto.
//!
//! Each target is a plain function over `&[u8]` that panics when it finds
//! a bug, so the same bodies run under cargo-fuzz (`fuzz/`, nightly) and
//! in the stable test suite (`tests/replay.rs` replays the seed corpus and
//! a bounded pseudo-random run). The crate exposes nothing else.
//!
//! | function | `fuzz/fuzz_targets/` | input |
//! |---|---|---|
//! | [`decode_frame`] | `decode_frame` | one frame's bytes, as binary and (if UTF-8) text |
//! | [`decode_json`] | `decode_json` | one text frame |
//! | [`transport_ops`] | `transport` | an op program against a `Transport` |
//! | [`session_ops`] | `session` | an op program against a `Session` |
//! | [`dave_handshake`] | `dave` | server messages into a DAVE `Handshake` (voice-ws-dave) |
//!
//! Op programs: five header bytes choose the configuration (queue bounds,
//! timeouts, a lazy owner, a driver that breaks its contract), then each op
//! is an ASCII tag with little-endian arguments: `O` open, `C` server
//! close, `t`/`T` advance the clock, `H` Hello, `R` Ready, `r` Resumed,
//! `D` Session Description, `A` ACK of the last heartbeat, `a` ACK of an
//! earlier or guessed nonce, `S` Speaking, `J` other JSON, `X` any text,
//! `B` DAVE binary, `b` any binary, `Z` oversized, `P` application send,
//! `h` heartbeat now, `i` heartbeat in, `c` graceful close, `F` force
//! close, `U` new credentials, `E` take events. See `fuzz/README.md`.
//!
//! The harnesses hold the core to the rules of docs/protocol.md with a
//! model of their own (`model.rs`: what each frame and ACK must do) and a
//! Discord-like server (`server.rs`: a bounded replay buffer, replay after
//! the Resume's `seq_ack`), which together check exactly-once delivery.
//! What both harnesses check alike (frames against the model, heartbeats,
//! write order, events, drain bounds) lives in `rig.rs`, over the common
//! surface of `Transport` and `Session` named in `machine.rs`; each
//! `*_ops.rs` file keeps only its own rules.

mod app_send;
mod clock;
mod dave;
mod decode_frame;
mod decode_json;
mod machine;
mod model;
mod ops;
mod rig;
mod server;
mod session_ops;
mod transport_ops;
mod wire;

pub use dave::dave_handshake;
pub use decode_frame::decode_frame;
pub use decode_json::decode_json;
pub use session_ops::session_ops;
pub use transport_ops::transport_ops;

/// The configuration and op program an input of the `transport` and
/// `session` targets stands for, one item per line: for reading a crash.
pub fn describe_program(data: &[u8]) -> String {
    let (header, program) = ops::parse(data);
    let mut out = format!("{header:?}\n");
    for op in program {
        out.push_str(&format!("{op:?}\n"));
    }
    out
}
