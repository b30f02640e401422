//! One accepted connection: the server side of the v8 handshake, heartbeats,
//! resume, and the connection's fault plan.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::debug;

use crate::plan::{Action, Step, Trigger};
use crate::push::ServerPush;
use crate::record::RecordedFrame;
use crate::state::{Bound, Dir, Identity, SimState};
use crate::wire;

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a server-initiated close waits for the client's reply.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// Heartbeats whose delayed ACK may wait at once ([`Action::DelayAcks`]); a
/// client beating faster than this many per delay loses the excess ACKs.
const MAX_DELAYED_ACKS: usize = 1024;
/// Client messages are small apart from MLS key packages and commits (a few KiB).
const MAX_MESSAGE: usize = 1 << 20;

// Close codes the gateway itself uses on bad client input.
const UNKNOWN_OPCODE: u16 = 4001;
const DECODE_FAILED: u16 = 4002;
const NOT_AUTHENTICATED: u16 = 4003;
const ALREADY_AUTHENTICATED: u16 = 4005;
const SESSION_INVALID: u16 = 4006;
const UNKNOWN_PROTOCOL: u16 = 4012;
const UNKNOWN_MODE: u16 = 4016;
const BAD_REQUEST: u16 = 4020;
const RATE_LIMITED: u16 = 4021;
#[cfg(feature = "dave")]
const E2EE_REQUIRED: u16 = 4017;

/// Close codes after which a session is over for good: a clean close by the
/// client (it leaves), or a server close that ends the session. Its member
/// then leaves its call; any other end (a reset, 1006, 4015) keeps the seat
/// for a resume.
fn ends_session(code: u16) -> bool {
    matches!(
        code,
        1000 | 1001 | 4004 | 4006 | 4009 | 4011 | 4014 | 4021 | 4022
    )
}

/// Small buffers: the default 128 KiB read buffer costs ~14× the memory and
/// most of the CPU per idle connection, which matters at thousands of them.
pub(crate) fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

pub(crate) async fn run(state: Arc<SimState>, index: usize, tcp: TcpStream) {
    let (bound, leaving) = match handshake(&state, index, tcp).await {
        Some(ws) => Conn::new(state.clone(), index, ws).run().await,
        None => (None, false),
    };
    state.end(index, bound.as_ref(), leaving);
}

async fn handshake(
    state: &SimState,
    index: usize,
    tcp: TcpStream,
) -> Option<WebSocketStream<TcpStream>> {
    // Only latency matters for a gateway; its messages are small.
    let _ = tcp.set_nodelay(true);
    let mut path = None;
    // The signature is tungstenite's `Callback`; its error type is not ours to shrink.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        path = Some(request.uri().to_string());
        Ok(response)
    };
    let accept = tokio_tungstenite::accept_hdr_async_with_config(tcp, callback, Some(ws_config()));
    let result = timeout(HANDSHAKE_TIMEOUT, accept).await;
    if let Some(path) = path {
        state.set_path(index, path);
    }
    match result {
        Ok(Ok(ws)) => Some(ws),
        Ok(Err(error)) => {
            debug!(index, %error, "websocket handshake failed");
            None
        }
        Err(_) => {
            debug!(index, "websocket handshake timed out");
            None
        }
    }
}

/// The connection is over: stop serving it. Every step returns [`Flow`], so
/// `?` ends the connection from wherever it is decided.
#[derive(Clone, Copy, Debug)]
struct End;

/// `Ok(())`: keep serving the connection; `Err(End)`: it is over.
type Flow = Result<(), End>;

#[derive(Clone, Copy)]
enum AckMode {
    Immediate,
    Withheld,
    Delayed(Duration),
}

enum Wake {
    Frame(Option<Result<Message, WsError>>),
    Push(Option<Message>),
    Timer,
}

