//! One-step-ahead Mackey-Glass forecasting with an Elman RNN (H = 8), and its persistence baseline.
//!
//! `h_t = tanh(W_in x_t + W_hh h_{t-1} + b_h)`, `y_t = W_out . h_t + b_out`,
//! `y_t` forecasting `x_{t+1}`. The 89 parameters live in one flat array:
//!
//! | index | parameter |
//! | --- | --- |
//! | `0..8` | `W_in` (one input) |
//! | `8..72` | `W_hh`, row-major (row `i` feeds unit `i`) |
//! | `72..80` | `b_h` |
//! | `80..88` | `W_out` |
//! | `88` | `b_out` |
//!
//! The window of the series is split in time order: [`TRAIN`] one-step
//! pairs to train on (the first [`WASHOUT`] forecasts excluded from the
//! loss), then [`VALIDATION`] pairs that decide when to stop, then [`TEST`]
//! pairs that are looked at once, at the end. The series is normalised
//! with the mean and standard deviation of the training part. Every
//! evaluation runs the network from a zero state at the start of the window.

use crate::rng::SplitMix64;
use crate::train::{Check, Task};

/// Hidden units.
pub const HIDDEN: usize = 8;
/// Number of parameters: `H + H^2 + H + H + 1`.
pub const PARAMS: usize = HIDDEN + HIDDEN * HIDDEN + HIDDEN + HIDDEN + 1;
/// Training pairs `(x_t, x_{t+1})`, `t = 0 .. TRAIN`.
pub const TRAIN: usize = 200;
/// Leading training forecasts left out of the loss while the state settles.
pub const WASHOUT: usize = 20;
/// Validation pairs, after the training pairs.
pub const VALIDATION: usize = 100;
/// Test pairs, after the validation pairs.
pub const TEST: usize = 100;
/// Samples in the window: every pair's input plus the last target.
pub const WINDOW: usize = TRAIN + VALIDATION + TEST + 1;

const W_IN: usize = 0;
const W_HH: usize = HIDDEN;
const B_H: usize = HIDDEN + HIDDEN * HIDDEN;
const W_OUT: usize = B_H + HIDDEN;
const B_OUT: usize = W_OUT + HIDDEN;

/// Initial weights from `seed`: `W_in` entries `N(0, 1)`, `W_hh` entries
/// `N(0, rho^2 / H)` with `rho = 0.9` (by the circular law its spectral radius
/// is close to 0.9; the host experiments rescale to exactly 0.9, which needs
/// an eigenvalue solver), `W_out` entries `N(0, 1/H)`, zero biases.
pub fn init(seed: u64) -> [f32; PARAMS] {
    let mut rng = SplitMix64::new(seed);
    let mut p = [0.0f32; PARAMS];
    let h = HIDDEN as f32;
    rng.fill_gaussian(&mut p[W_IN..W_HH], 1.0);
    rng.fill_gaussian(&mut p[W_HH..B_H], 0.9 / libm::sqrtf(h));
    rng.fill_gaussian(&mut p[W_OUT..B_OUT], 1.0 / libm::sqrtf(h));
    p
}

/// One step of the network: updates `h` from input `x`, returns the forecast.
fn step(p: &[f32; PARAMS], h: &mut [f32; HIDDEN], x: f32) -> f32 {
    let mut next = [0.0f32; HIDDEN];
    for (i, n) in next.iter_mut().enumerate() {
        let row = &p[W_HH + i * HIDDEN..W_HH + (i + 1) * HIDDEN];
        let mut pre = p[W_IN + i] * x + p[B_H + i];
        for (w, hj) in row.iter().zip(h.iter()) {
            pre += w * hj;
        }
        *n = libm::tanhf(pre);
    }
    *h = next;
    let mut y = p[B_OUT];
    for (w, hj) in p[W_OUT..B_OUT].iter().zip(h.iter()) {
        y += w * hj;
    }
    y
}

