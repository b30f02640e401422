//! [`Events`]: what the application hears from its connection.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::Stream;
use voice_ws_proto::Event;

use crate::shared::Shared;

/// The connection's events, in order: a [`Stream`] over a bounded queue
/// ([`DriverConfig::event_buffer`](crate::DriverConfig::event_buffer)).
/// When the application stops reading, the task keeps the socket alive
/// and leaves further events in the core's bounded queue, so nothing is
/// dropped; once `max_pending_events` wait there, the core refuses the next
/// message (not acknowledged) and drops the socket, resumes when the
/// application has read half of them, and the server replays the rest. Dropping
/// `Events` makes the task discard events. The stream ends when the task
/// ends: after the application's close (its `Stopped` comes last), on a
/// force-close, or when every handle is dropped. A `Stopped` or `Fatal`
/// from the server leaves it open: new credentials start a fresh session.
pub struct Events {
    shared: Arc<Shared>,
}

impl Events {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Self { shared }
    }

    /// The next event; `None` once the task has ended and all are read.
    pub async fn recv(&mut self) -> Option<Event> {
        std::future::poll_fn(|cx| self.shared.poll_event(cx)).await
    }
}

impl Stream for Events {
    type Item = Event;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.shared.poll_event(cx)
    }
}

impl Drop for Events {
    fn drop(&mut self) {
        self.shared.drop_events();
    }
}

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").finish_non_exhaustive()
    }
}
