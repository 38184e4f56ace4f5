//! One batch-step interface over every population method: [`PopulationOptimizer`] and the [`Population`] of a step.
//!
//! A population method evaluates a set of points per step and updates from
//! all their losses at once. [`crate::PerturbationOptimizer`] (WP, the
//! Dopamine rules, OpenES) and [`crate::Snes`] both run the same shape:
//!
//! 1. `plan(params)` checks the parameters and returns the step's
//!    [`Population`]: how many points, and how to build each;
//! 2. the host builds the points (`build_point(e, base, out)`, in order,
//!    each into its own buffer or one after another into the same one),
//!    evaluates them anywhere — threads, ranks, one population sweep of a
//!    model — and collects the losses in point order;
//! 3. `tell_all(params, losses)` updates the parameters (or rejects the step,
//!    leaving them where they were) and reports a [`StepOutcome`].
//!
//! A harness, a binding or a test that drives this trait drives every method
//! without knowing which it is, and without allocating: the host provides
//! the buffers ([`step_population`] is the loop over one step). A step's
//! points are a [`Plan`], one enum over the methods' plans (SNES's borrows
//! its `sigma`), so the trait is object safe: a host holds any method as
//! `&mut dyn PopulationOptimizer<T>` (the training library's probe pool,
//! population sweeps and the Python bindings do). A host that must return
//! between points gets the plan back with
//! [`PopulationOptimizer::current_plan`].
//!
//! **The base.** `build_point` takes the host's copy of the step's
//! parameters, `base`, and may move it: a perturbation point of
//! [`crate::StepPlan`] is `w_e + s_e z` where `w_e` is the base ask/tell would
//! have seen after the in-place restores before it (`build_point` moves the
//! base past the point; see [`crate::batch`]). SNES's points are
//! `mu + sigma ∘ s_e` around a base that never moves, so its `build_point`
//! leaves `base` alone and its `walk_past` does nothing. Either way, building
//! the points in order from a copy of the parameters gives exactly the points
//! the method expects, and a host that evaluates only some points moves the
//! base past the others with `walk_past`.

use crate::batch::StepPlan;
use crate::error::{Error, check_len};
use crate::optimizer::PerturbationOptimizer;
use crate::query::Query;
use crate::real::Real;
use crate::report::{Counters, StepOutcome, StepReport};
use crate::rule::UpdateRule;
use crate::snes::SnesPlan;

/// The evaluation points of one step of a population method.
pub trait Population<T: Real> {
    /// Number of points (= losses `tell_all` expects).
    fn len(&self) -> usize;

    /// `true` when the step has no point (never, for the methods here).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of parameters.
    fn dim(&self) -> usize;

    /// The step's index (the noise keys' `step`).
    fn step(&self) -> u64;

    /// Writes point `e` into `out`; `base` must be the step's parameters
    /// moved past points `0..e` (by this method or
    /// [`Population::walk_past`]), and is moved past point `e`.
    ///
    /// Errors: `e >= len()` ([`Error::PointOutOfRange`]), a buffer of the
    /// wrong length.
    fn build_point(&self, e: usize, base: &mut [T], out: &mut [T]) -> Result<(), Error>;

    /// Moves `base` past point `e` without writing it.
    ///
    /// Errors as [`Population::build_point`].
    fn walk_past(&self, e: usize, base: &mut [T]) -> Result<(), Error>;

    /// `true` when point `e` is the step's parameters themselves (a
    /// perturbation rule's baseline): a host may evaluate it at the
    /// parameters without building it. `false` by default.
    fn is_unperturbed(&self, e: usize) -> bool {
        let _ = e;
        false
    }
}

/// The points of one step of any population method here: the one plan
/// type of [`PopulationOptimizer`], so that hosts hold the methods as trait
/// objects. A host that needs a method's own plan (a model that evaluates a
/// low-rank perturbation population itself) matches on it.
#[derive(Debug, Clone, Copy, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "the kernel allocates nothing, so a StepPlan (its layout inline) cannot be boxed; a plan lives for one step"
)]
pub enum Plan<'a, T> {
    /// A perturbation step (WP, the Dopamine rules, OpenES).
    Perturbation(StepPlan<T>),
    /// A SNES step: `mu + sigma ∘ s_k` around a base that does not move.
    Snes(SnesPlan<'a, T>),
}

impl<T: Real> Population<T> for Plan<'_, T> {
    fn len(&self) -> usize {
        match self {
            Plan::Perturbation(p) => p.len(),
            Plan::Snes(p) => p.len(),
        }
    }

    fn dim(&self) -> usize {
        match self {
            Plan::Perturbation(p) => p.dim(),
            Plan::Snes(p) => Population::dim(p),
        }
    }

    fn step(&self) -> u64 {
        match self {
            Plan::Perturbation(p) => p.step(),
            Plan::Snes(p) => Population::step(p),
        }
    }

    fn build_point(&self, e: usize, base: &mut [T], out: &mut [T]) -> Result<(), Error> {
        match self {
            Plan::Perturbation(p) => p.build_point(e, base, out),
            Plan::Snes(p) => p.build_point(e, base, out),
        }
    }

    fn walk_past(&self, e: usize, base: &mut [T]) -> Result<(), Error> {
        match self {
            Plan::Perturbation(p) => p.walk_past(e, base),
            Plan::Snes(p) => p.walk_past(e, base),
        }
    }

    fn is_unperturbed(&self, e: usize) -> bool {
        match self {
            Plan::Perturbation(p) => Population::is_unperturbed(p, e),
            Plan::Snes(_) => false,
        }
    }
}

