//! `cargo +nightly fuzz run dave`: see voice_ws_fuzzing::dave_handshake.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| voice_ws_fuzzing::dave_handshake(data));
