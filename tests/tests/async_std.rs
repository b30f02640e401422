//! Every conformance scenario against `voice-ws-async-std`, with the
//! connection's task on smol's executor and again on async-std's; the sim
//! and the scenarios' deadlines run on tokio.

use voice_ws_conformance::async_std_driver::{AsyncStdDriver, Executor};
use voice_ws_conformance::scenarios;

/// One test per scenario and executor.
macro_rules! scenarios {
    ($($flavor:literal $name:ident),* $(,)?) => {
        mod smol {
            use super::*;
            const DRIVER: AsyncStdDriver = AsyncStdDriver::on(Executor::Smol);
            $(
                #[tokio::test(flavor = $flavor)]
                async fn $name() {
                    scenarios::$name(&DRIVER).await;
                }
            )*
        }
        mod async_std {
            use super::*;
            const DRIVER: AsyncStdDriver = AsyncStdDriver::on(Executor::AsyncStd);
            $(
                #[tokio::test(flavor = $flavor)]
                async fn $name() {
                    scenarios::$name(&DRIVER).await;
                }
            )*
        }
    };
}

scenarios! {
    "current_thread" handshake,
    "multi_thread" heartbeat_cadence,
    "multi_thread" zombie_then_resume,
    "multi_thread" close_4015_resumes,
    "multi_thread" reset_resumes,
    "multi_thread" silent_socket_resumes_with_replay,
    "multi_thread" refused_resume_waits_for_new_credentials,
    "current_thread" close_4014_stops,
    "current_thread" malformed_frames_keep_the_session,
    "multi_thread" oversized_frame_closes_1009_and_resumes,
    "multi_thread" hundred_connections,
    "current_thread" graceful_close,
    "multi_thread" force_close_is_silent,
    "multi_thread" dropping_the_handle_closes,
    "multi_thread" wraparound_resume,
    "current_thread" binary_frames_by_frame_type,
    "multi_thread" credentials_from_gateway_dispatches,
    "multi_thread" seq_ack_is_what_was_received,
    "multi_thread" a_full_queue_refuses_and_the_replay_brings_it_back,
    "multi_thread" a_drop_before_ready_identifies_again,
    "multi_thread" a_replayed_oversized_message_ends_the_session,
    "multi_thread" a_slow_gateway_is_not_a_zombie_with_tolerance_2,
    "current_thread" close_4020_is_fatal,
    "current_thread" dave_prepare_epoch_with_and_without_transition_id,
    "multi_thread" a_closed_port_is_refused,
    "multi_thread" an_unresolvable_name_is_a_dns_failure,
    "multi_thread" a_404_upgrade_is_rejected_with_its_status,
    "multi_thread" a_silent_listener_times_out,
    "multi_thread" an_untrusted_certificate_is_a_tls_failure,
    "multi_thread" two_then_five_members_agree_and_hear_each_other,
    "multi_thread" a_member_leaves_and_the_rest_move_to_a_new_epoch,
    "multi_thread" a_resume_in_the_middle_of_a_transition_completes_it,
    "multi_thread" a_bad_commit_is_flagged_and_the_call_recovers,
    "multi_thread" a_downgrade_to_passthrough_and_back,
}
