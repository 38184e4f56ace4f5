//! The second thread of an [`RnnObjective`](super::RnnObjective): a persistent helper that owns a copy of the network and the data and evaluates one part of a step's points while the caller's thread evaluates the other, allocating nothing per step.
//!
//! The helper never borrows the caller's data: the caller copies what a
//! job needs into buffers the helper owns (the built points, or the
//! parameters and the plan of a low-rank sweep — a [`StepPlan`] is plain
//! data), starts it, evaluates its own part, and waits. The buffers move
//! between the threads under one mutex, so after the first step of a size
//! nothing is allocated. A panic in the helper is caught and reported as an
//! error of the step (the caller never waits forever).

use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use dopamine_core::StepPlan;
use dopamine_nets::{NetError, PopulationPath, Rnn, RnnPopulationWorkspace, RnnWorkspace, Scalar};
use faer::Mat;

/// What the helper evaluates.
// A plan inline, not boxed: the job lives in the shared state made once, and
// a box would allocate at every step.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub(super) enum Job<T> {
    /// The points in `Buffers::points`, in lockstep or one by one.
    Points {
        /// How (`Lockstep` or `OneByOne`).
        path: PopulationPath,
    },
    /// Points `range` of a low-rank plan at `Buffers::params`, by the sweep.
    Sweep {
        /// The plan (plain data).
        plan: StepPlan<T>,
        /// Its points the helper evaluates.
        range: Range<usize>,
    },
}

/// The buffers a job reads and writes.
#[derive(Debug, Default)]
pub(super) struct Buffers<T> {
    /// The parameters a sweep's plan was made at.
    pub(super) params: Vec<T>,
    /// Built points, one parameter vector after another.
    pub(super) points: Vec<T>,
    /// One loss per point of the job.
    pub(super) losses: Vec<T>,
}

/// The state both threads share.
struct State<T> {
    job: Option<Job<T>>,
    quit: bool,
    done: bool,
    result: Result<(), NetError>,
    buffers: Buffers<T>,
}

type Shared<T> = Arc<(Mutex<State<T>>, Condvar)>;

/// Locks the state; a poisoned lock (a panic while holding it, which the
/// helper's `catch_unwind` prevents) still gives the state.
fn lock<T>(shared: &Shared<T>) -> MutexGuard<'_, State<T>> {
    shared.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the helper thread owns.
struct Model<T: Scalar> {
    net: Rnn<T>,
    inputs: Mat<T>,
    targets: Mat<T>,
    washout: usize,
    population: RnnPopulationWorkspace<T>,
    single: RnnWorkspace<T>,
}

impl<T: Scalar> Model<T> {
    fn run(&mut self, job: &Job<T>, b: &mut Buffers<T>) -> Result<(), NetError> {
        let (x, y) = (self.inputs.as_ref(), self.targets.as_ref());
        match job {
            Job::Points {
                path: PopulationPath::OneByOne,
            } => {
                let p = self.net.num_params().max(1);
                for (point, loss) in b.points.chunks_exact(p).zip(b.losses.iter_mut()) {
                    *loss = self
                        .net
                        .loss_at(point, x, y, self.washout, &mut self.single)?;
                }
                Ok(())
            }
            Job::Points { .. } => self.net.packed_points_losses(
                &b.points,
                x,
                y,
                self.washout,
                &mut self.population,
                &mut b.losses,
            ),
            Job::Sweep { plan, range } => self.net.plan_range_losses(
                &b.params,
                plan,
                range.clone(),
                x,
                y,
                self.washout,
                &mut self.population,
                &mut b.losses,
            ),
        }
    }
}

/// A helper thread and the state it shares with its owner. Dropping it
/// stops and joins the thread.
pub(super) struct Helper<T: Scalar> {
    shared: Shared<T>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Scalar> Helper<T> {
    /// Starts a helper with its own copy of `net` and the data.
    pub(super) fn start(
        net: &Rnn<T>,
        inputs: &Mat<T>,
        targets: &Mat<T>,
        washout: usize,
    ) -> std::io::Result<Self> {
        let shared: Shared<T> = Arc::new((
            Mutex::new(State {
                job: None,
                quit: false,
                done: false,
                result: Ok(()),
                buffers: Buffers::default(),
            }),
            Condvar::new(),
        ));
        let mut model = Model {
            population: RnnPopulationWorkspace::new(net),
            single: RnnWorkspace::new(net),
            net: net.clone(),
            inputs: inputs.clone(),
            targets: targets.clone(),
            washout,
        };
        let theirs = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("rnn-objective-helper".into())
            .spawn(move || {
                loop {
                    let mut state = lock(&theirs);
                    while state.job.is_none() && !state.quit {
                        state = theirs.1.wait(state).unwrap_or_else(PoisonError::into_inner);
                    }
                    let Some(job) = state.job.take() else { return };
                    let mut buffers = std::mem::take(&mut state.buffers);
                    drop(state);
                    let result = catch_unwind(AssertUnwindSafe(|| model.run(&job, &mut buffers)))
                        .unwrap_or(Err(NetError::WorkspaceMismatch {
                            what: "the helper thread panicked",
                        }));
                    let mut state = lock(&theirs);
                    state.buffers = buffers;
                    state.result = result;
                    state.done = true;
                    theirs.1.notify_all();
                }
            })?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Starts `job` once `fill` has written its inputs into the helper's
    /// buffers (their lengths as the job needs; they keep their
    /// allocations between steps).
    pub(super) fn start_job(&self, job: Job<T>, fill: impl FnOnce(&mut Buffers<T>)) {
        let mut state = lock(&self.shared);
        fill(&mut state.buffers);
        state.job = Some(job);
        state.done = false;
        self.shared.1.notify_all();
    }

    /// Waits for the job started last and copies its losses into `losses`.
    pub(super) fn finish(&self, losses: &mut [T]) -> Result<(), NetError> {
        let mut state = lock(&self.shared);
        while !state.done {
            state = self
                .shared
                .1
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        std::mem::replace(&mut state.result, Ok(()))?;
        losses.copy_from_slice(&state.buffers.losses[..losses.len()]);
        Ok(())
    }
}

impl<T: Scalar> Drop for Helper<T> {
    fn drop(&mut self) {
        lock(&self.shared).quit = true;
        self.shared.1.notify_all();
        if let Some(thread) = self.thread.take() {
            // The thread catches its job's panics; nothing is left to report.
            let _ = thread.join();
        }
    }
}

/// The helper of an objective: started on first use, not copied with the
/// objective (a clone starts its own).
pub(super) struct HelperSlot<T: Scalar>(pub(super) Option<Helper<T>>);

impl<T: Scalar> Default for HelperSlot<T> {
    fn default() -> Self {
        Self(None)
    }
}

impl<T: Scalar> Clone for HelperSlot<T> {
    fn clone(&self) -> Self {
        Self(None)
    }
}
