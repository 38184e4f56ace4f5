//! [`RnnObjective`]: a `dopamine-nets` Elman RNN on one teacher-forced training sequence, with a washout; a step's points go through the population path that measured fastest, on one or two threads.

use std::ops::Range;

use dopamine_core::{ParamLayout, Plan, Population};
use dopamine_nets::{
    Bptt, NetError, PointNoise, PopulationPath, Rnn, RnnGradWorkspace, RnnNodeWorkspace,
    RnnPopulationWorkspace, RnnWorkspace, Scalar, two_thread_split,
};
use faer::{Mat, MatRef};

use super::rnn_helper::{HelperSlot, Job};
use crate::error::{SpecError, TrainError};
use crate::node_model::{NodeModel, NodePart, NodeRule, NodeStream};
use crate::objective::{Objective, PassCost, PlanScratch};
use crate::sequence::{SequenceBlock, SequenceStream};

/// An Elman RNN on one teacher-forced training sequence, with a washout.
///
/// **Population steps.** By default the trainer hands this objective every
/// point of a step together ([`Objective::prefers_population`]), and each
/// step's points go through the path [`Rnn::population_path`] measured
/// fastest for this hidden size, float type, number of points and noise:
/// one by one, in lockstep ([`Rnn::population_range_losses`]: every loss
/// bit for bit [`Rnn::loss_at`]'s, so the same results as one by one), or,
/// for low-rank noise, the shared-product sweep ([`Rnn::plan_losses`]:
/// the same points in another order of operations, so losses that differ
/// by rounding). [`RnnObjective::with_path`] fixes the path;
/// [`RnnObjective::with_population`]`(false)` turns population steps off.
///
/// **Threads.** With [`RnnObjective::with_threads`]`(2)` a step whose
/// points are worth splitting ([`two_thread_split`]) is evaluated half on
/// the caller's thread and half on a helper thread the objective keeps;
/// every loss has the same bits as on one thread.
#[derive(Clone)]
pub struct RnnObjective<T: Scalar> {
    net: Rnn<T>,
    inputs: Mat<T>,
    targets: Mat<T>,
    washout: usize,
    bptt: Bptt,
    ws: RnnWorkspace<T>,
    grad_ws: Option<RnnGradWorkspace<T>>,
    population: Option<RangeScratch<T>>,
    prefers_population: bool,
    path: Option<PopulationPath>,
    threads: usize,
    helper: HelperSlot<T>,
    node_ws: Option<RnnNodeWorkspace<T>>,
    block_ws: Option<RnnGradWorkspace<T>>,
}

/// What evaluating a range of points needs on one thread.
#[derive(Clone)]
struct RangeScratch<T> {
    population: RnnPopulationWorkspace<T>,
    single: RnnWorkspace<T>,
    base: Vec<T>,
    point: Vec<T>,
}

impl<T: Scalar> RangeScratch<T> {
    fn new(net: &Rnn<T>) -> Self {
        Self {
            population: RnnPopulationWorkspace::new(net),
            single: RnnWorkspace::new(net),
            base: Vec::new(),
            point: Vec::new(),
        }
    }
}

/// The noise structure of a plan's points, as the path table knows it.
fn plan_noise<T: Scalar>(plan: &Plan<'_, T>) -> PointNoise {
    match plan {
        Plan::Perturbation(p) if p.noise().rank().is_some() && p.noise().layout().is_some() => {
            PointNoise::LowRank
        }
        _ => PointNoise::FullRank,
    }
}

/// The network and its data, borrowed for one evaluation.
#[derive(Clone, Copy)]
struct Data<'a, T> {
    net: &'a Rnn<T>,
    inputs: MatRef<'a, T>,
    targets: MatRef<'a, T>,
    washout: usize,
}

impl<T: Scalar> Data<'_, T> {
    /// The losses of points `points` of `plan` (planned at `params`) on
    /// `path`, one per point of the range.
    fn range_losses(
        &self,
        plan: &Plan<'_, T>,
        params: &[T],
        path: PopulationPath,
        points: Range<usize>,
        scratch: &mut RangeScratch<T>,
        losses: &mut [T],
    ) -> Result<(), TrainError> {
        let Data {
            net,
            inputs: x,
            targets: y,
            washout: w,
        } = *self;
        let pws = &mut scratch.population;
        match (path, plan) {
            (PopulationPath::LowRankSweep, Plan::Perturbation(p)) => {
                net.plan_range_losses(params, p, points, x, y, w, pws, losses)?;
            }
            (PopulationPath::OneByOne, _) => {
                scratch.base.clear();
                scratch.base.extend_from_slice(params);
                scratch.point.resize(params.len(), T::ZERO);
                for e in 0..points.start {
                    plan.walk_past(e, &mut scratch.base)?;
                }
                for (e, loss) in points.zip(losses.iter_mut()) {
                    plan.build_point(e, &mut scratch.base, &mut scratch.point)?;
                    *loss = net
                        .loss_at(&scratch.point, x, y, w, &mut scratch.single)
                        .unwrap_or(T::from_f64(f64::NAN));
                }
            }
            _ => net.population_range_losses(params, plan, points, x, y, w, pws, losses)?,
        }
        Ok(())
    }
}

