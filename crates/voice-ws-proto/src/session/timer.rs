//! The session's timers as data: one enum of kinds, one table of deadlines.
//!
//! `poll_timeout` is the table's minimum (with the transport's heartbeat);
//! `handle_timeout` walks the expired entries in a fixed order; and a phase
//! change stops every timer that means nothing in the new phase, so no
//! handler has to re-check where the session is.

use crate::session::Phase;
use crate::time::Instant;

/// What a session waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The driver has `connect_timeout` to open the requested socket.
    Connect,
    /// A resumed socket up this long counts as progress.
    Stable,
    /// The backoff before the next connect request.
    Reconnect,
    /// Hello has `hello_timeout` after the socket opened.
    Hello,
    /// Ready or Resumed has `handshake_timeout` after the socket opened.
    Handshake,
}

impl Timer {
    /// Every kind, in the order `handle_timeout` walks them.
    pub(crate) const ALL: [Timer; 5] = [
        Timer::Connect,
        Timer::Stable,
        Timer::Reconnect,
        Timer::Hello,
        Timer::Handshake,
    ];

    /// The phases in which this timer means something.
    fn runs_in(self, phase: Phase) -> bool {
        match self {
            Timer::Connect => phase == Phase::Connecting,
            Timer::Stable => phase == Phase::Active,
            Timer::Reconnect => phase == Phase::WaitingToReconnect,
            // Hello may come after Resumed, so its timer outlives the handshake.
            Timer::Hello => matches!(phase, Phase::Identifying | Phase::Resuming | Phase::Active),
            Timer::Handshake => matches!(phase, Phase::Identifying | Phase::Resuming),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One deadline per [`Timer`] kind.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; Timer::ALL.len()],
}

impl TimerTable {
    /// Arms `timer` for `at`, replacing its deadline.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        self.deadlines[timer.index()] = Some(at);
    }

    /// Disarms `timer`.
    pub(crate) fn stop(&mut self, timer: Timer) {
        self.deadlines[timer.index()] = None;
    }

    /// The earliest deadline.
    pub(crate) fn next(&self) -> Option<Instant> {
        self.deadlines.iter().flatten().min().copied()
    }

    /// Disarms `timer` and says so if its deadline has passed.
    pub(crate) fn take_expired(&mut self, timer: Timer, now: Instant) -> bool {
        let slot = &mut self.deadlines[timer.index()];
        let expired = slot.is_some_and(|at| at <= now);
        if expired {
            *slot = None;
        }
        expired
    }

    /// The session entered `phase`: the timers that mean nothing there stop.
    pub(crate) fn entered(&mut self, phase: Phase) {
        for timer in Timer::ALL {
            if !timer.runs_in(phase) {
                self.stop(timer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_slot() {
        for (i, timer) in Timer::ALL.into_iter().enumerate() {
            assert_eq!(timer.index(), i);
        }
    }

    #[test]
    fn a_phase_change_stops_what_it_makes_meaningless() {
        let mut t = TimerTable::default();
        let at = Instant::from_millis(5);
        t.set(Timer::Hello, at);
        t.set(Timer::Handshake, at);
        t.entered(Phase::Active);
        assert_eq!(t.next(), Some(at), "Hello may still come after Resumed");
        assert!(!t.take_expired(Timer::Handshake, at));
        t.entered(Phase::WaitingToReconnect);
        assert_eq!(t.next(), None);
    }

    #[test]
    fn expiry_disarms() {
        let mut t = TimerTable::default();
        t.set(Timer::Connect, Instant::from_millis(10));
        assert!(!t.take_expired(Timer::Connect, Instant::from_millis(9)));
        assert!(t.take_expired(Timer::Connect, Instant::from_millis(10)));
        assert!(!t.take_expired(Timer::Connect, Instant::from_millis(11)));
    }
}
