//! The delivery service of one call: inputs in (`handle_*`), messages for
//! members out (`poll_transmit`), no socket and no clock.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Instant;

use super::commit::{self, ParsedCommit};
use super::config::DaveConfig;
use super::error::DaveError;
use super::external_sender::ExternalSenderKey;
use super::key_package::{self, ValidKeyPackage};
use super::message::{DaveMessage, Outgoing, ProposalsOperation};
use super::stats::{DaveEvent, DaveStats};
use super::tls::write_vector;
use super::transition::{Transition, Transitions};
use super::tree::{Leaf, Tree};
use super::welcome::SplitWelcome;

/// Events kept for [`DeliveryService::poll_event`]; more are counted, not kept.
const MAX_EVENTS: usize = 1024;

/// What became of a commit (op 28).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommitOutcome {
    /// Picked: announced to the group (op 29) and welcomes sent (op 30).
    Picked {
        /// The epoch the group moves to.
        epoch: u64,
        /// The transition that executes it.
        transition_id: u16,
    },
    /// Not announced, with the reason (another commit won, a proposal is
    /// missing or extra, wrong epoch or group, ...).
    Ignored(&'static str),
}

/// One member of the call, as the delivery service knows it.
#[derive(Debug, Clone, Default)]
struct Member {
    /// Negotiated a DAVE protocol version > 0.
    capable: bool,
    /// Op 25 went out to it: it has (or can make) a local group.
    has_sender: bool,
    /// Its latest valid key package, until a welcome for it goes out.
    key_package: Option<ValidKeyPackage>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Add { user_id: u64 },
    Remove { leaf: u32, user_id: u64 },
}

/// A proposal broadcast in the current epoch and not yet committed.
#[derive(Debug, Clone)]
struct InFlight {
    reference: Vec<u8>,
    message: Vec<u8>,
    kind: Kind,
    sent_to: BTreeSet<u64>,
    /// Waiting for the batch to go out ([`DaveConfig::proposal_batch`]).
    queued: bool,
}

/// The MLS external sender and delivery service of one call (protocol
/// description, "Delivery Service").
///
/// After every input, drain [`poll_transmit`](Self::poll_transmit) (each
/// message goes to one member, in order) and call
/// [`handle_timeout`](Self::handle_timeout) at [`poll_timeout`](Self::poll_timeout).
/// An input that returns an error changed nothing.
pub struct DeliveryService {
    config: DaveConfig,
    sender: ExternalSenderKey,
    members: BTreeMap<u64, Member>,
    protocol_version: u16,
    downgrading: bool,
    established: bool,
    epoch: u64,
    tree: Tree,
    in_flight: Vec<InFlight>,
    transitions: Transitions,
    out: VecDeque<Outgoing>,
    events: VecDeque<DaveEvent>,
    stats: DaveStats,
    /// The `now` of the latest input.
    clock: Option<Instant>,
    /// When the queued proposals go out.
    batch_deadline: Option<Instant>,
}

impl std::fmt::Debug for DeliveryService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryService")
            .field("group_id", &self.config.group_id)
            .field("protocol_version", &self.protocol_version)
            .field("epoch", &self.epoch)
            .field("members", &self.members.len())
            .finish_non_exhaustive()
    }
}

impl DeliveryService {
    /// A call with no members and a fresh external sender key pair.
    ///
    /// # Errors
    /// [`DaveError::UnsupportedVersion`] for a protocol version above 1;
    /// [`DaveError::Mls`] if the key pair cannot be made.
    pub fn new(config: DaveConfig) -> Result<Self, DaveError> {
        if config.protocol_version > 1 {
            return Err(DaveError::UnsupportedVersion(config.protocol_version));
        }
        Ok(Self {
            protocol_version: config.protocol_version,
            config,
            sender: ExternalSenderKey::generate()?,
            members: BTreeMap::new(),
            downgrading: false,
            established: false,
            epoch: 0,
            tree: Tree::default(),
            in_flight: Vec::new(),
            transitions: Transitions::default(),
            out: VecDeque::new(),
            events: VecDeque::new(),
            stats: DaveStats::default(),
            clock: None,
            batch_deadline: None,
        })
    }

    // ---- getters ------------------------------------------------------------

