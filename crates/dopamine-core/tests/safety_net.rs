//! The safety net: non-finite losses at a probe or after an update put the weights back where the step began.

use dopamine_core::{
    AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, NoiseKind, PerturbConfig,
    Query, Rejection, StepOutcome, Told, Wp, WpConfig, WpRule,
};
use proptest::prelude::*;

/// Dyadic weights: with Rademacher noise and power-of-two sigma and update
/// coefficients, every perturbation, restore, update and undo is exact.
fn dyadic_weights() -> Vec<f64> {
    (0..40).map(|i| (i as f64 - 20.0) * 0.25).collect()
}

fn dyadic_config(probes: usize) -> PerturbConfig<f64> {
    PerturbConfig {
        sigma: 0.0625,
        eta: 0.125,
        probes,
        noise: NoiseKind::Rademacher,
        seed: 11,
        ..Default::default()
    }
}

/// Drives one step by hand; `losses` gives the loss of each evaluation in order.
fn drive<R: dopamine_core::UpdateRule<f64>>(
    opt: &mut dopamine_core::PerturbationOptimizer<f64, R>,
    w: &mut [f64],
    losses: &[f64],
) -> Told<f64> {
    let mut last = None;
    for &l in losses {
        opt.ask(w).unwrap();
        last = Some(opt.tell(w, l).unwrap());
    }
    last.unwrap()
}

#[test]
fn non_finite_probe_restores_exactly_and_abandons_the_step() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let mut w = dyadic_weights();
        let w0 = w.clone();
        let mut opt = Wp::new(dyadic_config(3), WpRule::default(), w.len()).unwrap();
        assert_eq!(opt.ask(&mut w).unwrap(), Query::Baseline);
        assert_eq!(opt.tell(&mut w, 1.0).unwrap(), Told::Baseline { loss: 1.0 });
        assert_eq!(drive(&mut opt, &mut w, &[0.5]), Told::Probed);
        // Second probe: the weights are perturbed, the loss comes back bad.
        assert!(matches!(
            opt.ask(&mut w).unwrap(),
            Query::Probe { probe: 1, .. }
        ));
        assert!(opt.is_perturbed());
        assert_eq!(
            opt.tell(&mut w, bad).unwrap(),
            Told::Rejected(Rejection::NonFiniteProbe)
        );
        assert!(!opt.is_perturbed());
        assert_eq!(w, w0, "restored bit for bit ({bad})");
        let c = *opt.counters();
        assert_eq!(
            (c.rejected_probes, c.consecutive_rejections, c.updates),
            (1, 1, 0)
        );
        assert_eq!(c.forward_passes, 3);
        assert_eq!(
            opt.step_index(),
            1,
            "the rejected step consumed its noise keys"
        );
        // The next step starts with a baseline, and a finite one resets the streak.
        assert_eq!(opt.ask(&mut w).unwrap(), Query::Baseline);
        assert_eq!(opt.tell(&mut w, 1.0).unwrap(), Told::Baseline { loss: 1.0 });
        assert_eq!(opt.counters().consecutive_rejections, 0);
    }
}

#[test]
fn non_finite_probe_with_gaussian_noise_restores_within_an_ulp() {
    let mut w: Vec<f64> = (0..100).map(|i| (i as f64 * 0.37).sin() * 3.0).collect();
    let w0 = w.clone();
    let config = PerturbConfig {
        sigma: 0.01,
        seed: 5,
        ..Default::default()
    };
    let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), w.len()).unwrap();
    let out = opt.step(
        &mut w,
        |p| if opt_is_probe(p, &w0) { f64::NAN } else { 1.0 },
    );
    assert_eq!(
        out.unwrap(),
        StepOutcome::Rejected(Rejection::NonFiniteProbe)
    );
    for (a, b) in w.iter().zip(&w0) {
        // |sigma z| <= 0.01 * 8.58: one ulp of max(|w|, 0.0858).
        let bound = f64::EPSILON * b.abs().max(0.01 * 8.6);
        assert!((a - b).abs() <= bound);
    }
}

fn opt_is_probe(p: &[f64], w0: &[f64]) -> bool {
    p != w0
}

