//! What the harness reads about its own process: resident memory from
//! /proc (Linux only), CPU time and sleeps from `getrusage`, and, when
//! asked, the live heap from a counting allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};
use std::time::Duration;

/// The system allocator, counting live bytes and blocks on the way once
/// [`count_heap`] is called. Off by default: the counters are shared
/// atomics, and the clients allocate differently (the baseline more), so
/// counting would tax them unevenly in the CPU figures.
pub(crate) struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

/// Starts counting; call it before anything else allocates much. Blocks
/// allocated before are freed uncounted, so the figures are differences.
pub(crate) fn count_heap() {
    COUNTING.store(true, Relaxed);
}

#[allow(
    unsafe_code,
    reason = "GlobalAlloc is an unsafe trait; counting the heap needs a wrapper around System"
)]
// SAFETY: every method forwards its arguments unchanged to `System` and
// returns what it returned; the counters never touch the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is.
        let ptr = unsafe { System.alloc(layout) };
        count(ptr, layout.size() as isize, 1);
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (calloc: untouched pages stay out of RSS).
        let ptr = unsafe { System.alloc_zeroed(layout) };
        count(ptr, layout.size() as isize, 1);
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        count(ptr, -(layout.size() as isize), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        count(new, new_size as isize - layout.size() as isize, 0);
        new
    }
}

fn count(ptr: *mut u8, bytes: isize, blocks: isize) {
    if !ptr.is_null() && COUNTING.load(Relaxed) {
        BYTES.fetch_add(bytes, Relaxed);
        BLOCKS.fetch_add(blocks, Relaxed);
    }
}

/// One reading of everything this module measures.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reading {
    /// VmRSS, KiB.
    pub(crate) rss_kib: u64,
    /// Live heap bytes (0 unless counting).
    pub(crate) heap_bytes: isize,
    /// Live heap blocks (0 unless counting).
    pub(crate) heap_blocks: isize,
    /// User + system time of every thread, dead ones included.
    pub(crate) cpu: Duration,
    /// Times any thread went to sleep waiting for something (voluntary
    /// context switches). On an otherwise idle machine each one lets the
    /// CPU idle, and waking it again costs more than the switch itself.
    pub(crate) sleeps: u64,
}

impl Reading {
    /// Reads it now.
    pub(crate) fn now() -> Result<Self, String> {
        let usage = usage()?;
        Ok(Self {
            rss_kib: rss_kib()?,
            heap_bytes: BYTES.load(Relaxed),
            heap_blocks: BLOCKS.load(Relaxed),
            cpu: usage.cpu,
            sleeps: usage.sleeps,
        })
    }
}

fn rss_kib() -> Result<u64, String> {
    let status = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("reading /proc/self/status (Linux only): {e}"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| "no VmRSS in /proc/self/status".to_owned())
}

/// What `getrusage` says of the whole process.
struct Usage {
    cpu: Duration,
    sleeps: u64,
}

/// `getrusage(RUSAGE_SELF)`: user + system time, to the microsecond, and
/// voluntary context switches.
#[allow(
    unsafe_code,
    reason = "getrusage has no safe wrapper in the dependencies; it only fills the struct it is given"
)]
fn usage() -> Result<Usage, String> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `usage` is a valid, writable rusage; RUSAGE_SELF is a valid
    // `who`. The kernel fills the whole struct when it returns 0.
    let status = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) };
    if status != 0 {
        return Err(format!("getrusage: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: zero-initialised, then filled by a successful getrusage.
    let usage = unsafe { usage.assume_init() };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    Ok(Usage {
        cpu: time(usage.ru_utime) + time(usage.ru_stime),
        sleeps: usage.ru_nvcsw.max(0) as u64,
    })
}
