//! B7: a whole population step (K = 16 antithetic probes, 32 points, plus the update) against one forward pass.
//!
//! For `H` in {16, 64, 256} at `T = 1000` (`f32`, 1-D input and output,
//! washout 0), measured in the same run, interleaved, median of the samples:
//!
//! * **single forward**: `Rnn::loss` at the parameters (the unit);
//! * **low-rank step**: `plan` (Dopamine-1, K = 16, antithetic, no
//!   baseline: 32 points, rank-1 noise on every weight matrix),
//!   `Rnn::plan_losses` (the population sweep) and `tell_all` (the
//!   restores' rounding and the update). Target: at most 12 single forward
//!   passes (3/8 of a forward pass per point);
//! * **full-rank lockstep step**: the same with full-rank noise, the points
//!   built and advanced in lockstep;
//! * **full-rank, one point after another**: the same points built and
//!   evaluated one at a time (`loss_at`), what lockstep is measured against;
//! * **kernel limit**: per time step, faer's `H x H` by `H x 32` product plus
//!   the vectorised `tanh` over `H x 32` values, against `H x H` by `H x 1`
//!   plus `tanh` over `H` values: what batching 32 matrix-vector products
//!   into one product can buy at best, and the population step beside it
//!   (step ratio over this ratio).

use std::fmt::Write as _;
use std::hint::black_box;

use dopamine_core::{
    BaselinePolicy, Dopamine1, Dopamine1Rule, NoiseStructure, ParamLayout, PerturbConfig, RpeMode,
};
use dopamine_nets::{Rnn, RnnInit, RnnPopulationWorkspace, RnnWorkspace, tanh_in_place};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::benchmark::{BenchContext, Benchmark};
use super::harness::{Sampling, TargetCheck, interleaved_medians, met, ratio};
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};

/// Time steps of the sequence.
const SEQ_LEN: usize = 1000;
/// Hidden sizes measured.
const HIDDEN: [usize; 3] = [16, 64, 256];
/// Probes per step (antithetic: two points each).
const PROBES: usize = 16;
/// The most single forward passes a low-rank step may cost.
const TARGET: f64 = 12.0;

/// One row of B7: seconds of each measured operation.
struct Row {
    hidden: usize,
    params: usize,
    forward: f64,
    low_rank: f64,
    lockstep: f64,
    one_by_one: f64,
    limit_single: f64,
    limit_batch: f64,
}

fn optimizer(net: &Rnn<f32>, low_rank: bool) -> Result<Dopamine1<f32>, BenchError> {
    let config = PerturbConfig {
        sigma: 1e-2f32,
        eta: 1e-3,
        probes: PROBES,
        rpe: RpeMode::Antithetic,
        baseline: BaselinePolicy::FromProbes,
        structure: if low_rank {
            NoiseStructure::LowRank { rank: 1 }
        } else {
            NoiseStructure::Full
        },
        seed: 5,
        ..Default::default()
    };
    let layout = if low_rank {
        net.param_layout(1)
    } else {
        ParamLayout::flat(net.num_params())?
    };
    Ok(Dopamine1::with_layout(
        config,
        Dopamine1Rule::default(),
        layout,
    )?)
}