    /// The configuration.
    pub fn config(&self) -> &DaveConfig {
        &self.config
    }

    /// Op 25's payload, the TLS-serialised `ExternalSender`.
    pub fn external_sender_package(&self) -> &[u8] {
        self.sender.package()
    }

    /// The call's DAVE protocol version (0: passthrough).
    pub fn protocol_version(&self) -> u16 {
        self.protocol_version
    }

    /// The group's epoch as the gateway knows it (0: no group).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Whether a commit established the group (epoch ≥ 1).
    pub fn is_established(&self) -> bool {
        self.established
    }

    /// Users in the call, in id order.
    pub fn members(&self) -> Vec<u64> {
        self.members.keys().copied().collect()
    }

    /// Users in the group and not being removed, in leaf order.
    pub fn group(&self) -> Vec<u64> {
        self.valid_leaves().map(|(_, user)| user).collect()
    }

    /// Counters.
    pub fn stats(&self) -> DaveStats {
        let mut stats = self.stats.clone();
        stats.epoch = self.epoch;
        stats.protocol_version = self.protocol_version;
        stats
    }

    /// When [`handle_timeout`](Self::handle_timeout) is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let transitions = self.transitions.next_deadline();
        match (transitions, self.batch_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next message to send, and to whom.
    pub fn poll_transmit(&mut self) -> Option<Outgoing> {
        self.out.pop_front()
    }

    /// The next notable event (bounded log; see [`DaveStats::events_dropped`]).
    pub fn poll_event(&mut self) -> Option<DaveEvent> {
        self.events.pop_front()
    }

    // ---- inputs -------------------------------------------------------------

    /// `user_id` joined the call (it identified). The others get Clients
    /// Connect (op 11) with it, and it gets one with them. A user already in
    /// the call is replaced: it leaves first (op 13 to the others), so the
    /// group is rebuilt for its new session.
    ///
    /// # Errors
    /// [`DaveError::CallFull`], [`DaveError::Backlogged`].
    pub fn handle_connect(&mut self, now: Instant, user_id: u64) -> Result<(), DaveError> {
        self.reserve(now)?;
        if !self.members.contains_key(&user_id) && self.members.len() >= self.config.max_members {
            return Err(DaveError::CallFull);
        }
        if self.members.contains_key(&user_id) {
            self.leave(now, user_id);
        }
        let others = self.members();
        for &other in &others {
            self.send(
                other,
                DaveMessage::ClientsConnect {
                    user_ids: vec![user_id],
                },
            );
        }
        if !others.is_empty() {
            self.send(user_id, DaveMessage::ClientsConnect { user_ids: others });
        }
        self.members.insert(user_id, Member::default());
        Ok(())
    }

    /// `user_id` selected its protocol and got Session Description with
    /// `protocol_version`. With a version above 0 in a DAVE call, it gets the
    /// External Sender Package (op 25) and, while no group is established,
    /// the add proposals already in flight for the other pending members.
    ///
    /// # Errors
    /// [`DaveError::UnknownMember`], [`DaveError::UnsupportedVersion`],
    /// [`DaveError::Backlogged`].
    pub fn handle_protocol_selected(
        &mut self,
        now: Instant,
        user_id: u64,
        protocol_version: u16,
    ) -> Result<(), DaveError> {
        self.reserve(now)?;
        let member = self.member_mut(user_id)?;
        if protocol_version > 1 {
            return Err(DaveError::UnsupportedVersion(protocol_version));
        }
        member.capable = protocol_version > 0;
        if member.capable && self.protocol_version > 0 && !self.downgrading {
            self.give_sender(user_id);
        }
        Ok(())
    }

    /// A key package (op 26 payload) from `user_id`. Once valid, the gateway
    /// proposes adding it (op 27, append) to the group, or to the other
    /// pending members while there is no group. A newer key package replaces
    /// the older one, whose proposal is revoked.
    ///
    /// # Errors
    /// [`DaveError::InvalidKeyPackage`], [`DaveError::NotPending`] (it is in
    /// the group), [`DaveError::NotDave`], [`DaveError::UnknownMember`],
    /// [`DaveError::Backlogged`].
    pub fn handle_key_package(
        &mut self,
        now: Instant,
        user_id: u64,
        bytes: &[u8],
    ) -> Result<(), DaveError> {
        self.reserve(now)?;
        let member = self.member(user_id)?;
        if !member.capable || self.protocol_version == 0 || self.downgrading {
            return Err(DaveError::NotDave);
        }
        if self.valid_leaves().any(|(_, user)| user == user_id) {
            return Err(DaveError::NotPending(user_id));
        }
        let validated = if bytes.len() > self.config.max_key_package {
            Err(DaveError::InvalidKeyPackage("too large"))
        } else {
            key_package::validate(self.sender.provider(), bytes, user_id)
        };
        let key_package = match validated {
            Ok(key_package) => key_package,
            Err(error) => {
                self.stats.key_packages_rejected += 1;
                let reason = match error {
                    DaveError::InvalidKeyPackage(reason) => reason,
                    _ => "invalid",
                };
                self.event(DaveEvent::KeyPackageRejected { user_id, reason });
                return Err(error);
            }
        };
        self.stats.key_packages += 1;
        self.revoke_add(user_id);
        self.member_mut(user_id)?.key_package = Some(key_package);
        self.propose_add(user_id)
    }

    /// A commit and optional welcome (op 28 payload) from `user_id`. The
    /// first valid one for the proposals in flight is picked: the commit goes
    /// to the group's members (op 29) and each joiner gets its part of the
    /// welcome (op 30), under a new transition. Later ones are ignored.
    ///
    /// # Errors
    /// [`DaveError::MalformedCommit`] when it cannot be read at all;
    /// [`DaveError::UnknownMember`], [`DaveError::Backlogged`].
    pub fn handle_commit_welcome(
        &mut self,
        now: Instant,
        user_id: u64,
        bytes: &[u8],
    ) -> Result<CommitOutcome, DaveError> {
        self.reserve(now)?;
        self.member(user_id)?;
        if bytes.len() > self.config.max_commit_welcome {
            return Ok(self.ignore(user_id, "too large"));
        }
        let parsed = match commit::parse(bytes) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.ignore(user_id, "malformed");
                return Err(error);
            }
        };
        if let Err(reason) = self.check_commit(user_id, &parsed) {
            return Ok(self.ignore(user_id, reason));
        }
        Ok(self.pick(now, user_id, &parsed))
    }

    /// Transition Ready (op 23) from `user_id`. When every participant is
    /// ready, the transition is executed (op 22 to them).
    ///
    /// # Errors
    /// [`DaveError::UnknownMember`], [`DaveError::Backlogged`].
    pub fn handle_transition_ready(
        &mut self,
        now: Instant,
        user_id: u64,
        transition_id: u16,
    ) -> Result<(), DaveError> {
        self.reserve(now)?;
        self.member(user_id)?;
        if let Some(transition) = self.transitions.ready(user_id, transition_id) {
            self.execute(transition, false);
        }
        Ok(())
    }

    /// Invalid Commit Welcome (op 31) from `user_id`: the gateway proposes
    /// removing it from the group and treats it as pending again; its next
    /// key package re-adds it (protocol description, "Recovery from Invalid
    /// Commit or Welcome").
    ///
    /// # Errors
    /// [`DaveError::UnknownMember`], [`DaveError::Backlogged`].
    pub fn handle_invalid_commit_welcome(
        &mut self,
        now: Instant,
        user_id: u64,
        transition_id: u16,
    ) -> Result<(), DaveError> {
        self.reserve(now)?;
        self.member_mut(user_id)?.key_package = None;
        self.stats.invalid_commit_welcomes += 1;
        self.event(DaveEvent::InvalidCommitWelcome {
            user_id,
            transition_id,
        });
        self.forget_in_transitions(user_id);
        self.revoke_add(user_id);
        self.lose_leaf(now, user_id);
        Ok(())
    }

    /// `user_id` left the call (its session ended; not a socket drop that
    /// resumes). The others get Client Disconnect (op 13); its add proposal
    /// is revoked, or its leaf is proposed for removal.
    ///
    /// # Errors
    /// [`DaveError::UnknownMember`], [`DaveError::Backlogged`].
    pub fn handle_disconnect(&mut self, now: Instant, user_id: u64) -> Result<(), DaveError> {
        self.reserve(now)?;
        self.member(user_id)?;
        self.leave(now, user_id);
        Ok(())
    }

    /// Time passed: batched proposals go out, and transitions whose wait ran
    /// out are executed anyway.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.clock = Some(now);
        if self.batch_deadline.is_some_and(|due| due <= now) {
            self.flush_batch();
        }
        while let Some(transition) = self.transitions.pop_expired(now) {
            self.execute(transition, true);
        }
    }

    // ---- commands -----------------------------------------------------------

    /// Downgrades the call to protocol version 0 (passthrough): Prepare
    /// Transition (op 21) to the DAVE members, Execute (op 22) once they are
    /// ready; the group is then dropped. What Discord does when a member
    /// without DAVE joins (protocol description, "Downgrade to Transport-Only
    /// Encryption").
    ///
    /// # Errors
    /// [`DaveError::NotDave`] when already at version 0 or downgrading;
    /// [`DaveError::Backlogged`].
    pub fn downgrade(&mut self, now: Instant) -> Result<(), DaveError> {
        self.reserve(now)?;
        if self.protocol_version == 0 || self.downgrading {
            return Err(DaveError::NotDave);
        }
        self.downgrading = true;
        let participants: BTreeSet<u64> = self
            .members
            .iter()
            .filter(|(_, m)| m.has_sender)
            .map(|(id, _)| *id)
            .collect();
        let id = self.new_transition_id();
        for &user in &participants {
            self.send(
                user,
                DaveMessage::PrepareTransition {
                    transition_id: id,
                    protocol_version: 0,
                },
            );
        }
        self.start_transition(now, id, 0, participants);
        Ok(())
    }

    /// Upgrades a call at version 0 back to DAVE: the members get the
    /// External Sender Package (op 25) if they lack it and Prepare Epoch
    /// (op 24) with epoch 1; their key packages then create a new group
    /// (protocol description, "Upgrade from Transport-Only Encryption").
    ///
    /// # Errors
    /// [`DaveError::NotDave`] unless the call is at version 0 and not
    /// downgrading; [`DaveError::Backlogged`].
    pub fn upgrade(&mut self, now: Instant) -> Result<(), DaveError> {
        self.reserve(now)?;
        if self.protocol_version != 0 || self.downgrading {
            return Err(DaveError::NotDave);
        }
        self.protocol_version = self.config.protocol_version.max(1);
        self.stats.upgrades += 1;
        let capable: Vec<u64> = self
            .members
            .iter()
            .filter(|(_, m)| m.capable)
            .map(|(id, _)| *id)
            .collect();
        for user in capable {
            if let Some(member) = self.members.get_mut(&user) {
                member.key_package = None;
                if member.has_sender {
                    self.send(
                        user,
                        DaveMessage::PrepareEpoch {
                            epoch: 1,
                            protocol_version: self.protocol_version,
                        },
                    );
                    continue;
                }
            }
            self.give_sender(user);
            self.send(
                user,
                DaveMessage::PrepareEpoch {
                    epoch: 1,
                    protocol_version: self.protocol_version,
                },
            );
        }
        Ok(())
    }

    // ---- internals ----------------------------------------------------------

    fn member(&self, user_id: u64) -> Result<&Member, DaveError> {
        self.members
            .get(&user_id)
            .ok_or(DaveError::UnknownMember(user_id))
    }

    fn member_mut(&mut self, user_id: u64) -> Result<&mut Member, DaveError> {
        self.members
            .get_mut(&user_id)
            .ok_or(DaveError::UnknownMember(user_id))
    }

    /// Refuses an input that could overflow the outgoing queue, before it
    /// changes anything. The worst single input reaches every member a few
    /// times per transition it can complete.
    fn reserve(&mut self, now: Instant) -> Result<(), DaveError> {
        self.clock = Some(now);
        let budget = (self.config.max_transitions + 6) * (self.members.len() + 1);
        if self.out.len() + budget > self.config.max_queued {
            return Err(DaveError::Backlogged);
        }
        Ok(())
    }

    fn send(&mut self, to: u64, message: DaveMessage) {
        if matches!(message, DaveMessage::Proposals { .. }) {
            self.stats.proposals_sent += 1;
        }
        if matches!(message, DaveMessage::Welcome { .. }) {
            self.stats.welcomes_sent += 1;
        }
        self.out.push_back(Outgoing { to, message });
    }

    fn event(&mut self, event: DaveEvent) {
        if self.events.len() >= MAX_EVENTS {
            self.stats.events_dropped += 1;
            return;
        }
        self.events.push_back(event);
    }

    fn ignore(&mut self, committer: u64, reason: &'static str) -> CommitOutcome {
        self.stats.commits_ignored += 1;
        self.event(DaveEvent::CommitIgnored { committer, reason });
        CommitOutcome::Ignored(reason)
    }

    /// Group leaves not being removed: (leaf index, user id).
    fn valid_leaves(&self) -> impl Iterator<Item = (u32, u64)> + '_ {
        self.tree
            .leaves()
            .filter(|(_, l)| !l.leaving)
            .map(|(i, l)| (i, l.user_id))
    }

    /// Who gets a proposal about `subject`: the group once established,
    /// otherwise every other pending member with a local group.
    fn audience(&self, subject: u64) -> BTreeSet<u64> {
        if self.established {
            return self.valid_leaves().map(|(_, user)| user).collect();
        }
        self.members
            .iter()
            .filter(|(id, m)| **id != subject && m.has_sender)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Op 25 to `user_id`, then (no group yet) the adds already in flight.
    fn give_sender(&mut self, user_id: u64) {
        let package = self.sender.package().to_vec();
        self.send(user_id, DaveMessage::ExternalSender { package });
        if let Some(member) = self.members.get_mut(&user_id) {
            member.has_sender = true;
        }
        if self.established {
            return;
        }
        let mut body = Vec::new();
        for proposal in &mut self.in_flight {
            if proposal.queued {
                continue; // the batch reaches it when it goes out
            }
            if proposal.kind != (Kind::Add { user_id }) && proposal.sent_to.insert(user_id) {
                body.extend_from_slice(&proposal.message);
            }
        }
        if !body.is_empty() {
            self.send(
                user_id,
                DaveMessage::Proposals {
                    operation: ProposalsOperation::Append,
                    body,
                },
            );
        }
    }

    fn propose_add(&mut self, user_id: u64) -> Result<(), DaveError> {
        let Some(key_package) = self
            .members
            .get(&user_id)
            .and_then(|m| m.key_package.as_ref())
            .map(|k| k.key_package.clone())
        else {
            return Ok(());
        };
        let signed = self
            .sender
            .propose_add(key_package, self.config.group_id, self.epoch)?;
        let audience = self.audience(user_id);
        self.broadcast_proposal(signed, Kind::Add { user_id }, audience);
        Ok(())
    }

    fn propose_remove(&mut self, leaf: u32, user_id: u64) {
        match self
            .sender
            .propose_remove(leaf, self.config.group_id, self.epoch)
        {
            Ok(signed) => {
                let audience = self.audience(user_id);
                self.broadcast_proposal(signed, Kind::Remove { leaf, user_id }, audience);
            }
            Err(error) => tracing::warn!(%error, "could not sign a remove proposal"),
        }
    }

    fn broadcast_proposal(
        &mut self,
        signed: super::external_sender::SignedProposal,
        kind: Kind,
        audience: BTreeSet<u64>,
    ) {
        let window = self.config.proposal_batch;
        if let (false, Some(now)) = (window.is_zero(), self.clock) {
            self.in_flight.push(InFlight {
                reference: signed.reference,
                message: signed.message,
                kind,
                sent_to: BTreeSet::new(),
                queued: true,
            });
            self.batch_deadline.get_or_insert(now + window);
            return;
        }
        for &user in &audience {
            self.send(
                user,
                DaveMessage::Proposals {
                    operation: ProposalsOperation::Append,
                    body: signed.message.clone(),
                },
            );
        }
        self.in_flight.push(InFlight {
            reference: signed.reference,
            message: signed.message,
            kind,
            sent_to: audience,
            queued: false,
        });
    }

    /// Sends the queued proposals: one append message per member, with every
    /// proposal that member is the audience of.
    fn flush_batch(&mut self) {
        self.batch_deadline = None;
        let audiences: Vec<(usize, BTreeSet<u64>)> = self
            .in_flight
            .iter()
            .enumerate()
            .filter(|(_, p)| p.queued)
            .map(|(i, p)| {
                let subject = match p.kind {
                    Kind::Add { user_id } | Kind::Remove { user_id, .. } => user_id,
                };
                (i, self.audience(subject))
            })
            .collect();
        let mut bodies: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
        for (index, audience) in audiences {
            let proposal = &mut self.in_flight[index];
            for &user in &audience {
                bodies
                    .entry(user)
                    .or_default()
                    .extend_from_slice(&proposal.message);
            }
            proposal.sent_to = audience;
            proposal.queued = false;
        }
        for (user, body) in bodies {
            self.send(
                user,
                DaveMessage::Proposals {
                    operation: ProposalsOperation::Append,
                    body,
                },
            );
        }
    }

    /// After a commit: proposes again what the commit could not include
    /// (proposals still queued in a batch were for the old epoch): adds for
    /// pending members with a key package, removes for leaving leaves.
    fn reconcile(&mut self) {
        let pending: Vec<u64> = self
            .members
            .iter()
            .filter(|(_, m)| m.key_package.is_some())
            .map(|(id, _)| *id)
            .collect();
        for user in pending {
            if let Err(error) = self.propose_add(user) {
                tracing::warn!(%error, user, "could not sign an add proposal");
            }
        }
        let leaving: Vec<(u32, u64)> = self
            .tree
            .leaves()
            .filter(|(_, l)| l.leaving)
            .map(|(i, l)| (i, l.user_id))
            .collect();
        for (leaf, user) in leaving {
            self.propose_remove(leaf, user);
        }
    }

    /// Revokes the add proposal in flight for `user_id`, if any, from those
    /// who got it (protocol description, "Proposal Handling": "the voice
    /// gateway may revoke in-flight proposals").
    fn revoke_add(&mut self, user_id: u64) {
        let Some(index) = self
            .in_flight
            .iter()
            .position(|p| p.kind == Kind::Add { user_id })
        else {
            return;
        };
        let proposal = self.in_flight.remove(index);
        let mut body = Vec::new();
        write_vector(&mut body, &proposal.reference);
        for user in proposal.sent_to {
            if self.members.contains_key(&user) {
                self.send(
                    user,
                    DaveMessage::Proposals {
                        operation: ProposalsOperation::Revoke,
                        body: body.clone(),
                    },
                );
            }
        }
    }

    fn leave(&mut self, now: Instant, user_id: u64) {
        self.members.remove(&user_id);
        let others = self.members();
        for other in others {
            self.send(other, DaveMessage::ClientDisconnect { user_id });
        }
        self.forget_in_transitions(user_id);
        self.revoke_add(user_id);
        self.lose_leaf(now, user_id);
    }

    /// `user_id`'s leaf no longer counts (it left or flagged a bad commit):
    /// propose its removal, or reset the group when one member or none is
    /// left (protocol description, "Sole member reset").
    fn lose_leaf(&mut self, _now: Instant, user_id: u64) {
        let Some(leaf) = self.tree.find(user_id) else {
            return;
        };
        match self.tree.get_mut(leaf) {
            Some(l) if !l.leaving => l.leaving = true,
            _ => return,
        }
        let valid: Vec<u64> = self.valid_leaves().map(|(_, user)| user).collect();
        match valid.as_slice() {
            [] => self.reset_group(None),
            [sole] => self.reset_group(Some(*sole)),
            _ => self.propose_remove(leaf, user_id),
        }
    }

    /// Drops the group; the gateway's view becomes a new, unestablished one.
    fn reset_group(&mut self, sole_member: Option<u64>) {
        self.established = false;
        self.epoch = 0;
        self.tree.clear();
        self.in_flight.clear();
        if let Some(sole) = sole_member {
            self.stats.sole_member_resets += 1;
            if let Some(member) = self.members.get_mut(&sole) {
                member.key_package = None;
            }
            let protocol_version = self.protocol_version;
            self.send(
                sole,
                DaveMessage::PrepareEpoch {
                    epoch: 1,
                    protocol_version,
                },
            );
            self.send(
                sole,
                DaveMessage::PrepareTransition {
                    transition_id: 0,
                    protocol_version,
                },
            );
        }
        self.event(DaveEvent::GroupReset { sole_member });
        // Pending members keep their key packages: propose them to each
        // other for the new group.
        let pending: Vec<u64> = self
            .members
            .iter()
            .filter(|(_, m)| m.key_package.is_some())
            .map(|(id, _)| *id)
            .collect();
        for user in pending {
            if let Err(error) = self.propose_add(user) {
                tracing::warn!(%error, user, "could not sign an add proposal");
            }
        }
    }

    /// "Voice Gateway Commit Validity": the commit must reference exactly the
    /// proposals in flight (all of them, nothing else), be for this group and
    /// epoch, come from the member at that leaf, and keep its credential.
    fn check_commit(&self, user_id: u64, commit: &ParsedCommit<'_>) -> Result<(), &'static str> {
        if self.protocol_version == 0 || self.downgrading {
            return Err("the call is in passthrough");
        }
        if commit.group_id != self.config.group_id.to_be_bytes() {
            return Err("commit for another group");
        }
        if commit.epoch != self.epoch {
            return Err("commit for another epoch");
        }
        if commit.references.is_empty() {
            return Err("commit references no proposal");
        }
        let expected: BTreeSet<&[u8]> = self
            .in_flight
            .iter()
            .filter(|p| !p.queued)
            .filter(|p| self.established || p.kind != Kind::Add { user_id })
            .map(|p| p.reference.as_slice())
            .collect();
        let referenced: BTreeSet<&[u8]> = commit.references.iter().copied().collect();
        if referenced.len() != commit.references.len() || referenced != expected {
            return Err("commit does not reference exactly the proposals in flight");
        }
        let known_key = if self.established {
            let leaf = self
                .tree
                .get(commit.committer_leaf)
                .filter(|l| l.user_id == user_id && !l.leaving)
                .ok_or("committer is not the member at that leaf")?;
            let removes_self = self.in_flight.iter().any(
                |p| matches!(p.kind, Kind::Remove { leaf, .. } if leaf == commit.committer_leaf),
            );
            if removes_self {
                return Err("commit removes its committer");
            }
            leaf.signature_key.clone()
        } else {
            let member = self.members.get(&user_id).ok_or("unknown committer")?;
            if commit.committer_leaf != 0 || !member.has_sender {
                return Err("a new group's creator must be at leaf 0");
            }
            member.key_package.as_ref().map(|k| k.signature_key.clone())
        };
        if let Some(path) = &commit.path_leaf {
            if path.identity != Some(user_id.to_be_bytes().as_slice()) {
                return Err("commit changes the committer's credential");
            }
            if known_key.is_some_and(|key| key != path.signature_key) {
                return Err("commit changes the committer's signature key");
            }
        }
        let adds: Vec<&[u8]> = self
            .in_flight
            .iter()
            .filter(|p| expected.contains(p.reference.as_slice()))
            .filter_map(|p| match p.kind {
                Kind::Add { user_id } => self
                    .members
                    .get(&user_id)
                    .and_then(|m| m.key_package.as_ref())
                    .map(|k| k.reference.as_slice()),
                Kind::Remove { .. } => None,
            })
            .collect();
        if adds.is_empty() {
            return Ok(());
        }
        let welcome = commit
            .welcome
            .ok_or("commit adds members without a welcome")?;
        let split = SplitWelcome::parse(welcome).map_err(|_| "malformed welcome")?;
        if !adds.iter().all(|r| split.has(r)) {
            return Err("welcome lacks secrets for an added member");
        }
        Ok(())
    }

    /// Announces a checked commit: the group moves to the next epoch.
    fn pick(&mut self, now: Instant, committer: u64, commit: &ParsedCommit<'_>) -> CommitOutcome {
        // The proposals, in commit order; check_commit matched them all.
        let proposals: Vec<InFlight> = commit
            .references
            .iter()
            .filter_map(|r| self.in_flight.iter().find(|p| p.reference == *r).cloned())
            .collect();
        let creating = !self.established;
        let existing: BTreeSet<u64> = if creating {
            BTreeSet::from([committer])
        } else {
            self.valid_leaves().map(|(_, user)| user).collect()
        };
        let path_key = commit.path_leaf.as_ref().map(|p| p.signature_key.to_vec());
        if creating {
            let key = path_key.clone().or_else(|| {
                self.members
                    .get(&committer)
                    .and_then(|m| m.key_package.as_ref())
                    .map(|k| k.signature_key.clone())
            });
            self.tree = Tree::with_creator(Leaf {
                user_id: committer,
                signature_key: key,
                leaving: false,
            });
        } else if let Some(key) = path_key {
            if let Some(leaf) = self.tree.get_mut(commit.committer_leaf) {
                leaf.signature_key = Some(key);
            }
        }
        // RFC 9420, section 12.3: removes, then adds.
        let mut removed = Vec::new();
        for proposal in &proposals {
            if let Kind::Remove { leaf, user_id } = proposal.kind {
                self.tree.remove(leaf);
                removed.push(user_id);
            }
        }
        let split = commit.welcome.and_then(|w| SplitWelcome::parse(w).ok());
        let id = self.new_transition_id();
        let mut added = Vec::new();
        let mut welcomes = Vec::new();
        for proposal in &proposals {
            let Kind::Add { user_id } = proposal.kind else {
                continue;
            };
            let Some(key_package) = self
                .members
                .get_mut(&user_id)
                .and_then(|m| m.key_package.take())
            else {
                continue;
            };
            self.tree.add(Leaf {
                user_id,
                signature_key: Some(key_package.signature_key.clone()),
                leaving: false,
            });
            added.push(user_id);
            if let Some(split) = &split {
                welcomes.push((user_id, split.for_member(&key_package.reference)));
            }
        }
        if creating {
            if let Some(member) = self.members.get_mut(&committer) {
                member.key_package = None;
            }
            self.stats.groups_created += 1;
        }
        self.in_flight.clear();
        self.established = true;
        self.epoch += 1;
        self.stats.commits_picked += 1;
        for &user in &existing {
            self.send(
                user,
                DaveMessage::AnnounceCommit {
                    transition_id: id,
                    commit: commit.commit.to_vec(),
                },
            );
        }
        for (user, welcome) in welcomes {
            self.send(
                user,
                DaveMessage::Welcome {
                    transition_id: id,
                    welcome,
                },
            );
        }
        let participants: BTreeSet<u64> = existing.iter().chain(&added).copied().collect();
        self.start_transition(now, id, self.protocol_version, participants);
        self.reconcile();
        self.event(DaveEvent::CommitPicked {
            committer,
            epoch: self.epoch,
            transition_id: id,
            added,
            removed,
        });
        CommitOutcome::Picked {
            epoch: self.epoch,
            transition_id: id,
        }
    }

    /// A fresh transition id; when too many are in flight the oldest is
    /// executed now to make room.
    fn new_transition_id(&mut self) -> u16 {
        while self.transitions.len() >= self.config.max_transitions.max(1) {
            match self.transitions.pop_oldest() {
                Some(oldest) => self.execute(oldest, true),
                None => break,
            }
        }
        self.transitions.allocate_id()
    }

    fn start_transition(
        &mut self,
        now: Instant,
        id: u16,
        protocol_version: u16,
        participants: BTreeSet<u64>,
    ) {
        let transition = Transition {
            id,
            protocol_version,
            awaiting: participants.clone(),
            participants,
            deadline: now + self.config.transition_timeout,
        };
        if transition.awaiting.is_empty() {
            self.execute(transition, false);
        } else {
            self.transitions.start(transition);
        }
    }

    fn forget_in_transitions(&mut self, user_id: u64) {
        for transition in self.transitions.forget(user_id) {
            self.execute(transition, false);
        }
    }

    fn execute(&mut self, transition: Transition, timed_out: bool) {
        for &user in &transition.participants {
            if self.members.contains_key(&user) {
                self.send(
                    user,
                    DaveMessage::ExecuteTransition {
                        transition_id: transition.id,
                    },
                );
            }
        }
        self.stats.transitions_executed += 1;
        if timed_out {
            self.stats.transitions_timed_out += 1;
        }
        if transition.protocol_version == 0 && self.downgrading {
            // Passthrough from now on: the group is gone on every side.
            self.downgrading = false;
            self.protocol_version = 0;
            self.established = false;
            self.epoch = 0;
            self.tree.clear();
            self.in_flight.clear();
            for member in self.members.values_mut() {
                member.key_package = None;
            }
            self.stats.downgrades += 1;
        }
        self.event(DaveEvent::TransitionExecuted {
            transition_id: transition.id,
            protocol_version: transition.protocol_version,
            timed_out,
        });
    }
}
