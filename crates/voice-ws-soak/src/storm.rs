//! The reconnect storm: thousands of connections up, the simulator process
//! killed (every socket reset at once) and restarted on the same port, with
//! its sessions kept (resumes succeed) or lost (every bot needs new
//! credentials); with full-jitter backoff and without.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::time::Instant;
use voice_ws_tokio::{
    Credentials, DriverConfig, Endpoint, Event, Invalidation, SessionConfig, Token,
};

use crate::args::Opts;
use crate::chart::{self, Panel, Series};
use crate::child::ServerProcess;
use crate::progress::Progress;
use crate::units::secs;

pub(crate) const HELP: &str = "\
voice-ws-soak storm: a reconnect storm

Starts the simulator in a separate process (this binary as `serve-storm`),
connects N bots (tokio driver) at the given heartbeat interval, waits until
every one is Ready, then kills the simulator with SIGKILL (every socket
resets at once) and restarts it on the same port after --down:
  kept: the old process saved its sessions to a state file first and the
        new one loads it, so every bot's Resume succeeds;
  lost: the new process starts empty, so every Resume gets 4006 and each
        bot hands over new credentials (Handle::update_credentials), as a
        bot that asked the main gateway again would.
Each is run with the default full-jitter backoff and with jitter off
(SessionConfig::backoff_jitter = false).

Measured from the kill: time until each bot is back (Ready or Resumed;
p50, p99, max), connection attempts per second at the peak (dials that
opened or failed, busiest 1 s window), attempts per bot, and bots that gave
up (reconnect budget exhausted, or a stop or fatal close). Exit status 1
when a bot gave up or was not back within --timeout.

Options:
  --connections N    bots (default 10000; the soft file limit must allow it)
  --heartbeat-ms MS  heartbeat interval (default 1000)
  --down D           how long the simulator stays dead (default 2s)
  --sessions WHICH   kept | lost | both (default both)
  --jitter WHICH     on | off | both (default both)
  --timeout D        how long to wait for every bot to be back (default 180s)
  --chart FILE       attempts over time, SVG (default storm-attempts.svg)
  --state FILE       the simulator's session file (default storm-sessions.txt)
";

/// Options of the storm.
pub(crate) struct StormOpts {
    bots: usize,
    heartbeat_ms: u64,
    down: Duration,
    sessions: Vec<bool>,
    jitter: Vec<bool>,
    timeout: Duration,
    chart: PathBuf,
    state: PathBuf,
}

pub(crate) fn parse(args: &[String]) -> Result<StormOpts, String> {
    let o = Opts::parse(args)?;
    let both = |name: &str, yes: &str, no: &str| -> Result<Vec<bool>, String> {
        match o.string(name).unwrap_or("both") {
            "both" => Ok(vec![true, false]),
            v if v == yes => Ok(vec![true]),
            v if v == no => Ok(vec![false]),
            v => Err(format!("--{name}: {v:?} is not {yes}, {no} or both")),
        }
    };
    Ok(StormOpts {
        bots: o.u64("connections", 10_000)? as usize,
        heartbeat_ms: o.u64("heartbeat-ms", 1000)?,
        down: o.duration("down", Duration::from_secs(2))?,
        sessions: both("sessions", "kept", "lost")?,
        jitter: both("jitter", "on", "off")?,
        timeout: o.duration("timeout", Duration::from_secs(180))?,
        chart: PathBuf::from(o.string("chart").unwrap_or("storm-attempts.svg")),
        state: PathBuf::from(o.string("state").unwrap_or("storm-sessions.txt")),
    })
}

/// 100 ms buckets of attempts, for 10 minutes.
const BUCKET_MS: u64 = 100;
const BUCKETS: usize = 6000;

struct Shared {
    start: Instant,
    /// Milliseconds from `start` to the kill; 0 before it.
    killed_at_ms: AtomicU64,
    ready: AtomicUsize,
    back: AtomicUsize,
    gave_up: AtomicUsize,
    attempts: Vec<AtomicU32>,
}