fn row(hidden: usize, s: &Sampling) -> Result<Row, BenchError> {
    let net = Rnn::<f32>::new(1, hidden, 1, &RnnInit::with_seed(1))?;
    let x: Vec<f32> = (0..=SEQ_LEN).map(|t| (0.1 * t as f32).sin()).collect();
    let inputs = MatRef::from_column_major_slice(&x[..SEQ_LEN], SEQ_LEN, 1);
    let targets = MatRef::from_column_major_slice(&x[1..], SEQ_LEN, 1);
    let mut ws = RnnWorkspace::new(&net);
    net.loss(inputs, targets, 0, &mut ws)?;
    let points = 2 * PROBES;

    // Each step moves its own copy of the parameters, so every sample
    // measures the same kind of step around nearby points.
    let step = |opt: &mut Dopamine1<f32>,
                params: &mut Vec<f32>,
                pws: &mut RnnPopulationWorkspace<f32>,
                losses: &mut [f32]|
     -> Result<(), BenchError> {
        let plan = opt.plan(params)?;
        net.plan_losses(params, &plan, inputs, targets, 0, pws, losses)?;
        let _ = opt.tell_all(params, losses)?;
        Ok(())
    };
    let mut low = optimizer(&net, true)?;
    let mut full = optimizer(&net, false)?;
    let mut seq = optimizer(&net, false)?;
    let (mut p_low, mut p_full, mut p_seq) = (
        net.params().to_vec(),
        net.params().to_vec(),
        net.params().to_vec(),
    );
    let (mut ws_low, mut ws_full) = (
        RnnPopulationWorkspace::new(&net),
        RnnPopulationWorkspace::new(&net),
    );
    let mut losses = vec![0.0f32; points];
    // Fail here, not inside the timing loop.
    step(&mut low, &mut p_low, &mut ws_low, &mut losses)?;
    step(&mut full, &mut p_full, &mut ws_full, &mut losses)?;
    let mut base = vec![0.0f32; net.num_params()];
    let mut point = vec![0.0f32; net.num_params()];

    let mut forward = || {
        black_box(net.loss(black_box(inputs), targets, 0, &mut ws).ok());
    };
    let mut low_rank = || {
        black_box(step(&mut low, &mut p_low, &mut ws_low, &mut losses).ok());
    };
    let mut lockstep_losses = vec![0.0f32; points];
    let mut lockstep = || {
        black_box(step(&mut full, &mut p_full, &mut ws_full, &mut lockstep_losses).ok());
    };
    let mut seq_losses = vec![0.0f32; points];
    let mut seq_ws = RnnWorkspace::new(&net);
    let mut one_by_one = || {
        let Ok(plan) = seq.plan(&p_seq) else { return };
        base.copy_from_slice(&p_seq);
        for (e, l) in seq_losses.iter_mut().enumerate() {
            if plan.build_point(e, &mut base, &mut point).is_ok() {
                *l = net
                    .loss_at(&point, inputs, targets, 0, &mut seq_ws)
                    .unwrap_or(f32::NAN);
            }
        }
        black_box(seq.tell_all(&mut p_seq, &seq_losses).ok());
    };
    // The kernel limit, per time step (SEQ_LEN of them).
    let w = net.w_hh();
    let mut v1 = vec![0.1f32; hidden];
    let mut n1 = vec![0.0f32; hidden];
    let mut limit_single = || {
        for _ in 0..SEQ_LEN {
            matmul(
                MatMut::from_column_major_slice_mut(&mut n1, hidden, 1),
                Accum::Replace,
                w,
                MatRef::from_column_major_slice(&v1, hidden, 1),
                1.0,
                Par::Seq,
            );
            tanh_in_place(&mut n1);
            core::mem::swap(&mut v1, &mut n1);
        }
        black_box(&v1);
    };
    let mut vb = vec![0.1f32; hidden * points];
    let mut nb = vec![0.0f32; hidden * points];
    let mut limit_batch = || {
        for _ in 0..SEQ_LEN {
            matmul(
                MatMut::from_column_major_slice_mut(&mut nb, hidden, points),
                Accum::Replace,
                w,
                MatRef::from_column_major_slice(&vb, hidden, points),
                1.0,
                Par::Seq,
            );
            tanh_in_place(&mut nb);
            core::mem::swap(&mut vb, &mut nb);
        }
        black_box(&vb);
    };
    let t = interleaved_medians(
        s.samples,
        s.min_sample_seconds,
        &mut [
            &mut forward,
            &mut low_rank,
            &mut lockstep,
            &mut one_by_one,
            &mut limit_single,
            &mut limit_batch,
        ],
    );
    Ok(Row {
        hidden,
        params: net.num_params(),
        forward: t[0],
        low_rank: t[1],
        lockstep: t[2],
        one_by_one: t[3],
        limit_single: t[4],
        limit_batch: t[5],
    })
}

/// B7: a population step against one forward pass; the low-rank ratios are targets.
pub struct PopulationStep;

/// B7, as the list holds it.
pub const B7: PopulationStep = PopulationStep;

impl Benchmark for PopulationStep {
    fn id(&self) -> &'static str {
        "B7"
    }

    fn name(&self) -> &'static str {
        "population step"
    }

    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError> {
        let s = &context.sampling;
        let mut table = Table::new([
            "H",
            "P",
            "forward ms",
            "low-rank step / forward",
            "target",
            "met",
            "full-rank lockstep / forward",
            "full-rank one by one / forward",
            "kernel limit (x32 / x1)",
            "low-rank step / kernel limit",
        ]);
        for &h in &HIDDEN {
            let r = row(h, s)?;
            let low = r.low_rank / r.forward;
            let limit = r.limit_batch / r.limit_single;
            let ok = low <= TARGET;
            checks.push(TargetCheck {
                name: format!("B7 f32 H={h} low-rank K=16 antithetic step / forward"),
                measured: low,
                target: format!("<= {TARGET}"),
                met: ok,
            });
            table.row([
                r.hidden.to_string(),
                r.params.to_string(),
                fmt_sig(r.forward * 1e3, 3),
                ratio(low),
                format!("<= {TARGET}"),
                met(ok).to_string(),
                ratio(r.lockstep / r.forward),
                ratio(r.one_by_one / r.forward),
                ratio(limit),
                ratio(low / limit),
            ]);
        }
        let _ = writeln!(
            out,
            "A Dopamine-1 step with K = {PROBES} antithetic probes and no \
         baseline (32 evaluated points plus the update: `plan`, `Rnn::plan_losses`, `tell_all`) \
         on an `f32` RNN (T = {SEQ_LEN}, 1-D input and output), in single forward passes \
         (`Rnn::loss`) of the same model measured in the same run, interleaved. Low-rank: rank-1 \
         noise on every weight matrix, one shared product per time step. Full-rank: the points \
         built and advanced in lockstep, or built and evaluated one after another. The kernel \
         limit is faer's `H x H` by `H x 32` product plus the vectorised `tanh` over the 32 \
         columns, against `H x H` by `H x 1` plus `tanh`, per time step: what batching can buy \
         with faer's product. Target: the low-rank step at most {TARGET} forward passes.\n\n{}",
            table.render()
        );
        Ok(())
    }
}
