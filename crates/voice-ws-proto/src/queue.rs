//! A FIFO with a stated bound.

use alloc::collections::VecDeque;

/// A queue that says when it is full instead of growing without limit.
#[derive(Clone, Debug)]
pub(crate) struct BoundedQueue<T> {
    items: VecDeque<T>,
    bound: usize,
}

impl<T> BoundedQueue<T> {
    /// An empty queue holding at most `bound` items (at least one).
    pub(crate) fn new(bound: usize) -> Self {
        Self {
            items: VecDeque::new(),
            bound: bound.max(1),
        }
    }

    /// Appends `item`, or gives it back when the queue is full.
    pub(crate) fn push(&mut self, item: T) -> Result<(), T> {
        if self.is_full() {
            return Err(item);
        }
        self.items.push_back(item);
        Ok(())
    }

    /// Appends `item` even past the bound. Only for the handful of control
    /// items (a close, a heartbeat, a state change) whose loss would be worse
    /// than a few slots of overshoot; callers keep the overshoot finite.
    pub(crate) fn push_control(&mut self, item: T) {
        self.items.push_back(item);
    }

    /// The oldest item.
    pub(crate) fn pop(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    /// Whether no ordinary item fits any more.
    pub(crate) fn is_full(&self) -> bool {
        self.items.len() >= self.bound
    }

    /// How many items wait.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Drops every item.
    pub(crate) fn clear(&mut self) {
        self.items.clear();
    }

    /// Takes every item, oldest first.
    pub(crate) fn take_all(&mut self) -> alloc::vec::Vec<T> {
        self.items.drain(..).collect()
    }
}
