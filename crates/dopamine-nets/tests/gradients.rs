//! Backprop and BPTT gradients checked against central finite differences
//! (f64, proptest over random shapes, seeds and data).

mod common;

use common::{SMOOTH, compare, finite_difference, mlp_reference, rnn_reference};
use dopamine_nets::{
    Activation, Bptt, Loss, Mlp, MlpWorkspace, Rnn, RnnGradWorkspace, RnnInit, RnnWorkspace,
    WeightInit,
};
use faer::MatRef;
use proptest::prelude::*;

const STEP: f64 = 1e-5;
const TOL: f64 = 1e-6;

/// Deterministic pseudo-random data in [-1, 1] from a seed.
fn data(seed: u64, n: usize) -> Vec<f64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

fn mlp_case(
    sizes: &[usize],
    acts: &[Activation],
    batch: usize,
    seed: u64,
    loss: Loss,
) -> Result<(), TestCaseError> {
    let mut net = Mlp::<f64>::new(sizes, acts, WeightInit::Auto, seed).unwrap();
    // Non-zero biases so every parameter matters.
    let b = data(seed ^ 1, net.num_params());
    for l in 0..net.num_layers() {
        let (_, br) = net.layer_ranges(l);
        for i in br {
            net.params_mut()[i] = 0.3 * b[i];
        }
    }
    let (n_in, n_out) = (sizes[0], *sizes.last().unwrap());
    let x = data(seed ^ 2, batch * n_in);
    let mut y = data(seed ^ 3, batch * n_out);
    if loss == Loss::BinaryCrossEntropy {
        y.iter_mut().for_each(|v| *v = 0.5 * (*v + 1.0));
    }
    let inputs = MatRef::from_row_major_slice(&x, batch, n_in);
    let targets = MatRef::from_row_major_slice(&y, batch, n_out);
    let mut ws = MlpWorkspace::new(&net, batch);

    if acts.contains(&Activation::Relu) {
        // Skip cases with a pre-activation near a ReLU kink.
        let (pre, _) = mlp_reference(&net, &x, batch);
        for (l, z) in pre.iter().enumerate() {
            if acts[l] == Activation::Relu {
                prop_assume!(z.iter().all(|v| v.abs() > 1e-3));
            }
        }
    }

    let mut grad = vec![0.0; net.num_params()];
    let value = net
        .loss_and_gradient(inputs, targets, loss, &mut ws, &mut grad)
        .unwrap();
    let plain = net.loss(inputs, targets, loss, &mut ws).unwrap();
    prop_assert!((value - plain).abs() <= 1e-14 * plain.abs().max(1.0));

    let p0 = net.params().to_vec();
    let mut probe = net.clone();
    let fd = finite_difference(&p0, STEP, |p| {
        probe.set_params(p).unwrap();
        probe.loss(inputs, targets, loss, &mut ws).unwrap()
    });
    let (rel, worst) = compare(&grad, &fd);
    prop_assert!(rel < TOL, "relative error {rel}");
    prop_assert!(worst <= 0.0, "element error excess {worst}");
    Ok(())
}

