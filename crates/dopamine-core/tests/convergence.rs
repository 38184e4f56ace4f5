//! Convergence: Dopamine-1/2 against WP with its best fixed eta, on an ill-conditioned quadratic and Rosenbrock.

mod common;

use common::{evals_to_target, ill_conditioned_quadratic, median, rosenbrock};
use dopamine_core::{
    AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, PerturbConfig, Wp,
    WpConfig, WpRule,
};

const SEEDS: u64 = 20;

fn config(seed: u64, sigma: f64, eta: f64) -> PerturbConfig<f64> {
    PerturbConfig {
        sigma,
        eta,
        seed,
        ..Default::default()
    }
}

/// Median evaluations to the target for one rule over the seeds, for each eta
/// of a grid; returns the best eta and its median.
fn sweep(
    name: &str,
    etas: &[f64],
    start: &[f64],
    run: impl Fn(u64, f64, &mut Vec<f64>) -> Option<u64>,
) -> (f64, Option<u64>) {
    let mut best = (f64::NAN, None::<u64>);
    for &eta in etas {
        let counts: Vec<Option<u64>> = (0..SEEDS)
            .map(|seed| {
                let mut w = start.to_vec();
                run(seed, eta, &mut w)
            })
            .collect();
        let m = median(counts);
        println!("{name:>10} eta={eta:<8} median evals to target: {m:?}");
        if m.unwrap_or(u64::MAX) < best.1.unwrap_or(u64::MAX) {
            best = (eta, m);
        }
    }
    best
}

/// One comparison: a loss, where to start, and how to probe.
struct Problem<'a, L> {
    name: &'a str,
    start: &'a [f64],
    loss: L,
    sigma: f64,
    target: f64,
    budget: u64,
}

/// Median evaluations to target of the best eta of each rule: `[WP, D1, D2]`
/// (infinity when no eta reaches the target in the budget).
fn compare<L: Fn(&[f64]) -> f64 + Copy>(p: &Problem<'_, L>, etas: &[f64]) -> [f64; 3] {
    let dim = p.start.len();
    let cfg = |seed, eta| config(seed, p.sigma, eta);
    let no_halving = WpRule::new(WpConfig {
        halve_on_divergence: false,
    });
    let wp = sweep("WP", etas, p.start, |seed, eta, w| {
        let mut opt = Wp::new(cfg(seed, eta), no_halving.clone(), dim).unwrap();
        evals_to_target(&mut opt, w, p.loss, p.target, p.budget)
    });
    let d1 = sweep("Dopamine-1", etas, p.start, |seed, eta, w| {
        let mut opt = Dopamine1::new(cfg(seed, eta), Dopamine1Rule::default(), dim).unwrap();
        evals_to_target(&mut opt, w, p.loss, p.target, p.budget)
    });
    let d2 = sweep("Dopamine-2", etas, p.start, |seed, eta, w| {
        let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; dim]);
        let mut opt = Dopamine2::new(cfg(seed, eta), rule, dim).unwrap();
        evals_to_target(&mut opt, w, p.loss, p.target, p.budget)
    });
    println!(
        "{}: best WP {wp:?}, Dopamine-1 {d1:?}, Dopamine-2 {d2:?}",
        p.name
    );
    [wp, d1, d2].map(|(_, evals)| evals.map_or(f64::INFINITY, |e| e as f64))
}

