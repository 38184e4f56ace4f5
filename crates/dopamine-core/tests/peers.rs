//! The evolution-strategy peers: OpenES and SNES against hand-computed references, their safety nets, and the population interface they share with the perturbation rules.

use dopamine_core::shaping::{centered_ranks, snes_utilities};
use dopamine_core::{
    Dopamine1, Dopamine1Rule, Error, NoiseKey, NoiseKind, NoiseStream, OpenEs, OpenEsConfig,
    OpenEsRule, PerturbConfig, Population, PopulationOptimizer, Query, Rejection, Side, Snes,
    SnesConfig, StepOutcome, Told, step_population,
};

/// Element `i` of the Gaussian stream `(seed, step, probe)`, as `f64`.
fn z(seed: u64, step: u64, probe: u32, i: usize) -> f64 {
    NoiseStream::new(NoiseKey::new(seed, step, probe), NoiseKind::Gaussian).value::<f64>(i)
}

/// Runs one planned step with the given losses (the points are built but
/// the losses are the caller's).
fn tell<O: PopulationOptimizer<f64>>(
    opt: &mut O,
    w: &mut [f64],
    losses: &[f64],
) -> (StepOutcome<f64>, Vec<Vec<f64>>) {
    let mut base = w.to_vec();
    let mut points = Vec::new();
    {
        let plan = opt.plan(w).unwrap();
        assert_eq!(plan.len(), losses.len());
        for e in 0..plan.len() {
            let mut p = vec![0.0; w.len()];
            plan.build_point(e, &mut base, &mut p).unwrap();
            points.push(p);
        }
    }
    (opt.tell_all(w, losses).unwrap(), points)
}

/// Centred ranks by hand: losses `[1, 4, 2, 3]` rank (in increasing fitness)
/// 3, 0, 2, 1 of `n - 1 = 3`, so `u = [1/2, -1/2, 1/6, -1/6]`.
#[test]
fn centred_ranks_by_hand() {
    let mut u = [0.0f64; 4];
    centered_ranks(&[1.0, 4.0, 2.0, 3.0], &mut u);
    let want = [0.5, -0.5, 1.0 / 6.0, -1.0 / 6.0];
    for (a, b) in u.iter().zip(want) {
        assert!((a - b).abs() < 1e-15, "{u:?}");
    }
}

/// SNES utilities by hand for `lambda = 4`: the weights are
/// `ln 3 - ln r` for ranks `r = 1, 2` (1.098612, 0.405465) and 0 beyond,
/// their sum `ln 4.5 = 1.504077`, so the best point gets
/// `0.730423 - 0.25 = 0.480423`, the second `0.269577 - 0.25 = 0.019577`
/// and the other two `-0.25`.
#[test]
fn snes_utilities_by_hand() {
    let mut u = [0.0f64; 4];
    snes_utilities(&[0.5, 0.1, 0.9, 0.3], &mut u);
    let want = [-0.25, 0.480423, -0.25, 0.019577];
    for (a, b) in u.iter().zip(want) {
        assert!((a - b).abs() < 1e-6, "{u:?}");
    }
}

