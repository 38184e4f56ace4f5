//! scratch sweep
mod common;
use common::*;
use dopamine_core::*;

const SEEDS: u64 = 20;

fn med(f: impl Fn(u64) -> Option<u64>) -> Option<u64> {
    median((0..SEEDS).map(f).collect())
}

#[test]
#[ignore]
fn sweep_openes() {
    let dim = 100;
    let q = ill_conditioned_quadratic(dim, 100.0);
    let qt = 1e-2 * q(&vec![0.0; dim]);
    for (name, start, target) in [
        ("quad", vec![0.0; dim], qt),
        ("rosen", vec![-1.2, 1.0], 1e-2),
    ] {
        let d = start.len();
        for k in [4usize, 8] {
            for sigma in [1e-3, 0.02] {
                for eta in [0.01, 0.03, 0.1, 0.3] {
                    let m = med(|seed| {
                        let c = PerturbConfig {
                            sigma,
                            eta,
                            probes: k,
                            seed,
                            ..PerturbConfig::antithetic()
                        };
                        let mut o = OpenEs::new(
                            c,
                            OpenEsRule::new(OpenEsConfig::default(), vec![0.0; 2 * d]),
                            d,
                        )
                        .unwrap();
                        let mut w = start.clone();
                        if name == "quad" {
                            pop_evals_to_target(&mut o, &mut w, q, target, 30_000)
                        } else {
                            pop_evals_to_target(&mut o, &mut w, rosenbrock, target, 30_000)
                        }
                    });
                    println!("{name} openes K={k} sigma={sigma} eta={eta}: {m:?}");
                }
            }
        }
    }
}

#[test]
#[ignore]
fn sweep_snes() {
    let dim = 100;
    let q = ill_conditioned_quadratic(dim, 100.0);
    let qt = 1e-2 * q(&vec![0.0; dim]);
    for (name, start, target) in [
        ("quad", vec![0.0; dim], qt),
        ("rosen", vec![-1.2, 1.0], 1e-2),
    ] {
        let d = start.len();
        for pop_mul in [1usize] {
            for sigma0 in [0.1, 0.3, 1.0] {
                let m = med(|seed| {
                    let mut c = SnesConfig::new(d, sigma0);
                    c.seed = seed;
                    c.population *= pop_mul;
                    let mut o = Snes::new(c, d, vec![0.0; d]).unwrap();
                    let mut w = start.clone();
                    if name == "quad" {
                        pop_evals_to_target(&mut o, &mut w, q, target, 30_000)
                    } else {
                        pop_evals_to_target(&mut o, &mut w, rosenbrock, target, 30_000)
                    }
                });
                println!("{name} snes lambda x{pop_mul} sigma0={sigma0}: {m:?}");
            }
        }
    }
}

#[test]
#[ignore]
fn sweep_d2_k() {
    let dim = 100;
    let q = ill_conditioned_quadratic(dim, 100.0);
    let qt = 1e-2 * q(&vec![0.0; dim]);
    let etas: Vec<f64> = (0..10).map(|i| 0.0025 * 2f64.powi(i)).collect();
    for (name, start, target) in [
        ("quad", vec![0.0; dim], qt),
        ("rosen", vec![-1.2, 1.0], 1e-2),
    ] {
        let d = start.len();
        for anti in [false, true] {
            for lambda in [0.5, 0.9] {
                for k in [1usize, 4, 16] {
                    let mut row = String::new();
                    let mut best = (0.0, u64::MAX);
                    for &eta in &etas {
                        let m = med(|seed| {
                            let base = if anti {
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
                            let rule =
                                Dopamine2Rule::new(AdaptiveCoding::default(), lambda, vec![0.0; d]);
                            let mut o = Dopamine2::new(c, rule, d).unwrap();
                            let mut w = start.clone();
                            if name == "quad" {
                                pop_evals_to_target(&mut o, &mut w, q, target, 30_000)
                            } else {
                                pop_evals_to_target(&mut o, &mut w, rosenbrock, target, 30_000)
                            }
                        });
                        row += &format!(" {eta}:{}", m.map_or("-".into(), |x| x.to_string()));
                        if m.unwrap_or(u64::MAX) < best.1 {
                            best = (eta, m.unwrap());
                        }
                    }
                    println!(
                        "{name} D2 anti={anti} lambda={lambda} K={k}: best eta {} evals {} |{row}",
                        best.0, best.1
                    );
                }
            }
        }
    }
}

#[test]
#[ignore]
fn sweep_d1_options() {
    let dim = 100;
    let q = ill_conditioned_quadratic(dim, 100.0);
    let qt = 1e-2 * q(&vec![0.0; dim]);
    let etas: Vec<f64> = (0..10).map(|i| 0.0025 * 2f64.powi(i)).collect();
    for (name, start, target) in [
        ("quad", vec![0.0; dim], qt),
        ("rosen", vec![-1.2, 1.0], 1e-2),
    ] {
        let d = start.len();
        for anti in [false, true] {
            for moment in [false, true] {
                for k in [1usize, 4, 16] {
                    let mut row = String::new();
                    let mut best = (0.0, u64::MAX);
                    for &eta in &etas {
                        let m = med(|seed| {
                            let base = if anti {
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
                            let run = |w: &mut Vec<f64>, o: &mut dyn FnMut(&mut Vec<f64>) -> Option<u64>| o(w);
                            if moment {
                                let rule = Dopamine1Rule::default().with_second_moment(
                                    SecondMomentConfig::default(),
                                    vec![0.0; d],
                                );
                                let mut o = Dopamine1::new(c, rule, d).unwrap();
                                run(&mut w, &mut |w| {
                                    if name == "quad" {
                                        pop_evals_to_target(&mut o, w, q, target, 30_000)
                                    } else {
                                        pop_evals_to_target(&mut o, w, rosenbrock, target, 30_000)
                                    }
                                })
                            } else {
                                let mut o = Dopamine1::new(c, Dopamine1Rule::default(), d).unwrap();
                                run(&mut w, &mut |w| {
                                    if name == "quad" {
                                        pop_evals_to_target(&mut o, w, q, target, 30_000)
                                    } else {
                                        pop_evals_to_target(&mut o, w, rosenbrock, target, 30_000)
                                    }
                                })
                            }
                        });
                        row += &format!(" {eta}:{}", m.map_or("-".into(), |x| x.to_string()));
                        if m.unwrap_or(u64::MAX) < best.1 {
                            best = (eta, m.unwrap());
                        }
                    }
                    println!(
                        "{name} D1 anti={anti} moment={moment} K={k}: best eta {} evals {} |{row}",
                        best.0, best.1
                    );
                }
            }
        }
    }
}