/// Measured (20 seeds, target 1% of the initial loss, same eta grid for all):
/// best WP 2,000 evaluations (eta 0.05), Dopamine-1 2,490 (eta 0.015),
/// Dopamine-2 2,432. On a smooth quadratic, WP's step shrinks with the
/// gradient as it should, while Dopamine's normalised step does not, so the
/// claim "fewer evaluations than the best WP" does NOT hold here. The test
/// pins the measured ranking with a margin: Dopamine stays within 1.5x of
/// the best WP.
#[test]
fn quadratic_100d_dopamine_within_margin_of_best_wp() {
    let dim = 100;
    let loss = ill_conditioned_quadratic(dim, 100.0);
    let start = vec![0.0; dim];
    let target = 1e-2 * loss(&start);
    let problem = Problem {
        name: "quadratic-100d",
        start: &start,
        loss,
        sigma: 1e-3,
        target,
        budget: 30_000,
    };
    let [wp, d1, d2] = compare(&problem, &[0.005, 0.01, 0.015, 0.02, 0.03, 0.05, 0.07, 0.1]);
    assert!(d1 <= 1.5 * wp, "Dopamine-1 {d1} vs best WP {wp}");
    assert!(d2 <= 1.5 * wp, "Dopamine-2 {d2} vs best WP {wp}");
}

/// Measured (20 seeds, target loss 1e-2 from (-1.2, 1)): best WP about 8,000
/// evaluations, Dopamine-1 and -2 about 1,100: along Rosenbrock's curved
/// valley the gradient's size changes by orders of magnitude and a fixed WP
/// eta must suit the steepest part. The claim holds here by a wide margin.
#[test]
fn rosenbrock_dopamine_beats_best_wp() {
    let start = [-1.2, 1.0];
    let problem = Problem {
        name: "rosenbrock",
        start: &start,
        loss: rosenbrock,
        sigma: 1e-3,
        target: 1e-2,
        budget: 30_000,
    };
    let [wp, d1, d2] = compare(&problem, &[3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]);
    assert!(d1 < 0.5 * wp, "Dopamine-1 {d1} vs best WP {wp}");
    assert!(d2 < 0.5 * wp, "Dopamine-2 {d2} vs best WP {wp}");
}

/// WP's step is proportional to the RPE, so a large eta multiplies a large
/// loss change into a larger one; Dopamine-1's step is bounded by
/// `eta * sqrt(K / (1 - beta)) * |z|` whatever the loss does. At each eta of
/// the grid WP blows up (loss past 1e12 times its start, or non-finite and
/// undone; measured 7e29 at eta 0.2), while Dopamine-1 at the same eta stays
/// finite, undoes nothing and never exceeds 1e3 times its starting loss
/// (measured: 1.4x at eta 0.2, 32x at eta 1): too large an eta makes it
/// wander with steps of size ~eta, not blow up.
#[test]
fn wp_diverges_where_dopamine1_does_not() {
    let dim = 100;
    let loss = ill_conditioned_quadratic(dim, 100.0);
    let start_loss = loss(&vec![0.0; dim]);
    for eta in [0.2, 1.0, 3.0] {
        let mut wp_w = vec![0.0; dim];
        let no_halving = WpRule::new(WpConfig {
            halve_on_divergence: false,
        });
        let mut wp = Wp::new(config(1, 1e-3, eta), no_halving, dim).unwrap();
        let mut d1_w = vec![0.0; dim];
        let mut d1 = Dopamine1::new(config(1, 1e-3, eta), Dopamine1Rule::default(), dim).unwrap();
        let mut wp_max = 0.0f64;
        let mut d1_max = 0.0f64;
        for _ in 0..2_000 {
            let _ = wp.step(&mut wp_w, loss).unwrap();
            wp_max = wp_max.max(loss(&wp_w));
            let _ = d1.step(&mut d1_w, loss).unwrap();
            d1_max = d1_max.max(loss(&d1_w));
        }
        let d1_end = loss(&d1_w);
        println!(
            "eta {eta}: WP max loss {wp_max:e} (undone {}), Dopamine-1 max {d1_max:e} end {d1_end:e} (start {start_loss:e})",
            wp.counters().undone_updates
        );
        assert!(
            wp_max > 1e12 * start_loss || wp.counters().undone_updates > 0,
            "WP did not diverge at eta {eta}"
        );
        assert_eq!(d1.counters().undone_updates, 0, "eta {eta}");
        assert!(d1_w.iter().all(|w| w.is_finite()));
        assert!(
            d1_max < 1e3 * start_loss,
            "Dopamine-1 at eta {eta}: max loss {d1_max}"
        );
    }
}
