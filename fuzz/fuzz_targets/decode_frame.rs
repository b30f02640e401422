//! `cargo +nightly fuzz run decode_frame`: see voice_ws_fuzzing::decode_frame.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| voice_ws_fuzzing::decode_frame(data));