/// Squared-error sums and target statistics over one range of forecasts.
#[derive(Debug, Clone, Copy, Default)]
struct Range {
    sq_err: f32,
    sq_err_persistence: f32,
    sum: f32,
    sum_sq: f32,
    n: u32,
}

impl Range {
    fn add(&mut self, forecast: f32, last: f32, target: f32) {
        self.sq_err += (forecast - target) * (forecast - target);
        self.sq_err_persistence += (last - target) * (last - target);
        self.sum += target;
        self.sum_sq += target * target;
        self.n += 1;
    }

    fn std(&self) -> f32 {
        let n = self.n as f32;
        let mean = self.sum / n;
        libm::sqrtf((self.sum_sq / n - mean * mean).max(0.0))
    }

    fn nrmse(&self) -> f32 {
        libm::sqrtf(self.sq_err / self.n as f32) / self.std()
    }

    fn persistence_nrmse(&self) -> f32 {
        libm::sqrtf(self.sq_err_persistence / self.n as f32) / self.std()
    }
}

/// Normalised root-mean-square errors (RMSE over the targets' standard
/// deviation in the same range) of the network and of persistence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    /// The network on the validation pairs.
    pub validation: f32,
    /// Persistence (`x_{t+1}` forecast as `x_t`) on the validation pairs.
    pub validation_persistence: f32,
    /// The network on the test pairs.
    pub test: f32,
    /// Persistence on the test pairs.
    pub test_persistence: f32,
}

/// Runs the network over the whole window and scores the validation and
/// test forecasts (one forward pass over `WINDOW - 1` inputs).
pub fn score(params: &[f32; PARAMS], series: &[f32; WINDOW]) -> Scores {
    let mut h = [0.0f32; HIDDEN];
    let (mut val, mut test) = (Range::default(), Range::default());
    for t in 0..WINDOW - 1 {
        let y = step(params, &mut h, series[t]);
        if t >= TRAIN + VALIDATION {
            test.add(y, series[t], series[t + 1]);
        } else if t >= TRAIN {
            val.add(y, series[t], series[t + 1]);
        }
    }
    Scores {
        validation: val.nrmse(),
        validation_persistence: val.persistence_nrmse(),
        test: test.nrmse(),
        test_persistence: test.persistence_nrmse(),
    }
}

/// Normalises `series` in place with the mean and standard deviation of its
/// training part (`x_0 ..= x_TRAIN`), so no later value informs the scaling.
pub fn normalise(series: &mut [f32; WINDOW]) {
    let train = &series[..=TRAIN];
    let n = train.len() as f32;
    let mean = train.iter().sum::<f32>() / n;
    let var = train.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n;
    let std = libm::sqrtf(var);
    for x in series.iter_mut() {
        *x = (*x - mean) / std;
    }
}

/// When training stops: the validation rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StopRule {
    /// A validation pass every this many steps (at least 1).
    pub every: u64,
    /// Stop once the validation NRMSE is below this fraction of persistence's.
    pub below_fraction: f32,
}

/// The forecasting task: the training loss, and the validation passes of
/// its [`StopRule`].
#[derive(Debug)]
pub struct RnnTask<'a> {
    series: &'a [f32; WINDOW],
    rule: StopRule,
    last: Option<Scores>,
    checks: u64,
}

impl<'a> RnnTask<'a> {
    /// A task on a normalised window.
    pub fn new(series: &'a [f32; WINDOW], rule: StopRule) -> Self {
        Self {
            series,
            rule: StopRule {
                every: rule.every.max(1),
                ..rule
            },
            last: None,
            checks: 0,
        }
    }

    /// The scores of the last validation check.
    pub fn last_scores(&self) -> Option<Scores> {
        self.last
    }

    /// Validation passes made so far (each one forward pass over the window,
    /// not counted among the optimizer's loss evaluations).
    pub fn checks(&self) -> u64 {
        self.checks
    }
}

