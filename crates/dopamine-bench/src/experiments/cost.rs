//! E4: time, FLOPs and memory per training step against hidden size H and sequence length T, Dopamine-1 against Adam-BPTT.

use std::time::Instant;

use dopamine_meter::CountingAllocator;
use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{OptimizerKind, OptimizerSpec, PerturbSpec, RnnObjective};
use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::config::{ExperimentConfig, FieldError, positive};
use crate::error::BenchError;
use crate::mode::{ByMode, Mode};

/// Settings of E4, as in `configs/cost.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostConfig {
    /// Hidden sizes, at `fixed_seq_len`.
    pub hidden: ByMode<[usize; 4]>,
    /// Sequence lengths, at `fixed_hidden`.
    pub seq_len: ByMode<[usize; 3]>,
    /// H for the sweep over T.
    pub fixed_hidden: usize,
    /// T for the sweep over H.
    pub fixed_seq_len: usize,
    /// Timed steps per point (after one warm-up step).
    pub steps: ByMode<u64>,
}

impl ExperimentConfig for CostConfig {
    fn check(&self) -> Result<(), FieldError> {
        for (field, sizes) in [
            ("hidden.full", &self.hidden.full[..]),
            ("hidden.quick", &self.hidden.quick[..]),
            ("seq_len.full", &self.seq_len.full[..]),
            ("seq_len.quick", &self.seq_len.quick[..]),
        ] {
            if let Some(i) = sizes.iter().position(|&n| n == 0) {
                return Err(FieldError::new(format!("{field}[{i}]"), "must be >= 1"));
            }
        }
        if self.fixed_hidden == 0 {
            return Err(FieldError::new("fixed_hidden", "must be >= 1"));
        }
        if self.fixed_seq_len == 0 {
            return Err(FieldError::new("fixed_seq_len", "must be >= 1"));
        }
        positive("steps", &self.steps)
    }
}

/// One measured point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CostPoint {
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Hidden units.
    pub hidden: usize,
    /// Sequence length.
    pub seq_len: usize,
    /// Parameters.
    pub params: usize,
    /// Median wall time of one step, seconds.
    pub seconds_per_step: f64,
    /// FLOPs of one step (model accounting: forward and backward passes).
    pub flops_per_step: u64,
    /// Achieved GFLOP/s.
    pub gflops: f64,
    /// Bytes the optimizer and model keep beyond the data (accounting).
    pub accounted_bytes: u64,
    /// Peak heap bytes of building and running the trainer, measured by the
    /// counting allocator (`None` when it is not installed).
    pub peak_heap_bytes: Option<u64>,
}

/// A smooth 1-D sequence of length `t` and its one-step-ahead targets.
pub fn sine_sequence(t: usize) -> (Mat<f64>, Mat<f64>) {
    let x = |i: usize| (0.1 * i as f64).sin() + 0.5 * (0.031 * i as f64).sin();
    (
        Mat::from_fn(t, 1, |i, _| x(i)),
        Mat::from_fn(t, 1, |i, _| x(i + 1)),
    )
}

fn measure(
    spec: OptimizerSpec,
    hidden: usize,
    seq_len: usize,
    steps: u64,
    meter: Option<&CountingAllocator>,
) -> Result<CostPoint, BenchError> {
    let (inputs, targets) = sine_sequence(seq_len);
    if let Some(m) = meter {
        m.reset_peak();
    }
    let base = meter.map(|m| m.snapshot().current_bytes);
    let net = Rnn::new(1, hidden, 1, &RnnInit::with_seed(1))?;
    let params = net.num_params();
    let cost = net.cost(seq_len, 0, Bptt::Full);
    let mut obj = RnnObjective::new(net, inputs, targets, 0, Bptt::Full)?;
    let mut opt = spec.build::<f64>(params, 1, steps + 1)?;
    opt.step(&mut obj)?;
    let mut times = Vec::with_capacity(steps as usize);
    let mut flops = 0;
    for _ in 0..steps {
        let t0 = Instant::now();
        let info = opt.step(&mut obj)?;
        times.push(t0.elapsed().as_secs_f64());
        flops =
            info.forward_passes * cost.forward_flops + info.backward_passes * cost.backward_flops;
    }
    times.sort_by(f64::total_cmp);
    let seconds = times[times.len() / 2];
    let peak = meter
        .zip(base)
        .map(|(m, b)| m.snapshot().peak_bytes.saturating_sub(b));
    let p = params as u64 * 8;
    let accounted = if spec.is_perturbation() {
        p + cost.forward_bytes
    } else {
        // Parameters, gradient, two Adam moments, the rollback copy and BPTT's activations.
        5 * p + cost.backward_bytes
    };
    drop(obj);
    Ok(CostPoint {
        optimizer: spec.kind(),
        hidden,
        seq_len,
        params,
        seconds_per_step: seconds,
        flops_per_step: flops,
        gflops: flops as f64 / seconds / 1e9,
        accounted_bytes: accounted,
        peak_heap_bytes: peak,
    })
}

/// The two optimizers compared (their learning rates do not affect cost).
pub fn compared() -> [OptimizerSpec; 2] {
    [
        OptimizerSpec::Dopamine1 {
            perturb: PerturbSpec {
                sigma: 1e-3,
                eta: 1e-3,
                probes: 1,
                antithetic: false,
                cosine_to: None,
            },
            beta: 0.9,
        },
        OptimizerSpec::Adam { lr: 1e-4 },
    ]
}

/// Runs E4 serially (so the heap meter sees one run at a time). Returns the
/// sweep over H and the sweep over T.
pub fn run(
    config: &CostConfig,
    mode: Mode,
    meter: Option<&CountingAllocator>,
) -> Result<(Vec<CostPoint>, Vec<CostPoint>), BenchError> {
    let steps = config.steps.get(mode);
    // One unmeasured run of each optimizer first, so that one-time
    // allocations of the process (lazily built thread-local buffers and the
    // like) are not charged to whichever point happens to run first.
    let smallest = config.hidden.get(mode)[0];
    for spec in compared() {
        measure(spec, smallest, config.fixed_seq_len, 1, None)?;
    }
    let mut by_h = Vec::new();
    for &h in &config.hidden.get(mode) {
        for spec in compared() {
            by_h.push(measure(spec, h, config.fixed_seq_len, steps, meter)?);
        }
    }
    let mut by_t = Vec::new();
    for &t in &config.seq_len.get(mode) {
        for spec in compared() {
            by_t.push(measure(spec, config.fixed_hidden, t, steps, meter)?);
        }
    }
    Ok((by_h, by_t))
}