struct Conn {
    state: Arc<SimState>,
    index: usize,
    ws: WebSocketStream<TcpStream>,
    /// Kept so `rx` never reports closed; clones go to the session.
    tx: mpsc::UnboundedSender<Message>,
    /// Pushes for this connection's session made outside this task.
    rx: mpsc::UnboundedReceiver<Message>,
    steps: Vec<Step>,
    fired: Vec<bool>,
    opened: Instant,
    silent: bool,
    acks: AckMode,
    delayed_acks: VecDeque<(Instant, Message)>,
    refuse_resume: Option<u16>,
    heartbeats: u32,
    session: Option<Bound>,
    /// Ready (or Resumed) went out, or the session was resumed while silent:
    /// replayable pushes may now be sequenced and sent.
    announced: bool,
    /// Replayable pushes scheduled before `announced`; they follow Ready.
    pending: Vec<ServerPush>,
    peer_closed: bool,
    /// The session ended for good on this connection ([`ends_session`]).
    leaving: bool,
    /// [`Action::CorruptDave`]: the next binary DAVE message is spoiled.
    corrupt_dave: bool,
}

impl Conn {
    fn new(state: Arc<SimState>, index: usize, ws: WebSocketStream<TcpStream>) -> Self {
        let steps = state.config.plan_for(index).steps;
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            fired: vec![false; steps.len()],
            steps,
            state,
            index,
            ws,
            tx,
            rx,
            opened: Instant::now(),
            silent: false,
            acks: AckMode::Immediate,
            delayed_acks: VecDeque::new(),
            refuse_resume: None,
            heartbeats: 0,
            session: None,
            announced: false,
            pending: Vec::new(),
            peer_closed: false,
            leaving: false,
            corrupt_dave: false,
        }
    }

    /// Serves the connection; returns the session it was bound to at the
    /// end, and whether that session ended for good.
    async fn run(mut self) -> (Option<Bound>, bool) {
        let Err(End) = self.serve().await;
        (self.session, self.leaving)
    }

    /// Hello, then every frame, push and timer until something ends the
    /// connection.
    async fn serve(&mut self) -> Result<Infallible, End> {
        self.open().await?;
        loop {
            let deadline = self.next_deadline();
            let wake = tokio::select! {
                frame = self.ws.next() => Wake::Frame(frame),
                push = self.rx.recv() => Wake::Push(push),
                () = sleep_until_opt(deadline) => Wake::Timer,
            };
            match wake {
                Wake::Frame(frame) => self.on_frame(frame).await?,
                Wake::Push(Some(msg)) => self.on_push(msg).await?,
                Wake::Push(None) => {}
                Wake::Timer => self.on_timer().await?,
            }
        }
    }

    async fn open(&mut self) -> Flow {
        self.fire(|t| matches!(t, Trigger::OnOpen)).await?;
        let hello = wire::hello(self.state.config.heartbeat_interval_ms);
        self.send_auto(Message::text(hello)).await
    }

    fn next_deadline(&self) -> Option<Instant> {
        let steps = self
            .steps
            .iter()
            .zip(&self.fired)
            .filter(|(_, fired)| !**fired)
            .filter_map(|(step, _)| match step.when {
                Trigger::After(after) => self.opened.checked_add(after),
                _ => None,
            });
        let ack = self.delayed_acks.front().map(|(due, _)| *due);
        steps.chain(ack).min()
    }

    // ---- sending ----------------------------------------------------------

    async fn send(&mut self, msg: Message) -> Flow {
        if self.peer_closed {
            return Ok(());
        }
        self.state.record_msg(self.index, Dir::Out, &msg);
        match self.ws.send(msg).await {
            Ok(()) => Ok(()),
            Err(error) => {
                debug!(index = self.index, %error, "send failed");
                // The client may have closed (say, with 1009 on a frame
                // still being written): record what it sent before ending.
                self.drain_incoming().await;
                Err(End)
            }
        }
    }

    /// Reads and records what the client still has in flight, for at most
    /// `CLOSE_TIMEOUT`.
    async fn drain_incoming(&mut self) {
        let (ws, state, index) = (&mut self.ws, &self.state, self.index);
        let drain = async {
            while let Some(Ok(msg)) = ws.next().await {
                state.record_msg(index, Dir::In, &msg);
            }
        };
        let _ = timeout(CLOSE_TIMEOUT, drain).await;
    }

    /// A push made outside this task (the call's DAVE messages among them):
    /// the DAVE faults of the plan apply, then it goes out.
    async fn on_push(&mut self, msg: Message) -> Flow {
        let Some(op) = crate::dave_fault::dave_op(&msg) else {
            return self.send_auto(msg).await;
        };
        self.fire(|t| *t == Trigger::BeforeDaveOp(op)).await?;
        let msg = if self.corrupt_dave && matches!(msg, Message::Binary(_)) {
            self.corrupt_dave = false;
            crate::dave_fault::corrupt(msg)
        } else {
            msg
        };
        self.send_auto(msg).await
    }

    /// Sends what the gateway says on its own; nothing while silent.
    async fn send_auto(&mut self, msg: Message) -> Flow {
        if self.silent {
            return Ok(());
        }
        self.send(msg).await
    }

    async fn send_all(&mut self, msgs: Vec<Message>) -> Flow {
        for msg in msgs {
            self.send_auto(msg).await?;
        }
        Ok(())
    }

    /// Sends a close frame, then waits for the client's reply so it is recorded
    /// and the client sees a clean closing handshake.
    async fn close(&mut self, code: u16) -> Flow {
        if self.peer_closed {
            return Ok(());
        }
        let frame = CloseFrame {
            code: CloseCode::from(code),
            reason: "".into(),
        };
        self.leaving |= ends_session(code);
        self.send(Message::Close(Some(frame))).await?;
        self.drain_incoming().await;
        Err(End)
    }

    fn reset(&mut self) -> Flow {
        // Linger 0 makes the drop send RST instead of FIN; nothing blocks.
        #[allow(deprecated)]
        let result = self.ws.get_ref().set_linger(Some(Duration::ZERO));
        if let Err(error) = result {
            debug!(index = self.index, %error, "SO_LINGER failed; connection ends with FIN");
        }
        Err(End)
    }

    // ---- receiving --------------------------------------------------------

    async fn on_frame(&mut self, frame: Option<Result<Message, WsError>>) -> Flow {
        let msg = match frame {
            None => return Err(End),
            Some(Err(error)) => {
                debug!(index = self.index, %error, "read failed");
                return Err(End);
            }
            Some(Ok(msg)) => msg,
        };
        self.state.record_msg(self.index, Dir::In, &msg);
        match msg {
            Message::Text(text) => self.on_text(text.as_str()).await,
            Message::Binary(bytes) => self.on_binary(&bytes).await,
            Message::Close(frame) => {
                let code = frame.map(|f| u16::from(f.code));
                self.leaving |= code.is_some_and(ends_session);
                self.state.closed_by_client(self.index, code);
                // tungstenite queues the echo and flushes it on the next read.
                self.state
                    .record(self.index, Dir::Out, RecordedFrame::Close(code));
                self.peer_closed = true;
                Ok(())
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Ok(()),
        }
    }

    async fn on_text(&mut self, text: &str) -> Flow {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return self.close(DECODE_FAILED).await;
        };
        let Some(op) = value.get("op").and_then(Value::as_u64) else {
            return self.close(DECODE_FAILED).await;
        };
        let d = value.get("d").unwrap_or(&Value::Null);
        match op {
            0 => self.on_identify(d).await,
            1 => self.on_select_protocol(d).await,
            3 => self.on_heartbeat(d).await,
            7 => self.on_resume(d).await,
            // Speaking, DAVE Transition Ready, MLS Invalid Commit Welcome:
            // accepted (and recorded) once authenticated.
            5 | 23 | 31 if self.session.is_none() => self.close(NOT_AUTHENTICATED).await,
            #[cfg(feature = "dave")]
            23 | 31 => self.on_dave_transition(op, d).await,
            #[cfg(not(feature = "dave"))]
            23 | 31 => Ok(()),
            5 => {
                // Media is allowed once a Speaking with a non-zero mode came.
                if let Some(bound) = &self.session {
                    if d.get("speaking")
                        .and_then(Value::as_u64)
                        .is_some_and(|s| s != 0)
                    {
                        self.state.udp.speaking(bound.ssrc);
                    }
                }
                Ok(())
            }
            // Anything else, server-to-client ops included (already recorded).
            _ => self.close(UNKNOWN_OPCODE).await,
        }
    }

    /// Client binary frames are `[op][payload]` with no seq (docs/protocol.md).
    async fn on_binary(&mut self, bytes: &[u8]) -> Flow {
        match bytes.first() {
            None => self.close(DECODE_FAILED).await,
            // MLS Key Package, MLS Commit Welcome.
            Some(26 | 28) if self.session.is_none() => self.close(NOT_AUTHENTICATED).await,
            #[cfg(feature = "dave")]
            Some(&op @ (26 | 28)) => {
                self.on_dave_binary(op, &bytes[1..]);
                Ok(())
            }
            #[cfg(not(feature = "dave"))]
            Some(26 | 28) => Ok(()),
            Some(_) => self.close(UNKNOWN_OPCODE).await,
        }
    }

    async fn on_identify(&mut self, d: &Value) -> Flow {
        if self.session.is_some() {
            return self.close(ALREADY_AUTHENTICATED).await;
        }
        let fields = ["server_id", "user_id", "session_id", "token"].map(|k| str_field(d, k));
        let [Some(_), Some(_), Some(session_id), Some(token)] = fields else {
            return self.close(BAD_REQUEST).await;
        };
        if !self.state.attempt(session_id) {
            return self.close(RATE_LIMITED).await;
        }
        let client_dave = d
            .get("max_dave_protocol_version")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        #[cfg(feature = "dave")]
        if client_dave == 0
            && self
                .state
                .config
                .dave_calls
                .as_ref()
                .is_some_and(|c| c.require_dave)
        {
            return self.close(E2EE_REQUIRED).await;
        }
        let dave = u64::from(self.state.config.dave_protocol_version).min(client_dave) as u16;
        let identity = Identity {
            session_id: session_id.to_owned(),
            token: token.to_owned(),
            dave_protocol_version: dave,
        };
        let bound = self.state.identify(self.index, self.tx.clone(), identity);
        self.state.udp.expect(bound.ssrc);
        self.session = Some(bound.clone());
        self.fire(|t| matches!(t, Trigger::BeforeReady)).await?;
        // A Ready that is not sent (silence) leaves the session unresumable.
        if !self.silent && !self.peer_closed {
            self.announced = true;
            let pending = std::mem::take(&mut self.pending);
            let after_ready = self.state.ready(&bound, pending);
            let ready = wire::ready(
                bound.ssrc,
                self.state.port,
                self.state.config.heartbeat_interval_ms,
            );
            self.send(Message::text(ready)).await?;
            self.send_all(after_ready).await?;
            // Its call hears of it (op 11) only once it has Ready.
            #[cfg(feature = "dave")]
            if let [Some(server_id), Some(user_id), _, _] = fields {
                let channel_id = str_field(d, "channel_id");
                self.state.join_call(&bound, server_id, user_id, channel_id);
            }
        }
        self.fire(|t| matches!(t, Trigger::AfterReady)).await
    }

    async fn on_resume(&mut self, d: &Value) -> Flow {
        if self.session.is_some() {
            return self.close(ALREADY_AUTHENTICATED).await;
        }
        let (Some(session_id), Some(token)) = (str_field(d, "session_id"), str_field(d, "token"))
        else {
            return self.close(BAD_REQUEST).await;
        };
        let seq_ack = match d.get("seq_ack") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_i64() {
                Some(n) if (-1..=i64::from(u16::MAX)).contains(&n) => Some(n),
                _ => return self.close(BAD_REQUEST).await,
            },
        };
        if let Some(n) = seq_ack {
            self.state.seq_ack(self.index, n);
        }
        if !self.state.attempt(session_id) {
            return self.close(RATE_LIMITED).await;
        }
        if let Some(code) = self.refuse_resume {
            // A refused session is gone for good, as on Discord.
            self.state.forget_session(session_id);
            return self.close(code).await;
        }
        let pending = std::mem::take(&mut self.pending);
        let resumed = self.state.resume(
            self.index,
            self.tx.clone(),
            session_id,
            token,
            seq_ack,
            pending,
        );
        let (bound, replay) = match resumed {
            Ok(resumed) => resumed,
            Err(refusal) => {
                debug!(index = self.index, ?refusal, "resume refused");
                return self.close(SESSION_INVALID).await;
            }
        };
        self.session = Some(bound);
        self.fire(|t| matches!(t, Trigger::BeforeReady)).await?;
        // The session had Ready once: it stays resumable whatever happens here.
        self.announced = true;
        self.send_auto(Message::text(wire::RESUMED)).await?;
        self.send_all(replay).await?;
        // Pushes scheduled at BeforeReady follow the replay.
        for push in std::mem::take(&mut self.pending) {
            self.push(push).await?;
        }
        self.fire(|t| matches!(t, Trigger::AfterReady)).await
    }

    async fn on_heartbeat(&mut self, d: &Value) -> Flow {
        // Discord answers string or float nonces with 4020.
        let Some(nonce) = d.get("t").filter(|t| t.is_i64() || t.is_u64()) else {
            return self.close(BAD_REQUEST).await;
        };
        let ack = Message::text(wire::heartbeat_ack(nonce));
        if let Some(n) = d.get("seq_ack").and_then(Value::as_i64) {
            self.state.seq_ack(self.index, n);
        }
        self.heartbeats = self.heartbeats.saturating_add(1);
        let now = Instant::now();
        match self.acks {
            AckMode::Immediate if self.delayed_acks.is_empty() => self.send_auto(ack).await?,
            // Still behind delayed ones: it must not overtake them.
            AckMode::Immediate => self.delay_ack(now, ack),
            AckMode::Withheld => {}
            AckMode::Delayed(delay) => {
                if let Some(due) = now.checked_add(delay) {
                    self.delay_ack(due, ack);
                }
            }
        }
        let n = self.heartbeats;
        self.fire(move |t| matches!(t, Trigger::AfterHeartbeats(k) if *k == n))
            .await
    }

    /// Queues an ACK; ACKs go out in the order of their heartbeats (a shorter
    /// delay set later waits behind longer ones already queued).
    fn delay_ack(&mut self, due: Instant, ack: Message) {
        if self.delayed_acks.len() >= MAX_DELAYED_ACKS {
            debug!(index = self.index, "too many delayed ACKs; dropping one");
            return;
        }
        self.delayed_acks.push_back((due, ack));
    }

    async fn on_select_protocol(&mut self, d: &Value) -> Flow {
        let Some(bound) = self.session.clone() else {
            return self.close(NOT_AUTHENTICATED).await;
        };
        if let Some(protocol) = d.get("protocol").and_then(Value::as_str) {
            if protocol != "udp" {
                return self.close(UNKNOWN_PROTOCOL).await;
            }
        }
        let requested = d
            .get("data")
            .and_then(|data| data.get("mode"))
            .and_then(Value::as_str);
        let mode = match requested {
            None => wire::MODES[0],
            Some(mode) => match wire::MODES.iter().find(|m| **m == mode) {
                Some(mode) => mode,
                None => return self.close(UNKNOWN_MODE).await,
            },
        };
        // In a call, the call's version rules (0 while it is in passthrough).
        #[cfg(feature = "dave")]
        let version = self
            .state
            .with_call(&bound, |call, _| call.protocol_version())
            .map_or(bound.dave_protocol_version, |v| {
                v.min(bound.dave_protocol_version)
            });
        #[cfg(not(feature = "dave"))]
        let version = bound.dave_protocol_version;
        let description = wire::session_description(mode, bound.ssrc, version);
        let key = wire::secret_key(bound.ssrc);
        self.state.udp.describe(bound.ssrc, mode, &key, version);
        self.send_auto(Message::text(description)).await?;
        #[cfg(feature = "dave")]
        self.state.with_call(&bound, |call, user| {
            if let Err(error) = call.handle_protocol_selected(crate::call::now(), user, version) {
                debug!(%error, "DAVE protocol selection");
            }
        });
        Ok(())
    }

    async fn on_timer(&mut self) -> Flow {
        let now = Instant::now();
        while self
            .delayed_acks
            .front()
            .is_some_and(|(due, _)| *due <= now)
        {
            if let Some((_, ack)) = self.delayed_acks.pop_front() {
                self.send_auto(ack).await?;
            }
        }
        let opened = self.opened;
        self.fire(|t| match t {
            Trigger::After(after) => opened.checked_add(*after).is_some_and(|due| due <= now),
            _ => false,
        })
        .await
    }

    // ---- the plan ---------------------------------------------------------

    async fn fire(&mut self, matches: impl Fn(&Trigger) -> bool) -> Flow {
        for i in 0..self.steps.len() {
            if self.fired[i] || !matches(&self.steps[i].when) {
                continue;
            }
            self.fired[i] = true;
            let action = self.steps[i].action.clone();
            self.act(action).await?;
        }
        Ok(())
    }

    async fn act(&mut self, action: Action) -> Flow {
        match action {
            Action::WithholdAcks => {
                self.acks = AckMode::Withheld;
                Ok(())
            }
            Action::DelayAcks(delay) => {
                self.acks = if delay.is_zero() {
                    AckMode::Immediate
                } else {
                    AckMode::Delayed(delay)
                };
                Ok(())
            }
            Action::Close(code) => self.close(code).await,
            Action::Reset => self.reset(),
            Action::GoSilent => {
                self.silent = true;
                self.delayed_acks.clear();
                Ok(())
            }
            Action::RefuseResume(code) => {
                self.refuse_resume = Some(code);
                Ok(())
            }
            Action::Push(push) => self.push(push).await,
            Action::SendMalformed => self.send(Message::text(wire::MALFORMED)).await,
            Action::SendUnknownOp => {
                self.send(Message::text(wire::UNKNOWN_OP_TEXT)).await?;
                let binary = ServerPush::DaveBinary {
                    op: wire::UNKNOWN_BINARY_OP,
                    payload: vec![0xde, 0xad],
                };
                let msgs = match &self.session {
                    Some(bound) => self
                        .state
                        .push_from(self.index, bound, &binary, &mut self.rx),
                    None => Some(vec![binary.encode(0)]),
                };
                let Some(mut msgs) = msgs else { return Ok(()) };
                // Pushes from outside numbered earlier go out first, as
                // queued (nothing while silent); this step's frame goes
                // out even then.
                let own = msgs.pop();
                self.send_all(msgs).await?;
                match own {
                    Some(msg) => self.send(msg).await,
                    None => Ok(()),
                }
            }
            Action::SendOversized(len) => self.send(Message::text(wire::oversized(len))).await,
            Action::PushOversized(len) => self.push(ServerPush::oversized(len)).await,
            Action::SendShortBinary => {
                self.send(Message::binary(wire::SHORT_BINARY.to_vec()))
                    .await
            }
            Action::CorruptDave => {
                self.corrupt_dave = true;
                Ok(())
            }
        }
    }

    async fn push(&mut self, push: ServerPush) -> Flow {
        if !push.is_replayable() {
            return self.send_auto(push.encode(0)).await;
        }
        let bound = match &self.session {
            Some(bound) if self.announced => bound.clone(),
            // Nothing numbered goes out before Ready.
            _ => {
                self.pending.push(push);
                return Ok(());
            }
        };
        let Some(msgs) = self
            .state
            .push_from(self.index, &bound, &push, &mut self.rx)
        else {
            return Ok(());
        };
        // Pushes from outside got lower seqs; they go out first.
        self.send_all(msgs).await
    }
}

