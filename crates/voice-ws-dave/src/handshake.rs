//! The DAVE handshake: server messages in, client messages and events out.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::num::NonZeroU16;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::string::{String, ToString};
use std::sync::Arc;
use std::vec::Vec;

use bytes::{BufMut, Bytes, BytesMut};
use davey::errors::{ProcessCommitError, ProcessProposalsError, ProcessWelcomeError};
use davey::{DaveSession, ProposalsOperationType};
use voice_ws_proto::{ClientMessage, Credentials, Event, ServerMessage};

use crate::config::DaveConfig;
use crate::error::IdError;
use crate::media::{DaveMedia, Shared};
use crate::roster::Roster;
use crate::{DaveError, DaveEvent};

/// The highest DAVE protocol version this crate speaks: what to offer in
/// `Credentials::max_dave_protocol_version`.
pub const MAX_PROTOCOL_VERSION: u16 = davey::DAVE_PROTOCOL_VERSION;

/// The transition id that means "execute now" (op 21, and commits or
/// welcomes of a (re)initialisation).
const INIT_TRANSITION: u16 = 0;

/// The epoch op 24 announces when the group is created or re-created.
const NEW_GROUP_EPOCH: u64 = 1;

/// One voice session's DAVE state machine. See the [crate] docs for the
/// loop that drives it.
pub struct Handshake {
    config: DaveConfig,
    user_id: u64,
    channel_id: u64,
    shared: Arc<Shared>,
    roster: Roster,
    /// The version the server last announced (op 4, 21, 24): what a commit
    /// or welcome moves the group to.
    target_version: u16,
    /// The version our media is sent with (the last one executed).
    version: u16,
    /// Op 25 as received, kept for a session created after it arrived.
    external_sender: Option<Bytes>,
    /// Transitions prepared and not executed, with their protocol version.
    pending: BTreeMap<u16, u16>,
    /// The transition of the welcome that made us a member: its commit
    /// (op 29, same transition id) created the epoch we joined.
    welcomed: Option<u16>,
    /// A commit (op 29) we could not apply because we are not in the group
    /// yet: a welcome for its transition should follow. If the transition
    /// executes first, none came (our own group-creating commit arrived
    /// spoiled, say) and we flag it with op 31 instead of waiting forever.
    awaiting_welcome: Option<u16>,
    established: bool,
    decryptable: BTreeSet<u64>,
    privacy_code: Option<String>,
    transmits: VecDeque<ClientMessage>,
    events: VecDeque<DaveEvent>,
    dropped: u64,
}

impl core::fmt::Debug for Handshake {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Handshake")
            .field("user_id", &self.user_id)
            .field("channel_id", &self.channel_id)
            .field("version", &self.version)
            .field("target_version", &self.target_version)
            .field("established", &self.established)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl Handshake {
    /// A handshake for `user_id` (us) in the voice channel `channel_id`
    /// (the MLS group). Until the Session Description says which protocol
    /// version the call uses, media is refused ([`MediaError::NotReady`](crate::MediaError::NotReady)).
    pub fn new(config: DaveConfig, user_id: u64, channel_id: u64) -> Self {
        Self {
            roster: Roster::new(user_id, config.max_roster),
            config,
            user_id,
            channel_id,
            shared: Shared::new(),
            target_version: 0,
            version: 0,
            external_sender: None,
            pending: BTreeMap::new(),
            welcomed: None,
            awaiting_welcome: None,
            established: false,
            decryptable: BTreeSet::new(),
            privacy_code: None,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            dropped: 0,
        }
    }

    /// A handshake for the user and channel of these credentials.
    pub fn from_credentials(
        config: DaveConfig,
        credentials: &Credentials,
    ) -> Result<Self, IdError> {
        let parse = |field: &'static str, value: &str| {
            value.parse::<u64>().map_err(|_| IdError {
                field,
                value: value.into(),
            })
        };
        let user_id = parse("user_id", &credentials.user_id)?;
        let channel_id = parse("channel_id", &credentials.channel_id)?;
        Ok(Self::new(config, user_id, channel_id))
    }

