//! Dopamine-3: the noise keys pinned, the estimate against its definition and against finite differences, block vs streaming arithmetic, the safety net, validation, the protocol, FLOP counts and a mid-sequence serde round trip.

use dopamine_core::node::node_noise;
use dopamine_core::{
    Accumulation, AdaptiveCoding, Dopamine3, Dopamine3Config, Error, EtaSchedule, NodeLayer,
    NodeLayout, NodeUpdate, NoiseKind, NoiseMode, SecondMomentConfig, Signal, UpdateEvery,
    UpdateRejection,
};

/// A tiny Elman network, `I = 1`, `H = 3`, `O = 1` (P = 19), driven by hand.
const H: usize = 3;

fn layout() -> NodeLayout {
    NodeLayout::elman(1, H, 1).unwrap()
}

fn initial_params() -> Vec<f64> {
    (0..19)
        .map(|k| 0.6 * ((k as f64 * 1.7 + 0.3).sin()))
        .collect()
}

fn input(t: usize) -> f64 {
    (0.4 * t as f64).sin()
}

/// One step of one copy: `h = tanh(W_in x + W_hh h + b + nh)`,
/// `y = W_out h + b_out + ny`.
fn copy_step(w: &[f64], x: f64, h: &mut [f64; H], nh: &[f64], ny: f64) -> f64 {
    let mut next = [0.0; H];
    for (i, n) in next.iter_mut().enumerate() {
        let mut z = w[i] * x;
        for j in 0..H {
            z += w[H * (1 + j) + i] * h[j];
        }
        z += w[H * (1 + H) + i] + nh[i];
        *n = z.tanh();
    }
    *h = next;
    let o = H * (H + 2);
    let mut y = w[o + H] + ny;
    for j in 0..H {
        y += w[o + j] * h[j];
    }
    y
}

/// The summed squared error of a clean pass over `len` steps (after `washout`).
fn sequence_loss(w: &[f64], len: usize, washout: usize) -> f64 {
    let mut h = [0.0; H];
    let mut sum = 0.0;
    for t in 0..len {
        let y = copy_step(w, input(t), &mut h, &[0.0; H], 0.0);
        if t >= washout {
            sum += (y - input(t + 1)).powi(2);
        }
    }
    sum
}

/// Drives both copies through `len` steps; `loss_of(t, la, lb)` may replace
/// the losses (to inject NaN). Applies every update that falls due; does
/// not end the sequence.
fn run_steps<S: AsRef<[f64]> + AsMut<[f64]>>(
    rule: &mut Dopamine3<f64, S>,
    w: &mut [f64],
    len: usize,
    washout: usize,
    loss_of: impl Fn(usize, f64, f64) -> (f64, f64),
) -> Vec<NodeUpdate<f64>> {
    let mode = rule.config().noise;
    run_steps_picking(rule, w, len, washout, loss_of, |a, b| {
        mode.presynaptic(a, b)
    })
}

/// [`run_steps`] with the presynaptic activity taken by `pick(a, b)` from
/// the copies' values.
fn run_steps_picking<S: AsRef<[f64]> + AsMut<[f64]>>(
    rule: &mut Dopamine3<f64, S>,
    w: &mut [f64],
    len: usize,
    washout: usize,
    loss_of: impl Fn(usize, f64, f64) -> (f64, f64),
    pick: impl Fn(f64, f64) -> f64,
) -> Vec<NodeUpdate<f64>> {
    let mode = rule.config().noise;
    let fb: f64 = mode.copy_b_factor();
    let (mut ha, mut hb) = ([0.0; H], [0.0; H]);
    let mut updates = Vec::new();
    for t in 0..len {
        let step = rule.open_step().unwrap();
        let nh: Vec<f64> = step.noise[..H].to_vec();
        let ny = step.noise[H];
        let nb: Vec<f64> = nh.iter().map(|v| fb * v).collect();
        let x = input(t);
        step.presynaptic[0] = x;
        for j in 0..H {
            step.presynaptic[1 + j] = pick(ha[j], hb[j]);
        }
        let ya = copy_step(w, x, &mut ha, &nh, ny);
        let yb = copy_step(w, x, &mut hb, &nb, fb * ny);
        for j in 0..H {
            step.presynaptic[1 + H + j] = pick(ha[j], hb[j]);
        }
        let target = input(t + 1);
        let (la, lb) = if t >= washout {
            ((ya - target).powi(2), (yb - target).powi(2))
        } else {
            (0.0, 0.0)
        };
        let (la, lb) = loss_of(t, la, lb);
        if rule.record(la, lb).unwrap().update_due {
            updates.push(rule.update(w).unwrap());
        }
    }
    updates
}

