//! State shared by the accept loop, every connection task and the [`Sim`](crate::Sim)
//! handle. One std mutex; no lock is held across an await.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tracing::debug;

use crate::config::SimConfig;
use crate::persist::{SavedSession, SavedSessions};
use crate::push::{Pushed, ServerPush};
use crate::record::{ConnectionLog, Recorded, RecordedFrame, frame_of};
use crate::session::{GatewaySession, Live};
use crate::tally::{ClientTally, Tally};
use crate::udp::MediaSink;

/// Everything the sim knows: connection logs, sessions, the push target.
pub(crate) struct SimState {
    pub(crate) config: SimConfig,
    /// The UDP port Ready advertises.
    pub(crate) port: u16,
    /// What arrives on that port.
    pub(crate) udp: MediaSink,
    start: Instant,
    registry: Mutex<Registry>,
    accepted: watch::Sender<usize>,
    tally: Tally,
    /// Wakes the DAVE timer when a call's deadlines may have changed.
    #[cfg(feature = "dave")]
    pub(crate) dave_wake: tokio::sync::Notify,
}

/// The sessions and connection logs, behind [`SimState`]'s one mutex.
#[derive(Default)]
struct Registry {
    logs: Vec<ConnectionLog>,
    sessions: HashMap<String, GatewaySession>,
    /// Target of [`Sim::push`](crate::Sim::push): the last session that got
    /// Ready or was resumed.
    active: Option<String>,
    /// Pushes made before any session existed; the first Ready takes them.
    pending: Vec<ServerPush>,
    sessions_created: u64,
    /// Recent Identify/Resume times per session id, oldest first; at most
    /// `rate_limit.attempts + 1` each.
    attempts: HashMap<String, VecDeque<Instant>>,
    /// Shared DAVE calls by server id.
    #[cfg(feature = "dave")]
    calls: HashMap<String, crate::call::Call>,
}

impl Registry {
    fn forget(&mut self, session_id: &str) {
        let removed = self.sessions.remove(session_id);
        #[cfg(feature = "dave")]
        if let Some(seat) = removed.and_then(|s| s.call) {
            self.leave_call(session_id, seat);
        }
        #[cfg(not(feature = "dave"))]
        drop(removed);
        if self.active.as_deref() == Some(session_id) {
            self.active = None;
        }
    }

    /// The session left its call (unless another session took its seat).
    #[cfg(feature = "dave")]
    fn leave_call(&mut self, session_id: &str, seat: crate::call::Seat) {
        let Registry {
            calls, sessions, ..
        } = self;
        let Some(call) = calls.get_mut(&seat.server_id) else {
            return;
        };
        if !call.seated(seat.user_id, session_id) {
            return;
        }
        call.unseat(seat.user_id);
        if let Err(error) = call
            .service
            .handle_disconnect(crate::call::now(), seat.user_id)
        {
            debug!(%error, "leaving the call");
        }
        call.flush(sessions);
    }
}

/// Why a Resume is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No session with that id (never identified, or forgotten).
    Unknown,
    /// The session exists but the token differs; the session is kept.
    WrongToken,
    /// Identified, but Ready was never sent; the session is forgotten.
    NotReady,
    /// A message after the Resume's `seq_ack` is no longer in the replay
    /// buffer; the session is forgotten.
    Evicted,
}

/// Which way a frame went.
#[derive(Clone, Copy)]
pub(crate) enum Dir {
    In,
    Out,
}

/// What Identify needs from the client.
pub(crate) struct Identity {
    pub(crate) session_id: String,
    pub(crate) token: String,
    pub(crate) dave_protocol_version: u16,
}

/// The session a connection is bound to, as seen by that connection.
#[derive(Clone)]
pub(crate) struct Bound {
    pub(crate) session_id: String,
    pub(crate) generation: u64,
    pub(crate) ssrc: u32,
    pub(crate) dave_protocol_version: u16,
}