/// One OpenES step against a reference computed here from the formulas
/// (`docs/algorithm.md`, "OpenES"), on 3 parameters with 2 pairs and an L2
/// term: centred ranks of the 4 losses, `g = 1/(n sigma) sum_k (u+ - u-) z_k`,
/// Adam's input `-g + l2 theta`, the starter code's Adam. Two steps, so
/// that the moments and the bias correction of step 2 are checked too.
#[test]
fn openes_steps_match_a_hand_computed_reference() {
    let (seed, sigma, eta, l2) = (7u64, 0.05, 0.01, 0.25);
    let es = OpenEsConfig {
        l2,
        ..OpenEsConfig::default()
    };
    let config = PerturbConfig {
        sigma,
        eta,
        probes: 2,
        seed,
        ..PerturbConfig::antithetic()
    };
    let mut w = vec![0.3, -1.2, 2.0];
    let mut opt = OpenEs::new(config, OpenEsRule::new(es, vec![0.0; 6]), 3).unwrap();
    let (mut m, mut v) = ([0.0f64; 3], [0.0f64; 3]);
    let mut theta = w.clone();
    // Losses in plan order [L+0, L-0, L+1, L-1]: step 1 has centred ranks
    // [1/2, -1/2, 1/6, -1/6] (pair coefficients u+ - u- = 1 and 1/3); step 2
    // [-1/2, 1/2, 0, 0] (the tied 3s share mid-rank 1.5: coefficients -1, 0).
    for (t, losses, diffs) in [
        (1u64, [1.0, 4.0, 2.0, 3.0], [1.0, 1.0 / 3.0]),
        (2, [5.0, 2.0, 3.0, 3.0], [-1.0, 0.0]),
    ] {
        let (out, points) = tell(&mut opt, &mut w, &losses);
        assert!(matches!(out, StepOutcome::Updated(_)), "{out:?}");
        // The points are theta +- sigma z_k (to within the restores' rounding).
        for (e, p) in points.iter().enumerate() {
            let s = if e % 2 == 0 { sigma } else { -sigma };
            for i in 0..3 {
                let want = theta[i] + s * z(seed, t - 1, (e / 2) as u32, i);
                assert!((p[i] - want).abs() < 1e-14, "point {e}");
            }
        }
        let a = eta * (1.0 - 0.999f64.powi(t as i32)).sqrt() / (1.0 - 0.9f64.powi(t as i32));
        for i in 0..3 {
            let g =
                (diffs[0] * z(seed, t - 1, 0, i) + diffs[1] * z(seed, t - 1, 1, i)) / (4.0 * sigma);
            let grad = -g + l2 * theta[i];
            m[i] = 0.9 * m[i] + 0.1 * grad;
            v[i] = 0.999 * v[i] + 0.001 * grad * grad;
            theta[i] += -a * m[i] / (v[i].sqrt() + 1e-8);
        }
        for i in 0..3 {
            assert!(
                (w[i] - theta[i]).abs() < 1e-12,
                "step {t}, {i}: {} vs {}",
                w[i],
                theta[i]
            );
        }
        let (om, ov) = opt.rule().moments();
        for i in 0..3 {
            assert!((om[i] - m[i]).abs() < 1e-12 && (ov[i] - v[i]).abs() < 1e-12);
        }
        assert_eq!(opt.rule().adam_steps(), t);
    }
}

/// One SNES step against a reference computed here: `lambda = 4` points
/// `mu + sigma s_k` (checked bit for bit), utilities from the ranks, then
/// `mu += eta_mu sigma grad_mu` and `sigma *= exp(eta_sigma / 2 grad_sigma)`.
/// A second step checks that the points use the updated `sigma`.
#[test]
fn snes_steps_match_a_hand_computed_reference() {
    let config = SnesConfig {
        sigma0: 0.5,
        eta_mu: 1.0,
        eta_sigma: 0.5,
        population: 4,
        seed: 3,
    };
    let mut mu = vec![1.0, -2.0];
    let mut opt = Snes::new(config, 2, vec![0.0; 2]).unwrap();
    assert_eq!(opt.sigma(), &[0.5, 0.5]);
    let (mut rmu, mut rsigma) = (mu.clone(), vec![0.5, 0.5]);
    for (t, losses) in [(0u64, [0.5, 0.1, 0.9, 0.3]), (1, [0.2, 0.7, 0.1, 0.4])] {
        let (out, points) = tell(&mut opt, &mut mu, &losses);
        let StepOutcome::Updated(report) = out else {
            panic!("{out:?}")
        };
        for (k, p) in points.iter().enumerate() {
            for i in 0..2 {
                let want = rmu[i] + rsigma[i] * z(3, t, k as u32, i);
                assert_eq!(p[i].to_bits(), want.to_bits(), "point {k}, {i}");
            }
        }
        let mut u = [0.0; 4];
        snes_utilities(&losses, &mut u);
        for i in 0..2 {
            let (mut gm, mut gs) = (0.0, 0.0);
            for (k, uk) in u.iter().enumerate() {
                let s = z(3, t, k as u32, i);
                gm += uk * s;
                gs += uk * (s * s - 1.0);
            }
            rmu[i] += rsigma[i] * gm;
            rsigma[i] *= (0.25 * gs).exp();
        }
        for i in 0..2 {
            assert!((mu[i] - rmu[i]).abs() < 1e-14, "step {t}: mu");
            assert!(
                (opt.sigma()[i] - rsigma[i]).abs() < 1e-14,
                "step {t}: sigma"
            );
        }
        let mean = losses.iter().sum::<f64>() / 4.0;
        assert!((report.baseline_loss - mean).abs() < 1e-15);
        assert_eq!(report.step, t);
    }
    assert_eq!(opt.counters().forward_passes, 8);
    assert_eq!(opt.counters().updates, 2);
}