impl<T: Scalar> RnnObjective<T> {
    /// Checks the shapes once. The BPTT workspace is built on the first
    /// gradient request, so a perturbation-trained run never holds it.
    pub fn new(
        net: Rnn<T>,
        inputs: Mat<T>,
        targets: Mat<T>,
        washout: usize,
        bptt: Bptt,
    ) -> Result<Self, NetError> {
        let mut ws = RnnWorkspace::new(&net);
        net.loss(inputs.as_ref(), targets.as_ref(), washout, &mut ws)?;
        Ok(Self {
            net,
            inputs,
            targets,
            washout,
            bptt,
            ws,
            grad_ws: None,
            population: None,
            prefers_population: true,
            path: None,
            threads: 1,
            helper: HelperSlot::default(),
            node_ws: None,
            block_ws: None,
        })
    }

    /// Whether the trainer runs population steps on this objective (every
    /// point of a step handed over together, evaluated on the measured
    /// path; see the type's docs). On by default; with `false` the trainer
    /// takes each optimizer's own step (ask/tell, one point at a time).
    /// Either way the full-rank results are the same bits.
    #[must_use]
    pub fn with_population(mut self, on: bool) -> Self {
        self.prefers_population = on;
        self
    }

    /// Evaluates every population step on `path` (`None`, the default: the
    /// measured fastest path for each step, [`Rnn::population_path`]). The
    /// low-rank sweep applies to low-rank perturbation plans only; other
    /// plans given it go in lockstep.
    #[must_use]
    pub fn with_path(mut self, path: Option<PopulationPath>) -> Self {
        self.path = path;
        self
    }

    /// Evaluates population steps on up to `threads` threads (1, the
    /// default, or 2; the helper thread starts on the first step that is
    /// worth splitting, see [`two_thread_split`]). A run's results do not
    /// depend on it. Errors: 0 or more than 2 threads.
    pub fn with_threads(mut self, threads: usize) -> Result<Self, SpecError> {
        if !(1..=2).contains(&threads) {
            return Err(SpecError::new(
                "threads",
                format!("an RNN objective evaluates on 1 or 2 threads, not {threads}"),
            ));
        }
        self.threads = threads;
        Ok(self)
    }

    /// The network.
    pub fn net(&self) -> &Rnn<T> {
        &self.net
    }

    /// The path a plan of `points` points with this noise takes.
    pub fn path_for(&self, points: usize, noise: PointNoise) -> PopulationPath {
        self.path
            .unwrap_or_else(|| self.net.population_path(points, noise))
    }

    /// Where the points of a step on `path` split between two threads, if
    /// this objective uses two and the step is worth splitting.
    fn split(&self, points: usize, path: PopulationPath) -> Option<usize> {
        (self.threads >= 2).then_some(())?;
        let (h, t) = (self.net.hidden_dim(), self.inputs.nrows());
        two_thread_split::<T>(h, t, points, path)
    }

    /// Hands points `range` of `plan` to the helper thread (started on
    /// first use) and returns once it runs.
    fn start_helper(
        &mut self,
        plan: &Plan<'_, T>,
        params: &[T],
        path: PopulationPath,
        range: Range<usize>,
    ) -> Result<(), TrainError> {
        if self.helper.0.is_none() {
            let helper = super::rnn_helper::Helper::start(
                &self.net,
                &self.inputs,
                &self.targets,
                self.washout,
            )
            .map_err(|e| SpecError::new("threads", format!("helper thread: {e}")))?;
            self.helper.0 = Some(helper);
        }
        let Some(helper) = &self.helper.0 else {
            return Ok(());
        };
        let n = range.len();
        let p = params.len();
        if let (PopulationPath::LowRankSweep, Plan::Perturbation(step)) = (path, plan) {
            helper.start_job(Job::Sweep { plan: *step, range }, |b| {
                b.params.clear();
                b.params.extend_from_slice(params);
                b.losses.resize(n, T::ZERO);
            });
            return Ok(());
        }
        // Build the helper's points here: the walk past the earlier points
        // is what makes them the points of the whole plan. The job starts
        // even if a point cannot be built (the error is returned once the
        // caller has collected it), so every start has its finish.
        let scratch = self
            .population
            .get_or_insert_with(|| RangeScratch::new(&self.net));
        let path = match path {
            PopulationPath::OneByOne => PopulationPath::OneByOne,
            _ => PopulationPath::Lockstep,
        };
        let mut built = Ok(());
        helper.start_job(Job::Points { path }, |b| {
            b.points.resize(n * p, T::ZERO);
            b.losses.resize(n, T::ZERO);
            scratch.base.clear();
            scratch.base.extend_from_slice(params);
            built = (0..range.start)
                .try_for_each(|e| plan.walk_past(e, &mut scratch.base))
                .and_then(|()| {
                    range
                        .zip(b.points.chunks_exact_mut(p))
                        .try_for_each(|(e, point)| plan.build_point(e, &mut scratch.base, point))
                });
        });
        built.map_err(TrainError::from)
    }
}

