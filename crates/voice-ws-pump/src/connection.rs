//! [`Connection`]: what a driver's `connect` hands the application.

use crate::events::Events;
use crate::handle::Handle;

/// A prepared connection: the [`Handle`] to command it, its [`Events`], and
/// the task that runs it (`T`: the driver's `Task`). Nothing happens until
/// the task is spawned; dropping it force-closes the connection.
#[derive(Debug)]
#[must_use = "nothing happens until the task is spawned"]
pub struct Connection<T> {
    /// Commands the connection.
    pub handle: Handle,
    /// The connection's events, in order.
    pub events: Events,
    /// The connection's work: spawn it on the driver's executor.
    pub task: T,
}
