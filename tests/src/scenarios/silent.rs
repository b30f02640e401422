//! A half-open socket: the gateway stops sending but keeps the socket open.

use voice_ws_proto::Event;
use voice_ws_proto::codec::{ClientsConnect, Incoming, ServerMessage, SpeakingUpdate};

use crate::{
    Driver, WAIT, collect_until, credentials_for, fast_config, first_received_json,
    is_heartbeat_ack, is_message, next_event_matching, received_heartbeats, resume_json,
    scenario_config, sent_seqs, start_sim, through_zombie_to_resumed, wait_for_client_close,
    wait_for_seq_ack,
};

/// The `silent` scenario: connection 0 goes silent right after Ready, and
/// Speaking (seq 0) and Clients Connect (seq 1) are pushed into the
/// silence. Connection 0 sends only Hello and Ready; the client's first
/// heartbeat goes unanswered and the next due one finds it a zombie:
/// Zombified, Disconnected{4000, by_self}. Connection 1 opens with Resume
/// (`seq_ack` -1), the gateway replays seqs 0 and 1, and the application
/// gets both exactly once, after Resumed, with the content pushed.
pub async fn silent_socket_resumes_with_replay(driver: &impl Driver) {
    let config = scenario_config("silent")
        // Literal seqs below: the sim's start seq is random by default.
        .with_start_seq(0);
    let sim = start_sim(config).await;
    let (_handle, mut events) = driver.connect(fast_config(), credentials_for(&sim));

    let (seen, _zombie) = through_zombie_to_resumed(&mut events).await;
    assert!(!seen.iter().any(is_message), "{seen:#?}");

    let first = next_event_matching(&mut events, is_message, WAIT).await;
    let second = next_event_matching(&mut events, is_message, WAIT).await;
    assert_eq!(
        first,
        Event::Message(Incoming {
            seq: Some(0),
            message: ServerMessage::Speaking(SpeakingUpdate::new(Some(1001), 1, 1,)),
        })
    );
    assert_eq!(
        second,
        Event::Message(Incoming {
            seq: Some(1),
            message: ServerMessage::ClientsConnect(ClientsConnect::new(vec![1002],)),
        })
    );

    let conns = sim.connections();
    assert_eq!(conns.len(), 2);
    assert_eq!(
        conns[0].sent_ops(),
        [8, 2],
        "only Hello and Ready before the silence"
    );
    assert_eq!(received_heartbeats(&conns[0]).len(), 1);
    assert_eq!(first_received_json(&conns[1]), resume_json(-1));
    assert_eq!(sent_seqs(&conns[1]), [0, 1], "the replay");
    wait_for_client_close(&sim, 0, 4000).await;
    wait_for_seq_ack(&sim, 1, 1).await;
    // Nothing delivered twice: no third message arrives with the next beats.
    let later = collect_until(&mut events, is_heartbeat_ack, WAIT).await;
    assert!(!later.iter().any(is_message), "{later:#?}");
}
