//! Who the client is, how it is configured, and the gateway it talks to.

use std::ops::Deref;
use std::time::Duration;

use voice_ws_proto::{Credentials, Endpoint, SessionConfig};
use voice_ws_sim::{ConnectionPlan, ServerPush, Sim, SimConfig, scenario};

use crate::wire::start_seqs;

/// The guild id every scenario identifies with.
pub const SERVER_ID: &str = "41771983423143937";
/// The user id every scenario identifies with.
pub const USER_ID: &str = "104694319306248192";
/// The voice session id of the first session.
pub const SESSION_ID: &str = "conformance-session-1";
/// The voice token of the first session.
pub const TOKEN: &str = "conformance-token-1";
/// The gateway's heartbeat interval in most scenarios, in milliseconds.
pub const HEARTBEAT_MS: f64 = 100.0;

/// Credentials pointing at `sim` (`ws://127.0.0.1:PORT/?v=8`, allowed as
/// loopback), with DAVE version 1.
pub fn credentials_for(sim: &Sim) -> Credentials {
    Credentials {
        server_id: SERVER_ID.into(),
        channel_id: "127121515262115840".into(),
        user_id: USER_ID.into(),
        session_id: SESSION_ID.into(),
        token: TOKEN.into(),
        endpoint: Endpoint::parse(&sim.url(), true).expect("the sim's ws:// URL is loopback"),
        max_dave_protocol_version: 1,
    }
}

/// Handshake timeouts of a few seconds (only a broken driver reaches
/// them), backoff in tens of milliseconds, and a fixed jitter seed so that
/// a run can be replayed.
pub fn fast_config() -> SessionConfig {
    let mut config = SessionConfig::default();
    config.connect_timeout = Duration::from_secs(3);
    config.hello_timeout = Duration::from_secs(3);
    config.handshake_timeout = Duration::from_secs(3);
    config.backoff_base = Duration::from_millis(20);
    config.backoff_cap = Duration::from_millis(100);
    config.rng_seed = 0x5EED_C0DE;
    config.transport.close_timeout = Duration::from_secs(2);
    config
}

/// A gateway beating every [`HEARTBEAT_MS`] whose connections follow `plans`
/// in accept order (later ones are healthy).
pub fn sim_config(plans: Vec<ConnectionPlan>) -> SimConfig {
    SimConfig::default()
        .with_heartbeat_interval_ms(HEARTBEAT_MS)
        .with_plans(plans)
}

/// The sim's named scenario (see [`voice_ws_sim::scenario`]), beating
/// every [`HEARTBEAT_MS`].
///
/// # Panics
/// When the sim has no scenario of that name.
pub fn scenario_config(name: &str) -> SimConfig {
    scenario::config(name)
        .unwrap_or_else(|| panic!("the sim has no {name} scenario"))
        .with_heartbeat_interval_ms(HEARTBEAT_MS)
}

/// Starts the gateway on an ephemeral loopback port.
pub async fn start_sim(config: SimConfig) -> ScenarioSim {
    let sim = Sim::start(config)
        .await
        .expect("the sim binds 127.0.0.1:0 inside a tokio runtime");
    ScenarioSim(sim)
}

/// The gateway of one scenario: a [`Sim`] that, when the scenario fails
/// while holding it, prints each connection's start seq, so that a failure
/// with random seqs can be replayed.
#[derive(Debug)]
pub struct ScenarioSim(Sim);

impl Deref for ScenarioSim {
    type Target = Sim;

    fn deref(&self) -> &Sim {
        &self.0
    }
}

impl Drop for ScenarioSim {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("{}", start_seqs(&self.0.connections()));
        }
    }
}

/// Op 5 Speaking about `user_id`, microphone on.
pub fn speaking_push(user_id: &str, ssrc: u32) -> ServerPush {
    ServerPush::Speaking {
        user_id: user_id.into(),
        ssrc,
        speaking: 1,
    }
}
