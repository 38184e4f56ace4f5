//! The trainer's accounting: forward/backward pass counts follow each rule's definition, and budgets stop where they should.

use dopamine_train::{
    AdamSettings, Budget, Dopamine1Settings, Dopamine2Settings, FnObjective, NoObserver,
    OptimizerSpec, PerturbSpec, StopReason, TrainError, TrainSpec, WpSettings, train,
};

fn quadratic() -> FnObjective<f64, impl FnMut(&[f64]) -> f64 + Send> {
    FnObjective::new(
        vec![1.0, -2.0, 0.5],
        |w: &[f64]| w.iter().map(|x| x * x).sum(),
        10,
    )
}

fn perturb(probes: usize, antithetic: bool) -> PerturbSpec {
    PerturbSpec {
        sigma: 1e-3,
        eta: 0.01,
        probes,
        antithetic,
        cosine_to: None,
        ..Default::default()
    }
}

#[test]
fn forward_passes_per_step_match_each_rules_definition() {
    for (probes, antithetic, per_step) in [(1, false, 2), (4, false, 5), (3, true, 7)] {
        for spec in [
            OptimizerSpec::Wp(WpSettings::from(perturb(probes, antithetic))),
            OptimizerSpec::Dopamine1(Dopamine1Settings::new(perturb(probes, antithetic), 0.9)),
            OptimizerSpec::Dopamine2(Dopamine2Settings::new(
                perturb(probes, antithetic),
                0.9,
                0.5,
            )),
        ] {
            let mut obj = quadratic();
            let mut opt = spec.build::<f64>(3, 1, 100).unwrap();
            let run = train(
                &mut obj,
                opt.as_mut(),
                &TrainSpec {
                    budget: Budget::steps(100),
                    ..Default::default()
                },
                &mut NoObserver,
            )
            .unwrap();
            assert_eq!(run.last.step, 100);
            assert_eq!(
                run.last.forward_passes,
                100 * per_step,
                "{} K={probes} antithetic={antithetic}",
                spec.name()
            );
            assert_eq!(run.last.backward_passes, 0);
            assert_eq!(run.last.flops, 100 * per_step * 10);
            assert_eq!(run.stop, StopReason::Steps);
        }
    }
}

#[test]
fn forward_equivalent_budget_stops_at_the_first_step_that_reaches_it() {
    let mut obj = quadratic();
    let spec = OptimizerSpec::Wp(WpSettings::from(perturb(2, false))); // 3 passes per step
    let mut opt = spec.build::<f64>(3, 1, 100).unwrap();
    let budget = Budget {
        forward_equivalents: Some(100),
        ..Default::default()
    };
    let run = train(
        &mut obj,
        opt.as_mut(),
        &TrainSpec {
            budget,
            ..Default::default()
        },
        &mut NoObserver,
    )
    .unwrap();
    assert_eq!(run.stop, StopReason::ForwardEquivalents);
    assert_eq!(run.last.forward_passes, 102);
    assert_eq!(run.last.step, 34);
}

#[test]
fn target_loss_stops_early_and_observer_can_stop() {
    let mut obj = quadratic();
    let spec = OptimizerSpec::Dopamine1(Dopamine1Settings::new(perturb(1, false), 0.9));
    let mut opt = spec.build::<f64>(3, 1, 10_000).unwrap();
    let t = TrainSpec {
        budget: Budget::steps(10_000),
        target_loss: Some(1.0),
        ..Default::default()
    };
    let run = train(&mut obj, opt.as_mut(), &t, &mut NoObserver).unwrap();
    assert_eq!(run.stop, StopReason::TargetReached);
    assert!(run.last.loss <= 1.0 && run.last.step < 10_000);

    let mut opt = spec.build::<f64>(3, 1, 10_000).unwrap();
    let mut calls = 0;
    let mut stop_at_five = |_: &dopamine_train::Record, _: &mut FnObjective<f64, _>| {
        calls += 1;
        if calls == 5 {
            dopamine_train::Control::Stop
        } else {
            dopamine_train::Control::Continue
        }
    };
    let t = TrainSpec {
        budget: Budget::steps(10_000),
        record_every: 10,
        ..Default::default()
    };
    let run = train(&mut obj, opt.as_mut(), &t, &mut stop_at_five).unwrap();
    assert_eq!(run.stop, StopReason::Observer);
    assert_eq!(run.last.step, 50);
    assert_eq!(run.records.len(), 5);
}

#[test]
fn gradient_optimizers_need_a_gradient_and_invalid_specs_are_typed_errors() {
    let mut obj = quadratic();
    let mut opt = OptimizerSpec::Adam(AdamSettings { lr: 0.01 })
        .build::<f64>(3, 1, 10)
        .unwrap();
    let err = train(
        &mut obj,
        opt.as_mut(),
        &TrainSpec::default(),
        &mut NoObserver,
    )
    .unwrap_err();
    assert!(matches!(err, TrainError::NoGradient));
    let bad = OptimizerSpec::Wp(WpSettings::from(PerturbSpec {
        sigma: -1.0,
        ..perturb(1, false)
    }));
    assert!(matches!(
        bad.build::<f64>(3, 1, 10),
        Err(TrainError::Optimizer(
            dopamine_core::Error::SigmaNotPositive
        ))
    ));
    let mut opt = OptimizerSpec::Wp(WpSettings::from(perturb(1, false)))
        .build::<f64>(3, 1, 10)
        .unwrap();
    let none = TrainSpec {
        budget: Budget::default(),
        ..Default::default()
    };
    assert!(matches!(
        train(&mut obj, opt.as_mut(), &none, &mut NoObserver),
        Err(TrainError::Spec(_))
    ));
}

#[test]
fn runs_are_bit_identical_for_the_same_seed() {
    let run = |seed| {
        let mut obj = quadratic();
        let spec = OptimizerSpec::Dopamine2(Dopamine2Settings::new(perturb(2, true), 0.9, 0.5));
        let mut opt = spec.build::<f64>(3, seed, 200).unwrap();
        train(
            &mut obj,
            &mut opt,
            &TrainSpec {
                budget: Budget::steps(200),
                ..Default::default()
            },
            &mut NoObserver,
        )
        .unwrap();
        obj.params().to_vec()
    };
    use dopamine_train::Objective;
    let (a, b, c) = (run(3), run(3), run(4));
    assert_eq!(
        a.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        b.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
    );
    assert_ne!(a, c);
}
