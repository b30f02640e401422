//! The delivery service driven by real DAVE clients: `davey`'s `DaveSession`
//! (the Rust implementation discord.js and songbird use, on OpenMLS), wired
//! the way discord.js wires it. No sockets, no sleeps: a virtual clock, and
//! every message goes through the wire layout of Discord's DAVE protocol
//! description (the clients parse the binary payloads themselves).

mod dave_client;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use dave_client::OPUS;
use dave_client::{Client, Reply};
use davey::MediaType;
use serde_json::{Value, json};
use voice_ws_sim::dave::{
    CommitOutcome, DaveConfig, DaveError, DaveEvent, DaveMessage, DeliveryService,
};

const CHANNEL: u64 = 1_090_123_456_789_012_345;

/// The delivery service's typed JSON messages as the gateway writes them
/// (protocol description, "Voice Gateway Opcodes"; ids are strings).
fn json_d(message: &DaveMessage) -> Value {
    match message {
        DaveMessage::ClientsConnect { user_ids } => {
            json!({ "user_ids": user_ids.iter().map(u64::to_string).collect::<Vec<_>>() })
        }
        DaveMessage::ClientDisconnect { user_id } => json!({ "user_id": user_id.to_string() }),
        DaveMessage::PrepareTransition {
            transition_id,
            protocol_version,
        } => json!({ "transition_id": transition_id, "protocol_version": protocol_version }),
        DaveMessage::ExecuteTransition { transition_id } => {
            json!({ "transition_id": transition_id })
        }
        DaveMessage::PrepareEpoch {
            epoch,
            protocol_version,
        } => json!({ "protocol_version": protocol_version, "epoch": epoch }),
        other => panic!("not JSON: {other:?}"),
    }
}

fn deliver(client: &mut Client, message: &DaveMessage) -> Vec<Reply> {
    match message.binary_payload() {
        Some(payload) => client.on_binary(message.op(), &payload),
        None => client.on_json(message.op(), &json_d(message)),
    }
}

/// A call: the gateway's delivery service and the clients, with a virtual clock.
struct Call {
    service: DeliveryService,
    clients: BTreeMap<u64, Client>,
    now: Instant,
    replies: VecDeque<(u64, Reply)>,
    /// Tamper with the next commit or welcome a client sends.
    tamper: Option<Tamper>,
    picked: Vec<(u64, u16)>,
    /// Time spent inside the delivery service (for the figures).
    service_time: Duration,
}

#[derive(Clone, Copy)]
enum Tamper {
    Commit,
    Welcome,
}

impl Call {
    fn new() -> Self {
        Self::with(DaveConfig::new(CHANNEL))
    }

    fn with(config: DaveConfig) -> Self {
        Self {
            service: DeliveryService::new(config).expect("service"),
            clients: BTreeMap::new(),
            now: Instant::now(),
            replies: VecDeque::new(),
            tamper: None,
            picked: Vec::new(),
            service_time: Duration::ZERO,
        }
    }

    /// Identify, Select Protocol (Session Description with version 1), and
    /// the key package a client sends after it.
    fn join(&mut self, user_id: u64) {
        self.service
            .handle_connect(self.now, user_id)
            .expect("connect");
        self.service
            .handle_protocol_selected(self.now, user_id, 1)
            .expect("select protocol");
        let mut client = Client::new(user_id, CHANNEL);
        let key_package = client.key_package();
        self.clients.insert(user_id, client);
        self.replies.push_back((user_id, key_package));
    }

    fn leave(&mut self, user_id: u64) {
        self.clients.remove(&user_id);
        self.service
            .handle_disconnect(self.now, user_id)
            .expect("disconnect");
    }

    /// Delivers everything both ways until nothing moves.
    fn settle(&mut self) {
        for _ in 0..10_000 {
            let mut moved = false;
            while let Some(out) = self.timed(|s| s.poll_transmit()) {
                moved = true;
                if let Some(client) = self.clients.get_mut(&out.to) {
                    for reply in deliver(client, &out.message) {
                        self.replies.push_back((out.to, reply));
                    }
                }
            }
            if let Some((user, reply)) = self.replies.pop_front() {
                moved = true;
                self.feed(user, reply);
            }
            if !moved {
                return;
            }
        }
        panic!("the call did not settle");
    }

    fn timed<R>(&mut self, f: impl FnOnce(&mut DeliveryService) -> R) -> R {
        let start = Instant::now();
        let result = f(&mut self.service);
        self.service_time += start.elapsed();
        result
    }

