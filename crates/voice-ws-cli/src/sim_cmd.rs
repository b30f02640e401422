//! `voice-ws sim`: the simulator on its own, for any client.

use crate::output::say;
use voice_ws_sim::{Sim, scenario};

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
    let sim = Sim::start(config.with_port(args.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    say!("voice gateway simulator, scenario {:?}", args.scenario);
    say!("  url:      {}", sim.url());
    say!(
        "  endpoint: {}  (ws:// only: tell your client to allow plain ws to loopback)",
        sim.endpoint()
    );
    say!("press Ctrl-C to stop");
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))?;
    let connections = sim.connections();
    say!("served {} connection(s)", connections.len());
    sim.shutdown().await;
    Ok(())
}
