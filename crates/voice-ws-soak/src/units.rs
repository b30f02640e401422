//! Numbers as people read them: MiB with one decimal, seconds with three.

use std::time::Duration;

/// Bytes as MiB, one decimal.
pub(crate) fn mib(bytes: u64) -> String {
    let tenths = bytes * 10 / (1024 * 1024);
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// A duration as seconds with milliseconds.
pub(crate) fn secs(d: Duration) -> String {
    let ms = d.as_millis();
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_precision() {
        assert_eq!(mib(1024 * 1024 * 3 / 2), "1.5");
        assert_eq!(secs(Duration::from_millis(12_045)), "12.045");
    }
}
