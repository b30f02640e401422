//! Untrusted bytes into OpenMLS decoders without a panic.
//!
//! `tls_codec` 0.4 (under OpenMLS 0.8) has a `debug_assert!` on the length
//! prefix of variable-length vectors: a prefix byte starting with `0b11`
//! panics in debug builds where release builds return an error. Any client
//! can send such bytes, and the gateway must answer them with an error, so
//! every decode of client bytes runs under `catch_unwind`.

use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs a decode; a panic inside it counts as a decoding failure (`None`).
pub(crate) fn decode<T, E>(f: impl FnOnce() -> Result<T, E>) -> Option<T> {
    // Nothing outside the closure is left half-updated: decoders build new values.
    catch_unwind(AssertUnwindSafe(f)).ok()?.ok()
}