fn new_rule(config: Dopamine3Config<f64>) -> Dopamine3<f64, Vec<f64>> {
    let storage = vec![0.0; config.storage_len(&layout())];
    Dopamine3::new(config, layout(), storage).unwrap()
}

fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// The noise of the new keys, pinned bit for bit: `z` of neuron `unit` at
/// step `step` of interval `interval`, seed 42, `N = 17`. Like the other
/// streams' pins (`value_stability.rs`), these must never change without a
/// note in the changelog: every seeded Dopamine-3 run depends on them.
#[test]
fn node_noise_is_pinned() {
    let pins: [(u64, u64, usize, u64); 6] = [
        (0, 0, 0, 0xbff8_15fb_0000_0000),       // -1.505366325378418
        (0, 0, 16, 0xbff6_61e9_a000_0000),      // -1.3989044427871704
        (0, 3, 13, 0x3fd3_0d12_c000_0000),      // 0.29767292737960815
        (7, 299, 5, 0x3fd0_17e1_6000_0000),     // 0.251457542181015
        (1 << 40, 0, 1, 0xbff3_eb20_2000_0000), // -1.2449036836624146
        (u64::MAX, 1_000_000, 16, 0x3ff7_b241_6000_0000), // 1.481019377708435
    ];
    for &(interval, step, unit, bits) in &pins {
        let z = node_noise(42, NoiseKind::Gaussian, interval, step, 17, unit);
        assert_eq!(z.to_bits(), bits, "({interval}, {step}, {unit}): {z}");
    }
    // Rademacher streams give signs.
    let r = node_noise(42, NoiseKind::Rademacher, 3, 5, 17, 2);
    assert!(r == 1.0 || r == -1.0);
}

/// `open_step` hands out `sigma z` of the keys above, step after step and
/// interval after interval, in every accumulation form.
#[test]
fn step_noise_follows_the_key_mapping() {
    for accumulation in [Accumulation::Streaming, Accumulation::Blocks(3)] {
        let config = Dopamine3Config {
            sigma: 0.25,
            seed: 9,
            update_every: UpdateEvery::Steps(4),
            accumulation,
            ..Default::default()
        };
        let mut rule = new_rule(config);
        let mut w = initial_params();
        let n = layout().neurons();
        for step in 0..11u64 {
            let (interval, s) = (step / 4, step % 4);
            let buffers = rule.open_step().unwrap();
            for i in 0..n {
                let z = node_noise(9, NoiseKind::Gaussian, interval, s, n, i);
                assert_eq!(buffers.noise[i], 0.25 * z, "{accumulation:?} {step} {i}");
            }
            // A second open returns the same step.
            let again = rule.open_step().unwrap().noise.to_vec();
            assert_eq!(
                again[0],
                0.25 * node_noise(9, NoiseKind::Gaussian, interval, s, n, 0)
            );
            if rule.record(0.1, 0.2).unwrap().update_due {
                let _ = rule.update(&mut w).unwrap();
            }
        }
        assert_eq!(rule.counters().noise_values, 11 * n as u64);
    }
}

/// The estimate is its definition, `sum_t D(t) e(t) / sigma^2` with
/// `e(t) = lambda e(t-1) + xi(t) x(t)^T`, computed here by hand for one
/// neuron with one input (and its bias) over 5 steps, in every form and for
/// every signal; blocks of 2 make the carried trace matter. A feed-forward
/// layer's eligibility is the current step's (`lambda = 0` for it).
#[test]
fn estimate_matches_its_definition() {
    for recurrent in [true, false] {
        estimate_matches_its_definition_for(recurrent);
    }
}

