//! Every conformance scenario against `voice-ws-tokio`.

use voice_ws_conformance::scenarios;
use voice_ws_conformance::tokio_driver::TokioDriver;

const DRIVER: TokioDriver = TokioDriver;

#[tokio::test(flavor = "current_thread")]
async fn handshake() {
    scenarios::handshake(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_cadence() {
    scenarios::heartbeat_cadence(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zombie_then_resume() {
    scenarios::zombie_then_resume(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_4015_resumes() {
    scenarios::close_4015_resumes(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_resumes() {
    scenarios::reset_resumes(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_socket_resumes_with_replay() {
    scenarios::silent_socket_resumes_with_replay(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_resume_waits_for_new_credentials() {
    scenarios::refused_resume_waits_for_new_credentials(&DRIVER).await;
}

#[tokio::test(flavor = "current_thread")]
async fn close_4014_stops() {
    scenarios::close_4014_stops(&DRIVER).await;
}

#[tokio::test(flavor = "current_thread")]
async fn malformed_frames_keep_the_session() {
    scenarios::malformed_frames_keep_the_session(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_frame_closes_1009_and_resumes() {
    scenarios::oversized_frame_closes_1009_and_resumes(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_connections() {
    scenarios::hundred_connections(&DRIVER).await;
}

#[tokio::test(flavor = "current_thread")]
async fn graceful_close() {
    scenarios::graceful_close(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn force_close_is_silent() {
    scenarios::force_close_is_silent(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_handle_closes() {
    scenarios::dropping_the_handle_closes(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wraparound_resume() {
    scenarios::wraparound_resume(&DRIVER).await;
}

#[tokio::test(flavor = "current_thread")]
async fn binary_frames_by_frame_type() {
    scenarios::binary_frames_by_frame_type(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seq_ack_is_what_was_received() {
    scenarios::seq_ack_is_what_was_received(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_refuses_and_the_replay_brings_it_back() {
    scenarios::a_full_queue_refuses_and_the_replay_brings_it_back(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_before_ready_identifies_again() {
    scenarios::a_drop_before_ready_identifies_again(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_oversized_message_ends_the_session() {
    scenarios::a_replayed_oversized_message_ends_the_session(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_gateway_is_not_a_zombie_with_tolerance_2() {
    scenarios::a_slow_gateway_is_not_a_zombie_with_tolerance_2(&DRIVER).await;
}

#[tokio::test(flavor = "current_thread")]
async fn close_4020_is_fatal() {
    scenarios::close_4020_is_fatal(&DRIVER).await;
}

#[tokio::test(flavor = "current_thread")]
async fn dave_prepare_epoch_with_and_without_transition_id() {
    scenarios::dave_prepare_epoch_with_and_without_transition_id(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_from_gateway_dispatches() {
    scenarios::credentials_from_gateway_dispatches(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_refused() {
    scenarios::a_closed_port_is_refused(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unresolvable_name_is_a_dns_failure() {
    scenarios::an_unresolvable_name_is_a_dns_failure(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_upgrade_is_rejected_with_its_status() {
    scenarios::a_404_upgrade_is_rejected_with_its_status(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_listener_times_out() {
    scenarios::a_silent_listener_times_out(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_a_tls_failure() {
    scenarios::an_untrusted_certificate_is_a_tls_failure(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_then_five_members_agree_and_hear_each_other() {
    scenarios::two_then_five_members_agree_and_hear_each_other(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_leaves_and_the_rest_move_to_a_new_epoch() {
    scenarios::a_member_leaves_and_the_rest_move_to_a_new_epoch(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_in_the_middle_of_a_transition_completes_it() {
    scenarios::a_resume_in_the_middle_of_a_transition_completes_it(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_commit_is_flagged_and_the_call_recovers() {
    scenarios::a_bad_commit_is_flagged_and_the_call_recovers(&DRIVER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_downgrade_to_passthrough_and_back() {
    scenarios::a_downgrade_to_passthrough_and_back(&DRIVER).await;
}
