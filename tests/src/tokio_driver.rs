//! The scenarios' view of `voice-ws-tokio`.

use voice_ws_proto::{ClientMessage, Credentials, SendError, SessionConfig, Stats};
use voice_ws_tokio::{DriverConfig, Handle};

use crate::driver::{Driver, DriverHandle, EventStream};

/// Connects with [`voice_ws_tokio::spawn`] on the current tokio runtime,
/// with the driver's default buffers.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioDriver;

impl Driver for TokioDriver {
    type Handle = Handle;

    fn connect(&self, config: SessionConfig, credentials: Credentials) -> (Handle, EventStream) {
        let config = DriverConfig::default().with_session(config);
        let (handle, events) = voice_ws_tokio::spawn(config, credentials);
        (handle, Box::pin(events))
    }
}

impl DriverHandle for Handle {
    async fn send(&self, message: ClientMessage) -> Result<(), SendError> {
        Handle::send(self, message).await
    }

    async fn update_credentials(&self, credentials: Credentials) -> Result<(), SendError> {
        Handle::update_credentials(self, credentials).await
    }

    async fn close(&self) {
        Handle::close(self).await;
    }

    fn force_close(&self) {
        Handle::force_close(self);
    }

    fn stats(&self) -> Stats {
        Handle::stats(self)
    }

    fn dave_media(&self) -> voice_ws_tokio::dave::DaveMedia {
        Handle::dave_media(self)
    }
}
