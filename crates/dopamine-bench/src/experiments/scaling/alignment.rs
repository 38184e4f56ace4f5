//! E5's alignment measurement: the cosine between one update's estimate and minus the BPTT gradient, for Dopamine-1, Dopamine-3 and OpenES, at the initial weights and after part of an Adam run.
//!
//! Every estimate is a descent direction at fixed weights `w` on the
//! training part (washout excluded), in `f64`:
//!
//! - **Dopamine-1** (weight perturbation, one antithetic probe, 2 passes):
//!   `-(L(w + sigma z) - L(w - sigma z)) z`, `z` a Gaussian noise stream.
//! - **Dopamine-3** (node perturbation, one sweep of two copies, 2 passes):
//!   [`Rnn::node_estimate`] (neuron noise, per-step dopamine, eligibility
//!   traces decaying by `lambda`).
//! - **OpenES** (its population, `2K` passes): `sum_k (u_k+ - u_k-) z_k`
//!   with `u` the centred ranks of the `2K` losses, as [`OpenEsRule`]
//!   computes its search gradient.
//!
//! [`OpenEsRule`]: dopamine_core::OpenEsRule

use dopamine_core::shaping::centered_ranks;
use dopamine_core::{Dopamine3, Dopamine3Config, NoiseKey, NoiseKind, NoiseStream, UpdateEvery};
use dopamine_nets::{Bptt, Rnn, RnnGradWorkspace, RnnNodeWorkspace, RnnWorkspace};
use faer::MatRef;
use serde::{Deserialize, Serialize};

use super::config::AlignmentConfig;
use crate::error::BenchError;

/// A rule whose one-update estimate is compared with the gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Estimator {
    /// Dopamine-1's antithetic weight-perturbation probe.
    Dopamine1,
    /// Dopamine-3's node-perturbation sweep.
    Dopamine3,
    /// OpenES's population.
    OpenEs,
}

impl Estimator {
    /// Every estimator, in report order.
    pub const ALL: [Estimator; 3] = [
        Estimator::Dopamine1,
        Estimator::Dopamine3,
        Estimator::OpenEs,
    ];

    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Estimator::Dopamine1 => "Dopamine-1",
            Estimator::Dopamine3 => "Dopamine-3",
            Estimator::OpenEs => "OpenES",
        }
    }

    /// Forward passes one estimate costs.
    pub fn passes(self, settings: &AlignmentConfig) -> u64 {
        match self {
            Estimator::Dopamine1 | Estimator::Dopamine3 => 2,
            Estimator::OpenEs => 2 * u64::from(settings.openes_pairs),
        }
    }
}

/// Cosine of `a` and `b` (NaN when either is zero or not finite).
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// The training data the estimates see.
#[derive(Clone, Copy)]
pub struct Sequence<'a> {
    /// Inputs, one row per step.
    pub inputs: MatRef<'a, f64>,
    /// Targets, one row per step.
    pub targets: MatRef<'a, f64>,
    /// Leading steps excluded from the loss.
    pub washout: usize,
}

/// The cosine of each estimator's estimate (in [`Estimator::ALL`] order)
/// with minus the BPTT gradient of `net` on `data`; `seed` keys the noise.
pub fn cosines(
    net: &Rnn<f64>,
    data: Sequence<'_>,
    settings: &AlignmentConfig,
    seed: u64,
) -> Result<[f64; 3], BenchError> {
    let (x, y, washout) = (data.inputs, data.targets, data.washout);
    let p = net.num_params();
    let mut grad = vec![0.0; p];
    let mut gws = RnnGradWorkspace::new(net, x.nrows(), Bptt::Full);
    net.loss_and_gradient(x, y, washout, Bptt::Full, &mut gws, &mut grad)?;
    let descent: Vec<f64> = grad.iter().map(|g| -g).collect();
    let mut est = vec![0.0; p];
    let mut out = [f64::NAN; 3];
    for (k, estimator) in Estimator::ALL.into_iter().enumerate() {
        est.fill(0.0);
        match estimator {
            Estimator::Dopamine1 => {
                let z = NoiseStream::new(NoiseKey::new(seed, 1, 0), NoiseKind::Gaussian);
                let (lp, lm) = antithetic(net, data, &z, settings.dopamine1_sigma)?;
                for (i, e) in est.iter_mut().enumerate() {
                    *e = -(lp - lm) * z.value_f64(i);
                }
            }
            Estimator::Dopamine3 => {
                let config = Dopamine3Config {
                    sigma: settings.dopamine3_sigma,
                    lambda: settings.dopamine3_lambda,
                    update_every: UpdateEvery::Sweep,
                    seed,
                    ..Default::default()
                };
                let layout = net.node_layout();
                let storage = vec![0.0; config.storage_len(&layout)];
                let mut rule = Dopamine3::new(config, layout, storage)?;
                let mut ws = RnnNodeWorkspace::new(net);
                net.node_estimate(&mut rule, x, y, washout, &mut ws, &mut est)?;
            }
            Estimator::OpenEs => {
                let pairs = settings.openes_pairs as usize;
                let streams: Vec<NoiseStream> = (0..pairs)
                    .map(|j| {
                        NoiseStream::new(NoiseKey::new(seed, 2, j as u32), NoiseKind::Gaussian)
                    })
                    .collect();
                let mut losses = Vec::with_capacity(2 * pairs);
                for z in &streams {
                    let (lp, lm) = antithetic(net, data, z, settings.openes_sigma)?;
                    losses.extend([lp, lm]);
                }
                let mut u = vec![0.0; losses.len()];
                if losses.iter().all(|l| l.is_finite()) {
                    centered_ranks(&losses, &mut u);
                }
                for (j, z) in streams.iter().enumerate() {
                    let w = u[2 * j] - u[2 * j + 1];
                    for (i, e) in est.iter_mut().enumerate() {
                        *e += w * z.value_f64(i);
                    }
                }
            }
        }
        out[k] = cosine(&est, &descent);
    }
    Ok(out)
}

/// The losses at `w + sigma z` and `w - sigma z`.
fn antithetic(
    net: &Rnn<f64>,
    data: Sequence<'_>,
    z: &NoiseStream,
    sigma: f64,
) -> Result<(f64, f64), BenchError> {
    let mut ws = RnnWorkspace::new(net);
    let mut point = net.params().to_vec();
    let mut at = |sign: f64| -> Result<f64, BenchError> {
        for (i, (p, w)) in point.iter_mut().zip(net.params()).enumerate() {
            *p = w + sign * sigma * z.value_f64(i);
        }
        Ok(net.loss_at(&point, data.inputs, data.targets, data.washout, &mut ws)?)
    };
    Ok((at(1.0)?, at(-1.0)?))
}
