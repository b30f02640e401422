//! A criterion measurement of the bench thread's CPU time.
//!
//! On a machine shared with other work, wall time counts the moments the
//! bench thread waits for a core, and how many depends on what else runs
//! then: two contenders measured a minute apart are not comparable. The
//! thread's CPU time counts only the time it ran.

use std::time::Duration;

use cpu_time::ThreadTime;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// Criterion's own wall-time measurement, for its formatter (durations).
static WALL_TIME: WallTime = WallTime;

pub(crate) struct ThreadCpuTime;

impl Measurement for ThreadCpuTime {
    type Intermediate = ThreadTime;
    type Value = Duration;

    fn start(&self) -> ThreadTime {
        ThreadTime::now()
    }

    fn end(&self, start: ThreadTime) -> Duration {
        start.elapsed()
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL_TIME.formatter()
    }
}
