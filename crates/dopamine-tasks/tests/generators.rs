//! Tests of the Mackey-Glass and Lorenz-63 generators: convergence in the
//! step size, attractor statistics, golden values and parameter errors.

use dopamine_tasks::{HistoryInit, LorenzConfig, MackeyGlassConfig, Series, TaskError};

fn max_abs_diff(a: &Series, b: &Series) -> f64 {
    assert_eq!((a.len(), a.dim()), (b.len(), b.dim()));
    a.as_slice()
        .iter()
        .zip(b.as_slice())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn assert_golden(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= 1e-12 * w.abs(),
            "value {i}: got {g:?}, golden {w:?}"
        );
    }
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

// ---------------------------------------------------------------- Lorenz-63

#[test]
fn lorenz_step_and_tenth_step_agree_over_a_short_horizon() {
    // Two time units from (1, 1, 1), before chaos amplifies the difference
    // (largest Lyapunov exponent ~0.9, so e^1.8 ~ 6x growth at most).
    let short = |dt: f64| {
        LorenzConfig {
            dt,
            transient: 0.0,
            ..LorenzConfig::default()
        }
        .generate(100)
        .unwrap()
    };
    let coarse = short(0.01);
    let fine = short(0.001);
    // Measured 7.5e-4 (on values of size 1..40); RK4 error scales as dt^4,
    // checked below, so this is the scheme's error, not a bug.
    let err_coarse = max_abs_diff(&coarse, &fine);
    assert!(err_coarse < 2e-3, "dt = 0.01 vs 0.001: {err_coarse}");
    // Halving the step must cut the error ~16x (fourth order): a lower-order
    // stage mistake would give 2x, 4x or 8x.
    let err_half = max_abs_diff(&short(0.005), &short(0.0005));
    let ratio = err_coarse / err_half;
    assert!((12.0..20.0).contains(&ratio), "order ratio {ratio}");
}

#[test]
fn lorenz_long_run_stays_on_the_attractor() {
    // 1000 time units after the default 100-unit transient.
    let series = LorenzConfig::default().generate(50_000).unwrap();
    for row in series.rows() {
        // The attractor lies within |x| < 20, |y| < 28, 0 < z < 50 for the
        // standard parameters (bounded-region estimates are larger; these
        // are the observed extents with a little margin).
        assert!(row[0].abs() < 25.0 && row[1].abs() < 30.0, "{row:?}");
        assert!(row[2] > 0.0 && row[2] < 50.0, "{row:?}");
    }
    let z = series.column(2).unwrap();
    let (mean_z, _) = mean_std(&z);
    // The long-run mean of z is 23.55 for sigma = 10, rho = 28, beta = 8/3
    // (measured here over 5000 time units: 23.54; means over 1000-unit
    // blocks spread by only ~0.01). ±0.3 leaves room for the literature's
    // rounding (~23.5) while any error in the equations moves it by whole
    // units or half-units (measured: beta = 3 instead of 8/3 gives 23.0).
    assert!((mean_z - 23.55).abs() < 0.3, "mean z = {mean_z}");
    // Symmetry x,y -> -x,-y: the x and y means are near 0.
    let (mean_x, _) = mean_std(&series.column(0).unwrap());
    assert!(mean_x.abs() < 1.0, "mean x = {mean_x}");
}

#[test]
fn lorenz_golden_values() {
    let series = LorenzConfig::default().generate(3).unwrap();
    assert_eq!(series.dim(), 3);
    assert_golden(
        series.as_slice(),
        &[
            0.3984781743105972,
            0.7357020514634592,
            10.659565937310285,
            0.47201612883622757,
            0.8727092810085528,
            10.112757612461857,
            0.5598514211728587,
            1.0404853257995572,
            9.59713862667151,
        ],
    );
}

#[test]
fn lorenz_rejects_bad_parameters() {
    let bad = |config: LorenzConfig| config.generate(1).unwrap_err();
    let base = LorenzConfig::default();
    assert!(matches!(
        bad(LorenzConfig { dt: 0.0, ..base }),
        TaskError::InvalidParameter { name: "dt", .. }
    ));
    assert!(matches!(
        bad(LorenzConfig { dt: -0.01, ..base }),
        TaskError::InvalidParameter { name: "dt", .. }
    ));
    assert!(matches!(
        bad(LorenzConfig {
            sample_step: 0.015,
            ..base
        }),
        TaskError::InvalidParameter {
            name: "sample_step",
            ..
        }
    ));
    assert!(matches!(
        bad(LorenzConfig {
            sample_step: 0.0,
            ..base
        }),
        TaskError::InvalidParameter {
            name: "sample_step",
            ..
        }
    ));
    assert!(matches!(
        bad(LorenzConfig {
            transient: -1.0,
            ..base
        }),
        TaskError::InvalidParameter {
            name: "transient",
            ..
        }
    ));
    assert!(matches!(
        bad(LorenzConfig {
            rho: f64::NAN,
            ..base
        }),
        TaskError::InvalidParameter { name: "rho", .. }
    ));
    assert!(matches!(
        bad(LorenzConfig {
            initial: [0.0, f64::INFINITY, 0.0],
            ..base
        }),
        TaskError::InvalidParameter {
            name: "initial",
            ..
        }
    ));
    // A step far too large for RK4's stability region blows up: reported,
    // not returned as garbage.
    assert!(matches!(
        bad(LorenzConfig {
            dt: 1.0,
            sample_step: 1.0,
            ..base
        }),
        TaskError::Diverged { .. }
    ));
}

