//! The scenarios, one concept per file. Each takes any [`Driver`](crate::Driver),
//! starts its own gateway, and asserts both the events and the wire.

mod binary;
mod handshake;
mod heartbeat;
mod invalid_session;
mod lifecycle;
mod malformed;
mod reset;
mod resume_4015;
mod scale;
mod silent;
mod stop;
mod wraparound;
mod zombie;

pub use binary::binary_frames_by_frame_type;
pub use handshake::handshake;
pub use heartbeat::heartbeat_cadence;
pub use invalid_session::refused_resume_waits_for_new_credentials;
pub use lifecycle::{dropping_the_handle_closes, force_close_is_silent, graceful_close};
pub use malformed::{malformed_frames_keep_the_session, oversized_frame_closes_1009_and_resumes};
pub use reset::reset_resumes;
pub use resume_4015::close_4015_resumes;
pub use scale::hundred_connections;
pub use silent::silent_socket_resumes_with_replay;
pub use stop::close_4014_stops;
pub use wraparound::wraparound_resume;
pub use zombie::zombie_then_resume;
