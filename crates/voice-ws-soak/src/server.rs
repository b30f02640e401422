//! The simulator side, run in its own process (this binary re-executed with
//! `serve-soak` or `serve-storm`), driven by one-line commands on stdin and
//! answering on stdout. Keeping it in another process keeps its CPU, memory
//! and sockets out of the harness's figures, and lets the storm kill it.

use std::io::Write;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use voice_ws_sim::{SavedSessions, ServerPush, Sim, SimConfig};

use crate::plan_gen::BotPlan;
use crate::tail::Tail;

/// The ssrc the numbered pushes carry; the bot counts only those.
pub(crate) const PUSH_SSRC: u32 = 0x50AC;
/// The ssrc of the pushes that keep traffic flowing after `stop`: numbered
/// by the gateway like any push, not counted by the bots. Without them a
/// session that keeps failing the same way while the run settles would
/// see no new message, which the core rightly takes for a resume loop.
const FILLER_SSRC: u32 = 0xF111;

/// `serve-soak` arguments, as the harness passes them.
#[derive(Clone, Debug)]
pub(crate) struct SoakServe {
    pub(crate) seed: u64,
    pub(crate) bots: u64,
    pub(crate) heartbeat_ms: u64,
    pub(crate) push_ms: u64,
    pub(crate) duration: Duration,
}

impl SoakServe {
    pub(crate) fn to_args(&self) -> Vec<String> {
        vec![
            "serve-soak".into(),
            self.seed.to_string(),
            self.bots.to_string(),
            self.heartbeat_ms.to_string(),
            self.push_ms.to_string(),
            self.duration.as_secs().to_string(),
        ]
    }

    pub(crate) fn from_args(args: &[String]) -> Option<Self> {
        let n = |i: usize| args.get(i)?.parse::<u64>().ok();
        Some(Self {
            seed: n(0)?,
            bots: n(1)?,
            heartbeat_ms: n(2)?,
            push_ms: n(3)?,
            duration: Duration::from_secs(n(4)?),
        })
    }
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// One sim per bot (its own port, so its own plan list by accept order and
/// its own active session), a pusher numbering messages per bot.
///
/// Commands: `stop` (no more counted pushes, uncounted ones from then on;
/// answers `pushed n0/f0/h0 n1/f1/h1 …`: each bot's count, the first of
/// them that went to its session still active, and whether those were held,
/// see [`Tail`]), `tally`
/// (answers `tally b received duplicates out_of_order highest` per bot,
/// then `end`), `quit`.
pub(crate) async fn serve_soak(args: SoakServe) -> std::io::Result<()> {
    let mut sims = Vec::new();
    for bot in 0..args.bots {
        let plan = BotPlan::draw(args.seed, bot, args.duration, args.heartbeat_ms);
        let config = SimConfig::default()
            .with_heartbeat_interval_ms(args.heartbeat_ms as f64)
            .with_plans(plan.sim_plans(args.heartbeat_ms))
            .with_start_seq(plan.start_seq)
            .with_record_frames(false);
        sims.push(Sim::start(config).await?);
    }
    let ports: Vec<String> = sims.iter().map(|s| s.addr().port().to_string()).collect();
    say(&format!("ports {}", ports.join(" ")));
    let mut pushed = vec![0u64; sims.len()];
    let mut tails: Vec<Tail> = sims.iter().map(|_| Tail::default()).collect();
    let mut pushing = true;
    let mut tick = tokio::time::interval(Duration::from_millis(args.push_ms.max(1)));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            _ = tick.tick() => {
                for ((sim, n), tail) in sims.iter().zip(pushed.iter_mut()).zip(tails.iter_mut()) {
                    let (user_id, ssrc) = if pushing {
                        *n += 1;
                        (n.to_string(), PUSH_SSRC)
                    } else {
                        ("1".to_owned(), FILLER_SSRC)
                    };
                    let to = sim.push(ServerPush::Speaking {
                        user_id,
                        ssrc,
                        speaking: 1,
                    });
                    if pushing {
                        tail.pushed(*n, to);
                    }
                }
            }
            line = lines.next_line() => match line?.as_deref().map(str::trim) {
                Some("stop") => {
                    pushing = false;
                    let list: Vec<String> = sims
                        .iter()
                        .zip(&pushed)
                        .zip(&tails)
                        .map(|((sim, n), tail)| tail.at_stop(*n, sim.active_session()).to_wire())
                        .collect();
                    say(&format!("pushed {}", list.join(" ")));
                }
                Some("tally") => {
                    for (bot, sim) in sims.iter().enumerate() {
                        let t = sim.client_tally();
                        say(&format!(
                            "tally {bot} {} {} {} {}",
                            t.received, t.duplicates, t.out_of_order, t.highest
                        ));
                    }
                    say("end");
                }
                Some("quit") | None => break,
                Some(_) => {}
            }
        }
    }
    for sim in sims {
        sim.shutdown().await;
    }
    Ok(())
}

/// One sim on `port` (0: any), optionally starting with the sessions in
/// `load`. Answers `port P` when listening. Commands: `save FILE` (writes
/// the resumable sessions, answers `saved N`), `quit`. The storm kills it.
pub(crate) async fn serve_storm(
    port: u16,
    heartbeat_ms: u64,
    load: Option<&str>,
) -> std::io::Result<()> {
    let sessions = match load {
        Some(path) => SavedSessions::from_text(&std::fs::read_to_string(path)?)
            .map_err(std::io::Error::other)?,
        None => SavedSessions::default(),
    };
    let config = SimConfig::default()
        .with_port(port)
        .with_heartbeat_interval_ms(heartbeat_ms as f64)
        .with_record_frames(false)
        .with_sessions(sessions);
    let sim = Sim::start(config).await?;
    say(&format!("port {}", sim.addr().port()));
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        let line = line.trim();
        if let Some(path) = line.strip_prefix("save ") {
            let saved = sim.save_sessions();
            std::fs::write(path, saved.to_text())?;
            say(&format!("saved {}", saved.len()));
        } else if line == "quit" {
            break;
        }
    }
    sim.shutdown().await;
    Ok(())
}