#[test]
fn snes_defaults_are_the_papers() {
    let c = SnesConfig::<f64>::new(100, 0.3);
    assert_eq!(c.population, 4 + (3.0 * 100f64.ln()).floor() as usize);
    assert_eq!(c.population, 17);
    assert!((c.eta_sigma - (3.0 + 100f64.ln()) / 50.0).abs() < 1e-15);
    assert_eq!(c.eta_mu, 1.0);
    assert_eq!(SnesConfig::<f64>::new(1, 1.0).population, 4);
    assert_eq!(
        SnesConfig::<f64>::new(usize::MAX, 1.0).population,
        dopamine_core::MAX_POPULATION.min(4 + (3.0 * (usize::MAX as f64).ln()) as usize)
    );
}

/// A NaN anywhere in a SNES step rejects it; `mu` and `sigma` are exactly
/// as they were (the mean never moved), and the step's keys are consumed.
#[test]
fn snes_rejects_a_non_finite_loss_and_changes_nothing() {
    let mut opt = Snes::new(SnesConfig::new(5, 0.2), 5, vec![0.0; 5]).unwrap();
    let mut w = vec![0.1, 0.2, -0.3, 4.0, 5.0];
    let (w0, s0) = (w.clone(), opt.sigma().to_vec());
    let lambda = opt.population();
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut losses = vec![1.0; lambda];
        losses[lambda / 2] = bad;
        let before = opt.step_index();
        let (out, _) = tell(&mut opt, &mut w, &losses);
        assert_eq!(out, StepOutcome::Rejected(Rejection::NonFiniteProbe));
        assert_eq!(w, w0);
        assert_eq!(opt.sigma(), &s0[..]);
        assert_eq!(opt.step_index(), before + 1);
    }
    let c = *opt.counters();
    assert_eq!(
        (c.rejected_probes, c.consecutive_rejections, c.updates),
        (3, 3, 0)
    );
    // A finite step resets the streak.
    let (out, _) = tell(&mut opt, &mut w, &vec![1.0; lambda]);
    assert!(matches!(out, StepOutcome::Updated(_)));
    assert_eq!(opt.counters().consecutive_rejections, 0);
}

/// At the float edge: `f32` means near `f32::MAX`, a loss that rewards
/// growth, a huge `sigma0`. `plan` refuses a distribution that could
/// overflow, an update that would cross the limit is skipped with nothing
/// written, and nothing ever becomes non-finite.
#[test]
fn snes_at_the_float_edge_never_leaves_non_finite_values() {
    let big = 3.0e38f32;
    // Points could overflow: refused at plan, nothing changed.
    let mut opt = Snes::new(SnesConfig::new(2, 1e38f32), 2, vec![0.0f32; 2]).unwrap();
    let w = [big, -big];
    assert_eq!(opt.plan(&w).unwrap_err(), Error::PerturbationOverflow);
    // Room for the points but not for the growth the loss asks for.
    let mut opt = Snes::new(SnesConfig::new(2, 1e36f32), 2, vec![0.0f32; 2]).unwrap();
    let mut w = [3.3e38f32, -3.3e38];
    let mut scratch = [0.0f32; 2];
    let mut skipped = 0;
    for _ in 0..50 {
        let (w0, s0) = (w, opt.sigma().to_vec());
        match opt.step(&mut w, &mut scratch, |p| {
            (-(p[0] as f64 - p[1] as f64) * 1e-30) as f32
        }) {
            Ok(StepOutcome::Rejected(Rejection::UpdateTooLarge)) => {
                skipped += 1;
                assert_eq!(w, w0);
                assert_eq!(opt.sigma(), &s0[..]);
            }
            Ok(_) => {}
            Err(e) => {
                assert_eq!(e, Error::PerturbationOverflow);
                break;
            }
        }
        assert!(w.iter().all(|x| x.is_finite()));
        assert!(opt.sigma().iter().all(|s| s.is_finite() && *s >= 0.0));
    }
    assert!(skipped > 0, "the limit was never reached");
}

