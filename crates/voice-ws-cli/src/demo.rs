//! `voice-ws demo`: the built-in simulator, the tokio driver, and a
//! checklist of every transition a resilient client must make.

use crate::output::say;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use voice_ws_proto::codec::op;
use voice_ws_proto::{CloseCode, Credentials, Endpoint, Event, SessionConfig, Token};
use voice_ws_sim::{RecordedFrame, Sim, scenario};
use voice_ws_tokio::DriverConfig;

use crate::args::DemoArgs;
use crate::media;
use crate::report;
use crate::timeline::Timeline;
use crate::udp_join::UdpJoin;

/// The longest the demo may take before it counts as failed.
const DEADLINE: Duration = Duration::from_secs(30);

/// What must happen, in this order, for the demo to pass.
#[derive(Debug, Default)]
struct Checklist {
    ready: bool,
    session_description: bool,
    heartbeat_rtt: bool,
    dave_binary: usize,
    zombified: bool,
    resumed_after_zombie: bool,
    replayed_after_zombie: usize,
    closed_4015: bool,
    resumed_after_4015: bool,
    stopped_4014: bool,
}

impl Checklist {
    fn observe(&mut self, event: &Event) {
        match event {
            Event::Ready(_) => self.ready = true,
            Event::SessionDescription(_) => self.session_description = true,
            Event::HeartbeatAck { .. } => self.heartbeat_rtt = true,
            Event::Message(m) if matches!(m.message.op(), 25 | 27 | 29 | 30) => {
                self.dave_binary += 1;
                self.count_replay();
            }
            Event::Message(_) => self.count_replay(),
            Event::Zombified => self.zombified = true,
            Event::Resumed if self.closed_4015 => self.resumed_after_4015 = true,
            Event::Resumed if self.zombified => self.resumed_after_zombie = true,
            Event::Disconnected {
                code: Some(CloseCode(4015)),
                by_self: false,
                ..
            } => self.closed_4015 = true,
            Event::Stopped {
                code: Some(CloseCode(4014)),
            } => self.stopped_4014 = true,
            _ => {}
        }
    }

    fn count_replay(&mut self) {
        if self.resumed_after_zombie && !self.closed_4015 {
            self.replayed_after_zombie += 1;
        }
    }

    fn items(&self) -> Vec<(&'static str, bool)> {
        vec![
            ("handshake: Identify -> Hello + Ready", self.ready),
            (
                "Select Protocol -> Session Description",
                self.session_description,
            ),
            ("heartbeats acknowledged, RTT measured", self.heartbeat_rtt),
            #[cfg(not(feature = "dave"))]
            ("DAVE binary frames decoded (>= 4)", self.dave_binary >= 4),
            // With DAVE on, the call is real: the DemoCall items say more.
            #[cfg(feature = "dave")]
            ("DAVE binary frames decoded (>= 2)", self.dave_binary >= 2),
            ("ACKs withheld -> Zombified", self.zombified),
            ("zombie -> Resume -> Resumed", self.resumed_after_zombie),
            (
                "missed messages replayed after resume",
                self.replayed_after_zombie >= 2,
            ),
            (
                "4015 -> Resume -> Resumed",
                self.closed_4015 && self.resumed_after_4015,
            ),
            ("4014 -> Stopped, no reconnect", self.stopped_4014),
        ]
    }
}

