//! XOR with a 2-2-1 perceptron: tanh hidden layer, sigmoid output, mean squared error.
//!
//! The nine parameters live in one flat `[f32; PARAMS]`, the shape the
//! optimizer works on:
//!
//! | index | parameter |
//! | --- | --- |
//! | `0..4` | hidden weights, row `j` (unit `j`) at `2 j .. 2 j + 2` |
//! | `4..6` | hidden biases |
//! | `6..8` | output weights |
//! | `8` | output bias |

use crate::rng::SplitMix64;
use crate::train::{Check, Task};

/// Hidden units.
pub const HIDDEN: usize = 2;
/// Number of parameters: `2 H + H + H + 1`.
pub const PARAMS: usize = 2 * HIDDEN + HIDDEN + HIDDEN + 1;
/// The four input patterns.
pub const INPUTS: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// XOR of each pattern.
pub const TARGETS: [f32; 4] = [0.0, 1.0, 1.0, 0.0];

/// The network's output for one input pattern.
pub fn forward(params: &[f32; PARAMS], x: [f32; 2]) -> f32 {
    let mut out = params[4 + 2 * HIDDEN];
    for j in 0..HIDDEN {
        let pre = params[2 * j] * x[0] + params[2 * j + 1] * x[1] + params[2 * HIDDEN + j];
        out += params[3 * HIDDEN + j] * libm::tanhf(pre);
    }
    1.0 / (1.0 + libm::expf(-out))
}

/// Xavier-normal weights (`std = sqrt(2 / (fan_in + fan_out))`), zero
/// biases, as the host experiment E1 initialises its MLPs; drawn from `seed`.
pub fn init(seed: u64) -> [f32; PARAMS] {
    let mut rng = SplitMix64::new(seed);
    let mut p = [0.0f32; PARAMS];
    rng.fill_gaussian(&mut p[..2 * HIDDEN], libm::sqrtf(2.0 / (2 + HIDDEN) as f32));
    rng.fill_gaussian(
        &mut p[3 * HIDDEN..4 * HIDDEN],
        libm::sqrtf(2.0 / (HIDDEN + 1) as f32),
    );
    p
}

/// `true` when every output is on the right side of 0.5.
pub fn solved(outputs: &[f32; 4]) -> bool {
    outputs
        .iter()
        .zip(TARGETS)
        .all(|(y, t)| (*y > 0.5) == (t > 0.5))
}

/// The XOR task: the loss over the four patterns (full batch), and the last
/// evaluation's outputs, which decide whether it is solved.
#[derive(Debug, Clone, Default)]
pub struct XorTask {
    outputs: [f32; 4],
}

impl XorTask {
    /// A task with no evaluation yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The outputs of the last evaluation.
    pub fn outputs(&self) -> &[f32; 4] {
        &self.outputs
    }
}

impl Task for XorTask {
    fn loss(&mut self, params: &[f32]) -> f32 {
        let Ok(p) = <&[f32; PARAMS]>::try_from(params) else {
            return f32::NAN;
        };
        let mut sum = 0.0;
        for (i, (x, t)) in INPUTS.iter().zip(TARGETS).enumerate() {
            let y = forward(p, *x);
            self.outputs[i] = y;
            sum += (y - t) * (y - t);
        }
        sum / 4.0
    }

    fn check(&mut self, _params: &[f32], _step: u64) -> Check {
        // `check` runs right after an accepted baseline, so the outputs are
        // those of the unperturbed parameters.
        if solved(&self.outputs) {
            Check::Done
        } else {
            Check::Continue
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forward_pass_matches_a_hand_computation() {
        // Hidden unit 0 computes tanh(x0 + x1 - 0.5), unit 1 tanh(x0 + x1 - 1.5);
        // the output is sigmoid(2 h0 - 2 h1 - 1).
        let p = [1.0, 1.0, 1.0, 1.0, -0.5, -1.5, 2.0, -2.0, -1.0];
        for x in INPUTS {
            let s = x[0] + x[1];
            let z = 2.0 * (s - 0.5).tanh() - 2.0 * (s - 1.5).tanh() - 1.0;
            let want = 1.0 / (1.0 + (-z).exp());
            let got = forward(&p, x);
            assert!((got - want).abs() < 1e-6, "{x:?}: {got} vs {want}");
        }
        let mut task = XorTask::new();
        let loss = task.loss(&p);
        let want = INPUTS
            .iter()
            .zip(TARGETS)
            .map(|(x, t)| (forward(&p, *x) - t).powi(2))
            .sum::<f32>()
            / 4.0;
        assert!((loss - want).abs() < 1e-7);
        // These weights solve XOR.
        assert!(solved(task.outputs()), "{:?}", task.outputs());
    }

    #[test]
    fn a_wrong_length_evaluates_to_nan() {
        assert!(XorTask::new().loss(&[0.0; 3]).is_nan());
    }

    #[test]
    fn initial_weights_are_seeded_and_biases_zero() {
        assert_eq!(init(5), init(5));
        assert_ne!(init(5), init(6));
        let p = init(5);
        assert_eq!(&p[4..6], &[0.0, 0.0]);
        assert_eq!(p[8], 0.0);
    }
}
