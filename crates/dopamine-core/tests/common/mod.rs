//! Test problems shared by the integration tests: quadratics, Rosenbrock, runners.
#![allow(dead_code)]

use dopamine_core::{
    OpenEs, OpenEsConfig, OpenEsRule, PerturbConfig, PerturbationOptimizer, Snes, SnesConfig,
    StepOutcome, UpdateRule,
};

/// `0.5 * sum_i c_i (w_i - 1)^2` with condition number `kappa` (log-spaced curvatures).
pub fn ill_conditioned_quadratic(dim: usize, kappa: f64) -> impl Fn(&[f64]) -> f64 + Copy {
    move |w: &[f64]| {
        let mut s = 0.0;
        for (i, x) in w.iter().enumerate() {
            let c = kappa.powf(i as f64 / (dim - 1) as f64) / kappa;
            s += 0.5 * c * (x - 1.0) * (x - 1.0);
        }
        s
    }
}

/// The 2-D Rosenbrock function, minimum 0 at (1, 1).
pub fn rosenbrock(w: &[f64]) -> f64 {
    let (x, y) = (w[0], w[1]);
    (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x)
}

/// Runs `opt` until the loss at a baseline falls below `target` or `max_evals`
/// loss evaluations are spent. Returns the evaluations used, or `None`.
/// A rejected step counts as divergence when `stop_on_reject` is set.
pub fn evals_to_target<R: UpdateRule<f64>>(
    opt: &mut PerturbationOptimizer<f64, R>,
    w: &mut [f64],
    loss: impl Fn(&[f64]) -> f64,
    target: f64,
    max_evals: u64,
) -> Option<u64> {
    while opt.counters().forward_passes < max_evals {
        match opt.step(w, &loss).expect("valid step") {
            StepOutcome::Updated(r) => {
                if r.baseline_loss < target {
                    return Some(opt.counters().forward_passes);
                }
            }
            StepOutcome::Rejected(_) => {}
        }
    }
    None
}

/// Median of `Option` counts, with `None` as infinity.
pub fn median(mut xs: Vec<Option<u64>>) -> Option<u64> {
    xs.sort_by_key(|x| x.unwrap_or(u64::MAX));
    xs[xs.len() / 2]
}

/// Runs any population method until the loss at its parameters, checked
/// after every applied update (a monitor: not counted), falls below
/// `target` or `max_evals` evaluations are spent; returns the evaluations
/// used, or `None`. For SNES the parameters are the mean `mu`.
pub fn pop_evals_to_target<O: dopamine_core::PopulationOptimizer<f64>>(
    opt: &mut O,
    w: &mut [f64],
    loss: impl Fn(&[f64]) -> f64,
    target: f64,
    max_evals: u64,
) -> Option<u64> {
    let (mut base, mut point) = (vec![0.0; w.len()], vec![0.0; w.len()]);
    let mut losses = vec![0.0; opt.points_per_step()];
    while opt.counters().forward_passes < max_evals {
        let out = dopamine_core::step_population(opt, w, &mut base, &mut point, &mut losses, &loss)
            .expect("valid step");
        if matches!(out, StepOutcome::Updated(_)) && loss(w) < target {
            return Some(opt.counters().forward_passes);
        }
    }
    None
}

/// Seeds of every median.
pub const SEEDS: u64 = 20;

/// The default perturbation settings with `seed`, `sigma` and `eta`.
pub fn config(seed: u64, sigma: f64, eta: f64) -> PerturbConfig<f64> {
    PerturbConfig {
        sigma,
        eta,
        seed,
        ..Default::default()
    }
}

/// The 100-d quadratic of the convergence tests: loss, start, target (1% of the
/// starting loss).
pub fn quadratic_problem() -> (impl Fn(&[f64]) -> f64 + Copy, Vec<f64>, f64) {
    let loss = ill_conditioned_quadratic(100, 100.0);
    let start = vec![0.0; 100];
    let target = 1e-2 * loss(&start);
    (loss, start, target)
}

/// Median over the seeds of OpenES's evaluations to the target (the loss at
/// the parameters, checked after each update and not counted).
pub fn open_es_median(
    loss: impl Fn(&[f64]) -> f64 + Copy,
    start: &[f64],
    target: f64,
    (pairs, sigma, eta): (usize, f64, f64),
    budget: u64,
) -> Option<u64> {
    let d = start.len();
    median(
        (0..SEEDS)
            .map(|seed| {
                let c = PerturbConfig {
                    sigma,
                    eta,
                    probes: pairs,
                    seed,
                    ..PerturbConfig::antithetic()
                };
                let rule = OpenEsRule::new(OpenEsConfig::default(), vec![0.0; 2 * d]);
                let mut opt = OpenEs::new(c, rule, d).unwrap();
                let mut w = start.to_vec();
                pop_evals_to_target(&mut opt, &mut w, loss, target, budget)
            })
            .collect(),
    )
}

/// Median over the seeds of SNES's evaluations to the target (the loss at
/// the mean, checked after each update and not counted); the paper's
/// defaults for `d` and the given `sigma0`.
pub fn snes_median(
    loss: impl Fn(&[f64]) -> f64 + Copy,
    start: &[f64],
    target: f64,
    sigma0: f64,
    budget: u64,
) -> Option<u64> {
    let d = start.len();
    median(
        (0..SEEDS)
            .map(|seed| {
                let c = SnesConfig {
                    seed,
                    ..SnesConfig::new(d, sigma0)
                };
                let mut opt = Snes::new(c, d, vec![0.0; d]).unwrap();
                let mut w = start.to_vec();
                pop_evals_to_target(&mut opt, &mut w, loss, target, budget)
            })
            .collect(),
    )
}
