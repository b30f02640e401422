//! The runtime's clock as the core's [`Instant`]: nanoseconds since the
//! connection's epoch.
//!
//! The runtime's instants come from [`Runtime::now`](crate::Runtime::now),
//! so a runtime with a test clock (tokio's paused time) keeps it.
//!
//! Every connection's epoch lies on one process-wide grid of whole seconds,
//! so their core clocks agree on where each second (and each divisor of
//! it) begins. That is what lets the core's heartbeat coalescing
//! ([`TransportConfig::heartbeat_coalesce`]) send the beats of many
//! connections together: their deadlines fall on the same instants.
//!
//! [`TransportConfig::heartbeat_coalesce`]: voice_ws_proto::TransportConfig::heartbeat_coalesce

use std::sync::OnceLock;
use std::time::Duration;

use voice_ws_proto::Instant;

/// The period of the shared grid.
const GRID: Duration = Duration::from_secs(1);

/// The first epoch taken in this process: the grid's origin.
static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();

/// Converts between runtime instants and core instants around a fixed epoch.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    epoch: std::time::Instant,
}

impl Clock {
    /// A clock whose epoch is the last grid point at or before `now`.
    pub(crate) fn start(now: std::time::Instant) -> Self {
        let origin = *ORIGIN.get_or_init(|| now);
        Self {
            epoch: on_grid(now, origin),
        }
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

/// The last instant at or before `now` a whole number of [`GRID`] periods
/// from `origin` (either side of it: a runtime with its own test clock may
/// start before another's); `now` itself when that is out of range.
fn on_grid(now: std::time::Instant, origin: std::time::Instant) -> std::time::Instant {
    let period = GRID.as_nanos();
    let past = match now.checked_duration_since(origin) {
        Some(after) => after.as_nanos() % period,
        None => (period - origin.duration_since(now).as_nanos() % period) % period,
    };
    // Below a second: the cast is exact.
    now.checked_sub(Duration::from_nanos(past as u64))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_instants_follow_the_runtime_clock_both_ways() {
        let epoch = std::time::Instant::now();
        let clock = Clock { epoch };
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

    #[test]
    fn epochs_lie_on_one_grid_of_whole_seconds() {
        let origin = std::time::Instant::now() + Duration::from_secs(10);
        let ms = Duration::from_millis;
        // After the origin: back to the last whole second from it.
        assert_eq!(on_grid(origin + ms(2_250), origin), origin + ms(2_000));
        assert_eq!(on_grid(origin + ms(3_000), origin), origin + ms(3_000));
        // Before it (another runtime's test clock): the same grid.
        assert_eq!(on_grid(origin - ms(250), origin), origin - ms(1_000));
        assert_eq!(on_grid(origin - ms(2_000), origin), origin - ms(2_000));

        // Two connections started 1.37 s apart: the same core instant is
        // the same runtime instant, up to whole seconds.
        let a = Clock {
            epoch: on_grid(origin + ms(100), origin),
        };
        let b = Clock {
            epoch: on_grid(origin + ms(1_470), origin),
        };
        let beat = Instant::from_millis(13_750);
        let gap = b.deadline(beat).zip(a.deadline(beat)).map(|(b, a)| b - a);
        assert_eq!(gap, Some(ms(1_000)));
    }
}
