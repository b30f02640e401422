//! The scenarios, one concept per file. Each takes any [`Driver`](crate::Driver),
//! starts its own gateway, and asserts both the events and the wire.

mod before_ready;
mod binary;
mod connect_errors;
mod dave_group;
mod dave_json;
mod dave_recovery;
mod fatal;
mod handshake;
mod heartbeat;
mod invalid_session;
mod join;
mod lifecycle;
mod malformed;
mod receipt;
mod reset;
mod resume_4015;
mod resume_loop;
mod scale;
mod silent;
mod slow_acks;
mod stop;
mod wraparound;
mod zombie;

pub use before_ready::a_drop_before_ready_identifies_again;
pub use binary::binary_frames_by_frame_type;
pub use connect_errors::{
    a_404_upgrade_is_rejected_with_its_status, a_closed_port_is_refused,
    a_silent_listener_times_out, an_unresolvable_name_is_a_dns_failure,
    an_untrusted_certificate_is_a_tls_failure,
};
pub use dave_group::{
    a_member_leaves_and_the_rest_move_to_a_new_epoch,
    two_then_five_members_agree_and_hear_each_other,
};
pub use dave_json::dave_prepare_epoch_with_and_without_transition_id;
pub use dave_recovery::{
    a_bad_commit_is_flagged_and_the_call_recovers, a_downgrade_to_passthrough_and_back,
    a_resume_in_the_middle_of_a_transition_completes_it,
};
pub use fatal::close_4020_is_fatal;
pub use handshake::handshake;
pub use heartbeat::heartbeat_cadence;
pub use invalid_session::refused_resume_waits_for_new_credentials;
pub use join::credentials_from_gateway_dispatches;
pub use lifecycle::{dropping_the_handle_closes, force_close_is_silent, graceful_close};
pub use malformed::{malformed_frames_keep_the_session, oversized_frame_closes_1009_and_resumes};
pub use receipt::{
    a_full_queue_refuses_and_the_replay_brings_it_back, seq_ack_is_what_was_received,
};
pub use reset::reset_resumes;
pub use resume_4015::close_4015_resumes;
pub use resume_loop::a_replayed_oversized_message_ends_the_session;
pub use scale::hundred_connections;
pub use silent::silent_socket_resumes_with_replay;
pub use slow_acks::a_slow_gateway_is_not_a_zombie_with_tolerance_2;
pub use stop::close_4014_stops;
pub use wraparound::wraparound_resume;
pub use zombie::zombie_then_resume;
