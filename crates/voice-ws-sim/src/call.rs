//! Calls (feature `dave`): the sessions that identified with the same
//! `server_id` share one call, whose DAVE group the gateway runs with a
//! [`DeliveryService`]. The service's messages for a member become pushes on
//! that member's session: numbered, kept for replay, sent on its live
//! connection if it has one.

use std::collections::HashMap;
use std::time::Instant as StdInstant;

use tracing::debug;

use crate::config::DaveCalls;
use crate::dave::{DaveConfig, DaveError, DaveEvent, DeliveryService};
use crate::record::CallLog;
use crate::session::GatewaySession;

/// Events a call keeps for its [`CallLog`]; later ones are counted only.
const MAX_EVENTS: usize = 4096;

/// Which call a session sits in, and as which user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seat {
    pub(crate) server_id: String,
    pub(crate) user_id: u64,
}

/// One call.
pub(crate) struct Call {
    server_id: String,
    pub(crate) service: DeliveryService,
    /// The session serving each member.
    seats: HashMap<u64, String>,
    events: Vec<DaveEvent>,
}

impl Call {
    pub(crate) fn new(
        server_id: &str,
        group_id: u64,
        calls: &DaveCalls,
    ) -> Result<Self, DaveError> {
        let config = DaveConfig::new(group_id)
            .with_transition_timeout(calls.transition_timeout)
            .with_proposal_batch(calls.proposal_batch);
        Ok(Self {
            server_id: server_id.to_owned(),
            service: DeliveryService::new(config)?,
            seats: HashMap::new(),
            events: Vec::new(),
        })
    }

    /// Whether `session_id` is the session serving `user_id` (a replaced
    /// session no longer speaks for its user).
    pub(crate) fn seated(&self, user_id: u64, session_id: &str) -> bool {
        self.seats.get(&user_id).is_some_and(|s| s == session_id)
    }

    pub(crate) fn seat(&mut self, user_id: u64, session_id: &str) {
        self.seats.insert(user_id, session_id.to_owned());
    }

    pub(crate) fn unseat(&mut self, user_id: u64) {
        self.seats.remove(&user_id);
    }

    /// Pushes what the service queued onto its members' sessions, and keeps
    /// its events.
    pub(crate) fn flush(&mut self, sessions: &mut HashMap<String, GatewaySession>) {
        while let Some(out) = self.service.poll_transmit() {
            let session = self.seats.get(&out.to).and_then(|id| sessions.get_mut(id));
            let Some(session) = session else {
                debug!(
                    user = out.to,
                    op = out.message.op(),
                    "no session for a DAVE message"
                );
                continue;
            };
            let msg = session.push(&out.message.to_push());
            if let Some(live) = &session.live {
                // A closed receiver means the connection is ending; the
                // replay buffer keeps the message for a resume.
                let _ = live.tx.send(msg);
            }
        }
        while let Some(event) = self.service.poll_event() {
            if self.events.len() < MAX_EVENTS {
                self.events.push(event);
            }
        }
    }

    pub(crate) fn log(&self) -> CallLog {
        CallLog {
            server_id: self.server_id.clone(),
            group_id: self.service.config().group_id,
            members: self.service.members(),
            group: self.service.group(),
            stats: self.service.stats(),
            events: self.events.clone(),
        }
    }
}

/// The service's clock: tokio's (paused in tests), as a std `Instant`.
pub(crate) fn now() -> StdInstant {
    tokio::time::Instant::now().into_std()
}