// ------------------------------------------------------------- Mackey-Glass

#[test]
fn mackey_glass_two_steps_agree_over_a_short_horizon() {
    // 300 time units from the constant history: about two Lyapunov times
    // for tau = 17 (largest exponent ~0.007 per time unit).
    let run = |dt: f64| {
        MackeyGlassConfig {
            dt,
            transient: 0.0,
            ..MackeyGlassConfig::default()
        }
        .generate(300)
        .unwrap()
    };
    let reference = run(0.01);
    // Measured: 7.6e-8 (dt = 0.1) and 9.4e-9 (dt = 0.05). Interpolating the
    // delayed midpoint across the t = 0 kink (second order) gave ~7e-5.
    let err_01 = max_abs_diff(&run(0.1), &reference);
    let err_005 = max_abs_diff(&run(0.05), &reference);
    assert!(err_01 < 1e-6, "dt = 0.1 vs 0.01: {err_01}");
    assert!(
        err_005 < err_01 / 4.0,
        "dt = 0.05 error {err_005} vs dt = 0.1 error {err_01}"
    );
}

/// An independent integrator for the test: Heun's method (explicit
/// trapezoid), which needs the delayed value only at grid points, so no
/// interpolation and no code shared with the crate. Returns one sample per
/// time unit after `transient` time units, `samples` of them.
fn heun_mackey_glass(dt: f64, constant_history: f64, transient: f64, samples: usize) -> Vec<f64> {
    let m = (17.0 / dt).round() as usize;
    let per_sample = (1.0 / dt).round() as usize;
    let skip = (transient / dt).round() as usize;
    let g = |d: f64| 0.2 * d / (1.0 + d.powi(10));
    // ring[i % (m + 1)] holds x[i - m] .. x[i] for the current step i.
    let mut ring = vec![constant_history; m + 1];
    let mut x = constant_history;
    let mut out = Vec::with_capacity(samples);
    let mut i = 0;
    while out.len() < samples {
        if i >= skip && (i - skip) % per_sample == 0 {
            out.push(x);
        }
        let lag0 = ring[i % (m + 1)];
        let lag1 = ring[(i + 1) % (m + 1)];
        let k1 = g(lag0) - 0.1 * x;
        let k2 = g(lag1) - 0.1 * (x + dt * k1);
        x += 0.5 * dt * (k1 + k2);
        ring[i % (m + 1)] = x; // x[i + 1] replaces x[i - m]
        i += 1;
    }
    out
}

#[test]
fn mackey_glass_long_run_statistics_match_an_independent_integrator() {
    let series = MackeyGlassConfig::default().generate(10_000).unwrap();
    let values = series.as_slice();
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    // The tau = 17 attractor spans about [0.42, 1.32].
    assert!(lo > 0.2 && hi < 1.4, "range [{lo}, {hi}]");
    let (mean, std) = mean_std(values);

    // A different trajectory (other history) from a different scheme with a
    // 10x finer step: on the same attractor, so the same statistics.
    let independent = heun_mackey_glass(0.01, 0.5, 1000.0, 10_000);
    let (ref_mean, ref_std) = mean_std(&independent);
    // Measured: RK4 0.9301 / 0.2262, Heun 0.9301 / 0.2260. Means over
    // 5000-unit blocks of either spread by ~0.001 (std by ~0.0003), so
    // 0.005 and 0.003 are ~5 standard errors of the difference of two
    // 10000-unit estimates. A wrong equation moves them by more (measured:
    // n = 9 shifts the mean by 0.011, tau = 16 shifts the std by 0.004).
    assert!((mean - ref_mean).abs() < 0.005, "mean {mean} vs {ref_mean}");
    assert!((std - ref_std).abs() < 0.003, "std {std} vs {ref_std}");
    // And both sit where the literature puts them (mean ~0.9, std ~0.23).
    assert!((0.88..0.98).contains(&mean) && (0.2..0.26).contains(&std));
}

