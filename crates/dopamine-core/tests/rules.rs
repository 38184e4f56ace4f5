//! The rules' behaviour: WP's direction is `-grad`, Dopamine-1 is loss-scale invariant and its signal bounded, runs are deterministic and resumable.

use dopamine_core::noise::GAUSSIAN_MAX_ABS;
use dopamine_core::{
    AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, NoiseKey, NoiseKind,
    NoiseStream, PerturbConfig, PerturbationOptimizer, Query, Rejection, RpeMode,
    SecondMomentConfig, StepOutcome, Told, UpdateRule, Wp, WpRule,
};
use proptest::prelude::*;

fn run_steps<R: UpdateRule<f64>>(
    opt: &mut dopamine_core::PerturbationOptimizer<f64, R>,
    w: &mut [f64],
    steps: usize,
    loss: impl Fn(&[f64]) -> f64,
) {
    for _ in 0..steps {
        let out = opt.step(w, &loss).unwrap();
        assert!(matches!(out, StepOutcome::Updated(_)), "{out:?}");
    }
}

/// Every RPE is 0 with a constant loss, so the update adds `0 * z`: exact.
/// With Gaussian noise, only the perturb/restore round trips move a weight,
/// each by at most one ulp of `max(|w|, |sigma z|)`. With Rademacher noise,
/// a power-of-two sigma and dyadic weights they are exact too.
#[test]
fn constant_loss_leaves_weights_unchanged() {
    // Gaussian: after one step, within one ulp of max(|w|, sigma * GAUSSIAN_MAX_ABS) per probe.
    let w0: Vec<f64> = (0..200).map(|i| (i as f64 * 0.173).sin() * 5.0).collect();
    let config = PerturbConfig {
        sigma: 1e-2,
        eta: 0.1,
        probes: 3,
        seed: 4,
        ..Default::default()
    };
    let mut w = w0.clone();
    let mut opt = Wp::new(config, WpRule::default(), w.len()).unwrap();
    run_steps(&mut opt, &mut w, 1, |_| 2.5);
    for (a, b) in w.iter().zip(&w0) {
        assert!(
            (a - b).abs() <= 3.0 * f64::EPSILON * b.abs().max(1e-2 * GAUSSIAN_MAX_ABS),
            "{a} vs {b}"
        );
    }
    // Exact: 100 steps of each rule leave dyadic weights bit for bit.
    let w0: Vec<f64> = (0..64).map(|i| (i as f64 - 32.0) * 0.5).collect();
    let config = PerturbConfig {
        sigma: 2f64.powi(-8),
        eta: 0.1,
        probes: 2,
        noise: NoiseKind::Rademacher,
        seed: 4,
        ..Default::default()
    };
    let mut w = w0.clone();
    run_steps(
        &mut Wp::new(config, WpRule::default(), 64).unwrap(),
        &mut w,
        100,
        |_| 2.5,
    );
    assert_eq!(w, w0);
    run_steps(
        &mut Dopamine1::new(config, Dopamine1Rule::default(), 64).unwrap(),
        &mut w,
        100,
        |_| 2.5,
    );
    assert_eq!(w, w0);
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; 64]);
    run_steps(
        &mut Dopamine2::new(config, rule, 64).unwrap(),
        &mut w,
        100,
        |_| 2.5,
    );
    assert_eq!(w, w0);
}

const DIM: usize = 10;

/// `L(w) = 0.5 w^T A w - b^T w` with a fixed SPD `A`; gradient `A w - b`.
struct Quadratic {
    a: [[f64; DIM]; DIM],
    b: [f64; DIM],
}

impl Quadratic {
    fn new() -> Self {
        let mut a = [[0.0; DIM]; DIM];
        for (i, row) in a.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = if i == j {
                    2.0 + i as f64 * 0.5
                } else {
                    0.3 / (1.0 + (i as f64 - j as f64).abs())
                };
            }
        }
        let b = core::array::from_fn(|i| (i as f64 * 0.7).cos());
        Self { a, b }
    }
    fn loss(&self, w: &[f64]) -> f64 {
        let mut l = 0.0;
        for i in 0..DIM {
            let aw: f64 = (0..DIM).map(|j| self.a[i][j] * w[j]).sum();
            l += 0.5 * w[i] * aw - self.b[i] * w[i];
        }
        l
    }
    fn grad(&self, w: &[f64]) -> [f64; DIM] {
        core::array::from_fn(|i| (0..DIM).map(|j| self.a[i][j] * w[j]).sum::<f64>() - self.b[i])
    }
}

