//! [`Command`]: what a [`Handle`](crate::Handle) asks of the connection's
//! task, through [`Shared`](crate::shared::Shared)'s bounded queue.

use futures_channel::oneshot;
use voice_ws_proto::{Credentials, Outgoing, SendError};

/// One request from the application, handled by the task in order.
#[derive(Debug)]
pub(crate) enum Command {
    /// A message for the core; the core's verdict goes back. Boxed to keep
    /// every command small.
    Send(Box<(Outgoing, oneshot::Sender<Result<(), SendError>>)>),
    /// Fresh credentials from the main gateway.
    UpdateCredentials(Box<Credentials>),
    /// A heartbeat outside the schedule.
    HeartbeatNow,
    /// A graceful close.
    Close,
}