    fn feed(&mut self, user: u64, reply: Reply) {
        if !self.clients.contains_key(&user) {
            return;
        }
        let now = self.now;
        match reply {
            Reply::KeyPackage(bytes) => {
                self.timed(|s| s.handle_key_package(now, user, &bytes))
                    .expect("key package accepted");
            }
            Reply::CommitWelcome {
                mut commit,
                mut welcome,
            } => {
                match (self.tamper, welcome.as_mut()) {
                    (Some(Tamper::Commit), _) => {
                        self.tamper = None;
                        // The last byte is the membership tag (a MAC): the
                        // commit still parses, but no member can verify it.
                        *commit.last_mut().expect("commit") ^= 0x01;
                    }
                    (Some(Tamper::Welcome), Some(w)) => {
                        self.tamper = None;
                        // The last byte is in the encrypted group info.
                        *w.last_mut().expect("welcome") ^= 0x01;
                    }
                    _ => {}
                }
                let mut bytes = commit;
                bytes.extend(welcome.unwrap_or_default());
                let outcome = self
                    .timed(|s| s.handle_commit_welcome(now, user, &bytes))
                    .expect("a readable commit");
                if let CommitOutcome::Picked { transition_id, .. } = outcome {
                    self.picked.push((user, transition_id));
                }
            }
            Reply::Ready(id) => self
                .service
                .handle_transition_ready(now, user, id)
                .expect("ready"),
            Reply::Invalid(id) => self
                .service
                .handle_invalid_commit_welcome(now, user, id)
                .expect("invalid commit welcome"),
        }
    }

