//! Model behaviour: forward passes against plain-loop references, parameter
//! layout, seeded initialisation, streaming and free-running prediction.

mod common;

use common::{mlp_reference, rnn_reference};
use dopamine_nets::{Activation, Loss, Mlp, MlpWorkspace, Rnn, RnnInit, RnnWorkspace, WeightInit};
use faer::{MatMut, MatRef};

fn series(n: usize, phase: f64) -> Vec<f64> {
    (0..n).map(|i| (0.3 * i as f64 + phase).sin()).collect()
}

#[test]
fn mlp_forward_matches_reference_and_views_share_the_buffer() {
    let sizes = [3, 5, 4, 2];
    let acts = [Activation::Relu, Activation::Sigmoid, Activation::Tanh];
    let mut net = Mlp::<f64>::new(&sizes, &acts, WeightInit::Auto, 5).unwrap();
    assert_eq!(net.num_params(), Mlp::<f64>::param_count(&sizes));
    assert_eq!(net.num_params(), 5 * 4 + 4 * 6 + 2 * 5);
    for (i, p) in net.params_mut().iter_mut().enumerate() {
        *p += 0.01 * i as f64; // non-zero biases
    }
    let batch = 6;
    let x = series(batch * 3, 0.2);
    let mut ws = MlpWorkspace::new(&net, 8);
    let out = net
        .forward(MatRef::from_row_major_slice(&x, batch, 3), &mut ws)
        .unwrap();
    let (_, reference) = mlp_reference(&net, &x, batch);
    for s in 0..batch {
        for o in 0..2 {
            assert!((out[(s, o)] - reference[s * 2 + o]).abs() < 1e-14);
        }
    }
    // Weight views read the flat vector: W_1 (5 x 3) column-major.
    let w = net.weights(0);
    assert_eq!((w.nrows(), w.ncols()), (5, 3));
    assert_eq!(w[(1, 2)], net.params()[1 + 2 * 5]);
    let (wr, br) = net.layer_ranges(1);
    assert_eq!((wr, br.clone()), (20..40, 40..44));
    assert_eq!(net.bias(1), &net.params()[br]);
    net.weights_mut(2).as_mut()[(1, 0)] = 7.0;
    assert_eq!(net.params()[44 + 1], 7.0);
}

#[test]
fn mlp_initialisation_is_seeded_and_scaled() {
    let acts = [Activation::Relu, Activation::Identity];
    let a = Mlp::<f64>::new(&[400, 300, 1], &acts, WeightInit::Auto, 1).unwrap();
    let b = Mlp::<f64>::new(&[400, 300, 1], &acts, WeightInit::Auto, 1).unwrap();
    let c = Mlp::<f64>::new(&[400, 300, 1], &acts, WeightInit::Auto, 2).unwrap();
    assert_eq!(a.params(), b.params());
    assert_ne!(a.params(), c.params());
    let (wr, br) = a.layer_ranges(0);
    let w = &a.params()[wr];
    let var = w.iter().map(|v| v * v).sum::<f64>() / w.len() as f64;
    assert!(
        (var / (2.0 / 400.0) - 1.0).abs() < 0.02,
        "He variance {var}"
    );
    assert!(a.params()[br].iter().all(|&v| v == 0.0));
    let x = Mlp::<f32>::new(&[400, 300, 1], &acts, WeightInit::Xavier, 1).unwrap();
    let (wr, _) = x.layer_ranges(0);
    let w = &x.params()[wr];
    let var = w.iter().map(|&v| (v as f64).powi(2)).sum::<f64>() / w.len() as f64;
    assert!(
        (var / (2.0 / 700.0) - 1.0).abs() < 0.02,
        "Xavier variance {var}"
    );
}

#[test]
fn rnn_init_has_the_requested_spectral_radius() {
    for &(h, rho) in &[(1usize, 0.5), (16, 0.9), (64, 1.2)] {
        let net = Rnn::<f64>::new(
            1,
            h,
            1,
            &RnnInit {
                spectral_radius: rho,
                input_scale: 1.0,
                seed: 4,
            },
        )
        .unwrap();
        let r = net.spectral_radius().unwrap();
        assert!((r - rho).abs() < 1e-9, "H={h}: {r} vs {rho}");
    }
    let zero = Rnn::<f32>::new(
        2,
        8,
        2,
        &RnnInit {
            spectral_radius: 0.0,
            ..RnnInit::default()
        },
    )
    .unwrap();
    assert!(zero.params()[zero.layout().w_hh].iter().all(|&v| v == 0.0));
    let a = Rnn::<f64>::new(2, 8, 2, &RnnInit::with_seed(3)).unwrap();
    let b = Rnn::<f64>::new(2, 8, 2, &RnnInit::with_seed(3)).unwrap();
    assert_eq!(a, b);
    assert_eq!(
        a.w_hh()[(2, 5)],
        a.params()[a.layout().w_hh.start + 2 + 5 * 8]
    );
    assert_eq!(a.num_params(), 16 + 64 + 8 + 16 + 2);
}

