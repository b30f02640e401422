//! `cargo +nightly fuzz run decode_json`: see voice_ws_fuzzing::decode_json.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| voice_ws_fuzzing::decode_json(data));
