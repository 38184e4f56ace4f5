//! SGD and Adam kernels: one step against a hand computation, convergence, and errors that leave everything unchanged.

use dopamine_core::{Adam, AdamConfig, Error, Sgd, SgdConfig};

#[test]
fn sgd_step_matches_hand_computation() {
    // v = 0.9 * v + g; w -= 0.1 * v.
    let sgd = Sgd::new(SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        nesterov: false,
    })
    .unwrap();
    let mut w = [1.0f64, 2.0];
    let mut v = [0.2f64, 0.3];
    sgd.step(&mut w, &[0.5, -1.0], &mut v).unwrap();
    assert_eq!(v, [0.68, -0.73]); // 0.18 + 0.5, 0.27 - 1.0
    assert!(
        (w[0] - 0.932).abs() < 1e-15 && (w[1] - 2.073).abs() < 1e-15,
        "{w:?}"
    );
    // Nesterov: w -= lr * (g + momentum * v_new).
    let sgd = Sgd::new(SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        nesterov: true,
    })
    .unwrap();
    let mut w = [1.0f64, 2.0];
    let mut v = [0.2f64, 0.3];
    sgd.step(&mut w, &[0.5, -1.0], &mut v).unwrap();
    // 1 - 0.1 * (0.5 + 0.612) = 0.8888; 2 - 0.1 * (-1.0 - 0.657) = 2.1657.
    assert!(
        (w[0] - 0.8888).abs() < 1e-15 && (w[1] - 2.1657).abs() < 1e-15,
        "{w:?}"
    );
    // Plain SGD and scale_lr.
    let mut sgd = Sgd::new(SgdConfig {
        lr: 0.5f32,
        momentum: 0.0,
        nesterov: false,
    })
    .unwrap();
    sgd.scale_lr(0.5);
    assert_eq!(sgd.lr(), 0.25);
    let mut w = [1.0f32];
    sgd.step(&mut w, &[2.0], &mut [0.0]).unwrap();
    assert_eq!(w, [0.5]);
}

#[test]
fn adam_steps_match_hand_computation() {
    let cfg = AdamConfig {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
    };
    let mut adam = Adam::new(cfg).unwrap();
    let mut w = [1.0f64, -1.0];
    let (mut m, mut v) = ([0.0f64; 2], [0.0f64; 2]);
    adam.step(&mut w, &[0.2, -3.0], &mut m, &mut v).unwrap();
    // Step 1: m_hat = g, v_hat = g^2, so w -= lr * g / (|g| + eps).
    assert!((w[0] - (1.0 - 0.01 * 0.2 / (0.2 + 1e-8))).abs() < 1e-15);
    assert!((w[1] - (-1.0 + 0.01 * 3.0 / (3.0 + 1e-8))).abs() < 1e-15);
    assert!((m[0] - 0.02).abs() < 1e-16 && (v[1] - 0.009).abs() < 1e-16);
    // Step 2 with g = (0.1, 1.0), by hand.
    adam.step(&mut w, &[0.1, 1.0], &mut m, &mut v).unwrap();
    let m2: [f64; 2] = [0.9 * 0.02 + 0.1 * 0.1, 0.9 * -0.3 + 0.1 * 1.0];
    let v2: [f64; 2] = [
        0.999 * 0.001 * 0.04 + 0.001 * 0.01,
        0.999 * 0.009 + 0.001 * 1.0,
    ];
    let (c1, c2): (f64, f64) = (1.0 - 0.81, 1.0 - 0.998001);
    let w1 = [
        1.0 - 0.01 * 0.2 / (0.2 + 1e-8),
        -1.0 + 0.01 * 3.0 / (3.0 + 1e-8),
    ];
    for i in 0..2 {
        let expected = w1[i] - 0.01 * (m2[i] / c1) / ((v2[i] / c2).sqrt() + 1e-8);
        assert!(
            (w[i] - expected).abs() < 1e-14,
            "{i}: {} vs {expected}",
            w[i]
        );
    }
    assert_eq!(adam.steps(), 2);
}

#[test]
fn adam_converges_on_a_quadratic() {
    // L = sum_i a_i (w_i - t_i)^2, gradient 2 a_i (w_i - t_i).
    let a = [1.0f64, 10.0, 0.1, 3.0];
    let t = [1.0f64, -2.0, 0.5, 4.0];
    let mut adam = Adam::new(AdamConfig {
        lr: 0.05,
        ..Default::default()
    })
    .unwrap();
    let mut w = [0.0f64; 4];
    let (mut m, mut v) = ([0.0; 4], [0.0; 4]);
    for step in 0..5_000 {
        if step == 3_000 {
            adam.scale_lr(0.1);
        }
        let g: Vec<f64> = (0..4).map(|i| 2.0 * a[i] * (w[i] - t[i])).collect();
        adam.step(&mut w, &g, &mut m, &mut v).unwrap();
    }
    for i in 0..4 {
        assert!((w[i] - t[i]).abs() < 1e-3, "{i}: {}", w[i]);
    }
}

