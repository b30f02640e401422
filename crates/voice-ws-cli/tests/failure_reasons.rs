//! Runs the built `voice-ws connect` against each way a dial fails, for
//! real on 127.0.0.1 (and a name under `.invalid`, which never resolves),
//! and checks that the first lines a person reads say why, in the timeline
//! and in `--json`.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use common::{closed_port, run_for};

/// Long enough for a few attempts; every child is killed after it.
const RUN: Duration = Duration::from_millis(2500);

/// `voice-ws connect` to `endpoint`, as a timeline and as JSON lines.
fn connect(endpoint: &str, insecure: bool) -> (String, String) {
    let mut args = vec![
        "connect",
        "--endpoint",
        endpoint,
        "--server-id",
        "1",
        "--user-id",
        "2",
        "--session-id",
        "3",
        "--connect-timeout-ms",
        "300",
    ];
    if insecure {
        args.push("--allow-insecure");
    }
    let timeline = run_for(&args, RUN);
    args.push("--json");
    let json = run_for(&args, RUN);
    (timeline, json)
}

/// The first `connect failed` line of the timeline, and the `kind` and
/// `reason` of the first `connect_failed` JSON event.
fn first_failure(timeline: &str, json: &str) -> (String, String, String) {
    let line = timeline
        .lines()
        .find(|l| l.contains("connect failed: "))
        .unwrap_or_else(|| panic!("no connect failed line in:\n{timeline}"))
        .to_owned();
    let event: serde_json::Value = json
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|v| v["event"] == "connect_failed")
        .unwrap_or_else(|| panic!("no connect_failed event in:\n{json}"));
    let kind = event["kind"].as_str().unwrap().to_owned();
    let reason = event["reason"].as_str().unwrap().to_owned();
    (line, kind, reason)
}

/// A listener that serves every connection with `serve` until the test
/// process ends.
fn listener(serve: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || serve(stream));
        }
    });
    addr
}

#[test]
fn a_closed_port_says_connection_refused() {
    let endpoint = format!("ws://127.0.0.1:{}", closed_port());
    let (timeline, json) = connect(&endpoint, true);
    let (line, kind, reason) = first_failure(&timeline, &json);
    assert!(line.contains("connection refused"), "{line}");
    assert_eq!(kind, "refused");
    assert!(reason.contains("nothing listens"), "{reason}");
}

#[test]
fn a_name_that_does_not_resolve_says_dns() {
    let (timeline, json) = connect("wss://voice-ws-test.invalid", false);
    let (line, kind, reason) = first_failure(&timeline, &json);
    assert!(line.contains("DNS lookup failed"), "{line}");
    assert_eq!(kind, "dns");
    assert!(reason.contains("host name"), "{reason}");
}

#[test]
fn an_http_404_on_the_upgrade_says_so_with_the_status() {
    let addr = listener(|mut stream| {
        let mut request = [0u8; 2048];
        let _ = stream.read(&mut request);
        let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    });
    let (timeline, json) = connect(&format!("ws://{addr}"), true);
    let (line, kind, reason) = first_failure(&timeline, &json);
    assert!(line.contains("HTTP 404"), "{line}");
    assert_eq!(kind, "upgrade_rejected");
    assert!(reason.contains("not a voice gateway"), "{reason}");
}

#[test]
fn a_listener_that_never_answers_times_out() {
    let addr = listener(|stream| {
        // Holds the connection open and silent past the child's life.
        thread::sleep(RUN * 3);
        drop(stream);
    });
    let (timeline, json) = connect(&format!("ws://{addr}"), true);
    let (line, kind, reason) = first_failure(&timeline, &json);
    assert!(line.contains("within connect_timeout"), "{line}");
    assert_eq!(kind, "timed_out");
    assert!(reason.contains("does not answer"), "{reason}");
}

#[test]
fn an_untrusted_certificate_says_how_to_trust_a_local_ca() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (sim, tls) = runtime.block_on(async {
        let sim = voice_ws_sim::Sim::start(voice_ws_sim::SimConfig::default())
            .await
            .unwrap();
        let tls = voice_ws_sim::tls::terminator(sim.addr()).await.unwrap();
        (sim, tls)
    });
    let (timeline, json) = connect(&tls.to_string(), false);
    let (line, kind, reason) = first_failure(&timeline, &json);
    assert!(line.contains("TLS certificate problem"), "{line}");
    assert_eq!(kind, "tls");
    assert!(reason.contains("DriverConfig::tls"), "{reason}");
    // The handshake failed before any WebSocket reached the sim.
    assert!(sim.connections().is_empty());
    drop(runtime);
}
