//! The handshake against the simulator's DAVE delivery service (an
//! independent external sender on OpenMLS): members join, agree, talk,
//! leave, drop their socket, get a bad commit, downgrade and upgrade.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::borrow::Cow;

use support::{Call, errors};
use voice_ws_dave::{DaveError, DaveEvent, MediaError};
use voice_ws_proto::ClientMessage;

const A: u64 = 158049329150427136;
const B: u64 = 158049329150427137;
const USERS: [u64; 5] = [
    A,
    B,
    158049329150427138,
    158049329150427139,
    158049329150427140,
];

/// A 20 ms Opus frame of about 120 bytes (the contents do not matter to DAVE).
fn opus_frame(seed: u8) -> Vec<u8> {
    (0..120u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// Every member decrypts what every other one encrypts.
fn everyone_hears_everyone(call: &Call) {
    for (&from, sender) in &call.members {
        let frame = opus_frame(from as u8);
        let encrypted = sender.dave.media().encrypt_opus(&frame).expect("encrypt");
        assert_ne!(&encrypted[..], &frame[..], "{from} sent in clear");
        for (&to, receiver) in &call.members {
            if to == from {
                continue;
            }
            let decrypted = receiver.dave.media().decrypt(from, &encrypted);
            assert_eq!(decrypted.as_deref(), Ok(&frame[..]), "{to} hearing {from}");
        }
    }
}

#[test]
fn two_members_reach_the_same_epoch_and_privacy_code() {
    let mut call = Call::new();
    call.join(A, 1);
    // Alone: a key package went out, nothing more happens.
    assert!(matches!(
        call.member(A).sent[..],
        [ClientMessage::DaveMlsKeyPackage(_)]
    ));
    assert_eq!(call.member(A).dave.epoch(), None);
    assert_eq!(
        call.member(A).dave.media().encrypt_opus(&opus_frame(1)),
        Err(MediaError::NotReady)
    );
    call.join(B, 1);
    let epoch = call.agreed_epoch();
    assert_eq!(epoch, 1);
    for user in [A, B] {
        let member = call.member(user);
        assert_eq!(member.dave.protocol_version(), 1);
        assert_eq!(member.dave.members().len(), 2);
        assert!(errors(&member.events).is_empty(), "{:?}", member.events);
        assert!(
            member
                .events
                .iter()
                .any(|e| matches!(e, DaveEvent::GroupEstablished { epoch: 1, .. }))
        );
        assert!(member.events.iter().any(|e| matches!(
            e,
            DaveEvent::TransitionExecuted {
                protocol_version: 1,
                ..
            }
        )));
        let other = if user == A { B } else { A };
        assert!(
            member
                .events
                .contains(&DaveEvent::MemberDecryptable { user_id: other })
        );
        let code = member.dave.voice_privacy_code().unwrap();
        assert_eq!(code.len(), 30);
        assert!(member.events.contains(&DaveEvent::PrivacyCodeChanged {
            code: Some(code.into())
        }));
    }
    everyone_hears_everyone(&call);
}

#[test]
fn five_members_reach_the_same_epoch_and_hear_each_other() {
    let mut call = Call::new();
    for user in USERS {
        call.join(user, 1);
    }
    let epoch = call.agreed_epoch();
    assert!(
        epoch >= 4,
        "each joiner after the first two moves the epoch: {epoch}"
    );
    for user in USERS {
        let member = call.member(user);
        assert_eq!(member.dave.members().len(), 5);
        assert!(
            errors(&member.events).is_empty(),
            "{user}: {:?}",
            member.events
        );
    }
    everyone_hears_everyone(&call);
}

#[test]
fn a_member_leaves_and_the_rest_move_to_a_new_epoch() {
    let mut call = Call::new();
    for user in &USERS[..3] {
        call.join(*user, 1);
    }
    let before = call.agreed_epoch();
    let code_before = call.member(A).dave.voice_privacy_code().unwrap().to_owned();
    let leaver = USERS[2];
    call.leave(leaver);
    let after = call.agreed_epoch();
    assert_eq!(after, before + 1);
    assert_ne!(
        call.member(A).dave.voice_privacy_code().unwrap(),
        code_before
    );
    assert_eq!(call.member(A).dave.members().len(), 2);
    // The leaver is no longer expected: their media cannot be decrypted with
    // the new epoch's keys, and an add proposal for them would be refused.
    assert!(!call.member(A).dave.expects(leaver));
    everyone_hears_everyone(&call);
}

#[test]
fn a_resume_in_the_middle_of_a_transition_completes_it() {
    let mut call = Call::new();
    call.join(A, 1);
    call.join(B, 1);
    let before = call.agreed_epoch();
    // C joins; B's socket drops right after it sent its commit, before the
    // announce (29) and the execute (22) reach it.
    let c = USERS[2];
    call.drop_socket(B);
    call.join(c, 1);
    assert_eq!(
        call.member(B).dave.epoch(),
        Some(before),
        "B missed the commit"
    );
    assert!(call.member(A).dave.epoch() > Some(before));
    call.resume(B);
    let after = call.agreed_epoch();
    assert_eq!(after, before + 1);
    assert!(
        errors(&call.member(B).events).is_empty(),
        "{:?}",
        call.member(B).events
    );
    assert_eq!(call.member(B).dave.pending_transitions().count(), 0);
    everyone_hears_everyone(&call);
}

#[test]
fn a_bad_commit_is_flagged_with_op_31_and_the_member_rejoins() {
    let mut call = Call::new();
    call.join(A, 1);
    call.join(B, 1);
    let c = USERS[2];
    // The next commit announced to B arrives corrupted (a byte of its
    // signature flipped).
    call.member_mut(B).tamper = Some(|bytes| {
        let last = bytes.len() - 1;
        bytes[last] ^= 0x55;
    });
    call.member_mut(B).sent.clear();
    call.join(c, 1);
    let b = call.member(B);
    let flagged = b
        .sent
        .iter()
        .position(|m| matches!(m, ClientMessage::DaveMlsInvalidCommitWelcome { .. }));
    let flagged = flagged.expect("op 31 sent");
    // Op 31 first, then a fresh key package (protocol: "Recovery from
    // Invalid Commit or Welcome").
    assert!(
        matches!(b.sent[flagged + 1], ClientMessage::DaveMlsKeyPackage(_)),
        "{:?}",
        b.sent
    );
    assert!(
        errors(&b.events)
            .iter()
            .any(|e| matches!(e, DaveError::InvalidCommit { .. }))
    );
    // The gateway removed B and added it back: all three agree again.
    call.agreed_epoch();
    for user in [A, B, c] {
        assert_eq!(call.member(user).dave.members().len(), 3, "{user}");
    }
    everyone_hears_everyone(&call);
}

#[test]
fn a_downgrade_to_passthrough_and_back() {
    let mut call = Call::new();
    call.join(A, 1);
    call.join(B, 1);
    let code = call.member(A).dave.voice_privacy_code().unwrap().to_owned();
    let now = call.now;
    call.service.downgrade(now).unwrap();
    call.run();
    let frame = opus_frame(7);
    for user in [A, B] {
        let member = call.member(user);
        assert_eq!(member.dave.protocol_version(), 0);
        assert!(member.events.iter().any(|e| matches!(
            e,
            DaveEvent::TransitionExecuted {
                protocol_version: 0,
                ..
            }
        )));
        assert_eq!(member.dave.voice_privacy_code(), None);
        let media = member.dave.media();
        assert!(media.is_passthrough());
        assert!(matches!(media.encrypt_opus(&frame), Ok(Cow::Borrowed(f)) if f == &frame[..]));
        assert!(matches!(media.decrypt(A, &frame), Ok(Cow::Borrowed(f)) if f == &frame[..]));
    }
    let now = call.now;
    call.service.upgrade(now).unwrap();
    call.run();
    call.agreed_epoch();
    for user in [A, B] {
        let member = call.member(user);
        assert_eq!(member.dave.protocol_version(), 1);
        assert!(!member.dave.media().is_passthrough());
        assert!(
            errors(&member.events).is_empty(),
            "{user}: {:?}",
            member.events
        );
    }
    assert_ne!(call.member(A).dave.voice_privacy_code().unwrap(), code);
    everyone_hears_everyone(&call);
}

#[test]
fn a_new_session_rebuilds_the_group() {
    let mut call = Call::new();
    for user in &USERS[..3] {
        call.join(*user, 1);
    }
    let before = call.agreed_epoch();
    // B's session is invalidated; it identifies again (Ready) and the
    // gateway replaces its old self.
    call.deliver_event(
        B,
        &voice_ws_proto::Event::SessionInvalidated {
            code: None,
            reason: voice_ws_proto::Invalidation::ClosedByServer,
        },
    );
    assert_eq!(call.member(B).dave.epoch(), None);
    assert!(matches!(
        call.member(B).dave.media().encrypt_opus(&opus_frame(1)),
        Err(MediaError::NotReady)
    ));
    call.join(B, 1);
    assert!(call.agreed_epoch() > before);
    everyone_hears_everyone(&call);
}

#[test]
fn media_handles_work_from_other_threads_while_the_group_changes() {
    fn send_and_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    let mut call = Call::new();
    for user in &USERS[..3] {
        call.join(*user, 1);
    }
    let sender = call.member(A).dave.media();
    send_and_sync(&sender);
    // The RTP thread encrypts while the gateway side moves the group on
    // (a member leaves: new epoch). Every frame is either encrypted or
    // refused, never sent in clear.
    let frame = opus_frame(3);
    let rtp = {
        let frame = frame.clone();
        std::thread::spawn(move || {
            let mut out = Vec::new();
            let mut encrypted = 0;
            for _ in 0..500 {
                match sender.encrypt_opus_into(&frame, &mut out) {
                    Ok(()) => {
                        assert_ne!(out, frame);
                        encrypted += 1;
                    }
                    Err(MediaError::NotReady) => {}
                    Err(e) => panic!("{e}"),
                }
            }
            encrypted
        })
    };
    call.leave(USERS[2]);
    let encrypted = rtp.join().expect("rtp thread");
    assert!(encrypted > 0);
    call.agreed_epoch();
    everyone_hears_everyone(&call);
}

#[test]
fn the_commit_of_the_epoch_a_welcome_joined_is_not_flagged() {
    // A gateway that also announces the commit to the member it welcomed
    // (the same transition): that commit created the epoch the member is
    // already in. davey alone calls it an error; flagging it with op 31
    // would get the member removed for nothing.
    let mut call = Call::new();
    call.join(A, 1);
    call.join(B, 1);
    let c = USERS[2];
    call.join(c, 1);
    let epoch = call.agreed_epoch();
    let (transition_id, commit) = call.announced.last().cloned().expect("a commit");
    let member = call.member_mut(c);
    member.sent.clear();
    member.dave.handle_message(
        &voice_ws_proto::ServerMessage::DaveMlsAnnounceCommitTransition {
            transition_id,
            commit,
        },
    );
    call.run();
    assert!(call.member(c).sent.is_empty(), "{:?}", call.member(c).sent);
    assert!(errors(&call.member(c).events).is_empty());
    assert_eq!(call.agreed_epoch(), epoch);
}

#[test]
fn the_sole_member_left_resets_and_a_newcomer_forms_a_new_group() {
    let mut call = Call::new();
    call.join(A, 1);
    call.join(B, 1);
    call.member_mut(A).sent.clear();
    call.leave(B);
    // Epoch 1 then transition 0: A alone starts over with a pending group.
    let a = call.member(A);
    assert!(
        matches!(a.sent[..], [ClientMessage::DaveMlsKeyPackage(_)]),
        "{:?}",
        a.sent
    );
    assert_eq!(a.dave.epoch(), None);
    assert!(a.events.iter().any(|e| matches!(
        e,
        DaveEvent::TransitionExecuted {
            transition_id: 0,
            protocol_version: 1
        }
    )));
    assert_eq!(
        a.dave.media().encrypt_opus(&opus_frame(1)),
        Err(MediaError::NotReady)
    );
    let c = USERS[2];
    call.join(c, 1);
    assert_eq!(call.agreed_epoch(), 1);
    everyone_hears_everyone(&call);
}

#[test]
fn a_spoiled_group_creating_commit_of_our_own_is_flagged_when_its_transition_executes() {
    let mut call = Call::new();
    call.join(A, 1);
    // B commits the group into being (A is welcomed into it), and B's own
    // commit comes back to it spoiled: davey cannot tell it is B's
    // ("commit before welcome"), and no welcome will come for B.
    call.join_with(B, 1, |b| {
        b.tamper = Some(|bytes| {
            let last = bytes.len() - 1;
            bytes[last] ^= 0x55;
        });
        b.tamper_commits_only = true;
    });
    let flagged = |call: &Call| {
        call.member(B)
            .sent
            .iter()
            .any(|m| matches!(m, ClientMessage::DaveMlsInvalidCommitWelcome { .. }))
    };
    assert!(!flagged(&call), "not yet: B's welcome might still come");
    // The gateway stops waiting for B's transition ready and executes the
    // transition: now B knows no welcome is coming, flags it and rejoins.
    call.advance(std::time::Duration::from_secs(5));
    assert!(flagged(&call), "op 31 from B once the transition executed");
    assert!(
        errors(&call.member(B).events)
            .iter()
            .any(|e| matches!(e, DaveError::InvalidCommit { .. }))
    );
    call.agreed_epoch();
    for user in [A, B] {
        assert_eq!(call.member(user).dave.members().len(), 2, "{user}");
    }
    everyone_hears_everyone(&call);
}
