//! A counting global allocator for measuring heap use (installed by binaries or tests, never by this library).
//!
//! Install it in a binary or an integration test with
//!
//! ```
//! use dopamine_bench::alloc_meter::CountingAllocator;
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
//! counters are process-wide: allocations made by other threads are counted
//! too. Each call costs two or three relaxed atomic operations on top of
//! [`System`].

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

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
// unchanged and only updates counters, so `System`'s guarantees carry over.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            self.allocations.fetch_add(1, Ordering::Relaxed);
            self.grow(layout.size() as u64);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
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
