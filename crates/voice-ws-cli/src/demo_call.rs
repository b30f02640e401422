//! The demo's DAVE call (feature `dave`): the simulator runs a real call
//! (its MLS delivery service), the demo's bot joins it through the tokio
//! driver's handshake, a second participant joins, the two agree on an
//! epoch and a privacy code, one Opus frame crosses end-to-end encrypted,
//! and the second participant leaves.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::StreamExt;
use voice_ws_proto::codec::{SelectProtocol, ServerMessage};
use voice_ws_proto::dave::DaveEvent;
use voice_ws_proto::{ClientMessage, Credentials, Event, Token};
use voice_ws_sim::{Action, ConnectionPlan, DaveCalls, ServerPush, SimConfig};
use voice_ws_tokio::dave::DaveMedia;
use voice_ws_tokio::{DriverConfig, Handle};

use crate::output::say;
use crate::timeline::Timeline;

/// The voice channel of the demo's credentials: the call's MLS group id.
pub(crate) const CHANNEL_ID: u64 = 127_121_515_262_115_840;
/// The bot's user id (the demo's credentials).
const BOT: u64 = 104_694_319_306_248_192;
/// The second participant.
const PEER: u64 = 158_049_329_150_427_137;
/// A 20 ms Opus frame of 120 bytes (DAVE does not look inside).
const OPUS_FRAME: [u8; 120] = {
    let mut frame = [0u8; 120];
    let mut i = 0;
    while i < frame.len() {
        frame[i] = (i as u8).wrapping_mul(31).wrapping_add(7);
        i += 1;
    }
    frame
};

/// The demo scenario with a real DAVE call in place of its scripted DAVE
/// frames, and room for the second participant's connection (accepted
/// second, while the bot's first is up).
pub(crate) fn sim_config(mut config: SimConfig) -> SimConfig {
    for plan in &mut config.plans {
        plan.steps
            .retain(|s| !matches!(s.action, Action::Push(ServerPush::DaveBinary { .. })));
    }
    let at = config.plans.len().min(1);
    config.plans.insert(at, ConnectionPlan::new());
    config.with_dave_calls(DaveCalls::default().with_channel_id(CHANNEL_ID))
}

/// What the second participant's handshake said.
#[derive(Debug, Default)]
struct PeerSeen {
    executed_v1: bool,
    privacy_code: Option<String>,
}

/// The second participant: its own connection, its events read by a task.
struct Peer {
    handle: Handle,
    media: DaveMedia,
    seen: Arc<Mutex<PeerSeen>>,
}

/// The DAVE half of the demo: the second participant and the checks.
pub(crate) struct DemoCall {
    bot_media: DaveMedia,
    peer: Option<Peer>,
    bot_executed_v1: bool,
    bot_code: Option<String>,
    epoch: Option<u64>,
    formed: Option<u64>,
    codes_match: bool,
    peer_joined: bool,
    frame: Option<usize>,
    /// The privacy code both saw when the group formed.
    formed_code: Option<String>,
    leaving: bool,
    /// Op 13 for the participant, after it left.
    peer_left: bool,
    /// A transition the bot executed after the participant left.
    moved_on: Option<u16>,
}

impl DemoCall {
    pub(crate) fn new(bot: &Handle) -> Self {
        Self {
            bot_media: bot.dave_media(),
            peer: None,
            bot_executed_v1: false,
            bot_code: None,
            epoch: None,
            formed: None,
            codes_match: false,
            peer_joined: false,
            frame: None,
            formed_code: None,
            leaving: false,
            peer_left: false,
            moved_on: None,
        }
    }

    /// After each of the bot's events: the second participant joins once
    /// the bot has its Session Description; the frame crosses once both
    /// have executed the group's first transition; then the participant
    /// leaves, and the bot's group moves on.
    pub(crate) fn after_event(
        &mut self,
        event: &Event,
        bot_credentials: &Credentials,
        timeline: Option<&Timeline>,
    ) {
        match event {
            Event::SessionDescription(_) if self.peer.is_none() => {
                self.peer = Some(join_peer(bot_credentials));
                note(timeline, "DAVE: a second participant joins the call");
            }
            Event::Message(m) => match &m.message {
                ServerMessage::ClientsConnect(c) => self.peer_joined |= c.user_ids.contains(&PEER),
                ServerMessage::ClientDisconnect(c) => {
                    self.peer_left |= self.leaving && c.user_id == PEER;
                }
                _ => {}
            },
            Event::Dave(dave) => self.observe(dave),
            _ => {}
        }
        self.try_frame(timeline);
    }