    /// Settles, moving the clock to each deadline the service asks for
    /// (batched proposals) until nothing is due.
    fn settle_in_time(&mut self) {
        self.settle();
        while let Some(due) = self.service.poll_timeout() {
            self.advance(due.saturating_duration_since(self.now));
            self.settle();
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.service.handle_timeout(self.now);
    }

    /// Every client is in the gateway's group at its epoch, with the same
    /// privacy code, and decrypts what every other one encrypts.
    fn assert_one_group(&mut self) {
        let group: BTreeSet<u64> = self.service.group().into_iter().collect();
        dave_client::assert_one_group(&mut self.clients, self.service.epoch(), &group);
    }

    fn events(&mut self) -> Vec<DaveEvent> {
        std::iter::from_fn(|| self.service.poll_event()).collect()
    }
}

const A: u64 = 1_234_123_412_341_234;
const B: u64 = 5_678_567_856_785_678;
const C: u64 = 9_012_901_290_129_012;
const D: u64 = 3_456_345_634_563_456;
const E: u64 = 7_890_789_078_907_890;

#[test]
fn two_then_five_members_share_an_epoch_a_privacy_code_and_media() {
    let mut call = Call::new();
    call.join(A);
    call.join(B);
    call.settle();
    assert_eq!(call.service.epoch(), 1);
    call.assert_one_group();
    // Both committed to the new group; the gateway announced the first.
    let stats = call.service.stats();
    assert_eq!((stats.groups_created, stats.commits_picked), (1, 1));
    assert_eq!(stats.commits_ignored, 1);
    // A creator got op 29; the other was welcomed with op 30.
    let (committer, _) = call.picked[0];
    let joiner = if committer == A { B } else { A };
    assert!(call.clients[&committer].ops.contains(&29));
    assert!(!call.clients[&joiner].ops.contains(&29));
    assert!(call.clients[&joiner].ops.contains(&30));

    call.join(C);
    call.join(D);
    call.join(E);
    call.settle();
    call.assert_one_group();
    assert_eq!(call.service.group().len(), 5);
    let stats = call.service.stats();
    assert_eq!(stats.transitions_executed, stats.commits_picked);
    assert_eq!(stats.transitions_timed_out, 0);
    assert_eq!(stats.invalid_commit_welcomes, 0);
    for client in call.clients.values() {
        assert!(
            client.errors.is_empty(),
            "{}: {:?}",
            client.user_id,
            client.errors
        );
    }
}

#[test]
fn a_member_leaves_and_the_rest_move_to_a_new_epoch() {
    let mut call = Call::new();
    for user in [A, B, C] {
        call.join(user);
    }
    call.settle();
    call.assert_one_group();
    let before = call.service.epoch();
    let code_before = call.clients[&A]
        .session
        .voice_privacy_code()
        .map(str::to_owned);

    call.leave(C);
    call.settle();
    assert_eq!(call.service.epoch(), before + 1);
    call.assert_one_group();
    assert_ne!(
        call.clients[&A]
            .session
            .voice_privacy_code()
            .map(str::to_owned),
        code_before
    );
    // Clients Disconnect went to both; the remove was an append of op 27.
    for user in [A, B] {
        assert!(!call.clients[&user].known.contains(&C));
    }
    let removed = call
        .events()
        .into_iter()
        .any(|e| matches!(e, DaveEvent::CommitPicked { removed, .. } if removed == vec![C]));
    assert!(removed);
}

#[test]
fn the_sole_member_left_starts_over_and_a_newcomer_forms_a_new_group() {
    let mut call = Call::new();
    call.join(A);
    call.join(B);
    call.settle();
    call.leave(B);
    call.settle();
    // Op 24 with epoch 1, then op 21 with transition 0 (protocol description,
    // "Sole member reset"); the gateway's group is gone.
    let ops = &call.clients[&A].ops;
    assert_eq!(ops[ops.len() - 2..], [24, 21]);
    assert!(!call.service.is_established());
    assert_eq!(call.service.stats().sole_member_resets, 1);

    call.join(C);
    call.settle();
    assert_eq!(call.service.epoch(), 1);
    call.assert_one_group();
}

#[test]
fn a_bad_welcome_is_reported_and_the_member_is_removed_and_readded() {
    let mut call = Call::new();
    for user in [A, B, C] {
        call.join(user);
    }
    call.settle();
    call.tamper = Some(Tamper::Welcome);
    call.join(D);
    call.settle();
    let stats = call.service.stats();
    assert_eq!(stats.invalid_commit_welcomes, 1);
    assert!(call.clients[&D].errors[0].starts_with("welcome"));
    // D was added, removed and added again: three commits after the group of three.
    call.assert_one_group();
    assert_eq!(call.service.group().len(), 4);
    assert!(call.clients[&D].ops.iter().filter(|&&op| op == 30).count() >= 2);
}

#[test]
fn a_bad_commit_is_reported_by_everyone_and_the_group_is_rebuilt() {
    let mut call = Call::new();
    for user in [A, B, C] {
        call.join(user);
    }
    call.settle();
    call.tamper = Some(Tamper::Commit);
    call.join(D);
    call.settle();
    assert!(call.service.stats().invalid_commit_welcomes >= 3);
    call.assert_one_group();
    assert_eq!(call.service.group().len(), 4);
}

#[test]
fn downgrade_to_passthrough_and_back() {
    let mut call = Call::new();
    call.join(A);
    call.join(B);
    call.settle();
    call.assert_one_group();

    call.service.downgrade(call.now).expect("downgrade");
    call.settle();
    assert_eq!(call.service.protocol_version(), 0);
    assert!(!call.service.is_established());
    for client in call.clients.values() {
        assert_eq!(client.ops[client.ops.len() - 2..], [21, 22]);
        assert_eq!(client.session.epoch(), None, "the group is gone");
        assert!(!client.session.can_encrypt());
    }
    // Passthrough: an unencrypted frame is accepted as it is.
    let plain = call
        .clients
        .get_mut(&B)
        .expect("B")
        .session
        .decrypt(A, MediaType::AUDIO, &OPUS)
        .expect("passthrough");
    assert_eq!(plain, OPUS);
    // Key packages are not wanted while the call is in passthrough.
    let stray = call.clients.get_mut(&A).expect("A").key_package();
    let Reply::KeyPackage(stray) = stray else {
        unreachable!()
    };
    assert_eq!(
        call.service.handle_key_package(call.now, A, &stray),
        Err(DaveError::NotDave)
    );

    call.service.upgrade(call.now).expect("upgrade");
    call.settle();
    assert_eq!(call.service.protocol_version(), 1);
    assert_eq!(call.service.epoch(), 1);
    call.assert_one_group();
    let stats = call.service.stats();
    assert_eq!((stats.downgrades, stats.upgrades), (1, 1));
}

#[test]
fn a_transition_is_executed_when_its_wait_runs_out() {
    let mut call = Call::new();
    call.join(A);
    call.join(B);
    call.settle();
    call.join(C);
    call.clients.get_mut(&C).expect("C").mute_ready = true;
    call.settle();
    let due = call
        .service
        .poll_timeout()
        .expect("a transition waits for C");
    assert!(!call.clients[&A].session.can_encrypt() || call.clients[&C].ops.last() != Some(&22));
    call.advance(due - call.now);
    call.settle();
    let stats = call.service.stats();
    assert_eq!(stats.transitions_timed_out, 1);
    assert_eq!(call.service.poll_timeout(), None);
    call.assert_one_group();
}

#[test]
fn a_new_session_for_the_same_user_replaces_the_member() {
    let mut call = Call::new();
    for user in [A, B, C] {
        call.join(user);
    }
    call.settle();
    // B identifies again (a new session): a fresh client, same user id.
    call.join(B);
    call.settle();
    call.assert_one_group();
    assert_eq!(call.service.group().len(), 3);
}

#[test]
fn key_packages_are_validated() {
    let mut call = Call::new();
    call.join(A);
    call.settle();
    let now = call.now;
    // 0xc0 is a vector length prefix that tls_codec asserts against in debug builds.
    for garbage in [
        &b"not a key package"[..],
        &[0x00, 0x01, 0x00, 0x02, 0xc0, 0xff][..],
    ] {
        assert!(matches!(
            call.service.handle_key_package(now, A, garbage),
            Err(DaveError::InvalidKeyPackage(_))
        ));
    }
    // A real key package, but for another user.
    let mut other = Client::new(B, CHANNEL);
    let Reply::KeyPackage(theirs) = other.key_package() else {
        unreachable!()
    };
    assert_eq!(
        call.service.handle_key_package(now, A, &theirs),
        Err(DaveError::InvalidKeyPackage(
            "credential is not the member's user id"
        ))
    );
    assert_eq!(
        call.service.handle_key_package(now, B, &theirs),
        Err(DaveError::UnknownMember(B))
    );
    // A's own key package with one bit of its signature (the last field) flipped.
    let mut client = Client::new(A, CHANNEL);
    let Reply::KeyPackage(mut forged) = client.key_package() else {
        unreachable!()
    };
    *forged.last_mut().expect("bytes") ^= 0x01;
    assert_eq!(
        call.service.handle_key_package(now, A, &forged),
        Err(DaveError::InvalidKeyPackage(
            "signature or contents invalid"
        ))
    );
    assert_eq!(call.service.stats().key_packages_rejected, 4);
}

#[test]
fn garbage_commits_are_errors_not_panics() {
    let mut call = Call::new();
    call.join(A);
    call.join(B);
    call.settle();
    let now = call.now;
    // 0xc0 is a vector length prefix that tls_codec asserts against in debug builds.
    let reserved_prefix = [0x00, 0x01, 0x00, 0x01, 0xc0, 0x00, 0x00, 0x00];
    for bytes in [
        &b""[..],
        &[0x00, 0x01, 0x00, 0x01][..],
        &[0xff; 64][..],
        &reserved_prefix[..],
    ] {
        assert!(matches!(
            call.service.handle_commit_welcome(now, A, bytes),
            Err(DaveError::MalformedCommit(_))
        ));
    }
}

#[test]
fn batched_proposals_spare_members_a_commit_per_joiner() {
    let batch = Duration::from_millis(50);
    let mut call = Call::with(DaveConfig::new(CHANNEL).with_proposal_batch(batch));
    for user in [A, B, C, D, E] {
        call.join(user);
    }
    call.settle_in_time();
    call.assert_one_group();
    let stats = call.service.stats();
    // One append message per member: each commits once, one commit wins.
    assert_eq!(stats.proposals_sent, 5);
    assert_eq!((stats.commits_picked, stats.commits_ignored), (1, 4));

    // Joiners while a batch waits, and a leaver: still one group in the end.
    call.join(1_111);
    call.leave(B);
    call.join(2_222);
    call.settle_in_time();
    call.assert_one_group();
    assert_eq!(call.service.group().len(), 6);
}

/// Handshake figures for the closing note: wall time from the members'
/// joins until every one is in the group and can encrypt, and the share of
/// it spent in the delivery service (the rest is the davey clients).
#[test]
#[ignore = "prints figures, asserts none: cargo test --release -p voice-ws-sim --features dave --test dave_call -- --ignored --nocapture"]
fn figures() {
    for (n, batch) in [(2u64, 0), (5, 0), (25, 0), (25, 20)] {
        let config = DaveConfig::new(CHANNEL).with_proposal_batch(Duration::from_millis(batch));
        let mut call = Call::with(config);
        let start = Instant::now();
        for i in 0..n {
            call.join(1_000_000_000 + i);
        }
        call.settle_in_time();
        let together = start.elapsed();
        let service = call.service_time;
        let stats = call.service.stats();
        let (commits, ignored) = (stats.commits_picked, stats.commits_ignored);
        call.service_time = Duration::ZERO;
        let start = Instant::now();
        call.join(2_000_000_000);
        call.settle_in_time();
        let one_more = start.elapsed();
        call.assert_one_group();
        println!(
            "{n} members joining at once, proposals batched over {batch} ms (virtual): {together:?} ({service:?} in the service; \
             {commits} commit(s) picked, {ignored} ignored); one more joining: {one_more:?} \
             ({:?} in the service)",
            call.service_time
        );
    }
}
