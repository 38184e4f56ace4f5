//! B5 parallel probes: `K = 8` probes per step on a 2-thread probe pool against the sequential step, and bit-identity of the results.

use std::fmt::Write as _;
use std::hint::black_box;

use dopamine_train::{Objective, ProbePool, RnnObjective};

use super::benchmark::{BenchContext, Benchmark};
use super::fixtures::{dopamine1, rnn_objective};
use super::harness::{TargetCheck, interleaved_medians, met, ratio};
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};
use crate::mode::ByMode;

/// B5: the probe pool on 2 threads against the sequential step; the speedup and bit-identity are the target.
pub struct ParallelProbes;

/// B5, as the list holds it.
pub const B5: ParallelProbes = ParallelProbes;

/// Time steps of the sequence.
const SEQ_LEN: ByMode<usize> = ByMode {
    full: 1000,
    quick: 300,
};

impl Benchmark for ParallelProbes {
    fn id(&self) -> &'static str {
        "B5"
    }

    fn name(&self) -> &'static str {
        "parallel probes"
    }

    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError> {
        let s = &context.sampling;
        let hidden = 64;
        let seq_len = SEQ_LEN.get(context.mode);
        let probes = 8;
        let base = rnn_objective(hidden, seq_len)?;
        let dim = base.params().len();
        // Bit-identity over a few steps.
        let check_steps = 4;
        let mut seq_obj = base.clone();
        let mut seq_opt = dopamine1(probes).build::<f64>(dim, 5, u64::MAX)?;
        let mut par_obj = base.clone();
        let mut par_opt = dopamine1(probes).build::<f64>(dim, 5, u64::MAX)?;
        let mut pool2 = ProbePool::new(&base, 2)?;
        let mut identical = true;
        for _ in 0..check_steps {
            let a = seq_opt.step(&mut seq_obj)?;
            let b = pool2.step(par_opt.as_mut(), &mut par_obj)?;
            identical &= a.loss.to_bits() == b.loss.to_bits();
        }
        identical &= seq_obj
            .params()
            .iter()
            .zip(par_obj.params())
            .all(|(a, b)| a.to_bits() == b.to_bits());
        identical &= seq_opt.save_state()? == par_opt.save_state()?;
        let mut pool1 = ProbePool::new(&base, 1)?;
        let mut obj1 = par_obj.clone();
        let mut opt1 = dopamine1(probes).build::<f64>(dim, 5, u64::MAX)?;
        opt1.load_state(&par_opt.save_state()?)?;
        let mut sequential = || {
            black_box(seq_opt.step(&mut seq_obj).map(|i| i.loss).ok());
        };
        let mut one_thread = || {
            black_box(pool1.step(opt1.as_mut(), &mut obj1).map(|i| i.loss).ok());
        };
        let mut two_threads = || {
            black_box(
                pool2
                    .step(par_opt.as_mut(), &mut par_obj)
                    .map(|i| i.loss)
                    .ok(),
            );
        };
        // A same-run reference for the threads: the same 9 forward passes,
        // independent of each other (no replay, no noise), on 1 and 2 threads.
        let mut independent: Vec<RnnObjective<f64>> = (0..=probes).map(|_| base.clone()).collect();
        let mut independent_par = independent.clone();
        let reference_pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .map_err(|e| BenchError::Setup(format!("thread pool: {e}")))?;
        let mut forwards_one = || {
            for o in &mut independent {
                black_box(o.loss());
            }
        };
        let mut forwards_two = || {
            use rayon::prelude::*;
            reference_pool.install(|| {
                independent_par
                    .par_iter_mut()
                    .with_max_len(1)
                    .for_each(|o| {
                        black_box(o.loss());
                    });
            });
        };
        // Samples of a few consecutive steps each (a sleeping pool thread wakes
        // once per sample, not once per step), interleaved between the runs.
        let t = interleaved_medians(
            s.samples,
            0.04,
            &mut [
                &mut sequential,
                &mut one_thread,
                &mut two_threads,
                &mut forwards_one,
                &mut forwards_two,
            ],
        );
        let speedup = t[0] / t[2];
        let ceiling = t[3] / t[4];
        let ok = speedup >= 1.7 && identical;
        checks.push(TargetCheck {
            name: "B5 K=8 probes, 2 threads vs 1".to_string(),
            measured: speedup,
            target: ">= 1.7, bit-identical".to_string(),
            met: ok,
        });
        let mut table = Table::new(["run", "ms per step", "speedup over sequential"]);
        table.row([
            "sequential `Optimizer::step` (reference)".to_string(),
            fmt_sig(t[0] * 1e3, 3),
            "1".to_string(),
        ]);
        table.row([
            "probe pool, 1 thread".to_string(),
            fmt_sig(t[1] * 1e3, 3),
            ratio(t[0] / t[1]),
        ]);
        table.row([
            "probe pool, 2 threads".to_string(),
            fmt_sig(t[2] * 1e3, 3),
            ratio(speedup),
        ]);
        table.row([
            format!(
                "reference: {} independent forward passes, 1 thread",
                probes + 1
            ),
            fmt_sig(t[3] * 1e3, 3),
            "-".to_string(),
        ]);
        table.row([
            format!(
                "reference: {} independent forward passes, 2 threads",
                probes + 1
            ),
            fmt_sig(t[4] * 1e3, 3),
            format!("{} (threads' gain on independent work)", ratio(ceiling)),
        ]);
        let _ = writeln!(
            out,
            "Dopamine-1 with K = {probes} probes per step, RNN H = {hidden}, \
         T = {seq_len}: the baseline and the {probes} probe losses of a step evaluated on a 2-thread \
         pool ([`ProbePool`](../crates/dopamine-train/src/probe_pool.rs)) against the \
         sequential step. Target: speedup >= 1.7 (met: {}). Results bit-identical to the \
         sequential run over {check_steps} steps (parameters, losses and the whole optimizer \
         state): {}. With 9 equal evaluations per step on 2 threads the best possible speedup is \
         9/5 = 1.8 on two full cores (see Findings). The \
         last two rows time the same {n} forward passes with nothing shared and nothing \
         serial, in the same run: what the two threads gave on independent work ({ceiling}x; \
         the pool got {share}% of it).\n\n{}",
            met(speedup >= 1.7),
            if identical { "yes" } else { "**no**" },
            table.render(),
            n = probes + 1,
            ceiling = ratio(ceiling),
            share = fmt_sig(100.0 * speedup / ceiling, 3),
        );
        Ok(())
    }
}
