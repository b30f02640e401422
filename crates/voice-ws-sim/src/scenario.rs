//! Named, ready-made gateway behaviours for the CLI, the conformance tests and
//! anyone pointing a client at the sim. Each scenario drives itself (pushes
//! are scheduled in its plans), so a client alone exercises it.

use std::time::Duration;

use crate::config::SimConfig;
use crate::plan::{Action, ConnectionPlan, Trigger};
use crate::push::ServerPush;

/// One named scenario: the one place its name, description, duration and
/// configuration are written.
struct Scenario {
    name: &'static str,
    description: &'static str,
    /// Longest its own plan takes before it is done with a well-behaved client.
    expected_duration: Duration,
    config: fn() -> SimConfig,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "normal",
        description: "Healthy gateway: ACKs every heartbeat; after Ready pushes Speaking, Clients Connect and DAVE binary ops 25 and 27.",
        expected_duration: Duration::from_secs(2),
        config: normal,
    },
    Scenario {
        name: "zombie",
        description: "First connection stops ACKing after the 2nd heartbeat, socket left open; the resume on the next connection works.",
        expected_duration: Duration::from_secs(6),
        config: || plan(ConnectionPlan::withhold_acks_after_heartbeats(2)),
    },
    Scenario {
        name: "silent",
        description: "First connection goes silent right after Ready (socket open, no ACKs) while 2 messages are pushed; the resume replays them.",
        expected_duration: Duration::from_secs(6),
        config: silent,
    },
    Scenario {
        name: "flaky",
        description: "First connection closes with 4015 (voice server crashed) after the 3rd heartbeat; the resume works.",
        expected_duration: Duration::from_secs(6),
        config: || plan(ConnectionPlan::close_after_heartbeats(3, 4015)),
    },
    Scenario {
        name: "reset",
        description: "First connection is reset at the TCP level (no close frame) after the 2nd heartbeat; the resume works.",
        expected_duration: Duration::from_secs(6),
        config: || plan(ConnectionPlan::reset_after_heartbeats(2)),
    },
    Scenario {
        name: "refuse-resume",
        description: "First connection is reset (1006-style) after the 2nd heartbeat; the resume is refused with 4006, so a new session is needed.",
        expected_duration: Duration::from_secs(6),
        config: || {
            plan(ConnectionPlan::reset_after_heartbeats(2))
                .with_plan(ConnectionPlan::refuse_resume(4006))
        },
    },
    Scenario {
        name: "drop-before-ready",
        description: "First connection is reset after Identify, before Ready: that session never existed, so the next socket must Identify again (a Resume gets 4006).",
        expected_duration: Duration::from_secs(2),
        config: || plan(ConnectionPlan::new().then(Trigger::BeforeReady, Action::Reset)),
    },
    Scenario {
        name: "slow-acks",
        description: "On the first connection every ACK arrives 1.5 heartbeat intervals after its heartbeat (nonces echoed, in order): a client tolerating more than one missed ACK stays on it; one with tolerance 1 zombies and resumes onto a healthy connection.",
        expected_duration: Duration::from_secs(6),
        config: slow_acks,
    },
    Scenario {
        name: "kick",
        description: "Closes with 4014 (disconnected) right after Ready; the client must not reconnect.",
        expected_duration: Duration::from_secs(2),
        config: || plan(ConnectionPlan::close_after_ready(4014)),
    },
    Scenario {
        name: "malformed",
        description: "After Ready sends a non-JSON text frame, unknown ops (text op 18, binary op 99), a 2-byte binary frame, then a valid Speaking.",
        expected_duration: Duration::from_secs(2),
        config: malformed,
    },
    Scenario {
        name: "oversized",
        description: "After Ready sends a 1 MiB text frame of valid JSON with an unknown op, then a valid Speaking.",
        expected_duration: Duration::from_secs(2),
        config: || {
            plan(
                ConnectionPlan::new()
                    .then(Trigger::AfterReady, Action::SendOversized(1 << 20))
                    .then(Trigger::AfterReady, Action::Push(speaking("1001", 1))),
            )
        },
    },
    Scenario {
        name: "oversized-replay",
        description: "After Ready pushes a numbered 1 MiB text frame (op 18), kept for replay: every resume that has not acknowledged it gets it again.",
        expected_duration: Duration::from_secs(2),
        config: || {
            plan(ConnectionPlan::new().then(Trigger::AfterReady, Action::PushOversized(1 << 20)))
        },
    },
    Scenario {
        name: "wraparound",
        description: "Seqs start at 65533: 3 pushes reach 65535, 3 more (0, 1, 2) are held back while silent, then 4015; the resume must replay 0..=2.",
        expected_duration: Duration::from_secs(6),
        config: wraparound,
    },
    Scenario {
        name: "dave",
        description: "DAVE handshake traffic after Ready: prepare epoch, external sender (25), proposals (27), announce commit (29), prepare and execute transition.",
        expected_duration: Duration::from_secs(2),
        config: dave,
    },
    #[cfg(feature = "dave")]
    Scenario {
        name: "dave-call",
        description: "Sessions identifying with the same server_id share one call, and the gateway runs its DAVE group as Discord does: external sender (25), add proposals from key packages (27), first valid commit announced (29) with welcomes (30), transitions (21-24), removals when members leave or report op 31. Needs numeric user ids, and a numeric server_id or a channel_id in Identify.",
        expected_duration: Duration::from_secs(2),
        config: || SimConfig::default().with_dave_calls(crate::config::DaveCalls::default()),
    },
    Scenario {
        name: "demo",
        description: "About 10 s at 500 ms heartbeats: pushes and DAVE frames, then silence (zombie) and resume with replay, 4015 and resume, finally 4014.",
        expected_duration: Duration::from_secs(10),
        config: demo,
    },
];

fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// Every scenario name, in a stable order.
pub fn names() -> &'static [&'static str] {
    const NAMES: [&str; SCENARIOS.len()] = {
        let mut names = [""; SCENARIOS.len()];
        let mut i = 0;
        while i < SCENARIOS.len() {
            names[i] = SCENARIOS[i].name;
            i += 1;
        }
        names
    };
    &NAMES
}

/// One-line description of a scenario.
pub fn describe(name: &str) -> Option<&'static str> {
    find(name).map(|s| s.description)
}

/// The configuration of a scenario (ephemeral port; set [`SimConfig::port`] to
/// pin it).
pub fn config(name: &str) -> Option<SimConfig> {
    find(name).map(|s| (s.config)())
}

/// Longest a scenario's own plan takes before it is done with a
/// well-behaved client, as a hint for callers' timeouts.
pub fn expected_duration(name: &str) -> Option<Duration> {
    find(name).map(|s| s.expected_duration)
}

/// The default gateway whose first connection follows `first`.
fn plan(first: ConnectionPlan) -> SimConfig {
    SimConfig::default().with_plan(first)
}

/// `plan` with each of `pushes` sent at `when`, in order.
fn push_all(
    plan: ConnectionPlan,
    when: Trigger,
    pushes: impl IntoIterator<Item = ServerPush>,
) -> ConnectionPlan {
    pushes
        .into_iter()
        .fold(plan, |plan, push| plan.then(when, Action::Push(push)))
}

fn speaking(user_id: &str, ssrc: u32) -> ServerPush {
    ServerPush::Speaking {
        user_id: user_id.into(),
        ssrc,
        speaking: 1,
    }
}

fn normal() -> SimConfig {
    let pushes = [
        speaking("1001", 1),
        ServerPush::ClientsConnect(vec!["1001".into(), "1002".into()]),
        ServerPush::dave_external_sender(b"external-sender"),
        ServerPush::dave_proposals(b"proposals"),
    ];
    plan(push_all(ConnectionPlan::new(), Trigger::AfterReady, pushes))
}

fn silent() -> SimConfig {
    let pushes = [
        speaking("1001", 1),
        ServerPush::ClientsConnect(vec!["1002".into()]),
    ];
    plan(push_all(
        ConnectionPlan::silent_after_ready(),
        Trigger::AfterReady,
        pushes,
    ))
}

fn slow_acks() -> SimConfig {
    let base = SimConfig::default();
    let delay = Duration::from_secs_f64(base.heartbeat_interval_ms * 1.5 / 1000.0);
    base.with_plan(ConnectionPlan::new().then(Trigger::OnOpen, Action::DelayAcks(delay)))
}

fn malformed() -> SimConfig {
    plan(
        ConnectionPlan::new()
            .then(Trigger::AfterReady, Action::SendMalformed)
            .then(Trigger::AfterReady, Action::SendUnknownOp)
            .then(Trigger::AfterReady, Action::SendShortBinary)
            .then(Trigger::AfterReady, Action::Push(speaking("1001", 1))),
    )
}

