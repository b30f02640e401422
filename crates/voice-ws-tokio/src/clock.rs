//! Tokio's clock as the core's [`Instant`]: nanoseconds since the task started.
//!
//! Going through `tokio::time::Instant` (not `std::time::Instant`) keeps
//! tokio's paused time working in tests.

use voice_ws_proto::Instant;

/// Converts between tokio instants and core instants around a fixed epoch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    epoch: tokio::time::Instant,
}

impl Clock {
    /// A clock whose epoch is now.
    pub(crate) fn start() -> Self {
        Self {
            epoch: tokio::time::Instant::now(),
        }
    }

    /// The current time, as the core counts it.
    pub(crate) fn now(&self) -> Instant {
        Instant::from_elapsed(tokio::time::Instant::now() - self.epoch)
    }

    /// A core deadline on tokio's clock, for `sleep_until`.
    pub(crate) fn to_tokio(self, at: Instant) -> tokio::time::Instant {
        // A deadline beyond tokio's range is never reached: sleep "forever".
        self.epoch
            .checked_add(at.elapsed_since_epoch())
            .unwrap_or_else(far_future)
    }
}

/// About thirty years ahead: tokio's own "never".
pub(crate) fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86_400 * 365 * 30)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn core_instants_follow_tokio_time_both_ways() {
        let clock = Clock::start();
        assert_eq!(clock.now(), Instant::ZERO);
        tokio::time::advance(Duration::from_millis(13_750)).await;
        assert_eq!(clock.now(), Instant::from_millis(13_750));

        let deadline = Instant::from_millis(20_000);
        tokio::time::sleep_until(clock.to_tokio(deadline)).await;
        assert_eq!(clock.now(), deadline);
        // The end of the core's time is tokio's "never", not a panic.
        assert!(clock.to_tokio(Instant::from_nanos(u64::MAX)) > tokio::time::Instant::now());
    }
}
