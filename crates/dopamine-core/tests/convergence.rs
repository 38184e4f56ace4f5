//! Convergence: Dopamine-1/2 against WP with its best fixed eta, OpenES and SNES at their best measured settings, and Dopamine-2 with several probes, on an ill-conditioned quadratic and Rosenbrock.

mod common;

use common::{
    SEEDS, config, evals_to_target, ill_conditioned_quadratic, median, open_es_median,
    pop_evals_to_target, quadratic_problem, rosenbrock, snes_median,
};
use dopamine_core::{
    AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, PerturbConfig, Rejection,
    StepOutcome, Wp, WpConfig, WpRule,
};

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
        let mut wp_rejected = 0u64;
        for _ in 0..2_000 {
            if let StepOutcome::Rejected(why) = wp.step(&mut wp_w, loss).unwrap() {
                assert!(
                    matches!(
                        why,
                        Rejection::UpdateUndone
                            | Rejection::NonFiniteProbe
                            | Rejection::UpdateTooLarge
                    ),
                    "WP at eta {eta}: {why:?}"
                );
                wp_rejected += 1;
            }
            wp_max = wp_max.max(loss(&wp_w));
            let outcome = d1.step(&mut d1_w, loss).unwrap();
            assert!(
                matches!(outcome, StepOutcome::Updated(_)),
                "Dopamine-1 at eta {eta}: {outcome:?}"
            );
            d1_max = d1_max.max(loss(&d1_w));
        }
        let c = wp.counters();
        assert_eq!(
            wp_rejected,
            c.undone_updates + c.rejected_probes + c.skipped_updates,
            "every rejected WP step is counted"
        );
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

/// Measured (20 seeds, the targets above, best setting of the grids in
/// the peer grids of `examples/convergence_grids.rs`): on the 100-d quadratic OpenES needs 2,664 evaluations
/// (K = 4 pairs, sigma = 0.02, Adam step 0.03) and SNES 1,938 (sigma0 =
/// 0.3, the paper's defaults: lambda = 17); on Rosenbrock OpenES 864 (K = 4,
/// sigma = 0.02, step 0.1) and SNES 20,670 (sigma0 = 1, lambda = 6): a
/// separable search distribution cannot align with the curved valley, so
/// its sigma shrinks to the valley's width and the mean crawls along it (an
/// independent pure-Python SNES needs a median of 18,852 there). The test
/// pins each median within 1.5x of the measurement (within the budget) and
/// the one ranking that is not close: SNES is over 5x slower than OpenES on
/// Rosenbrock.
#[test]
fn open_es_and_snes_reach_the_targets() {
    let (q, start, target) = quadratic_problem();
    let oq = open_es_median(q, &start, target, (4, 0.02, 0.03), 30_000);
    let sq = snes_median(q, &start, target, 0.3, 30_000);
    let r0 = [-1.2, 1.0];
    let or = open_es_median(rosenbrock, &r0, 1e-2, (4, 0.02, 0.1), 30_000);
    let sr = snes_median(rosenbrock, &r0, 1e-2, 1.0, 30_000);
    println!("quadratic: OpenES {oq:?}, SNES {sq:?}; Rosenbrock: OpenES {or:?}, SNES {sr:?}");
    let (oq, sq, or, sr) = (oq.unwrap(), sq.unwrap(), or.unwrap(), sr.unwrap());
    assert!(oq as f64 <= 1.5 * 2_664.0, "OpenES quadratic {oq}");
    assert!(sq as f64 <= 1.5 * 1_938.0, "SNES quadratic {sq}");
    assert!(or as f64 <= 1.5 * 864.0, "OpenES Rosenbrock {or}");
    assert!(sr > 5 * or, "SNES Rosenbrock {sr} vs OpenES {or}");
}

/// Median over the seeds of Dopamine-2's (`lambda = 0.5`, forward RPE)
/// evaluations to the quadratic's target with `k` probes.
fn dopamine2_median(k: usize, eta: f64) -> Option<u64> {
    let (q, start, target) = quadratic_problem();
    median(
        (0..SEEDS)
            .map(|seed| {
                let c = PerturbConfig {
                    probes: k,
                    ..config(seed, 1e-3, eta)
                };
                let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; 100]);
                let mut opt = Dopamine2::new(c, rule, 100).unwrap();
                let mut w = start.clone();
                pop_evals_to_target(&mut opt, &mut w, q, target, 30_000)
            })
            .collect(),
    )
}

/// Dopamine-2 with K > 1 and the `1/K` normalisation of the coded update
/// (`docs/algorithm.md`, "Dopamine-2 with several probes"). Measured on the
/// 100-d quadratic (20 seeds, eta grid 0.0025 * 2^i): the best eta grows in
/// proportion to K — 0.01 at K = 1 (2,922 evaluations), 0.04 at K = 4
/// (1,825), 0.16 at K = 16 (1,904) — because the coded update's noise,
/// `|d - E d|^2 ~ P / K`, dominates its mean when `P >> K`: averaging K
/// probes buys a less noisy direction, and only a K-times larger eta spends
/// it. At K = 4 the K = 1 eta needs 5,565. The test pins both effects: with
/// eta scaled by K, K = 4 is no slower than K = 1 (within 10%), and keeping
/// the K = 1 eta at K = 4 is over 2x slower.
#[test]
fn dopamine2_with_several_probes_wants_eta_scaled_by_k() {
    let k1 = dopamine2_median(1, 0.01).unwrap();
    let k4_scaled = dopamine2_median(4, 0.04).unwrap();
    let k4_same = dopamine2_median(4, 0.01).unwrap();
    println!("Dopamine-2: K=1 eta 0.01 {k1}, K=4 eta 0.04 {k4_scaled}, K=4 eta 0.01 {k4_same}");
    assert!(k4_scaled as f64 <= 1.1 * k1 as f64, "{k4_scaled} vs {k1}");
    assert!(k4_same > 2 * k4_scaled, "{k4_same} vs {k4_scaled}");
}
