//! How many connections the process runs: what the core chooses its
//! heartbeat coalescing step for
//! ([`Session::set_runtime_connections`](voice_ws_proto::Session::set_runtime_connections)).
//!
//! One count for the process, not one per runtime: a process that runs
//! its connections on several runtimes gets a finer step than it could
//! use, never a coarser one.

use std::sync::atomic::{AtomicUsize, Ordering};

static LIVE: AtomicUsize = AtomicUsize::new(0);

/// One connection, counted while it lives.
#[derive(Debug)]
pub(crate) struct Counted {
    /// The count this connection last told its core.
    told: usize,
}

impl Counted {
    /// Counts a new connection.
    pub(crate) fn new() -> Self {
        LIVE.fetch_add(1, Ordering::Relaxed);
        Self { told: 0 }
    }

    /// The process's count, when it changed since the last call.
    pub(crate) fn changed(&mut self) -> Option<usize> {
        let live = LIVE.load(Ordering::Relaxed);
        (live != self.told).then(|| {
            self.told = live;
            live
        })
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_hears_of_the_count_when_it_changes() {
        // No other test of this crate's unit tests starts a connection.
        let mut a = Counted::new();
        assert_eq!(a.changed(), Some(1), "a new connection hears the count");
        assert_eq!(a.changed(), None, "unchanged");
        let b = Counted::new();
        assert_eq!(a.changed(), Some(2));
        drop(b);
        assert_eq!(a.changed(), Some(1));
    }
}