#[test]
fn wp_undoes_a_diverged_update_exactly_and_halves_eta() {
    for bad in [f64::NAN, f64::INFINITY] {
        let mut w = dyadic_weights();
        let mut opt = Wp::new(dyadic_config(1), WpRule::default(), w.len()).unwrap();
        assert_eq!(opt.rule().eta_scale(), 1.0);
        let before = w.clone();
        // delta = 1 - 0.5 = 0.5: coefficient eta * delta / sigma = 1, exact.
        let told = drive(&mut opt, &mut w, &[1.0, 0.5]);
        assert!(matches!(told, Told::Updated(_)), "{told:?}");
        assert_ne!(w, before);
        // The loss after the update is not finite: undo.
        let told = drive(&mut opt, &mut w, &[bad]);
        assert_eq!(told, Told::Rejected(Rejection::UpdateUndone));
        assert_eq!(w, before, "undo is exact here");
        assert_eq!(opt.rule().eta_scale(), 0.5);
        let c = *opt.counters();
        assert_eq!(
            (c.updates, c.undone_updates, c.consecutive_rejections),
            (1, 1, 1)
        );
        // A second divergence halves again.
        assert!(matches!(
            drive(&mut opt, &mut w, &[1.0, 0.5]),
            Told::Updated(_)
        ));
        assert_eq!(
            drive(&mut opt, &mut w, &[bad]),
            Told::Rejected(Rejection::UpdateUndone)
        );
        assert_eq!(opt.rule().eta_scale(), 0.25);
        // The undo is done once: the same bad loss again has nothing to undo.
        assert_eq!(
            drive(&mut opt, &mut w, &[bad]),
            Told::Rejected(Rejection::NonFiniteBaseline)
        );
        assert_eq!(opt.counters().non_finite_baselines, 1);
        // The finite baseline between the two divergences reset the streak.
        assert_eq!(opt.counters().consecutive_rejections, 2);
        assert_eq!(w, before);
    }
}

/// A probe loss of 1e300 is finite, so WP's raw-RPE update `eta delta /
/// sigma` would be about 1e301 times the noise: far too large to undo by
/// regenerating the noise (`(w + c z) - c z` cancelled every weight to 0).
/// It is skipped instead, the weights untouched; a sane step then trains on.
#[test]
fn wp_skips_an_update_too_large_to_undo() {
    for huge in [1e300, 1e30, 1e12] {
        let mut w = dyadic_weights();
        let before = w.clone();
        let mut opt = Wp::new(dyadic_config(1), WpRule::default(), w.len()).unwrap();
        // Baseline 1, probe `huge`: delta = 1 - huge.
        let told = drive(&mut opt, &mut w, &[1.0, huge]);
        assert_eq!(told, Told::Rejected(Rejection::UpdateTooLarge), "{huge}");
        assert_eq!(w, before, "nothing written ({huge})");
        assert_eq!(opt.counters().skipped_updates, 1);
        // The next step with ordinary losses updates as usual.
        assert!(matches!(
            drive(&mut opt, &mut w, &[1.0, 0.5]),
            Told::Updated(_)
        ));
        assert_ne!(w, before);
    }
    // An update of ordinary size is applied (the bound is relative to the
    // weights' scale, at least 1): delta = 8 gives coefficients of 16.
    let mut w = dyadic_weights();
    let mut opt = Wp::new(dyadic_config(1), WpRule::default(), w.len()).unwrap();
    assert!(matches!(
        drive(&mut opt, &mut w, &[9.0, 1.0]),
        Told::Updated(_)
    ));
}

#[test]
fn wp_without_halving_keeps_eta() {
    let mut w = dyadic_weights();
    let rule = WpRule::new(WpConfig {
        halve_on_divergence: false,
    });
    let mut opt = Wp::new(dyadic_config(1), rule, w.len()).unwrap();
    assert!(matches!(
        drive(&mut opt, &mut w, &[1.0, 0.5]),
        Told::Updated(_)
    ));
    assert_eq!(
        drive(&mut opt, &mut w, &[f64::NAN]),
        Told::Rejected(Rejection::UpdateUndone)
    );
    assert_eq!(opt.rule().eta_scale(), 1.0);
}

