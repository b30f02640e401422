//! The chaos soak: many bots, each under its own seeded fault plan, against
//! the simulator in another process; exactly-once accounting of every
//! message both ways; memory sampled throughout.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::bot::{self, BotCtx, BotReport, Live, Stage};
use crate::chart::{self, Panel, Series};
use crate::child::ServerProcess;
use crate::heap;
use crate::plan_gen::{BotPlan, Ending};
use crate::progress::Progress;
use crate::rss::rss_bytes;
use crate::server::SoakServe;
use crate::tail::Pushes;
use crate::units::{mib, secs};

pub(crate) const HELP: &str = "\
voice-ws-soak soak: a chaos soak with exactly-once accounting

Runs N bots (tokio driver) against the voice gateway simulator in a separate
process (this binary re-executed as `serve-soak`), one simulator port per
bot, for a set duration. Each bot's connections follow a fault plan drawn
from the seed: withheld and delayed ACKs (zombie), silence with the socket
open, TCP resets, close 4015, 4006 on resume (the bot then hands over new
credentials with Handle::update_credentials), oversized and malformed
frames, seqs that wrap past 65535 (half the bots start within 40 of it),
4014 and 4004 (the bot rejoins with new credentials, except one bot in ten
whose session ends for good once). The application stops reading events
for 3-8 s now and then (its event queues are small, so they fill) and sends
a numbered message every --send-ms, plus one at each drop (sends during
reconnects).

