//! What a connection's task and its application share: one lock over the
//! events on their way to the application, the commands on their way to
//! the task, and the latest [`Status`]; the wakers of both sides.
//!
//! Two allocations per connection (this, and the events' queue once used)
//! where channels took six, among them tokio's mpsc blocks of 32 slots
//! (2.3 KB for the events alone). The lock is held only to move an item or
//! copy the status: never across an await, and no waker is called under it.
//! Nothing here belongs to a runtime: wakers, and an [`event_listener`]
//! list for the Handles that wait.
//!
//! It is also the socket's waker ([`Wake`]): the task polls its socket
//! with a waker of its own that notes the wake-up before waking the task,
//! so the task knows when the socket has something to say and leaves it
//! alone otherwise (see [`Socket::poll_next`](crate::socket::Socket::poll_next)).
//! Kept here rather than in an allocation of its own: one flag.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use event_listener::{Event as Notify, EventListener};
use voice_ws_proto::Event;

use crate::command::Command;
use crate::status::Status;

/// Shared by the task, every [`Handle`](crate::Handle) and the
/// [`Events`](crate::Events) of one connection.
#[derive(Debug)]
pub(crate) struct Shared {
    inner: Mutex<Inner>,
    /// Wakes Handles waiting for room among the commands, or for the end.
    changed: Notify,
    /// Force-closed: the task stops at its next poll. Set before the lock
    /// is taken to wake the task, and read under it where the task stores
    /// its waker, so the wake-up cannot be missed.
    aborted: AtomicBool,
    /// The socket woke the task since the task last looked. Set before the
    /// task is woken; the task looks once more after storing its waker.
    socket_woken: AtomicBool,
    /// Live Handle clones: the last one to go force-closes.
    pub(crate) handles: AtomicUsize,
    /// How long [`Handle::close`](crate::Handle::close) waits for the end.
    pub(crate) close_wait: Duration,
    event_buffer: usize,
    command_buffer: usize,
}

#[derive(Debug)]
struct Inner {
    /// Taken from the core, not yet by the application: at most
    /// `event_buffer`, as the task takes no more from the core meanwhile.
    events: VecDeque<Event>,
    /// At most `command_buffer`.
    commands: VecDeque<Command>,
    status: Status,
    /// Events, waiting for an event or the end.
    app: Option<Waker>,
    /// The task, waiting for a command or (`wants_room`) for room.
    task: Option<Waker>,
    wants_room: bool,
    /// The application dropped its Events: the task discards events.
    events_dropped: bool,
    /// The task ended: completed, aborted, or its runtime shut down.
    finished: bool,
}

/// The connection was force-closed.
#[derive(Debug)]
pub(crate) struct Aborted;

/// Why a command was not queued.
pub(crate) enum Refused {
    /// The queue is full: here it is back; wait for [`Shared::changed`]
    /// and try again.
    Full(Command),
    /// The task has ended (the command is dropped, after the lock).
    Ended,
}