/// K > 1 with Gaussian noise: the undo regenerates K streams; each weight is
/// back within about one ulp per pass of `max(|w|, |c_k z_k|)`.
#[test]
fn dopamine1_undo_restores_within_a_tight_bound() {
    let mut w: Vec<f64> = (0..300).map(|i| (i as f64 * 0.71).cos() * 2.0).collect();
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.05,
        probes: 4,
        seed: 3,
        ..Default::default()
    };
    let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), w.len()).unwrap();
    let loss = |p: &[f64]| p.iter().map(|x| x * x).sum::<f64>();
    for _ in 0..5 {
        assert!(matches!(
            opt.step(&mut w, loss).unwrap(),
            StepOutcome::Updated(_)
        ));
    }
    let before_update = w.clone();
    assert!(matches!(
        opt.step(&mut w, loss).unwrap(),
        StepOutcome::Updated(_)
    ));
    assert_ne!(w, before_update);
    // The baseline after that update is NaN: the update is undone.
    assert_eq!(
        opt.step(&mut w, |_| f64::NAN).unwrap(),
        StepOutcome::Rejected(Rejection::UpdateUndone)
    );
    // Each |c_k z_k| <= eta * sqrt(K/(1-beta)) / K * 8.58 < 0.3.
    for (a, b) in w.iter().zip(&before_update) {
        let bound = 2.0 * 4.0 * f64::EPSILON * b.abs().max(0.3);
        assert!((a - b).abs() <= bound, "{a} vs {b}");
    }
    assert_eq!(opt.counters().undone_updates, 1);
}

#[test]
fn dopamine2_undo_clears_the_trace() {
    let mut w: Vec<f64> = (0..50).map(|i| i as f64 * 0.1 - 2.0).collect();
    let config = PerturbConfig {
        sigma: 1e-3,
        eta: 0.05,
        seed: 8,
        ..Default::default()
    };
    let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.7, vec![0.0f64; w.len()]);
    let mut opt = Dopamine2::new(config, rule, w.len()).unwrap();
    let loss = |p: &[f64]| p.iter().map(|x| x * x).sum::<f64>();
    for _ in 0..10 {
        assert!(matches!(
            opt.step(&mut w, loss).unwrap(),
            StepOutcome::Updated(_)
        ));
    }
    let before = w.clone();
    assert!(matches!(
        opt.step(&mut w, loss).unwrap(),
        StepOutcome::Updated(_)
    ));
    assert!(opt.rule().trace().iter().any(|e| *e != 0.0));
    assert_eq!(
        opt.step(&mut w, |_| f64::INFINITY).unwrap(),
        StepOutcome::Rejected(Rejection::UpdateUndone)
    );
    assert!(
        opt.rule().trace().iter().all(|e| *e == 0.0),
        "trace cleared"
    );
    for (a, b) in w.iter().zip(&before) {
        assert!(
            (a - b).abs() <= 2.0 * f64::EPSILON * b.abs().max(1.0),
            "{a} vs {b}"
        );
    }
}

#[test]
fn non_finite_first_baseline_is_reported() {
    let mut w = vec![1.0f32; 4];
    let mut opt = Dopamine1::new(PerturbConfig::default(), Dopamine1Rule::default(), 4).unwrap();
    opt.ask(&mut w).unwrap();
    assert_eq!(
        opt.tell(&mut w, f32::NAN).unwrap(),
        Told::Rejected(Rejection::NonFiniteBaseline)
    );
    assert_eq!(w, vec![1.0f32; 4]);
    assert_eq!(opt.counters().non_finite_baselines, 1);
    assert_eq!(opt.step_index(), 0);
}