    /// New credentials: a new voice session, perhaps as another user or in
    /// another channel. Everything of the old session is forgotten (as on
    /// [`handle_session_end`](Self::handle_session_end)) and the group is
    /// rebuilt when the new session says so; every [`DaveMedia`] already
    /// handed out stays valid and follows the new group. On ids that are
    /// not snowflakes nothing changes.
    pub fn update_credentials(&mut self, credentials: &Credentials) -> Result<(), IdError> {
        let next = Self::from_credentials(self.config, credentials)?;
        self.handle_session_end();
        self.user_id = next.user_id;
        self.channel_id = next.channel_id;
        self.roster = next.roster;
        Ok(())
    }

    // ---- getters ----

    /// A handle for the media thread: encrypt ours, decrypt theirs.
    pub fn media(&self) -> DaveMedia {
        DaveMedia::new(self.shared.clone())
    }

    /// The DAVE protocol version our media is sent with (0: in clear).
    pub fn protocol_version(&self) -> u16 {
        self.version
    }

    /// Whether we are a member of an established MLS group.
    pub fn is_established(&self) -> bool {
        self.established
    }

    /// The group's epoch, once established.
    pub fn epoch(&self) -> Option<u64> {
        if !self.established {
            return None;
        }
        self.shared
            .lock()
            .as_ref()
            .and_then(|s| s.epoch())
            .map(|e| e.as_u64())
    }

    /// The voice privacy code of the latest epoch (30 digits), if any.
    pub fn voice_privacy_code(&self) -> Option<&str> {
        self.privacy_code.as_deref()
    }

    /// The group's members (us included), once established.
    pub fn members(&self) -> Vec<u64> {
        if !self.established {
            return Vec::new();
        }
        self.shared
            .lock()
            .as_ref()
            .and_then(|s| s.get_user_ids())
            .unwrap_or_default()
    }

    /// Whether the voice gateway told us `user_id` is in the call.
    pub fn expects(&self, user_id: u64) -> bool {
        self.roster.contains(user_id)
    }