#[test]
fn sgd_converges_on_a_quadratic() {
    let sgd = Sgd::new(SgdConfig::default()).unwrap();
    let mut w = [3.0f64, -4.0];
    let mut vel = [0.0; 2];
    for _ in 0..2_000 {
        let g = [2.0 * w[0], 2.0 * w[1]];
        sgd.step(&mut w, &g, &mut vel).unwrap();
    }
    assert!(w[0].abs() < 1e-8 && w[1].abs() < 1e-8, "{w:?}");
}

#[test]
fn errors_leave_everything_unchanged() {
    let sgd = Sgd::new(SgdConfig::<f64>::default()).unwrap();
    let mut adam = Adam::new(AdamConfig::<f64>::default()).unwrap();
    let w0 = [1.0f64, 2.0, 3.0];
    let mut w = w0;
    let mut s1 = [0.5f64; 3];
    let mut s2 = [0.25f64; 3];
    let mut short = [0.0f64; 2];
    assert_eq!(
        sgd.step(&mut w, &[1.0, 1.0], &mut s1),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        sgd.step(&mut w, &[1.0; 3], &mut short),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        sgd.step(&mut w, &[1.0, f64::NAN, 1.0], &mut s1),
        Err(Error::NonFiniteGradient)
    );
    assert_eq!(sgd.step(&mut [], &[], &mut []), Err(Error::EmptyParameters));
    assert_eq!(
        adam.step(&mut w, &[1.0; 2], &mut s1, &mut s2),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        adam.step(&mut w, &[1.0; 3], &mut s1, &mut short),
        Err(Error::LengthMismatch {
            expected: 3,
            got: 2
        })
    );
    assert_eq!(
        adam.step(&mut w, &[f64::INFINITY, 0.0, 0.0], &mut s1, &mut s2),
        Err(Error::NonFiniteGradient)
    );
    assert_eq!((w, s1, s2), (w0, [0.5; 3], [0.25; 3]));
    assert_eq!(adam.steps(), 0);
    // The next valid Adam step is the first one (bias correction not advanced).
    let mut fresh = Adam::new(AdamConfig::<f64>::default()).unwrap();
    let (mut wa, mut wb) = (w0, w0);
    let (mut m1, mut v1, mut m2, mut v2) = ([0.0; 3], [0.0; 3], [0.0; 3], [0.0; 3]);
    adam.step(&mut wa, &[0.3; 3], &mut m1, &mut v1).unwrap();
    fresh.step(&mut wb, &[0.3; 3], &mut m2, &mut v2).unwrap();
    assert_eq!(wa, wb);
}

#[test]
fn invalid_baseline_settings() {
    assert_eq!(
        Sgd::new(SgdConfig {
            lr: 0.0f64,
            ..Default::default()
        })
        .err(),
        Some(Error::EtaNotPositive)
    );
    assert_eq!(
        Sgd::new(SgdConfig {
            momentum: 1.0f64,
            ..Default::default()
        })
        .err(),
        Some(Error::InvalidSetting("momentum must lie in [0, 1)"))
    );
    assert_eq!(
        Sgd::new(SgdConfig {
            momentum: f64::NAN,
            ..Default::default()
        })
        .err(),
        Some(Error::NonFiniteSetting("momentum"))
    );
    assert_eq!(
        Adam::new(AdamConfig {
            lr: f64::NAN,
            ..Default::default()
        })
        .err(),
        Some(Error::EtaNotPositive)
    );
    assert_eq!(
        Adam::new(AdamConfig {
            beta1: 1.0f64,
            ..Default::default()
        })
        .err(),
        Some(Error::BetaOutOfRange)
    );
    assert_eq!(
        Adam::new(AdamConfig {
            beta2: -0.5f64,
            ..Default::default()
        })
        .err(),
        Some(Error::BetaOutOfRange)
    );
    assert_eq!(
        Adam::new(AdamConfig {
            beta2: f64::NAN,
            ..Default::default()
        })
        .err(),
        Some(Error::NonFiniteSetting("beta2"))
    );
    assert_eq!(
        Adam::new(AdamConfig {
            eps: 0.0f64,
            ..Default::default()
        })
        .err(),
        Some(Error::EpsNotPositive)
    );
}