/// Regression test: in `f32`, a loss spike whose squared RPE overflows
/// (`1e20^2 > f32::MAX`) used to make the surprise variance `v` infinite for
/// good: every later signal `r / sqrt(v)` was zero and the rule silently
/// stopped learning. The step is now skipped (`UpdateTooLarge`), the
/// statistics are kept, and learning goes on.
#[test]
fn f32_loss_spike_does_not_poison_the_statistics() {
    let loss = |p: &[f32]| p.iter().map(|x| x * x).sum::<f32>();
    for dopamine2 in [false, true] {
        let mut w = [1.0f32, 2.0, -1.5];
        let config = PerturbConfig {
            sigma: 1e-2f32,
            eta: 0.05,
            seed: 1,
            ..Default::default()
        };
        let mut calls = 0;
        let spiky = |p: &[f32]| {
            calls += 1;
            if calls == 4 { 1e20 } else { loss(p) }
        };
        let mut outcomes = Vec::new();
        let mut w_after_spike = [0.0f32; 3];
        if dopamine2 {
            let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, [0.0f32; 3]);
            let mut opt = Dopamine2::new(config, rule, 3).unwrap();
            let mut f = spiky;
            for t in 0..300 {
                outcomes.push(opt.step(&mut w, &mut f).unwrap());
                if t == 1 {
                    w_after_spike = w;
                }
            }
            assert_eq!(opt.counters().skipped_updates, 1);
            assert!(opt.rule().stats().surprise_variance().is_finite());
        } else {
            let mut opt = Dopamine1::new(config, Dopamine1Rule::default(), 3).unwrap();
            let mut f = spiky;
            for t in 0..300 {
                outcomes.push(opt.step(&mut w, &mut f).unwrap());
                if t == 1 {
                    w_after_spike = w;
                }
            }
            assert_eq!(opt.counters().skipped_updates, 1);
            assert!(opt.rule().stats().surprise_variance().is_finite());
        }
        assert_eq!(
            outcomes[1],
            StepOutcome::Rejected(Rejection::UpdateTooLarge)
        );
        assert!(w.iter().all(|x| x.is_finite()));
        assert!(
            loss(&w) < 0.5 * loss(&w_after_spike),
            "still learning: {w:?}"
        );
        for o in &outcomes[2..] {
            let StepOutcome::Updated(r) = o else {
                panic!("{o:?}")
            };
            let coding = r.coding.expect("Dopamine codes its RPEs");
            assert!(r.effective_eta > 0.0 && coding.surprise_size.is_finite());
        }
    }
}

/// A tiny deterministic generator for the loss's random failures.
struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn flaky_run<R: dopamine_core::UpdateRule<f64>>(
    mut opt: dopamine_core::PerturbationOptimizer<f64, R>,
    fail_seed: u64,
    must_converge: bool,
) {
    let mut w: Vec<f64> = (0..16).map(|i| i as f64 * 0.3 - 2.0).collect();
    let mut rng = SplitMix(fail_seed);
    let mut evals = 0u64;
    for _ in 0..1_500 {
        let out = opt
            .step(&mut w, |p| {
                evals += 1;
                if rng.unit() < 0.1 {
                    f64::NAN
                } else {
                    p.iter().map(|x| x * x).sum()
                }
            })
            .unwrap();
        assert!(w.iter().all(|x| x.is_finite()), "{out:?}");
    }
    let c = *opt.counters();
    assert_eq!(c.forward_passes, evals);
    assert!(c.rejected_probes > 0 && c.undone_updates > 0);
    assert_eq!(c.skipped_updates, 0);
    // The Dopamine rules still converge despite the failures. (WP halves its
    // learning rate at every undo, so with 10% failures it mostly stalls.)
    let l: f64 = w.iter().map(|x| x * x).sum();
    assert!(!must_converge || l < 1.0, "loss {l}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// A loss that returns NaN 10% of the time never makes a weight non-finite.
    #[test]
    fn random_nan_losses_never_corrupt_the_weights(seed in any::<u64>(), fail_seed in any::<u64>()) {
        let config = PerturbConfig { sigma: 1e-3, eta: 0.02, probes: 2, seed, ..Default::default() };
        flaky_run(Wp::new(config, WpRule::default(), 16).unwrap(), fail_seed, false);
        flaky_run(Dopamine1::new(config, Dopamine1Rule::default(), 16).unwrap(), fail_seed, true);
        let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; 16]);
        flaky_run(Dopamine2::new(config, rule, 16).unwrap(), fail_seed, true);
    }
}
