//! A DAVE call survives what goes wrong on the way: a socket lost in the
//! middle of a transition, a commit that does not verify, a downgrade to
//! passthrough and back.

use std::time::Duration;

use voice_ws_proto::dave::DaveError;
use voice_ws_sim::{Action, ConnectionPlan, DaveCalls, Trigger};

use crate::dave_call::{DAVE_WAIT, DaveCall, USERS, opus_frame};
use crate::driver::Driver;
use crate::setup::SERVER_ID;
use crate::wait::eventually;

/// A transition that can only complete through the member who lost it:
/// the gateway never executes it on a timeout within the scenario.
const NO_TIMEOUT: Duration = Duration::from_secs(120);

/// The third member's socket goes silent right before the commit of the
/// fourth one's arrival reaches it (it joined by a welcome, so that is the
/// first commit it is sent): its driver finds the socket a zombie, resumes,
/// gets the commit in the replay, and the transition completes (the
/// gateway waited for that member's Transition Ready, op 23).
pub async fn a_resume_in_the_middle_of_a_transition_completes_it<D: Driver>(driver: &D) {
    let silent_at_commit = ConnectionPlan::new().then(Trigger::BeforeDaveOp(29), Action::GoSilent);
    let plans = vec![
        ConnectionPlan::new(),
        ConnectionPlan::new(),
        silent_at_commit,
    ];
    let calls = DaveCalls::default().with_transition_timeout(NO_TIMEOUT);
    let mut call = DaveCall::start(driver, plans, calls).await;
    for user in &USERS[..3] {
        call.join(*user).await;
        if call.members.len() >= 2 {
            call.settle("joining").await;
        }
    }
    assert_eq!(call.members[&USERS[2]].seen().resumed, 0);

    call.join(USERS[3]).await;
    call.settle("four members, after the resume").await;
    assert!(
        call.members[&USERS[2]].seen().resumed >= 1,
        "the third member resumed"
    );
    let log = call.log();
    assert_eq!(log.stats.transitions_timed_out, 0, "{log:?}");
    assert_eq!(call.errors(), Vec::<(u64, DaveError)>::new());
}

/// The commit announcing the fourth member arrives spoiled at the third
/// (who joined by a welcome, so that is the first commit it is sent, and
/// it fails to verify whether it is someone else's or its own): the third
/// says so with op 31 and a fresh key package, the gateway takes it out
/// and back in, and all four agree again.
pub async fn a_bad_commit_is_flagged_and_the_call_recovers<D: Driver>(driver: &D) {
    let spoil_commit = ConnectionPlan::new().then(Trigger::BeforeDaveOp(29), Action::CorruptDave);
    let plans = vec![ConnectionPlan::new(), ConnectionPlan::new(), spoil_commit];
    let mut call = DaveCall::start(driver, plans, DaveCalls::default()).await;
    for user in &USERS[..3] {
        call.join(*user).await;
        if call.members.len() >= 2 {
            call.settle("joining").await;
        }
    }

    call.join(USERS[3]).await;
    eventually("an op 31 reaches the gateway", DAVE_WAIT, || {
        call.log().stats.invalid_commit_welcomes >= 1
    })
    .await;
    call.settle("four members, after op 31").await;
    let flagged = call.members[&USERS[2]].seen().errors.clone();
    assert!(
        matches!(flagged[..], [DaveError::InvalidCommit { .. }]),
        "{flagged:?}"
    );
    // Op 31 went out on the spoiled member's socket, a key package after it.
    let ops = call.sim.connections()[2].received_ops();
    let at = ops.iter().position(|&op| op == 31).expect("op 31 sent");
    assert!(ops[at..].contains(&26), "{ops:?}");
}

/// The gateway downgrades the call to passthrough: media travels in clear;
/// then upgrades it: a new group, encrypted again.
pub async fn a_downgrade_to_passthrough_and_back<D: Driver>(driver: &D) {
    let mut call = DaveCall::start(driver, Vec::new(), DaveCalls::default()).await;
    call.join(USERS[0]).await;
    call.join(USERS[1]).await;
    call.settle("two members").await;

    call.sim
        .dave_downgrade(SERVER_ID)
        .expect("a DAVE call to downgrade");
    eventually("both members execute the downgrade", DAVE_WAIT, || {
        call.members.values().all(|m| {
            m.seen()
                .executed
                .last()
                .is_some_and(|&(_, version)| version == 0)
        })
    })
    .await;
    let frame = opus_frame(7);
    for member in call.members.values() {
        assert!(member.media.is_passthrough());
        assert_eq!(member.media.encrypt_opus(&frame).as_deref(), Ok(&frame[..]));
        assert_eq!(member.seen().privacy_code, None);
    }

    call.sim
        .dave_upgrade(SERVER_ID)
        .expect("a passthrough call to upgrade");
    call.settle("upgraded").await;
    for member in call.members.values() {
        assert!(!member.media.is_passthrough());
        assert!(
            member
                .seen()
                .executed
                .last()
                .is_some_and(|&(_, version)| version == 1)
        );
    }
    let log = call.log();
    assert_eq!(
        (log.stats.downgrades, log.stats.upgrades),
        (1, 1),
        "{log:?}"
    );
}
