//! Installs `CountingAllocator` as this test binary's global allocator and checks its counters.
//!
//! Everything runs in one test function so no other test thread allocates
//! while the counters are read.

use std::hint::black_box;

use dopamine_meter::{CountingAllocator, thread_allocations};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

const MIB: u64 = 1 << 20;

#[test]
fn counting_allocator_tracks_allocations_peak_and_frees() {
    // A 1 MiB vector raises the peak by at least 1 MiB.
    ALLOCATOR.reset_peak();
    let before = ALLOCATOR.snapshot();
    let big: Vec<u8> = black_box(vec![1u8; MIB as usize]);
    let with_big = ALLOCATOR.snapshot();
    assert!(with_big.allocations > before.allocations);
    assert!(with_big.peak_bytes >= before.peak_bytes + MIB);
    assert!(with_big.current_bytes >= before.current_bytes + MIB);

    // Dropping it lowers the bytes currently allocated, not the peak.
    drop(big);
    let after_drop = ALLOCATOR.snapshot();
    assert!(after_drop.current_bytes + MIB <= with_big.current_bytes);
    assert!(after_drop.peak_bytes >= with_big.peak_bytes);

    // reset_peak brings the peak down to the current level.
    ALLOCATOR.reset_peak();
    let reset = ALLOCATOR.snapshot();
    assert!(reset.peak_bytes < with_big.peak_bytes);
    assert!(reset.peak_bytes >= reset.current_bytes);

    // realloc: growing a vector is counted by its new size, shrinking gives bytes back.
    let mut grown: Vec<u8> = Vec::with_capacity(16);
    grown.push(1);
    let small = ALLOCATOR.snapshot();
    grown.reserve_exact(MIB as usize);
    let large = ALLOCATOR.snapshot();
    assert!(large.current_bytes >= small.current_bytes + MIB - 16);
    grown.shrink_to_fit();
    let shrunk = ALLOCATOR.snapshot();
    assert!(shrunk.current_bytes + MIB - 16 <= large.current_bytes);
    drop(grown);

    // Pure arithmetic allocates nothing.
    let start = ALLOCATOR.snapshot();
    let mut acc = 0.0f64;
    for i in 0..100_000u32 {
        acc = black_box(acc * 0.999 + f64::from(i).sqrt());
    }
    let end = ALLOCATOR.snapshot();
    black_box(acc);
    assert_eq!(end.allocations, start.allocations);
    assert_eq!(end.current_bytes, start.current_bytes);

    // The per-thread count sees this thread's allocations and not another's.
    let other = std::thread::spawn(|| {
        let before = thread_allocations();
        black_box(vec![0u8; 64]);
        thread_allocations() - before
    })
    .join()
    .expect("thread runs");
    assert!(other >= 1, "the other thread's own count");
    let mine = thread_allocations();
    let boxed = black_box(Box::new(7u64));
    assert_eq!(thread_allocations(), mine + 1, "one allocation here");
    drop(boxed);
}