impl SimState {
    pub(crate) fn new(config: SimConfig, port: u16) -> (Self, watch::Receiver<usize>) {
        let (accepted, rx) = watch::channel(0);
        let mut registry = Registry::default();
        for saved in &config.sessions.sessions {
            let session = saved.restore(config.replay_capacity);
            registry.sessions_created = registry.sessions_created.max(session.generation);
            registry.sessions.insert(saved.id.clone(), session);
        }
        let state = Self {
            config,
            port,
            udp: MediaSink::default(),
            start: Instant::now(),
            registry: Mutex::new(registry),
            accepted,
            tally: Tally::default(),
            #[cfg(feature = "dave")]
            dave_wake: tokio::sync::Notify::new(),
        };
        (state, rx)
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        // A panic elsewhere must not take the recording down with it.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn elapsed(&self) -> Duration {
        Instant::now().saturating_duration_since(self.start)
    }

    pub(crate) fn open(&self, peer: SocketAddr) -> usize {
        let at = self.elapsed();
        let count = {
            let mut registry = self.lock();
            let index = registry.logs.len();
            registry.logs.push(ConnectionLog::new(index, peer, at));
            registry.logs.len()
        };
        self.accepted.send_replace(count);
        count - 1
    }

    pub(crate) fn logs(&self) -> Vec<ConnectionLog> {
        self.lock().logs.clone()
    }

    fn with_log(&self, index: usize, f: impl FnOnce(&mut ConnectionLog)) {
        if let Some(log) = self.lock().logs.get_mut(index) {
            f(log);
        }
    }

    pub(crate) fn set_path(&self, index: usize, path: String) {
        self.with_log(index, |log| log.path = Some(path));
    }

    pub(crate) fn record(&self, index: usize, dir: Dir, frame: RecordedFrame) {
        if !self.config.record_frames {
            return;
        }
        let recorded = Recorded {
            at: self.elapsed(),
            frame,
        };
        self.with_log(index, |log| match dir {
            Dir::In => log.received.push(recorded),
            Dir::Out => log.sent.push(recorded),
        });
    }

    pub(crate) fn record_msg(&self, index: usize, dir: Dir, msg: &Message) {
        // Every frame read passes here, also while a close is drained.
        if let (Dir::In, Message::Text(text)) = (dir, msg) {
            self.tally.note(text.as_str());
        }
        // Checked before converting: copying every frame is the expensive part.
        if !self.config.record_frames {
            return;
        }
        if let Some(frame) = frame_of(msg) {
            self.record(index, dir, frame);
        }
    }

    pub(crate) fn closed_by_client(&self, index: usize, code: Option<u16>) {
        self.with_log(index, |log| log.closed_by_client = Some(code));
    }

    pub(crate) fn seq_ack(&self, index: usize, seq_ack: i64) {
        self.with_log(index, |log| log.last_seq_ack = Some(seq_ack));
    }

    /// Marks connection `index` as ended; the session it served (if still
    /// served by it) keeps its buffer but has no live connection any more.
    /// `leaving`: the session ended for good (a clean close by the client,
    /// or a close code that ends the session), so it leaves its call; a
    /// dropped socket keeps its seat for a resume.
    pub(crate) fn end(&self, index: usize, bound: Option<&Bound>, leaving: bool) {
        let at = self.elapsed();
        #[cfg(feature = "dave")]
        if let (Some(bound), true) = (bound, leaving) {
            self.leave_call(index, bound);
        }
        #[cfg(not(feature = "dave"))]
        let _ = leaving;
        let mut registry = self.lock();
        if let Some(log) = registry.logs.get_mut(index) {
            log.ended_at = Some(at);
        }
        let session = bound.and_then(|b| registry.sessions.get_mut(&b.session_id));
        if let Some(session) = session {
            if session.live.as_ref().is_some_and(|l| l.conn == index) {
                session.live = None;
            }
        }
    }