impl Shared {
    fn since_kill(&self) -> Option<Duration> {
        let k = self.killed_at_ms.load(Ordering::Relaxed);
        (k > 0).then(|| {
            self.start
                .elapsed()
                .saturating_sub(Duration::from_millis(k))
        })
    }
}

#[derive(Default)]
struct StormBot {
    back_after: Option<Duration>,
    attempts: u32,
    gave_up: bool,
}

struct RunResult {
    label: String,
    back: Vec<Duration>,
    not_back: usize,
    gave_up: usize,
    attempts: u64,
    max_attempts: u32,
    peak_1s: u32,
    /// The busiest 1 s and 100 ms once the new process listened.
    peak_up_1s: u32,
    peak_up_100ms: u32,
    peak_100ms: u32,
    curve: Vec<(f64, f64)>,
}

pub(crate) async fn run(o: StormOpts) -> std::io::Result<bool> {
    println!(
        "storm: {} connections, heartbeat {} ms, simulator down {} s",
        o.bots,
        o.heartbeat_ms,
        secs(o.down)
    );
    let mut results = Vec::new();
    for &kept in &o.sessions {
        for &jitter in &o.jitter {
            results.push(one_run(&o, kept, jitter).await?);
        }
    }
    println!();
    println!(
        "{:<16} {:>7} {:>7} {:>7} {:>10} {:>10} {:>11} {:>9} {:>8} {:>4} {:>7}",
        "run",
        "p50 s",
        "p99 s",
        "max s",
        "peak 1 s",
        "up: 1 s",
        "up: 100 ms",
        "attempts",
        "per bot",
        "max",
        "gave up"
    );
    let mut ok = true;
    for r in &results {
        let mut back = r.back.clone();
        back.sort();
        let pct = |p: usize| {
            back.get((back.len() * p / 100).min(back.len().saturating_sub(1)))
                .copied()
                .unwrap_or_default()
        };
        println!(
            "{:<16} {:>7} {:>7} {:>7} {:>10} {:>10} {:>11} {:>9} {:>8} {:>4} {:>7}",
            r.label,
            secs(pct(50)),
            secs(pct(99)),
            secs(back.last().copied().unwrap_or_default()),
            format!("{}/s", r.peak_1s),
            format!("{}/s", r.peak_up_1s),
            format!("{}/s", r.peak_up_100ms * 10),
            r.attempts,
            format!("{:.2}", r.attempts as f64 / o.bots.max(1) as f64),
            r.max_attempts,
            r.gave_up
        );
        if r.gave_up > 0 || r.not_back > 0 {
            println!("  FAIL: {} gave up, {} not back", r.gave_up, r.not_back);
            ok = false;
        }
    }
    println!(
        "(times from the kill; the simulator was down {} s. peak 1 s: attempts in the busiest\n\
         1 s window from the kill on; up: the busiest 1 s and 100 ms (as a rate) once the new\n\
         process listened, what a restarted server has to absorb. attempts: dials that opened or\n\
         failed, the successful one included.)",
        secs(o.down)
    );
    for r in &results {
        println!(
            "{}: busiest 100 ms overall {} attempts",
            r.label, r.peak_100ms
        );
    }
    let panel = |kept: bool| Panel {
        title: format!(
            "Connection attempts per 100 ms after the kill (sessions {})",
            if kept {
                "kept: resumes"
            } else {
                "lost: new credentials"
            }
        ),
        y_label: "attempts",
        series: results
            .iter()
            .filter(|r| r.label.starts_with(if kept { "kept" } else { "lost" }))
            .map(|r| Series {
                name: if r.label.contains("no jitter") {
                    "jitter off"
                } else {
                    "full jitter"
                },
                points: r.curve.clone(),
            })
            .collect(),
    };
    let panels: Vec<Panel> = o.sessions.iter().map(|k| panel(*k)).collect();
    match chart::write_svg(&o.chart, "seconds since the kill", &panels) {
        Ok(()) => println!("chart: {}", o.chart.display()),
        Err(e) => println!("chart: not written ({e})"),
    }
    println!("{}", if ok { "PASS" } else { "FAILED" });
    Ok(ok)
}