/// WP's direction `d = (delta / sigma) z` has mean `-grad`. With eta = 1 and
/// K = 1 a WP step moves the weights by exactly `d`; averaging the move over
/// N = 40,000 steps from the same point (reset after each) estimates `E[d]`.
/// For a quadratic the antithetic RPE is exactly `-sigma grad·z`, and the
/// forward RPE's extra term `-sigma^2/2 z^T A z` has zero mean once
/// multiplied by `z`. `Var(d_i) = |g|^2 + g_i^2` per sample, so the relative
/// error of the mean has SE `sqrt((DIM + 1) / N)` ≈ 1.7%; we allow 6% (3.6 SE)
/// and ask for a cosine similarity above 0.99.
#[test]
fn wp_mean_direction_is_minus_gradient() {
    let q = Quadratic::new();
    let w0: Vec<f64> = (0..DIM).map(|i| 1.0 - 0.2 * i as f64).collect();
    let g = q.grad(&w0);
    let gnorm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
    let n = 40_000;
    for (rpe, kind) in [
        (RpeMode::Antithetic, NoiseKind::Gaussian),
        (RpeMode::Forward, NoiseKind::Gaussian),
        (RpeMode::Forward, NoiseKind::Rademacher),
    ] {
        let config = PerturbConfig {
            sigma: 1e-4,
            eta: 1.0,
            rpe,
            noise: kind,
            seed: 99,
            ..Default::default()
        };
        let mut opt = Wp::new(config, WpRule::default(), DIM).unwrap();
        let mut mean = [0.0f64; DIM];
        let mut w = w0.clone();
        for _ in 0..n {
            w.copy_from_slice(&w0);
            run_steps(&mut opt, &mut w, 1, |p| q.loss(p));
            for i in 0..DIM {
                mean[i] += (w[i] - w0[i]) / n as f64;
            }
        }
        let dot: f64 = mean.iter().zip(&g).map(|(m, g)| -m * g).sum();
        let mnorm = mean.iter().map(|x| x * x).sum::<f64>().sqrt();
        let cosine = dot / (mnorm * gnorm);
        let err = mean
            .iter()
            .zip(&g)
            .map(|(m, g)| (m + g) * (m + g))
            .sum::<f64>()
            .sqrt()
            / gnorm;
        println!("{rpe:?} {kind:?}: cosine {cosine:.5}, relative error {err:.4}");
        assert!(cosine > 0.99, "{rpe:?} {kind:?}: cosine {cosine}");
        assert!(err < 0.06, "{rpe:?} {kind:?}: relative error {err}");
    }
}

/// Trains `c * L` and `L` with Dopamine-1 (f64) for 200 steps and returns the
/// largest relative difference of the weights.
fn scale_gap(c: f64, probes: usize, rpe: RpeMode) -> f64 {
    let target: Vec<f64> = (0..8).map(|i| 10.0 - 3.0 * i as f64).collect();
    let loss = |w: &[f64]| -> f64 {
        // Scaled up so that even 1e-3 * L has c^2 v >> eps.
        1e4 * w
            .iter()
            .zip(&target)
            .enumerate()
            .map(|(i, (a, t))| (1.0 + i as f64) * (a - t) * (a - t))
            .sum::<f64>()
    };
    let config = PerturbConfig {
        sigma: 0.1,
        eta: 0.2,
        probes,
        rpe,
        seed: 21,
        ..Default::default()
    };
    let mut w1 = vec![0.0f64; 8];
    let mut w2 = vec![0.0f64; 8];
    let mut o1 = Dopamine1::new(config, Dopamine1Rule::default(), 8).unwrap();
    let mut o2 = Dopamine1::new(config, Dopamine1Rule::default(), 8).unwrap();
    let mut min_v = f64::INFINITY;
    for _ in 0..200 {
        let StepOutcome::Updated(r) = o1.step(&mut w1, loss).unwrap() else {
            panic!()
        };
        // The premise of the test: eps = 1e-12 is negligible against c^2 v.
        let s = r.coding.expect("Dopamine codes its RPEs").surprise_size;
        min_v = min_v.min(c * c * s * s);
        assert!(matches!(
            o2.step(&mut w2, |p| c * loss(p)).unwrap(),
            StepOutcome::Updated(_)
        ));
    }
    // The premise of the test: eps = 1e-12 is negligible against c^2 v.
    assert!(min_v > 1.0, "c^2 v = {min_v}");
    // Training made progress, so the comparison is not between two start points.
    assert!(
        loss(&w1) < 0.8 * loss(&[0.0; 8]),
        "{} vs {}",
        loss(&w1),
        loss(&[0.0; 8])
    );
    w1.iter()
        .zip(&w2)
        .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
        .fold(0.0, f64::max)
}

