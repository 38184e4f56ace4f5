//! Validation: every invalid setting gives its exact `Error` at construction; protocol misuse gives its error and changes nothing.

use dopamine_core::{
    AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, Error, EtaSchedule,
    MAX_PROBES, PerturbConfig, Query, Told, Wp, WpRule,
};

fn d1(config: PerturbConfig<f64>, coding: AdaptiveCoding<f64>, dim: usize) -> Result<(), Error> {
    Dopamine1::new(config, Dopamine1Rule::new(coding), dim).map(|_| ())
}

fn ok_config() -> PerturbConfig<f64> {
    PerturbConfig::default()
}

#[test]
fn invalid_perturb_settings() {
    let c = AdaptiveCoding::default();
    for sigma in [0.0, -1e-3, f64::NAN, f64::INFINITY, -0.0] {
        let config = PerturbConfig {
            sigma,
            ..ok_config()
        };
        assert_eq!(
            d1(config, c, 3),
            Err(Error::SigmaNotPositive),
            "sigma {sigma}"
        );
        assert_eq!(
            Wp::new(config, WpRule::default(), 3).err(),
            Some(Error::SigmaNotPositive)
        );
    }
    for eta in [0.0, -0.1, f64::NAN, f64::INFINITY] {
        let config = PerturbConfig { eta, ..ok_config() };
        assert_eq!(d1(config, c, 3), Err(Error::EtaNotPositive), "eta {eta}");
    }
    assert_eq!(
        d1(
            PerturbConfig {
                probes: 0,
                ..ok_config()
            },
            c,
            3
        ),
        Err(Error::ZeroProbes)
    );
    assert_eq!(
        d1(
            PerturbConfig {
                probes: MAX_PROBES + 1,
                ..ok_config()
            },
            c,
            3
        ),
        Err(Error::TooManyProbes {
            requested: MAX_PROBES + 1,
            max: MAX_PROBES
        })
    );
    assert_eq!(
        d1(
            PerturbConfig {
                probes: MAX_PROBES,
                ..ok_config()
            },
            c,
            3
        ),
        Ok(())
    );
    assert_eq!(d1(ok_config(), c, 0), Err(Error::EmptyParameters));
    assert_eq!(
        Wp::<f32>::new(PerturbConfig::default(), WpRule::default(), 0).err(),
        Some(Error::EmptyParameters)
    );
}

#[test]
fn invalid_adaptive_coding() {
    let config = ok_config();
    for beta in [-0.1, 1.0, 1.5] {
        let c = AdaptiveCoding {
            beta,
            ..Default::default()
        };
        assert_eq!(d1(config, c, 3), Err(Error::BetaOutOfRange), "beta {beta}");
    }
    for beta in [f64::NAN, f64::INFINITY] {
        let c = AdaptiveCoding {
            beta,
            ..Default::default()
        };
        assert_eq!(d1(config, c, 3), Err(Error::NonFiniteSetting("beta")));
    }
    assert_eq!(
        d1(
            config,
            AdaptiveCoding {
                beta: 0.0,
                ..Default::default()
            },
            3
        ),
        Ok(())
    );
    for eps in [0.0, -1e-12, f64::NAN, f64::INFINITY] {
        let c = AdaptiveCoding {
            eps,
            ..Default::default()
        };
        assert_eq!(d1(config, c, 3), Err(Error::EpsNotPositive), "eps {eps}");
    }
}

#[test]
fn invalid_dopamine2_settings() {
    let config = ok_config();
    let c = AdaptiveCoding::default();
    for lambda in [-0.1, 1.0, 2.0] {
        let rule = Dopamine2Rule::new(c, lambda, vec![0.0; 3]);
        assert_eq!(
            Dopamine2::new(config, rule, 3).err(),
            Some(Error::LambdaOutOfRange),
            "lambda {lambda}"
        );
    }
    let rule = Dopamine2Rule::new(c, f64::NAN, vec![0.0; 3]);
    assert_eq!(
        Dopamine2::new(config, rule, 3).err(),
        Some(Error::NonFiniteSetting("lambda"))
    );
    let rule = Dopamine2Rule::new(c, 0.5, vec![0.0; 4]);
    assert_eq!(
        Dopamine2::new(config, rule, 3).err(),
        Some(Error::LengthMismatch {
            expected: 3,
            got: 4
        })
    );
    let mut storage = [0.0f64; 2];
    let rule = Dopamine2Rule::new(c, 0.5, &mut storage[..]);
    assert_eq!(
        Dopamine2::new(config, rule, 3).err(),
        Some(Error::LengthMismatch {
            expected: 3,
            got: 2
        })
    );
    let rule = Dopamine2Rule::new(AdaptiveCoding { beta: 1.0, ..c }, 0.5, vec![0.0; 3]);
    assert_eq!(
        Dopamine2::new(config, rule, 3).err(),
        Some(Error::BetaOutOfRange)
    );
}