/// OpenES's safety net: a NaN probe restores the step; a NaN right after an
/// update undoes it (weights back to within the rounding of the round trip),
/// clears the moments and restarts Adam.
#[test]
fn openes_undoes_a_diverged_update_and_restarts_adam() {
    let config = PerturbConfig {
        sigma: 0.01,
        eta: 0.05,
        probes: 3,
        seed: 9,
        ..PerturbConfig::antithetic()
    };
    let loss = |w: &[f64]| w.iter().map(|x| x * x).sum::<f64>();
    let mut w: Vec<f64> = (0..20).map(|i| (i as f64 * 0.7).sin()).collect();
    let mut opt = OpenEs::new(
        config,
        OpenEsRule::new(OpenEsConfig::default(), vec![0.0; 40]),
        20,
    )
    .unwrap();
    for _ in 0..5 {
        assert!(matches!(
            opt.step(&mut w, loss).unwrap(),
            StepOutcome::Updated(_)
        ));
    }
    assert_eq!(opt.rule().adam_steps(), 5);
    let before_update = w.clone();
    assert!(matches!(
        opt.step(&mut w, loss).unwrap(),
        StepOutcome::Updated(_)
    ));
    let moved = w
        .iter()
        .zip(&before_update)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(moved > 1e-3);
    // The first probe after the update diverges: undone.
    assert!(matches!(
        opt.ask(&mut w).unwrap(),
        Query::Probe {
            probe: 0,
            side: Side::Plus
        }
    ));
    assert_eq!(
        opt.tell(&mut w, f64::NAN).unwrap(),
        Told::Rejected(Rejection::UpdateUndone)
    );
    for (a, b) in w.iter().zip(&before_update) {
        // One rounding of theta + step and one of the subtraction, and the
        // probe's perturb/restore round trip.
        assert!(
            (a - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(0.1),
            "{a} vs {b}"
        );
    }
    assert_eq!(opt.rule().adam_steps(), 0);
    let (m, v) = opt.rule().moments();
    assert!(m.iter().chain(v).all(|x| *x == 0.0));
    assert_eq!(opt.counters().undone_updates, 1);
    // A NaN at a later probe: the step is abandoned, the weights restored.
    let w0 = w.clone();
    let mut told = Told::Probed;
    for l in [1.0, 1.0, f64::NAN] {
        opt.ask(&mut w).unwrap();
        told = opt.tell(&mut w, l).unwrap();
    }
    assert_eq!(told, Told::Rejected(Rejection::NonFiniteProbe));
    for (a, b) in w.iter().zip(&w0) {
        assert!((a - b).abs() <= 2.0 * f64::EPSILON * b.abs().max(0.1));
    }
    // And training goes on from a fresh Adam.
    for _ in 0..5 {
        assert!(matches!(
            opt.step(&mut w, loss).unwrap(),
            StepOutcome::Updated(_)
        ));
    }
    assert_eq!(opt.rule().adam_steps(), 5);
}

/// OpenES refuses every config it cannot run with, at construction.
#[test]
fn openes_refuses_configs_that_cannot_work() {
    let rule = || OpenEsRule::new(OpenEsConfig::<f64>::default(), vec![0.0; 6]);
    let forward = PerturbConfig::<f64>::default();
    let with_baseline = PerturbConfig {
        baseline: dopamine_core::BaselinePolicy::Evaluate,
        ..PerturbConfig::antithetic()
    };
    for (what, c) in [("forward RPE", forward), ("a baseline", with_baseline)] {
        let err = OpenEs::new(c, rule(), 3).unwrap_err();
        assert!(
            matches!(err, Error::IncompatibleConfig(_)),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains("OpenES"), "{err}");
    }
    assert!(OpenEs::new(PerturbConfig::antithetic(), rule(), 3).is_ok());
}

/// The antithetic preset: `2K` evaluations per step for Dopamine-1 too.
#[test]
fn antithetic_preset_costs_two_k_per_step() {
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.05,
        probes: 3,
        seed: 2,
        ..PerturbConfig::<f64>::antithetic()
    };
    assert_eq!(config.forward_passes_per_step(), 6);
    let mut w = vec![1.0; 4];
    let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), 4).unwrap();
    let loss = |w: &[f64]| w.iter().map(|x| x * x).sum::<f64>();
    for s in 1..=50u64 {
        assert!(matches!(
            opt.step(&mut w, loss).unwrap(),
            StepOutcome::Updated(_)
        ));
        assert_eq!(opt.counters().forward_passes, 6 * s);
    }
    assert!(loss(&w) < 4.0 * 0.5);
    // The default config is untouched: forward RPE with a baseline.
    let d = PerturbConfig::<f64>::default();
    assert_eq!(d.forward_passes_per_step(), 2);
}

