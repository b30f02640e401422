//! What the harness reads about its own process: resident memory and CPU
//! time from /proc (Linux only), and the live heap from a counting
//! allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::time::Duration;

/// The system allocator, counting live bytes and blocks on the way.
pub(crate) struct Counting;

static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

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
        count(ptr, layout.size(), 1);
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as is (calloc: untouched pages stay out of RSS).
        let ptr = unsafe { System.alloc_zeroed(layout) };
        count(ptr, layout.size(), 1);
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as is.
        unsafe { System.dealloc(ptr, layout) };
        BYTES.fetch_sub(layout.size() as isize, Relaxed);
        BLOCKS.fetch_sub(1, Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            BYTES.fetch_add(new_size as isize - layout.size() as isize, Relaxed);
        }
        new
    }
}

fn count(ptr: *mut u8, size: usize, blocks: isize) {
    if !ptr.is_null() {
        BYTES.fetch_add(size as isize, Relaxed);
        BLOCKS.fetch_add(blocks, Relaxed);
    }
}

/// One reading of everything this module measures.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Reading {
    /// VmRSS, KiB.
    pub(crate) rss_kib: u64,
    /// Live heap bytes.
    pub(crate) heap_bytes: isize,
    /// Live heap blocks.
    pub(crate) heap_blocks: isize,
    /// utime + stime of every thread, dead ones included.
    pub(crate) cpu: Duration,
}

impl Reading {
    /// Reads it now.
    pub(crate) fn now() -> Self {
        Self {
            rss_kib: rss_kib(),
            heap_bytes: BYTES.load(Relaxed),
            heap_blocks: BLOCKS.load(Relaxed),
            cpu: cpu(),
        }
    }
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// Fields 14 and 15 of /proc/self/stat, in USER_HZ ticks (100 per second
/// on every Linux this runs on).
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").expect("Linux /proc");
    // The command name may hold spaces; the fields after it may not.
    let after_name = &stat[stat.rfind(')').expect("stat has a name") + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = fields[11..13]
        .iter()
        .map(|f| f.parse::<u64>().expect("utime and stime are integers"))
        .sum();
    Duration::from_millis(ticks * 10)
}
