//! B2 step overhead: a Dopamine-1 step (baseline, one probe, update) against two forward passes of the same RNN, `H = 64`, `T = 1000`.

use std::fmt::Write as _;
use std::hint::black_box;

use dopamine_core::perturb::add_scaled_noise;
use dopamine_core::{NoiseKey, NoiseKind, NoiseStream};
use dopamine_train::Objective;

use super::benchmark::{BenchContext, Benchmark};
use super::fixtures::{dopamine1, rnn_objective};
use super::harness::{TargetCheck, interleaved_medians, met, ratio};
use crate::error::BenchError;
use crate::markdown::{Table, fmt_sig};

/// B2: a Dopamine-1 step against two forward passes; the ratio is a target.
pub struct StepOverhead;

/// B2, as the list holds it.
pub const B2: StepOverhead = StepOverhead;

/// Time steps of the sequence (both modes).
const SEQ_LEN: usize = 1000;

impl Benchmark for StepOverhead {
    fn id(&self) -> &'static str {
        "B2"
    }

    fn name(&self) -> &'static str {
        "step overhead"
    }

    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError> {
        let s = &context.sampling;
        let hidden = 64;
        let seq_len = SEQ_LEN;
        let obj = std::cell::RefCell::new(rnn_objective(hidden, seq_len)?);
        let dim = obj.borrow().params().len();
        let mut opt = dopamine1(1).build::<f64>(dim, 1, u64::MAX)?;
        let mut noise_params = obj.borrow().params().to_vec();
        let stream = NoiseStream::new(NoiseKey::new(1, 0, 0), NoiseKind::Gaussian);
        // The reference forward pass runs on the model being trained, at its
        // current parameters: the cost of `tanh` depends on where the
        // pre-activations fall, so an untrained copy would be a different reference.
        let mut forward = || {
            black_box(obj.borrow_mut().loss());
        };
        let mut step = || {
            black_box(
                opt.step(&mut *obj.borrow_mut())
                    .map(|i| i.loss)
                    .unwrap_or(f64::NAN),
            );
        };
        let mut noise = || {
            black_box(add_scaled_noise(&mut noise_params, &stream, 1e-12));
        };
        let t = interleaved_medians(
            s.samples,
            s.min_sample_seconds,
            &mut [&mut forward, &mut step, &mut noise],
        );
        let overhead = t[1] / (2.0 * t[0]);
        let ok = overhead <= 1.10;
        checks.push(TargetCheck {
            name: "B2 Dopamine-1 step / 2 forward passes".to_string(),
            measured: overhead,
            target: "<= 1.1".to_string(),
            met: ok,
        });
        let mut table = Table::new(["quantity", "value"]);
        table.row(["parameters P".to_string(), dim.to_string()]);
        table.row([
            "forward pass (reference), ms".to_string(),
            fmt_sig(t[0] * 1e3, 3),
        ]);
        table.row(["Dopamine-1 step, ms".to_string(), fmt_sig(t[1] * 1e3, 3)]);
        table.row([
            "step / (2 x forward)".to_string(),
            format!("{} (target <= 1.10, met: {})", ratio(overhead), met(ok)),
        ]);
        table.row([
            "one noise pass over P (perturb, restore or update) / forward".to_string(),
            ratio(t[2] / t[0]),
        ]);
        table.row([
            "three noise passes / (step - 2 x forward)".to_string(),
            ratio(3.0 * t[2] / (t[1] - 2.0 * t[0])),
        ]);
        let _ = writeln!(
            out,
            "A Dopamine-1 step (K = 1: baseline, one probe, update) on an RNN with \
         H = {hidden}, T = {seq_len}, against two forward passes of the same model measured in the same \
         run. The step's extra work is three passes of regenerated noise over the parameters \
         (perturb, restore, update).\n\n{}",
            table.render()
        );
        Ok(())
    }
}