/// Runs the demo; `Err` names what went wrong.
pub(crate) async fn run(args: &DemoArgs) -> Result<(), String> {
    let config = scenario::config("demo").ok_or("the simulator has no demo scenario")?;
    #[cfg(feature = "dave")]
    let config = crate::demo_call::sim_config(config);
    let sim = Sim::start(config)
        .await
        .map_err(|e| format!("cannot start the simulator: {e}"))?;
    let endpoint = Endpoint::parse(&sim.url(), true).map_err(|e| e.to_string())?;
    let credentials = Credentials {
        server_id: "41771983423143937".into(),
        channel_id: "127121515262115840".into(),
        user_id: "104694319306248192".into(),
        session_id: "demo-session".into(),
        token: Token::new("demo-token-not-secret"),
        endpoint,
        max_dave_protocol_version: 1,
    };
    let mut session = SessionConfig::default();
    // Fixed seed: the demo's reconnect delays are the same on every run.
    session.rng_seed = 2026;
    session.backoff_base = Duration::from_millis(250);
    let driver = DriverConfig::default().with_session(session);
    if !args.json {
        say!("voice-ws demo: simulator at {}", sim.url());
    }
    #[cfg(feature = "dave")]
    let bot_credentials = credentials.clone();
    let (handle, mut events) = voice_ws_tokio::spawn(driver, credentials);
    #[cfg(feature = "dave")]
    let mut call = crate::demo_call::DemoCall::new(&handle);
    let started = Instant::now();
    let mut timeline = (!args.json).then(Timeline::start);
    let mut checks = Checklist::default();
    // The discovered socket and our SSRC, once Ready came.
    let mut udp: Option<UdpJoin> = None;
    let outcome = tokio::time::timeout(DEADLINE, async {
        while let Some(event) = events.next().await {
            checks.observe(&event);
            match timeline.as_mut() {
                Some(timeline) => timeline.print(&event),
                None => say!("{}", report::event_json(&event)),
            }
            if let Event::Ready(ready) = &event {
                // What a real client does next: IP discovery, Speaking,
                // Select Protocol with the address learned.
                let join = UdpJoin::after_ready(&handle, ready, timeline.as_ref()).await?;
                udp = Some(join);
            }
            if let (Event::SessionDescription(sd), Some(join)) = (&event, &udp) {
                join.after_session_description(sd, timeline.as_ref())
                    .await?;
            }
            #[cfg(feature = "dave")]
            call.after_event(&event, &bot_credentials, timeline.as_ref());
            if matches!(event, Event::Stopped { .. } | Event::Fatal { .. }) {
                break;
            }
        }
        Ok::<(), String>(())
    })
    .await;
    // A stop must be final: give a wrong reconnect a moment to show up.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let connections = sim.connections();
    let media_log = sim.udp();
    drop(handle);
    sim.shutdown().await;
    outcome.map_err(|_| format!("the demo did not finish within {DEADLINE:?}"))??;

    let resume_seq_acks: Vec<String> = connections
        .iter()
        .skip(1)
        .filter_map(|c| c.received.first())
        .filter_map(|r| match &r.frame {
            RecordedFrame::Text(t) => serde_json::from_str::<serde_json::Value>(t).ok(),
            _ => None,
        })
        .filter(|v| v["op"] == op::RESUME)
        .map(|v| v["d"]["seq_ack"].to_string())
        .collect();
    let mut passed = true;
    say!();
    say!("summary ({} s):", crate::units::secs_1dp(started.elapsed()));
    for (what, ok) in checks.items() {
        passed &= ok;
        say!("  [{}] {what}", if ok { "ok" } else { "MISSING" });
    }
    #[cfg(feature = "dave")]
    for (what, ok) in call.items() {
        passed &= ok;
        say!("  [{}] {what}", if ok { "ok" } else { "MISSING" });
    }
    let learned = udp
        .as_ref()
        .map(|join| (join.found.address.clone(), join.found.port));
    let selected = connections
        .first()
        .map(|c| c.received_json())
        .unwrap_or_default()
        .into_iter()
        .find(|v| v["op"] == op::SELECT_PROTOCOL)
        .map(|v| {
            (
                v["d"]["data"]["address"].clone(),
                v["d"]["data"]["port"].clone(),
            )
        });
    let join_ok = learned.as_ref().is_some_and(|(address, port)| {
        selected == Some((serde_json::json!(address), serde_json::json!(port)))
    });
    passed &= join_ok;
    say!(
        "  [{}] IP discovery answered; Select Protocol carried the address learned ({})",
        if join_ok { "ok" } else { "MISSING" },
        learned.map_or("-".into(), |(a, p)| format!("{a}:{p}"))
    );
    let stream = udp
        .as_ref()
        .and_then(|join| media_log.stream(join.ssrc))
        .cloned()
        .unwrap_or_default();
    let frames = u64::from(media::SILENCE_FRAMES);
    let media_ok = stream.decrypted == frames && stream.failed == 0 && stream.before_speaking == 0;
    passed &= media_ok;
    say!(
        "  [{}] simulator decrypted {} of {frames} silence frames ({} failed, {} DAVE silence)",
        if media_ok { "ok" } else { "MISSING" },
        stream.decrypted,
        stream.failed,
        stream.dave_silence
    );
    // The bot's three; with DAVE, the second participant's one too.
    #[cfg(not(feature = "dave"))]
    let expected = 3;
    #[cfg(feature = "dave")]
    let expected = crate::demo_call::DemoCall::connections(3);
    let as_expected = connections.len() == expected;
    passed &= as_expected;
    say!(
        "  [{}] connections opened: {} (expected {expected}); Resume seq_ack sent: {}",
        if as_expected { "ok" } else { "MISSING" },
        connections.len(),
        resume_seq_acks.join(", ")
    );
    if passed {
        say!("demo passed: every expected transition happened");
        Ok(())
    } else {
        Err("demo failed: an expected transition did not happen".into())
    }
}
