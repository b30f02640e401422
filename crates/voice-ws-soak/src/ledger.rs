//! Exactly-once accounting of the numbered messages the simulator pushes to
//! one bot: numbers grow by one within a session; a gap is allowed only at a
//! new session that followed a planned end (what was pushed to the ended
//! session is gone with it), never within one session, across any number
//! of resumes.

use crate::tail::Pushes;

/// What arrived of one bot's numbered pushes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ledger {
    /// The highest number received (0: none yet).
    pub(crate) last: u64,
    /// Numbers received once and in order.
    pub(crate) delivered: u64,
    /// Numbers received again, or after a higher one.
    pub(crate) duplicated: u64,
    /// Numbers skipped within a session: lost.
    pub(crate) lost: u64,
    /// Numbers skipped at a new session after a planned end: pushed to the
    /// ended session and gone with it.
    pub(crate) dropped_with_session: u64,
    /// A new session began; its first number may skip.
    boundary: bool,
}

impl Ledger {
    /// A new session got Ready.
    pub(crate) fn new_session(&mut self) {
        self.boundary = true;
    }

    /// Message number `n` reached the application.
    pub(crate) fn receive(&mut self, n: u64) {
        if n <= self.last {
            self.duplicated += 1;
            return;
        }
        let skipped = n - self.last - 1;
        if self.boundary {
            self.dropped_with_session += skipped;
        } else {
            self.lost += skipped;
        }
        self.boundary = false;
        self.last = n;
        self.delivered += 1;
    }

    /// Whether every number that must arrive of `pushed` has: those from
    /// `live_from` on (the rest went to sessions that ended).
    pub(crate) fn has_all(&self, pushed: Pushes) -> bool {
        self.last >= pushed.total || pushed.live_from > pushed.total
    }

    /// The end of the run. A number missing after `last` is gone with its
    /// session if that session ended: before the pushes stopped (numbers
    /// before `live_from`) or after (`ended_since`). Any other missing
    /// number is lost.
    pub(crate) fn settle(&mut self, pushed: Pushes, ended_since: bool) {
        // Numbers up to `ended_before` went to sessions that ended.
        let ended_before = pushed.live_from.saturating_sub(1).min(pushed.total);
        let gone = ended_before.saturating_sub(self.last);
        let live_missing = pushed.total.saturating_sub(self.last.max(ended_before));
        self.dropped_with_session += gone;
        if ended_since {
            self.dropped_with_session += live_missing;
        } else {
            self.lost += live_missing;
        }
        self.last = self.last.max(pushed.total);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live(total: u64, live_from: u64) -> Pushes {
        Pushes {
            total,
            live_from,
            held: false,
        }
    }

    #[test]
    fn in_order_across_resumes_is_clean() {
        let mut l = Ledger::default();
        l.new_session();
        for n in 1..=5 {
            l.receive(n);
        }
        l.settle(live(5, 1), false);
        assert_eq!((l.delivered, l.lost, l.duplicated), (5, 0, 0));
    }

    #[test]
    fn a_gap_is_loss_within_a_session_and_not_at_a_new_one() {
        let mut l = Ledger::default();
        l.new_session();
        l.receive(1);
        l.receive(3);
        assert_eq!(l.lost, 1);
        l.new_session();
        l.receive(7);
        assert_eq!((l.lost, l.dropped_with_session), (1, 3));
        l.receive(9);
        assert_eq!(l.lost, 2, "only the first number after Ready may skip");
    }

    #[test]
    fn repeats_and_reorders_are_duplicates() {
        let mut l = Ledger::default();
        l.new_session();
        for n in [1, 2, 2, 3, 1] {
            l.receive(n);
        }
        assert_eq!((l.delivered, l.duplicated), (3, 2));
    }

    #[test]
    fn the_tail_is_lost_unless_its_session_ended() {
        let mut l = Ledger::default();
        l.new_session();
        l.receive(1);
        let mut ended = l.clone();
        l.settle(live(4, 1), false);
        assert_eq!(l.lost, 3);
        ended.settle(live(4, 1), true);
        assert_eq!((ended.lost, ended.dropped_with_session), (0, 3));
    }

    #[test]
    fn a_tail_pushed_to_a_session_that_ended_just_before_the_stop_went_with_it() {
        // 1 arrives; 2 goes to a session that then ends by plan; the new
        // session is Ready before the pushes stop, and gets no number.
        let mut l = Ledger::default();
        l.new_session();
        l.receive(1);
        l.new_session();
        assert!(l.has_all(live(2, 3)));
        l.settle(live(2, 3), false);
        assert_eq!((l.lost, l.dropped_with_session), (0, 1));
    }

    #[test]
    fn pushes_to_the_new_session_that_never_arrive_are_lost() {
        // 2 went to the session that ended; 3 and 4 to the new one, which
        // is still up at the stop and never delivers them.
        let mut l = Ledger::default();
        l.new_session();
        l.receive(1);
        l.new_session();
        assert!(!l.has_all(live(4, 3)));
        l.settle(live(4, 3), false);
        assert_eq!((l.lost, l.dropped_with_session), (2, 1));
    }
}
