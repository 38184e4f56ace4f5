//! Dopamine-3's lockstep passes: the RNN's estimate against BPTT, sweeps that learn, online streaming, the MLP on XOR, costs, errors, `f32` and `f64`.

use dopamine_core::{
    Accumulation, Dopamine3, Dopamine3Config, NodeUpdate, NoiseMode, SecondMomentConfig, Signal,
    UpdateEvery,
};
use dopamine_nets::{Bptt, Rnn, RnnGradWorkspace, RnnInit, RnnNodeWorkspace, RnnWorkspace, Scalar};
use faer::MatRef;

/// A smooth chaotic-looking series (a sum of incommensurate sines), `len + 1` values.
fn series<T: Scalar>(len: usize) -> Vec<T> {
    (0..=len)
        .map(|t| {
            let t = t as f64;
            T::from_f64(0.8 * (0.21 * t).sin() + 0.4 * (0.057 * t).sin() * (0.13 * t).cos())
        })
        .collect()
}

fn rule_for<T: Scalar>(net: &Rnn<T>, config: Dopamine3Config<T>) -> Dopamine3<T, Vec<T>> {
    let layout = net.node_layout();
    Dopamine3::new(config, layout, vec![T::ZERO; config.storage_len(&layout)]).unwrap()
}

fn cosine<T: Scalar>(a: &[T], b: &[T]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x.to_f64() * y.to_f64()).sum();
    let na: f64 = a.iter().map(|x| x.to_f64().powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x.to_f64().powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// The parameter blocks of an RNN as ranges.
fn blocks<T: Scalar>(net: &Rnn<T>) -> [core::ops::Range<usize>; 5] {
    let l = net.layout();
    [l.w_in, l.w_hh, l.bias, l.w_out, l.bias_out]
}

/// One sweep's estimate against the exact BPTT gradient of the same loss,
/// at initialisation, H = 16, 1,000 steps: every one of 5 sweeps has a
/// cosine above 0.9 with minus the gradient (measured 0.93-0.97), and each
/// weight matrix on its own above 0.8 (which fails if a layer's presynaptic
/// activity is taken from the wrong time step or copy: `W_hh` needs
/// `h(t-1)`, `W_out` needs `h(t)`). A wrong sign would give -0.9.
#[test]
fn one_sweep_estimate_aligns_with_bptt() {
    let (len, washout) = (1000, 50);
    let net = Rnn::<f64>::new(1, 16, 1, &RnnInit::with_seed(3)).unwrap();
    let s = series::<f64>(len);
    let inputs = MatRef::from_column_major_slice(&s[..len], len, 1);
    let targets = MatRef::from_column_major_slice(&s[1..], len, 1);
    let mut grad = vec![0.0; net.num_params()];
    let mut gws = RnnGradWorkspace::new(&net, len, Bptt::Full);
    net.loss_and_gradient(inputs, targets, washout, Bptt::Full, &mut gws, &mut grad)
        .unwrap();
    let minus: Vec<f64> = grad.iter().map(|g| -g).collect();
    let mut ws = RnnNodeWorkspace::new(&net);
    let mut est = vec![0.0; net.num_params()];
    let mut rule = rule_for(
        &net,
        Dopamine3Config {
            sigma: 1e-3,
            lambda: 0.5,
            update_every: UpdateEvery::Sweep,
            seed: 1,
            ..Default::default()
        },
    );
    let loss = net
        .loss(inputs, targets, washout, &mut RnnWorkspace::new(&net))
        .unwrap();
    for sweep in 0..5 {
        let report = net
            .node_estimate(&mut rule, inputs, targets, washout, &mut ws, &mut est)
            .unwrap();
        let c = cosine(&est, &minus);
        let [w_in, w_hh, _, w_out, _] = blocks(&net);
        let per_block = [w_in, w_hh, w_out].map(|r| cosine(&est[r.clone()], &minus[r]));
        assert!(c > 0.9, "sweep {sweep}: cosine {c}");
        assert!(
            per_block.iter().all(|c| *c > 0.8),
            "sweep {sweep}: {per_block:?}"
        );
        // The copies' mean loss is the clean loss to second order in sigma.
        let mean = report.loss(NoiseMode::Antithetic);
        assert!((mean - loss).abs() < 1e-4 * loss, "{mean} vs {loss}");
    }
}

/// Sweeps train the network in place: the loss falls, in `f32` and `f64`,
/// with every noise mode and signal.
#[test]
fn sweeps_learn_in_both_precisions() {
    fn learn<T: Scalar>() {
        let (len, washout) = (300, 20);
        let s = series::<T>(len);
        let inputs = MatRef::from_column_major_slice(&s[..len], len, 1);
        let targets = MatRef::from_column_major_slice(&s[1..], len, 1);
        for (noise, signal) in [
            (NoiseMode::Antithetic, Signal::PerStep),
            (NoiseMode::CleanPerturbed, Signal::PerStep),
            (NoiseMode::Antithetic, Signal::WholeInterval),
        ] {
            let mut net = Rnn::<T>::new(1, 8, 1, &RnnInit::with_seed(5)).unwrap();
            let mut fws = RnnWorkspace::new(&net);
            let before = net.loss(inputs, targets, washout, &mut fws).unwrap();
            let mut rule = rule_for(
                &net,
                Dopamine3Config {
                    sigma: T::from_f64(0.01),
                    eta: T::from_f64(0.003),
                    lambda: T::from_f64(0.5),
                    update_every: UpdateEvery::Steps(50),
                    noise,
                    signal,
                    ..Default::default()
                },
            );
            let mut ws = RnnNodeWorkspace::new(&net);
            let mut updates = 0;
            for _ in 0..300 {
                let r = net
                    .node_sweep(&mut rule, inputs, targets, washout, &mut ws)
                    .unwrap();
                assert_eq!(r.steps, len as u64);
                updates += r.updates;
            }
            assert_eq!(updates, 300 * 6);
            let after = net.loss(inputs, targets, washout, &mut fws).unwrap();
            assert!(
                after.to_f64() < 0.3 * before.to_f64(),
                "{noise:?} {signal:?}: {before} -> {after}"
            );
        }
    }
    learn::<f32>();
    learn::<f64>();
}

/// The streaming API over a sequence (no target in the washout) is the
/// sweep, one sample at a time: with streamed eligibility and plain
/// updates (`eta` divided by the sweep's scored steps, the scale the sweep
/// puts on its per-step losses) both leave the same weights to rounding.
#[test]
fn streaming_api_matches_the_sweep() {
    let (len, washout) = (300, 20);
    let s = series::<f64>(len);
    let inputs = MatRef::from_column_major_slice(&s[..len], len, 1);
    let targets = MatRef::from_column_major_slice(&s[1..], len, 1);
    let config = |eta| Dopamine3Config {
        sigma: 0.01,
        eta,
        lambda: 0.7,
        update_every: UpdateEvery::Steps(50),
        second_moment: None,
        accumulation: Accumulation::Streaming,
        seed: 4,
        ..Default::default()
    };
    let net0 = Rnn::<f64>::new(1, 8, 1, &RnnInit::with_seed(2)).unwrap();
    let mut swept = net0.clone();
    let mut rule = rule_for(&swept, config(0.1));
    let mut ws = RnnNodeWorkspace::new(&swept);
    let r = swept
        .node_sweep(&mut rule, inputs, targets, washout, &mut ws)
        .unwrap();
    assert_eq!(r.updates, 6);
    let mut streamed = net0.clone();
    let mut rule = rule_for(&streamed, config(0.1 / (len - washout) as f64));
    let mut ws = RnnNodeWorkspace::new(&streamed);
    let mut prediction = [0.0];
    let mut updates = 0;
    for t in 0..len {
        streamed
            .node_stream_predict(&mut rule, &s[t..t + 1], &mut ws, &mut prediction)
            .unwrap();
        let target = (t >= washout).then(|| &s[t + 1..t + 2]);
        let step = streamed.node_stream_learn(&mut rule, target, &ws).unwrap();
        updates += u64::from(step.update.is_some());
    }
    assert_eq!(updates, 6);
    assert_ne!(streamed.params(), net0.params());
    for (a, b) in streamed.params().iter().zip(swept.params()) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
    }
}