fn estimate_matches_its_definition_for(recurrent: bool) {
    let layer = if recurrent {
        NodeLayer::recurrent(1, 1)
    } else {
        NodeLayer::feedforward(1, 1)
    };
    let layout = NodeLayout::new(&[layer]).unwrap();
    let xs = [0.5, -1.0, 2.0, 0.25, -0.75];
    let losses = [(1.0, 1.5), (2.0, 1.0), (0.5, 0.75), (3.0, 2.0), (1.0, 1.25)];
    let (sigma, lambda) = (0.1, 0.5);
    let layer_lambda = if recurrent { lambda } else { 0.0 };
    for noise in [NoiseMode::Antithetic, NoiseMode::CleanPerturbed] {
        for signal in [Signal::PerStep, Signal::WholeInterval] {
            for accumulation in [
                Accumulation::Streaming,
                Accumulation::Blocks(2),
                Accumulation::Blocks(8),
            ] {
                let config = Dopamine3Config {
                    sigma,
                    lambda,
                    noise,
                    signal,
                    accumulation,
                    update_every: UpdateEvery::Sweep,
                    seed: 5,
                    ..Default::default()
                };
                let storage = vec![0.0; config.storage_len(&layout)];
                let mut rule = Dopamine3::new(config, layout, storage).unwrap();
                let (mut e, mut g, mut dsum, mut raw) = ([0.0; 2], [0.0; 2], 0.0, [0.0; 2]);
                for (t, (&x, &(la, lb))) in xs.iter().zip(&losses).enumerate() {
                    let step = rule.open_step().unwrap();
                    step.presynaptic[0] = x;
                    let xi = sigma * node_noise(5, NoiseKind::Gaussian, 0, t as u64, 1, 0);
                    assert_eq!(step.noise[0], xi);
                    let delta = match noise {
                        NoiseMode::Antithetic => 0.5 * (lb - la),
                        NoiseMode::CleanPerturbed => lb - la,
                    };
                    assert_eq!(rule.record(la, lb).unwrap().signal, Some(delta));
                    for (k, xj) in [x, 1.0].into_iter().enumerate() {
                        e[k] = layer_lambda * e[k] + xi * xj;
                        g[k] += delta * e[k];
                        raw[k] += xi * xj;
                    }
                    dsum += delta;
                }
                let mut out = [0.0; 2];
                rule.estimate(&mut out).unwrap();
                for k in 0..2 {
                    let want = match signal {
                        Signal::WholeInterval => dsum * raw[k] / (sigma * sigma),
                        _ => g[k] / (sigma * sigma),
                    };
                    assert!(
                        (out[k] - want).abs() <= 1e-12 * want.abs().max(1.0),
                        "{noise:?} {signal:?} {accumulation:?} {k}: {} vs {want}",
                        out[k]
                    );
                }
            }
        }
    }
}

/// Blocks of any size and the streaming form give the same training run to
/// rounding (updates every 50 steps, carried traces, several sweeps,
/// normalised and plain updates, and the trace's tail cut at `lambda =
/// 0.5`).
#[test]
fn block_and_streaming_forms_agree() {
    for second_moment in [None, Some(SecondMomentConfig::default())] {
        for lambda in [0.0, 0.5, 0.9] {
            let run = |accumulation| {
                let mut rule = new_rule(Dopamine3Config {
                    sigma: 0.05,
                    eta: 0.01,
                    lambda,
                    update_every: UpdateEvery::Steps(50),
                    second_moment,
                    accumulation,
                    seed: 3,
                    ..Default::default()
                });
                let mut w = initial_params();
                for _ in 0..3 {
                    let ups = run_steps(&mut rule, &mut w, 230, 10, |_, a, b| (a, b));
                    assert_eq!(ups.len(), 4);
                    assert!(rule.end_sequence(&mut w).unwrap().is_some());
                }
                (w, rule.trace().to_vec())
            };
            let (reference, _) = run(Accumulation::Streaming);
            assert_ne!(reference, initial_params());
            for blocks in [1, 7, 50, 64, 300] {
                let (w, _) = run(Accumulation::Blocks(blocks));
                for (a, b) in w.iter().zip(&reference) {
                    assert!(
                        (a - b).abs() <= 1e-9 * b.abs().max(1.0),
                        "{second_moment:?} lambda {lambda} blocks {blocks}: {a} vs {b}"
                    );
                }
            }
        }
    }
}

