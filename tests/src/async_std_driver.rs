//! The scenarios' view of `voice-ws-async-std`.
//!
//! The connection's task runs on smol's or async-std's executor, never on
//! tokio's: the sim and the scenarios' deadlines run on tokio, the driver
//! on async-io's reactor, which proves the driver needs no tokio.

use voice_ws_async_std::{Connection, DriverConfig, Handle};
use voice_ws_proto::{Credentials, SessionConfig};

use crate::driver::{Driver, EventStream};

/// Which executor runs the connection's task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Executor {
    /// `smol::spawn(task).detach()`: smol's global executor.
    #[default]
    Smol,
    /// `async_std::task::spawn(task)`: async-std's global executor.
    AsyncStd,
}

/// Connects with [`voice_ws_async_std::connect`] and spawns the task on
/// the chosen [`Executor`], with the driver's default buffers. The
/// [`Handle`] is the same type as `voice-ws-tokio`'s (both come from
/// `voice-ws-pump`), so the scenarios command it the same way.
#[derive(Clone, Copy, Debug, Default)]
pub struct AsyncStdDriver {
    /// Where the connection's task runs.
    pub executor: Executor,
}

impl AsyncStdDriver {
    /// The driver with its task on `executor`.
    pub const fn on(executor: Executor) -> Self {
        Self { executor }
    }
}

impl Driver for AsyncStdDriver {
    type Handle = Handle;

    fn connect(&self, config: SessionConfig, credentials: Credentials) -> (Handle, EventStream) {
        let config = DriverConfig::default().with_session(config);
        let Connection {
            handle,
            events,
            task,
        } = voice_ws_async_std::connect(config, credentials);
        match self.executor {
            Executor::Smol => smol::spawn(task).detach(),
            Executor::AsyncStd => drop(async_std::task::spawn(task)),
        }
        (handle, Box::pin(events))
    }
}