/// `L -> cL` scales every RPE, `b` and `r` by `c` and `v` by `c^2`, so
/// `D = r / sqrt(v + eps)` changes only through `eps` (relative effect
/// `eps / (c^2 v)`, below 1e-8 here) and rounding of `c * L`. The
/// trajectories agree to a relative 1e-6 after 200 steps.
#[test]
fn dopamine1_is_invariant_to_the_loss_scale() {
    for c in [1e-3, 0.1, 10.0, 1e3] {
        for (probes, rpe) in [(1, RpeMode::Forward), (4, RpeMode::Antithetic)] {
            let gap = scale_gap(c, probes, rpe);
            println!("c = {c:e}, K = {probes}: largest relative weight gap {gap:e}");
            assert!(gap < 1e-6, "c = {c}, K = {probes}: gap {gap}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn dopamine1_scale_invariance_any_c(log_c in -3.0f64..3.0) {
        let gap = scale_gap(10f64.powf(log_c), 2, RpeMode::Forward);
        prop_assert!(gap < 1e-6, "gap {}", gap);
    }
}

/// Recovers the signals `D_k` of the last update from the weight change
/// `dw = eta/K * sum_k D_k z_k` by solving the K×K normal equations.
fn recover_signals(dw: &[f64], eta: f64, seed: u64, step: u64, k: usize) -> Vec<f64> {
    let z: Vec<Vec<f64>> = (0..k)
        .map(|p| {
            let mut v = vec![0.0; dw.len()];
            NoiseStream::new(NoiseKey::new(seed, step, p as u32), NoiseKind::Gaussian)
                .fill(0, &mut v);
            v
        })
        .collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut m: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            let mut row: Vec<f64> = (0..k).map(|j| dot(&z[i], &z[j])).collect();
            row.push(dot(&z[i], dw) * k as f64 / eta);
            row
        })
        .collect();
    // Gaussian elimination (the Gram matrix is SPD and well conditioned).
    for col in 0..k {
        for row in col + 1..k {
            let f = m[row][col] / m[col][col];
            let pivot = m[col].clone();
            for (x, p) in m[row].iter_mut().zip(&pivot).skip(col) {
                *x -= f * p;
            }
        }
    }
    let mut d = vec![0.0; k];
    for i in (0..k).rev() {
        let s: f64 = (i + 1..k).map(|j| m[i][j] * d[j]).sum();
        d[i] = (m[i][k] - s) / m[i][i];
    }
    d
}

