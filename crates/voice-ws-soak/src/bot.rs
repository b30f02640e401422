//! One soak bot: a tokio-driver connection to its own simulator port, an
//! application that sends numbered messages (also while reconnecting),
//! stops reading events now and then, rejoins with new credentials after a
//! session end as a bot would, and accounts for every message both ways.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior, sleep_until};
use voice_ws_tokio::proto::session::Outgoing;
use voice_ws_tokio::proto::{Incoming, ServerMessage};
use voice_ws_tokio::{
    Credentials, DriverConfig, Endpoint, Event, Events, Handle, SessionConfig, Token,
};

use crate::ledger::Ledger;
use crate::plan_gen::{BotPlan, CLIENT_MAX_MESSAGE, Ending};
use crate::server::PUSH_SSRC;
use crate::tail::Pushes;

/// Where the run is; every bot watches it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Stage {
    /// Faults, pushes and sends.
    Running,
    /// No more sends; the server stopped pushing (per bot: the total, and
    /// which of them went to the session still live): receive those, or
    /// see that session end.
    Settle(Arc<Vec<Pushes>>),
    /// Close the connection and return the report.
    Close,
}

/// Counters every bot updates, for progress and the timeline.
#[derive(Debug, Default)]
pub(crate) struct Live {
    /// Bots whose session is up (Ready or Resumed, not yet disconnected).
    pub(crate) up: AtomicUsize,
    /// Bots that got their first Ready.
    pub(crate) joined: AtomicUsize,
    /// Bots that received everything pushed to them, or whose session ended.
    pub(crate) settled: AtomicUsize,
    pub(crate) resumes: AtomicU64,
    pub(crate) delivered: AtomicU64,
}

/// What a bot needs to run.
pub(crate) struct BotCtx {
    pub(crate) bot: usize,
    pub(crate) port: u16,
    pub(crate) seed: u64,
    pub(crate) plan: Arc<BotPlan>,
    pub(crate) send_every: Duration,
    pub(crate) stage: watch::Receiver<Stage>,
    pub(crate) live: Arc<Live>,
}

/// One bot's accounting.
#[derive(Debug, Default)]
pub(crate) struct BotReport {
    pub(crate) ledger: Ledger,
    pub(crate) connections: usize,
    pub(crate) resumes: u64,
    pub(crate) new_sessions: u64,
    pub(crate) planned_ends: u64,
    pub(crate) ended_for_good: bool,
    /// Descriptions of session ends and new sessions no plan explains.
    pub(crate) unplanned: Vec<String>,
    pub(crate) zombies: u64,
    /// Socket ends, by close code or loss kind.
    pub(crate) ends: BTreeMap<String, u64>,
    pub(crate) invalid_frames: u64,
    pub(crate) seq_wraps: u64,
    /// Numbered sends the driver accepted.
    pub(crate) sent: u64,
    /// Sends the driver refused at once (the application saw the error).
    pub(crate) refused: u64,
    /// Sends handed back in `Event::Unsent`.
    pub(crate) returned: u64,
    pub(crate) longest_recovery: Duration,
    /// Sends accepted after the heartbeat before the last acknowledged one
    /// went out, on sockets that then ended by a reset or by a close the
    /// server started: the server may or may not have read them, and the
    /// protocol acknowledges no client message. An upper bound of what may
    /// be lost in flight.
    pub(crate) unconfirmed_at_loss: u64,
    /// The bot's last events, for a failure report.
    pub(crate) trace: std::collections::VecDeque<String>,
}

/// Events kept in [`BotReport::trace`].
const TRACE: usize = 40;

struct Bot {
    ctx: BotCtx,
    handle: Handle,
    report: BotReport,
    next_id: u64,
    up: bool,
    joined: bool,
    expect_new_session: bool,
    credentials_issued: u32,
    recovering_since: Option<Instant>,
    last_seq: Option<u16>,
    settled: bool,
    target: Option<Pushes>,
    /// A new session got Ready after the pushes stopped, so the one they
    /// went to ended (unless they were held for it: see `Pushes::held`).
    ended_since_stop: bool,
    closing: bool,
    started: Instant,
    /// `report.sent` at the last heartbeat ACK and at the one before.
    sent_at_ack: (u64, u64),
}