impl Shared {
    pub(crate) fn new(
        status: Status,
        event_buffer: usize,
        command_buffer: usize,
        close_wait: Duration,
    ) -> Self {
        let inner = Inner {
            events: VecDeque::new(),
            commands: VecDeque::new(),
            status,
            app: None,
            task: None,
            wants_room: false,
            events_dropped: false,
            finished: false,
        };
        Self {
            inner: Mutex::new(inner),
            changed: Notify::new(),
            aborted: AtomicBool::new(false),
            socket_woken: AtomicBool::new(false),
            handles: AtomicUsize::new(1),
            close_wait,
            event_buffer: event_buffer.max(1),
            command_buffer: command_buffer.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Nothing panics under the lock; if something did, the data is
        // still whole (every update is a single push, pop or copy).
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ---- the application's side ----

    /// The latest status the task published.
    pub(crate) fn status(&self) -> Status {
        self.lock().status.clone()
    }

    /// Resolves at the next change a Handle may wait for: room among the
    /// commands, or the end. Create it before checking, so that no change
    /// is missed in between.
    pub(crate) fn changed(&self) -> EventListener {
        self.changed.listen()
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.lock().finished
    }

    /// Queues a command for the task.
    pub(crate) fn push_command(&self, command: Command) -> Result<(), Refused> {
        let task = {
            let mut inner = self.lock();
            if inner.finished {
                return Err(Refused::Ended);
            }
            if inner.commands.len() >= self.command_buffer {
                return Err(Refused::Full(command));
            }
            inner.commands.push_back(command);
            inner.task.take()
        };
        wake(task);
        Ok(())
    }

    /// The next event; `None` once the task has ended and all are taken.
    pub(crate) fn poll_event(&self, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        let (event, task) = {
            let mut inner = self.lock();
            let Some(event) = inner.events.pop_front() else {
                if inner.finished {
                    return Poll::Ready(None);
                }
                store(&mut inner.app, cx);
                return Poll::Pending;
            };
            if inner.events.is_empty() {
                // A burst (a handshake, a resume's replay) grew the queue;
                // most of a connection's life holds one event at a time.
                // Keeping room for one saves ~200 bytes a connection and
                // costs a reallocation per burst, none per steady event.
                inner.events.shrink_to(1);
            }
            (event, inner.take_task_wanting_room())
        };
        wake(task);
        Poll::Ready(Some(event))
    }

    /// The application dropped its Events.
    pub(crate) fn drop_events(&self) {
        let (events, task) = {
            let mut inner = self.lock();
            inner.events_dropped = true;
            (
                std::mem::take(&mut inner.events),
                inner.take_task_wanting_room(),
            )
        };
        drop(events);
        wake(task);
    }

    // ---- the task's side ----

    /// How many events the application has room for; `None` when it
    /// dropped its Events (take and discard them all).
    pub(crate) fn event_room(&self) -> Option<usize> {
        let inner = self.lock();
        (!inner.events_dropped).then(|| self.event_buffer.saturating_sub(inner.events.len()))
    }

    /// Hands an event to the application, within the room it has (or
    /// drops it, if the application just dropped its Events).
    pub(crate) fn push_event(&self, event: Event) {
        let app = {
            let mut inner = self.lock();
            if inner.events_dropped {
                return;
            }
            inner.events.push_back(event);
            inner.app.take()
        };
        wake(app);
    }

    /// Ready once the application has room for an event again (or dropped
    /// its Events).
    pub(crate) fn poll_room(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut inner = self.lock();
        if inner.events_dropped || inner.events.len() < self.event_buffer {
            inner.wants_room = false;
            return Poll::Ready(());
        }
        inner.wants_room = true;
        store(&mut inner.task, cx);
        Poll::Pending
    }

    /// Force-closes: the task stops at its next poll.
    pub(crate) fn abort(&self) {
        self.aborted.store(true, Ordering::SeqCst);
        let task = self.lock().task.take();
        wake(task);
    }

    /// Whether the connection was force-closed.
    pub(crate) fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::SeqCst)
    }

    /// The next command, oldest first; `Err` once force-closed.
    pub(crate) fn poll_command(&self, cx: &mut Context<'_>) -> Poll<Result<Command, Aborted>> {
        let (command, was_full) = {
            let mut inner = self.lock();
            if self.is_aborted() {
                return Poll::Ready(Err(Aborted));
            }
            let was_full = inner.commands.len() >= self.command_buffer;
            let Some(command) = inner.commands.pop_front() else {
                store(&mut inner.task, cx);
                return Poll::Pending;
            };
            (command, was_full)
        };
        if was_full {
            self.changed.notify(usize::MAX);
        }
        Poll::Ready(Ok(command))
    }

    /// Whether the socket woke the task since the last call.
    pub(crate) fn take_socket_woken(&self) -> bool {
        self.socket_woken.swap(false, Ordering::Acquire)
    }

    /// Whether the socket woke the task since it last looked; checked after
    /// the task stored its waker (a wake-up between its look and then
    /// found no waker to wake).
    pub(crate) fn socket_woken(&self) -> bool {
        self.socket_woken.load(Ordering::Acquire)
    }

    /// Publishes the session's latest status.
    pub(crate) fn set_status(&self, status: Status) {
        self.lock().status = status;
    }

    /// The task has ended: Events ends once read, commands are refused
    /// (those still queued get [`SendError::Ended`](crate::SendError)).
    pub(crate) fn finish(&self) {
        let (commands, app) = {
            let mut inner = self.lock();
            inner.finished = true;
            (std::mem::take(&mut inner.commands), inner.app.take())
        };
        drop(commands);
        wake(app);
        self.changed.notify(usize::MAX);
    }
}

/// The waker the task polls its socket with.
impl Wake for Shared {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.socket_woken.store(true, Ordering::Release);
        let task = self.lock().task.take();
        wake(task);
    }
}

impl Inner {
    fn take_task_wanting_room(&mut self) -> Option<Waker> {
        std::mem::take(&mut self.wants_room)
            .then(|| self.task.take())
            .flatten()
    }
}

fn store(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}