/// Online, prequentially: a network that predicts each sample before it
/// learns from it gets better along the stream, with O(P + H) memory.
#[test]
fn online_prequential_learning_improves() {
    let len = 40_000;
    let s = series::<f32>(len);
    let mut net = Rnn::<f32>::new(1, 8, 1, &RnnInit::with_seed(1)).unwrap();
    let config = Dopamine3Config {
        sigma: 0.01f32,
        eta: 0.003,
        lambda: 0.5,
        update_every: UpdateEvery::Steps(50),
        accumulation: Accumulation::Streaming,
        ..Default::default()
    };
    let layout = net.node_layout();
    let (p, n, j) = (layout.params(), layout.neurons(), layout.presynaptic());
    assert_eq!(config.storage_len(&layout), 3 * p + n + j + 3);
    let mut rule = rule_for(&net, config);
    let mut ws = RnnNodeWorkspace::new(&net);
    let (mut first, mut last) = (0.0f64, 0.0f64);
    let mut prediction = [0.0f32];
    for t in 0..len {
        net.node_stream_predict(&mut rule, &s[t..t + 1], &mut ws, &mut prediction)
            .unwrap();
        let e = f64::from(prediction[0] - s[t + 1]).powi(2);
        if t < 2000 {
            first += e;
        } else if t >= len - 2000 {
            last += e;
        }
        let _ = net
            .node_stream_learn(&mut rule, Some(&s[t + 1..t + 2]), &ws)
            .unwrap();
    }
    assert!(last < 0.2 * first, "first {first} last {last}");
}

