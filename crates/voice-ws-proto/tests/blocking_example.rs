//! The blocking example (`examples/blocking/driver.rs`) against the
//! simulator over 127.0.0.1. The sim runs on its own tokio runtime thread;
//! the example runs, blocking, on the test thread.

#[path = "../examples/blocking/driver.rs"]
mod driver;

use std::time::Duration;

use voice_ws_proto::{Credentials, Endpoint, Event, Phase, SessionConfig};
use voice_ws_sim::{Action, ConnectionPlan, Sim, SimConfig, Trigger};

/// Far beyond what any scenario here needs; only a hung driver gets there.
const LIMIT: Duration = Duration::from_secs(20);

/// A sim beating every 100 ms, and the runtime it runs on (kept alive with it).
fn start_sim(plans: Vec<ConnectionPlan>) -> (tokio::runtime::Runtime, Sim) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let config = SimConfig::default()
        .with_heartbeat_interval_ms(100.0)
        .with_plans(plans);
    let sim = runtime
        .block_on(Sim::start(config))
        .expect("the sim binds 127.0.0.1:0");
    (runtime, sim)
}

fn credentials(sim: &Sim) -> Credentials {
    Credentials {
        server_id: "41771983423143937".into(),
        channel_id: "127121515262115840".into(),
        user_id: "104694319306248192".into(),
        session_id: "blocking-session".into(),
        token: "blocking-token".into(),
        endpoint: Endpoint::parse(&sim.url(), true).expect("the sim's ws:// URL is loopback"),
        max_dave_protocol_version: 1,
    }
}

/// Handshake timeouts only a broken driver reaches, backoff in tens of
/// milliseconds, a fixed jitter seed.
fn config() -> SessionConfig {
    let mut config = SessionConfig::default();
    config.connect_timeout = Duration::from_secs(3);
    config.hello_timeout = Duration::from_secs(3);
    config.handshake_timeout = Duration::from_secs(3);
    config.backoff_base = Duration::from_millis(20);
    config.backoff_cap = Duration::from_millis(100);
    config.rng_seed = 0x5EED;
    config.transport.close_timeout = Duration::from_secs(2);
    config
}

/// Runs the example until the session ends or `stop` says so, and returns
/// the phase it ended in and its events, as short labels.
fn run(
    sim: &Sim,
    config: SessionConfig,
    mut stop: impl FnMut(&[String]) -> bool,
) -> (Phase, Vec<String>) {
    let started = std::time::Instant::now();
    let mut seen = Vec::new();
    let phase = driver::run(credentials(sim), config, |event| {
        assert!(started.elapsed() < LIMIT, "still running: {seen:#?}");
        seen.push(label(event));
        stop(&seen)
    });
    (phase, seen)
}

fn label(event: &Event) -> String {
    match event {
        Event::Connected => "connected".into(),
        Event::Hello { .. } => "hello".into(),
        Event::Ready(_) => "ready".into(),
        Event::Resumed => "resumed".into(),
        Event::HeartbeatAck { .. } => "ack".into(),
        Event::Zombified => "zombie".into(),
        Event::Disconnected { code, by_self, .. } => {
            let side = if *by_self { "by us" } else { "by server" };
            format!("closed {:?} {side}", code.map(|c| c.0))
        }
        Event::Reconnecting { resume, .. } => format!("reconnect resume={resume}"),
        Event::Stopped { code } => format!("stopped {:?}", code.map(|c| c.0)),
        other => format!("{other:?}"),
    }
}

/// Handshake and ACKs; a zombie (ACKs withheld) and a resume; a 4015 and a
/// resume; a 4014 and a stop, each on its own connection.
#[test]
fn zombie_4015_and_4014_over_loopback() {
    let (_runtime, sim) = start_sim(vec![
        ConnectionPlan::withhold_acks_after_heartbeats(2),
        ConnectionPlan::close_after_heartbeats(2, 4015),
        ConnectionPlan::close_after_heartbeats(2, 4014),
    ]);
    let (phase, seen) = run(&sim, config(), |_| false);

    assert_eq!(phase, Phase::Stopped);
    #[rustfmt::skip]
    let expected = [
        "connected", "hello", "ready", "ack", "ack",
        "zombie", "closed Some(4000) by us", "reconnect resume=true",
        "connected", "hello", "resumed", "ack", "ack",
        "closed Some(4015) by server", "reconnect resume=true",
        "connected", "hello", "resumed", "ack", "ack",
        "closed Some(4014) by server", "stopped Some(4014)",
    ];
    assert_eq!(seen, expected);

    let logs = sim.connections();
    assert_eq!(logs.len(), 3, "no reconnect after 4014: {logs:#?}");
    let first_ops: Vec<_> = logs.iter().map(|l| l.received_ops()[0]).collect();
    assert_eq!(first_ops, [0, 7, 7], "Identify, then Resume twice");
    for log in &logs[1..] {
        let resume = &log.received_json()[0]["d"];
        assert_eq!(resume["session_id"], "blocking-session");
        assert_eq!(resume["seq_ack"], -1, "no numbered message was sent");
    }
    // Two beats ACKed and one unanswered; the fourth falls due as a zombie.
    assert_eq!(logs[0].heartbeats(), 3);
    assert_eq!(logs[0].closed_by_client, Some(Some(4000)));
    assert_eq!(logs[1].server_close(), Some(Some(4015)));
    assert_eq!(logs[2].server_close(), Some(Some(4014)));
}

/// The application's stop: close 1000 after three ACKs, then `Stopped`.
#[test]
fn stop_closes_with_1000() {
    let (_runtime, sim) = start_sim(Vec::new());
    let acks = |seen: &[String]| seen.iter().filter(|l| *l == "ack").count();
    let (phase, seen) = run(&sim, config(), |seen| acks(seen) >= 3);

    assert_eq!(phase, Phase::Stopped);
    assert_eq!(
        seen[..6],
        ["connected", "hello", "ready", "ack", "ack", "ack"]
    );
    assert_eq!(seen.last().map(String::as_str), Some("stopped Some(1000)"));
    let logs = sim.connections();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].closed_by_client, Some(Some(1000)));
}

/// A message over `max_message_size` is refused by tungstenite unread; the
/// core closes with 1009 and resumes.
#[test]
fn oversized_message_closes_with_1009_and_resumes() {
    let (_runtime, sim) = start_sim(vec![
        ConnectionPlan::new().then(Trigger::AfterReady, Action::SendOversized(8192)),
    ]);
    let mut config = config();
    config.transport.max_message_size = 4096;
    let (phase, seen) = run(&sim, config, |seen| {
        seen.last().is_some_and(|l| l == "resumed")
    });

    assert_eq!(phase, Phase::Stopped);
    let at = seen.iter().position(|l| l == "closed Some(1009) by us");
    assert!(
        at.is_some_and(|at| seen[at - 1].contains("TooLarge")),
        "{seen:#?}"
    );
    let logs = sim.connections();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0].closed_by_client, Some(Some(1009)));
    assert_eq!(logs[1].received_ops()[0], 7);
}