fn wraparound() -> SimConfig {
    let before_wrap = [
        speaking("1001", 1),
        ServerPush::dave_external_sender(b"wrap"),
        ServerPush::ClientsConnect(vec!["1002".into()]),
    ];
    let after_wrap = [
        ServerPush::dave_proposals(b"after-wrap"),
        speaking("1002", 2),
        ServerPush::ClientDisconnect("1002".into()),
    ];
    let first = push_all(ConnectionPlan::new(), Trigger::AfterReady, before_wrap)
        .then(Trigger::AfterHeartbeats(2), Action::GoSilent);
    let first = push_all(first, Trigger::AfterHeartbeats(2), after_wrap)
        .then(Trigger::AfterHeartbeats(3), Action::Close(4015));
    plan(first).with_start_seq(65533)
}

fn dave() -> SimConfig {
    let pushes = [
        ServerPush::dave_prepare_epoch(1, 1, 1),
        ServerPush::dave_external_sender(b"external-sender"),
        ServerPush::dave_proposals(b"proposals"),
        ServerPush::dave_announce_commit(1, b"commit"),
        ServerPush::DavePrepareTransition {
            transition_id: 1,
            protocol_version: 1,
        },
        ServerPush::DaveExecuteTransition { transition_id: 1 },
    ];
    plan(push_all(ConnectionPlan::new(), Trigger::AfterReady, pushes)).with_dave_protocol_version(1)
}

/// At 500 ms: conn 0 lives ~2 s then goes silent; a client with the default
/// tolerance of one missed ACK gives up ~1 s later and resumes. Conns 1 and 2
/// last 5 heartbeats each (~2.5 s), which adds up to about 10 s with backoff.
fn demo() -> SimConfig {
    let first = ConnectionPlan::new()
        .then(
            Trigger::AfterHeartbeats(1),
            Action::Push(speaking("1001", 1)),
        )
        .then(
            Trigger::AfterHeartbeats(2),
            Action::Push(ServerPush::dave_external_sender(b"external-sender")),
        )
        .then(
            Trigger::AfterHeartbeats(2),
            Action::Push(ServerPush::dave_proposals(b"proposals")),
        )
        .then(
            Trigger::AfterHeartbeats(3),
            Action::Push(ServerPush::dave_announce_commit(7, b"commit")),
        )
        .then(
            Trigger::AfterHeartbeats(3),
            Action::Push(ServerPush::dave_welcome(7, b"welcome")),
        )
        .then(Trigger::AfterHeartbeats(4), Action::GoSilent)
        // Pushed while silent: the client only sees these in the replay.
        .then(
            Trigger::AfterHeartbeats(4),
            Action::Push(ServerPush::ClientsConnect(vec!["1002".into()])),
        )
        .then(
            Trigger::AfterHeartbeats(4),
            Action::Push(speaking("1002", 2)),
        );
    let second = ConnectionPlan::new()
        .then(
            Trigger::AfterHeartbeats(2),
            Action::Push(ServerPush::ClientDisconnect("1002".into())),
        )
        .then(Trigger::AfterHeartbeats(5), Action::Close(4015));
    let third = ConnectionPlan::close_after_heartbeats(5, 4014);
    SimConfig::default()
        .with_heartbeat_interval_ms(500.0)
        .with_plans(vec![first, second, third])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_has_a_description_and_config() {
        assert!(names().len() >= 15);
        let mut unique = names().to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names().len(), "names are unique");
        for name in names() {
            assert!(describe(name).is_some(), "{name}");
            assert!(config(name).is_some(), "{name}");
            assert!(expected_duration(name).is_some(), "{name}");
        }
        assert!(config("nope").is_none());
        assert!(describe("nope").is_none());
    }

    #[test]
    fn slow_acks_are_slower_than_one_interval() {
        let config = config("slow-acks").expect("exists");
        let delay = Duration::from_millis(1500);
        assert_eq!(config.heartbeat_interval_ms, 1000.0);
        assert_eq!(
            config.plans[0].steps[0],
            crate::Step::new(Trigger::OnOpen, Action::DelayAcks(delay))
        );
    }

    #[test]
    fn demo_shape() {
        let demo = config("demo").expect("demo exists");
        assert_eq!(demo.heartbeat_interval_ms, 500.0);
        assert_eq!(demo.plans.len(), 3);
    }
}