/// The MLP learns XOR, one pattern per time step, on most seeds, and a
/// sweep's update points down the backprop gradient.
#[test]
fn mlp_learns_xor() {
    use dopamine_nets::{Activation, Loss, Mlp, MlpNodeWorkspace, MlpWorkspace, WeightInit};
    let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
    let y = [0.0, 1.0, 1.0, 0.0];
    let inputs = MatRef::from_row_major_slice(&x, 4, 2);
    let targets = MatRef::from_row_major_slice(&y, 4, 1);
    let acts = [Activation::Tanh, Activation::Sigmoid];
    let mut solved = 0;
    for seed in 0..10 {
        let mut net = Mlp::<f64>::new(&[2, 4, 1], &acts, WeightInit::Auto, seed).unwrap();
        let layout = net.node_layout().unwrap();
        let config = Dopamine3Config {
            sigma: 0.05,
            eta: 0.05,
            lambda: 0.0,
            update_every: UpdateEvery::Sweep,
            seed,
            ..Default::default()
        };
        let mut rule =
            Dopamine3::new(config, layout, vec![0.0; config.storage_len(&layout)]).unwrap();
        let mut ws = MlpNodeWorkspace::new(&net);
        let cost = net.node_sweep_cost(4, Loss::Mse, &config).unwrap();
        let forward = net.forward_flops(4, Loss::Mse) as f64;
        let ratio = cost.forward_flops as f64 / forward;
        assert!((2.0..2.6).contains(&ratio), "{ratio}");
        for _ in 0..3000 {
            let r = net
                .node_sweep(&mut rule, inputs, targets, Loss::Mse, &mut ws)
                .unwrap();
            assert_eq!((r.steps, r.updates), (4, 1));
        }
        assert_eq!(
            cost.eligibility_flops * 3000,
            rule.counters().eligibility_flops
        );
        assert_eq!(cost.noise_values * 3000, rule.counters().noise_values);
        let mut fws = MlpWorkspace::new(&net, 4);
        let out = net.forward(inputs, &mut fws).unwrap();
        if (0..4).all(|k| (out[(k, 0)] > 0.5) == (y[k] > 0.5)) {
            solved += 1;
        }
    }
    assert!(solved >= 8, "solved {solved} of 10");
    // The plain update of one sweep, averaged over sweeps at fixed weights.
    let net = Mlp::<f64>::new(&[2, 4, 1], &acts, WeightInit::Auto, 3).unwrap();
    let mut grad = vec![0.0; net.num_params()];
    let mut fws = MlpWorkspace::new(&net, 4);
    net.loss_and_gradient(inputs, targets, Loss::Mse, &mut fws, &mut grad)
        .unwrap();
    let layout = net.node_layout().unwrap();
    let config = Dopamine3Config {
        sigma: 1e-3,
        eta: 1.0,
        lambda: 0.0,
        update_every: UpdateEvery::Sweep,
        second_moment: None,
        ..Default::default()
    };
    let mut rule = Dopamine3::new(config, layout, vec![0.0; config.storage_len(&layout)]).unwrap();
    let mut ws = MlpNodeWorkspace::new(&net);
    let mut mean = vec![0.0; net.num_params()];
    // A sweep sees 4 patterns x 5 neurons of noise, so single estimates are
    // noisy: the mean of 2,000 measured 0.971 (0.995 after 20,000).
    for _ in 0..2000 {
        let mut copy = net.clone();
        let _ = copy
            .node_sweep(&mut rule, inputs, targets, Loss::Mse, &mut ws)
            .unwrap();
        for ((m, a), b) in mean.iter_mut().zip(copy.params()).zip(net.params()) {
            *m += a - b;
        }
    }
    let minus: Vec<f64> = grad.iter().map(|g| -g).collect();
    let c = cosine(&mean, &minus);
    assert!(c > 0.95, "cosine {c}");
}

