//! The DAVE handshake inside the connection task (feature `dave`): the
//! plumbing between the session and `voice-ws-dave`, and nothing more.
//!
//! Every session event goes through [`Handshake::handle_event`] before the
//! application sees it; what the handshake asks to send goes to
//! [`Session::send`]; its events follow the session event that caused
//! them on the same stream, as [`Event::Dave`]. The protocol decisions are
//! the handshake's.

use tracing::{debug, warn};
use voice_ws_dave::{DaveConfig, DaveError, DaveEvent, DaveMedia, Handshake};
use voice_ws_proto::{Credentials, Event, Session};

/// One connection's handshake, and its media handle.
#[derive(Debug)]
pub(crate) struct Dave {
    handshake: Handshake,
    /// False while the credentials' ids are not snowflakes: the handshake
    /// is not fed, media stays refused.
    usable: bool,
    /// An error to report before anything else (bounded: one).
    error: Option<DaveError>,
}

impl Dave {
    pub(crate) fn new(credentials: &Credentials) -> Self {
        match Handshake::from_credentials(DaveConfig::default(), credentials) {
            Ok(handshake) => Self {
                handshake,
                usable: true,
                error: None,
            },
            Err(error) => Self {
                // Ids 0: never used, as the handshake is not fed.
                handshake: Handshake::new(DaveConfig::default(), 0, 0),
                usable: false,
                error: Some(DaveError::Credentials(error.to_string())),
            },
        }
    }

    /// A media handle; valid for the whole connection, across sessions.
    pub(crate) fn media(&self) -> DaveMedia {
        self.handshake.media()
    }

    /// New credentials: a new session, perhaps another user or channel.
    pub(crate) fn update_credentials(&mut self, credentials: &Credentials) {
        match self.handshake.update_credentials(credentials) {
            Ok(()) => self.usable = true,
            Err(error) => {
                // The old group must not outlive its session either.
                self.handshake.handle_session_end();
                self.usable = false;
                self.error = Some(DaveError::Credentials(error.to_string()));
            }
        }
    }

    /// Feeds one session event to the handshake and sends what it asks.
    /// Returns whether anything was handed to the session (its transmits
    /// need draining).
    pub(crate) fn on_event(&mut self, event: &Event, session: &mut Session) -> bool {
        if !self.usable {
            return false;
        }
        self.handshake.handle_event(event);
        let mut sent = false;
        while let Some(message) = self.handshake.poll_transmit() {
            let op = message.op();
            debug!(op, "dave transmit");
            match session.send(message) {
                Ok(()) => sent = true,
                Err(refused) => {
                    warn!(op, %refused, "dave message not sent");
                    self.error = Some(DaveError::NotSent {
                        op,
                        reason: refused.to_string(),
                    });
                }
            }
        }
        sent
    }

    /// The handshake's next event.
    pub(crate) fn poll_event(&mut self) -> Option<DaveEvent> {
        if let Some(error) = self.error.take() {
            return Some(DaveEvent::Error(error));
        }
        self.handshake.poll_event()
    }
}
