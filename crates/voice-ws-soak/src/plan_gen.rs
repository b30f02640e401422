//! Each bot's fault plan, drawn from the run's seed: the server process and
//! the harness draw the same plans independently, so a plan never crosses
//! the process boundary and a seed replays a run.

use std::fmt;
use std::time::Duration;

use voice_ws_sim::{Action, ConnectionPlan, Trigger};

use crate::rng::Rng;

/// Frames larger than this close the client's socket (1009); the sim's
/// oversized frame is larger.
pub(crate) const CLIENT_MAX_MESSAGE: usize = 64 * 1024;
const OVERSIZED: usize = 96 * 1024;

/// What ends a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Ending {
    /// ACKs withheld: the client declares a zombie and resumes.
    Zombie,
    /// ACKs delayed by 2.5 intervals: a zombie too, by another road.
    SlowAcks,
    /// Nothing sent any more, socket open.
    Silence,
    /// TCP reset.
    Reset,
    /// Close 4015: resume.
    Close4015,
    /// A text frame over the client's size limit: it closes with 1009 and
    /// resumes.
    Oversized,
    /// Close 4014: the session ends (the bot rejoins with new credentials,
    /// unless this is its final connection).
    Stop4014,
    /// Close 4004: fatal (the bot rejoins likewise).
    Fatal4004,
}

impl Ending {
    pub(crate) const ALL: [Ending; 8] = [
        Self::Zombie,
        Self::SlowAcks,
        Self::Silence,
        Self::Reset,
        Self::Close4015,
        Self::Oversized,
        Self::Stop4014,
        Self::Fatal4004,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Zombie => "withheld ACKs (zombie)",
            Self::SlowAcks => "delayed ACKs, 2.5 intervals",
            Self::Silence => "silence, socket open",
            Self::Reset => "TCP reset",
            Self::Close4015 => "close 4015",
            Self::Oversized => "oversized frame (96 KiB)",
            Self::Stop4014 => "close 4014",
            Self::Fatal4004 => "close 4004 (fatal)",
        }
    }
}

/// One connection's plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConnPlan {
    pub(crate) ending: Ending,
    /// When the ending happens, after the WebSocket opened.
    pub(crate) at_ms: u64,
    /// Malformed text, an unknown op (text and numbered binary) and a 2-byte
    /// binary frame, at this time.
    pub(crate) malformed_at_ms: Option<u64>,
    /// ACKs delayed by a third of an interval (not a zombie) from this time.
    pub(crate) late_acks_at_ms: Option<u64>,
    /// A Resume on this connection is refused with 4006.
    pub(crate) refuse_resume: bool,
}

/// A bot's plan: its sessions' first seq, one plan per connection (then
/// healthy ones), the connection whose session end is final, and when its
/// application stops reading events.
#[derive(Clone, Debug)]
pub(crate) struct BotPlan {
    pub(crate) start_seq: u16,
    pub(crate) conns: Vec<ConnPlan>,
    /// The bot does not rejoin after a session end on this connection.
    pub(crate) final_conn: Option<usize>,
    /// (start, length) in ms since the bot started: no event is read.
    pub(crate) slow_reads: Vec<(u64, u64)>,
}

impl BotPlan {
    /// Bot `bot` of a run seeded `seed` that lasts `duration` at heartbeat
    /// interval `heartbeat_ms`.
    pub(crate) fn draw(seed: u64, bot: u64, duration: Duration, heartbeat_ms: u64) -> Self {
        let mut rng = Rng::stream(seed, bot);
        let secs = duration.as_secs().max(1);
        // Connections last ~7 s on average; extra ones cover the drain.
        let n = (secs / 2 + 16) as usize;
        // Half the bots start within 40 of the u16 wrap.
        let start_seq = if rng.chance(50) {
            u16::MAX - rng.range(0, 40) as u16
        } else {
            rng.range(0, u64::from(u16::MAX)) as u16
        };
        let hb = heartbeat_ms.max(1);
        let conns = (0..n)
            .map(|_| {
                let ending = match rng.range(0, 99) {
                    0..=15 => Ending::Zombie,
                    16..=27 => Ending::SlowAcks,
                    28..=43 => Ending::Silence,
                    44..=59 => Ending::Reset,
                    60..=77 => Ending::Close4015,
                    78..=91 => Ending::Oversized,
                    92..=96 => Ending::Stop4014,
                    _ => Ending::Fatal4004,
                };
                let at_ms = rng.range(2 * hb, 10 * hb);
                let malformed_at_ms = rng.chance(25).then(|| rng.range(hb / 2, at_ms));
                let late_acks_at_ms = rng.chance(20).then(|| rng.range(0, at_ms));
                let refuse_resume = rng.chance(6);
                ConnPlan {
                    ending,
                    at_ms,
                    malformed_at_ms,
                    late_acks_at_ms,
                    refuse_resume,
                }
            })
            .collect::<Vec<_>>();
        // One bot in ten ends for good somewhere in the first half.
        let final_conn = rng
            .chance(10)
            .then(|| rng.range(1, (secs / 14).max(1)) as usize)
            .filter(|k| *k < n);
        let mut conns = conns;
        if let Some(k) = final_conn {
            conns[k].ending = Ending::Stop4014;
        }
        let mut slow_reads = Vec::new();
        let mut t = rng.range(5_000, 25_000);
        while t < secs * 1000 {
            let len = rng.range(3_000, 8_000);
            slow_reads.push((t, len));
            t += len + rng.range(15_000, 40_000);
        }
        Self {
            start_seq,
            conns,
            final_conn,
            slow_reads,
        }
    }