/// The cost formula's eligibility FLOPs are what the rule counts, and a
/// sweep's forward FLOPs are about two forward passes.
#[test]
fn sweep_cost_matches_the_counters() {
    let (len, washout) = (437, 50);
    let s = series::<f32>(len);
    let inputs = MatRef::from_column_major_slice(&s[..len], len, 1);
    let targets = MatRef::from_column_major_slice(&s[1..], len, 1);
    for h in [16, 64] {
        let mut net = Rnn::<f32>::new(1, h, 1, &RnnInit::with_seed(0)).unwrap();
        for config in [
            Dopamine3Config::<f32>::default(),
            Dopamine3Config {
                update_every: UpdateEvery::Sweep,
                accumulation: Accumulation::Blocks(64),
                second_moment: Some(SecondMomentConfig::default()),
                noise: NoiseMode::CleanPerturbed,
                ..Default::default()
            },
        ] {
            let mut rule = rule_for(&net, config);
            let mut ws = RnnNodeWorkspace::new(&net);
            let _ = net
                .node_sweep(&mut rule, inputs, targets, washout, &mut ws)
                .unwrap();
            let cost = net.node_sweep_cost(len, washout, &config);
            assert_eq!(cost.eligibility_flops, rule.counters().eligibility_flops);
            assert_eq!(cost.noise_values, rule.counters().noise_values);
            assert_eq!(cost.passes, 2);
            let forward = net.forward_flops(len, washout) as f64;
            let ratio = cost.forward_flops as f64 / forward;
            assert!((1.8..2.2).contains(&ratio), "H={h}: {ratio}");
        }
    }
}

