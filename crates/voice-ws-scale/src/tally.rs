//! What a client's connections have done so far, counted as it happens,
//! the same way for every driver.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Mutex, PoisonError};

/// Counts shared by a client's connections and its control thread.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// Sockets open (the WebSocket handshake done).
    pub(crate) up: AtomicUsize,
    /// Sessions that received Ready.
    pub(crate) ready: AtomicUsize,
    /// Heartbeat ACKs the application saw.
    pub(crate) acked: AtomicU64,
    /// Anything that should not happen in a steady run: errors, closes,
    /// reconnects, invalid frames.
    pub(crate) trouble: AtomicUsize,
    /// The same, by kind (rare: a lock is fine).
    kinds: Mutex<BTreeMap<String, usize>>,
}

impl Tally {
    pub(crate) fn up(&self) {
        self.up.fetch_add(1, Relaxed);
    }

    pub(crate) fn ready(&self) {
        self.ready.fetch_add(1, Relaxed);
    }

    pub(crate) fn acked(&self) {
        self.acked.fetch_add(1, Relaxed);
    }

    /// Something a steady run should not have; `kind` says what.
    pub(crate) fn trouble(&self, kind: impl Into<String>) {
        self.trouble.fetch_add(1, Relaxed);
        let mut kinds = self.kinds.lock().unwrap_or_else(PoisonError::into_inner);
        *kinds.entry(kind.into()).or_default() += 1;
    }

    /// The trouble so far, by kind.
    pub(crate) fn kinds(&self) -> BTreeMap<String, usize> {
        self.kinds
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A snapshot, for progress lines.
    pub(crate) fn counts(&self) -> Counts {
        Counts {
            up: self.up.load(Relaxed),
            ready: self.ready.load(Relaxed),
            acked: self.acked.load(Relaxed),
            trouble: self.trouble.load(Relaxed),
        }
    }
}

/// One reading of a [`Tally`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counts {
    pub(crate) up: usize,
    pub(crate) ready: usize,
    pub(crate) acked: u64,
    pub(crate) trouble: usize,
}
