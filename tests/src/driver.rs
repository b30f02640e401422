//! What a driver must offer to run the scenarios.

use std::future::Future;
use std::pin::Pin;

use futures_util::Stream;
use voice_ws_proto::{ClientMessage, Credentials, Event, SendError, SessionConfig, Stats};
use voice_ws_tokio::dave::DaveMedia;

/// A driver's events, boxed so that every driver hands over the same type.
pub type EventStream = Pin<Box<dyn Stream<Item = Event> + Send + 'static>>;

/// A runtime driver of [`voice_ws_proto::Session`], as the scenarios use it.
pub trait Driver {
    /// What [`Driver::connect`] returns to command the connection.
    type Handle: DriverHandle;

    /// Starts a connection at once, like `voice_ws_tokio::spawn`: the
    /// returned stream yields every event in order and ends when the
    /// connection's work has ended.
    fn connect(
        &self,
        config: SessionConfig,
        credentials: Credentials,
    ) -> (Self::Handle, EventStream);
}

/// The commands the scenarios give a running connection. Dropping the
/// handle must end the connection.
pub trait DriverHandle: Send + Sync + 'static {
    /// Sends a message, or has the core hold it while reconnecting.
    fn send(&self, message: ClientMessage) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Hands over fresh credentials: a new session is identified.
    fn update_credentials(
        &self,
        credentials: Credentials,
    ) -> impl Future<Output = Result<(), SendError>> + Send;

    /// Closes gracefully (close code 1000) and waits until the connection
    /// has ended.
    fn close(&self) -> impl Future<Output = ()> + Send;

    /// Ends the connection now, synchronously: nothing more is sent.
    fn force_close(&self);

    /// The session's traffic and heartbeat counters, as last reported.
    fn stats(&self) -> Stats;

    /// The media side of the DAVE handshake the driver runs.
    fn dave_media(&self) -> DaveMedia;
}
