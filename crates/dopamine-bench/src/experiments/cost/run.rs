//! E4: time, FLOPs and memory per training step against hidden size H and sequence length T, Dopamine-1 and Dopamine-3 against Adam-BPTT.
//!
//! Three steps are measured at every point, in the precision the config
//! names (`f32` by default, what users of this field train in): Dopamine-1
//! with one forward probe (two forward passes, one after the other),
//! Adam with full BPTT (a forward and a backward pass), and a batched
//! Dopamine-1 step (`K = 16` antithetic rank-1 probes without a separate
//! baseline: 32 points evaluated in one population sweep of the model),
//! and one Dopamine-3 sweep (two copies in lockstep with neuron noise, the
//! eligibility traces and one update at the end: two forward passes; its
//! FLOPs add the eligibility arithmetic the rule counts).
//! The four are timed interleaved, step after step in turn, and each
//! time is the median of its samples, so a busy machine slows them alike.
//! The peak heap of each is measured in a separate pass, one at a time:
//! the peak of the training loop (building the objective and the
//! optimizer, then two steps) above the heap in use once the model and the
//! data are built. The model's own construction (its initialisation, whose
//! spectral-radius computation needs far more memory than training at large
//! H) is not the training loop's and is left out.

use std::time::Instant;

use dopamine_core::{
    BaselinePolicy, Dopamine1, Dopamine1Rule, NoiseStructure, PerturbConfig, RpeMode,
};

use dopamine_meter::CountingAllocator;
use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{
    AdamSettings, Dopamine1Settings, Dopamine3Settings, Float, Objective, Optimizer, OptimizerKind,
    OptimizerSpec, PopulationScratch, RnnObjective, step_preferred,
};
use faer::Mat;
use serde::{Deserialize, Serialize};

use super::config::{CostConfig, Precision};
use crate::error::BenchError;
use crate::mode::Mode;

/// Which step of an optimizer a cost point measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepShape {
    /// One step as the experiments run it: Dopamine-1 with one forward
    /// probe evaluated after the baseline, or a gradient step.
    Single,
    /// A batched Dopamine-1 step: `probes` antithetic rank-`rank` probes,
    /// no separate baseline, every point evaluated in one population sweep.
    Batched {
        /// Probes (two points each).
        probes: usize,
        /// Rank of the noise of every weight matrix.
        rank: usize,
    },
}

impl StepShape {
    /// A label for tables: `K=1` or `K=16 batched, rank 1`.
    pub fn label(self) -> String {
        match self {
            StepShape::Single => "one probe".into(),
            StepShape::Batched { probes, rank } => format!("K={probes} batched, rank {rank}"),
        }
    }
}

/// One measured point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostPoint {
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Which step of it.
    pub shape: StepShape,
    /// The precision it ran in.
    pub precision: Precision,
    /// Hidden units.
    pub hidden: usize,
    /// Sequence length.
    pub seq_len: usize,
    /// Parameters.
    pub params: usize,
    /// Median wall time of one step, seconds (timed interleaved with the
    /// other steps of the same point).
    pub seconds_per_step: f64,
    /// Forward passes of one step.
    pub forward_passes: u64,
    /// FLOPs of one step (model accounting: forward and backward passes).
    pub flops_per_step: u64,
    /// Achieved GFLOP/s.
    pub gflops: f64,
    /// Bytes the optimizer and model keep beyond the data (accounting).
    pub accounted_bytes: u64,
    /// Peak heap bytes of the training loop (building the objective and
    /// the optimizer, then two steps) above the heap in use once the model
    /// and the data are built, measured by the counting allocator (`None`
    /// when it is not installed).
    pub peak_heap_bytes: Option<u64>,
}

/// E4's results: the sweep over H (at the config's `fixed_seq_len`) and
/// the sweep over T (at `fixed_hidden`), three points (steps) each.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostSweeps {
    /// Every step at every hidden size.
    pub by_hidden: Vec<CostPoint>,
    /// Every step at every sequence length.
    pub by_seq_len: Vec<CostPoint>,
}

/// A smooth 1-D sequence of length `t` and its one-step-ahead targets.
pub fn sine_sequence(t: usize) -> (Mat<f64>, Mat<f64>) {
    let x = |i: usize| (0.1 * i as f64).sin() + 0.5 * (0.031 * i as f64).sin();
    (
        Mat::from_fn(t, 1, |i, _| x(i)),
        Mat::from_fn(t, 1, |i, _| x(i + 1)),
    )
}

/// The batched step of E4: Dopamine-1, `K = 16` antithetic rank-1 probes,
/// the safety net from the probes (no baseline pass).
pub const BATCHED: StepShape = StepShape::Batched {
    probes: 16,
    rank: 1,
};

