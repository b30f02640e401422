//! Transitions in flight: announced (op 29/30, or 21), waiting for every
//! participant's Transition Ready (op 23) or for their deadline, then
//! executed (op 22). The module has no clock: deadlines are computed from
//! the `now` of the input that started the transition.

use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;

/// One announced transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Transition {
    pub(crate) id: u16,
    pub(crate) protocol_version: u16,
    /// Members that get Execute Transition.
    pub(crate) participants: BTreeSet<u64>,
    /// Participants whose Transition Ready has not arrived.
    pub(crate) awaiting: BTreeSet<u64>,
    pub(crate) deadline: Instant,
}

/// The transitions in flight, oldest first, and the id counter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Transitions {
    list: VecDeque<Transition>,
    last_id: u16,
}

impl Transitions {
    /// A transition id in 1..=65535 not in flight (0 means "execute now").
    pub(crate) fn allocate_id(&mut self) -> u16 {
        loop {
            self.last_id = self.last_id.wrapping_add(1);
            if self.last_id != 0 && !self.list.iter().any(|t| t.id == self.last_id) {
                return self.last_id;
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    pub(crate) fn start(&mut self, transition: Transition) {
        self.list.push_back(transition);
    }

    pub(crate) fn pop_oldest(&mut self) -> Option<Transition> {
        self.list.pop_front()
    }

    /// Records `user_id`'s Transition Ready; returns the transition when it
    /// was the last one awaited. `None` for an unknown id (late or repeated).
    pub(crate) fn ready(&mut self, user_id: u64, id: u16) -> Option<Transition> {
        let index = self.list.iter().position(|t| t.id == id)?;
        let transition = &mut self.list[index];
        transition.awaiting.remove(&user_id);
        if transition.awaiting.is_empty() {
            return self.list.remove(index);
        }
        None
    }

    /// Stops waiting for `user_id` (it left or reset) and drops it from the
    /// participants; returns the transitions that have nobody left to wait for.
    pub(crate) fn forget(&mut self, user_id: u64) -> Vec<Transition> {
        for transition in &mut self.list {
            transition.awaiting.remove(&user_id);
            transition.participants.remove(&user_id);
        }
        let mut done = Vec::new();
        self.list.retain(|t| {
            if t.awaiting.is_empty() {
                done.push(t.clone());
                false
            } else {
                true
            }
        });
        done
    }

    /// The oldest transition whose deadline has passed.
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<Transition> {
        let index = self.list.iter().position(|t| t.deadline <= now)?;
        self.list.remove(index)
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.list.iter().map(|t| t.deadline).min()
    }
}
