//! The harnesses' virtual clock: advancing it through every deadline the
//! state machine asks for on the way.

use voice_ws_proto::Instant;

/// How many deadlines one `Advance` may pass through before jumping.
const MAX_TIMEOUTS_PER_ADVANCE: usize = 64;

/// A harness around a state machine with `poll_timeout`/`handle_timeout`.
pub(crate) trait Clocked {
    /// The virtual clock, in milliseconds.
    fn clock_ms(&mut self) -> &mut u64;
    /// The state machine's `poll_timeout`.
    fn next_deadline(&self) -> Option<Instant>;
    /// `handle_timeout` at the current clock, then the harness's drain and checks.
    fn on_timeout(&mut self);
}

/// Moves the clock `ms` forward, waking the state machine at each deadline
/// on the way (as a driver would), then at the target.
pub(crate) fn advance<C: Clocked>(c: &mut C, ms: u32) {
    let target = c.clock_ms().saturating_add(u64::from(ms));
    for _ in 0..MAX_TIMEOUTS_PER_ADVANCE {
        match c.next_deadline() {
            Some(deadline) if deadline <= Instant::from_millis(target) => {
                // Deadlines are in ns; the harness clock ticks in ms.
                let due_ms = deadline.as_nanos().div_ceil(1_000_000);
                let now = c.clock_ms();
                *now = (*now).max(due_ms);
                timeout(c);
            }
            _ => break,
        }
    }
    let now = c.clock_ms();
    *now = (*now).max(target);
    timeout(c);
}

/// Moves the clock to the state machine's next deadline, if it has one, and
/// wakes it there once. Returns false when there is no deadline.
pub(crate) fn wake<C: Clocked>(c: &mut C) -> bool {
    let Some(deadline) = c.next_deadline() else {
        return false;
    };
    let due_ms = deadline.as_nanos().div_ceil(1_000_000);
    let now = c.clock_ms();
    *now = (*now).max(due_ms);
    timeout(c);
    true
}

/// One wake-up, and the invariant every state machine here keeps: right
/// after `handle_timeout`, the next deadline is not in the past.
fn timeout<C: Clocked>(c: &mut C) {
    c.on_timeout();
    let now = Instant::from_millis(*c.clock_ms());
    if let Some(next) = c.next_deadline() {
        assert!(
            next >= now,
            "poll_timeout {next:?} is before now {now:?} right after handle_timeout"
        );
    }
}
