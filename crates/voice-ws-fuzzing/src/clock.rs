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
    /// `handle_timeout` at the current clock, with the harness's checks.
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
                c.on_timeout();
            }
            _ => break,
        }
    }
    let now = c.clock_ms();
    *now = (*now).max(target);
    c.on_timeout();
}