    /// Counts an Identify or Resume for `session_id`. `false` when it is one
    /// too many for [`SimConfig::rate_limit`]: the session is forgotten and the
    /// caller closes with 4021.
    pub(crate) fn attempt(&self, session_id: &str) -> bool {
        let Some(limit) = self.config.rate_limit else {
            return true;
        };
        let now = Instant::now();
        let mut registry = self.lock();
        let times = registry.attempts.entry(session_id.to_owned()).or_default();
        while times
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= limit.window)
        {
            times.pop_front();
        }
        times.push_back(now);
        let allowed = usize::try_from(limit.attempts).unwrap_or(usize::MAX);
        if times.len() <= allowed {
            return true;
        }
        while times.len() > allowed.saturating_add(1) {
            times.pop_front();
        }
        // Discord ends the session for good.
        registry.forget(session_id);
        false
    }

    /// Starts a new session (replacing one with the same id) served by `index`.
    /// It cannot be resumed, and [`Sim::push`](crate::Sim::push) does not
    /// target it, until [`SimState::ready`] says Ready is going out.
    pub(crate) fn identify(
        &self,
        index: usize,
        tx: UnboundedSender<Message>,
        identity: Identity,
    ) -> Bound {
        let mut guard = self.lock();
        let registry = &mut *guard;
        registry.sessions_created += 1;
        let generation = registry.sessions_created;
        // Distinct, recognisable SSRCs; the exact value means nothing.
        let ssrc = 0x5151_0000_u32.wrapping_add(generation as u32);
        let mut session = GatewaySession::new(
            identity.token,
            ssrc,
            generation,
            identity.dave_protocol_version,
            self.config.start_seq.pick(generation),
            self.config.replay_capacity,
        );
        let start_seq = session.start_seq;
        session.live = Some(Live { conn: index, tx });
        let id = identity.session_id;
        let replaced = registry.sessions.insert(id.clone(), session);
        #[cfg(feature = "dave")]
        if let Some(seat) = replaced.and_then(|s| s.call) {
            registry.leave_call(&id, seat);
        }
        #[cfg(not(feature = "dave"))]
        drop(replaced);
        if let Some(log) = registry.logs.get_mut(index) {
            log.session_id = Some(id.clone());
            log.start_seq = Some(start_seq);
        }
        debug!(index, start_seq, "new session");
        Bound {
            session_id: id,
            generation,
            ssrc,
            dave_protocol_version: identity.dave_protocol_version,
        }
    }

    /// Ready is about to go out for `bound`: the session becomes resumable
    /// and the target of [`Sim::push`](crate::Sim::push). Returns the pushes
    /// to send right after Ready (held global ones, then this connection's
    /// early ones), already sequenced.
    pub(crate) fn ready(&self, bound: &Bound, local_pending: Vec<ServerPush>) -> Vec<Message> {
        let mut guard = self.lock();
        let registry = &mut *guard;
        let Some(session) = registry
            .sessions
            .get_mut(&bound.session_id)
            .filter(|s| s.generation == bound.generation)
        else {
            // Replaced by another Identify meanwhile; nothing to announce.
            return Vec::new();
        };
        session.ready = true;
        let global = std::mem::take(&mut registry.pending);
        let out = global
            .iter()
            .chain(local_pending.iter())
            .map(|p| session.push(p))
            .collect();
        registry.active = Some(bound.session_id.clone());
        out
    }

    /// Moves a session to connection `index`. Returns the binding and what to
    /// send after Resumed (the replay, then this connection's early pushes), or
    /// why the Resume is refused (every refusal is a 4006).
    pub(crate) fn resume(
        &self,
        index: usize,
        tx: UnboundedSender<Message>,
        session_id: &str,
        token: &str,
        seq_ack: Option<i64>,
        local_pending: Vec<ServerPush>,
    ) -> Result<(Bound, Vec<Message>), Refusal> {
        let mut guard = self.lock();
        let registry = &mut *guard;
        let session = registry
            .sessions
            .get_mut(session_id)
            .ok_or(Refusal::Unknown)?;
        if session.token != token {
            return Err(Refusal::WrongToken);
        }
        if !session.ready {
            // Ready never went out: on Discord's side the session never existed.
            registry.forget(session_id);
            return Err(Refusal::NotReady);
        }
        // No seq_ack at all is the pre-v8 resume: nothing is replayed.
        let replay = match seq_ack {
            None => Some(Vec::new()),
            Some(ack) => session.replay_after(ack),
        };
        let Some(mut out) = replay else {
            // Discord closes the session: it cannot be resumed any more.
            registry.forget(session_id);
            return Err(Refusal::Evicted);
        };
        out.extend(local_pending.iter().map(|p| session.push(p)));
        session.live = Some(Live { conn: index, tx });
        let bound = Bound {
            session_id: session_id.to_owned(),
            generation: session.generation,
            ssrc: session.ssrc,
            dave_protocol_version: session.dave_protocol_version,
        };
        let start_seq = session.start_seq;
        registry.active = Some(session_id.to_owned());
        if let Some(log) = registry.logs.get_mut(index) {
            log.session_id = Some(session_id.to_owned());
            log.start_seq = Some(start_seq);
        }
        Ok((bound, out))
    }

    pub(crate) fn client_tally(&self) -> ClientTally {
        self.tally.snapshot()
    }

    pub(crate) fn save_sessions(&self) -> SavedSessions {
        let registry = self.lock();
        let sessions = registry
            .sessions
            .iter()
            .filter_map(|(id, session)| SavedSession::of(id, session))
            .collect();
        SavedSessions { sessions }
    }

    pub(crate) fn forget_session(&self, session_id: &str) {
        self.lock().forget(session_id);
    }

    /// A push scheduled by connection `index` for its own session. Returns the
    /// frames to send when `index` still serves the session: the pushes from
    /// outside still waiting in `rx` (they got lower seqs), then this one; the
    /// caller sends them in that order. Otherwise the push is forwarded or
    /// just buffered. `rx` is drained under the lock that numbers every push,
    /// so a push numbered later cannot be taken ahead of this one.
    pub(crate) fn push_from(
        &self,
        index: usize,
        bound: &Bound,
        push: &ServerPush,
        rx: &mut UnboundedReceiver<Message>,
    ) -> Option<Vec<Message>> {
        let mut registry = self.lock();
        let session = registry
            .sessions
            .get_mut(&bound.session_id)
            .filter(|s| s.generation == bound.generation)?;
        let msg = session.push(push);
        match &session.live {
            Some(live) if live.conn == index => {
                let mut out = Vec::new();
                while let Ok(earlier) = rx.try_recv() {
                    out.push(earlier);
                }
                out.push(msg);
                Some(out)
            }
            Some(live) => {
                // The receiver may be gone already; the replay buffer still has it.
                let _ = live.tx.send(msg);
                None
            }
            None => None,
        }
    }

    /// [`Sim::push`](crate::Sim::push): to the active session, or held for
    /// the next one to get Ready.
    pub(crate) fn push_active(&self, push: ServerPush) -> Pushed {
        let mut guard = self.lock();
        let registry = &mut *guard;
        let session = registry
            .active
            .as_ref()
            .and_then(|id| registry.sessions.get_mut(id));
        match session {
            Some(session) => {
                let msg = session.push(&push);
                if let Some(live) = &session.live {
                    let _ = live.tx.send(msg);
                }
                Pushed::Session(session.generation)
            }
            None => {
                registry.pending.push(push);
                Pushed::Held
            }
        }
    }

    /// [`Sim::active_session`](crate::Sim::active_session).
    pub(crate) fn active_session(&self) -> Option<u64> {
        let registry = self.lock();
        registry
            .active
            .as_ref()
            .and_then(|id| registry.sessions.get(id))
            .map(|session| session.generation)
    }
}

