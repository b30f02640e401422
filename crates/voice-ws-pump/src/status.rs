//! [`Status`]: a snapshot of the session, for the application.

use std::time::Duration;

use voice_ws_proto::{ConnectError, Phase, Session, State, Stats};

/// A snapshot of the session, refreshed after every input the task handles.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// Where the session is in its life.
    pub phase: Phase,
    /// The current socket's state.
    pub state: State,
    /// The last sequence number delivered to [`Events`](crate::Events)
    /// (`None`: -1).
    pub seq_ack: Option<u16>,
    /// The latest heartbeat round-trip time.
    pub rtt: Option<Duration>,
    /// The heartbeat interval from the current socket's Hello.
    pub heartbeat_interval: Option<Duration>,
    /// Traffic and heartbeat counters over the session's life.
    pub stats: Stats,
    /// Why the latest requested socket could not be opened; `None` once a
    /// socket opens.
    pub last_connect_error: Option<ConnectError>,
}

impl Status {
    pub(crate) fn of(session: &Session) -> Self {
        Self {
            phase: session.phase(),
            state: session.state(),
            seq_ack: session.seq_ack(),
            rtt: session.rtt(),
            heartbeat_interval: session.heartbeat_interval(),
            stats: session.stats(),
            last_connect_error: session.last_connect_error().cloned(),
        }
    }
}