/// `|D_k| <= sqrt(K / (1 - beta))` whatever the loss does: here it jumps by
/// ±1e30 at random evaluations. The bound is also nearly reached (a jump
/// after a quiet stretch), which shows the measurement is not vacuous.
#[test]
fn dopamine1_signal_is_bounded_on_adversarial_losses() {
    let dim = 64;
    for k in [1usize, 4] {
        for beta in [0.0, 0.5, 0.9, 0.99] {
            for bias_correction in [true, false] {
                let coding = AdaptiveCoding {
                    beta,
                    bias_correction,
                    ..Default::default()
                };
                let eta = 0.01;
                let config = PerturbConfig {
                    sigma: 1e-2,
                    eta,
                    probes: k,
                    seed: 5,
                    ..Default::default()
                };
                let mut opt = Dopamine1::new(config, Dopamine1Rule::new(coding), dim).unwrap();
                let mut w = vec![0.5f64; dim];
                let mut state = 12345u64;
                let mut evals = 0u64;
                let bound = (k as f64 / (1.0 - beta)).sqrt();
                let mut max_d = 0.0f64;
                for step in 0..600u64 {
                    let before = w.clone();
                    let out = opt
                        .step(&mut w, |p| {
                            evals += 1;
                            state = state
                                .wrapping_mul(6364136223846793005)
                                .wrapping_add(1442695040888963407);
                            let u = (state >> 33) as f64 / (1u64 << 31) as f64;
                            let base: f64 = p.iter().map(|x| x * x).sum();
                            if u < 0.01 {
                                base + 1e30
                            } else if u < 0.02 {
                                base - 1e30
                            } else {
                                base
                            }
                        })
                        .unwrap();
                    let StepOutcome::Updated(_) = out else {
                        panic!("{out:?}")
                    };
                    let dw: Vec<f64> = w.iter().zip(&before).map(|(a, b)| a - b).collect();
                    for d in recover_signals(&dw, eta, 5, step, k) {
                        assert!(
                            d.abs() <= bound * (1.0 + 1e-6),
                            "K {k} beta {beta}: |D| = {} > {bound}",
                            d.abs()
                        );
                        max_d = max_d.max(d.abs());
                    }
                }
                // With beta = 0.99, v forgets a jump only over hundreds of
                // steps, so the jumps (every ~17 steps) never meet a quiet v.
                let reach = if beta > 0.9 { 0.25 } else { 0.8 };
                assert!(
                    max_d > reach * bound,
                    "K {k} beta {beta} bc {bias_correction}: max |D| {max_d}, bound {bound}"
                );
            }
        }
    }
}

/// Each step costs `1 + K` (forward) or `1 + 2K` (antithetic) forward passes.
#[test]
fn forward_passes_per_step_match_the_config() {
    for rpe in [RpeMode::Forward, RpeMode::Antithetic] {
        for k in [1usize, 2, 5, 32] {
            let config = PerturbConfig {
                probes: k,
                rpe,
                ..Default::default()
            };
            let expected = 1 + k as u64 * if rpe == RpeMode::Forward { 1 } else { 2 };
            assert_eq!(config.forward_passes_per_step(), expected);
            let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), 3).unwrap();
            let mut w = [1.0f64, 2.0, 3.0];
            let mut calls = 0u64;
            for _ in 0..7 {
                let outcome = opt
                    .step(&mut w, |p| {
                        calls += 1;
                        p.iter().map(|x| x * x).sum()
                    })
                    .unwrap();
                assert!(matches!(outcome, StepOutcome::Updated(_)), "{outcome:?}");
            }
            assert_eq!(calls, 7 * expected);
            assert_eq!(opt.counters().forward_passes, 7 * expected);
            assert_eq!(opt.counters().updates, 7);
            assert_eq!(opt.step_index(), 7);
        }
    }
}

fn trajectory(seed: u64, which: usize) -> Vec<f64> {
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.02,
        probes: 2,
        seed,
        ..Default::default()
    };
    let loss = |p: &[f64]| {
        p.iter()
            .enumerate()
            .map(|(i, x)| (x - i as f64).powi(2))
            .sum::<f64>()
    };
    let mut w = vec![0.0f64; 20];
    match which {
        0 => run_steps(
            &mut Wp::new(config, WpRule::default(), 20).unwrap(),
            &mut w,
            100,
            loss,
        ),
        1 => run_steps(
            &mut Dopamine1::new(config, Dopamine1Rule::default(), 20).unwrap(),
            &mut w,
            100,
            loss,
        ),
        _ => {
            let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; 20]);
            run_steps(
                &mut Dopamine2::new(config, rule, 20).unwrap(),
                &mut w,
                100,
                loss,
            )
        }
    }
    w
}

#[test]
fn runs_are_deterministic_per_seed() {
    for which in 0..3 {
        let a = trajectory(7, which);
        let b = trajectory(7, which);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b), "rule {which}");
        let c = trajectory(8, which);
        assert!(
            a.iter().zip(&c).all(|(x, y)| x != y),
            "rule {which}: seeds 7 and 8 share a weight"
        );
    }
}