/// Shared DAVE calls (feature `dave`).
#[cfg(feature = "dave")]
impl SimState {
    /// Seats a session that just got Ready in the call of its `server_id`,
    /// creating the call on the first Identify.
    pub(crate) fn join_call(
        &self,
        bound: &Bound,
        server_id: &str,
        user_id: &str,
        channel_id: Option<&str>,
    ) {
        let Some(calls_config) = &self.config.dave_calls else {
            return;
        };
        let Ok(user) = user_id.parse::<u64>() else {
            debug!(user_id, "not a numeric user id: no DAVE call");
            return;
        };
        let mut guard = self.lock();
        let Registry {
            calls, sessions, ..
        } = &mut *guard;
        let Some(session) = sessions
            .get_mut(&bound.session_id)
            .filter(|s| s.generation == bound.generation)
        else {
            return;
        };
        if !calls.contains_key(server_id) {
            let group = calls_config
                .channel_id
                .or_else(|| channel_id.and_then(|c| c.parse().ok()))
                .or_else(|| server_id.parse().ok());
            let Some(group) = group else {
                debug!(server_id, "no numeric channel or server id: no DAVE call");
                return;
            };
            match crate::call::Call::new(server_id, group, calls_config) {
                Ok(call) => {
                    calls.insert(server_id.to_owned(), call);
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot start a DAVE call");
                    return;
                }
            }
        }
        let Some(call) = calls.get_mut(server_id) else {
            return;
        };
        session.call = Some(crate::call::Seat {
            server_id: server_id.to_owned(),
            user_id: user,
        });
        call.seat(user, &bound.session_id);
        if let Err(error) = call.service.handle_connect(crate::call::now(), user) {
            debug!(%error, "joining the call");
            call.unseat(user);
            session.call = None;
        }
        call.flush(sessions);
        drop(guard);
        self.dave_wake.notify_one();
    }