fn credentials(bot: usize, port: u16, generation: u32) -> Credentials {
    let endpoint = Endpoint::parse(&format!("ws://127.0.0.1:{port}/?v=8"), true)
        .unwrap_or_else(|_| unreachable_endpoint());
    Credentials {
        server_id: "41771983423143937".into(),
        channel_id: "127121515262115840".into(),
        user_id: format!("{}", 104_694_319_306_248_192_u64 + bot as u64),
        session_id: format!("soak-{bot}-{generation}"),
        token: Token::new(format!("token-{bot}-{generation}")),
        endpoint,
        max_dave_protocol_version: 1,
    }
}

// A loopback ws:// URL always parses; this keeps the type without a panic.
fn unreachable_endpoint() -> Endpoint {
    Endpoint::parse("127.0.0.1:1", false).unwrap_or_else(|_| unreachable_endpoint())
}

/// The driver settings of a soak bot: small event queues, so that an
/// application that stops reading fills them within seconds.
pub(crate) fn driver_config(rng_seed: u64) -> DriverConfig {
    let mut session = SessionConfig::default();
    session.rng_seed = rng_seed.max(1);
    session.transport.max_pending_events = 8;
    session.transport.max_message_size = CLIENT_MAX_MESSAGE;
    DriverConfig::default()
        .with_session(session)
        .with_event_buffer(4)
}

/// Runs one bot until [`Stage::Close`] and its connection ended.
pub(crate) async fn run(ctx: BotCtx) -> BotReport {
    let config = driver_config(ctx.seed ^ (ctx.bot as u64).wrapping_mul(0x9E37_79B9));
    let (handle, events) = voice_ws_tokio::spawn(config, credentials(ctx.bot, ctx.port, 0));
    let bot = Bot {
        ctx,
        handle,
        report: BotReport::default(),
        next_id: 1,
        up: false,
        joined: false,
        expect_new_session: true,
        credentials_issued: 0,
        recovering_since: None,
        last_seq: None,
        settled: false,
        target: None,
        ended_since_stop: false,
        closing: false,
        started: Instant::now(),
        sent_at_ack: (0, 0),
    };
    bot.run(events).await
}

impl Bot {
    async fn run(mut self, mut events: Events) -> BotReport {
        let start = Instant::now();
        let mut send_tick = tokio::time::interval(self.ctx.send_every);
        send_tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut stage = self.ctx.stage.clone();
        loop {
            let since = start.elapsed().as_millis() as u64;
            let (paused, edge) = slow_read_at(&self.ctx.plan.slow_reads, since);
            // Closing: read everything, so no Unsent is missed.
            let paused = paused && !self.closing;
            let edge = edge.map(|ms| start + Duration::from_millis(ms));
            let sending = matches!(*stage.borrow(), Stage::Running) && !self.report.ended_for_good;
            tokio::select! {
                event = events.recv(), if !paused => match event {
                    Some(event) => self.on_event(event).await,
                    None => break,
                },
                _ = send_tick.tick(), if sending => self.send_one().await,
                () = sleep_opt(edge), if edge.is_some() && !self.closing => {}
                changed = stage.changed(), if !self.closing => {
                    if changed.is_err() {
                        break;
                    }
                    let now = stage.borrow_and_update().clone();
                    self.on_stage(now);
                }
            }
        }
        if self.up {
            self.ctx.live.up.fetch_sub(1, Ordering::Relaxed);
        }
        self.report
    }

    fn on_stage(&mut self, stage: Stage) {
        match stage {
            Stage::Running => {}
            Stage::Settle(pushed) => {
                self.target = pushed.get(self.ctx.bot).copied();
                self.check_settled();
            }
            Stage::Close => {
                self.closing = true;
                if let Some(target) = self.target {
                    // A session that ended for good by plan took with it
                    // what was pushed after it, as one that ended since
                    // the stop took the rest.
                    let gone = self.ended_since_stop || self.report.ended_for_good;
                    self.report.ledger.settle(target, gone);
                }
                let handle = self.handle.clone();
                tokio::spawn(async move { handle.close().await });
            }
        }
    }

