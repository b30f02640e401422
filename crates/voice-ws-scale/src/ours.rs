//! Our drivers' connections: `voice-ws-tokio` or `voice-ws-async-std`,
//! each connection's events read the way an application would.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use futures_util::stream::SelectAll;
use voice_ws_tokio::{Credentials, DriverConfig, Endpoint, Event, Events, Handle};

use crate::driver::Driver;
use crate::executor::Executor;
use crate::tally::Tally;

/// How the application reads its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reader {
    /// One task reads every connection's events (futures' `SelectAll`).
    Shared,
    /// A task per connection, as the simplest application would.
    PerConnection,
}

impl Reader {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Shared => "shared",
            Self::PerConnection => "task",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match text {
            "shared" => Ok(Self::Shared),
            "task" => Ok(Self::PerConnection),
            other => Err(format!("--reader shared|task, not {other:?}")),
        }
    }
}

/// Which of our drivers.
#[derive(Clone, Copy, Debug)]
enum Ride {
    Tokio,
    Smol,
}

/// The connections of one of our drivers.
pub(crate) struct Ours {
    ride: Ride,
    /// In session ids, so that no two clients share one at the sim.
    name: &'static str,
    endpoint: Endpoint,
    tally: Arc<Tally>,
    /// Where a shared reader takes new connections' events from.
    to_reader: Option<UnboundedSender<Events>>,
    /// Kept: dropping the last Handle force-closes a connection.
    handles: Vec<Handle>,
}

impl Ours {
    pub(crate) fn new(
        driver: Driver,
        url: &str,
        reader: Reader,
        tally: Arc<Tally>,
        executor: &Executor,
    ) -> Result<Self, String> {
        let ride = match driver {
            Driver::Tokio => Ride::Tokio,
            Driver::Smol => Ride::Smol,
            Driver::Baseline => return Err("the baseline is not one of our drivers".into()),
        };
        let endpoint = Endpoint::parse(url, true).map_err(|e| e.to_string())?;
        let to_reader = (reader == Reader::Shared).then(|| {
            let (tx, rx) = unbounded();
            executor.spawn(SharedReader {
                incoming: Some(rx),
                all: SelectAll::new(),
                tally: tally.clone(),
            });
            tx
        });
        Ok(Self {
            ride,
            name: driver.name(),
            endpoint,
            tally,
            to_reader,
            handles: Vec::new(),
        })
    }

    /// Starts connection `i`.
    pub(crate) fn open(&mut self, executor: &Executor, i: usize) {
        let credentials = Credentials {
            server_id: "41771983423143937".into(),
            channel_id: "127121515262115840".into(),
            user_id: "104694319306248192".into(),
            session_id: format!("scale-{}-{i}", self.name),
            token: "scale-token".into(),
            endpoint: self.endpoint.clone(),
            // The harness measures the transport; the sim runs no DAVE call.
            max_dave_protocol_version: 0,
        };
        let config = DriverConfig::default();
        let (handle, events) = match self.ride {
            Ride::Smol => {
                let connection = voice_ws_async_std::connect(config, credentials);
                executor.spawn(connection.task);
                (connection.handle, connection.events)
            }
            Ride::Tokio => {
                let connection = executor.enter(|| voice_ws_tokio::connect(config, credentials));
                executor.spawn(connection.task);
                (connection.handle, connection.events)
            }
        };
        self.handles.push(handle);
        match &self.to_reader {
            Some(to_reader) => {
                if to_reader.unbounded_send(events).is_err() {
                    // The reader is gone: nobody counts this connection.
                    self.tally.trouble("the reader is gone");
                }
            }
            None => {
                let (tally, mut events) = (self.tally.clone(), events);
                executor.spawn(async move {
                    while let Some(event) = events.next().await {
                        count(&tally, &event);
                    }
                });
            }
        }
    }
}

/// What the application does with an event: counts it.
fn count(tally: &Tally, event: &Event) {
    match event {
        Event::Connected => tally.up(),
        Event::Ready(_) => tally.ready(),
        Event::HeartbeatAck { .. } => tally.acked(),
        Event::Hello { .. } => {}
        other => tally.trouble(kind(other)),
    }
}

/// An event's name, without its contents.
fn kind(event: &Event) -> String {
    let debug = format!("{event:?}");
    let end = debug
        .find(|c: char| !c.is_alphanumeric())
        .unwrap_or(debug.len());
    debug[..end].to_owned()
}

/// One task reading every connection's events: new connections arrive on
/// `incoming`, their events are polled together.
struct SharedReader {
    incoming: Option<UnboundedReceiver<Events>>,
    all: SelectAll<Events>,
    tally: Arc<Tally>,
}

impl Future for SharedReader {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        while let Some(incoming) = &mut this.incoming {
            match incoming.poll_next_unpin(cx) {
                Poll::Ready(Some(events)) => this.all.push(events),
                Poll::Ready(None) => this.incoming = None,
                Poll::Pending => break,
            }
        }
        loop {
            match this.all.poll_next_unpin(cx) {
                Poll::Ready(Some(event)) => count(&this.tally, &event),
                // Nothing to read until a connection arrives, or ever again.
                Poll::Ready(None) if this.incoming.is_some() => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(()),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
