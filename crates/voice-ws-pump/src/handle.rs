//! [`Handle`]: what the application commands its connection with.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use futures_channel::oneshot;
use futures_util::future::{self, Either};
use voice_ws_proto::{ClientMessage, Credentials, Outgoing, SendError, Stats};

use crate::BoxFuture;
use crate::command::Command;
use crate::shared::{Refused, Shared};
use crate::status::Status;

/// How much longer than the core's `close_timeout` [`Handle::close`] waits
/// for the task to end before aborting it.
pub(crate) const CLOSE_SLACK: Duration = Duration::from_secs(1);

/// Commands a running connection. Cheap to clone; when the last clone is
/// dropped the connection is force-closed (see [`Handle::force_close`]).
pub struct Handle {
    shared: Arc<Shared>,
    /// The runtime's sleep, for [`Handle::close`]'s limit.
    sleep: fn(Duration) -> BoxFuture<()>,
    /// The media side of the task's DAVE handshake.
    #[cfg(feature = "dave")]
    dave: voice_ws_dave::DaveMedia,
}

impl Clone for Handle {
    fn clone(&self) -> Self {
        self.shared.handles.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: self.shared.clone(),
            sleep: self.sleep,
            #[cfg(feature = "dave")]
            dave: self.dave.clone(),
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if self.shared.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.shared.abort();
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("status", &self.status())
            .finish_non_exhaustive()
    }
}

impl Handle {
    /// The first handle of a connection (`shared` counts one).
    pub(crate) fn new(
        shared: Arc<Shared>,
        sleep: fn(Duration) -> BoxFuture<()>,
        #[cfg(feature = "dave")] dave: voice_ws_dave::DaveMedia,
    ) -> Self {
        Self {
            shared,
            sleep,
            #[cfg(feature = "dave")]
            dave,
        }
    }

    /// The call's end-to-end encryption (feature `dave`), for the thread
    /// that sends and receives RTP: `encrypt_opus` our Opus frames,
    /// `decrypt` each member's. It follows the handshake the task runs
    /// (its events arrive as [`Event::Dave`](voice_ws_proto::Event::Dave))
    /// and stays valid for the connection's life, across resumes and new
    /// sessions. Cheap to clone; never waits on the task.
    #[cfg(feature = "dave")]
    #[cfg_attr(docsrs, doc(cfg(feature = "dave")))]
    pub fn dave_media(&self) -> voice_ws_dave::DaveMedia {
        self.dave.clone()
    }

    /// Sends a typed message, or has the core hold it (bounded, in order)
    /// while the session reconnects. The error is the core's own: e.g.
    /// [`SendError::Reserved`] for Identify, Resume and Heartbeat,
    /// [`SendError::QueueFull`], or [`SendError::Ended`] once the session
    /// (or its task) has ended. If this future is dropped after the
    /// message reached the task, the message is still sent.
    pub async fn send(&self, message: ClientMessage) -> Result<(), SendError> {
        self.submit(Outgoing::Message(message)).await
    }

    /// Sends raw text (JSON the crate has no type for), like [`Handle::send`].
    pub async fn send_text(&self, text: impl Into<String>) -> Result<(), SendError> {
        self.submit(Outgoing::Text(text.into())).await
    }

    /// Sends a raw binary message `[op][payload]`, like [`Handle::send`].
    pub async fn send_binary(&self, bytes: impl Into<Bytes>) -> Result<(), SendError> {
        self.submit(Outgoing::Binary(bytes.into())).await
    }

    /// Hands over fresh credentials (after `SessionInvalidated`, a stop, or
    /// a voice server change): the current socket closes and a new session
    /// is identified. [`SendError::Ended`] if the task has ended.
    pub async fn update_credentials(&self, credentials: Credentials) -> Result<(), SendError> {
        self.command(Command::UpdateCredentials(Box::new(credentials)))
            .await
    }

    /// Sends a heartbeat now, outside the schedule (the schedule restarts
    /// from now). [`SendError::Ended`] if the task has ended.
    pub async fn heartbeat_now(&self) -> Result<(), SendError> {
        self.command(Command::HeartbeatNow).await
    }

    /// Closes gracefully: close code 1000 (which also ends the voice session
    /// on Discord's side), the server's answer, `Stopped`, then the task
    /// ends. Waits at most the core's `close_timeout` plus one second, then
    /// force-closes. Events the application has not read by then are lost.
    pub async fn close(&self) {
        if self.command(Command::Close).await.is_ok() {
            let closed = std::pin::pin!(self.closed());
            let limit = (self.sleep)(self.shared.close_wait);
            if let Either::Right(_) = future::select(closed, limit).await {
                tracing::debug!("close timed out; force-closing");
            }
        }
        self.force_close();
    }

    /// Ends the connection now: the task is woken and stops at once,
    /// before handling anything else; the socket is dropped without a close
    /// frame (the server sees the connection end, so the session stays
    /// resumable on its side for a while), and [`Events`](crate::Events)
    /// ends without a `Stopped`. Synchronous and idempotent; this is what
    /// dropping the last `Handle` does.
    pub fn force_close(&self) {
        self.shared.abort();
    }

    /// Waits until the connection's task has ended, for whatever reason.
    pub async fn closed(&self) {
        loop {
            let changed = self.shared.changed();
            if self.shared.is_finished() {
                return;
            }
            changed.await;
        }
    }

    /// Whether the connection's task has ended.
    pub fn is_finished(&self) -> bool {
        self.shared.is_finished()
    }

    /// The latest snapshot of the session: phase, socket state, `seq_ack`,
    /// RTT, counters. Never waits.
    pub fn status(&self) -> Status {
        self.shared.status()
    }

    /// The session's traffic and heartbeat counters (see [`Handle::status`]).
    pub fn stats(&self) -> Stats {
        self.status().stats
    }

    async fn submit(&self, out: Outgoing) -> Result<(), SendError> {
        let (reply, verdict) = oneshot::channel();
        self.command(Command::Send(Box::new((out, reply)))).await?;
        // No verdict: the task ended before handling it.
        verdict.await.unwrap_or(Err(SendError::Ended))
    }

    /// Queues a command, waiting while the queue is full.
    async fn command(&self, mut command: Command) -> Result<(), SendError> {
        loop {
            let changed = self.shared.changed();
            match self.shared.push_command(command) {
                Ok(()) => return Ok(()),
                Err(Refused::Full(back)) => command = back,
                Err(Refused::Ended) => return Err(SendError::Ended),
            }
            changed.await;
        }
    }
}
