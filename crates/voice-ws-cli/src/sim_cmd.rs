//! `voice-ws sim`: the simulator on its own, for any client.

use crate::output::say;
use voice_ws_sim::{Sim, UdpLog, scenario};

use crate::args::SimArgs;

/// Lists scenarios, or serves one until Ctrl-C.
pub(crate) async fn run(args: &SimArgs) -> Result<(), String> {
    if args.list {
        let width = scenario::names().iter().map(|n| n.len()).max().unwrap_or(0);
        for name in scenario::names() {
            say!("{name:<width$}  {}", scenario::describe(name).unwrap_or(""));
        }
        return Ok(());
    }
    let config = scenario::config(&args.scenario).ok_or_else(|| {
        format!(
            "unknown scenario {:?}; one of: {}",
            args.scenario,
            scenario::names().join(", ")
        )
    })?;
    #[cfg(feature = "dave")]
    let config = if args.dave {
        let calls = voice_ws_sim::DaveCalls::default();
        let calls = match args.dave_channel {
            Some(channel) => calls.with_channel_id(channel),
            None => calls,
        };
        config.with_dave_calls(calls)
    } else {
        config
    };
    let sim = Sim::start(config.with_port(args.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    say!("voice gateway simulator, scenario {:?}", args.scenario);
    say!("  url:      {}", sim.url());
    say!(
        "  endpoint: {}  (ws:// only: tell your client to allow plain ws to loopback)",
        sim.endpoint()
    );
    say!(
        "  udp:      {}  (Ready's ip and port: IP discovery and media)",
        sim.udp_addr()
    );
    say!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    let connections = sim.connections();
    say!("served {} connection(s)", connections.len());
    for line in udp_summary(&sim.udp()) {
        say!("{line}");
    }
    #[cfg(feature = "dave")]
    for call in sim.dave_calls() {
        say!("{}", dave_summary(&call));
    }
    sim.shutdown().await;
    Ok(())
}

/// What arrived over UDP, as lines: the totals, then one line per SSRC.
/// The README's "Test your bot against voice-ws sim" explains each count.
pub(crate) fn udp_summary(log: &UdpLog) -> Vec<String> {
    let mut lines = vec![format!(
        "udp: {} ip discovery, {} keepalives, {} rtcp, {} malformed, {} for an unknown ssrc",
        log.discovery_requests, log.keepalives, log.rtcp, log.malformed, log.unknown_ssrc
    )];
    for s in &log.streams {
        let mut line = format!(
            "  ssrc {}: {}, {} discovery, {} packets, {} decrypted, {} failed, {} nonce not increasing, {} before speaking",
            s.ssrc,
            s.mode.as_deref().unwrap_or("no session description"),
            s.discovery_requests,
            s.packets,
            s.decrypted,
            s.failed,
            s.nonce_not_increasing,
            s.before_speaking
        );
        if s.dave_protocol_version > 0 {
            line.push_str(&format!(
                "; dave v{}: {} protocol frames, {} silence, {} invalid",
                s.dave_protocol_version, s.dave_frames, s.dave_silence, s.dave_invalid
            ));
        }
        lines.push(line);
    }
    lines
}

/// One DAVE call's counts, for the exit summary.
#[cfg(feature = "dave")]
fn dave_summary(call: &voice_ws_sim::CallLog) -> String {
    let s = &call.stats;
    format!(
        "DAVE call {} (group {}): {} member(s), {} in the group, epoch {}, protocol version {}; \
         {} key package(s) ({} refused), {} commit(s) picked, {} ignored, {} welcome(s), \
         {} invalid commit/welcome report(s) (op 31), {} transition(s) executed ({} timed out), \
         {} group(s) created, {} sole member reset(s), {} downgrade(s), {} upgrade(s)",
        call.server_id,
        call.group_id,
        call.members.len(),
        call.group.len(),
        s.epoch,
        s.protocol_version,
        s.key_packages,
        s.key_packages_rejected,
        s.commits_picked,
        s.commits_ignored,
        s.welcomes_sent,
        s.invalid_commit_welcomes,
        s.transitions_executed,
        s.transitions_timed_out,
        s.groups_created,
        s.sole_member_resets,
        s.downgrades,
        s.upgrades,
    )
}
