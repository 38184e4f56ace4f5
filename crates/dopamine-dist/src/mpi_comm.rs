//! [`MpiCommunicator`]: the [`Communicator`] over an MPI communicator (rsmpi).

use std::cell::RefCell;

use mpi::collective::SystemOperation;
use mpi::environment::Universe;
use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, CommunicatorCollectives as _, Root as _};

use crate::comm::Communicator;
use crate::error::DistError;

/// MPI's world communicator. Owns the MPI environment: MPI is finalised when
/// it is dropped, so create one per process, at the start of `main`.
pub struct MpiCommunicator {
    world: SimpleCommunicator,
    send: RefCell<Vec<f64>>,
    // Dropped last: finalises MPI.
    _universe: Universe,
}

impl core::fmt::Debug for MpiCommunicator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MpiCommunicator")
            .field("rank", &self.rank())
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

impl MpiCommunicator {
    /// Initialises MPI and returns the world communicator.
    ///
    /// Errors: [`DistError::MpiInit`] when MPI was already initialised.
    pub fn init() -> Result<Self, DistError> {
        let universe = mpi::initialize().ok_or(DistError::MpiInit)?;
        let world = universe.world();
        Ok(Self {
            world,
            send: RefCell::new(Vec::new()),
            _universe: universe,
        })
    }

    /// Waits until every rank has called it.
    pub fn barrier(&self) {
        self.world.barrier();
    }
}

impl Communicator for MpiCommunicator {
    fn rank(&self) -> usize {
        usize::try_from(self.world.rank()).expect("MPI ranks are non-negative")
    }
    fn size(&self) -> usize {
        usize::try_from(self.world.size()).expect("MPI sizes are positive")
    }
    fn all_reduce_sum(&self, values: &mut [f64]) {
        let mut send = self.send.borrow_mut();
        send.clear();
        send.extend_from_slice(values);
        self.world
            .all_reduce_into(&send[..], values, SystemOperation::sum());
    }
    fn all_gather_u64(&self, value: u64, out: &mut [u64]) {
        self.world.all_gather_into(&value, out);
    }
    fn broadcast_u64(&self, value: u64) -> u64 {
        let mut value = value;
        self.world.process_at_rank(0).broadcast_into(&mut value);
        value
    }
    fn broadcast_bytes(&self, bytes: &mut Vec<u8>) {
        let mut len = bytes.len() as u64;
        self.world.process_at_rank(0).broadcast_into(&mut len);
        let len = usize::try_from(len).expect("rank 0's buffer fits in memory");
        bytes.resize(len, 0);
        if len > 0 {
            self.world.process_at_rank(0).broadcast_into(&mut bytes[..]);
        }
    }
}
