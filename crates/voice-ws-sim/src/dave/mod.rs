//! The gateway as a call's DAVE delivery service (feature `dave`).
//!
//! Since 1 March 2026 Discord admits only end-to-end encrypted (DAVE)
//! clients to voice calls. The voice gateway is then the MLS *external
//! sender* and *delivery service* of each call's group (Discord's DAVE
//! protocol description, <https://github.com/discord/dave-protocol>,
//! "Delivery Service"): it sends its credential and key (op 25), turns the
//! members' key packages (op 26) into Add proposals it signs (op 27), picks
//! the first valid commit (op 28) and announces it (op 29) while welcoming
//! the joiners (op 30), drives transitions (ops 21-24), and removes members
//! that leave or report a bad commit or welcome (op 31).
//!
//! [`DeliveryService`] does all that for one call and nothing else: it is
//! sans-IO. Inputs come in through `handle_*` methods (with the time, which
//! it never reads itself), the messages for each member come out of
//! [`DeliveryService::poll_transmit`], and a member's session puts them on
//! its socket with the next seq. It uses OpenMLS (the version `davey` uses)
//! for key packages and proposals, with a crypto provider of its own that
//! only hashes and checks P-256 signatures, and reads commits itself.
//!
//! ```
//! use std::time::Instant;
//! use voice_ws_sim::dave::{DaveConfig, DaveMessage, DeliveryService};
//!
//! # fn main() -> Result<(), voice_ws_sim::dave::DaveError> {
//! let now = Instant::now();
//! let mut call = DeliveryService::new(DaveConfig::new(1234))?;
//! call.handle_connect(now, 42)?;
//! call.handle_protocol_selected(now, 42, 1)?;
//! let first = call.poll_transmit().expect("the external sender package");
//! assert_eq!((first.to, first.message.op()), (42, 25));
//! assert!(matches!(first.message, DaveMessage::ExternalSender { .. }));
//! # Ok(())
//! # }
//! ```

mod commit;
mod config;
mod crypto;
mod error;
mod external_sender;
mod guard;
mod key_package;
mod message;
mod service;
mod stats;
mod tls;
mod transition;
mod tree;
mod welcome;

pub use config::DaveConfig;
pub use error::DaveError;
pub use message::{DaveMessage, Outgoing, ProposalsOperation};
pub use service::{CommitOutcome, DeliveryService};
pub use stats::{DaveEvent, DaveStats};
