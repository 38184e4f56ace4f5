//! `dopamine-meter`: the workspace's one counting global allocator, for tests that prove code allocates nothing and for measurements of peak heap.
//!
//! Every crate's allocation tests and the peak-heap figures of
//! `cargo xtask reproduce` and `cargo xtask bench` use this allocator, so
//! there is one implementation to trust. It counts process-wide (allocations,
//! bytes now, peak bytes) and, for tests that must ignore the test harness's
//! other threads, per thread ([`thread_allocations`]). It is never installed
//! by a library: a binary or an integration test installs it.
//!
//! Install it in a binary or an integration test with
//!
//! ```
//! use dopamine_meter::CountingAllocator;
//!
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = CountingAllocator::new();
//!
//! fn main() {
//!     ALLOCATOR.reset_peak();
//!     let before = ALLOCATOR.snapshot();
//!     let buffer = vec![0u8; 4096];
//!     let after = ALLOCATOR.snapshot();
//!     assert!(after.peak_bytes >= before.peak_bytes + 4096);
//!     println!("{} allocations", after.allocations - before.allocations);
//!     drop(buffer);
//! }
//! ```
//!
//! then read [`CountingAllocator::snapshot`] around the code to measure. The
//! counters of [`CountingAllocator::snapshot`] are process-wide: allocations
//! made by other threads are counted too; [`thread_allocations`] counts only
//! the calling thread's. Each call costs two or three relaxed atomic
//! operations and a thread-local increment on top of [`System`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

thread_local! {
    /// Allocations made by this thread (a const-initialised `Cell`: reading
    /// or bumping it never allocates).
    static THREAD_ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// Allocations (`alloc`, `alloc_zeroed`, `realloc`) made so far by the
/// calling thread through a [`CountingAllocator`]; subtract two readings to
/// count a region of code. Zero forever when no `CountingAllocator` is the
/// global allocator.
pub fn thread_allocations() -> u64 {
    THREAD_ALLOCATIONS.with(Cell::get)
}

fn count_on_this_thread() {
    // `try_with`: the slot may be gone while a thread is being torn down.
    let _ = THREAD_ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

/// A [`GlobalAlloc`] that forwards to [`System`] and counts what goes through it.
#[derive(Debug)]
pub struct CountingAllocator {
    allocations: AtomicU64,
    current_bytes: AtomicU64,
    peak_bytes: AtomicU64,
}

/// The counters of a [`CountingAllocator`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AllocStats {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc` that succeeded since the
    /// process started (subtract two snapshots to count a region of code).
    pub allocations: u64,
    /// Bytes currently allocated (requested sizes, not the allocator's rounding).
    pub current_bytes: u64,
    /// Highest `current_bytes` since the last [`CountingAllocator::reset_peak`]
    /// (or since the process started).
    pub peak_bytes: u64,
}

impl CountingAllocator {
    /// A fresh allocator with all counters at zero; `const` so it can be a `static`.
    pub const fn new() -> CountingAllocator {
        CountingAllocator {
            allocations: AtomicU64::new(0),
            current_bytes: AtomicU64::new(0),
            peak_bytes: AtomicU64::new(0),
        }
    }

    /// Sets the peak to the bytes allocated right now, so the next snapshot's
    /// `peak_bytes` is the high-water mark of the code run in between.
    pub fn reset_peak(&self) {
        let current = self.current_bytes.load(Ordering::Relaxed);
        self.peak_bytes.store(current, Ordering::Relaxed);
    }

    /// The counters now.
    pub fn snapshot(&self) -> AllocStats {
        AllocStats {
            allocations: self.allocations.load(Ordering::Relaxed),
            current_bytes: self.current_bytes.load(Ordering::Relaxed),
            peak_bytes: self.peak_bytes.load(Ordering::Relaxed),
        }
    }

    fn grow(&self, bytes: u64) {
        let now = self.current_bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.peak_bytes.fetch_max(now, Ordering::Relaxed);
    }

    fn shrink(&self, bytes: u64) {
        self.current_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }
}

impl Default for CountingAllocator {
    fn default() -> Self {
        CountingAllocator::new()
    }
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged and only updates counters (atomics and a const-initialised
// thread-local `Cell`, neither of which allocates), so `System`'s guarantees
// carry over.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_on_this_thread();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            self.allocations.fetch_add(1, Ordering::Relaxed);
            self.grow(layout.size() as u64);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_on_this_thread();
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            self.allocations.fetch_add(1, Ordering::Relaxed);
            self.grow(layout.size() as u64);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) };
        self.shrink(layout.size() as u64);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_on_this_thread();
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        let new_ptr = unsafe { System.realloc(ptr, layout, new_size) };
        // On failure the old block is untouched and still counted.
        if !new_ptr.is_null() {
            self.allocations.fetch_add(1, Ordering::Relaxed);
            let old_size = layout.size() as u64;
            let new_size = new_size as u64;
            if new_size >= old_size {
                self.grow(new_size - old_size);
            } else {
                self.shrink(old_size - new_size);
            }
        }
        new_ptr
    }
}