/// A method that runs batch steps: `plan`, build and evaluate the points,
/// `tell_all`. See the [module docs](self).
pub trait PopulationOptimizer<T: Real> {
    /// Number of parameters.
    fn dim(&self) -> usize;

    /// Points per step, known before planning (the length of every plan).
    fn points_per_step(&self) -> usize;

    /// Index of the next step (= steps completed or rejected so far).
    fn step_index(&self) -> u64;

    /// Work counters.
    fn counters(&self) -> &Counters;

    /// The report of the last applied update.
    fn last_report(&self) -> Option<&StepReport<T>>;

    /// Starts a step at `params`; see the method's own `plan`. The plan may
    /// borrow the optimizer (SNES's points read its per-parameter `sigma`),
    /// so it must be dropped before `tell_all`.
    fn plan(&mut self, params: &[T]) -> Result<Plan<'_, T>, Error>;

    /// The plan of the step in progress (`plan` called, `tell_all` not
    /// yet), the same one `plan` returned; `None` otherwise. A host that
    /// cannot keep the plan `plan` returned — a binding that returns to its
    /// caller between building points — gets it back here.
    fn current_plan(&self) -> Option<Plan<'_, T>>;

    /// Finishes the planned step with every point's loss, in point order;
    /// `params` must be the parameters `plan` saw.
    fn tell_all(&mut self, params: &mut [T], losses: &[T]) -> Result<StepOutcome<T>, Error>;
}

impl<T: Real> Population<T> for StepPlan<T> {
    fn len(&self) -> usize {
        StepPlan::len(self)
    }

    fn dim(&self) -> usize {
        StepPlan::dim(self)
    }

    fn step(&self) -> u64 {
        StepPlan::step(self)
    }

    fn build_point(&self, e: usize, base: &mut [T], out: &mut [T]) -> Result<(), Error> {
        StepPlan::build_point(self, e, base, out)
    }

    fn walk_past(&self, e: usize, base: &mut [T]) -> Result<(), Error> {
        StepPlan::walk_past(self, e, base)
    }

    fn is_unperturbed(&self, e: usize) -> bool {
        e < self.len() && self.point(e) == Query::Baseline
    }
}

impl<T: Real, R: UpdateRule<T>> PopulationOptimizer<T> for PerturbationOptimizer<T, R> {
    fn dim(&self) -> usize {
        PerturbationOptimizer::dim(self)
    }

    fn points_per_step(&self) -> usize {
        self.config().forward_passes_per_step() as usize
    }

    fn step_index(&self) -> u64 {
        PerturbationOptimizer::step_index(self)
    }

    fn counters(&self) -> &Counters {
        PerturbationOptimizer::counters(self)
    }

    fn last_report(&self) -> Option<&StepReport<T>> {
        PerturbationOptimizer::last_report(self)
    }

    fn plan(&mut self, params: &[T]) -> Result<Plan<'_, T>, Error> {
        PerturbationOptimizer::plan(self, params).map(Plan::Perturbation)
    }

    fn current_plan(&self) -> Option<Plan<'_, T>> {
        PerturbationOptimizer::current_plan(self).map(Plan::Perturbation)
    }

    fn tell_all(&mut self, params: &mut [T], losses: &[T]) -> Result<StepOutcome<T>, Error> {
        PerturbationOptimizer::tell_all(self, params, losses)
    }
}

/// One whole batch step of any population method, with `loss` evaluating
/// each point: plans, builds every point in order into `point` (from `base`,
/// a copy of `params`), writes the losses into `losses[..n]` and finishes the
/// step. `base` and `point` have the parameters' length; `losses` holds at
/// least [`PopulationOptimizer::points_per_step`] values. Nothing is
/// allocated.
///
/// ```
/// use dopamine_core::{step_population, PopulationOptimizer, Snes, SnesConfig, StepOutcome};
///
/// let loss = |w: &[f64]| w.iter().map(|x| (x - 1.0) * (x - 1.0)).sum::<f64>();
/// let mut w = vec![0.0; 8];
/// let mut opt = Snes::new(SnesConfig::new(8, 0.5), 8, vec![0.0; 8])?;
/// let (mut base, mut point) = (vec![0.0; 8], vec![0.0; 8]);
/// let mut losses = vec![0.0; opt.points_per_step()];
/// for _ in 0..200 {
///     let out = step_population(&mut opt, &mut w, &mut base, &mut point, &mut losses, loss)?;
///     assert!(matches!(out, StepOutcome::Updated(_)));
/// }
/// assert!(loss(&w) < 1e-3, "{}", loss(&w));
/// # Ok::<(), dopamine_core::Error>(())
/// ```
///
/// Errors: a buffer of the wrong length, and whatever `plan`, `build_point`
/// and `tell_all` report.
pub fn step_population<T, O, F>(
    opt: &mut O,
    params: &mut [T],
    base: &mut [T],
    point: &mut [T],
    losses: &mut [T],
    mut loss: F,
) -> Result<StepOutcome<T>, Error>
where
    T: Real,
    O: PopulationOptimizer<T> + ?Sized,
    F: FnMut(&[T]) -> T,
{
    let dim = opt.dim();
    check_len(dim, params.len())?;
    check_len(dim, base.len())?;
    check_len(dim, point.len())?;
    let n = opt.points_per_step();
    if losses.len() < n {
        return Err(Error::LengthMismatch {
            expected: n,
            got: losses.len(),
        });
    }
    base.copy_from_slice(params);
    {
        let plan = opt.plan(params)?;
        for (e, l) in losses[..n].iter_mut().enumerate() {
            plan.build_point(e, base, point)?;
            *l = loss(point);
        }
    }
    opt.tell_all(params, &losses[..n])
}