/// Dopamine-2 with `lambda = 0` is Dopamine-1 (the trace is the last step's
/// signal), up to the rounding of `eta * (D z)` against `(eta D) * z`.
#[test]
fn dopamine2_with_zero_lambda_is_dopamine1() {
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.02,
        probes: 3,
        seed: 1,
        ..Default::default()
    };
    let loss = |p: &[f64]| {
        p.iter()
            .enumerate()
            .map(|(i, x)| (x - i as f64).powi(2))
            .sum::<f64>()
    };
    let mut w1 = vec![0.0f64; 20];
    let mut w2 = vec![0.0f64; 20];
    run_steps(
        &mut Dopamine1::new(config, Dopamine1Rule::default(), 20).unwrap(),
        &mut w1,
        50,
        loss,
    );
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.0, vec![0.0; 20]);
    run_steps(
        &mut Dopamine2::new(config, rule, 20).unwrap(),
        &mut w2,
        50,
        loss,
    );
    for (a, b) in w1.iter().zip(&w2) {
        assert!((a - b).abs() < 1e-9 * a.abs().max(1.0), "{a} vs {b}");
    }
}

/// The trace follows `e = lambda e + (1/K) sum_k D_k z_k` and the weights
/// `w += eta (1 - lambda) e`: check the second update against the first.
#[test]
fn dopamine2_trace_recursion() {
    let lambda = 0.75;
    let eta = 0.04;
    let config = PerturbConfig {
        sigma: 1e-3,
        eta,
        seed: 2,
        ..Default::default()
    };
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), lambda, vec![1.0; 6]);
    let mut opt = Dopamine2::new(config, rule, 6).unwrap();
    assert!(
        opt.rule().trace().iter().all(|e| *e == 0.0),
        "the trace is zeroed at construction"
    );
    let loss = |p: &[f64]| p.iter().map(|x| (x - 3.0).powi(2)).sum::<f64>();
    let mut w = vec![0.0f64; 6];
    run_steps(&mut opt, &mut w, 1, loss);
    let e1 = opt.rule().trace().to_vec();
    let w1 = w.clone();
    run_steps(&mut opt, &mut w, 1, loss);
    let e2 = opt.rule().trace().to_vec();
    for i in 0..6 {
        assert!((w[i] - w1[i] - eta * (1.0 - lambda) * e2[i]).abs() < 1e-14);
    }
    // e2 - lambda e1 is D z for one probe: parallel to that step's z.
    let mut z = vec![0.0; 6];
    NoiseStream::new(NoiseKey::new(2, 1, 0), NoiseKind::Gaussian).fill(0, &mut z);
    let fresh: Vec<f64> = (0..6).map(|i| e2[i] - lambda * e1[i]).collect();
    let d = fresh[0] / z[0];
    for i in 0..6 {
        assert!((fresh[i] - d * z[i]).abs() < 1e-12, "{i}");
    }
}