Accounting: the simulator numbers the messages it pushes to each bot; each
must reach the application exactly once and in order across any number of
resumes (a gap is allowed only at a new session after a planned end). Each
numbered send must reach the simulator exactly once or come back in
Event::Unsent (or be refused by send itself). A session may end only where
its plan says. At the end counted pushes and sends stop (uncounted pushes
keep the sessions' traffic going), every bot gets everything pushed to its
live session, then closes. The protocol acknowledges no client message: a
send missing after a reset, or after a close the server started, within
what was sent since the heartbeat before the last acknowledged one, is
reported as in flight rather than lost.

Exit status 1 on any loss, duplicate, unplanned end, or harness heap that
keeps growing after warm-up; 2 on a usage error.

Options:
  --connections N     bots (default 1000)
  --duration D        fault phase, e.g. 600s, 10m (default 10m)
  --seed S            plan seed (default: from the clock; printed)
  --heartbeat-ms MS   heartbeat interval of the simulator (default 1000)
  --push-ms MS        one numbered push per bot every MS (default 500)
  --send-ms MS        one numbered send per bot every MS (default 500)
  --plans FILE        every bot's plan, one connection a line (default soak-plans.txt)
  --chart FILE        timeline SVG: connections up, resumes, memory (default soak-timeline.svg)
  --settle D          how long the end may take to deliver the rest (default 60s)

Progress goes to stderr when it is a terminal; the report to stdout.
";

struct Sample {
    t: f64,
    up: usize,
    resumes: u64,
    heap: u64,
    rss: u64,
    server_rss: u64,
}

/// Options of a soak run.
pub(crate) struct SoakOpts {
    pub(crate) bots: u64,
    pub(crate) duration: Duration,
    pub(crate) seed: u64,
    pub(crate) heartbeat_ms: u64,
    pub(crate) push_ms: u64,
    pub(crate) send_ms: u64,
    pub(crate) plans: PathBuf,
    pub(crate) chart: PathBuf,
    pub(crate) settle: Duration,
}

/// Runs the soak; `Ok(true)` when every check passed.
pub(crate) async fn run(o: SoakOpts) -> std::io::Result<bool> {
    let progress = Progress::new();
    println!(
        "soak: {} connections, {} s, seed {} (replay with --seed {}), heartbeat {} ms",
        o.bots,
        o.duration.as_secs(),
        o.seed,
        o.seed,
        o.heartbeat_ms
    );
    let plans: Vec<Arc<BotPlan>> = (0..o.bots)
        .map(|b| Arc::new(BotPlan::draw(o.seed, b, o.duration, o.heartbeat_ms)))
        .collect();
    let mut text = String::new();
    for (b, plan) in plans.iter().enumerate() {
        let _ = writeln!(text, "bot {b}: {plan}");
    }
    std::fs::write(&o.plans, text)?;
    println!("plans: {}", o.plans.display());

    let heap_before = heap::live_bytes() as u64;
    let rss_before = rss_bytes(None).unwrap_or(0);
    let serve = SoakServe {
        seed: o.seed,
        bots: o.bots,
        heartbeat_ms: o.heartbeat_ms,
        push_ms: o.push_ms,
        duration: o.duration,
    };
    let mut server = ServerProcess::spawn(&serve.to_args())?;
    let server_pid = server.pid();
    let ports: Vec<u16> = server
        .expect("ports")
        .await?
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    if ports.len() as u64 != o.bots {
        return Err(std::io::Error::other(
            "server reported the wrong number of ports",
        ));
    }
    let server_rss_before = server_pid.and_then(|p| rss_bytes(Some(p))).unwrap_or(0);

    let live = Arc::new(Live::default());
    let (stage_tx, stage_rx) = watch::channel(Stage::Running);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (b, port) in ports.iter().enumerate() {
        let ctx = BotCtx {
            bot: b,
            port: *port,
            seed: o.seed,
            plan: plans[b].clone(),
            send_every: Duration::from_millis(o.send_ms.max(1)),
            stage: stage_rx.clone(),
            live: live.clone(),
        };
        tasks.push(tokio::spawn(bot::run(ctx)));
        // Ramp: 100 bots at a time, so the first handshakes are not all at once.
        if b % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // Warm-up ends when every bot got its first Ready (or after 30 s).
    let mut samples = Vec::new();
    let mut warm: Option<(f64, u64, u64, u64)> = None;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let end = start + o.duration;
    while Instant::now() < end {
        tick.tick().await;
        let t = start.elapsed().as_secs_f64();
        let s = Sample {
            t,
            up: live.up.load(Ordering::Relaxed),
            resumes: live.resumes.load(Ordering::Relaxed),
            heap: heap::live_bytes() as u64,
            rss: rss_bytes(None).unwrap_or(0),
            server_rss: server_pid.and_then(|p| rss_bytes(Some(p))).unwrap_or(0),
        };
        let joined = live.joined.load(Ordering::Relaxed);
        if warm.is_none() && (joined as u64 == o.bots || t > 30.0) {
            warm = Some((t, s.heap, s.rss, s.server_rss));
        }
        progress.show(&format!(
            "{:>4.0}/{} s  joined {joined}/{}  up {}  resumes {}  delivered {}  heap {} MiB",
            t,
            o.duration.as_secs(),
            o.bots,
            s.up,
            s.resumes,
            live.delivered.load(Ordering::Relaxed),
            mib(s.heap)
        ));
        samples.push(s);
    }

    // Stop pushes and sends; every live session gets the rest.
    server.send("stop").await?;
    let pushes: Vec<Pushes> = server
        .expect("pushed")
        .await?
        .split_whitespace()
        .filter_map(Pushes::parse)
        .collect();
    let pushed: Vec<u64> = pushes.iter().map(|p| p.total).collect();
    let _ = stage_tx.send(Stage::Settle(Arc::new(pushes)));
    let settle_start = Instant::now();
    while (live.settled.load(Ordering::Relaxed) as u64) < o.bots
        && settle_start.elapsed() < o.settle
    {
        progress.show(&format!(
            "settling: {}/{} bots have everything pushed to them",
            live.settled.load(Ordering::Relaxed),
            o.bots
        ));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let settled = live.settled.load(Ordering::Relaxed);
    let heap_end = heap::live_bytes() as u64;
    let rss_end = rss_bytes(None).unwrap_or(0);
    let server_rss_end = server_pid.and_then(|p| rss_bytes(Some(p))).unwrap_or(0);

    // Close every bot; Unsent sends come back in the events.
    let _ = stage_tx.send(Stage::Close);
    let mut reports = Vec::new();
    for task in tasks {
        reports.push(task.await.unwrap_or_default());
    }
    progress.done();
    // Give the server a moment to read what the closes flushed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.send("tally").await?;
    let mut tallies = vec![(0u64, 0u64, 0u64); o.bots as usize];
    loop {
        let line = server.expect("").await?;
        if line == "end" {
            break;
        }
        let f: Vec<u64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|n| n.parse().ok())
            .collect();
        if let [bot, received, dups, ooo, _] = f.as_slice() {
            if let Some(t) = tallies.get_mut(*bot as usize) {
                *t = (*received, *dups, *ooo);
            }
        }
    }
    server.quit().await?;

    let warm = warm.unwrap_or((0.0, heap_before, rss_before, server_rss_before));
    let ok = report(
        &o,
        &plans,
        &reports,
        &tallies,
        &pushed,
        settled,
        &samples,
        Memory {
            heap_before,
            rss_before,
            server_rss_before,
            warm,
            heap_end,
            rss_end,
            server_rss_end,
        },
    );
    let panels = timeline_panels(&samples, o.bots);
    match chart::write_svg(&o.chart, "seconds", &panels) {
        Ok(()) => println!("chart: {}", o.chart.display()),
        Err(e) => println!("chart: not written ({e})"),
    }
    Ok(ok)
}

struct Memory {
    heap_before: u64,
    rss_before: u64,
    server_rss_before: u64,
    /// (time, heap, rss, server rss) when every bot had joined.
    warm: (f64, u64, u64, u64),
    heap_end: u64,
    rss_end: u64,
    server_rss_end: u64,
}

#[allow(clippy::too_many_arguments)]
fn report(
    o: &SoakOpts,
    plans: &[Arc<BotPlan>],
    reports: &[BotReport],
    tallies: &[(u64, u64, u64)],
    pushed: &[u64],
    settled: usize,
    samples: &[Sample],
    m: Memory,
) -> bool {
    let n = o.bots.max(1);
    let sum = |f: &dyn Fn(&BotReport) -> u64| reports.iter().map(f).sum::<u64>();
    let connections = sum(&|r| r.connections as u64);
    // Faults: what the plans scheduled on the connections that were opened.
    let mut faults: BTreeMap<&str, u64> = BTreeMap::new();
    for (plan, r) in plans.iter().zip(reports) {
        for c in plan.conns.iter().take(r.connections) {
            *faults.entry(c.ending.name()).or_default() += 1;
            if c.malformed_at_ms.is_some() {
                *faults
                    .entry("malformed frames (bad JSON, unknown ops, 2-byte binary)")
                    .or_default() += 1;
            }
            if c.late_acks_at_ms.is_some() {
                *faults.entry("ACKs 1/3 interval late").or_default() += 1;
            }
            if c.refuse_resume {
                *faults.entry("4006 if it resumes").or_default() += 1;
            }
        }
        *faults
            .entry("slow application (reads nothing 3-8 s)")
            .or_default() += plan.slow_reads.len() as u64;
    }
    let _ = Ending::ALL;
    let mut ends: BTreeMap<String, u64> = BTreeMap::new();
    for r in reports {
        for (k, v) in &r.ends {
            *ends.entry(k.clone()).or_default() += v;
        }
    }
    let pushed_total: u64 = pushed.iter().sum();
    let delivered = sum(&|r| r.ledger.delivered);
    let duplicated = sum(&|r| r.ledger.duplicated);
    let lost = sum(&|r| r.ledger.lost);
    let dropped = sum(&|r| r.ledger.dropped_with_session);
    let sent = sum(&|r| r.sent);
    let refused = sum(&|r| r.refused);
    let returned = sum(&|r| r.returned);
    let received: u64 = tallies.iter().map(|t| t.0).sum();
    let send_dups: u64 = tallies.iter().map(|t| t.1).sum();
    let send_ooo: u64 = tallies.iter().map(|t| t.2).sum();
    let send_delivered = received - send_dups;
    let mut send_lost = 0u64;
    let mut send_in_flight = 0u64;
    let mut send_over = 0u64;
    for (r, t) in reports.iter().zip(tallies) {
        let accounted = t.0 - t.1 + r.returned;
        let missing = r.sent.saturating_sub(accounted);
        // Missing sends a reset may have swallowed are reported, not failed:
        // no client message is acknowledged by the protocol (see the docs).
        let in_flight = missing.min(r.unconfirmed_at_loss);
        send_in_flight += in_flight;
        send_lost += missing - in_flight;
        send_over += accounted.saturating_sub(r.sent);
    }
    let unplanned: Vec<&String> = reports.iter().flat_map(|r| &r.unplanned).collect();
    let longest = reports
        .iter()
        .map(|r| r.longest_recovery)
        .max()
        .unwrap_or_default();
    let after_warm: Vec<u64> = samples
        .iter()
        .filter(|s| s.t >= m.warm.0)
        .map(|s| s.heap)
        .collect();
    let growing = memory_keeps_growing(&after_warm);
    let quarters = quarter_means(&after_warm);

    println!(
        "\nconnections      {} bots, {connections} sockets opened",
        o.bots
    );
    println!("faults scheduled on opened sockets:");
    for (k, v) in &faults {
        println!("  {v:>8}  {k}");
    }
    println!("socket ends seen by the bots:");
    for (k, v) in &ends {
        println!("  {v:>8}  {k}");
    }
    println!("zombies declared {}", sum(&|r| r.zombies));
    println!("invalid frames   {}", sum(&|r| r.invalid_frames));
    println!(
        "seq wraps        {} (sessions that crossed 65535 -> 0)",
        sum(&|r| r.seq_wraps)
    );
    println!("resumes          {}", sum(&|r| r.resumes));
    println!(
        "new sessions     {} ({} first joins, {} after planned ends; {} bots ended for good)",
        sum(&|r| r.new_sessions),
        reports.iter().filter(|r| r.new_sessions > 0).count(),
        sum(&|r| r.planned_ends),
        reports.iter().filter(|r| r.ended_for_good).count()
    );
    println!(
        "pushed messages  {pushed_total} pushed, {delivered} delivered once in order, {duplicated} duplicated, {lost} lost, {dropped} gone with planned session ends"
    );
    println!(
        "sent messages    {sent} sent, {send_delivered} delivered, {send_dups} duplicated, {send_ooo} out of order, {returned} returned in Unsent, {refused} refused by send, {send_in_flight} in flight when the server reset or closed, {send_lost} lost, {send_over} both returned and delivered"
    );
    println!(
        "settled          {settled}/{} bots got everything pushed to their live session",
        o.bots
    );
    println!("longest recovery {} s", secs(longest));
    println!(
        "harness memory   heap {} -> {} (warm) -> {} MiB ({} KiB per connection at the end); RSS {} -> {} -> {} MiB",
        mib(m.heap_before),
        mib(m.warm.1),
        mib(m.heap_end),
        m.heap_end.saturating_sub(m.heap_before) / 1024 / n,
        mib(m.rss_before),
        mib(m.warm.2),
        mib(m.rss_end)
    );
    println!(
        "server memory    RSS {} -> {} (warm) -> {} MiB ({} KiB per connection at the end)",
        mib(m.server_rss_before),
        mib(m.warm.3),
        mib(m.server_rss_end),
        m.server_rss_end.saturating_sub(m.server_rss_before) / 1024 / n
    );
    println!(
        "heap after warm-up: {} (quarter means {} MiB)",
        if growing {
            "KEEPS GROWING"
        } else {
            "not growing"
        },
        quarters
            .iter()
            .map(|q| mib(*q as u64))
            .collect::<Vec<_>>()
            .join(", ")
    );

    let mut ok = true;
    let mut fail = |cond: bool, what: String| {
        if cond {
            println!("FAIL: {what}");
            ok = false;
        }
    };
    fail(
        duplicated > 0,
        format!("{duplicated} pushed messages duplicated"),
    );
    fail(lost > 0, format!("{lost} pushed messages lost"));
    fail(send_dups > 0, format!("{send_dups} sends duplicated"));
    fail(send_lost > 0, format!("{send_lost} sends lost"));
    fail(
        send_over > 0,
        format!("{send_over} sends both returned and delivered"),
    );
    fail(
        !unplanned.is_empty(),
        format!("{} unplanned session ends or new sessions", unplanned.len()),
    );
    for u in unplanned.iter().take(20) {
        println!("  {u}");
    }
    fail(
        growing,
        "harness heap keeps growing after warm-up".to_owned(),
    );
    fail(
        (settled as u64) < o.bots,
        format!(
            "{} bots never got everything pushed to them",
            o.bots - settled as u64
        ),
    );
    for (b, (r, t)) in reports.iter().zip(tallies).enumerate() {
        let missing = r.sent.saturating_sub(t.0 - t.1 + r.returned);
        if r.ledger.lost + r.ledger.duplicated > 0
            || missing > r.unconfirmed_at_loss
            || !r.unplanned.is_empty()
        {
            println!(
                "  bot {b}: {:?}; sends {} tally {t:?}; plan in {}",
                r.ledger,
                r.sent,
                o.plans.display()
            );
            for line in &r.trace {
                println!("    {line}");
            }
        }
    }
    println!("{}", if ok { "PASS" } else { "FAILED" });
    ok
}

/// Whether heap samples taken after warm-up keep growing: the run is cut
/// into four quarters; the means of the last three each above the one
/// before, and the last more than 5 % (and 1 MiB) above the second. The
/// first quarter is left out: per-connection state still filling up (a
/// bot's bounded trace, queues reaching their working size) levels off
/// there. A plateau, a curve that levels off, or a saw tooth is not growth.
pub(crate) fn memory_keeps_growing(samples: &[u64]) -> bool {
    if samples.len() < 8 {
        return false;
    }
    let means = quarter_means(samples);
    let rising = means[1..].windows(2).all(|w| w[1] > w[0]);
    let second = means[1];
    rising && means[3] > second * 1.05 && means[3] - second > 1024.0 * 1024.0
}

/// The mean of each quarter of `samples` (empty when fewer than 4).
fn quarter_means(samples: &[u64]) -> Vec<f64> {
    let q = samples.len() / 4;
    if q == 0 {
        return Vec::new();
    }
    (0..4)
        .map(|i| {
            let part = &samples[i * q..(i + 1) * q];
            part.iter().sum::<u64>() as f64 / part.len() as f64
        })
        .collect()
}

fn timeline_panels(samples: &[Sample], bots: u64) -> Vec<Panel> {
    let pts = |f: &dyn Fn(&Sample) -> f64| samples.iter().map(|s| (s.t, f(s))).collect::<Vec<_>>();
    let mut resume_rate = Vec::new();
    for w in samples.windows(2) {
        let dt = (w[1].t - w[0].t).max(1e-3);
        resume_rate.push((w[1].t, (w[1].resumes - w[0].resumes) as f64 / dt));
    }
    vec![
        Panel {
            title: format!("Sessions up (of {bots})"),
            y_label: "bots",
            series: vec![Series {
                name: "up (Ready or Resumed)",
                points: pts(&|s| s.up as f64),
            }],
        },
        Panel {
            title: "Resumes per second".to_owned(),
            y_label: "resumes/s",
            series: vec![Series {
                name: "resumes/s",
                points: resume_rate,
            }],
        },
        Panel {
            title: "Memory".to_owned(),
            y_label: "MiB",
            series: vec![
                Series {
                    name: "harness heap",
                    points: pts(&|s| s.heap as f64 / 1048576.0),
                },
                Series {
                    name: "harness RSS",
                    points: pts(&|s| s.rss as f64 / 1048576.0),
                },
                Series {
                    name: "simulator RSS",
                    points: pts(&|s| s.server_rss as f64 / 1048576.0),
                },
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growth_is_a_steady_rise_not_a_plateau() {
        let mib = 1024 * 1024;
        let rising: Vec<u64> = (0..40).map(|i| 10 * mib + i * mib / 4).collect();
        assert!(memory_keeps_growing(&rising));
        let flat: Vec<u64> = (0..40).map(|i| 10 * mib + (i % 3) * mib).collect();
        assert!(!memory_keeps_growing(&flat));
        let step_then_flat: Vec<u64> = (0..40)
            .map(|i| if i < 5 { 5 * mib } else { 20 * mib })
            .collect();
        assert!(!memory_keeps_growing(&step_then_flat));
        // Quarter means 18.6, 20.1, 20.4, 20.6 MiB: a fill that levels off
        // (seen in a 150 s run), not a leak.
        let levelling: Vec<u64> = [18.6, 20.1, 20.4, 20.6]
            .iter()
            .flat_map(|m| std::iter::repeat_n((m * mib as f64) as u64, 10))
            .collect();
        assert!(!memory_keeps_growing(&levelling));
        assert!(!memory_keeps_growing(&[1, 2, 3]));
    }
}
