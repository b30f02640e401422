//! A DAVE client as discord.js drives `davey` (`DAVESession.ts`): davey's
//! `DaveSession` (an independent implementation on OpenMLS) fed the voice
//! gateway's messages as they are on the wire, per Discord's DAVE protocol
//! description: JSON `d` payloads for ops 11, 13, 21, 22, 24 and the binary
//! payloads (after `[seq][op]`) of ops 25, 27, 29, 30.

#![allow(dead_code)] // Each test binary uses part of it.

use std::collections::{BTreeMap, BTreeSet};
use std::num::NonZeroU16;

use davey::{DaveSession, MediaType, ProposalsOperationType};
use serde_json::Value;

pub(crate) const V1: NonZeroU16 = NonZeroU16::MIN;

/// A 20 ms Opus frame's worth of bytes (not silence: silence passes through).
pub(crate) const OPUS: [u8; 48] = [
    0x78, 0x0b, 0x1c, 0x2f, 0x91, 0x3a, 0x44, 0x5e, 0x60, 0x71, 0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7,
    0xe8, 0xf9, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x60, 0x71, 0x82, 0x93, 0xa4, 0xb5, 0xc6, 0xd7,
    0xe8, 0xf9, 0x0a, 0x1b, 0x2c, 0x3d, 0x4e, 0x5f, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
];

/// Every client is in `group` at `epoch`, with the same privacy code, and
/// decrypts an Opus frame every other one encrypts.
pub(crate) fn assert_one_group(
    clients: &mut BTreeMap<u64, Client>,
    epoch: u64,
    group: &BTreeSet<u64>,
) {
    assert!(epoch >= 1, "no group");
    let ids: BTreeSet<u64> = clients.keys().copied().collect();
    assert_eq!(group, &ids);
    let mut codes = BTreeSet::new();
    for client in clients.values() {
        let who = client.user_id;
        assert_eq!(
            client.session.epoch().map(|e| e.as_u64()),
            Some(epoch),
            "user {who}"
        );
        assert!(client.session.can_encrypt(), "user {who}");
        let users: BTreeSet<u64> = client
            .session
            .get_user_ids()
            .expect("group")
            .into_iter()
            .collect();
        assert_eq!(users, ids, "user {who}");
        codes.insert(
            client
                .session
                .voice_privacy_code()
                .expect("privacy code")
                .to_owned(),
        );
    }
    assert_eq!(codes.len(), 1, "privacy codes differ: {codes:?}");
    for &from in &ids {
        let sender = clients.get_mut(&from).expect("sender");
        let frame = sender
            .session
            .encrypt_opus(&OPUS)
            .expect("encrypt")
            .into_owned();
        assert_ne!(frame[..], OPUS[..]);
        for &to in ids.iter().filter(|&&to| to != from) {
            let receiver = clients.get_mut(&to).expect("receiver");
            let plain = receiver
                .session
                .decrypt(from, MediaType::AUDIO, &frame)
                .unwrap_or_else(|e| panic!("{to} decrypting {from}: {e:?}"));
            assert_eq!(plain, OPUS, "{to} decrypting {from}");
        }
    }
}

/// What a client sends the gateway.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// op 26.
    KeyPackage(Vec<u8>),
    /// op 28: the commit, then the welcome if any.
    CommitWelcome {
        commit: Vec<u8>,
        welcome: Option<Vec<u8>>,
    },
    /// op 23.
    Ready(u16),
    /// op 31.
    Invalid(u16),
}