/// One measured step: an objective and the optimizer that trains it.
struct Runner<T: Float> {
    optimizer: OptimizerKind,
    shape: StepShape,
    objective: RnnObjective<T>,
    opt: Box<dyn Optimizer<T>>,
    scratch: PopulationScratch<T>,
    times: Vec<f64>,
    info: dopamine_train::StepInfo,
}

/// The network every step of E4 trains: 1-D input and output, `hidden` units, seed 1.
fn model<T: Float>(hidden: usize) -> Result<Rnn<T>, BenchError> {
    Ok(Rnn::<T>::new(1, hidden, 1, &RnnInit::with_seed(1))?)
}

impl<T: Float> Runner<T> {
    /// The objective over `net` and the data, and the optimizer of `shape`.
    fn new(
        optimizer: OptimizerSpec,
        shape: StepShape,
        net: Rnn<T>,
        (inputs, targets): (Mat<T>, Mat<T>),
        steps: u64,
    ) -> Result<Self, BenchError> {
        let params = net.num_params();
        let opt: Box<dyn Optimizer<T>> = match shape {
            StepShape::Single => optimizer.build::<T>(params, 1, steps + 1)?,
            StepShape::Batched { probes, rank } => {
                let perturb = optimizer.perturb().ok_or_else(|| {
                    BenchError::Setup("a batched step needs a perturbation rule".into())
                })?;
                let config = PerturbConfig {
                    probes,
                    rpe: RpeMode::Antithetic,
                    baseline: BaselinePolicy::FromProbes,
                    structure: NoiseStructure::LowRank { rank },
                    ..perturb.config::<T>(1, steps + 1)
                };
                Box::new(Dopamine1::with_layout(
                    config,
                    Dopamine1Rule::default(),
                    net.param_layout(rank),
                )?)
            }
        };
        let mut objective = RnnObjective::new(net, inputs, targets, 0, Bptt::Full)?
            .with_population(matches!(shape, StepShape::Batched { .. }));
        let mut opt = opt;
        opt.prepare(&mut objective)?;
        Ok(Self {
            optimizer: optimizer.kind(),
            shape,
            objective,
            opt,
            scratch: PopulationScratch::new(),
            times: Vec::new(),
            info: Default::default(),
        })
    }

    fn step(&mut self) -> Result<(), BenchError> {
        let t0 = Instant::now();
        self.info = step_preferred(self.opt.as_mut(), &mut self.objective, &mut self.scratch)?;
        self.times.push(t0.elapsed().as_secs_f64());
        Ok(())
    }
}

/// The sequence of [`sine_sequence`] in `T`.
fn data<T: Float>(seq_len: usize) -> (Mat<T>, Mat<T>) {
    let (inputs, targets) = sine_sequence(seq_len);
    let cast = |m: &Mat<f64>| Mat::from_fn(m.nrows(), m.ncols(), |i, j| T::from_f64(m[(i, j)]));
    (cast(&inputs), cast(&targets))
}

/// Peak heap of the training loop, one runner at a time: building the
/// objective and the optimizer and running two steps, above the heap in use
/// once the model and the training data are built (both allocated before
/// the measurement starts, so neither the data nor the model's
/// initialisation is charged to the method).
fn peak_heap<T: Float>(
    spec: OptimizerSpec,
    shape: StepShape,
    hidden: usize,
    seq_len: usize,
    meter: Option<&CountingAllocator>,
) -> Result<Option<u64>, BenchError> {
    let Some(m) = meter else { return Ok(None) };
    let data = data::<T>(seq_len);
    let net = model::<T>(hidden)?;
    m.reset_peak();
    let base = m.snapshot().current_bytes;
    let mut r = Runner::<T>::new(spec, shape, net, data, 2)?;
    r.times.reserve(2);
    r.step()?;
    r.step()?;
    let peak = m.snapshot().peak_bytes.saturating_sub(base);
    drop(r);
    Ok(Some(peak))
}