impl Task for RnnTask<'_> {
    fn loss(&mut self, params: &[f32]) -> f32 {
        let Ok(p) = <&[f32; PARAMS]>::try_from(params) else {
            return f32::NAN;
        };
        let mut h = [0.0f32; HIDDEN];
        let mut sum = 0.0f32;
        for t in 0..TRAIN {
            let y = step(p, &mut h, self.series[t]);
            if t >= WASHOUT {
                let e = y - self.series[t + 1];
                sum += e * e;
            }
        }
        sum / (TRAIN - WASHOUT) as f32
    }

    fn check(&mut self, params: &[f32], step: u64) -> Check {
        let Ok(p) = <&[f32; PARAMS]>::try_from(params) else {
            return Check::Continue;
        };
        if step % self.rule.every != 0 {
            return Check::Continue;
        }
        let s = score(p, self.series);
        self.checks += 1;
        self.last = Some(s);
        if s.validation < self.rule.below_fraction * s.validation_persistence {
            Check::Done
        } else {
            Check::Continue
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mackey_glass;

    const RULE: StopRule = StopRule {
        every: 1,
        below_fraction: 1.0,
    };

    fn window() -> [f32; WINDOW] {
        let mut s = [0.0f32; WINDOW];
        mackey_glass::generate(&mut s);
        normalise(&mut s);
        s
    }

    #[test]
    fn normalised_training_part_has_zero_mean_unit_std() {
        let s = window();
        let train = &s[..=TRAIN];
        let n = train.len() as f32;
        let mean = train.iter().sum::<f32>() / n;
        let var = train.iter().map(|x| (x - mean) * (x - mean)).sum::<f32>() / n;
        assert!(
            mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-4,
            "{mean} {var}"
        );
    }

    #[test]
    fn persistence_scores_match_a_direct_computation() {
        let s = window();
        let scores = score(&init(1), &s);
        let direct = |from: usize, to: usize| {
            let targets = &s[from + 1..=to];
            let n = targets.len() as f64;
            let mean = targets.iter().map(|x| f64::from(*x)).sum::<f64>() / n;
            let var = targets
                .iter()
                .map(|x| (f64::from(*x) - mean).powi(2))
                .sum::<f64>()
                / n;
            let mse = (from..to)
                .map(|t| f64::from(s[t + 1] - s[t]).powi(2))
                .sum::<f64>()
                / n;
            (mse.sqrt() / var.sqrt()) as f32
        };
        let want_val = direct(TRAIN, TRAIN + VALIDATION);
        let want_test = direct(TRAIN + VALIDATION, WINDOW - 1);
        assert!((scores.validation_persistence - want_val).abs() < 1e-4);
        assert!((scores.test_persistence - want_test).abs() < 1e-4);
        // One time unit ahead, persistence is a weak but not useless forecast.
        assert!(want_val > 0.05 && want_val < 0.5, "{want_val}");
    }

    #[test]
    fn loss_is_the_mean_squared_error_after_the_washout() {
        let s = window();
        let p = init(3);
        let mut h = [0.0f32; HIDDEN];
        let mut sum = 0.0f64;
        for t in 0..TRAIN {
            let y = step(&p, &mut h, s[t]);
            if t >= WASHOUT {
                sum += f64::from(y - s[t + 1]).powi(2);
            }
        }
        let want = (sum / (TRAIN - WASHOUT) as f64) as f32;
        let got = RnnTask::new(&s, RULE).loss(&p);
        assert!((got - want).abs() <= 1e-5 * want, "{got} vs {want}");
        // A network whose output is zero forecasts the training mean: its
        // loss is the variance of the normalised targets, about 1.
        let mut zero_out = p;
        zero_out[W_OUT..].fill(0.0);
        let l = RnnTask::new(&s, RULE).loss(&zero_out);
        assert!((l - 1.0).abs() < 0.2, "{l}");
    }
}
