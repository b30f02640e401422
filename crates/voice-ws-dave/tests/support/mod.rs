//! A simulated DAVE call: the simulator's delivery service (the MLS
//! external sender, `voice_ws_sim::dave`, built on OpenMLS) and one
//! [`Handshake`] per member, wired without sockets and without sleeps.
//!
//! Every server message reaches a member the way it would from a socket:
//! binary DAVE frames are `[seq][op][payload]` with the sim's payload bytes,
//! JSON messages are written out as Discord's docs show them, and both go
//! through `voice_ws_proto`'s decoder. The MLS bytes come from the sim
//! (proposals, the external sender) and from the other members' davey
//! sessions (commits, welcomes), never from the member under test.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use bytes::Bytes;
use voice_ws_dave::{DaveConfig, DaveEvent, Handshake};
use voice_ws_proto::codec::{decode_binary, decode_text};
use voice_ws_proto::{ClientMessage, Event, ServerMessage};
use voice_ws_sim::dave::{DaveConfig as SimConfig, DaveMessage, DeliveryService};

/// The voice channel: the MLS group id.
pub(crate) const CHANNEL: u64 = 127121515262115840;

/// One member's side: its handshake and what it saw.
pub(crate) struct Member {
    pub(crate) dave: Handshake,
    pub(crate) events: Vec<DaveEvent>,
    pub(crate) sent: Vec<ClientMessage>,
    seq: u16,
    /// While offline (socket dropped, not yet resumed), the gateway buffers
    /// what it sends, as Discord's v8 buffered resume does.
    pub(crate) offline: bool,
    held: VecDeque<ServerMessage>,
    /// Applied to the next op 29 or 30 for this member, then cleared.
    pub(crate) tamper: Option<fn(&mut Vec<u8>)>,
    /// `tamper` spares welcomes (op 30): only a commit is spoiled.
    pub(crate) tamper_commits_only: bool,
}

pub(crate) struct Call {
    pub(crate) now: Instant,
    pub(crate) service: DeliveryService,
    pub(crate) members: BTreeMap<u64, Member>,
    /// Every op 29 the gateway sent, as (transition id, commit).
    pub(crate) announced: Vec<(u16, Bytes)>,
}

impl Call {
    pub(crate) fn new() -> Self {
        Self::with(SimConfig::new(CHANNEL))
    }

    pub(crate) fn with(config: SimConfig) -> Self {
        Self {
            now: Instant::now(),
            service: DeliveryService::new(config).expect("delivery service"),
            members: BTreeMap::new(),
            announced: Vec::new(),
        }
    }

    /// `user` identifies (Ready), selects its protocol and gets Session
    /// Description with `version`; the gateway then runs the DAVE flow.
    pub(crate) fn join(&mut self, user: u64, version: u16) {
        self.join_with(user, version, |_| {});
    }

    /// [`Call::join`], with `setup` applied to the member before anything
    /// reaches it (to spoil what it will receive, say).
    pub(crate) fn join_with(&mut self, user: u64, version: u16, setup: impl FnOnce(&mut Member)) {
        let member = self.members.entry(user).or_insert_with(|| Member {
            dave: Handshake::new(DaveConfig::default(), user, CHANNEL),
            events: Vec::new(),
            sent: Vec::new(),
            seq: 0,
            offline: false,
            held: VecDeque::new(),
            tamper: None,
            tamper_commits_only: false,
        });
        member.offline = false;
        member.held.clear();
        setup(member);
        self.service
            .handle_connect(self.now, user)
            .expect("connect");
        self.deliver_event(user, &ready());
        self.deliver_event(user, &session_description(version));
        self.service
            .handle_protocol_selected(self.now, user, version)
            .expect("protocol selected");
        self.run();
    }

    /// `user`'s session ends for good.
    pub(crate) fn leave(&mut self, user: u64) {
        self.service
            .handle_disconnect(self.now, user)
            .expect("disconnect");
        self.members.remove(&user);
        self.run();
    }

    /// `user`'s socket drops; messages for it are held until it resumes.
    pub(crate) fn drop_socket(&mut self, user: u64) {
        self.members.get_mut(&user).expect("member").offline = true;
    }

