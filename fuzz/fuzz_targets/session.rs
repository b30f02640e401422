//! `cargo +nightly fuzz run session`: see voice_ws_fuzzing::session_ops.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| voice_ws_fuzzing::session_ops(data));