/// The trace carried over a block boundary equals the streamed trace.
#[test]
fn carried_trace_matches_streaming() {
    let config = |accumulation| Dopamine3Config {
        lambda: 0.8,
        update_every: UpdateEvery::Steps(1000),
        accumulation,
        ..Default::default()
    };
    let mut a = new_rule(config(Accumulation::Streaming));
    let mut b = new_rule(config(Accumulation::Blocks(16)));
    let mut w = initial_params();
    let _ = run_steps(&mut a, &mut w, 64, 0, |_, x, y| (x, y));
    let _ = run_steps(&mut b, &mut w, 64, 0, |_, x, y| (x, y));
    assert!(a.trace().iter().any(|v| *v != 0.0));
    for (x, y) in a.trace().iter().zip(b.trace()) {
        assert!((x - y).abs() <= 1e-12 * y.abs().max(1e-3), "{x} vs {y}");
    }
}

/// One sweep's estimate at tiny `sigma` points along minus the gradient of
/// the summed loss (central finite differences): the averaged estimate has
/// cosine > 0.95 with it (measured: 0.993; 0.908 without the trace), the sign is right, and with a trace close to 1
/// it beats the trace-free estimate (`lambda = 0`), which misses the credit
/// that reaches later losses through the recurrence.
#[test]
fn estimate_points_down_the_finite_difference_gradient() {
    let (len, washout) = (40, 5);
    let w = initial_params();
    let mut grad = vec![0.0; w.len()];
    for k in 0..w.len() {
        let h = 1e-6;
        let (mut up, mut down) = (w.clone(), w.clone());
        up[k] += h;
        down[k] -= h;
        grad[k] =
            (sequence_loss(&up, len, washout) - sequence_loss(&down, len, washout)) / (2.0 * h);
    }
    let minus_grad: Vec<f64> = grad.iter().map(|g| -g).collect();
    let mean_estimate = |lambda: f64, sweeps: usize| {
        let mut rule = new_rule(Dopamine3Config {
            sigma: 1e-4,
            lambda,
            update_every: UpdateEvery::Sweep,
            seed: 11,
            ..Default::default()
        });
        let mut sum = vec![0.0; w.len()];
        let mut out = vec![0.0; w.len()];
        for _ in 0..sweeps {
            let mut scratch = w.clone();
            let _ = run_steps(&mut rule, &mut scratch, len, washout, |_, a, b| (a, b));
            rule.estimate(&mut out).unwrap();
            for (s, o) in sum.iter_mut().zip(&out) {
                *s += o / sweeps as f64;
            }
            // The update lands on a scratch copy; the next sweep starts at `w` again.
            let _ = rule.end_sequence(&mut scratch).unwrap();
        }
        sum
    };
    let traced = cosine(&mean_estimate(0.95, 400), &minus_grad);
    let untraced = cosine(&mean_estimate(0.0, 400), &minus_grad);
    let single = cosine(&mean_estimate(0.95, 1), &minus_grad);
    assert!(traced > 0.95, "lambda 0.95: cosine {traced}");
    assert!(
        traced > untraced + 0.05,
        "lambda 0.95 {traced} vs 0 {untraced}"
    );
    // One sweep of 35 scored steps is a noisy estimate on a net this small
    // (the E2 network's sweeps are 1,449 steps long; see docs/algorithm.md).
    assert!(single > 0.2, "one sweep: cosine {single}");
}

/// Non-finite losses give no credit and are counted; the weights stay finite.
#[test]
fn non_finite_losses_are_rejected_steps() {
    let mut rule = new_rule(Dopamine3Config {
        update_every: UpdateEvery::Steps(20),
        ..Default::default()
    });
    let mut w = initial_params();
    let ups = run_steps(&mut rule, &mut w, 200, 0, |t, a, b| match t % 13 {
        0 => (f64::NAN, b),
        1 => (a, f64::INFINITY),
        _ => (a, b),
    });
    let bad = (0..200u64).filter(|t| t % 13 < 2).count() as u64;
    assert_eq!(rule.counters().rejected_steps, bad);
    assert!(ups.iter().all(|u| matches!(u, NodeUpdate::Applied { .. })));
    assert_eq!(rule.counters().updates, 10);
    assert!(w.iter().all(|v| v.is_finite()));
}

