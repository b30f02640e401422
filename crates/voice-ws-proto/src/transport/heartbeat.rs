//! Heartbeat schedule, nonces, RTT and the zombie check.

use core::time::Duration;

use alloc::collections::VecDeque;

use crate::time::Instant;

/// Nonces are JSON integers below 2^53 so that every JSON number parser
/// (including JavaScript's doubles) reads them exactly.
const NONCE_MASK: u64 = (1 << 53) - 1;

/// Beats a coalescing step aims to gather, across the connections of the
/// owner's runtime: enough that one wake-up serves many, few enough that a
/// burst is written in a millisecond or two (about 20 µs a beat).
const BATCH: u128 = 100;

/// The steps a beat may be coalesced onto, in milliseconds. Each divides
/// the next and one second, so connections on different steps (their
/// count changed in between) still share wake-ups.
const STEPS_MS: [u64; 6] = [1, 5, 10, 50, 100, 500];

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
#[derive(Clone, Debug)]
pub(crate) struct Heartbeat {
    interval: Option<Duration>,
    next_due: Option<Instant>,
    /// Beats sent on this socket and not answered yet, oldest first, with
    /// their send times: an ACK of any of them proves the socket alive, and
    /// its RTT is measured from its own send time.
    outstanding: VecDeque<(u64, Instant)>,
    /// How many unanswered beats `outstanding` keeps (twice the tolerance:
    /// beats sent before an ACK and after it).
    keep: usize,
    /// Beats in a row without an answer before the socket is a zombie.
    tolerance: u32,
    /// The step beats go out on, in nanoseconds; 0: each at its exact time.
    step: u64,
    last_nonce: Option<u64>,
    /// Beats sent since the last ACK of any of them.
    unacked: u32,
    rtt: Option<Duration>,
}

impl Heartbeat {
    /// A socket's heartbeat, declaring a zombie after `tolerance` beats in
    /// a row went unanswered (at least one). Each beat at its exact time
    /// until [`coalesce`](Self::coalesce) says otherwise.
    pub(crate) fn new(tolerance: u32) -> Self {
        let tolerance = tolerance.max(1);
        Self {
            interval: None,
            next_due: None,
            outstanding: VecDeque::new(),
            keep: usize::try_from(tolerance)
                .unwrap_or(usize::MAX)
                .saturating_mul(2)
                .min(64),
            tolerance,
            step: 0,
            last_nonce: None,
            unacked: 0,
            rtt: None,
        }
    }

    /// The interval from Hello, if one came.
    pub(crate) fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// The latest round-trip time measured.
    pub(crate) fn rtt(&self) -> Option<Duration> {
        self.rtt
    }