/// Every step of one point (`hidden`, `seq_len`), timed interleaved.
fn measure<T: Float>(
    hidden: usize,
    seq_len: usize,
    steps: u64,
    precision: Precision,
    meter: Option<&CountingAllocator>,
) -> Result<Vec<CostPoint>, BenchError> {
    let [dopamine, adam, dopamine3] = compared();
    let runs = [
        (dopamine, StepShape::Single),
        (adam, StepShape::Single),
        (dopamine, BATCHED),
        (dopamine3, StepShape::Single),
    ];
    let mut peaks = Vec::new();
    for (spec, shape) in runs {
        peaks.push(peak_heap::<T>(spec, shape, hidden, seq_len, meter)?);
    }
    let mut runners = runs
        .iter()
        .map(|&(spec, shape)| Runner::<T>::new(spec, shape, model(hidden)?, data(seq_len), steps))
        .collect::<Result<Vec<_>, _>>()?;
    for r in &mut runners {
        r.step()?;
        r.times.clear();
    }
    // In turn, starting with a different runner each round.
    for i in 0..steps as usize {
        for j in 0..runners.len() {
            let k = (i + j) % runners.len();
            runners[k].step()?;
        }
    }
    let mut points = Vec::new();
    for (r, peak) in runners.iter_mut().zip(peaks) {
        let cost = r.objective.net().cost(seq_len, 0, Bptt::Full);
        r.times.sort_by(f64::total_cmp);
        let seconds = r.times[r.times.len() / 2];
        let flops = r.info.forward_passes * cost.forward_flops
            + r.info.backward_passes * cost.backward_flops
            + r.info.extra_flops;
        let params = r.objective.params().len();
        let p = std::mem::size_of_val(r.objective.params()) as u64;
        let accounted = if r.optimizer.uses_gradients() {
            // Parameters, gradient, two Adam moments, the rollback copy and BPTT's activations.
            5 * p + cost.backward_bytes
        } else if r.optimizer == OptimizerKind::Dopamine3 {
            // Parameters, the rule's storage (traces, second moments, the
            // block's buffers) and the two copies' activations.
            let settings = Dopamine3Settings {
                once_per_sweep: true,
                ..Default::default()
            };
            let rule = settings
                .config::<T>(0, 1)
                .map_err(|e| BenchError::Setup(e.to_string()))?;
            let net = r.objective.net();
            p + (rule.storage_len(&net.node_layout()) * std::mem::size_of::<T>()) as u64
                + 2 * cost.forward_bytes
        } else {
            p + cost.forward_bytes
        };
        points.push(CostPoint {
            optimizer: r.optimizer,
            shape: r.shape,
            precision,
            hidden,
            seq_len,
            params,
            seconds_per_step: seconds,
            forward_passes: r.info.forward_passes,
            flops_per_step: flops,
            gflops: flops as f64 / seconds / 1e9,
            accounted_bytes: accounted,
            peak_heap_bytes: peak,
        });
    }
    Ok(points)
}

/// The optimizers compared (their learning rates do not affect cost):
/// Dopamine-1, Adam and Dopamine-3 updating once per sweep (one step is
/// one sweep of the sequence, as Adam's step is).
pub fn compared() -> [OptimizerSpec; 3] {
    [
        OptimizerSpec::Dopamine1(Dopamine1Settings {
            sigma: 1e-3,
            eta: 1e-3,
            beta: 0.9,
            ..Default::default()
        }),
        OptimizerSpec::Adam(AdamSettings { lr: 1e-4 }),
        OptimizerSpec::Dopamine3(Dopamine3Settings {
            sigma: 1e-2,
            eta: 1e-6,
            once_per_sweep: true,
            ..Default::default()
        }),
    ]
}

/// Runs E4 serially (so the heap meter sees one run at a time): the sweep
/// over H and the sweep over T.
pub fn run(
    config: &CostConfig,
    mode: Mode,
    meter: Option<&CountingAllocator>,
) -> Result<CostSweeps, BenchError> {
    match config.precision {
        Precision::F32 => run_in::<f32>(config, mode, meter),
        Precision::F64 => run_in::<f64>(config, mode, meter),
    }
}

fn run_in<T: Float>(
    config: &CostConfig,
    mode: Mode,
    meter: Option<&CountingAllocator>,
) -> Result<CostSweeps, BenchError> {
    let steps = config.steps.get(mode);
    let precision = config.precision;
    // One unmeasured round first, so that one-time allocations of the
    // process (lazily built thread-local buffers and the like) are not
    // charged to whichever point happens to run first.
    let smallest = config.hidden.get(mode)[0];
    measure::<T>(smallest, config.fixed_seq_len, 1, precision, None)?;
    let mut by_h = Vec::new();
    for &h in &config.hidden.get(mode) {
        by_h.extend(measure::<T>(
            h,
            config.fixed_seq_len,
            steps,
            precision,
            meter,
        )?);
    }
    let mut by_t = Vec::new();
    for &t in &config.seq_len.get(mode) {
        by_t.extend(measure::<T>(
            config.fixed_hidden,
            t,
            steps,
            precision,
            meter,
        )?);
    }
    Ok(CostSweeps {
        by_hidden: by_h,
        by_seq_len: by_t,
    })
}
