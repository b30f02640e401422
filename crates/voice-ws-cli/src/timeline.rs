//! The readable timeline: state, RTT and seq_ack as the events tell them.

use crate::output::say;
use std::time::{Duration, Instant};

use voice_ws_proto::Event;

use crate::report;
use crate::units;

/// What the application knows after each event, tracked from the events
/// themselves so that every line is true at the moment it describes.
#[derive(Debug)]
pub(crate) struct Timeline {
    started: Instant,
    state: &'static str,
    rtt: Option<Duration>,
    seq_ack: Option<u16>,
}

impl Timeline {
    /// A timeline starting now; prints its header.
    pub(crate) fn start() -> Self {
        say!(
            "{:>8}  {:<12} {:>8} {:>7}  event",
            "time",
            "state",
            "rtt",
            "seq_ack"
        );
        Self {
            started: Instant::now(),
            state: "connecting",
            rtt: None,
            seq_ack: None,
        }
    }

    /// Updates the state from `event` and prints its line.
    pub(crate) fn print(&mut self, event: &Event) {
        self.observe(event);
        say!(
            "{:>8}  {:<12} {:>8} {:>7}  {}",
            units::secs_3dp(self.started.elapsed()),
            self.state,
            self.rtt
                .map_or("-".into(), |r| format!("{}ms", units::ms_1dp(r))),
            self.seq_ack.map_or("-1".into(), |s| s.to_string()),
            report::event_text(event)
        );
    }

    /// Prints a line for something the application did between events
    /// (IP discovery, Select Protocol), in the same columns.
    pub(crate) fn note(&self, text: &str) {
        say!(
            "{:>8}  {:<12} {:>8} {:>7}  {text}",
            units::secs_3dp(self.started.elapsed()),
            self.state,
            self.rtt
                .map_or("-".into(), |r| format!("{}ms", units::ms_1dp(r))),
            self.seq_ack.map_or("-1".into(), |s| s.to_string()),
        );
    }

    fn observe(&mut self, event: &Event) {
        match event {
            Event::Connected => self.state = "handshake",
            Event::Ready(_) | Event::Resumed => self.state = "active",
            Event::Message(m) => {
                // Taking a message from the session is what acknowledges it.
                if let Some(seq) = m.seq {
                    self.seq_ack = Some(seq);
                }
            }
            Event::HeartbeatAck { rtt } => self.rtt = Some(*rtt),
            Event::Zombified => self.state = "zombie",
            Event::Disconnected { .. } => {
                self.state = "disconnected";
                self.rtt = None;
            }
            Event::Reconnecting { .. } => self.state = "reconnecting",
            Event::SessionInvalidated { .. } => {
                self.state = "invalidated";
                self.seq_ack = None;
            }
            Event::Stopped { .. } => self.state = "stopped",
            Event::Fatal { .. } => self.state = "failed",
            Event::Hello { .. }
            | Event::SessionDescription(_)
            | Event::Unsent(_)
            | Event::InvalidFrame(_) => {}
            _ => {}
        }
    }
}