    fn check_settled(&mut self) {
        let Some(target) = self.target else { return };
        let done = self.report.ended_for_good
            || self.ended_since_stop
            || self.report.ledger.has_all(target);
        if done && !self.settled {
            self.settled = true;
            self.ctx.live.settled.fetch_add(1, Ordering::Relaxed);
        }
    }

    async fn send_one(&mut self) {
        let id = self.next_id;
        let text = format!(r#"{{"op":5,"d":{{"speaking":1,"delay":{id},"ssrc":1}}}}"#);
        self.next_id += 1;
        match self.handle.send_text(text).await {
            Ok(()) => self.report.sent += 1,
            Err(_) => self.report.refused += 1,
        }
    }

    fn plan_of_current(&self) -> Option<&crate::plan_gen::ConnPlan> {
        self.report
            .connections
            .checked_sub(1)
            .and_then(|k| self.ctx.plan.conn(k))
    }

    fn went_down(&mut self) {
        if self.up {
            self.up = false;
            self.ctx.live.up.fetch_sub(1, Ordering::Relaxed);
        }
        self.recovering_since.get_or_insert_with(Instant::now);
    }

    fn came_up(&mut self) {
        if !self.up {
            self.up = true;
            self.ctx.live.up.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(since) = self.recovering_since.take() {
            self.report.longest_recovery = self.report.longest_recovery.max(since.elapsed());
        }
    }

    async fn on_event(&mut self, event: Event) {
        if self.report.trace.len() == TRACE {
            self.report.trace.pop_front();
        }
        let at = self.started.elapsed().as_millis();
        let line = match &event {
            Event::Message(m) => match &m.message {
                ServerMessage::Speaking(s) => {
                    format!("{at} ms: push {:?} seq {:?}", s.user_id, m.seq)
                }
                other => format!("{at} ms: message seq {:?} {other:?}", m.seq),
            },
            other => format!("{at} ms: {other:?}"),
        };
        self.report.trace.push_back(line);
        match event {
            Event::Connected => self.report.connections += 1,
            Event::Ready(_) => {
                self.report.new_sessions += 1;
                if !self.expect_new_session {
                    let plan = self.describe_plan();
                    self.report.unplanned.push(format!(
                        "bot {} connection {}: a new session (Ready) where a resume was due; {plan}",
                        self.ctx.bot,
                        self.report.connections.saturating_sub(1)
                    ));
                }
                self.expect_new_session = false;
                self.report.ledger.new_session();
                self.last_seq = None;
                if self.target.is_some_and(|t| !t.held) {
                    self.ended_since_stop = true;
                }
                if !self.joined {
                    self.joined = true;
                    self.ctx.live.joined.fetch_add(1, Ordering::Relaxed);
                }
                self.came_up();
                self.check_settled();
            }
            Event::Resumed => {
                self.report.resumes += 1;
                self.ctx.live.resumes.fetch_add(1, Ordering::Relaxed);
                self.came_up();
            }
            Event::Message(incoming) => self.on_message(&incoming),
            Event::Zombified => {
                self.report.zombies += 1;
                self.went_down();
                self.send_during_reconnect().await;
            }
            Event::HeartbeatAck { .. } => {
                self.sent_at_ack = (self.sent_at_ack.1, self.report.sent);
            }
            Event::Disconnected {
                code,
                by_self,
                lost,
            } => {
                if code.is_none() || !by_self {
                    // A reset, or a close the server started: what we wrote
                    // after the heartbeat before the last ACKed one may have
                    // been in flight (one interval of slack: a send is
                    // written when the task gets to it). A server that sent
                    // its close reads no more data frames (RFC 6455 5.5.1).
                    self.report.unconfirmed_at_loss += self.report.sent - self.sent_at_ack.0;
                }
                self.sent_at_ack = (self.report.sent, self.report.sent);
                let key = match (code, lost) {
                    (Some(code), _) => {
                        format!("close {}{}", code.0, if by_self { " (ours)" } else { "" })
                    }
                    (None, Some(lost)) => format!("lost: {lost:?}"),
                    (None, None) => "no close frame".to_owned(),
                };
                *self.report.ends.entry(key).or_default() += 1;
                self.went_down();
                self.send_during_reconnect().await;
            }
            Event::ConnectFailed { .. } => self.went_down(),
            Event::SessionInvalidated { code, reason } => {
                let planned = code.map(|c| c.0) == Some(4006)
                    && self.plan_of_current().is_some_and(|p| p.refuse_resume);
                let what = format!("SessionInvalidated {code:?} {reason:?}");
                self.session_ended(planned, &what).await;
            }
            Event::Stopped { code } => {
                let planned = code.map(|c| c.0) == Some(4014)
                    && self
                        .plan_of_current()
                        .is_some_and(|p| p.ending == Ending::Stop4014);
                self.session_ended(planned || self.closing, &format!("Stopped {code:?}"))
                    .await;
            }
            Event::Fatal { code, reason } => {
                let planned = code.0 == 4004
                    && self
                        .plan_of_current()
                        .is_some_and(|p| p.ending == Ending::Fatal4004);
                self.session_ended(planned, &format!("Fatal {} {reason}", code.0))
                    .await;
            }
            Event::Unsent(unsent) => {
                let numbered = unsent
                    .iter()
                    .filter(|o| matches!(o, Outgoing::Text(t) if t.contains("\"delay\":")))
                    .count();
                self.report.returned += numbered as u64;
            }
            Event::InvalidFrame(_) => self.report.invalid_frames += 1,
            _ => {}
        }
    }

    fn describe_plan(&self) -> String {
        match self.plan_of_current() {
            Some(plan) => format!("plan: {plan}"),
            None => "plan: healthy".to_owned(),
        }
    }

    async fn send_during_reconnect(&mut self) {
        if matches!(*self.ctx.stage.borrow(), Stage::Running) && !self.report.ended_for_good {
            self.send_one().await;
        }
    }

    async fn session_ended(&mut self, planned: bool, what: &str) {
        self.went_down();
        if self.closing {
            return;
        }
        if planned {
            self.report.planned_ends += 1;
        } else {
            let plan = self.describe_plan();
            self.report.unplanned.push(format!(
                "bot {} connection {}: {what}; {plan}",
                self.ctx.bot,
                self.report.connections.saturating_sub(1)
            ));
        }
        let k = self.report.connections.saturating_sub(1);
        if planned && self.ctx.plan.final_conn == Some(k) {
            self.report.ended_for_good = true;
            self.recovering_since = None;
            self.check_settled();
            return;
        }
        // A bot asks the main gateway again and hands the new credentials over.
        self.credentials_issued += 1;
        self.expect_new_session = true;
        let fresh = credentials(self.ctx.bot, self.ctx.port, self.credentials_issued);
        if self.handle.update_credentials(fresh).await.is_err() {
            self.report
                .unplanned
                .push(format!("bot {}: update_credentials failed", self.ctx.bot));
        }
    }

    fn on_message(&mut self, incoming: &Incoming) {
        if let Some(seq) = incoming.seq {
            if self
                .last_seq
                .is_some_and(|last| seq < last && last - seq > 0x8000)
            {
                self.report.seq_wraps += 1;
            }
            self.last_seq = Some(seq);
        }
        let ServerMessage::Speaking(speaking) = &incoming.message else {
            return;
        };
        if speaking.ssrc != PUSH_SSRC {
            return;
        }
        let Some(n) = speaking.user_id else { return };
        let before = self.report.ledger.delivered;
        self.report.ledger.receive(n);
        if self.report.ledger.delivered > before {
            self.ctx.live.delivered.fetch_add(1, Ordering::Relaxed);
        }
        self.check_settled();
    }
}

/// Whether the application is in a slow-read period at `ms`, and when that
/// next changes.
fn slow_read_at(periods: &[(u64, u64)], ms: u64) -> (bool, Option<u64>) {
    for (start, len) in periods {
        if ms < *start {
            return (false, Some(*start));
        }
        if ms < start + len {
            return (true, Some(start + len));
        }
    }
    (false, None)
}

async fn sleep_opt(at: Option<Instant>) {
    match at {
        Some(at) => sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_read_periods() {
        let p = [(100, 50), (300, 10)];
        assert_eq!(slow_read_at(&p, 0), (false, Some(100)));
        assert_eq!(slow_read_at(&p, 120), (true, Some(150)));
        assert_eq!(slow_read_at(&p, 150), (false, Some(300)));
        assert_eq!(slow_read_at(&p, 400), (false, None));
    }
}