/// A `Dopamine1<f64>` optimizer serialised mid-run (between steps and in the
/// middle of a step) and resumed continues bit for bit.
#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_resumes_bit_identically() {
    use dopamine_core::Told;

    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.02,
        probes: 3,
        seed: 17,
        ..Default::default()
    };
    let loss = |p: &[f64]| {
        p.iter()
            .enumerate()
            .map(|(i, x)| (x - i as f64).powi(2) + x.sin())
            .sum::<f64>()
    };
    let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), 12).unwrap();
    let mut w = vec![0.3f64; 12];
    run_steps(&mut opt, &mut w, 37, loss);
    // Mid-step: the baseline has been told.
    opt.ask(&mut w).unwrap();
    let l = loss(&w);
    assert!(matches!(
        opt.tell(&mut w, l).unwrap(),
        Told::Baseline { .. }
    ));
    let json = serde_json::to_string(&opt).unwrap();
    let mut resumed: Dopamine1<f64> = serde_json::from_str(&json).unwrap();
    assert_eq!(resumed, opt);
    let mut w2 = w.clone();
    let drive = |o: &mut Dopamine1<f64>, w: &mut Vec<f64>| {
        for _ in 0..200 {
            o.ask(w).unwrap();
            let l = loss(w);
            let told = o.tell(w, l).unwrap();
            assert!(!matches!(told, Told::Rejected(_)), "{told:?}");
        }
    };
    drive(&mut opt, &mut w);
    drive(&mut resumed, &mut w2);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&w), bits(&w2));
    assert_eq!(resumed, opt);

    // Dopamine-2 with a Vec trace, between steps.
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0f64; 12]);
    let mut opt = Dopamine2::new(config, rule, 12).unwrap();
    let mut w = vec![0.3f64; 12];
    run_steps(&mut opt, &mut w, 20, loss);
    let json = serde_json::to_string(&opt).unwrap();
    let mut resumed: Dopamine2<f64, Vec<f64>> = serde_json::from_str(&json).unwrap();
    let mut w2 = w.clone();
    run_steps(&mut opt, &mut w, 50, loss);
    run_steps(&mut resumed, &mut w2, 50, loss);
    assert_eq!(bits(&w), bits(&w2));

    // Dopamine-1 with the second-moment option, and OpenES.
    let rule = Dopamine1Rule::default()
        .with_second_moment(SecondMomentConfig::default(), vec![0.0f64; 12]);
    let mut opt = Dopamine1::new(config, rule, 12).unwrap();
    let mut w = vec![0.3f64; 12];
    run_steps(&mut opt, &mut w, 20, loss);
    let json = serde_json::to_string(&opt).unwrap();
    let mut resumed: Dopamine1<f64, Vec<f64>> = serde_json::from_str(&json).unwrap();
    let mut w2 = w.clone();
    run_steps(&mut opt, &mut w, 50, loss);
    run_steps(&mut resumed, &mut w2, 50, loss);
    assert_eq!(bits(&w), bits(&w2));
    let es = PerturbConfig {
        probes: 3,
        ..PerturbConfig::antithetic()
    };
    let rule =
        dopamine_core::OpenEsRule::new(dopamine_core::OpenEsConfig::default(), vec![0.0f64; 24]);
    let mut opt = dopamine_core::OpenEs::new(es, rule, 12).unwrap();
    let mut w = vec![0.3f64; 12];
    run_steps(&mut opt, &mut w, 20, loss);
    let json = serde_json::to_string(&opt).unwrap();
    let mut resumed: dopamine_core::OpenEs<f64, Vec<f64>> = serde_json::from_str(&json).unwrap();
    let mut w2 = w.clone();
    run_steps(&mut opt, &mut w, 50, loss);
    run_steps(&mut resumed, &mut w2, 50, loss);
    assert_eq!(bits(&w), bits(&w2));
    assert_eq!(resumed, opt);

    // SNES between steps.
    let mut opt = dopamine_core::Snes::new(
        dopamine_core::SnesConfig::new(12, 0.2),
        12,
        vec![0.0f64; 12],
    )
    .unwrap();
    let mut w = vec![0.3f64; 12];
    let mut scratch = vec![0.0f64; 12];
    for _ in 0..20 {
        let outcome = opt.step(&mut w, &mut scratch, loss).unwrap();
        assert!(matches!(outcome, StepOutcome::Updated(_)), "{outcome:?}");
    }
    let json = serde_json::to_string(&opt).unwrap();
    let mut resumed: dopamine_core::Snes<f64, Vec<f64>> = serde_json::from_str(&json).unwrap();
    let mut w2 = w.clone();
    for _ in 0..50 {
        let a = opt.step(&mut w, &mut scratch, loss).unwrap();
        let b = resumed.step(&mut w2, &mut scratch, loss).unwrap();
        assert_eq!(a, b);
    }
    assert_eq!(bits(&w), bits(&w2));
    assert_eq!(resumed, opt);
}

/// Trains `c * L` and `L` with a rule built by `make` (f64, 8 parameters)
/// for 200 steps and returns the largest relative difference of the weights.
fn scale_gap_of<R: UpdateRule<f64>>(
    c: f64,
    make: impl Fn() -> PerturbationOptimizer<f64, R>,
) -> f64 {
    let target: Vec<f64> = (0..8).map(|i| 10.0 - 3.0 * i as f64).collect();
    let loss = |w: &[f64]| -> f64 {
        1e4 * w
            .iter()
            .zip(&target)
            .enumerate()
            .map(|(i, (a, t))| (1.0 + i as f64) * (a - t) * (a - t))
            .sum::<f64>()
    };
    let (mut w1, mut w2) = (vec![0.0f64; 8], vec![0.0f64; 8]);
    let (mut o1, mut o2) = (make(), make());
    for _ in 0..200 {
        assert!(matches!(
            o1.step(&mut w1, loss).unwrap(),
            StepOutcome::Updated(_)
        ));
        assert!(matches!(
            o2.step(&mut w2, |p| c * loss(p)).unwrap(),
            StepOutcome::Updated(_)
        ));
    }
    assert!(loss(&w1) < 0.8 * loss(&[0.0; 8]), "no progress");
    w1.iter()
        .zip(&w2)
        .map(|(a, b)| (a - b).abs() / a.abs().max(1.0))
        .fold(0.0, f64::max)
}

