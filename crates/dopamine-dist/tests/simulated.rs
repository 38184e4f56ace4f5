//! Distributed steps with ranks simulated as threads are bit-identical to
//! single-process steps, for every rule, RPE mode and rank count 1..=4.

use dopamine_core::perturb::{perturb, restore};
use dopamine_core::{
    AdaptiveCoding, Dopamine1Rule, Dopamine2Rule, PerturbConfig, PerturbationOptimizer, Real,
    RpeMode, StepNoise, StepOutcome, UpdateRule, WpConfig, WpRule,
};
use dopamine_dist::{
    Communicator, DistError, DistributedStepper, LocalCommunicator, ThreadCommunicator, param_hash,
    verify_identical,
};

const DIM: usize = 37;
const STEPS: usize = 60;

fn start<T: Real>() -> Vec<T> {
    (0..DIM)
        .map(|i| T::from_f64(((i * 7919) % 101) as f64 * 0.0371 - 1.7))
        .collect()
}

/// A bumpy loss that is NaN far from the origin, so that large steps hit the
/// safety net.
fn loss<T: Real>(w: &[T]) -> T {
    let mut s = T::ZERO;
    for (i, x) in w.iter().enumerate() {
        let t = T::from_f64((i as f64 * 0.13).sin());
        let d = *x - t;
        s += d * d + T::from_f64(0.1) * (T::from_f64(3.0) * *x).sin();
    }
    if w.iter().any(|x| x.abs() > T::from_f64(4.0)) {
        T::from_f64(f64::NAN)
    } else {
        s
    }
}

#[derive(Clone, Copy, Debug)]
enum Rule {
    Wp,
    D1,
    D2,
}

fn config<T: Real>(rpe: RpeMode, probes: usize, eta: f64) -> PerturbConfig<T> {
    PerturbConfig {
        sigma: T::from_f64(0.03),
        eta: T::from_f64(eta),
        probes,
        rpe,
        seed: 11,
        ..Default::default()
    }
}

fn with_rule<T: Real, Out>(rule: Rule, f: &mut dyn FnMut(RuleBox<T>) -> Out) -> Out {
    match rule {
        Rule::Wp => f(RuleBox::Wp(WpRule::new(WpConfig::default()))),
        Rule::D1 => f(RuleBox::D1(Dopamine1Rule::default())),
        Rule::D2 => f(RuleBox::D2(Dopamine2Rule::new(
            AdaptiveCoding::default(),
            T::from_f64(0.5),
            vec![T::ZERO; DIM],
        ))),
    }
}

enum RuleBox<T> {
    Wp(WpRule<T>),
    D1(Dopamine1Rule<T>),
    D2(Dopamine2Rule<T, Vec<T>>),
}

/// Runs `STEPS` steps and returns the final parameters and the number of
/// rejected steps; `comm: None` is the single-process reference.
fn train<T: Real, R: UpdateRule<T>>(
    config: PerturbConfig<T>,
    rule: R,
    comm: Option<&dyn Communicator>,
) -> (Vec<T>, u64) {
    let mut w = start::<T>();
    let mut opt = PerturbationOptimizer::new(config, rule, DIM).unwrap();
    let mut stepper = DistributedStepper::new(DIM);
    let mut rejected = 0;
    for _ in 0..STEPS {
        let outcome = match comm {
            None => opt.step(&mut w, loss::<T>).unwrap(),
            Some(c) => stepper.step(&mut opt, &mut w, loss::<T>, c).unwrap(),
        };
        if matches!(outcome, StepOutcome::Rejected(_)) {
            rejected += 1;
        }
        if let Some(c) = comm {
            verify_identical(&w, c).unwrap();
        }
    }
    if let Some(c) = comm {
        let per_step = 1 + config.probes
            * if config.rpe == RpeMode::Antithetic {
                2
            } else {
                1
            };
        assert_eq!(stepper.stats().bytes_reduced, (STEPS * per_step * 8) as u64);
        assert_eq!(stepper.stats().steps, STEPS as u64);
        let _ = c;
    }
    assert_eq!(opt.step_index() as usize, STEPS - count_undo_only(&opt));
    (w, rejected)
}

/// Rejections of a non-finite baseline keep the step index; count them.
fn count_undo_only<T: Real, R: UpdateRule<T>>(opt: &PerturbationOptimizer<T, R>) -> usize {
    let c = opt.counters();
    (c.undone_updates + c.non_finite_baselines) as usize
}

fn run_rule<T: Real>(
    rule: Rule,
    config: PerturbConfig<T>,
    comm: Option<&dyn Communicator>,
) -> (Vec<T>, u64) {
    with_rule::<T, _>(rule, &mut |r| match r {
        RuleBox::Wp(r) => train(config, r, comm),
        RuleBox::D1(r) => train(config, r, comm),
        RuleBox::D2(r) => train(config, r, comm),
    })
}