impl<T: Scalar> Objective<T> for RnnObjective<T> {
    fn params(&self) -> &[T] {
        self.net.params()
    }
    fn params_mut(&mut self) -> &mut [T] {
        self.net.params_mut()
    }
    fn loss(&mut self) -> T {
        self.net
            .loss(
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(T::from_f64(f64::NAN))
    }
    fn loss_at(&mut self, params: &[T]) -> T {
        self.net
            .loss_at(
                params,
                self.inputs.as_ref(),
                self.targets.as_ref(),
                self.washout,
                &mut self.ws,
            )
            .unwrap_or(T::from_f64(f64::NAN))
    }
    /// Every point of `plan` on the path of [`RnnObjective::path_for`]
    /// (see the type's docs), split between two threads where that pays
    /// and the objective has two; every full-rank loss is bit for bit
    /// [`Objective::loss_at`]'s.
    fn evaluate_plan(
        &mut self,
        plan: &Plan<'_, T>,
        params: &[T],
        losses: &mut [T],
        _scratch: &mut PlanScratch<T>,
    ) -> Result<(), TrainError> {
        let n = plan.len();
        if losses.len() != n {
            return Err(dopamine_core::Error::LengthMismatch {
                expected: n,
                got: losses.len(),
            }
            .into());
        }
        let path = self.path_for(n, plan_noise(plan));
        let split = self.split(n, path);
        let started = split.map(|m| self.start_helper(plan, params, path, m..n));
        let data = Data {
            net: &self.net,
            inputs: self.inputs.as_ref(),
            targets: self.targets.as_ref(),
            washout: self.washout,
        };
        let scratch = self
            .population
            .get_or_insert_with(|| RangeScratch::new(data.net));
        let mine = split.unwrap_or(n);
        let (first, rest) = losses.split_at_mut(mine);
        let own = data.range_losses(plan, params, path, 0..mine, scratch, first);
        // Always collect a started job, so the helper's buffers come back.
        let helper = match (&self.helper.0, &started) {
            (Some(helper), Some(_)) => helper.finish(rest).map_err(TrainError::from),
            _ => Ok(()),
        };
        started.unwrap_or(Ok(())).and(own).and(helper)
    }
    fn prefers_population(&self) -> bool {
        self.prefers_population
    }
    /// The network's neurons: Dopamine-3 over the training sequence in
    /// parts ([`Rnn::node_sweep_steps`]), the copies' hidden states carried
    /// between parts in the optimizer's [`NodeStream`].
    fn node_model(&mut self) -> Result<&mut dyn NodeModel<T>, TrainError> {
        Ok(self)
    }
    fn loss_and_gradient(&mut self, grad: &mut [T]) -> Option<T> {
        let net = &self.net;
        let ws = self
            .grad_ws
            .get_or_insert_with(|| RnnGradWorkspace::new(net, self.inputs.nrows(), self.bptt));
        Some(
            self.net
                .loss_and_gradient(
                    self.inputs.as_ref(),
                    self.targets.as_ref(),
                    self.washout,
                    self.bptt,
                    ws,
                    grad,
                )
                .unwrap_or(T::from_f64(f64::NAN)),
        )
    }
    fn sequence_len(&self) -> Option<usize> {
        Some(self.inputs.nrows())
    }
    /// [`Rnn::loss_and_gradient_steps`] over the next block.
    fn block_loss_and_gradient(
        &mut self,
        stream: &mut SequenceStream<T>,
        max_steps: usize,
        grad: &mut [T],
    ) -> Option<Result<SequenceBlock<T>, TrainError>> {
        Some(self.block(stream, max_steps, grad))
    }
    /// [`Rnn::param_layout`].
    fn param_layout(&self, rank: usize) -> Option<ParamLayout> {
        Some(self.net.param_layout(rank))
    }
    fn cost(&self) -> PassCost {
        let c = self.net.cost(self.inputs.nrows(), self.washout, self.bptt);
        PassCost {
            forward_flops: c.forward_flops,
            backward_flops: c.backward_flops,
        }
    }
}

impl<T: Scalar> RnnObjective<T> {
    /// The block of [`Objective::block_loss_and_gradient`].
    fn block(
        &mut self,
        stream: &mut SequenceStream<T>,
        max_steps: usize,
        grad: &mut [T],
    ) -> Result<SequenceBlock<T>, TrainError> {
        let len = self.inputs.nrows();
        let h = self.net.hidden_dim();
        let start = stream.position;
        if start >= len {
            return Err(SpecError::new(
                "position",
                format!("the stream is at step {start} of a {len}-step sequence"),
            )
            .into());
        }
        if start == 0 {
            stream.hidden.clear();
            stream.hidden.resize(h, T::ZERO);
        }
        let n = max_steps.clamp(1, len - start);
        let Self {
            net,
            inputs,
            targets,
            washout,
            block_ws,
            ..
        } = self;
        let fits = block_ws.as_ref().is_some_and(|ws| ws.capacity() >= n);
        if !fits {
            *block_ws = Some(RnnGradWorkspace::new(net, n, Bptt::Full));
        }
        let Some(ws) = block_ws.as_mut() else {
            return Err(TrainError::NoGradient);
        };
        let share = net.loss_and_gradient_steps(
            inputs.as_ref(),
            targets.as_ref(),
            *washout,
            start..start + n,
            &mut stream.hidden,
            ws,
            grad,
        )?;
        let end = start + n;
        let ended = end == len;
        stream.position = if ended { 0 } else { end };
        let scored = end.saturating_sub(start.max(*washout));
        Ok(SequenceBlock {
            share,
            loss: whole_sequence_loss(share.to_f64(), scored, len - *washout),
            ended,
        })
    }
}

impl<T: Scalar> NodeModel<T> for RnnObjective<T> {
    fn node_layout(&self) -> Result<dopamine_core::NodeLayout, TrainError> {
        Ok(self.net.node_layout())
    }
    fn sweep_len(&self) -> usize {
        self.inputs.nrows()
    }
    fn hidden_len(&self) -> usize {
        self.net.hidden_dim()
    }
    /// Steps `position..position + max_steps` (to the sequence's end at
    /// most) of [`Rnn::node_sweep_steps`], from the stream's hidden states.
    fn node_part(
        &mut self,
        rule: &mut NodeRule<T>,
        stream: &mut NodeStream<T>,
        max_steps: usize,
    ) -> Result<NodePart<T>, TrainError> {
        let len = self.inputs.nrows();
        let start = stream.position;
        if start >= len {
            return Err(SpecError::new(
                "position",
                format!("the Dopamine-3 stream is at step {start} of a {len}-step sequence"),
            )
            .into());
        }
        let end = start + max_steps.clamp(1, len - start);
        let Self {
            net,
            inputs,
            targets,
            washout,
            node_ws,
            ..
        } = self;
        let ws = node_ws.get_or_insert_with(|| RnnNodeWorkspace::new(net));
        if start > 0 {
            ws.set_hidden(&stream.hidden_a, &stream.hidden_b)?;
        }
        let sweep = net.node_sweep_steps(
            rule,
            inputs.as_ref(),
            targets.as_ref(),
            *washout,
            ws,
            start..end,
        )?;
        stream.hidden_a.clear();
        stream.hidden_a.extend_from_slice(ws.hidden_a());
        stream.hidden_b.clear();
        stream.hidden_b.extend_from_slice(ws.hidden_b());
        let ended_sweep = end == len;
        stream.position = if ended_sweep { 0 } else { end };
        let scored = end.saturating_sub(start.max(*washout));
        let share = sweep.loss(rule.config().noise).to_f64();
        Ok(NodePart {
            sweep,
            loss: whole_sequence_loss(share, scored, len - *washout),
            ended_sweep,
        })
    }
}

/// A part's share of the sequence's loss over its `scored` steps, as a
/// mean over them in the units of the whole sequence's loss (the share
/// itself when the part scores every step); `None` without a scored step.
fn whole_sequence_loss(share: f64, scored: usize, total: usize) -> Option<f64> {
    match scored {
        0 => None,
        s if s == total => Some(share),
        s => Some(share * total as f64 / s as f64),
    }
}