/// A loss of 1e300 makes an estimate whose square overflows the second
/// moment (the default), and without the normalisation a loss of 1e307 one
/// that overflows itself: the update is refused before anything is
/// written, the trace is cleared, the counters say so, and the next
/// interval learns again. (Without the normalisation a loss of 1e300 gives
/// a finite update as large as the loss: the plain rule is unbounded in the
/// loss's scale, one reason the normalisation is on by default.)
#[test]
fn huge_losses_refuse_the_update() {
    for (second_moment, spike) in [(Some(SecondMomentConfig::default()), 1e300), (None, 1e307)] {
        let mut rule = new_rule(Dopamine3Config {
            update_every: UpdateEvery::Steps(10),
            second_moment,
            ..Default::default()
        });
        let mut w = initial_params();
        let before_u = rule.second_moments().map(<[f64]>::to_vec);
        let ups = run_steps(&mut rule, &mut w, 10, 0, |t, a, b| {
            if t == 4 { (spike, b) } else { (a, b) }
        });
        assert!(
            matches!(ups[..], [NodeUpdate::Rejected { steps: 10, .. }]),
            "{second_moment:?}: {ups:?}"
        );
        assert_eq!(w, initial_params());
        assert_eq!(rule.second_moments().map(<[f64]>::to_vec), before_u);
        assert!(rule.trace().iter().all(|e| *e == 0.0));
        assert_eq!(rule.counters().rejected_updates, 1);
        assert_eq!(rule.counters().consecutive_rejected_updates, 1);
        let ups = run_steps(&mut rule, &mut w, 10, 0, |_, a, b| (a, b));
        assert!(matches!(ups[..], [NodeUpdate::Applied { .. }]));
        assert_eq!(rule.counters().consecutive_rejected_updates, 0);
    }
    // In f32, without the normalisation, a loss of 3e38 overflows the estimate.
    let layout = NodeLayout::new(&[NodeLayer::recurrent(1, 1)]).unwrap();
    let config = Dopamine3Config::<f32> {
        update_every: UpdateEvery::Steps(2),
        second_moment: None,
        ..Default::default()
    };
    let mut storage = vec![0.0f32; config.storage_len(&layout)];
    let mut rule = Dopamine3::new(config, layout, &mut storage[..]).unwrap();
    let mut w = [1.0f32, 0.0];
    for loss in [3e38f32, 0.0] {
        rule.open_step().unwrap().presynaptic[0] = 1.0;
        let _ = rule.record(loss, 0.0).unwrap();
    }
    let outcome = rule.update(&mut w).unwrap();
    assert!(
        matches!(outcome, NodeUpdate::Rejected { .. }),
        "{outcome:?}"
    );
    assert_eq!(w, [1.0, 0.0]);
}

/// An update that would push a weight past the limit is refused as too large.
#[test]
fn updates_past_the_weight_limit_are_refused() {
    let layout = NodeLayout::new(&[NodeLayer::recurrent(1, 1)]).unwrap();
    // The normalised step is +-eta on both parameters (first update, `x = 1`):
    // one of the two weights leaves the range whatever the noise's sign.
    let config = Dopamine3Config::<f32> {
        eta: 1e38,
        update_every: UpdateEvery::Steps(1),
        ..Default::default()
    };
    let mut storage = vec![0.0f32; config.storage_len(&layout)];
    let mut rule = Dopamine3::new(config, layout, &mut storage[..]).unwrap();
    let mut w = [3.0e38f32, -3.0e38];
    rule.open_step().unwrap().presynaptic[0] = 1.0;
    let _ = rule.record(0.0, 1.0).unwrap();
    let outcome = rule.update(&mut w).unwrap();
    assert_eq!(
        outcome,
        NodeUpdate::Rejected {
            reason: UpdateRejection::TooLarge,
            steps: 1
        }
    );
    assert_eq!(w, [3.0e38, -3.0e38]);
}

