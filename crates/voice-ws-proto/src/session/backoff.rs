//! Reconnect delays: exponential with full jitter, from a seeded PRNG.

use core::time::Duration;

/// SplitMix64: tiny, fast, and good enough to spread reconnects; seeded
/// from config so that a run can be replayed exactly.
#[derive(Clone, Debug)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, max]` (modulo bias is irrelevant at these sizes).
    pub(crate) fn below_or_eq(&mut self, max: u64) -> u64 {
        match max.checked_add(1) {
            Some(n) => self.next_u64() % n,
            None => self.next_u64(),
        }
    }
}

/// The delay before reconnect attempt `attempt` (1-based).
///
/// The first attempt is immediate: most drops are one-off. Then attempt
/// `n` waits a uniformly random time in `[0, min(cap, base * 2^(n-2))]`
/// ("full jitter"), so that many clients dropped together do not return
/// together. Without `jitter` the delay is the ceiling itself.
pub(crate) fn delay(
    attempt: u32,
    base: Duration,
    cap: Duration,
    jitter: bool,
    rng: &mut Rng,
) -> Duration {
    if attempt <= 1 {
        return Duration::ZERO;
    }
    let exp = attempt.saturating_sub(2).min(32);
    let ceiling = base
        .checked_mul(1u32 << exp.min(31))
        .unwrap_or(cap)
        .min(cap);
    if !jitter {
        return ceiling;
    }
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rng.below_or_eq(nanos))
}
