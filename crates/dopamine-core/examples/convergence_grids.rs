//! The grids behind the measured settings of `tests/convergence.rs` and `docs/algorithm.md`'s tables: OpenES and SNES over their settings, Dopamine over rule, probes, RPE mode and eta, on the 100-d quadratic and Rosenbrock (median evaluations to the target over 20 seeds).
//!
//! Run: `cargo run --release -p dopamine-core --example convergence_grids [peers|dopamine]`
//! (slow: minutes per grid).

#[path = "../tests/common/mod.rs"]
mod common;

use common::{
    SEEDS, median, open_es_median, pop_evals_to_target, quadratic_problem, rosenbrock, snes_median,
};
use dopamine_core::{
    AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, PerturbConfig,
};

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    if which != "dopamine" {
        peers_grids();
    }
    if which != "peers" {
        dopamine_grids();
    }
}

/// The grids behind the settings above (slow): OpenES over K in {4, 8}, sigma in {1e-3, 0.02} and Adam's
/// step in {0.01, 0.03, 0.1, 0.3}; SNES over sigma0 in {0.1, 0.3, 1}.
fn peers_grids() {
    let (q, start, target) = quadratic_problem();
    let r0 = [-1.2, 1.0];
    for pairs in [4, 8] {
        for sigma in [1e-3, 0.02] {
            for eta in [0.01, 0.03, 0.1, 0.3] {
                let a = open_es_median(q, &start, target, (pairs, sigma, eta), 30_000);
                let b = open_es_median(rosenbrock, &r0, 1e-2, (pairs, sigma, eta), 30_000);
                println!(
                    "OpenES K={pairs} sigma={sigma} eta={eta}: quadratic {a:?}, Rosenbrock {b:?}"
                );
            }
        }
    }
    for sigma0 in [0.1, 0.3, 1.0] {
        let a = snes_median(q, &start, target, sigma0, 30_000);
        let b = snes_median(rosenbrock, &r0, 1e-2, sigma0, 30_000);
        println!("SNES sigma0={sigma0}: quadratic {a:?}, Rosenbrock {b:?}");
    }
}

/// The grids behind `docs/algorithm.md`'s tables for Dopamine with several
/// probes, the antithetic preset and the second-moment option (slow): for each problem, RPE mode (forward with a
/// baseline, or the antithetic preset), rule (Dopamine-1, with the option,
/// Dopamine-2 at `lambda` 0.5 and 0.9) and K in {1, 4, 16}, the median
/// evaluations to the target at each eta of `0.0025 * 2^i`.
fn dopamine_grids() {
    let (q, qstart, qtarget) = quadratic_problem();
    let etas: Vec<f64> = (0..10).map(|i| 0.0025 * 2f64.powi(i)).collect();
    type Loss<'a> = &'a dyn Fn(&[f64]) -> f64;
    let problems: [(&str, Loss<'_>, Vec<f64>, f64); 2] = [
        ("quadratic", &q, qstart, qtarget),
        ("rosenbrock", &rosenbrock, vec![-1.2, 1.0], 1e-2),
    ];
    for (name, loss, start, target) in &problems {
        let d = start.len();
        for antithetic in [false, true] {
            for rule in ["D1", "D1+moment", "D2 0.5", "D2 0.9"] {
                for k in [1usize, 4, 16] {
                    let mut row = String::new();
                    for &eta in &etas {
                        let m = median(
                            (0..SEEDS)
                                .map(|seed| {
                                    let base = if antithetic {
                                        PerturbConfig::antithetic()
                                    } else {
                                        PerturbConfig::default()
                                    };
                                    let c = PerturbConfig {
                                        sigma: 1e-3,
                                        eta,
                                        probes: k,
                                        seed,
                                        ..base
                                    };
                                    let mut w = start.clone();
                                    let l = |p: &[f64]| loss(p);
                                    match rule {
                                        "D1" => {
                                            let mut o =
                                                Dopamine1::new(c, Dopamine1Rule::default(), d)
                                                    .unwrap();
                                            pop_evals_to_target(&mut o, &mut w, l, *target, 30_000)
                                        }
                                        "D1+moment" => {
                                            let r = Dopamine1Rule::default().with_second_moment(
                                                dopamine_core::SecondMomentConfig::default(),
                                                vec![0.0; d],
                                            );
                                            let mut o = Dopamine1::new(c, r, d).unwrap();
                                            pop_evals_to_target(&mut o, &mut w, l, *target, 30_000)
                                        }
                                        _ => {
                                            let lambda = if rule == "D2 0.5" { 0.5 } else { 0.9 };
                                            let r = Dopamine2Rule::new(
                                                AdaptiveCoding::default(),
                                                lambda,
                                                vec![0.0; d],
                                            );
                                            let mut o = Dopamine2::new(c, r, d).unwrap();
                                            pop_evals_to_target(&mut o, &mut w, l, *target, 30_000)
                                        }
                                    }
                                })
                                .collect(),
                        );
                        row += &format!(" {eta}:{}", m.map_or("-".into(), |x| x.to_string()));
                    }
                    println!("{name} antithetic={antithetic} {rule} K={k}:{row}");
                }
            }
        }
    }
}