#[test]
fn rnn_streamed_loss_matches_reference_and_predict() {
    let (ni, nh, no, len, washout) = (2, 6, 3, 40, 7);
    let mut net = Rnn::<f64>::new(ni, nh, no, &RnnInit::with_seed(8)).unwrap();
    let lay = net.layout();
    for i in lay.bias.clone().chain(lay.bias_out.clone()) {
        net.params_mut()[i] = 0.05 * i as f64;
    }
    let x = series(len * ni, 0.0);
    let y = series(len * no, 1.0);
    let inputs = MatRef::from_row_major_slice(&x, len, ni);
    let targets = MatRef::from_row_major_slice(&y, len, no);
    let mut ws = RnnWorkspace::new(&net);
    let loss = net.loss(inputs, targets, washout, &mut ws).unwrap();

    let (hs, ys) = rnn_reference(&net, net.params(), &vec![0.0; nh], &x, len);
    let mut sum = 0.0;
    for t in washout..len {
        for o in 0..no {
            sum += (ys[t][o] - y[t * no + o]).powi(2);
        }
    }
    let expected = sum / ((len - washout) * no) as f64;
    assert!((loss - expected).abs() < 1e-14, "{loss} vs {expected}");
    for (a, b) in ws.hidden().iter().zip(&hs[len - 1]) {
        assert!((a - b).abs() < 1e-14);
    }

    let mut out = vec![0.0; len * no];
    net.predict(
        inputs,
        MatMut::from_row_major_slice_mut(&mut out, len, no),
        &mut ws,
    )
    .unwrap();
    for t in 0..len {
        for o in 0..no {
            assert!((out[t * no + o] - ys[t][o]).abs() < 1e-14);
        }
    }

    // Continuing from a state equals running the whole sequence.
    let split = 15;
    net.loss(
        inputs.subrows(0, split),
        targets.subrows(0, split),
        0,
        &mut ws,
    )
    .unwrap();
    let h_mid = ws.hidden().to_vec();
    let tail = net
        .loss_from_state(
            Some(&h_mid),
            inputs.subrows(split, len - split),
            targets.subrows(split, len - split),
            0,
            &mut ws,
        )
        .unwrap();
    let mut tail_sum = 0.0;
    for t in split..len {
        for o in 0..no {
            tail_sum += (ys[t][o] - y[t * no + o]).powi(2);
        }
    }
    assert!((tail - tail_sum / ((len - split) * no) as f64).abs() < 1e-14);
}

#[test]
fn rnn_free_run_feeds_outputs_back() {
    let (dim, nh, context, horizon) = (2, 5, 10, 6);
    let net = Rnn::<f64>::new(dim, nh, dim, &RnnInit::with_seed(1)).unwrap();
    let x = series(context * dim, 0.4);
    let mut pred = vec![0.0; horizon * dim];
    let mut ws = RnnWorkspace::new(&net);
    net.free_run(
        MatRef::from_row_major_slice(&x, context, dim),
        MatMut::from_row_major_slice_mut(&mut pred, horizon, dim),
        &mut ws,
    )
    .unwrap();
    // Reference: teacher-forced over the context followed by the model's own
    // predictions (all but the last) as inputs.
    let mut seq = x.clone();
    seq.extend_from_slice(&pred[..(horizon - 1) * dim]);
    let len = context + horizon - 1;
    let (_, ys) = rnn_reference(&net, net.params(), &vec![0.0; nh], &seq, len);
    for k in 0..horizon {
        for o in 0..dim {
            let r = ys[context - 1 + k][o];
            assert!(
                (pred[k * dim + o] - r).abs() < 1e-13,
                "step {k}: {} vs {r}",
                pred[k * dim + o]
            );
        }
    }
    // Horizon 0 is allowed and writes nothing.
    net.free_run(
        MatRef::from_row_major_slice(&x, context, dim),
        MatMut::from_row_major_slice_mut(&mut pred[..0], 0, dim),
        &mut ws,
    )
    .unwrap();
}

#[test]
fn mlp_bce_is_stable_when_the_sigmoid_saturates() {
    // One weight of 1000 drives the logit far past where sigmoid(z) rounds
    // to exactly 1 (or 0) in f32.
    let net = Mlp::<f32>::from_params(&[1, 1], &[Activation::Sigmoid], &[1000.0, 0.0]).unwrap();
    let mut ws = MlpWorkspace::new(&net, 2);
    let x = [1.0f32, -1.0];
    let y = [0.0f32, 1.0];
    let loss = net
        .loss(
            MatRef::from_row_major_slice(&x, 2, 1),
            MatRef::from_row_major_slice(&y, 2, 1),
            Loss::BinaryCrossEntropy,
            &mut ws,
        )
        .unwrap();
    assert!((loss - 1000.0).abs() < 1e-3, "{loss}");
}