impl Reply {
    /// The client-to-server wire frame: `[op][payload]` binary, or JSON text.
    pub(crate) fn wire(&self) -> Result<Vec<u8>, String> {
        match self {
            Reply::KeyPackage(kp) => Ok([&[26u8][..], kp].concat()),
            Reply::CommitWelcome { commit, welcome } => {
                Ok([&[28u8][..], commit, welcome.as_deref().unwrap_or_default()].concat())
            }
            Reply::Ready(id) => Err(format!(r#"{{"op":23,"d":{{"transition_id":{id}}}}}"#)),
            Reply::Invalid(id) => Err(format!(r#"{{"op":31,"d":{{"transition_id":{id}}}}}"#)),
        }
    }
}

pub(crate) struct Client {
    pub(crate) user_id: u64,
    pub(crate) channel_id: u64,
    pub(crate) session: DaveSession,
    pub(crate) protocol_version: u16,
    /// Users the gateway said are in the call (ops 11 and 13), and itself.
    pub(crate) known: BTreeSet<u64>,
    /// Ops received, in order.
    pub(crate) ops: Vec<u8>,
    /// Transition Ready is never sent (a slow or broken client).
    pub(crate) mute_ready: bool,
    pub(crate) errors: Vec<String>,
    /// Transitions prepared and not yet executed: until they are, media
    /// still goes out under the previous epoch's key.
    pub(crate) pending_transitions: BTreeSet<u16>,
}

impl Client {
    pub(crate) fn new(user_id: u64, channel_id: u64) -> Self {
        Self {
            user_id,
            channel_id,
            session: DaveSession::new(V1, user_id, channel_id, None).expect("session"),
            protocol_version: 1,
            known: BTreeSet::from([user_id]),
            ops: Vec::new(),
            mute_ready: false,
            errors: Vec::new(),
            pending_transitions: BTreeSet::new(),
        }
    }

    pub(crate) fn key_package(&mut self) -> Reply {
        Reply::KeyPackage(self.session.create_key_package().expect("key package"))
    }

    fn known(&self) -> Vec<u64> {
        self.known.iter().copied().collect()
    }

    /// A transition was prepared: Transition Ready, unless it is 0 (executed
    /// at once) or the client is mute.
    fn ready(&mut self, transition_id: u16) -> Vec<Reply> {
        if transition_id != 0 {
            self.pending_transitions.insert(transition_id);
        }
        if transition_id == 0 || self.mute_ready {
            return Vec::new();
        }
        vec![Reply::Ready(transition_id)]
    }

    /// discord.js `recoverFromInvalidTransition`: op 31, then a fresh key package.
    fn recover(&mut self, transition_id: u16, error: String) -> Vec<Reply> {
        self.errors.push(error);
        self.session
            .reinit(V1, self.user_id, self.channel_id, None)
            .expect("reinit");
        vec![Reply::Invalid(transition_id), self.key_package()]
    }

    fn reinit(&mut self) -> Vec<Reply> {
        self.session
            .reinit(V1, self.user_id, self.channel_id, None)
            .expect("reinit");
        vec![self.key_package()]
    }

    /// A JSON message's `op` and `d`.
    pub(crate) fn on_json(&mut self, op: u8, d: &Value) -> Vec<Reply> {
        self.ops.push(op);
        let id = |key: &str| d[key].as_u64().expect("a number") as u16;
        let user = |v: &Value| -> u64 { v.as_str().expect("a string id").parse().expect("a u64") };
        match op {
            11 => {
                self.known
                    .extend(d["user_ids"].as_array().expect("ids").iter().map(user));
                Vec::new()
            }
            13 => {
                self.known.remove(&user(&d["user_id"]));
                Vec::new()
            }
            21 => {
                let (transition_id, version) = (id("transition_id"), id("protocol_version"));
                self.session
                    .prepare_transition(transition_id, version)
                    .expect("prepare");
                if version == 0 {
                    self.session.set_passthrough_mode(true, Some(120));
                }
                if transition_id == 0 {
                    self.protocol_version = version;
                }
                self.ready(transition_id)
            }
            22 => {
                self.pending_transitions.remove(&id("transition_id"));
                let executed = self
                    .session
                    .execute_transition(id("transition_id"))
                    .expect("execute");
                if executed && self.session.epoch().is_none() {
                    self.protocol_version = 0;
                }
                Vec::new()
            }
            24 => {
                if d["epoch"] == 1 {
                    self.protocol_version = id("protocol_version");
                    return self.reinit();
                }
                Vec::new()
            }
            // Ready, Session Description and the like are the gateway's business.
            _ => Vec::new(),
        }
    }

    /// A binary message's op and payload (the bytes after `[seq][op]`).
    pub(crate) fn on_binary(&mut self, op: u8, payload: &[u8]) -> Vec<Reply> {
        self.ops.push(op);
        match op {
            25 => {
                self.session
                    .set_external_sender(payload)
                    .expect("external sender");
                Vec::new()
            }
            27 => {
                let operation = match payload[0] {
                    0 => ProposalsOperationType::APPEND,
                    1 => ProposalsOperationType::REVOKE,
                    other => panic!("operation type {other}"),
                };
                let known = self.known();
                match self
                    .session
                    .process_proposals(operation, &payload[1..], Some(&known))
                {
                    Ok(Some(cw)) => vec![Reply::CommitWelcome {
                        commit: cw.commit,
                        welcome: cw.welcome,
                    }],
                    Ok(None) => Vec::new(),
                    Err(error) => {
                        self.errors.push(format!("proposals: {error:?}"));
                        Vec::new()
                    }
                }
            }
            29 => {
                let transition_id = u16::from_be_bytes([payload[0], payload[1]]);
                match self.session.process_commit(&payload[2..]) {
                    Ok(true) => {
                        self.session
                            .prepare_transition(transition_id, self.protocol_version)
                            .expect("prepare");
                        self.ready(transition_id)
                    }
                    Ok(false) => Vec::new(),
                    Err(error) => self.recover(transition_id, format!("commit: {error:?}")),
                }
            }
            30 => {
                let transition_id = u16::from_be_bytes([payload[0], payload[1]]);
                let known = self.known();
                match self.session.process_welcome(&payload[2..], Some(&known)) {
                    Ok(()) => {
                        self.session
                            .prepare_transition(transition_id, self.protocol_version)
                            .expect("prepare");
                        self.ready(transition_id)
                    }
                    Err(error) => self.recover(transition_id, format!("welcome: {error:?}")),
                }
            }
            other => panic!("unexpected binary op {other}"),
        }
    }
}