fn bits<T: Real>(w: &[T]) -> Vec<u64> {
    w.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn check<T: Real + Send + Sync>(rule: Rule, rpe: RpeMode, probes: usize, eta: f64) -> u64 {
    let config = config::<T>(rpe, probes, eta);
    let (reference, rejected) = run_rule(rule, config, None);
    let (local, _) = run_rule(rule, config, Some(&LocalCommunicator));
    assert_eq!(bits(&local), bits(&reference), "{rule:?} {rpe:?} local");
    for size in 1..=4 {
        let results: Vec<(Vec<T>, u64)> = std::thread::scope(|s| {
            let handles: Vec<_> = ThreadCommunicator::group(size)
                .into_iter()
                .map(|comm| s.spawn(move || run_rule(rule, config, Some(&comm))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (rank, (w, rej)) in results.iter().enumerate() {
            assert_eq!(
                bits(w),
                bits(&reference),
                "{rule:?} {rpe:?} K={probes} size {size} rank {rank}"
            );
            assert_eq!(*rej, rejected);
        }
    }
    rejected
}

#[test]
fn bit_identical_for_every_rule_mode_and_rank_count_f64() {
    for rule in [Rule::Wp, Rule::D1, Rule::D2] {
        for rpe in [RpeMode::Forward, RpeMode::Antithetic] {
            for probes in [1, 3, 8] {
                check::<f64>(rule, rpe, probes, 0.02);
            }
        }
    }
}

#[test]
fn bit_identical_in_f32() {
    for rule in [Rule::Wp, Rule::D1, Rule::D2] {
        for rpe in [RpeMode::Forward, RpeMode::Antithetic] {
            check::<f32>(rule, rpe, 5, 0.02);
        }
    }
}

#[test]
fn bit_identical_through_the_safety_net() {
    // A learning rate large enough to leave the finite region: updates are
    // undone and probes rejected, identically on every rank.
    let mut total = 0;
    for rule in [Rule::Wp, Rule::D1, Rule::D2] {
        for rpe in [RpeMode::Forward, RpeMode::Antithetic] {
            total += check::<f64>(rule, rpe, 4, 3.0);
        }
    }
    assert!(total > 0, "the safety net was never exercised");
}

#[test]
fn the_walk_matters_restore_is_not_always_exact() {
    // Why each rank walks its scratch copy past every point (`walk_past`)
    // instead of perturbing a fresh copy: restores drift by an ulp now and
    // then, and the single process evaluates each probe at the drifted point.
    let w0 = start::<f64>();
    let mut w = w0.clone();
    let noise = StepNoise::new(11, 0, Default::default());
    let mut drifted = false;
    for k in 0..8 {
        perturb(&mut w, &noise.stream(k), 0.03);
        restore(&mut w, &noise.stream(k), 0.03);
        drifted |= bits(&w) != bits(&w0);
    }
    assert!(drifted, "pick a start where restores drift");
}

#[test]
fn a_rank_with_other_parameters_is_caught() {
    let hashes: Vec<Result<u64, DistError>> = std::thread::scope(|s| {
        let handles: Vec<_> = ThreadCommunicator::group(3)
            .into_iter()
            .map(|comm| {
                s.spawn(move || {
                    let mut w = start::<f64>();
                    if comm.rank() == 2 {
                        w[5] = f64::from_bits(w[5].to_bits() + 1);
                    }
                    verify_identical(&w, &comm)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for h in hashes {
        match h {
            Err(DistError::RanksDiverged { hashes }) => {
                assert_eq!(hashes[0], hashes[1]);
                assert_ne!(hashes[0], hashes[2]);
                assert_eq!(hashes[0], param_hash(&start::<f64>()));
            }
            other => panic!("expected RanksDiverged, got {other:?}"),
        }
    }
}

#[test]
fn refuses_a_step_that_is_not_at_a_boundary_or_the_wrong_length() {
    let config = config::<f64>(RpeMode::Forward, 2, 0.02);
    let mut w = start::<f64>();
    let mut opt = PerturbationOptimizer::new(config, Dopamine1Rule::default(), DIM).unwrap();
    let mut stepper = DistributedStepper::new(DIM);
    let mut short = vec![0.0; DIM - 1];
    assert!(matches!(
        stepper.step(&mut opt, &mut short, loss::<f64>, &LocalCommunicator),
        Err(DistError::LengthMismatch { .. })
    ));
    opt.ask(&mut w).unwrap();
    let l0 = loss(&w);
    let _ = opt.tell(&mut w, l0).unwrap();
    assert_eq!(
        stepper.step(&mut opt, &mut w, loss::<f64>, &LocalCommunicator),
        Err(DistError::NotAtStepStart)
    );
}
