//! `cargo +nightly fuzz run transport`: see voice_ws_fuzzing::transport_ops.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| voice_ws_fuzzing::transport_ops(data));
