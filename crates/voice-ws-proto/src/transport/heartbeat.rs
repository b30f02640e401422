//! Heartbeat schedule, nonces, RTT and the zombie check.

use core::time::Duration;

use crate::time::Instant;

/// Nonces are JSON integers below 2^53 so that every JSON number parser
/// (including JavaScript's doubles) reads them exactly.
const NONCE_MASK: u64 = (1 << 53) - 1;

/// What a due heartbeat turns into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Send a heartbeat with this nonce; `missed` when the previous beat
    /// was still unanswered (within tolerance).
    Beat {
        /// The new beat's nonce.
        nonce: u64,
        /// Whether the previous beat went unanswered.
        missed: bool,
    },
    /// The previous beats went unanswered too often: the socket is a zombie.
    Zombie,
}

/// One socket's heartbeat state. A new socket gets a fresh one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Heartbeat {
    interval: Option<Duration>,
    next_due: Option<Instant>,
    last_nonce: Option<u64>,
    last_sent: Option<Instant>,
    /// Beats sent since the last one acknowledged.
    unacked: u32,
    rtt: Option<Duration>,
}

impl Heartbeat {
    /// The interval from Hello, if one came.
    pub(crate) fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// The latest round-trip time measured.
    pub(crate) fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// When the next beat (or zombie check) falls due.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next_due
    }

    /// Hello arrived: beat every `interval`, first at `first`.
    pub(crate) fn start(&mut self, interval: Duration, first: Instant) {
        self.interval = Some(interval);
        self.next_due = Some(first);
    }

    /// Schedule the next beat at `at`, replacing the pending one.
    pub(crate) fn schedule(&mut self, at: Instant) {
        self.next_due = Some(at);
    }

    /// Stop beating (zombie, closing).
    pub(crate) fn stop(&mut self) {
        self.next_due = None;
    }

    /// The deadline passed. Either a beat to send, or the zombie verdict when
    /// `tolerance` beats in a row went unanswered. The next deadline is the
    /// missed one plus the interval, so the cadence never drifts; deadlines
    /// that passed while the owner was late are skipped, not burst out.
    pub(crate) fn on_due(&mut self, now: Instant, tolerance: u32) -> Option<Due> {
        let due = self.next_due.filter(|due| *due <= now)?;
        if self.unacked >= tolerance.max(1) {
            self.next_due = None;
            return Some(Due::Zombie);
        }
        let missed = self.unacked > 0;
        self.next_due = self.interval.map(|interval| next_slot(due, interval, now));
        Some(Due::Beat {
            nonce: self.sent(now),
            missed,
        })
    }

    /// A beat sent on request, outside the schedule; the cadence restarts
    /// from now.
    pub(crate) fn beat_now(&mut self, now: Instant) -> u64 {
        if let Some(interval) = self.interval {
            self.next_due = Some(now + interval);
        }
        self.sent(now)
    }

    /// An ACK arrived. Only the nonce of the latest beat counts; returns
    /// the RTT when it does.
    pub(crate) fn on_ack(&mut self, now: Instant, nonce: u64) -> Option<Duration> {
        if self.last_nonce != Some(nonce) {
            return None;
        }
        // Taking the send time makes a repeated ACK count once, and does
        // not depend on `unacked`, which proof of life may have cleared.
        let sent = self.last_sent.take()?;
        self.unacked = 0;
        let rtt = now - sent;
        self.rtt = Some(rtt);
        Some(rtt)
    }

    /// Any frame arrived and the config counts that as proof of life.
    pub(crate) fn on_proof_of_life(&mut self) {
        self.unacked = 0;
    }

    fn sent(&mut self, now: Instant) -> u64 {
        // Derived from the injected clock so nonces read as times in a
        // capture, bumped when two beats share a millisecond.
        let from_clock = now.as_millis() & NONCE_MASK;
        let nonce = match self.last_nonce {
            Some(last) if from_clock <= last => (last + 1) & NONCE_MASK,
            _ => from_clock,
        };
        self.last_nonce = Some(nonce);
        self.last_sent = Some(now);
        self.unacked = self.unacked.saturating_add(1);
        nonce
    }
}

/// The first slot `due + k * interval` (k >= 1) that lies after `now`.
fn next_slot(due: Instant, interval: Duration, now: Instant) -> Instant {
    let next = due + interval;
    if next > now {
        return next;
    }
    let step = interval.as_nanos().max(1);
    let behind = (now - due).as_nanos();
    let slots = behind / step + 1;
    due.saturating_add(Duration::from_nanos(
        u64::try_from(slots.saturating_mul(step)).unwrap_or(u64::MAX),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Instant {
        Instant::from_millis(n)
    }

    #[test]
    fn late_owner_skips_missed_slots_without_drift() {
        let iv = Duration::from_millis(1000);
        assert_eq!(next_slot(ms(1000), iv, ms(1000)), ms(2000));
        assert_eq!(next_slot(ms(1000), iv, ms(1500)), ms(2000));
        assert_eq!(next_slot(ms(1000), iv, ms(3000)), ms(4000));
        assert_eq!(next_slot(ms(1000), iv, ms(3999)), ms(4000));
    }

    #[test]
    fn nonces_stay_unique_within_one_millisecond() {
        let mut hb = Heartbeat::default();
        let a = hb.beat_now(ms(5));
        let b = hb.beat_now(ms(5));
        assert_eq!(a, 5);
        assert_eq!(b, 6);
    }
}