    /// Runs `f` on the delivery service of `bound`'s call with its user id,
    /// then pushes what it queued. `None` when the session sits in no call.
    pub(crate) fn with_call<R>(
        &self,
        bound: &Bound,
        f: impl FnOnce(&mut crate::dave::DeliveryService, u64) -> R,
    ) -> Option<R> {
        let mut guard = self.lock();
        let Registry {
            calls, sessions, ..
        } = &mut *guard;
        let seat = sessions
            .get(&bound.session_id)
            .filter(|s| s.generation == bound.generation)
            .and_then(|s| s.call.clone())?;
        let call = calls.get_mut(&seat.server_id)?;
        if !call.seated(seat.user_id, &bound.session_id) {
            return None;
        }
        let result = f(&mut call.service, seat.user_id);
        call.flush(sessions);
        drop(guard);
        self.dave_wake.notify_one();
        Some(result)
    }

    /// Runs `f` on the delivery service of the call of `server_id`.
    pub(crate) fn with_server_call<R>(
        &self,
        server_id: &str,
        f: impl FnOnce(&mut crate::dave::DeliveryService) -> R,
    ) -> Option<R> {
        let mut guard = self.lock();
        let Registry {
            calls, sessions, ..
        } = &mut *guard;
        let call = calls.get_mut(server_id)?;
        let result = f(&mut call.service);
        call.flush(sessions);
        drop(guard);
        self.dave_wake.notify_one();
        Some(result)
    }

    /// Connection `index` ended `bound`'s session for good: it leaves its
    /// call, unless the session has moved to another connection meanwhile.
    fn leave_call(&self, index: usize, bound: &Bound) {
        let mut registry = self.lock();
        let seat = registry
            .sessions
            .get_mut(&bound.session_id)
            .filter(|s| s.generation == bound.generation)
            .filter(|s| s.live.as_ref().is_none_or(|l| l.conn == index))
            .and_then(|s| s.call.take());
        if let Some(seat) = seat {
            registry.leave_call(&bound.session_id, seat);
        }
    }

    /// Lets every call execute the transitions whose wait ran out.
    pub(crate) fn dave_timeout(&self) {
        let now = crate::call::now();
        let mut guard = self.lock();
        let Registry {
            calls, sessions, ..
        } = &mut *guard;
        for call in calls.values_mut() {
            call.service.handle_timeout(now);
            call.flush(sessions);
        }
    }

    pub(crate) fn next_dave_deadline(&self) -> Option<std::time::Instant> {
        self.lock()
            .calls
            .values()
            .filter_map(|c| c.service.poll_timeout())
            .min()
    }

    pub(crate) fn call_logs(&self) -> Vec<crate::record::CallLog> {
        let mut logs: Vec<_> = self.lock().calls.values().map(|c| c.log()).collect();
        logs.sort_by(|a, b| a.server_id.cmp(&b.server_id));
        logs
    }
}