#[test]
fn bad_settings_are_typed_errors() {
    let ok = Dopamine3Config::<f64>::default();
    let cases: Vec<(Dopamine3Config<f64>, Error)> = vec![
        (
            Dopamine3Config { sigma: 0.0, ..ok },
            Error::SigmaNotPositive,
        ),
        (
            Dopamine3Config { sigma: -1.0, ..ok },
            Error::SigmaNotPositive,
        ),
        (
            Dopamine3Config {
                sigma: f64::NAN,
                ..ok
            },
            Error::SigmaNotPositive,
        ),
        (Dopamine3Config { eta: 0.0, ..ok }, Error::EtaNotPositive),
        (
            Dopamine3Config {
                eta: f64::INFINITY,
                ..ok
            },
            Error::EtaNotPositive,
        ),
        (
            Dopamine3Config { lambda: 1.0, ..ok },
            Error::LambdaOutOfRange,
        ),
        (
            Dopamine3Config { lambda: -0.1, ..ok },
            Error::LambdaOutOfRange,
        ),
        (
            Dopamine3Config {
                lambda: f64::NAN,
                ..ok
            },
            Error::NonFiniteSetting("lambda"),
        ),
        (
            Dopamine3Config {
                sigma: 1e-200,
                ..ok
            },
            Error::InvalidSetting("sigma^2 and 1/sigma^2 must be finite and > 0"),
        ),
        (
            Dopamine3Config {
                update_every: UpdateEvery::Steps(0),
                ..ok
            },
            Error::InvalidSetting("the update interval C must be at least 1 step"),
        ),
        (
            Dopamine3Config {
                accumulation: Accumulation::Blocks(0),
                ..ok
            },
            Error::InvalidSetting("a block buffer must hold at least 1 step"),
        ),
        (
            Dopamine3Config {
                signal: Signal::Adaptive(AdaptiveCoding {
                    beta: 1.0,
                    ..Default::default()
                }),
                ..ok
            },
            Error::BetaOutOfRange,
        ),
        (
            Dopamine3Config {
                second_moment: Some(SecondMomentConfig {
                    beta2: 0.9,
                    eps: 0.0,
                }),
                ..ok
            },
            Error::EpsNotPositive,
        ),
        (
            Dopamine3Config {
                schedule: EtaSchedule::Cosine {
                    total_steps: 0,
                    final_fraction: 0.1,
                },
                ..ok
            },
            Error::InvalidSetting("cosine schedule needs total_steps > 0"),
        ),
    ];
    for (config, want) in cases {
        assert_eq!(config.validate(), Err(want), "{config:?}");
        let storage = vec![0.0; ok.storage_len(&layout())];
        assert_eq!(Dopamine3::new(config, layout(), storage).unwrap_err(), want);
    }
    let short = vec![0.0; ok.storage_len(&layout()) - 1];
    assert_eq!(
        Dopamine3::new(ok, layout(), short).unwrap_err(),
        Error::LengthMismatch {
            expected: ok.storage_len(&layout()),
            got: ok.storage_len(&layout()) - 1
        }
    );
    assert_eq!(NodeLayout::new(&[]).unwrap_err(), Error::EmptyParameters);
    assert_eq!(
        NodeLayout::new(&[NodeLayer::recurrent(2, 1), NodeLayer::recurrent(0, 2)]).unwrap_err(),
        Error::EmptyBlock { index: 1 }
    );
    assert_eq!(
        NodeLayout::new(&[NodeLayer::recurrent(1, 1); 9]).unwrap_err(),
        Error::TooManyBlocks {
            requested: 9,
            max: 8
        }
    );
}