/// DAVE inputs for the call the connection's session sits in (feature `dave`).
#[cfg(feature = "dave")]
impl Conn {
    /// Ops 23 (Transition Ready) and 31 (Invalid Commit Welcome). Outside a
    /// call they are only recorded, as without the feature.
    async fn on_dave_transition(&mut self, op: u64, d: &Value) -> Flow {
        let Some(bound) = self.session.clone() else {
            return Ok(());
        };
        let transition_id = d
            .get("transition_id")
            .and_then(Value::as_u64)
            .and_then(|id| u16::try_from(id).ok());
        let handled = self.state.with_call(&bound, |call, user| {
            let Some(id) = transition_id else {
                return false;
            };
            let now = crate::call::now();
            let result = if op == 23 {
                call.handle_transition_ready(now, user, id)
            } else {
                call.handle_invalid_commit_welcome(now, user, id)
            };
            if let Err(error) = result {
                debug!(%error, op, "DAVE transition message");
            }
            true
        });
        match handled {
            // In a call, a transition message without its id is a bad request.
            Some(false) => self.close(BAD_REQUEST).await,
            _ => Ok(()),
        }
    }

    /// Ops 26 (Key Package) and 28 (Commit Welcome). What the call refuses is
    /// recorded in its log; the socket stays up, as a key package racing a
    /// downgrade is no client bug.
    fn on_dave_binary(&mut self, op: u8, payload: &[u8]) {
        let Some(bound) = self.session.clone() else {
            return;
        };
        self.state.with_call(&bound, |call, user| {
            let now = crate::call::now();
            let result = if op == 26 {
                call.handle_key_package(now, user, payload)
            } else {
                call.handle_commit_welcome(now, user, payload).map(drop)
            };
            if let Err(error) = result {
                debug!(%error, op, "DAVE message refused");
            }
        });
    }
}

fn str_field<'a>(d: &'a Value, key: &str) -> Option<&'a str> {
    d.get(key).and_then(Value::as_str)
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
