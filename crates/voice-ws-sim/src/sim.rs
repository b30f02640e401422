//! The running gateway: listener, accept loop and the handle tests hold.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, UdpSocket};
use tokio::runtime::Handle;
use tokio::sync::{oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};
use tracing::{debug, warn};

use crate::config::SimConfig;
use crate::connection;
use crate::persist::SavedSessions;
use crate::push::{Pushed, ServerPush};
use crate::record::ConnectionLog;
use crate::state::SimState;
use crate::tally::ClientTally;
use crate::udp::{self, UdpLog};

/// A running local voice gateway.
///
/// Dropping it stops accepting and ends every connection (without close
/// frames) once the runtime gets to it; [`Sim::shutdown`] does the same and
/// waits for it.
pub struct Sim {
    state: Arc<SimState>,
    addr: SocketAddr,
    udp_addr: SocketAddr,
    accepted: watch::Receiver<usize>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Binds `127.0.0.1:config.port` (TCP) and a UDP socket on 127.0.0.1 (any
    /// free port, the one Ready advertises), and spawns the accept loop and
    /// the UDP receiver on the current tokio runtime.
    ///
    /// # Errors
    /// When binding fails, or when called outside a tokio runtime.
    pub async fn start(config: SimConfig) -> io::Result<Sim> {
        let runtime = Handle::try_current().map_err(io::Error::other)?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let udp_addr = udp.local_addr()?;
        let (state, accepted) = SimState::new(config, udp_addr.port());
        let state = Arc::new(state);
        let (stop, stopped) = oneshot::channel();
        let task = runtime.spawn(accept_loop(listener, udp, state.clone(), stopped));
        debug!(%addr, %udp_addr, "voice gateway sim listening");
        Ok(Sim {
            state,
            addr,
            udp_addr,
            accepted,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The bound address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `127.0.0.1:PORT`, the form VOICE_SERVER_UPDATE's `endpoint` takes.
    pub fn endpoint(&self) -> String {
        self.addr.to_string()
    }

    /// `ws://127.0.0.1:PORT/?v=8`.
    pub fn url(&self) -> String {
        format!("ws://{}/?v=8", self.addr)
    }

    /// The UDP address Ready advertises (127.0.0.1, a port of its own): IP
    /// discovery and media go there.
    pub fn udp_addr(&self) -> SocketAddr {
        self.udp_addr
    }

    /// Snapshot of what arrived on the UDP socket so far: IP discovery,
    /// keepalives, and each session's media, decrypted and counted.
    pub fn udp(&self) -> UdpLog {
        self.state.udp.snapshot()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &SimConfig {
        &self.state.config
    }

    /// Snapshot of every accepted connection's traffic so far, in accept order.
    pub fn connections(&self) -> Vec<ConnectionLog> {
        self.state.logs()
    }

    /// Waits until at least `n` TCP connections were accepted; `false` on timeout.
    pub async fn wait_for_connections(&self, n: usize, timeout: Duration) -> bool {
        let mut accepted = self.accepted.clone();
        matches!(
            tokio::time::timeout(timeout, accepted.wait_for(|count| *count >= n)).await,
            Ok(Ok(_))
        )
    }

    /// Sends a server message on the active session (the one that most
    /// recently got Ready or was resumed), and says which session that was.
    ///
    /// Replayable messages take the session's next seq and are buffered for
    /// replay; they reach the client now if the session has a live, non-silent
    /// connection. `Raw*` messages go only to a live connection. Pushes made
    /// while no session is active (before the first Ready, or after the
    /// active session ended) are held and sent after the next Ready.
    pub fn push(&self, msg: ServerPush) -> Pushed {
        self.state.push_active(msg)
    }

    /// The number of the active session (the target of [`Sim::push`]), if
    /// any: sessions are numbered from 1 in the order this simulator created
    /// them. A session whose number is no longer active ended or was
    /// replaced, and what was pushed to it and not delivered is gone.
    pub fn active_session(&self) -> Option<u64> {
        self.state.active_session()
    }

    /// What arrived of the client's numbered Speaking messages (`delay` used
    /// as a message number), on every connection so far: see [`ClientTally`].
    pub fn client_tally(&self) -> ClientTally {
        self.state.client_tally()
    }

    /// The sessions a Resume could continue now, for a sim started later
    /// (another process, say) with [`SimConfig::with_sessions`].
    pub fn save_sessions(&self) -> SavedSessions {
        self.state.save_sessions()
    }

    /// What happened in each shared DAVE call so far, by server id (feature
    /// `dave`, with [`SimConfig::dave_calls`](crate::SimConfig::dave_calls)).
    #[cfg(feature = "dave")]
    pub fn dave_calls(&self) -> Vec<crate::record::CallLog> {
        self.state.call_logs()
    }

    /// Downgrades the call of `server_id` to protocol version 0
    /// (passthrough), as Discord does when a member without DAVE joins.
    ///
    /// # Errors
    /// [`DaveError::NotDave`](crate::dave::DaveError::NotDave) when there is
    /// no such call or it is already at version 0.
    #[cfg(feature = "dave")]
    pub fn dave_downgrade(&self, server_id: &str) -> Result<(), crate::dave::DaveError> {
        self.state
            .with_server_call(server_id, |s| s.downgrade(crate::call::now()))
            .unwrap_or(Err(crate::dave::DaveError::NotDave))
    }

    /// Upgrades the call of `server_id` back from protocol version 0: a new
    /// group is created.
    ///
    /// # Errors
    /// [`DaveError::NotDave`](crate::dave::DaveError::NotDave) when there is
    /// no such call or it is not at version 0.
    #[cfg(feature = "dave")]
    pub fn dave_upgrade(&self, server_id: &str) -> Result<(), crate::dave::DaveError> {
        self.state
            .with_server_call(server_id, |s| s.upgrade(crate::call::now()))
            .unwrap_or(Err(crate::dave::DaveError::NotDave))
    }

    /// Stops accepting, ends every connection and waits for that.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    udp: UdpSocket,
    state: Arc<SimState>,
    mut stop: oneshot::Receiver<()>,
) {
    let mut connections = JoinSet::new();
    // Runs here, so that it stops with the accept loop.
    let udp = udp::serve(udp, state.clone());
    tokio::pin!(udp);
    loop {
        tokio::select! {
            // Fires on shutdown() and when the Sim is dropped.
            _ = &mut stop => break,
            never = &mut udp => match never {},
            accepted = listener.accept() => match accepted {
                Ok((tcp, peer)) => {
                    let index = state.open(peer);
                    connections.spawn(connection::run(state.clone(), index, tcp));
                }
                Err(error) => {
                    // Usually out of file descriptors; back off instead of spinning.
                    warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = dave_timer(&state) => {}
        }
    }
    connections.shutdown().await;
}

/// Waits for the earliest DAVE transition deadline and lets the calls act on
/// it, or for a change of deadlines (feature `dave`; never returns without it).
#[cfg(feature = "dave")]
async fn dave_timer(state: &SimState) {
    let changed = state.dave_wake.notified();
    match state.next_dave_deadline() {
        Some(deadline) => {
            let deadline = tokio::time::Instant::from_std(deadline);
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => state.dave_timeout(),
                () = changed => {}
            }
        }
        None => changed.await,
    }
}

#[cfg(not(feature = "dave"))]
async fn dave_timer(_state: &SimState) {
    std::future::pending::<()>().await;
}