    /// The transitions prepared and waiting for op 22.
    pub fn pending_transitions(&self) -> impl Iterator<Item = u16> + '_ {
        self.pending.keys().copied()
    }

    // ---- outputs ----

    /// The next client message to send (`Session::send`): ops 23, 26, 28, 31.
    pub fn poll_transmit(&mut self) -> Option<ClientMessage> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<DaveEvent> {
        if self.dropped > 0 {
            let dropped = core::mem::take(&mut self.dropped);
            return Some(DaveEvent::Error(DaveError::Overflow(dropped)));
        }
        self.events.pop_front()
    }

    // ---- inputs ----

    /// Feeds one of the session's events; the ones DAVE does not need are
    /// ignored. This is all a driver has to call.
    pub fn handle_event(&mut self, event: &Event) {
        match event {
            Event::Ready(_) => self.handle_ready(),
            Event::SessionDescription(sd) => {
                self.handle_session_description(sd.dave_protocol_version)
            }
            Event::Resumed => self.handle_resumed(),
            Event::Message(incoming) => self.handle_message(&incoming.message),
            Event::Reconnecting { resume: false, .. }
            | Event::SessionInvalidated { .. }
            | Event::Stopped { .. }
            | Event::Fatal { .. } => self.handle_session_end(),
            _ => {}
        }
    }

    /// Feeds one server message; the ones DAVE does not need are ignored.
    pub fn handle_message(&mut self, message: &ServerMessage) {
        match message {
            ServerMessage::ClientsConnect(c) => self.handle_clients_connect(&c.user_ids),
            ServerMessage::ClientDisconnect(c) => self.handle_client_disconnect(c.user_id),
            ServerMessage::DavePrepareTransition(t) => {
                self.handle_prepare_transition(t.transition_id, t.protocol_version)
            }
            ServerMessage::DaveExecuteTransition(t) => {
                self.handle_execute_transition(t.transition_id)
            }
            ServerMessage::DavePrepareEpoch(e) => {
                self.handle_prepare_epoch(e.epoch, e.protocol_version)
            }
            ServerMessage::DaveMlsExternalSender(package) => self.handle_external_sender(package),
            ServerMessage::DaveMlsProposals(payload) => self.handle_proposals(payload),
            ServerMessage::DaveMlsAnnounceCommitTransition {
                transition_id,
                commit,
            } => self.handle_commit(*transition_id, commit),
            ServerMessage::DaveMlsWelcome {
                transition_id,
                welcome,
            } => self.handle_welcome(*transition_id, welcome),
            _ => {}
        }
    }

    /// Ready: a new voice session. The server knows nothing of our group:
    /// it is rebuilt from the Session Description that follows. The
    /// roster stays (op 11 may precede Ready); it was cleared when the
    /// previous session ended.
    pub fn handle_ready(&mut self) {
        self.reset();
    }

    /// Resumed: the voice session survived a socket drop, and so does the
    /// group; the server replays what we missed, pending transitions
    /// included.
    pub fn handle_resumed(&mut self) {}

    /// The voice session is over (invalidated, stopped, fatal, or a new
    /// Identify ahead): everything, roster included, is forgotten, and
    /// media is refused until the next session says otherwise.
    pub fn handle_session_end(&mut self) {
        self.reset();
        self.roster.clear();
    }

    /// Op 4's `dave_protocol_version`: 0 is a call in clear; otherwise a
    /// group for that version is prepared and a key package sent.
    pub fn handle_session_description(&mut self, dave_protocol_version: u16) {
        self.target_version = dave_protocol_version;
        self.version = dave_protocol_version;
        if dave_protocol_version == 0 {
            *self.shared.lock() = None;
            self.shared.set_passthrough(true);
        } else {
            self.shared.set_passthrough(false);
            self.init_group(dave_protocol_version);
        }
    }

    /// Op 11: these users are in the call; their add proposals are accepted.
    pub fn handle_clients_connect(&mut self, user_ids: &[u64]) {
        for &user in user_ids {
            if !self.roster.connect(user) {
                self.emit(DaveEvent::Error(DaveError::RosterFull(user)));
            }
        }
    }

    /// Op 13: this user left; an add proposal for them is refused until
    /// they connect again.
    pub fn handle_client_disconnect(&mut self, user_id: u64) {
        self.roster.disconnect(user_id);
    }

    /// Op 21: a transition to `protocol_version` is coming. Receivers get
    /// ready (keys for the new epoch; frames in clear accepted for a
    /// downgrade) and say so with op 23; transition 0 executes at once.
    pub fn handle_prepare_transition(&mut self, transition_id: u16, protocol_version: u16) {
        if transition_id != INIT_TRANSITION
            && !self.pending.contains_key(&transition_id)
            && self.pending.len() >= self.config.max_pending_transitions
        {
            self.emit(DaveEvent::Error(DaveError::TooManyTransitions(
                transition_id,
            )));
            return;
        }
        self.target_version = protocol_version;
        let prepared = self.with_session(|s| {
            let result = s.prepare_transition(transition_id, protocol_version);
            if protocol_version == 0 {
                // Downgrade: the others may switch to clear before we execute.
                s.set_passthrough_mode(true, None);
            }
            result.map_err(|e| e.to_string())
        });
        if let Some(Err(reason) | Ok(Err(reason))) = prepared {
            self.emit(DaveEvent::Error(DaveError::Transition {
                transition_id,
                reason,
            }));
        }
        self.sync_members();
        self.finish_prepare(transition_id, protocol_version);
    }

    /// Op 22: the transition takes effect for our media.
    pub fn handle_execute_transition(&mut self, transition_id: u16) {
        if self.awaiting_welcome == Some(transition_id) {
            self.awaiting_welcome = None;
            self.invalid(DaveError::InvalidCommit {
                transition_id,
                reason: "the transition executed before we could apply its commit or got a \
                         welcome into it"
                    .into(),
            });
            return;
        }
        let Some(protocol_version) = self.pending.remove(&transition_id) else {
            self.emit(DaveEvent::Error(DaveError::UnknownTransition(
                transition_id,
            )));
            return;
        };
        let executed = self.with_session(|s| {
            s.execute_transition(transition_id)
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
        if let Some(Err(reason) | Ok(Err(reason))) = executed {
            self.emit(DaveEvent::Error(DaveError::Transition {
                transition_id,
                reason,
            }));
        }
        self.executed(transition_id, protocol_version);
    }

    /// Op 24: a new epoch is coming. Epoch 1 means the group is created
    /// again (an upgrade, or we are the sole member left): our MLS state is
    /// reset and a new key package sent. Any other epoch keeps the group.
    pub fn handle_prepare_epoch(&mut self, epoch: u64, protocol_version: Option<u16>) {
        let version = protocol_version.unwrap_or(self.target_version);
        if epoch != NEW_GROUP_EPOCH {
            return;
        }
        self.target_version = version;
        if version == 0 {
            return;
        }
        self.init_group(version);
    }

    /// Op 25: the voice gateway's external sender (credential and key).
    pub fn handle_external_sender(&mut self, package: &[u8]) {
        self.external_sender = Some(Bytes::copy_from_slice(package));
        let set = self.with_session(|s| s.set_external_sender(package).map_err(|e| e.to_string()));
        if let Some(Err(reason) | Ok(Err(reason))) = set {
            self.emit(DaveEvent::Error(DaveError::ExternalSender(reason)));
        }
    }

    /// Op 27: `[operation][proposals or refs]`. Proposals are appended (only
    /// adds of expected users and removes, from the external sender) or
    /// revoked, and a commit with its welcome (op 28) answers them.
    pub fn handle_proposals(&mut self, payload: &[u8]) {
        let Some((&operation, proposals)) = payload.split_first() else {
            self.emit(DaveEvent::Error(DaveError::EmptyProposals));
            return;
        };
        let operation = match operation {
            0 => ProposalsOperationType::APPEND,
            1 => ProposalsOperationType::REVOKE,
            op => {
                self.emit(DaveEvent::Error(DaveError::UnknownProposalsOperation(op)));
                return;
            }
        };
        let expected = self.roster.expected();
        let processed =
            self.with_session(|s| s.process_proposals(operation, proposals, Some(&expected)));
        match processed {
            // The protocol: proposals without a local group are ignored.
            None | Some(Ok(Ok(None))) | Some(Ok(Err(ProcessProposalsError::NoGroup))) => {}
            Some(Ok(Ok(Some(commit_welcome)))) => {
                let welcome = commit_welcome.welcome.unwrap_or_default();
                let mut payload =
                    BytesMut::with_capacity(commit_welcome.commit.len() + welcome.len());
                payload.put_slice(&commit_welcome.commit);
                payload.put_slice(&welcome);
                self.transmit(ClientMessage::DaveMlsCommitWelcome(payload.freeze()));
            }
            Some(Ok(Err(e))) => self.emit(DaveEvent::Error(DaveError::Proposals(e.to_string()))),
            Some(Err(reason)) => self.emit(DaveEvent::Error(DaveError::Proposals(reason))),
        }
    }

    /// Op 29: the commit the voice gateway picked for this epoch. Once
    /// processed, keys for the new epoch are prepared and op 23 sent; a
    /// commit we cannot process is flagged with op 31 and we join again.
    pub fn handle_commit(&mut self, transition_id: u16, commit: &[u8]) {
        if self.welcomed == Some(transition_id) {
            // The commit that created the epoch our welcome put us in.
            return;
        }
        let processed = self.with_session(|s| s.process_commit(commit));
        match processed {
            None | Some(Ok(Ok(false))) => {}
            // Not in the group yet: another member's commit won and our
            // welcome follows, or our own commit came back unreadable. The
            // transition's execution tells which.
            Some(Ok(Err(ProcessCommitError::CommitBeforeWelcome))) => {
                self.awaiting_welcome = Some(transition_id);
            }
            Some(Ok(Ok(true))) => self.joined(transition_id),
            Some(Ok(Err(e))) => self.invalid(DaveError::InvalidCommit {
                transition_id,
                reason: e.to_string(),
            }),
            Some(Err(reason)) => self.invalid(DaveError::InvalidCommit {
                transition_id,
                reason,
            }),
        }
    }

    /// Op 30: a welcome into the group. Every member it names must be
    /// expected (op 11). Once processed, keys are prepared and op 23 sent;
    /// a welcome we cannot process is flagged with op 31 and we join again.
    pub fn handle_welcome(&mut self, transition_id: u16, welcome: &[u8]) {
        let expected = self.roster.expected();
        let processed = self.with_session(|s| s.process_welcome(welcome, Some(&expected)));
        match processed {
            None => self.emit(DaveEvent::Error(DaveError::NoSession {
                op: voice_ws_proto::codec::op::DAVE_MLS_WELCOME,
            })),
            Some(Ok(Ok(()))) => {
                self.awaiting_welcome = None;
                self.welcomed = Some(transition_id);
                self.joined(transition_id);
            }
            Some(Ok(Err(ProcessWelcomeError::AlreadyInGroup))) => self.emit(DaveEvent::Error(
                DaveError::WelcomeWhileInGroup(transition_id),
            )),
            Some(Ok(Err(e))) => self.invalid(DaveError::InvalidWelcome {
                transition_id,
                reason: e.to_string(),
            }),
            Some(Err(reason)) => self.invalid(DaveError::InvalidWelcome {
                transition_id,
                reason,
            }),
        }
    }

    // ---- internals ----

    /// Runs `f` on the session under the shared lock: `None` without a
    /// session, `Some(Err(reason))` when davey or a library under it
    /// panicked (tls_codec's decoders assert on some malformed input in
    /// debug builds). A server message must never take the task down;
    /// unwinding is caught before it leaves the lock, so the lock is not
    /// poisoned.
    fn with_session<T>(
        &mut self,
        f: impl FnOnce(&mut DaveSession) -> T,
    ) -> Option<Result<T, String>> {
        let mut guard = self.shared.lock();
        let session = guard.as_mut()?;
        Some(catch_unwind(AssertUnwindSafe(|| f(session))).map_err(panic_reason))
    }

    /// Reads (or nudges) the session under the shared lock; `None` without
    /// one. Only for calls that take no server input.
    fn peek<T>(&self, f: impl FnOnce(&mut DaveSession) -> T) -> Option<T> {
        self.shared.lock().as_mut().map(f)
    }

    /// (Re)creates our MLS state for `version` (a pending group of our own
    /// once the external sender is known) and sends a fresh key package.
    fn init_group(&mut self, version: u16) {
        let Some(nonzero) = NonZeroU16::new(version) else {
            return;
        };
        if version > MAX_PROTOCOL_VERSION {
            self.emit(DaveEvent::Error(DaveError::UnsupportedVersion(version)));
            return;
        }
        self.pending.clear();
        self.welcomed = None;
        self.awaiting_welcome = None;
        self.established = false;
        let (user_id, channel_id) = (self.user_id, self.channel_id);
        let passthrough = self.version == 0;
        let external_sender = self.external_sender.clone();
        let result = {
            let mut guard = self.shared.lock();
            let ready = match guard.as_mut() {
                // Keeps the current keys until the next transition, so
                // media goes on while the group is rebuilt.
                Some(session) => session
                    .reinit(nonzero, user_id, channel_id, None)
                    .map_err(|e| DaveError::KeyPackage(e.to_string())),
                None => match DaveSession::new(nonzero, user_id, channel_id, None) {
                    Ok(mut session) => {
                        let set = match &external_sender {
                            Some(package) => session
                                .set_external_sender(package)
                                .map_err(|e| DaveError::ExternalSender(e.to_string())),
                            None => Ok(()),
                        };
                        *guard = Some(session);
                        set
                    }
                    Err(e) => Err(DaveError::KeyPackage(e.to_string())),
                },
            };
            match (ready, guard.as_mut()) {
                (Err(e), _) => Err(e),
                (Ok(()), None) => Err(DaveError::KeyPackage("no session".into())),
                (Ok(()), Some(session)) => {
                    if passthrough {
                        // An upgrade: the others send in clear until it executes.
                        session.set_passthrough_mode(true, None);
                    }
                    session
                        .create_key_package()
                        .map_err(|e| DaveError::KeyPackage(e.to_string()))
                }
            }
        };
        match result {
            Ok(key_package) => self.transmit(ClientMessage::DaveMlsKeyPackage(key_package.into())),
            Err(e) => self.emit(DaveEvent::Error(e)),
        }
        self.sync_code();
    }

    /// A commit or welcome made us a member of a new epoch.
    fn joined(&mut self, transition_id: u16) {
        let epoch = self
            .peek(|s| s.epoch().map(|e| e.as_u64()))
            .flatten()
            .unwrap_or_default();
        let event = if self.established {
            DaveEvent::EpochChanged {
                transition_id,
                epoch,
            }
        } else {
            DaveEvent::GroupEstablished {
                transition_id,
                epoch,
            }
        };
        self.established = true;
        self.emit(event);
        if transition_id != INIT_TRANSITION
            && !self.pending.contains_key(&transition_id)
            && self.pending.len() >= self.config.max_pending_transitions
        {
            // The group moved on: the oldest unexecuted transition is stale.
            self.pending.pop_first();
        }
        let version = self.target_version;
        let prepared = self.with_session(|s| {
            s.prepare_transition(transition_id, version)
                .map_err(|e| e.to_string())
        });
        if let Some(Err(reason) | Ok(Err(reason))) = prepared {
            self.emit(DaveEvent::Error(DaveError::Transition {
                transition_id,
                reason,
            }));
        }
        self.sync_members();
        self.finish_prepare(transition_id, version);
    }

    /// After a prepare: transition 0 is executed now, any other waits for
    /// op 22 and is announced ready with op 23.
    fn finish_prepare(&mut self, transition_id: u16, version: u16) {
        if transition_id == INIT_TRANSITION {
            self.executed(transition_id, version);
        } else {
            self.pending.insert(transition_id, version);
            self.transmit(ClientMessage::DaveTransitionReady { transition_id });
        }
        self.sync_code();
    }

    /// A transition took effect (davey already switched its keys).
    fn executed(&mut self, transition_id: u16, protocol_version: u16) {
        let upgrade = self.version == 0 && protocol_version != 0;
        self.version = protocol_version;
        if protocol_version == 0 {
            // davey dropped the group; keys of the old epoch stay for
            // frames in flight.
            self.established = false;
            self.welcomed = None;
            self.decryptable.clear();
            self.shared.set_passthrough(true);
        } else {
            self.shared.set_passthrough(false);
            if upgrade {
                let grace = self.config.passthrough_grace_secs;
                self.peek(|s| s.set_passthrough_mode(false, Some(grace)));
            }
        }
        self.emit(DaveEvent::TransitionExecuted {
            transition_id,
            protocol_version,
        });
        self.sync_code();
    }

    /// The group was rejected: op 31 for its transition, then a fresh key
    /// package for a group of the same version.
    fn invalid(&mut self, error: DaveError) {
        let transition_id = match &error {
            DaveError::InvalidCommit { transition_id, .. }
            | DaveError::InvalidWelcome { transition_id, .. } => *transition_id,
            _ => return,
        };
        self.transmit(ClientMessage::DaveMlsInvalidCommitWelcome { transition_id });
        self.emit(DaveEvent::Error(error));
        let version = self.target_version.max(1);
        self.init_group(version);
    }

    /// Forgets the group: a new voice session, or none.
    fn reset(&mut self) {
        *self.shared.lock() = None;
        self.shared.set_passthrough(false);
        self.target_version = 0;
        self.version = 0;
        self.external_sender = None;
        self.pending.clear();
        self.welcomed = None;
        self.awaiting_welcome = None;
        self.established = false;
        self.decryptable.clear();
        self.sync_code();
    }

    /// Announces members whose media we can now decrypt.
    fn sync_members(&mut self) {
        let me = self.user_id;
        let members = self
            .peek(|s| if s.is_ready() { s.get_user_ids() } else { None })
            .flatten()
            .unwrap_or_default();
        let current: BTreeSet<u64> = members.into_iter().filter(|&u| u != me).collect();
        let new: Vec<u64> = current.difference(&self.decryptable).copied().collect();
        self.decryptable = current;
        for user_id in new {
            self.emit(DaveEvent::MemberDecryptable { user_id });
        }
    }

    /// Announces a new voice privacy code.
    fn sync_code(&mut self) {
        let code = self
            .peek(|s| s.voice_privacy_code().map(String::from))
            .flatten();
        if code != self.privacy_code {
            self.privacy_code = code.clone();
            self.emit(DaveEvent::PrivacyCodeChanged { code });
        }
    }

    fn transmit(&mut self, message: ClientMessage) {
        if self.transmits.len() >= self.config.max_transmits {
            self.dropped += 1;
        } else {
            self.transmits.push_back(message);
        }
    }

    fn emit(&mut self, event: DaveEvent) {
        if self.events.len() >= self.config.max_events {
            self.dropped += 1;
        } else {
            self.events.push_back(event);
        }
    }
}

/// What a caught panic said, as an error reason.
pub(crate) fn panic_reason(payload: Box<dyn core::any::Any + Send>) -> String {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("the MLS library panicked: {message}")
}