#[test]
fn protocol_misuse_is_an_error_and_changes_nothing() {
    let mut rule = new_rule(Dopamine3Config {
        update_every: UpdateEvery::Steps(2),
        ..Default::default()
    });
    let mut w = initial_params();
    assert_eq!(rule.record(0.0, 0.0).unwrap_err(), Error::TellWithoutAsk);
    assert!(matches!(rule.update(&mut w), Err(Error::NodeProtocol(_))));
    let _ = rule.open_step().unwrap();
    assert!(matches!(
        rule.end_sequence(&mut w),
        Err(Error::NodeProtocol(_))
    ));
    assert!(matches!(
        rule.estimate(&mut w.clone()),
        Err(Error::NodeProtocol(_))
    ));
    let _ = rule.record(0.0, 1.0).unwrap();
    let _ = rule.open_step().unwrap();
    assert!(rule.record(0.0, 1.0).unwrap().update_due);
    assert!(matches!(rule.open_step(), Err(Error::NodeProtocol(_))));
    assert_eq!(
        rule.update(&mut w[..3]).unwrap_err(),
        Error::LengthMismatch {
            expected: 19,
            got: 3
        }
    );
    assert_eq!(w, initial_params());
    assert!(matches!(
        rule.update(&mut w).unwrap(),
        NodeUpdate::Applied { steps: 2, .. }
    ));
    assert_eq!(rule.end_sequence(&mut w).unwrap(), None);
}

/// The learning rate follows the schedule over updates.
#[test]
fn schedule_runs_over_updates() {
    let schedule = EtaSchedule::Step {
        every: 2,
        factor: 0.5,
    };
    let mut rule = new_rule(Dopamine3Config {
        eta: 0.01,
        update_every: UpdateEvery::Steps(5),
        schedule,
        ..Default::default()
    });
    let mut w = initial_params();
    let ups = run_steps(&mut rule, &mut w, 25, 0, |_, a, b| (a, b));
    let etas: Vec<f64> = ups
        .iter()
        .map(|u| match u {
            NodeUpdate::Applied { eta, .. } => *eta,
            NodeUpdate::Rejected { .. } => f64::NAN,
        })
        .collect();
    assert_eq!(etas, [0.01, 0.01, 0.005, 0.005, 0.0025]);
}

/// The FLOP counter equals the formula of a whole sequence, for every form,
/// interval and signal.
#[test]
fn flop_counter_matches_the_sequence_formula() {
    for accumulation in [
        Accumulation::Streaming,
        Accumulation::Blocks(16),
        Accumulation::Blocks(300),
    ] {
        for update_every in [UpdateEvery::Steps(50), UpdateEvery::Sweep] {
            for signal in [Signal::PerStep, Signal::WholeInterval] {
                for lambda in [0.0, 0.5] {
                    let config = Dopamine3Config {
                        accumulation,
                        update_every,
                        signal,
                        lambda,
                        ..Default::default()
                    };
                    let mut rule = new_rule(config);
                    let mut w = initial_params();
                    let _ = run_steps(&mut rule, &mut w, 137, 10, |_, a, b| (a, b));
                    let _ = rule.end_sequence(&mut w).unwrap();
                    assert_eq!(
                        rule.counters().eligibility_flops,
                        config.sequence_flops(&layout(), 137),
                        "{config:?}"
                    );
                }
            }
        }
    }
}

/// Adaptive coding and clean + perturbed copies learn too: the loss of the
/// tiny network falls over a few sweeps.
#[test]
fn every_signal_and_noise_mode_learns() {
    let (len, washout) = (200, 10);
    let before = sequence_loss(&initial_params(), len, washout);
    for signal in [
        Signal::PerStep,
        Signal::Adaptive(AdaptiveCoding::default()),
        Signal::WholeInterval,
    ] {
        for noise in [NoiseMode::Antithetic, NoiseMode::CleanPerturbed] {
            let mut rule = new_rule(Dopamine3Config {
                sigma: 0.01,
                eta: 0.01,
                signal,
                noise,
                update_every: UpdateEvery::Steps(50),
                ..Default::default()
            });
            let mut w = initial_params();
            for _ in 0..60 {
                let _ = run_steps(&mut rule, &mut w, len, washout, |_, a, b| (a, b));
                let _ = rule.end_sequence(&mut w).unwrap();
            }
            let after = sequence_loss(&w, len, washout);
            assert!(
                after < 0.5 * before,
                "{signal:?} {noise:?}: {before} -> {after}"
            );
        }
    }
}

