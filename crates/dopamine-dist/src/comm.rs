//! The [`Communicator`] trait: the collectives a distributed run needs (a
//! sum and a gather for the step, broadcasts from rank 0 for its decisions
//! and its checkpoint), with an in-process implementation for one rank and
//! one for several ranks on threads.

use std::sync::{Arc, Barrier, Mutex, PoisonError};

/// The collectives a distributed step uses. [`crate::MpiCommunicator`]
/// implements it over MPI; [`LocalCommunicator`] and [`ThreadCommunicator`]
/// implement it in process, so the step's logic is testable without MPI.
///
/// Every rank must call the collectives in the same order with buffers of the
/// same length, as with MPI.
pub trait Communicator {
    /// This process's rank, `0..size`.
    fn rank(&self) -> usize;
    /// Number of ranks.
    fn size(&self) -> usize;
    /// Element-wise sum over the ranks, in place: on return every rank's
    /// `values` holds the sums.
    fn all_reduce_sum(&self, values: &mut [f64]);
    /// Gathers one `u64` from every rank: on return `out[r]` holds rank `r`'s
    /// `value`. `out.len()` must be [`Communicator::size`].
    fn all_gather_u64(&self, value: u64, out: &mut [u64]);
    /// Rank 0's `value`, returned on every rank.
    fn broadcast_u64(&self, value: u64) -> u64;
    /// Rank 0's `bytes` on every rank: the other ranks' buffers are replaced
    /// (resized to rank 0's length).
    fn broadcast_bytes(&self, bytes: &mut Vec<u8>);
}

/// A single rank: the collectives are the identity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalCommunicator;

impl Communicator for LocalCommunicator {
    fn rank(&self) -> usize {
        0
    }
    fn size(&self) -> usize {
        1
    }
    fn all_reduce_sum(&self, _values: &mut [f64]) {}
    fn all_gather_u64(&self, value: u64, out: &mut [u64]) {
        out[0] = value;
    }
    fn broadcast_u64(&self, value: u64) -> u64 {
        value
    }
    fn broadcast_bytes(&self, _bytes: &mut Vec<u8>) {}
}

#[derive(Debug)]
struct Shared {
    barrier: Barrier,
    sums: Mutex<Vec<Vec<f64>>>,
    words: Mutex<Vec<u64>>,
    bytes: Mutex<Vec<u8>>,
}

/// One of `size` ranks that run as threads of one process and meet at
/// barriers: a stand-in for MPI in tests and examples.
///
/// Sums are taken in rank order on every rank, so every rank gets the same
/// bits.
#[derive(Debug, Clone)]
pub struct ThreadCommunicator {
    rank: usize,
    size: usize,
    shared: Arc<Shared>,
}

impl ThreadCommunicator {
    /// The `size` communicators of a group, rank 0 first; move each into its
    /// own thread. Panics when `size` is 0.
    pub fn group(size: usize) -> Vec<Self> {
        assert!(size > 0, "a group needs at least one rank");
        let shared = Arc::new(Shared {
            barrier: Barrier::new(size),
            sums: Mutex::new(vec![Vec::new(); size]),
            words: Mutex::new(vec![0; size]),
            bytes: Mutex::new(Vec::new()),
        });
        (0..size)
            .map(|rank| Self {
                rank,
                size,
                shared: Arc::clone(&shared),
            })
            .collect()
    }
}

impl Communicator for ThreadCommunicator {
    fn rank(&self) -> usize {
        self.rank
    }
    fn size(&self) -> usize {
        self.size
    }
    fn all_reduce_sum(&self, values: &mut [f64]) {
        {
            let mut slots = self
                .shared
                .sums
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            slots[self.rank].clear();
            slots[self.rank].extend_from_slice(values);
        }
        self.shared.barrier.wait();
        {
            let slots = self
                .shared
                .sums
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for (i, v) in values.iter_mut().enumerate() {
                let mut sum = slots[0][i];
                for slot in &slots[1..] {
                    sum += slot[i];
                }
                *v = sum;
            }
        }
        // Nobody overwrites a slot before every rank has read them all.
        self.shared.barrier.wait();
    }
    fn all_gather_u64(&self, value: u64, out: &mut [u64]) {
        self.shared
            .words
            .lock()
            .unwrap_or_else(PoisonError::into_inner)[self.rank] = value;
        self.shared.barrier.wait();
        out.copy_from_slice(
            &self
                .shared
                .words
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        self.shared.barrier.wait();
    }
    fn broadcast_u64(&self, value: u64) -> u64 {
        if self.rank == 0 {
            self.shared
                .words
                .lock()
                .unwrap_or_else(PoisonError::into_inner)[0] = value;
        }
        self.shared.barrier.wait();
        let agreed = self
            .shared
            .words
            .lock()
            .unwrap_or_else(PoisonError::into_inner)[0];
        self.shared.barrier.wait();
        agreed
    }
    fn broadcast_bytes(&self, bytes: &mut Vec<u8>) {
        if self.rank == 0 {
            let mut shared = self
                .shared
                .bytes
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            shared.clear();
            shared.extend_from_slice(bytes);
        }
        self.shared.barrier.wait();
        if self.rank != 0 {
            bytes.clear();
            bytes.extend_from_slice(
                &self
                    .shared
                    .bytes
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner),
            );
        }
        self.shared.barrier.wait();
    }
}
