//! The driver on smol and on async-std alone: the client side (connect,
//! the task, every wait) never touches tokio. The sim and, for `wss://`, a
//! TLS terminator run on a tokio runtime of their own, in their own
//! threads, as a remote gateway would.
//!
//! The TLS certificates are `voice-ws-tokio`'s test ones (an ECDSA P-256
//! CA, and a leaf for IP 127.0.0.1 valid 2020-2120). Test-only keys.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::time::Duration;

use async_io::Timer;
use voice_ws_async_std::{
    Connection, Credentials, DriverConfig, Endpoint, Event, Events, Handle, SendError,
    SessionConfig, connect,
};
use voice_ws_sim::{Sim, SimConfig};

/// Long enough for any event on a loaded 2-core machine.
const WAIT: Duration = Duration::from_secs(5);
const TOKEN: &str = "TOKEN-never-log-me-a51c";

/// The sim (and anything else server-side) on a tokio runtime that lives
/// as long as this.
struct Gateway {
    sim: Sim,
    runtime: tokio::runtime::Runtime,
}

fn gateway() -> Gateway {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let config = SimConfig::default().with_heartbeat_interval_ms(100.0);
    let sim = runtime.block_on(Sim::start(config)).unwrap();
    Gateway { sim, runtime }
}

fn credentials(sim: &Sim) -> Credentials {
    Credentials {
        server_id: "41771983423143937".into(),
        channel_id: "127121515262115840".into(),
        user_id: "104694319306248192".into(),
        session_id: "session-1".into(),
        token: TOKEN.into(),
        endpoint: Endpoint::parse(&sim.url(), true).unwrap(),
        max_dave_protocol_version: 1,
    }
}

/// Handshake timeouts of a few seconds, backoff in tens of milliseconds.
fn config() -> DriverConfig {
    let mut session = SessionConfig::default();
    session.connect_timeout = Duration::from_secs(3);
    session.hello_timeout = Duration::from_secs(3);
    session.handshake_timeout = Duration::from_secs(3);
    session.backoff_base = Duration::from_millis(20);
    session.backoff_cap = Duration::from_millis(100);
    session.transport.close_timeout = Duration::from_secs(2);
    DriverConfig::default().with_session(session)
}

/// `future`'s output, failing the test after [`WAIT`] (on async-io's timer).
async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    let limit = async {
        Timer::after(WAIT).await;
        panic!("timed out: {what}");
    };
    smol::future::or(future, limit).await
}

/// Events up to and including the first one matching `done`.
async fn until(events: &mut Events, done: impl Fn(&Event) -> bool) -> Vec<Event> {
    let mut seen = Vec::new();
    loop {
        match within("the next event", events.recv()).await {
            Some(event) => {
                let stop = done(&event);
                seen.push(event);
                if stop {
                    return seen;
                }
            }
            None => panic!("events ended before the expected one; saw {seen:#?}"),
        }
    }
}

/// What every executor must do: Identify, Ready, a heartbeat ack, then a
/// graceful close that the sim sees and that ends the events with Stopped.
async fn session(gateway: &Gateway, handle: Handle, mut events: Events) {
    until(&mut events, |e| matches!(e, Event::Ready(_))).await;
    until(&mut events, |e| matches!(e, Event::HeartbeatAck { .. })).await;
    assert_eq!(gateway.sim.connections()[0].received_ops()[0], 0);

    within("a graceful close", handle.close()).await;
    assert!(handle.is_finished());
    // The status is final once the task has ended.
    assert!(handle.status().stats.heartbeats_acked >= 1);
    let mut rest = Vec::new();
    while let Some(event) = within("the end of the events", events.recv()).await {
        rest.push(event);
    }
    assert!(
        matches!(rest.last(), Some(Event::Stopped { .. })),
        "{rest:#?}"
    );
    assert_eq!(handle.send_text("{}").await, Err(SendError::Ended));
}

#[test]
fn runs_on_smol() {
    let gateway = gateway();
    smol::block_on(async {
        let Connection {
            handle,
            events,
            task,
        } = connect(config(), credentials(&gateway.sim));
        smol::spawn(task).detach();
        session(&gateway, handle, events).await;
    });
}

#[test]
fn runs_on_async_std() {
    let gateway = gateway();
    async_std::task::block_on(async {
        let Connection {
            handle,
            events,
            task,
        } = connect(config(), credentials(&gateway.sim));
        async_std::task::spawn(task);
        session(&gateway, handle, events).await;
    });
}

#[test]
fn a_task_dropped_unspawned_ends_the_connection() {
    let gateway = gateway();
    let Connection {
        handle,
        mut events,
        task,
    } = connect(config(), credentials(&gateway.sim));
    drop(task);
    smol::block_on(async {
        assert_eq!(within("the end of the events", events.recv()).await, None);
        assert!(handle.is_finished());
        assert_eq!(handle.send_text("{}").await, Err(SendError::Ended));
        within("closed", handle.closed()).await;
    });
    assert!(gateway.sim.connections().is_empty());
}

/// Credentials for the sim behind a TLS terminator: a bare host:port, as
/// Discord sends it, so `wss://` without any opt-in.
fn behind_tls(gateway: &Gateway) -> Credentials {
    let tls = gateway
        .runtime
        .block_on(voice_ws_sim::tls::terminator(gateway.sim.addr()))
        .unwrap();
    let mut credentials = credentials(&gateway.sim);
    credentials.endpoint = Endpoint::parse(&tls.to_string(), false).unwrap();
    credentials
}

#[test]
fn wss_with_a_trusted_certificate_runs_the_session() {
    let gateway = gateway();
    let credentials = behind_tls(&gateway);
    smol::block_on(async {
        let config =
            config().with_tls(voice_ws_sim::tls::client_config_trusting_test_ca().unwrap());
        let Connection {
            handle,
            events,
            task,
        } = connect(config, credentials);
        smol::spawn(task).detach();
        session(&gateway, handle, events).await;
    });
}

#[test]
fn an_untrusted_certificate_is_refused() {
    let gateway = gateway();
    let credentials = behind_tls(&gateway);
    smol::block_on(async {
        // Default TLS settings: the webpki roots, which do not know the test CA.
        let Connection {
            handle,
            mut events,
            task,
        } = connect(config(), credentials);
        smol::spawn(task).detach();
        let seen = until(&mut events, |e| {
            matches!(e, Event::Reconnecting { attempt: 2, .. })
        })
        .await;
        assert!(!seen.contains(&Event::Connected), "{seen:?}");
        handle.force_close();
    });
    assert!(gateway.sim.connections().is_empty());
}