/// A rule serialised mid-block and mid-interval resumes bit for bit.
#[cfg(feature = "serde")]
#[test]
fn serde_round_trip_mid_sequence_resumes_bit_identically() {
    let config = Dopamine3Config {
        update_every: UpdateEvery::Steps(25),
        accumulation: Accumulation::Blocks(16),
        signal: Signal::Adaptive(AdaptiveCoding::default()),
        ..Default::default()
    };
    let mut rule = new_rule(config);
    let mut w = initial_params();
    let _ = run_steps(&mut rule, &mut w, 37, 0, |_, a, b| (a, b));
    let json = serde_json::to_string(&rule).unwrap();
    let mut resumed: Dopamine3<f64, Vec<f64>> = serde_json::from_str(&json).unwrap();
    assert_eq!(resumed, rule);
    let mut w2 = w.clone();
    let _ = run_steps(&mut rule, &mut w, 100, 0, |_, a, b| (a, b));
    let _ = run_steps(&mut resumed, &mut w2, 100, 0, |_, a, b| (a, b));
    assert_eq!(w, w2);
    assert_eq!(resumed, rule);
}

/// Which copy's activity the eligibility uses, checked numerically at a
/// large `sigma` (0.3, where the copies' states differ by `O(sigma)`; at
/// 0.01 every choice gives the same estimate to four digits): the mean of
/// the antithetic copies, the documented choice, against copy A's or copy
/// B's own activity, and for clean + perturbed noise the clean copy
/// against the perturbed one. Over 400 sweeps, against the
/// finite-difference gradient, measured (cosine of the mean estimate, mean
/// cosine of single sweeps): antithetic mean (0.976, 0.345), copy A
/// (0.977, 0.317), copy B (0.971, 0.317); clean (0.977, 0.185), perturbed
/// (0.917, 0.150). The documented choices have the least variance, and
/// the clean copy also the least bias.
#[test]
fn presynaptic_choice_is_checked() {
    const SIGMA: f64 = 0.3;
    let (len, washout) = (40, 5);
    let w = initial_params();
    let mut grad = vec![0.0; w.len()];
    for k in 0..w.len() {
        let h = 1e-6;
        let (mut up, mut down) = (w.clone(), w.clone());
        up[k] += h;
        down[k] -= h;
        grad[k] =
            (sequence_loss(&up, len, washout) - sequence_loss(&down, len, washout)) / (2.0 * h);
    }
    let minus: Vec<f64> = grad.iter().map(|g| -g).collect();
    let mean_cosine = |noise: NoiseMode, pick: &dyn Fn(f64, f64) -> f64| {
        let mut single = 0.0;
        let mut rule = new_rule(Dopamine3Config {
            sigma: SIGMA,
            lambda: 0.95,
            noise,
            update_every: UpdateEvery::Sweep,
            seed: 21,
            ..Default::default()
        });
        let (mut sum, mut out) = (vec![0.0; w.len()], vec![0.0; w.len()]);
        for _ in 0..400 {
            let mut scratch = w.clone();
            let _ = run_steps_picking(
                &mut rule,
                &mut scratch,
                len,
                washout,
                |_, a, b| (a, b),
                pick,
            );
            rule.estimate(&mut out).unwrap();
            single += cosine(&out, &minus) / 400.0;
            for (s, o) in sum.iter_mut().zip(&out) {
                *s += o;
            }
            rule.discard_sequence().unwrap();
        }
        (cosine(&sum, &minus), single)
    };
    let anti_mean = mean_cosine(NoiseMode::Antithetic, &|a, b| 0.5 * (a + b));
    let anti_a = mean_cosine(NoiseMode::Antithetic, &|a, _| a);
    let anti_b = mean_cosine(NoiseMode::Antithetic, &|_, b| b);
    let clean = mean_cosine(NoiseMode::CleanPerturbed, &|_, b| b);
    let perturbed = mean_cosine(NoiseMode::CleanPerturbed, &|a, _| a);
    let all = format!(
        "mean {anti_mean:?} A {anti_a:?} B {anti_b:?}; clean {clean:?} perturbed {perturbed:?}"
    );
    assert!(anti_mean.0 > 0.95, "{all}");
    assert!(
        anti_mean.1 > anti_a.1 + 0.01 && anti_mean.1 > anti_b.1 + 0.01,
        "{all}"
    );
    assert!(
        clean.0 > perturbed.0 + 0.03 && clean.1 > perturbed.1 + 0.01,
        "{all}"
    );
}