    /// The plan of the bot's `k`th connection (0-based); healthy past the list.
    pub(crate) fn conn(&self, k: usize) -> Option<&ConnPlan> {
        self.conns.get(k)
    }

    /// The simulator's plans, one per accepted connection.
    pub(crate) fn sim_plans(&self, heartbeat_ms: u64) -> Vec<ConnectionPlan> {
        self.conns
            .iter()
            .map(|c| c.sim_plan(heartbeat_ms))
            .collect()
    }
}

impl ConnPlan {
    fn sim_plan(&self, heartbeat_ms: u64) -> ConnectionPlan {
        let after = |ms: u64| Trigger::After(Duration::from_millis(ms));
        let hb = Duration::from_millis(heartbeat_ms);
        let mut plan = ConnectionPlan::new();
        if self.refuse_resume {
            plan = plan.then(Trigger::OnOpen, Action::RefuseResume(4006));
        }
        if let Some(at) = self.late_acks_at_ms {
            plan = plan.then(after(at), Action::DelayAcks(hb / 3));
        }
        if let Some(at) = self.malformed_at_ms {
            plan = plan
                .then(after(at), Action::SendMalformed)
                .then(after(at), Action::SendUnknownOp)
                .then(after(at), Action::SendShortBinary);
        }
        let ending = match self.ending {
            Ending::Zombie => Action::WithholdAcks,
            Ending::SlowAcks => Action::DelayAcks(hb * 5 / 2),
            Ending::Silence => Action::GoSilent,
            Ending::Reset => Action::Reset,
            Ending::Close4015 => Action::Close(4015),
            Ending::Oversized => Action::SendOversized(OVERSIZED),
            Ending::Stop4014 => Action::Close(4014),
            Ending::Fatal4004 => Action::Close(4004),
        };
        plan.then(after(self.at_ms), ending)
    }
}

impl fmt::Display for ConnPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at {} ms", self.ending.name(), self.at_ms)?;
        if let Some(at) = self.malformed_at_ms {
            write!(f, ", malformed frames at {at} ms")?;
        }
        if let Some(at) = self.late_acks_at_ms {
            write!(f, ", ACKs 1/3 interval late from {at} ms")?;
        }
        if self.refuse_resume {
            write!(f, ", resume refused with 4006")?;
        }
        Ok(())
    }
}

impl fmt::Display for BotPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "start_seq {}", self.start_seq)?;
        if let Some(k) = self.final_conn {
            write!(f, ", no rejoin after an end on connection {k}")?;
        }
        for (start, len) in &self.slow_reads {
            write!(f, ", reads nothing {start}..{} ms", start + len)?;
        }
        for (k, c) in self.conns.iter().enumerate() {
            write!(f, "\n    conn {k}: {c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_the_plans_and_every_ending_is_drawn() {
        let d = Duration::from_secs(60);
        let a = BotPlan::draw(42, 3, d, 1000);
        let b = BotPlan::draw(42, 3, d, 1000);
        assert_eq!(a.conns, b.conns);
        assert_eq!(a.slow_reads, b.slow_reads);
        assert_ne!(BotPlan::draw(42, 4, d, 1000).conns, a.conns);
        let mut seen: Vec<Ending> = (0..50)
            .flat_map(|bot| BotPlan::draw(1, bot, d, 1000).conns)
            .map(|c| c.ending)
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen, Ending::ALL);
    }
}