#[test]
fn mackey_glass_golden_values() {
    let default = MackeyGlassConfig::default().generate(5).unwrap();
    assert_golden(
        default.as_slice(),
        &[
            0.9472021643479565,
            0.9009203374461562,
            0.8578288693332804,
            0.8172214104247154,
            0.7780259983586656,
        ],
    );
    let random_history = MackeyGlassConfig {
        history: HistoryInit::Random {
            seed: 7,
            low: 0.5,
            high: 1.3,
        },
        transient: 100.0,
        ..MackeyGlassConfig::default()
    }
    .generate(5)
    .unwrap();
    assert_golden(
        random_history.as_slice(),
        &[
            0.7938319957251826,
            0.7609629330553179,
            0.7349562393891338,
            0.7158460645503409,
            0.7030624836038342,
        ],
    );
}

#[test]
fn mackey_glass_random_history_depends_on_the_seed_only() {
    let with_seed = |seed| MackeyGlassConfig {
        history: HistoryInit::Random {
            seed,
            low: 0.5,
            high: 1.3,
        },
        transient: 50.0,
        ..MackeyGlassConfig::default()
    };
    let a = with_seed(1).generate(20).unwrap();
    assert_eq!(a, with_seed(1).generate(20).unwrap());
    assert_ne!(a, with_seed(2).generate(20).unwrap());
}

#[test]
fn mackey_glass_rejects_bad_parameters() {
    let bad = |config: MackeyGlassConfig| config.generate(1).unwrap_err();
    let base = MackeyGlassConfig::default();
    let name_of = |e: TaskError| match e {
        TaskError::InvalidParameter { name, .. } => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    };
    assert_eq!(
        name_of(bad(MackeyGlassConfig { tau: 17.05, ..base })),
        "tau"
    );
    assert_eq!(name_of(bad(MackeyGlassConfig { tau: 0.0, ..base })), "tau");
    assert_eq!(
        name_of(bad(MackeyGlassConfig { tau: -17.0, ..base })),
        "tau"
    );
    assert_eq!(name_of(bad(MackeyGlassConfig { dt: 0.0, ..base })), "dt");
    assert_eq!(name_of(bad(MackeyGlassConfig { dt: -0.1, ..base })), "dt");
    assert_eq!(
        name_of(bad(MackeyGlassConfig {
            dt: f64::NAN,
            ..base
        })),
        "dt"
    );
    assert_eq!(name_of(bad(MackeyGlassConfig { dt: 0.3, ..base })), "tau");
    assert_eq!(
        name_of(bad(MackeyGlassConfig {
            sample_step: 0.25,
            ..base
        })),
        "sample_step"
    );
    assert_eq!(
        name_of(bad(MackeyGlassConfig {
            sample_step: 0.0,
            ..base
        })),
        "sample_step"
    );
    assert_eq!(
        name_of(bad(MackeyGlassConfig {
            transient: 1000.05,
            ..base
        })),
        "transient"
    );
    assert_eq!(
        name_of(bad(MackeyGlassConfig {
            a: f64::INFINITY,
            ..base
        })),
        "a"
    );
    assert_eq!(
        name_of(bad(MackeyGlassConfig {
            n: f64::NAN,
            ..base
        })),
        "n"
    );
    assert_eq!(
        name_of(bad(MackeyGlassConfig {
            history: HistoryInit::Constant(f64::NAN),
            ..base
        })),
        "history"
    );
    assert_eq!(
        name_of(bad(MackeyGlassConfig {
            history: HistoryInit::Random {
                seed: 0,
                low: 1.0,
                high: 0.5
            },
            ..base
        })),
        "history"
    );
    // tau / dt beyond the delay-buffer cap is refused before allocating.
    assert_eq!(name_of(bad(MackeyGlassConfig { tau: 1e9, ..base })), "tau");
    // A negative history with a fractional exponent has no real solution.
    assert!(matches!(
        bad(MackeyGlassConfig {
            n: 9.5,
            history: HistoryInit::Constant(-1.0),
            ..base
        }),
        TaskError::Diverged { .. }
    ));
}

#[test]
fn generators_return_the_requested_number_of_samples() {
    assert_eq!(MackeyGlassConfig::default().generate(0).unwrap().len(), 0);
    let s = MackeyGlassConfig {
        sample_step: 0.5,
        ..MackeyGlassConfig::default()
    }
    .generate(7)
    .unwrap();
    assert_eq!((s.len(), s.dim()), (7, 1));
    let s = LorenzConfig::default().generate(11).unwrap();
    assert_eq!((s.len(), s.dim()), (11, 3));
}