#[test]
fn invalid_schedules() {
    let c = AdaptiveCoding::default();
    let cases: [(EtaSchedule<f64>, Error); 8] = [
        (
            EtaSchedule::Cosine {
                total_steps: 0,
                final_fraction: 0.1,
            },
            Error::InvalidSetting("cosine schedule needs total_steps > 0"),
        ),
        (
            EtaSchedule::Cosine {
                total_steps: 10,
                final_fraction: -0.1,
            },
            Error::InvalidSetting("final_fraction must lie in [0, 1]"),
        ),
        (
            EtaSchedule::Cosine {
                total_steps: 10,
                final_fraction: 1.5,
            },
            Error::InvalidSetting("final_fraction must lie in [0, 1]"),
        ),
        (
            EtaSchedule::Cosine {
                total_steps: 10,
                final_fraction: f64::NAN,
            },
            Error::NonFiniteSetting("final_fraction"),
        ),
        (
            EtaSchedule::Step {
                every: 0,
                factor: 0.5,
            },
            Error::InvalidSetting("step schedule needs every > 0"),
        ),
        (
            EtaSchedule::Step {
                every: 5,
                factor: 0.0,
            },
            Error::InvalidSetting("step factor must lie in (0, 1]"),
        ),
        (
            EtaSchedule::Step {
                every: 5,
                factor: 1.5,
            },
            Error::InvalidSetting("step factor must lie in (0, 1]"),
        ),
        (
            EtaSchedule::Step {
                every: 5,
                factor: f64::INFINITY,
            },
            Error::NonFiniteSetting("factor"),
        ),
    ];
    for (schedule, err) in cases {
        assert_eq!(
            d1(
                PerturbConfig {
                    schedule,
                    ..ok_config()
                },
                c,
                3
            ),
            Err(err),
            "{schedule:?}"
        );
    }
    for schedule in [
        EtaSchedule::Cosine {
            total_steps: 10,
            final_fraction: 0.0,
        },
        EtaSchedule::Cosine {
            total_steps: 10,
            final_fraction: 1.0,
        },
        EtaSchedule::Step {
            every: 1,
            factor: 1.0,
        },
    ] {
        assert_eq!(
            d1(
                PerturbConfig {
                    schedule,
                    ..ok_config()
                },
                c,
                3
            ),
            Ok(())
        );
    }
}

#[test]
fn protocol_misuse_is_an_error_and_changes_nothing() {
    let mut opt =
        Dopamine1::new(PerturbConfig::<f64>::default(), Dopamine1Rule::default(), 3).unwrap();
    let mut w = vec![1.0, 2.0, 3.0];
    let mut short = vec![1.0, 2.0];
    // tell before any ask.
    assert_eq!(opt.tell(&mut w, 1.0), Err(Error::TellWithoutAsk));
    // Wrong lengths.
    assert_eq!(
        opt.ask(&mut short),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(opt.ask(&mut w), Ok(Query::Baseline));
    assert_eq!(
        opt.tell(&mut short, 1.0),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(opt.counters().forward_passes, 0);
    assert_eq!(opt.tell(&mut w, 1.0), Ok(Told::Baseline { loss: 1.0 }));
    // Twice in a row.
    assert_eq!(opt.tell(&mut w, 1.0), Err(Error::TellWithoutAsk));
    // A probe: ask twice perturbs once; a wrong-length tell leaves it perturbed.
    let w0 = w.clone();
    assert!(matches!(opt.ask(&mut w), Ok(Query::Probe { probe: 0, .. })));
    let perturbed = w.clone();
    assert!(matches!(opt.ask(&mut w), Ok(Query::Probe { probe: 0, .. })));
    assert_eq!(w, perturbed);
    let mut long = vec![0.0; 4];
    assert_eq!(
        opt.tell(&mut long, 0.5),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 4
        })
    );
    assert_eq!(w, perturbed);
    assert!(opt.is_perturbed());
    assert!(matches!(opt.tell(&mut w, 0.5), Ok(Told::Updated(_))));
    assert_ne!(w, w0);
    assert_eq!(opt.counters().forward_passes, 2);
}

#[test]
fn non_finite_parameters_at_a_baseline_are_refused() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut opt = Wp::new(PerturbConfig::<f32>::default(), WpRule::default(), 3).unwrap();
        let mut w = [1.0f32, bad, 3.0];
        assert_eq!(opt.ask(&mut w), Err(Error::NonFiniteParameters));
        assert_eq!(opt.tell(&mut w, 1.0), Err(Error::TellWithoutAsk));
        assert_eq!(
            opt.step(&mut w, |_| 1.0).err(),
            Some(Error::NonFiniteParameters)
        );
        assert_eq!(w[1].to_bits(), bad.to_bits());
        assert_eq!(opt.step_index(), 0);
    }
}

#[test]
fn errors_display() {
    let e = Error::TooManyProbes {
        requested: 40,
        max: MAX_PROBES,
    };
    assert_eq!(
        e.to_string(),
        "40 probes per step requested, at most 32 supported"
    );
    assert!(
        Error::LengthMismatch {
            expected: 3,
            got: 2
        }
        .to_string()
        .contains("expected 3")
    );
}
