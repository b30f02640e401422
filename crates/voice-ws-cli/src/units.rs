//! Numbers as a person reads them: whole milliseconds, or a fixed number of
//! decimals computed from integers, so that float noise such as
//! `410.79116999999997` can never be printed.

use std::time::Duration;

/// Whole milliseconds, rounded to the nearest (saturating).
pub(crate) fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_micros().saturating_add(500) / 1000).unwrap_or(u64::MAX)
}

/// Whole microseconds, rounded to the nearest (saturating).
pub(crate) fn us(d: Duration) -> u64 {
    u64::try_from(d.as_nanos().saturating_add(500) / 1000).unwrap_or(u64::MAX)
}

/// Milliseconds with exactly one decimal (`0.4`, `12.0`), for round-trip
/// times that are often below one millisecond on loopback.
pub(crate) fn ms_1dp(d: Duration) -> String {
    let tenths = us(d).saturating_add(50) / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Seconds with exactly three decimals (`1.234s`).
pub(crate) fn secs_3dp(d: Duration) -> String {
    let ms = ms(d);
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

/// Seconds with exactly one decimal (`10.3 s` without the unit).
pub(crate) fn secs_1dp(d: Duration) -> String {
    let tenths = ms(d).saturating_add(50) / 100;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// A wait as a person reads it: whole milliseconds under a second
/// (`411 ms`), seconds with one decimal from there (`2.5 s`).
pub(crate) fn delay(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", ms(d))
    } else {
        format!("{} s", secs_1dp(d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_fixed() {
        let noisy = Duration::from_nanos(410_791_170);
        assert_eq!(ms(noisy), 411);
        assert_eq!(ms(Duration::from_micros(880_092)), 880);
        assert_eq!(ms(Duration::from_micros(499)), 0);
        assert_eq!(ms(Duration::from_micros(500)), 1);
        assert_eq!(us(Duration::from_nanos(412_600)), 413);
        assert_eq!(ms_1dp(Duration::from_micros(412)), "0.4");
        assert_eq!(ms_1dp(Duration::from_micros(12_960)), "13.0");
        assert_eq!(ms_1dp(Duration::ZERO), "0.0");
        assert_eq!(secs_3dp(Duration::from_micros(1_234_400)), "1.234s");
        assert_eq!(secs_3dp(Duration::from_millis(5)), "0.005s");
        assert_eq!(secs_1dp(Duration::from_millis(10_260)), "10.3");
        assert_eq!(ms(Duration::MAX), u64::MAX);
        assert_eq!(delay(Duration::from_micros(410_791)), "411 ms");
        assert_eq!(delay(Duration::from_millis(999)), "999 ms");
        assert_eq!(delay(Duration::from_millis(2_523)), "2.5 s");
        assert_eq!(delay(Duration::from_secs(1)), "1.0 s");
    }
}
