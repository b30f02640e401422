//! Conformance scenarios shared by the voice-ws drivers.
//!
//! Every scenario runs a real driver against the local voice gateway
//! ([`voice_ws_sim`]) over loopback sockets and checks both sides: the
//! events the application sees, and the frames the gateway recorded. Wire
//! expectations are literal values from docs/protocol.md (the Identify fields,
//! the Resume's `seq_ack`, close codes), never produced by the code under
//! test.
//!
//! The scenarios are written once, generic over a [`Driver`]. A driver
//! crate adds an implementation (see [`tokio_driver`], [`async_std_driver`]) and a test file that
//! calls each scenario in [`scenarios`]:
//!
//! ```no_run
//! use voice_ws_conformance::{scenarios, tokio_driver::TokioDriver};
//!
//! #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
//! async fn zombie_then_resume() {
//!     scenarios::zombie_then_resume(&TokioDriver::default()).await;
//! }
//! ```
//!
//! The gateway and the scenarios' deadlines run on tokio, so a scenario is
//! always awaited inside a tokio runtime; the driver under test may spawn
//! its own work on any runtime it likes (the async-std driver's tasks run
//! on smol's or async-std's executor).
//!
//! Nothing here times the driver. Waits are deadlines of several seconds
//! that only a broken driver reaches, plus short absence checks ("no new
//! connection within a few heartbeat intervals"); the one timing bound
//! (heartbeat spacing) is a wide behavioural one.

pub mod async_std_driver;
pub mod dave_call;
mod driver;
mod events;
pub mod scenarios;
mod setup;
pub mod tokio_driver;
mod wait;
mod wire;

pub use driver::{Driver, DriverHandle, EventStream};
pub use events::{
    identify_attempt, is_disconnected, is_heartbeat_ack, is_message, is_ready, is_reconnecting,
    is_resumed, is_session_description, is_session_invalidated, message, message_seqs,
    reconnect_attempts, resume_attempt, speaking_ssrc,
};
pub use setup::{
    HEARTBEAT_MS, SERVER_ID, SESSION_ID, ScenarioSim, TOKEN, USER_ID, credentials_for, fast_config,
    scenario_config, sim_config, speaking_push, start_sim,
};
pub use wait::{
    WAIT, assert_quiet, collect_past_ready, collect_speaking, collect_to_end, collect_until,
    eventually, next_event, next_event_matching, through_zombie_to_resumed, wait_for_client_close,
    wait_for_end, wait_for_seq_ack,
};
pub use wire::{
    WireHeartbeat, first_received_json, identify_json, received_closes, received_heartbeats,
    resume_json, sent_seq_at, sent_seqs, start_seqs,
};

/// The core's types the scenarios speak in, for driver implementations.
pub use voice_ws_proto as proto;