    /// `user` resumes: Resumed, then the messages it missed, in order.
    pub(crate) fn resume(&mut self, user: u64) {
        self.deliver_event(user, &Event::Resumed);
        let member = self.members.get_mut(&user).expect("member");
        member.offline = false;
        let held: Vec<_> = member.held.drain(..).collect();
        for message in held {
            self.deliver(user, message);
        }
        self.run();
    }

    /// Moves the clock (the sim's transition timeouts).
    pub(crate) fn advance(&mut self, by: Duration) {
        self.now += by;
        self.service.handle_timeout(self.now);
        self.run();
    }

    /// Delivers everything until nobody has anything more to say.
    pub(crate) fn run(&mut self) {
        for _ in 0..10_000 {
            let mut progress = false;
            while let Some(out) = self.service.poll_transmit() {
                progress = true;
                if !self.members.contains_key(&out.to) {
                    continue;
                }
                let message = wire(&out.message, self.next_seq(out.to));
                if let ServerMessage::DaveMlsAnnounceCommitTransition {
                    transition_id,
                    commit,
                } = &message
                {
                    self.announced.push((*transition_id, commit.clone()));
                }
                let member = self.members.get_mut(&out.to).expect("member");
                if member.offline {
                    member.held.push_back(message);
                } else {
                    self.deliver(out.to, message);
                }
            }
            let users: Vec<u64> = self.members.keys().copied().collect();
            for user in users {
                let member = self.members.get_mut(&user).expect("member");
                if member.offline {
                    continue;
                }
                let mut outgoing = Vec::new();
                while let Some(m) = member.dave.poll_transmit() {
                    outgoing.push(m);
                }
                while let Some(e) = member.dave.poll_event() {
                    member.events.push(e);
                }
                for message in outgoing {
                    progress = true;
                    member_sent(self, user, message);
                }
            }
            if !progress {
                return;
            }
        }
        panic!("the call never went quiet");
    }

    fn next_seq(&mut self, user: u64) -> u16 {
        let member = self.members.get_mut(&user).expect("member");
        member.seq = member.seq.wrapping_add(1);
        member.seq
    }

    fn deliver(&mut self, user: u64, message: ServerMessage) {
        let member = self.members.get_mut(&user).expect("member");
        let message = match (member.tamper, message) {
            (
                Some(tamper),
                ServerMessage::DaveMlsAnnounceCommitTransition {
                    transition_id,
                    commit,
                },
            ) => {
                member.tamper = None;
                let mut bytes = commit.to_vec();
                tamper(&mut bytes);
                ServerMessage::DaveMlsAnnounceCommitTransition {
                    transition_id,
                    commit: bytes.into(),
                }
            }
            (
                Some(tamper),
                ServerMessage::DaveMlsWelcome {
                    transition_id,
                    welcome,
                },
            ) if !member.tamper_commits_only => {
                member.tamper = None;
                let mut bytes = welcome.to_vec();
                tamper(&mut bytes);
                ServerMessage::DaveMlsWelcome {
                    transition_id,
                    welcome: bytes.into(),
                }
            }
            (_, message) => message,
        };
        member.dave.handle_message(&message);
    }

    pub(crate) fn deliver_event(&mut self, user: u64, event: &Event) {
        let member = self.members.get_mut(&user).expect("member");
        member.dave.handle_event(event);
    }

    /// Every member's epoch and privacy code agree; returns the epoch.
    pub(crate) fn agreed_epoch(&self) -> u64 {
        let mut seen = None;
        for (user, member) in &self.members {
            let view = (
                member.dave.epoch().expect("established"),
                member.dave.voice_privacy_code().expect("code").to_owned(),
            );
            match &seen {
                None => seen = Some(view),
                Some(first) => assert_eq!(first, &view, "user {user} disagrees"),
            }
        }
        seen.expect("members").0
    }

    pub(crate) fn member(&self, user: u64) -> &Member {
        self.members.get(&user).expect("member")
    }

    pub(crate) fn member_mut(&mut self, user: u64) -> &mut Member {
        self.members.get_mut(&user).expect("member")
    }