    /// When the next beat (or zombie check) goes out: its time, brought
    /// forward to the last multiple of the coalescing step. Connections
    /// whose clocks share a grid send the beats that fall within one step
    /// together, and their runtime wakes once for all of them.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.next_due.map(|due| self.coalesced(due))
    }

    fn coalesced(&self, due: Instant) -> Instant {
        match due.as_nanos().checked_rem(self.step) {
            Some(past_step) => Instant::from_nanos(due.as_nanos() - past_step),
            None => due,
        }
    }

    /// Hello arrived: beat every `interval`, first at `first`.
    pub(crate) fn start(&mut self, interval: Duration, first: Instant) {
        self.interval = Some(interval);
        self.next_due = Some(first);
    }

    /// Brings beats forward onto a step of at most `cap`, chosen for
    /// `connections` on the owner's runtime (this one included). Nothing
    /// changes before Hello: the step depends on the interval.
    pub(crate) fn coalesce(&mut self, cap: Duration, connections: usize) {
        if let Some(interval) = self.interval {
            self.step = step(interval, connections, cap);
        }
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
    /// `tolerance` beats in a row went unanswered. The next beat is due one
    /// interval after this one was due (not after it went out, which
    /// coalescing brings forward), so the cadence never drifts; deadlines
    /// that passed while the owner was late are skipped, not burst out.
    pub(crate) fn on_due(&mut self, now: Instant) -> Option<Due> {
        let due = self.next_due.filter(|due| self.coalesced(*due) <= now)?;
        if self.unacked >= self.tolerance {
            self.next_due = None;
            return Some(Due::Zombie);
        }
        let missed = self.unacked > 0;
        self.next_due = self.interval.map(|interval| {
            let next = next_slot(due, interval, now);
            // An owner this late is already within the next beat's step:
            // that beat is this one (the step is under half an interval,
            // so the one after goes out later than now).
            if self.coalesced(next) <= now {
                next.saturating_add(interval)
            } else {
                next
            }
        });
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

    /// An ACK arrived. One that echoes any unanswered beat of this socket
    /// proves it alive (a server slower than one interval is still alive)
    /// and returns that beat's RTT; the beats before it will not be
    /// answered any more. Anything else (a stale or repeated nonce) counts
    /// for nothing.
    pub(crate) fn on_ack(&mut self, now: Instant, nonce: u64) -> Option<Duration> {
        let answered = self.outstanding.iter().position(|(n, _)| *n == nonce)?;
        let (_, sent) = self.outstanding[answered];
        self.outstanding.drain(..=answered);
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
        if self.outstanding.len() >= self.keep {
            self.outstanding.pop_front();
        }
        self.outstanding.push_back((nonce, now));
        self.unacked = self.unacked.saturating_add(1);
        nonce
    }
}

/// The coalescing step, in nanoseconds, for `connections` beating every
/// `interval`: the largest of [`STEPS_MS`] within `cap`, within the time in
/// which about [`BATCH`] of their beats fall due, and under half the
/// interval; 0 when none is.
fn step(interval: Duration, connections: usize, cap: Duration) -> u64 {
    let gather = interval.as_nanos() * BATCH / connections.max(1) as u128;
    let most = gather
        .min(cap.as_nanos())
        .min(interval.as_nanos().saturating_sub(1) / 2);
    STEPS_MS
        .iter()
        .rev()
        .map(|ms| ms * 1_000_000)
        .find(|&step| u128::from(step) <= most)
        .unwrap_or(0)
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
        let mut hb = Heartbeat::new(1);
        let a = hb.beat_now(ms(5));
        let b = hb.beat_now(ms(5));
        assert_eq!(a, 5);
        assert_eq!(b, 6);
    }

    #[test]
    fn an_ack_of_an_earlier_beat_proves_life_with_its_own_rtt() {
        let mut hb = Heartbeat::new(2);
        hb.start(Duration::from_millis(1000), ms(1000));
        assert_eq!(
            hb.on_due(ms(1000)),
            Some(Due::Beat {
                nonce: 1000,
                missed: false
            })
        );
        assert_eq!(
            hb.on_due(ms(2000)),
            Some(Due::Beat {
                nonce: 2000,
                missed: true
            })
        );
        // The first beat's answer, 1.5 s late: alive, RTT from its own send.
        assert_eq!(hb.on_ack(ms(2500), 1000), Some(Duration::from_millis(1500)));
        assert_eq!(
            hb.on_due(ms(3000)),
            Some(Due::Beat {
                nonce: 3000,
                missed: false
            })
        );
        assert_eq!(hb.on_ack(ms(3500), 2000), Some(Duration::from_millis(1500)));
        // A repeated or unknown nonce counts for nothing.
        assert_eq!(hb.on_ack(ms(3600), 2000), None);
        assert_eq!(hb.on_ack(ms(3600), 999), None);
    }

    #[test]
    fn only_tolerance_beats_in_a_row_make_a_zombie() {
        let mut hb = Heartbeat::new(2);
        hb.start(Duration::from_millis(1000), ms(1000));
        assert!(matches!(hb.on_due(ms(1000)), Some(Due::Beat { .. })));
        assert!(matches!(hb.on_due(ms(2000)), Some(Due::Beat { .. })));
        assert_eq!(hb.on_due(ms(3000)), Some(Due::Zombie));
    }

    #[test]
    fn coalesced_beats_go_out_early_on_the_step_grid_without_drift() {
        // A lone connection, a 10 ms cap: every beat on the 10 ms grid.
        let ten = Duration::from_millis(10);
        let mut hb = Heartbeat::new(3);
        // Due at 1,005 ms, then every 13,750 ms (Discord's interval).
        hb.start(Duration::from_millis(13_750), ms(1005));
        hb.coalesce(ten, 1);
        assert_eq!(hb.deadline(), Some(ms(1000)));
        assert_eq!(hb.on_due(ms(999)), None, "not before the step");
        assert!(matches!(
            hb.on_due(ms(1000)),
            Some(Due::Beat { nonce: 1000, .. })
        ));
        // Due at 14,755 (not 13,750 after it went out): out at 14,750.
        assert_eq!(hb.deadline(), Some(ms(14_750)));
        assert!(matches!(hb.on_due(ms(14_750)), Some(Due::Beat { .. })));
        // Due at 28,505: out at 28,500, and so on, never drifting.
        assert_eq!(hb.deadline(), Some(ms(28_500)));

        // A due time on the grid is kept as it is.
        let mut exact = Heartbeat::new(1);
        exact.start(Duration::from_millis(1000), ms(2000));
        exact.coalesce(ten, 1);
        assert_eq!(exact.deadline(), Some(ms(2000)));
        // No cap: every beat at its exact time.
        let mut off = Heartbeat::new(1);
        off.start(Duration::from_millis(1000), ms(1005));
        off.coalesce(Duration::ZERO, 1);
        assert_eq!(off.deadline(), Some(ms(1005)));
    }

    #[test]
    fn a_late_owner_within_the_next_beats_step_sends_one_beat_not_two() {
        let mut hb = Heartbeat::new(3);
        hb.start(Duration::from_millis(1000), ms(1_050));
        hb.coalesce(Duration::from_millis(100), 1);
        // Due 1,050, out from 1,000; the owner only wakes at 2,030, inside
        // the step of the beat due at 2,050 (out from 2,000).
        assert!(matches!(hb.on_due(ms(2_030)), Some(Due::Beat { .. })));
        assert_eq!(
            hb.deadline(),
            Some(ms(3_000)),
            "the 2,050 beat was this one"
        );
        assert_eq!(hb.on_due(ms(2_030)), None);
    }

    #[test]
    fn the_step_gathers_about_a_hundred_beats_of_the_runtime_within_the_cap() {
        let second = Duration::from_secs(1);
        let cap = Duration::from_millis(50);
        let step_ms = |interval, connections| step(interval, connections, cap) / 1_000_000;
        // One beat a second each: 100 beats fall due in 100 ms among 1,000
        // connections (the cap: 50), in 20 ms among 5,000 (the step below:
        // 10), in 10 ms among 10,000, in 6.7 ms among 15,000 (5).
        assert_eq!(step_ms(second, 1_000), 50);
        assert_eq!(step_ms(second, 5_000), 10);
        assert_eq!(step_ms(second, 10_000), 10);
        assert_eq!(step_ms(second, 15_000), 5);
        assert_eq!(step_ms(second, 100_000), 1);
        assert_eq!(step_ms(second, 200_000), 0, "under 1 ms: exact times");
        // Never half an interval or more.
        assert_eq!(step_ms(Duration::from_millis(100), 1), 10);
        assert_eq!(step_ms(Duration::from_millis(2), 1), 0);
        // Discord's 13.75 s interval, a handful of connections: the cap.
        assert_eq!(step_ms(Duration::from_millis(13_750), 3), 50);

        // The runtime gains connections: the step shrinks, on the same grid.
        let mut hb = Heartbeat::new(1);
        hb.start(second, ms(10_049));
        hb.coalesce(cap, 1_000);
        assert_eq!(hb.deadline(), Some(ms(10_000)));
        hb.coalesce(cap, 15_000);
        assert_eq!(hb.deadline(), Some(ms(10_045)));
    }
}
