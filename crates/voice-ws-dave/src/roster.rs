//! Who the voice gateway told us is in the call (ops 11 and 13): the users
//! an add proposal or a welcome may name.

use std::collections::BTreeSet;
use std::vec::Vec;

/// The expected users, bounded. We are always expected.
#[derive(Clone, Debug)]
pub(crate) struct Roster {
    me: u64,
    others: BTreeSet<u64>,
    bound: usize,
}

impl Roster {
    pub(crate) fn new(me: u64, bound: usize) -> Self {
        Self {
            me,
            others: BTreeSet::new(),
            bound,
        }
    }

    /// Op 11: adds `user`; `false` when the roster is full.
    pub(crate) fn connect(&mut self, user: u64) -> bool {
        if user == self.me || self.others.contains(&user) {
            return true;
        }
        if self.others.len() >= self.bound {
            return false;
        }
        self.others.insert(user);
        true
    }

    /// Op 13: `user` left; an add proposal for them is refused until they
    /// connect again.
    pub(crate) fn disconnect(&mut self, user: u64) {
        self.others.remove(&user);
    }

    pub(crate) fn clear(&mut self) {
        self.others.clear();
    }

    /// Everyone expected, us included, as davey takes them.
    pub(crate) fn expected(&self) -> Vec<u64> {
        let mut ids = Vec::with_capacity(self.others.len() + 1);
        ids.push(self.me);
        ids.extend(self.others.iter().copied());
        ids
    }

    pub(crate) fn contains(&self, user: u64) -> bool {
        user == self.me || self.others.contains(&user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_who_left_is_no_longer_expected_until_they_return() {
        let mut roster = Roster::new(1, 10);
        assert!(roster.connect(2));
        roster.disconnect(2);
        assert!(!roster.contains(2));
        assert!(roster.connect(2));
        assert_eq!(roster.expected(), [1, 2]);
    }

    #[test]
    fn the_bound_refuses_newcomers_but_not_us_or_known_users() {
        let mut roster = Roster::new(1, 1);
        assert!(roster.connect(2));
        assert!(!roster.connect(3));
        assert!(roster.connect(2));
        assert!(roster.connect(1));
        assert_eq!(roster.expected(), [1, 2]);
    }
}