/// Misuse comes back as typed errors and changes nothing.
#[test]
fn bad_calls_are_typed_errors() {
    use dopamine_core::Error;
    use dopamine_nets::NetError;
    let (len, washout) = (50, 5);
    let s = series::<f64>(len);
    let inputs = MatRef::from_column_major_slice(&s[..len], len, 1);
    let targets = MatRef::from_column_major_slice(&s[1..], len, 1);
    let mut net = Rnn::<f64>::new(1, 4, 1, &RnnInit::with_seed(0)).unwrap();
    let other = Rnn::<f64>::new(1, 5, 1, &RnnInit::with_seed(0)).unwrap();
    let mut rule = rule_for(&net, Dopamine3Config::default());
    let mut wrong_rule = rule_for(&other, Dopamine3Config::default());
    let mut ws = RnnNodeWorkspace::new(&net);
    let mut other_ws = RnnNodeWorkspace::new(&other);
    let before = net.params().to_vec();
    assert!(matches!(
        net.node_sweep(&mut wrong_rule, inputs, targets, washout, &mut ws),
        Err(NetError::PlanLayout { .. })
    ));
    assert!(matches!(
        net.node_sweep(&mut rule, inputs, targets, washout, &mut other_ws),
        Err(NetError::WorkspaceMismatch { .. })
    ));
    assert!(matches!(
        net.node_sweep(&mut rule, inputs, targets, len, &mut ws),
        Err(NetError::WashoutTooLong { .. })
    ));
    let mut out = vec![0.0; net.num_params()];
    assert!(matches!(
        net.node_estimate(&mut rule, inputs, targets, washout, &mut ws, &mut out),
        Err(NetError::InvalidConfig { .. })
    ));
    let mut pred = [0.0];
    assert!(matches!(
        net.node_stream_learn(&mut rule, Some(&[0.0]), &ws),
        Err(NetError::Rule(Error::TellWithoutAsk))
    ));
    assert!(matches!(
        net.node_stream_predict(&mut rule, &[f64::NAN], &mut ws, &mut pred),
        Err(NetError::NonFinite { .. })
    ));
    net.node_stream_predict(&mut rule, &[0.5], &mut ws, &mut pred)
        .unwrap();
    assert!(matches!(
        net.node_stream_predict(&mut rule, &[0.5], &mut ws, &mut pred),
        Err(NetError::Rule(Error::NodeProtocol(_)))
    ));
    // A sweep cannot start in the middle of a streamed step.
    assert!(matches!(
        net.node_sweep(&mut rule, inputs, targets, washout, &mut ws),
        Err(NetError::Rule(Error::NodeProtocol(_)))
    ));
    assert!(matches!(
        net.node_stream_learn(&mut rule, Some(&[0.0, 1.0]), &ws),
        Err(NetError::ShapeMismatch { .. })
    ));
    assert_eq!(net.params(), &before[..]);
    // A NaN target is a rejected step, not an error.
    let step = net
        .node_stream_learn(&mut rule, Some(&[f64::NAN]), &ws)
        .unwrap();
    assert!(step.loss_a.is_nan());
    assert_eq!(rule.counters().rejected_steps, 1);
    let _: Option<NodeUpdate<f64>> = step.update;
}

/// A stream resumes bit for bit from a copy of its state taken between
/// samples: the rule (plain data), the weights and both copies' hidden
/// states (`RnnNodeWorkspace::set_hidden`).
#[test]
fn stream_resumes_from_its_state() {
    let len = 700;
    let s = series::<f64>(len);
    let config = Dopamine3Config {
        update_every: UpdateEvery::Steps(50),
        accumulation: Accumulation::Streaming,
        ..Default::default()
    };
    let mut net = Rnn::<f64>::new(1, 8, 1, &RnnInit::with_seed(6)).unwrap();
    let mut rule = rule_for(&net, config);
    let mut ws = RnnNodeWorkspace::new(&net);
    let mut prediction = [0.0];
    let mut run = |net: &mut Rnn<f64>,
                   rule: &mut Dopamine3<f64, Vec<f64>>,
                   ws: &mut RnnNodeWorkspace<f64>,
                   range: core::ops::Range<usize>| {
        let mut out = Vec::new();
        for t in range {
            net.node_stream_predict(rule, &s[t..t + 1], ws, &mut prediction)
                .unwrap();
            out.push(prediction[0]);
            let _ = net
                .node_stream_learn(rule, Some(&s[t + 1..t + 2]), ws)
                .unwrap();
        }
        out
    };
    let _ = run(&mut net, &mut rule, &mut ws, 0..333);
    let (mut net2, mut rule2) = (net.clone(), rule.clone());
    let mut ws2 = RnnNodeWorkspace::new(&net2);
    ws2.set_hidden(ws.hidden_a(), ws.hidden_b()).unwrap();
    let a = run(&mut net, &mut rule, &mut ws, 333..len);
    let b = run(&mut net2, &mut rule2, &mut ws2, 333..len);
    assert_eq!(a, b);
    assert_eq!(net.params(), net2.params());
    assert!(matches!(
        ws2.set_hidden(&[0.0; 3], ws.hidden_b()),
        Err(dopamine_nets::NetError::ShapeMismatch { .. })
    ));
}