fn arb_mlp_shape() -> impl Strategy<Value = (Vec<usize>, usize)> {
    (prop::collection::vec(1usize..6, 2..5), 1usize..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn mlp_mse_gradient_matches_finite_differences(
        (sizes, batch) in arb_mlp_shape(),
        act_idx in prop::collection::vec(0usize..3, 4),
        seed in any::<u64>(),
    ) {
        let acts: Vec<Activation> = (0..sizes.len() - 1).map(|l| SMOOTH[act_idx[l]]).collect();
        mlp_case(&sizes, &acts, batch, seed, Loss::Mse)?;
    }

    #[test]
    fn mlp_bce_gradient_matches_finite_differences(
        (sizes, batch) in arb_mlp_shape(),
        act_idx in prop::collection::vec(0usize..3, 4),
        seed in any::<u64>(),
    ) {
        let mut acts: Vec<Activation> = (0..sizes.len() - 1).map(|l| SMOOTH[act_idx[l]]).collect();
        *acts.last_mut().unwrap() = Activation::Sigmoid;
        mlp_case(&sizes, &acts, batch, seed, Loss::BinaryCrossEntropy)?;
    }

    #[test]
    fn mlp_relu_gradient_matches_finite_differences_away_from_kinks(
        (sizes, batch) in arb_mlp_shape(),
        seed in any::<u64>(),
    ) {
        let mut acts = vec![Activation::Relu; sizes.len() - 1];
        *acts.last_mut().unwrap() = Activation::Identity;
        mlp_case(&sizes, &acts, batch, seed, Loss::Mse)?;
    }

    #[test]
    fn rnn_full_bptt_matches_finite_differences(
        dims in (1usize..4, 1usize..8, 1usize..4),
        len in 1usize..16,
        washout_frac in 0.0f64..1.0,
        radius in 0.0f64..1.5,
        seed in any::<u64>(),
    ) {
        let (ni, nh, no) = dims;
        let washout = ((len as f64 * washout_frac) as usize).min(len - 1);
        rnn_case(ni, nh, no, len, washout, radius, seed, Bptt::Full)?;
    }

    #[test]
    fn rnn_truncated_bptt_matches_finite_differences_of_detached_loss(
        dims in (1usize..4, 1usize..8, 1usize..4),
        len in 1usize..16,
        washout_frac in 0.0f64..1.0,
        k in 1usize..8,
        seed in any::<u64>(),
    ) {
        let (ni, nh, no) = dims;
        let washout = ((len as f64 * washout_frac) as usize).min(len - 1);
        rnn_case(ni, nh, no, len, washout, 0.9, seed, Bptt::Truncated(k))?;
    }
}

#[allow(clippy::too_many_arguments)]
fn rnn_case(
    ni: usize,
    nh: usize,
    no: usize,
    len: usize,
    washout: usize,
    radius: f64,
    seed: u64,
    bptt: Bptt,
) -> Result<(), TestCaseError> {
    let init = RnnInit {
        spectral_radius: radius,
        input_scale: 1.0,
        seed,
    };
    let mut net = Rnn::<f64>::new(ni, nh, no, &init).unwrap();
    let lay = net.layout();
    let noise = data(seed ^ 5, net.num_params());
    for i in lay.bias.clone().chain(lay.bias_out.clone()) {
        net.params_mut()[i] = 0.3 * noise[i];
    }
    let x = data(seed ^ 6, len * ni);
    let y = data(seed ^ 7, len * no);
    let inputs = MatRef::from_row_major_slice(&x, len, ni);
    let targets = MatRef::from_row_major_slice(&y, len, no);

    let mut gws = RnnGradWorkspace::new(&net, len, bptt);
    let mut grad = vec![0.0; net.num_params()];
    let value = net
        .loss_and_gradient(inputs, targets, washout, bptt, &mut gws, &mut grad)
        .unwrap();
    let mut ws = RnnWorkspace::new(&net);
    let streamed = net.loss(inputs, targets, washout, &mut ws).unwrap();
    prop_assert!((value - streamed).abs() <= 1e-13 * streamed.abs().max(1.0));

    let p0 = net.params().to_vec();
    let chunk = bptt.chunk_len(len);
    // Hidden states entering each chunk, at the base parameters (held
    // fixed: no gradient crosses a chunk boundary).
    let (base_states, _) = rnn_reference(&net, &p0, &vec![0.0; nh], &x, len);
    let scored = ((len - washout) * no) as f64;
    let fd = finite_difference(&p0, STEP, |p| {
        let mut sum = 0.0;
        let mut start = 0;
        while start < len {
            let n = chunk.min(len - start);
            let h0 = if start == 0 {
                vec![0.0; nh]
            } else {
                base_states[start - 1].clone()
            };
            let (_, ys) = rnn_reference(&net, p, &h0, &x[start * ni..(start + n) * ni], n);
            for (k, yk) in ys.iter().enumerate() {
                if start + k >= washout {
                    for o in 0..no {
                        let e = yk[o] - y[(start + k) * no + o];
                        sum += e * e;
                    }
                }
            }
            start += n;
        }
        sum / scored
    });
    let (rel, worst) = compare(&grad, &fd);
    prop_assert!(rel < TOL, "relative error {rel}");
    prop_assert!(worst <= 0.0, "element error excess {worst}");
    Ok(())
}

#[test]
fn truncation_longer_than_sequence_equals_full_bptt() {
    let net = Rnn::<f64>::new(2, 5, 2, &RnnInit::with_seed(3)).unwrap();
    let len = 12;
    let x = data(11, len * 2);
    let y = data(12, len * 2);
    let inputs = MatRef::from_row_major_slice(&x, len, 2);
    let targets = MatRef::from_row_major_slice(&y, len, 2);
    let mut full = vec![0.0; net.num_params()];
    let mut trunc = vec![0.0; net.num_params()];
    let mut ws = RnnGradWorkspace::new(&net, len, Bptt::Full);
    net.loss_and_gradient(inputs, targets, 2, Bptt::Full, &mut ws, &mut full)
        .unwrap();
    net.loss_and_gradient(inputs, targets, 2, Bptt::Truncated(50), &mut ws, &mut trunc)
        .unwrap();
    assert_eq!(full, trunc);
    // A real truncation changes the recurrent part of the gradient.
    let mut ws3 = RnnGradWorkspace::new(&net, len, Bptt::Truncated(3));
    net.loss_and_gradient(inputs, targets, 2, Bptt::Truncated(3), &mut ws3, &mut trunc)
        .unwrap();
    assert_ne!(full, trunc);
    // The readout gradient does not depend on truncation.
    let lay = net.layout();
    for i in lay.w_out.chain(lay.bias_out) {
        assert!((full[i] - trunc[i]).abs() < 1e-14);
    }
}

#[test]
fn f32_gradient_agrees_with_f64() {
    let net64 = Mlp::<f64>::new(
        &[3, 5, 2],
        &[Activation::Tanh, Activation::Identity],
        WeightInit::Auto,
        9,
    )
    .unwrap();
    let p32: Vec<f32> = net64.params().iter().map(|&v| v as f32).collect();
    let net32 =
        Mlp::<f32>::from_params(&[3, 5, 2], &[Activation::Tanh, Activation::Identity], &p32)
            .unwrap();
    let x = data(1, 12);
    let y = data(2, 8);
    let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
    let y32: Vec<f32> = y.iter().map(|&v| v as f32).collect();
    let mut ws64 = MlpWorkspace::new(&net64, 4);
    let mut ws32 = MlpWorkspace::new(&net32, 4);
    let mut g64 = vec![0.0; net64.num_params()];
    let mut g32 = vec![0.0f32; net32.num_params()];
    net64
        .loss_and_gradient(
            MatRef::from_row_major_slice(&x, 4, 3),
            MatRef::from_row_major_slice(&y, 4, 2),
            Loss::Mse,
            &mut ws64,
            &mut g64,
        )
        .unwrap();
    net32
        .loss_and_gradient(
            MatRef::from_row_major_slice(&x32, 4, 3),
            MatRef::from_row_major_slice(&y32, 4, 2),
            Loss::Mse,
            &mut ws32,
            &mut g32,
        )
        .unwrap();
    for (a, b) in g64.iter().zip(&g32) {
        assert!((a - *b as f64).abs() < 1e-5, "{a} vs {b}");
    }
}

/// Truncated BPTT online: blocks of `k` steps from the carried hidden state
/// (`Rnn::loss_and_gradient_steps`) at fixed weights add up to
/// `Bptt::Truncated(k)`'s loss and gradient (the same chunks, the same
/// carried states; the sums in another order), and the state after the
/// last block is the streamed forward pass's.
#[test]
fn blocks_from_the_carried_state_add_up_to_truncated_bptt() {
    let (len, washout, k) = (53, 4, 10);
    let net = Rnn::<f64>::new(2, 6, 1, &RnnInit::with_seed(3)).unwrap();
    let x = data(5, len * 2);
    let y = data(6, len);
    let inputs = MatRef::from_row_major_slice(&x, len, 2);
    let targets = MatRef::from_row_major_slice(&y, len, 1);
    let p = net.num_params();
    let mut truncated = vec![0.0; p];
    let mut ws = RnnGradWorkspace::new(&net, len, Bptt::Truncated(k));
    let loss = net
        .loss_and_gradient(
            inputs,
            targets,
            washout,
            Bptt::Truncated(k),
            &mut ws,
            &mut truncated,
        )
        .unwrap();

    let mut block_ws = RnnGradWorkspace::new(&net, k, Bptt::Full);
    let mut hidden = vec![0.0; 6];
    let (mut sum, mut grad, mut block) = (0.0, vec![0.0; p], vec![0.0; p]);
    let mut start = 0;
    while start < len {
        let end = (start + k).min(len);
        sum += net
            .loss_and_gradient_steps(
                inputs,
                targets,
                washout,
                start..end,
                &mut hidden,
                &mut block_ws,
                &mut block,
            )
            .unwrap();
        for (g, b) in grad.iter_mut().zip(&block) {
            *g += b;
        }
        start = end;
    }
    assert!((sum - loss).abs() <= 1e-12 * loss.abs(), "{sum} vs {loss}");
    for (a, b) in grad.iter().zip(&truncated) {
        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
    }
    let mut fws = RnnWorkspace::new(&net);
    let mut out = faer::Mat::<f64>::zeros(len, 1);
    net.predict(inputs, out.as_mut(), &mut fws).unwrap();
    for (a, b) in hidden.iter().zip(fws.hidden()) {
        assert!((a - b).abs() <= 1e-12, "carried state {a} vs forward {b}");
    }
    // Errors: a block past the end, an empty one, a short hidden state.
    for (range, h_len) in [(50..54, 6), (7..7, 6), (0..5, 5)] {
        let mut h = vec![0.0; h_len];
        assert!(
            net.loss_and_gradient_steps(
                inputs,
                targets,
                washout,
                range,
                &mut h,
                &mut block_ws,
                &mut block
            )
            .is_err()
        );
    }
}
