//! The runtime's clock as the core's [`Instant`]: nanoseconds since the
//! connection started.
//!
//! The runtime's instants come from [`Runtime::now`](crate::Runtime::now),
//! so a runtime with a test clock (tokio's paused time) keeps it.

use voice_ws_proto::Instant;

/// Converts between runtime instants and core instants around a fixed epoch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    epoch: std::time::Instant,
}

impl Clock {
    /// A clock whose epoch is `now`.
    pub(crate) fn start(now: std::time::Instant) -> Self {
        Self { epoch: now }
    }

    /// `now`, as the core counts it.
    pub(crate) fn at(&self, now: std::time::Instant) -> Instant {
        Instant::from_elapsed(now.saturating_duration_since(self.epoch))
    }

    /// A core deadline on the runtime's clock; `None` beyond its range
    /// (never reached: no timer at all).
    pub(crate) fn deadline(self, at: Instant) -> Option<std::time::Instant> {
        self.epoch.checked_add(at.elapsed_since_epoch())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn core_instants_follow_the_runtime_clock_both_ways() {
        let epoch = std::time::Instant::now();
        let clock = Clock::start(epoch);
        assert_eq!(clock.at(epoch), Instant::ZERO);
        let later = epoch + Duration::from_millis(13_750);
        assert_eq!(clock.at(later), Instant::from_millis(13_750));
        // Before the epoch is the epoch: the core's time never goes back.
        assert_eq!(clock.at(epoch - Duration::from_millis(1)), Instant::ZERO);

        let deadline = Instant::from_millis(20_000);
        assert_eq!(
            clock.deadline(deadline),
            Some(epoch + Duration::from_millis(20_000))
        );
        assert_eq!(clock.at(epoch + Duration::from_millis(20_000)), deadline);
        // The end of the core's time is far away or "never", not a panic.
        let end = clock.deadline(Instant::from_nanos(u64::MAX));
        assert!(end.is_none_or(|end| end > epoch + Duration::from_secs(86_400 * 365)));
    }
}