fn moment_config(probes: usize, rpe: RpeMode) -> PerturbConfig<f64> {
    PerturbConfig {
        sigma: 0.1,
        eta: 0.2,
        probes,
        rpe,
        seed: 21,
        ..Default::default()
    }
}

/// The second-moment normalisation keeps Dopamine's invariance to the loss
/// scale: `D` is scale-free, so `d`, `u` and the step are too. Same premise
/// and tolerance as Dopamine-1's test (measured gaps of order 1e-13).
#[test]
fn second_moment_keeps_the_loss_scale_invariance() {
    let m = SecondMomentConfig::default();
    for c in [1e-3, 0.1, 10.0, 1e3] {
        for (probes, rpe) in [(1, RpeMode::Forward), (4, RpeMode::Antithetic)] {
            let d1 = scale_gap_of(c, || {
                let rule = Dopamine1Rule::default().with_second_moment(m, vec![0.0; 8]);
                Dopamine1::new(moment_config(probes, rpe), rule, 8).unwrap()
            });
            let d2 = scale_gap_of(c, || {
                let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; 8])
                    .with_second_moment(m, vec![0.0; 8]);
                Dopamine2::new(moment_config(probes, rpe), rule, 8).unwrap()
            });
            println!("c = {c:e}, K = {probes}: gap D1 {d1:e}, D2 {d2:e}");
            assert!(d1 < 1e-6 && d2 < 1e-6, "c = {c}, K = {probes}: {d1} {d2}");
        }
    }
}

/// The normalised step, checked against its formula: the first update is
/// `eta d / (|d| + eps)` per weight (u_hat = d^2 at t = 1), every step
/// stays below `eta sqrt((1 - beta2^t) / (1 - beta2))` per weight, and the
/// bound is approached later too (a weight whose coded update jumps after
/// quiet steps).
#[test]
fn second_moment_step_follows_its_formula_and_bound() {
    let eta = 0.01;
    let beta2 = 0.9;
    let config = PerturbConfig {
        sigma: 1e-3,
        eta,
        seed: 5,
        ..Default::default()
    };
    let m = SecondMomentConfig { beta2, eps: 1e-8 };
    let mut opt = Dopamine1::new(
        config,
        Dopamine1Rule::default().with_second_moment(m, vec![0.0; 16]),
        16,
    )
    .unwrap();
    let loss = |w: &[f64]| {
        w.iter()
            .enumerate()
            .map(|(i, x)| (i as f64 + 1.0) * (x - 1.0).powi(2))
            .sum::<f64>()
    };
    let mut w = vec![0.0f64; 16];
    let mut largest = 0.0f64;
    for t in 1..=300i32 {
        let before = w.clone();
        assert!(matches!(
            opt.step(&mut w, loss).unwrap(),
            StepOutcome::Updated(_)
        ));
        let bound = eta * ((1.0 - beta2.powi(t)) / (1.0 - beta2)).sqrt();
        for (a, b) in w.iter().zip(&before) {
            let step = (a - b).abs();
            assert!(step <= bound * (1.0 + 1e-9), "t {t}: {step} > {bound}");
            if t == 1 {
                // `eta |d| / (|d| + eps)`: eta up to `eps / |d|` (about 1e-7
                // for the smallest coded update of this seed's first step).
                assert!((step - eta).abs() < 1e-6 * eta, "first step {step}");
            } else {
                largest = largest.max(step / bound);
            }
        }
    }
    println!("largest step / bound after the first step: {largest}");
    assert!(largest > 0.5, "the bound is far from reached: {largest}");
    assert!(loss(&w) < 0.5 * loss(&[0.0; 16]), "{}", loss(&w));
    assert_eq!(opt.rule().second_moment().unwrap().steps(), 300);
}