    /// Errors `user` reported since the last call.
    pub(crate) fn take_events(&mut self, user: u64) -> Vec<DaveEvent> {
        std::mem::take(&mut self.member_mut(user).events)
    }
}

/// A member's client message reaches the gateway.
fn member_sent(call: &mut Call, user: u64, message: ClientMessage) {
    let now = call.now;
    call.member_mut(user).sent.push(message.clone());
    let service = &mut call.service;
    match message {
        ClientMessage::DaveMlsKeyPackage(bytes) => {
            service
                .handle_key_package(now, user, &bytes)
                .expect("key package");
        }
        ClientMessage::DaveMlsCommitWelcome(bytes) => {
            // Losing commits are ignored, as on Discord.
            let _ = service.handle_commit_welcome(now, user, &bytes);
        }
        ClientMessage::DaveTransitionReady { transition_id } => {
            service
                .handle_transition_ready(now, user, transition_id)
                .expect("ready");
        }
        ClientMessage::DaveMlsInvalidCommitWelcome { transition_id } => {
            service
                .handle_invalid_commit_welcome(now, user, transition_id)
                .expect("invalid commit welcome");
        }
        other => panic!("not a DAVE message: {other:?}"),
    }
}

/// The gateway's message as a member decodes it from its socket.
fn wire(message: &DaveMessage, seq: u16) -> ServerMessage {
    if let Some(payload) = message.binary_payload() {
        let mut frame = Vec::with_capacity(payload.len() + 3);
        frame.extend_from_slice(&seq.to_be_bytes());
        frame.push(message.op());
        frame.extend_from_slice(&payload);
        return decode_binary(Bytes::from(frame))
            .expect("binary frame")
            .message;
    }
    let d = match message {
        DaveMessage::ClientsConnect { user_ids } => {
            let ids: Vec<String> = user_ids.iter().map(|u| format!("\"{u}\"")).collect();
            format!(r#"{{"user_ids":[{}]}}"#, ids.join(","))
        }
        DaveMessage::ClientDisconnect { user_id } => format!(r#"{{"user_id":"{user_id}"}}"#),
        DaveMessage::PrepareTransition {
            transition_id,
            protocol_version,
        } => {
            format!(r#"{{"protocol_version":{protocol_version},"transition_id":{transition_id}}}"#)
        }
        DaveMessage::ExecuteTransition { transition_id } => {
            format!(r#"{{"transition_id":{transition_id}}}"#)
        }
        DaveMessage::PrepareEpoch {
            epoch,
            protocol_version,
        } => format!(r#"{{"protocol_version":{protocol_version},"epoch":{epoch}}}"#),
        other => panic!("unexpected message {other:?}"),
    };
    let text = format!(r#"{{"op":{},"seq":{seq},"d":{d}}}"#, message.op());
    decode_text(&text).expect("JSON frame").message
}

pub(crate) fn ready() -> Event {
    let text = r#"{"op":2,"d":{"ssrc":1,"ip":"127.0.0.1","port":1234,"modes":["aead_aes256_gcm_rtpsize"]}}"#;
    match decode_text(text).unwrap().message {
        ServerMessage::Ready(ready) => Event::Ready(ready),
        other => panic!("{other:?}"),
    }
}

pub(crate) fn session_description(version: u16) -> Event {
    let key: Vec<String> = (0..32).map(|i| i.to_string()).collect();
    let text = format!(
        r#"{{"op":4,"d":{{"mode":"aead_aes256_gcm_rtpsize","secret_key":[{}],"dave_protocol_version":{version}}}}}"#,
        key.join(",")
    );
    match decode_text(&text).unwrap().message {
        ServerMessage::SessionDescription(sd) => Event::SessionDescription(sd),
        other => panic!("{other:?}"),
    }
}

/// The errors among `events`.
pub(crate) fn errors(events: &[DaveEvent]) -> Vec<voice_ws_dave::DaveError> {
    events
        .iter()
        .filter_map(|e| match e {
            DaveEvent::Error(error) => Some(error.clone()),
            _ => None,
        })
        .collect()
}
