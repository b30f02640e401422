//! Which of a bot's numbered pushes must still arrive when the pushes stop:
//! those that went to the session still active then, or were held for the
//! next one to get Ready. What went to an earlier session went with it when
//! it ended (a planned end: a refused resume, an invalidation).
//!
//! The simulator says where each push went ([`Pushed`]); the server keeps
//! the last run of pushes that went to one session, and at the stop asks
//! the simulator which session is active.

use voice_ws_sim::Pushed;

/// A bot's numbered pushes when they stopped, as the ledger settles them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pushes {
    /// Numbers 1 to `total` went out.
    pub(crate) total: u64,
    /// Numbers from this one on went to the session active at the stop (or
    /// were held for the next): they must arrive. `total + 1`: none did.
    pub(crate) live_from: u64,
    /// Those were held: no session was active at the stop, and the next
    /// one to get Ready takes them.
    pub(crate) held: bool,
}

impl Pushes {
    /// `total/live_from/held` (held: 0 or 1), as the server says it.
    pub(crate) fn to_wire(self) -> String {
        format!("{}/{}/{}", self.total, self.live_from, u8::from(self.held))
    }

    /// The server's `total/live_from/held`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('/');
        let mut number = || parts.next()?.parse::<u64>().ok();
        let (total, live_from, held) = (number()?, number()?, number()?);
        Some(Self {
            total,
            live_from,
            held: held == 1,
        })
    }
}

/// The last run of pushes that went to one session.
#[derive(Debug)]
pub(crate) struct Tail {
    /// The run's first number.
    first: u64,
    /// Its session; `None` while the run is held for the next session.
    session: Option<u64>,
}

impl Default for Tail {
    /// Before any push: a held run from number 1.
    fn default() -> Self {
        Self {
            first: 1,
            session: None,
        }
    }
}

impl Tail {
    /// Push number `n` went `to`.
    pub(crate) fn pushed(&mut self, n: u64, to: Pushed) {
        match (to, self.session) {
            (Pushed::Session(s), Some(current)) if s == current => {}
            // A held run goes to the next session to get Ready: with one
            // bot per simulator, the one now taking pushes.
            (Pushed::Session(s), None) => self.session = Some(s),
            (Pushed::Session(s), Some(_)) => {
                *self = Self {
                    first: n,
                    session: Some(s),
                }
            }
            (Pushed::Held, None) => {}
            (Pushed::Held, Some(_)) => {
                *self = Self {
                    first: n,
                    session: None,
                }
            }
        }
    }

    /// The pushes once they stopped at `total`, with `active` the session
    /// the simulator then pushes to.
    pub(crate) fn at_stop(&self, total: u64, active: Option<u64>) -> Pushes {
        let live = match self.session {
            None => true,
            Some(s) => active == Some(s),
        };
        Pushes {
            total,
            live_from: if live { self.first } else { total + 1 },
            held: self.session.is_none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushes_to_the_session_still_active_must_arrive() {
        let mut tail = Tail::default();
        for n in 1..=3 {
            tail.pushed(n, Pushed::Session(1));
        }
        assert_eq!(
            tail.at_stop(3, Some(1)),
            Pushes {
                total: 3,
                live_from: 1,
                held: false,
            }
        );
    }

    #[test]
    fn held_pushes_belong_to_the_session_that_takes_pushes_next() {
        let mut tail = Tail::default();
        tail.pushed(1, Pushed::Session(1));
        tail.pushed(2, Pushed::Held);
        tail.pushed(3, Pushed::Held);
        let held = tail.at_stop(3, None);
        assert_eq!((held.live_from, held.held), (2, true), "held at the stop");
        tail.pushed(4, Pushed::Session(2));
        assert_eq!(tail.at_stop(4, Some(2)).live_from, 2);
    }

    #[test]
    fn a_run_whose_session_is_no_longer_active_went_with_it() {
        let mut tail = Tail::default();
        tail.pushed(1, Pushed::Session(1));
        tail.pushed(2, Pushed::Session(2));
        tail.pushed(3, Pushed::Session(2));
        assert_eq!(tail.at_stop(3, Some(2)).live_from, 2);
        // Session 2 ended just before the stop; no session is active.
        assert_eq!(tail.at_stop(3, None).live_from, 4);
    }

    #[test]
    fn the_wire_form_reads_back() {
        let p = Pushes {
            total: 120,
            live_from: 97,
            held: true,
        };
        assert_eq!(p.to_wire(), "120/97/1");
        assert_eq!(Pushes::parse("120/97/1"), Some(p));
        assert_eq!(Pushes::parse("120/97"), None);
    }
}
