//! A DAVE call forms over real sockets: the driver runs the handshake,
//! the members agree, hear each other, and move on when one leaves.

use voice_ws_proto::dave::DaveError;
use voice_ws_sim::DaveCalls;

use crate::dave_call::{DAVE_WAIT, DaveCall, USERS};
use crate::driver::Driver;
use crate::wait::eventually;

/// Two members, then five, reach the gateway's epoch and one privacy code;
/// each decrypts what each other encrypts; nothing is flagged.
pub async fn two_then_five_members_agree_and_hear_each_other<D: Driver>(driver: &D) {
    let mut call = DaveCall::start(driver, Vec::new(), DaveCalls::default()).await;
    call.join(USERS[0]).await;
    call.join(USERS[1]).await;
    call.settle("two members").await;
    assert_eq!(
        call.log().stats.epoch,
        1,
        "the first commit creates epoch 1"
    );
    let two = call.members[&USERS[0]].seen().privacy_code.clone();

    for user in &USERS[2..] {
        call.join(*user).await;
    }
    call.settle("five members").await;
    let log = call.log();
    assert_eq!(log.members, sorted(&USERS));
    assert!(log.stats.epoch >= 2, "{log:?}");
    assert_eq!(log.stats.groups_created, 1, "{log:?}");
    assert_eq!(log.stats.invalid_commit_welcomes, 0, "{log:?}");
    assert_ne!(
        call.members[&USERS[0]].seen().privacy_code,
        two,
        "a new epoch has a new privacy code"
    );
    assert_eq!(call.errors(), Vec::<(u64, DaveError)>::new());
    // A key package went out on each member's first socket (a later one
    // may be a resume, which needs none).
    for log in &call.sim.connections()[..USERS.len()] {
        assert!(log.received_ops().contains(&26), "{:?}", log.received_ops());
    }
}

/// A member closes its connection: the others move to the next epoch
/// without it and still hear each other.
pub async fn a_member_leaves_and_the_rest_move_to_a_new_epoch<D: Driver>(driver: &D) {
    let mut call = DaveCall::start(driver, Vec::new(), DaveCalls::default()).await;
    for user in &USERS[..3] {
        call.join(*user).await;
    }
    call.settle("three members").await;
    let before = call.log().stats.epoch;

    call.leave(USERS[2]).await;
    eventually("the gateway commits the removal", DAVE_WAIT, || {
        call.log().stats.epoch > before
    })
    .await;
    call.settle("two left").await;
    let log = call.log();
    assert_eq!(log.members, sorted(&USERS[..2]));
    assert_eq!(log.stats.epoch, before + 1, "{log:?}");
    for member in call.members.values() {
        assert_eq!(member.seen().epoch, Some(before + 1));
    }
    assert_eq!(call.errors(), Vec::<(u64, DaveError)>::new());
}

fn sorted(users: &[u64]) -> Vec<u64> {
    let mut users = users.to_vec();
    users.sort_unstable();
    users
}