/// Driving a perturbation optimizer through the population trait is the
/// batch step (and so, bit for bit, ask/tell).
#[test]
fn the_population_trait_drives_every_method_alike() {
    let loss = |w: &[f64]| w.iter().map(|x| (x - 0.5) * (x - 0.5)).sum::<f64>();
    let config = PerturbConfig {
        sigma: 0.01,
        eta: 0.02,
        probes: 4,
        seed: 5,
        ..PerturbConfig::antithetic()
    };
    let make = || {
        OpenEs::new(
            config,
            OpenEsRule::new(OpenEsConfig::default(), vec![0.0; 16]),
            8,
        )
        .unwrap()
    };
    let (mut a, mut b) = (make(), make());
    let (mut wa, mut wb) = (vec![0.0; 8], vec![0.0; 8]);
    let (mut base, mut point, mut losses) = (vec![0.0; 8], vec![0.0; 8], vec![0.0; 8]);
    for _ in 0..30 {
        let oa =
            step_population(&mut a, &mut wa, &mut base, &mut point, &mut losses, loss).unwrap();
        let ob = b.step(&mut wb, loss).unwrap();
        assert_eq!(oa, ob);
        assert_eq!(wa, wb);
    }
    assert_eq!(PopulationOptimizer::counters(&a), b.counters());
    assert_eq!(PopulationOptimizer::current_plan(&a), None);
    let plan = a.plan(&wa).unwrap();
    assert_eq!(
        PopulationOptimizer::current_plan(&a),
        Some(dopamine_core::Plan::Perturbation(plan))
    );
    // SNES: the base never moves, walk_past checks only, misuse is typed.
    let mut snes = Snes::new(SnesConfig::new(8, 0.1), 8, vec![0.0; 8]).unwrap();
    let w = vec![0.25; 8];
    assert_eq!(
        snes.tell_all(&mut w.clone(), &[0.0; 7]),
        Err(Error::BatchOutOfOrder)
    );
    let n = snes.points_per_step();
    assert!(snes.current_plan().is_none());
    // The plan can be dropped and recovered (a binding returns between
    // points): the recovered one builds the same points.
    let mut first_point = vec![0.0; 8];
    let first = snes.plan(&w).unwrap();
    first
        .build_point(1, &mut w.clone(), &mut first_point)
        .unwrap();
    let plan = snes.current_plan().unwrap();
    let mut again = vec![0.0; 8];
    plan.build_point(1, &mut w.clone(), &mut again).unwrap();
    assert_eq!(first_point, again);
    assert_eq!((plan.len(), plan.dim(), plan.step()), (n, 8, 0));
    let mut base = w.clone();
    let mut out = vec![0.0; 8];
    for e in 0..n {
        plan.build_point(e, &mut base, &mut out).unwrap();
        plan.walk_past(e, &mut base).unwrap();
        assert_eq!(base, w);
        assert_ne!(out, w);
    }
    assert_eq!(
        plan.build_point(n, &mut base, &mut out),
        Err(Error::PointOutOfRange { point: n, len: n })
    );
    assert_eq!(
        plan.walk_past(0, &mut base[..7]),
        Err(Error::LengthMismatch {
            expected: 8,
            got: 7
        })
    );
    let mut w2 = w.clone();
    assert_eq!(
        snes.tell_all(&mut w2, &vec![0.0; n + 1]),
        Err(Error::LengthMismatch {
            expected: n,
            got: n + 1
        })
    );
    // The plan still stands after a refused tell_all.
    let losses: Vec<f64> = (0..n).map(|k| k as f64).collect();
    assert!(matches!(
        snes.tell_all(&mut w2, &losses),
        Ok(StepOutcome::Updated(_))
    ));
    assert_eq!(
        step_population(
            &mut snes,
            &mut w2,
            &mut base,
            &mut out,
            &mut vec![0.0; n - 1],
            loss
        ),
        Err(Error::LengthMismatch {
            expected: n,
            got: n - 1
        })
    );
}

/// Every step of a run is a pure function of the seed: two SNES runs agree
/// bit for bit, and the `f32` run follows the `f64` one closely.
#[test]
fn snes_runs_are_deterministic() {
    let loss = |w: &[f64]| w.iter().map(|x| (x - 1.0) * (x - 1.0)).sum::<f64>();
    let run = || {
        let mut c = SnesConfig::new(6, 0.3);
        c.seed = 11;
        let mut opt = Snes::new(c, 6, vec![0.0; 6]).unwrap();
        let mut w = vec![0.0; 6];
        let mut scratch = vec![0.0; 6];
        for _ in 0..100 {
            let outcome = opt.step(&mut w, &mut scratch, loss).unwrap();
            assert!(matches!(outcome, StepOutcome::Updated(_)), "{outcome:?}");
        }
        (w, opt.sigma().to_vec())
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert!(loss(&a.0) < 1e-4, "{}", loss(&a.0));
}