/// Dopamine-2 with `lambda = 0` and the option is Dopamine-1 with the option
/// (the normalised update enters the trace and leaves it at once), up to
/// the rounding of `eta (1 - 0) n` against `eta n`.
#[test]
fn dopamine2_with_zero_lambda_and_second_moment_is_dopamine1_with_it() {
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.02,
        probes: 3,
        seed: 1,
        ..Default::default()
    };
    let loss = |p: &[f64]| {
        p.iter()
            .enumerate()
            .map(|(i, x)| (x - i as f64).powi(2))
            .sum::<f64>()
    };
    let m = SecondMomentConfig::default();
    let (mut w1, mut w2) = (vec![0.0f64; 20], vec![0.0f64; 20]);
    let rule = Dopamine1Rule::default().with_second_moment(m, vec![0.0; 20]);
    run_steps(
        &mut Dopamine1::new(config, rule, 20).unwrap(),
        &mut w1,
        50,
        loss,
    );
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.0, vec![0.0; 20])
        .with_second_moment(m, vec![0.0; 20]);
    run_steps(
        &mut Dopamine2::new(config, rule, 20).unwrap(),
        &mut w2,
        50,
        loss,
    );
    for (a, b) in w1.iter().zip(&w2) {
        assert!((a - b).abs() < 1e-9 * a.abs().max(1.0), "{a} vs {b}");
    }
    // And the option changes the trajectory (it is not a no-op).
    let mut w3 = vec![0.0f64; 20];
    run_steps(
        &mut Dopamine1::new(config, Dopamine1Rule::default(), 20).unwrap(),
        &mut w3,
        50,
        loss,
    );
    assert!(w1.iter().zip(&w3).any(|(a, b)| (a - b).abs() > 1e-3));
}

/// Undo with the option: a NaN right after an update takes it back (to
/// within the rounding of the round trip); `u` keeps the update's `d^2`.
#[test]
fn second_moment_update_is_undone() {
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.05,
        probes: 2,
        seed: 8,
        ..Default::default()
    };
    let loss = |p: &[f64]| p.iter().map(|x| (x - 2.0).powi(2)).sum::<f64>();
    let m = SecondMomentConfig::default();
    let mut w = vec![0.5f64; 12];
    let rule = Dopamine1Rule::default().with_second_moment(m, vec![0.0; 12]);
    let mut opt = Dopamine1::new(config, rule, 12).unwrap();
    run_steps(&mut opt, &mut w, 3, loss);
    let start = w.clone();
    run_steps(&mut opt, &mut w, 1, loss);
    let u_after = opt.rule().second_moment().unwrap().values().to_vec();
    assert!(w.iter().zip(&start).any(|(a, b)| (a - b).abs() > 1e-3));
    assert_eq!(opt.ask(&mut w).unwrap(), Query::Baseline);
    assert_eq!(
        opt.tell(&mut w, f64::NAN).unwrap(),
        Told::Rejected(Rejection::UpdateUndone)
    );
    for (a, b) in w.iter().zip(&start) {
        assert!(
            (a - b).abs() <= 2.0 * f64::EPSILON * b.abs().max(0.1),
            "{a} vs {b}"
        );
    }
    assert_eq!(opt.rule().second_moment().unwrap().values(), &u_after[..]);
    // Dopamine-2: the trace is cleared, as without the option.
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; 12])
        .with_second_moment(m, vec![0.0; 12]);
    let mut opt = Dopamine2::new(config, rule, 12).unwrap();
    let mut w = vec![0.5f64; 12];
    run_steps(&mut opt, &mut w, 4, loss);
    let start = w.clone();
    run_steps(&mut opt, &mut w, 1, loss);
    assert_eq!(opt.ask(&mut w).unwrap(), Query::Baseline);
    assert_eq!(
        opt.tell(&mut w, f64::INFINITY).unwrap(),
        Told::Rejected(Rejection::UpdateUndone)
    );
    for (a, b) in w.iter().zip(&start) {
        assert!(
            (a - b).abs() <= 2.0 * f64::EPSILON * b.abs().max(0.1),
            "{a} vs {b}"
        );
    }
    assert!(opt.rule().trace().iter().all(|e| *e == 0.0));
}