    fn observe(&mut self, event: &DaveEvent) {
        match event {
            DaveEvent::GroupEstablished { epoch, .. } | DaveEvent::EpochChanged { epoch, .. } => {
                self.epoch = Some(*epoch);
            }
            DaveEvent::TransitionExecuted {
                transition_id,
                protocol_version,
            } => {
                self.bot_executed_v1 = *protocol_version == 1;
                if self.peer_left {
                    self.moved_on.get_or_insert(*transition_id);
                }
            }
            DaveEvent::PrivacyCodeChanged { code } => self.bot_code.clone_from(code),
            _ => {}
        }
    }

    /// Once both executed version 1 with the same code: the bot encrypts a
    /// frame, the participant decrypts it, and leaves.
    fn try_frame(&mut self, timeline: Option<&Timeline>) {
        if self.frame.is_some() || !self.bot_executed_v1 {
            return;
        }
        let Some(peer) = &self.peer else { return };
        let (peer_ready, peer_code) = {
            let seen = peer.seen.lock().unwrap_or_else(PoisonError::into_inner);
            (seen.executed_v1, seen.privacy_code.clone())
        };
        if !peer_ready || peer_code.is_none() {
            return;
        }
        self.formed = self.epoch;
        self.codes_match = peer_code == self.bot_code;
        self.formed_code.clone_from(&self.bot_code);
        if let Some(code) = &self.bot_code {
            note(
                timeline,
                &format!(
                    "DAVE: group formed at epoch {}; privacy code {code}",
                    self.epoch.unwrap_or(0)
                ),
            );
        }
        let Ok(sealed) = self.bot_media.encrypt_opus(&OPUS_FRAME) else {
            return;
        };
        let opened = peer.media.decrypt(BOT, &sealed);
        if sealed[..] != OPUS_FRAME[..] && opened.as_deref() == Ok(&OPUS_FRAME[..]) {
            self.frame = Some(sealed.len());
            note(
                timeline,
                &format!(
                    "DAVE: Opus frame of {} bytes encrypted by the bot ({} bytes), decrypted by the participant",
                    OPUS_FRAME.len(),
                    sealed.len()
                ),
            );
            self.leaving = true;
            let handle = peer.handle.clone();
            tokio::spawn(async move { handle.close().await });
            note(timeline, "DAVE: the second participant leaves");
        }
    }

    /// The checked items, in order.
    pub(crate) fn items(&self) -> Vec<(String, bool)> {
        vec![
            (
                "DAVE: second participant joined (op 11)".into(),
                self.peer_joined,
            ),
            (
                format!(
                    "DAVE: group formed with it, epoch {}",
                    self.formed.map_or("-".into(), |e| e.to_string())
                ),
                self.formed.is_some(),
            ),
            (
                format!(
                    "DAVE: same privacy code on both sides ({})",
                    self.formed_code.as_deref().unwrap_or("-")
                ),
                self.codes_match,
            ),
            (
                "DAVE: Opus frame encrypted by one, decrypted by the other".into(),
                self.frame.is_some(),
            ),
            (
                format!(
                    "DAVE: second participant left (op 13), the bot's group moved on (transition {})",
                    self.moved_on.map_or("-".into(), |t| t.to_string())
                ),
                self.moved_on.is_some(),
            ),
        ]
    }

    /// Connections the simulator should have accepted: the bot's and the
    /// participant's one.
    pub(crate) fn connections(bot: usize) -> usize {
        bot + 1
    }
}

fn note(timeline: Option<&Timeline>, text: &str) {
    match timeline {
        Some(timeline) => timeline.note(text),
        None => say!(
            "{}",
            serde_json::json!({"event": "demo_note", "note": text})
        ),
    }
}

/// Connects the second participant; a task reads its events and selects
/// the protocol after Ready, which starts its handshake.
fn join_peer(bot: &Credentials) -> Peer {
    let credentials = Credentials {
        user_id: PEER.to_string(),
        session_id: "demo-session-peer".into(),
        token: Token::new("demo-token-peer-not-secret"),
        ..bot.clone()
    };
    let (handle, mut events) = voice_ws_tokio::spawn(DriverConfig::default(), credentials);
    let seen = Arc::new(Mutex::new(PeerSeen::default()));
    let log = seen.clone();
    let media = handle.dave_media();
    let selector = handle.clone();
    tokio::spawn(async move {
        while let Some(event) = events.next().await {
            match event {
                Event::Ready(_) => {
                    let select = SelectProtocol::new(
                        "127.0.0.1".into(),
                        50_001,
                        "aead_aes256_gcm_rtpsize".into(),
                    );
                    if selector
                        .send(ClientMessage::SelectProtocol(select))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
                Event::Dave(DaveEvent::TransitionExecuted {
                    protocol_version, ..
                }) => {
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .executed_v1 = protocol_version == 1;
                }
                Event::Dave(DaveEvent::PrivacyCodeChanged { code }) => {
                    log.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .privacy_code = code;
                }
                _ => {}
            }
        }
    });
    Peer {
        handle,
        media,
        seen,
    }
}
