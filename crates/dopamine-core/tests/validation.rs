//! Validation: every invalid setting gives its exact `Error` at construction; protocol misuse gives its error and changes nothing.

use dopamine_core::{
    AdaptiveCoding, Dopamine1, Dopamine1Rule, Dopamine2, Dopamine2Rule, Error, EtaSchedule,
    MAX_POPULATION, MAX_PROBES, OpenEs, OpenEsConfig, OpenEsRule, PerturbConfig, Query,
    SecondMomentConfig, Snes, SnesConfig, Told, Wp, WpRule,
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

/// Every bad setting of OpenES, SNES and the second-moment option gives its
/// exact error at construction; the boundary values that are valid pass.
#[test]
fn invalid_peer_and_option_settings() {
    let openes = |es: OpenEsConfig<f64>, len: usize| {
        OpenEs::new(
            PerturbConfig::antithetic(),
            OpenEsRule::new(es, vec![0.0; len]),
            3,
        )
        .map(|_| ())
    };
    let snes =
        |c: SnesConfig<f64>, dim: usize, len: usize| Snes::new(c, dim, vec![0.0; len]).map(|_| ());
    let d1m = |m: SecondMomentConfig<f64>, len: usize| {
        let rule = Dopamine1Rule::default().with_second_moment(m, vec![0.0; len]);
        Dopamine1::new(ok_config(), rule, 3).map(|_| ())
    };
    let d2m = |m: SecondMomentConfig<f64>, len: usize| {
        let rule = Dopamine2Rule::new(AdaptiveCoding::default(), 0.5, vec![0.0; 3])
            .with_second_moment(m, vec![0.0; len]);
        Dopamine2::new(ok_config(), rule, 3).map(|_| ())
    };
    let es = OpenEsConfig::default();
    let sn = SnesConfig::new(3, 0.1);
    let sm = SecondMomentConfig::default();
    let population = |requested| Error::PopulationOutOfRange {
        requested,
        min: 2,
        max: MAX_POPULATION,
    };
    let cases: Vec<(&str, Result<(), Error>, Error)> = vec![
        (
            "openes beta1 = 1",
            openes(OpenEsConfig { beta1: 1.0, ..es }, 6),
            Error::BetaOutOfRange,
        ),
        (
            "openes beta1 < 0",
            openes(OpenEsConfig { beta1: -0.1, ..es }, 6),
            Error::BetaOutOfRange,
        ),
        (
            "openes beta1 NaN",
            openes(
                OpenEsConfig {
                    beta1: f64::NAN,
                    ..es
                },
                6,
            ),
            Error::NonFiniteSetting("beta1"),
        ),
        (
            "openes beta2 = 1",
            openes(OpenEsConfig { beta2: 1.0, ..es }, 6),
            Error::BetaOutOfRange,
        ),
        (
            "openes beta2 inf",
            openes(
                OpenEsConfig {
                    beta2: f64::INFINITY,
                    ..es
                },
                6,
            ),
            Error::NonFiniteSetting("beta2"),
        ),
        (
            "openes eps 0",
            openes(OpenEsConfig { eps: 0.0, ..es }, 6),
            Error::EpsNotPositive,
        ),
        (
            "openes eps NaN",
            openes(
                OpenEsConfig {
                    eps: f64::NAN,
                    ..es
                },
                6,
            ),
            Error::EpsNotPositive,
        ),
        (
            "openes l2 < 0",
            openes(OpenEsConfig { l2: -1e-3, ..es }, 6),
            Error::InvalidSetting("l2 must be >= 0"),
        ),
        (
            "openes l2 NaN",
            openes(OpenEsConfig { l2: f64::NAN, ..es }, 6),
            Error::NonFiniteSetting("l2"),
        ),
        (
            "openes storage of P values",
            openes(es, 3),
            Error::LengthMismatch {
                expected: 6,
                got: 3,
            },
        ),
        (
            "snes sigma0 0",
            snes(SnesConfig { sigma0: 0.0, ..sn }, 3, 3),
            Error::SigmaNotPositive,
        ),
        (
            "snes sigma0 < 0",
            snes(SnesConfig { sigma0: -1.0, ..sn }, 3, 3),
            Error::SigmaNotPositive,
        ),
        (
            "snes sigma0 NaN",
            snes(
                SnesConfig {
                    sigma0: f64::NAN,
                    ..sn
                },
                3,
                3,
            ),
            Error::SigmaNotPositive,
        ),
        (
            "snes eta_mu 0",
            snes(SnesConfig { eta_mu: 0.0, ..sn }, 3, 3),
            Error::EtaNotPositive,
        ),
        (
            "snes eta_mu inf",
            snes(
                SnesConfig {
                    eta_mu: f64::INFINITY,
                    ..sn
                },
                3,
                3,
            ),
            Error::EtaNotPositive,
        ),
        (
            "snes eta_sigma < 0",
            snes(
                SnesConfig {
                    eta_sigma: -0.1,
                    ..sn
                },
                3,
                3,
            ),
            Error::InvalidSetting("eta_sigma must be >= 0"),
        ),
        (
            "snes eta_sigma NaN",
            snes(
                SnesConfig {
                    eta_sigma: f64::NAN,
                    ..sn
                },
                3,
                3,
            ),
            Error::NonFiniteSetting("eta_sigma"),
        ),
        (
            "snes population 0",
            snes(
                SnesConfig {
                    population: 0,
                    ..sn
                },
                3,
                3,
            ),
            population(0),
        ),
        (
            "snes population 1",
            snes(
                SnesConfig {
                    population: 1,
                    ..sn
                },
                3,
                3,
            ),
            population(1),
        ),
        (
            "snes population too large",
            snes(
                SnesConfig {
                    population: MAX_POPULATION + 1,
                    ..sn
                },
                3,
                3,
            ),
            population(MAX_POPULATION + 1),
        ),
        ("snes no parameter", snes(sn, 0, 0), Error::EmptyParameters),
        (
            "snes sigma storage",
            snes(sn, 3, 4),
            Error::LengthMismatch {
                expected: 3,
                got: 4,
            },
        ),
        (
            "d1 moment beta2 = 1",
            d1m(SecondMomentConfig { beta2: 1.0, ..sm }, 3),
            Error::BetaOutOfRange,
        ),
        (
            "d1 moment beta2 < 0",
            d1m(SecondMomentConfig { beta2: -0.5, ..sm }, 3),
            Error::BetaOutOfRange,
        ),
        (
            "d1 moment beta2 NaN",
            d1m(
                SecondMomentConfig {
                    beta2: f64::NAN,
                    ..sm
                },
                3,
            ),
            Error::NonFiniteSetting("beta2"),
        ),
        (
            "d1 moment eps 0",
            d1m(SecondMomentConfig { eps: 0.0, ..sm }, 3),
            Error::EpsNotPositive,
        ),
        (
            "d1 moment eps inf",
            d1m(
                SecondMomentConfig {
                    eps: f64::INFINITY,
                    ..sm
                },
                3,
            ),
            Error::EpsNotPositive,
        ),
        (
            "d1 moment storage",
            d1m(sm, 2),
            Error::LengthMismatch {
                expected: 3,
                got: 2,
            },
        ),
        (
            "d2 moment beta2 = 1",
            d2m(SecondMomentConfig { beta2: 1.0, ..sm }, 3),
            Error::BetaOutOfRange,
        ),
        (
            "d2 moment eps < 0",
            d2m(SecondMomentConfig { eps: -1.0, ..sm }, 3),
            Error::EpsNotPositive,
        ),
        (
            "d2 moment storage",
            d2m(sm, 4),
            Error::LengthMismatch {
                expected: 3,
                got: 4,
            },
        ),
    ];
    for (what, got, want) in cases {
        assert_eq!(got, Err(want), "{what}");
        assert!(!want.to_string().is_empty());
    }
    let valid: Vec<(&str, Result<(), Error>)> = vec![
        (
            "openes beta1 = beta2 = 0",
            openes(
                OpenEsConfig {
                    beta1: 0.0,
                    beta2: 0.0,
                    ..es
                },
                6,
            ),
        ),
        ("openes l2 > 0", openes(OpenEsConfig { l2: 0.25, ..es }, 6)),
        (
            "snes eta_sigma 0 (fixed sigma)",
            snes(
                SnesConfig {
                    eta_sigma: 0.0,
                    ..sn
                },
                3,
                3,
            ),
        ),
        (
            "snes population 2",
            snes(
                SnesConfig {
                    population: 2,
                    ..sn
                },
                3,
                3,
            ),
        ),
        (
            "snes population MAX",
            snes(
                SnesConfig {
                    population: MAX_POPULATION,
                    ..sn
                },
                3,
                3,
            ),
        ),
        (
            "moment beta2 0",
            d1m(SecondMomentConfig { beta2: 0.0, ..sm }, 3),
        ),
        ("d2 moment", d2m(sm, 3)),
    ];
    for (what, got) in valid {
        assert_eq!(got, Ok(()), "{what}");
    }
}