async fn one_run(o: &StormOpts, kept: bool, jitter: bool) -> std::io::Result<RunResult> {
    let label = format!(
        "{}, {}",
        if kept { "kept" } else { "lost" },
        if jitter { "jitter" } else { "no jitter" }
    );
    let progress = Progress::new();
    let hb = o.heartbeat_ms.to_string();
    let mut server =
        ServerProcess::spawn(&["serve-storm".into(), "--heartbeat-ms".into(), hb.clone()])?;
    let port: u16 = server
        .expect("port")
        .await?
        .parse()
        .map_err(|_| std::io::Error::other("bad port"))?;
    let shared = Arc::new(Shared {
        start: Instant::now(),
        killed_at_ms: AtomicU64::new(0),
        ready: AtomicUsize::new(0),
        back: AtomicUsize::new(0),
        gave_up: AtomicUsize::new(0),
        attempts: (0..BUCKETS).map(|_| AtomicU32::new(0)).collect(),
    });
    let mut session = SessionConfig::default();
    session.backoff_jitter = jitter;
    let config = DriverConfig::default().with_session(session);
    let mut tasks = Vec::with_capacity(o.bots);
    let mut handles = Vec::with_capacity(o.bots);
    for b in 0..o.bots {
        let (handle, events) = voice_ws_tokio::spawn(config.clone(), credentials(b, port, 0));
        handles.push(handle.clone());
        tasks.push(tokio::spawn(storm_bot(
            b,
            port,
            handle,
            events,
            shared.clone(),
        )));
        if b % 250 == 249 {
            progress.show(&format!(
                "{label}: connecting {}/{}, ready {}",
                b + 1,
                o.bots,
                shared.ready.load(Ordering::Relaxed)
            ));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let ramp = Instant::now();
    while shared.ready.load(Ordering::Relaxed) < o.bots && ramp.elapsed() < o.timeout {
        progress.show(&format!(
            "{label}: ready {}/{}",
            shared.ready.load(Ordering::Relaxed),
            o.bots
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // A few heartbeats with everyone up.
    tokio::time::sleep(Duration::from_millis(o.heartbeat_ms * 3)).await;
    if kept {
        server.send(&format!("save {}", o.state.display())).await?;
        let saved = server.expect("saved").await?;
        progress.done();
        println!(
            "{label}: {} ready, {saved} sessions saved; killing the simulator",
            shared.ready.load(Ordering::Relaxed)
        );
    } else {
        progress.done();
        println!(
            "{label}: {} ready; killing the simulator",
            shared.ready.load(Ordering::Relaxed)
        );
    }
    shared.killed_at_ms.store(
        shared.start.elapsed().as_millis().max(1) as u64,
        Ordering::Relaxed,
    );
    server.kill().await?;
    tokio::time::sleep(o.down).await;
    let mut args = vec![
        "serve-storm".to_owned(),
        "--port".into(),
        port.to_string(),
        "--heartbeat-ms".into(),
        hb,
    ];
    if kept {
        args.push("--load".into());
        args.push(o.state.display().to_string());
    }
    let mut server = ServerProcess::spawn(&args)?;
    server.expect("port").await?;
    let restarted_bucket = (shared.start.elapsed().as_millis() as u64 / BUCKET_MS) as usize;
    let kill = Instant::now();
    loop {
        let back = shared.back.load(Ordering::Relaxed);
        let gave_up = shared.gave_up.load(Ordering::Relaxed);
        if back + gave_up >= o.bots || kill.elapsed() > o.timeout {
            break;
        }
        progress.show(&format!(
            "{label}: {} s after the kill, back {back}/{}, gave up {gave_up}",
            kill.elapsed().as_secs(),
            o.bots
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    progress.done();
    for h in &handles {
        h.force_close();
    }
    let mut bots = Vec::with_capacity(o.bots);
    for t in tasks {
        bots.push(t.await.unwrap_or_default());
    }
    server.quit().await?;

    let killed_bucket = (shared.killed_at_ms.load(Ordering::Relaxed) / BUCKET_MS) as usize;
    let counts: Vec<u32> = shared.attempts[killed_bucket.min(BUCKETS)..]
        .iter()
        .map(|a| a.load(Ordering::Relaxed))
        .collect();
    let last = counts.iter().rposition(|c| *c > 0).unwrap_or(0);
    let curve = counts[..=last.min(counts.len().saturating_sub(1))]
        .iter()
        .enumerate()
        .map(|(i, c)| (i as f64 * BUCKET_MS as f64 / 1000.0, f64::from(*c)))
        .collect();
    let per_second = 1000 / BUCKET_MS as usize;
    let peak = |counts: &[u32]| {
        counts
            .windows(per_second.min(counts.len().max(1)))
            .map(|w| w.iter().sum::<u32>())
            .max()
            .unwrap_or(0)
    };
    let peak_1s = peak(&counts);
    let up = &counts[restarted_bucket
        .saturating_sub(killed_bucket)
        .min(counts.len())..];
    let peak_up_1s = peak(up);
    let peak_up_100ms = up.iter().copied().max().unwrap_or(0);
    Ok(RunResult {
        label,
        back: bots.iter().filter_map(|b| b.back_after).collect(),
        not_back: bots
            .iter()
            .filter(|b| b.back_after.is_none() && !b.gave_up)
            .count(),
        gave_up: bots.iter().filter(|b| b.gave_up).count(),
        attempts: bots.iter().map(|b| u64::from(b.attempts)).sum(),
        max_attempts: bots.iter().map(|b| b.attempts).max().unwrap_or(0),
        peak_1s,
        peak_up_1s,
        peak_up_100ms,
        peak_100ms: counts.iter().copied().max().unwrap_or(0),
        curve,
    })
}

fn credentials(bot: usize, port: u16, generation: u32) -> Credentials {
    let endpoint = Endpoint::parse(&format!("ws://127.0.0.1:{port}/?v=8"), true)
        .unwrap_or_else(|_| fallback_endpoint());
    Credentials {
        server_id: "41771983423143937".into(),
        channel_id: "127121515262115840".into(),
        user_id: format!("{}", 204_694_319_306_248_192_u64 + bot as u64),
        session_id: format!("storm-{bot}-{generation}"),
        token: Token::new(format!("storm-token-{bot}-{generation}")),
        endpoint,
        max_dave_protocol_version: 1,
    }
}

// A loopback ws:// URL always parses; this keeps the type without a panic.
fn fallback_endpoint() -> Endpoint {
    Endpoint::parse("127.0.0.1:1", false).unwrap_or_else(|_| fallback_endpoint())
}

async fn storm_bot(
    bot: usize,
    port: u16,
    handle: voice_ws_tokio::Handle,
    mut events: voice_ws_tokio::Events,
    shared: Arc<Shared>,
) -> StormBot {
    let mut me = StormBot::default();
    let mut ready = false;
    let mut generation = 0;
    while let Some(event) = events.recv().await {
        let since_kill = shared.since_kill();
        match event {
            Event::Connected | Event::ConnectFailed { .. } if since_kill.is_some() => {
                me.attempts += 1;
                let bucket = (shared.start.elapsed().as_millis() as u64 / BUCKET_MS) as usize;
                if let Some(b) = shared.attempts.get(bucket) {
                    b.fetch_add(1, Ordering::Relaxed);
                }
            }
            Event::Ready(_) | Event::Resumed => {
                if !ready {
                    ready = true;
                    shared.ready.fetch_add(1, Ordering::Relaxed);
                }
                if let (Some(after), None) = (since_kill, me.back_after) {
                    me.back_after = Some(after);
                    shared.back.fetch_add(1, Ordering::Relaxed);
                }
            }
            Event::SessionInvalidated { reason, .. } => {
                if matches!(reason, Invalidation::AttemptsExhausted { .. }) && !me.gave_up {
                    me.gave_up = true;
                    shared.gave_up.fetch_add(1, Ordering::Relaxed);
                }
                // The session is gone: new credentials, as from the main gateway.
                generation += 1;
                let _ = handle
                    .update_credentials(credentials(bot, port, generation))
                    .await;
            }
            Event::Stopped { .. } | Event::Fatal { .. }
                if since_kill.is_some() && me.back_after.is_none() && !me.gave_up =>
            {
                me.gave_up = true;
                shared.gave_up.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
    me
}
