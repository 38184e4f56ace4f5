//! B4 memory: peak heap bytes of a training run, Dopamine-1 against Adam-BPTT, `H = 64`, `T` in {500, 2000, 8000} (needs the counting allocator installed by the binary).

use std::fmt::Write as _;

use dopamine_nets::{Bptt, Rnn, RnnInit};
use dopamine_train::{Objective, RnnObjective};

use super::benchmark::{BenchContext, Benchmark};
use super::fixtures::{adam, dopamine1};
use super::harness::{TargetCheck, ratio};
use crate::error::BenchError;
use crate::experiments::cost::sine_sequence;
use crate::markdown::Table;
use crate::mode::ByMode;

/// B4: peak heap of a training run, Dopamine-1 against Adam-BPTT, over T; a flat Dopamine-1 figure is the target.
pub struct Memory;

/// B4, as the list holds it.
pub const B4: Memory = Memory;

/// The sequence lengths measured.
const SEQ_LENS: ByMode<&[usize]> = ByMode {
    full: &[500, 2000, 8000],
    quick: &[500, 2000],
};

impl Benchmark for Memory {
    fn id(&self) -> &'static str {
        "B4"
    }

    fn name(&self) -> &'static str {
        "memory"
    }

    fn run(
        &self,
        context: &BenchContext<'_>,
        out: &mut String,
        checks: &mut Vec<TargetCheck>,
    ) -> Result<(), BenchError> {
        let meter = context.meter;
        let hidden = 64;
        let steps = 3;
        let mut table = Table::new([
            "T",
            "Dopamine-1 peak heap (bytes)",
            "Adam-BPTT peak heap (bytes)",
            "Adam / Dopamine-1",
        ]);
        let Some(meter) = meter else {
            let _ = writeln!(
                out,
                "Not measured: the binary did not install the counting allocator.\n"
            );
            return Ok(());
        };
        let mut dopamine_peaks = Vec::new();
        for &seq_len in SEQ_LENS.get(context.mode) {
            let mut peaks = [0u64; 2];
            for (peak, spec) in peaks.iter_mut().zip([dopamine1(1), adam()]) {
                // The data exists before the run: it is the task's, not the optimizer's.
                let (inputs, targets) = sine_sequence(seq_len);
                meter.reset_peak();
                let base = meter.snapshot().current_bytes;
                let net = Rnn::new(1, hidden, 1, &RnnInit::with_seed(1))?;
                let mut obj = RnnObjective::new(net, inputs, targets, 0, Bptt::Full)?;
                let mut opt = spec.build::<f64>(obj.params().len(), 1, steps)?;
                for _ in 0..steps {
                    opt.step(&mut obj)?;
                }
                *peak = meter.snapshot().peak_bytes.saturating_sub(base);
            }
            dopamine_peaks.push(peaks[0]);
            table.row([
                seq_len.to_string(),
                peaks[0].to_string(),
                peaks[1].to_string(),
                ratio(peaks[1] as f64 / peaks[0] as f64),
            ]);
        }
        let flat = dopamine_peaks.windows(2).all(|w| w[0] == w[1]);
        checks.push(TargetCheck {
            name: "B4 Dopamine-1 peak heap independent of T".to_string(),
            measured: *dopamine_peaks.last().unwrap_or(&0) as f64
                / *dopamine_peaks.first().unwrap_or(&1) as f64,
            target: "== 1 (last T / first T)".to_string(),
            met: flat,
        });
        let _ = writeln!(
            out,
            "Peak heap bytes of building the model, the objective and the optimizer and \
         running {steps} steps, RNN H = {hidden}, measured with the counting global allocator \
         (the training data is allocated before the measurement starts). Dopamine-1's figure \
         does not depend on T: {}.\n\n{}",
            if flat {
                "yes, the same bytes at every T"
            } else {
                "**no**"
            },
            table.render()
        );
        Ok(())
    }
}
