//! DAVE JSON payloads as Discord documents them (docs/protocol.md,
//! "Messages").

use voice_ws_proto::Event;
use voice_ws_proto::codec::{DavePrepareEpoch, ServerMessage};
use voice_ws_sim::ServerPush;

use crate::{
    Driver, WAIT, collect_until, credentials_for, fast_config, is_ready, sim_config, start_sim,
};

/// Op 24 Prepare Epoch with `transition_id`, `epoch` and
/// `protocol_version`, then one with only `epoch`: both reach the
/// application decoded, the missing fields as `None`.
pub async fn dave_prepare_epoch_with_and_without_transition_id(driver: &impl Driver) {
    let sim = start_sim(sim_config(Vec::new())).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));
    collect_until(&mut events, is_ready, WAIT).await;

    sim.push(ServerPush::dave_prepare_epoch(3, 1, 1));
    sim.push(ServerPush::Json {
        op: 24,
        d: r#"{"epoch":2}"#.into(),
    });
    let mut epochs = Vec::new();
    while epochs.len() < 2 {
        let seen = collect_until(
            &mut events,
            |e| matches!(e, Event::Message(m) if matches!(m.message, ServerMessage::DavePrepareEpoch(_))),
            WAIT,
        )
        .await;
        if let Some(Event::Message(m)) = seen.last() {
            if let ServerMessage::DavePrepareEpoch(epoch) = &m.message {
                epochs.push(*epoch);
            }
        }
    }
    assert_eq!(
        epochs,
        [
            DavePrepareEpoch::new(Some(3), 1, Some(1)),
            DavePrepareEpoch::new(None, 2, None),
        ]
    );
}