#[test]
fn batch_smaller_than_capacity_gives_the_same_outputs() {
    let net = Mlp::<f64>::new(
        &[2, 7, 3],
        &[Activation::Tanh, Activation::Identity],
        WeightInit::Auto,
        3,
    )
    .unwrap();
    let x = series(10, 0.0);
    let mut big = MlpWorkspace::new(&net, 64);
    let mut exact = MlpWorkspace::new(&net, 5);
    let a = net
        .forward(MatRef::from_row_major_slice(&x, 5, 2), &mut big)
        .unwrap()
        .to_owned();
    let b = net
        .forward(MatRef::from_row_major_slice(&x, 5, 2), &mut exact)
        .unwrap()
        .to_owned();
    assert_eq!(a, b);
    assert_eq!(big.layer_output(0).nrows(), 5);
}

#[test]
fn rnn_loss_at_a_borrowed_slice_equals_the_loss_of_a_model_holding_it() {
    let (ni, nh, no, len, washout) = (2, 19, 2, 60, 5);
    let net = Rnn::<f32>::new(ni, nh, no, &RnnInit::with_seed(21)).unwrap();
    let x: Vec<f32> = series(len * ni, 0.1).iter().map(|&v| v as f32).collect();
    let y: Vec<f32> = series(len * no, 0.9).iter().map(|&v| v as f32).collect();
    let inputs = MatRef::from_row_major_slice(&x, len, ni);
    let targets = MatRef::from_row_major_slice(&y, len, no);
    let mut ws = RnnWorkspace::new(&net);
    let at_own = net
        .loss_at(net.params(), inputs, targets, washout, &mut ws)
        .unwrap();
    let plain = net.loss(inputs, targets, washout, &mut ws).unwrap();
    assert_eq!(at_own.to_bits(), plain.to_bits());
    // A probe point w + sigma z, evaluated without touching the model...
    let probe: Vec<f32> = net
        .params()
        .iter()
        .enumerate()
        .map(|(k, &w)| w + 0.05 * ((k as f32) * 0.7).sin())
        .collect();
    let at_probe = net
        .loss_at(&probe, inputs, targets, washout, &mut ws)
        .unwrap();
    assert_ne!(at_probe.to_bits(), plain.to_bits());
    // ...equals the loss of a model whose parameters were set to it.
    let mut moved = net.clone();
    moved.set_params(&probe).unwrap();
    let moved_loss = moved.loss(inputs, targets, washout, &mut ws).unwrap();
    assert_eq!(at_probe.to_bits(), moved_loss.to_bits());
    // The model itself is unchanged.
    assert_eq!(net.loss(inputs, targets, washout, &mut ws).unwrap(), plain);
    // A slice of the wrong length is an error, not a panic.
    for bad in [&probe[..probe.len() - 1], &[][..]] {
        assert_eq!(
            net.loss_at(bad, inputs, targets, washout, &mut ws),
            Err(dopamine_nets::NetError::ShapeMismatch {
                what: "parameter count",
                expected: net.num_params(),
                got: bad.len(),
            })
        );
    }
}

#[test]
fn mlp_loss_at_a_borrowed_slice_equals_the_loss_of_a_model_holding_it() {
    let sizes = [3, 9, 2];
    let acts = [Activation::Tanh, Activation::Sigmoid];
    let net = Mlp::<f64>::new(&sizes, &acts, WeightInit::Auto, 4).unwrap();
    let batch = 7;
    let x = series(batch * 3, 0.3);
    let y: Vec<f64> = series(batch * 2, 1.3)
        .iter()
        .map(|v| 0.5 * (v + 1.0))
        .collect();
    let inputs = MatRef::from_row_major_slice(&x, batch, 3);
    let targets = MatRef::from_row_major_slice(&y, batch, 2);
    let mut ws = MlpWorkspace::new(&net, batch);
    for loss in [Loss::Mse, Loss::BinaryCrossEntropy] {
        let plain = net.loss(inputs, targets, loss, &mut ws).unwrap();
        let at_own = net
            .loss_at(net.params(), inputs, targets, loss, &mut ws)
            .unwrap();
        assert_eq!(at_own.to_bits(), plain.to_bits());
        let probe: Vec<f64> = net
            .params()
            .iter()
            .enumerate()
            .map(|(k, &w)| w - 0.03 * ((k as f64) * 1.3).cos())
            .collect();
        let at_probe = net.loss_at(&probe, inputs, targets, loss, &mut ws).unwrap();
        assert_ne!(at_probe.to_bits(), plain.to_bits());
        let moved = Mlp::from_params(&sizes, &acts, &probe).unwrap();
        let moved_loss = moved.loss(inputs, targets, loss, &mut ws).unwrap();
        assert_eq!(at_probe.to_bits(), moved_loss.to_bits());
        let long = [probe.clone(), vec![0.0]].concat();
        assert_eq!(
            net.loss_at(&long, inputs, targets, loss, &mut ws),
            Err(dopamine_nets::NetError::ShapeMismatch {
                what: "parameter count",
                expected: net.num_params(),
                got: long.len(),
            })
        );
    }
}
