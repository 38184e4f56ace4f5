//! Bad input gives typed errors, never panics; non-finite parameters give a
//! non-finite loss, not an error.

use dopamine_nets::{
    Activation, Bptt, Loss, Mlp, MlpWorkspace, NetError, Rnn, RnnGradWorkspace, RnnInit,
    RnnWorkspace, WeightInit,
};
use faer::{MatMut, MatRef};

fn mlp() -> Mlp<f64> {
    Mlp::new(
        &[2, 3, 1],
        &[Activation::Tanh, Activation::Sigmoid],
        WeightInit::Auto,
        0,
    )
    .unwrap()
}

#[test]
fn mlp_construction_errors() {
    let acts = [Activation::Tanh];
    assert_eq!(
        Mlp::<f64>::zeros(&[3], &[]).unwrap_err(),
        NetError::TooFewLayers { got: 1 }
    );
    assert!(matches!(
        Mlp::<f64>::zeros(&[3, 0], &acts),
        Err(NetError::ZeroSize { .. })
    ));
    assert!(matches!(
        Mlp::<f64>::zeros(&[3, 2, 1], &acts),
        Err(NetError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        Mlp::<f64>::from_params(&[3, 1], &acts, &[0.0; 3]),
        Err(NetError::ShapeMismatch {
            expected: 4,
            got: 3,
            ..
        })
    ));
    let mut net = mlp();
    assert!(net.set_params(&[1.0]).is_err());
}

#[test]
fn mlp_data_errors() {
    let net = mlp();
    let mut ws = MlpWorkspace::new(&net, 4);
    let x = [0.0, 1.0, 1.0, 0.0];
    let y = [0.5, 0.5];
    let inputs = MatRef::from_row_major_slice(&x, 2, 2);
    let targets = MatRef::from_row_major_slice(&y, 2, 1);
    // Wrong input width.
    let bad = MatRef::from_row_major_slice(&x, 4, 1);
    assert!(matches!(
        net.loss(bad, targets, Loss::Mse, &mut ws),
        Err(NetError::ShapeMismatch { .. })
    ));
    // Row counts differ.
    let y3 = [0.5; 3];
    assert!(matches!(
        net.loss(
            inputs,
            MatRef::from_row_major_slice(&y3, 3, 1),
            Loss::Mse,
            &mut ws
        ),
        Err(NetError::ShapeMismatch { .. })
    ));
    // Empty batch.
    let empty = MatRef::from_row_major_slice(&x[..0], 0, 2);
    assert_eq!(
        net.loss(
            empty,
            MatRef::from_row_major_slice(&y[..0], 0, 1),
            Loss::Mse,
            &mut ws
        ),
        Err(NetError::EmptyBatch)
    );
    // Batch above capacity.
    let x5 = [0.0; 10];
    let y5 = [0.0; 5];
    assert!(matches!(
        net.loss(
            MatRef::from_row_major_slice(&x5, 5, 2),
            MatRef::from_row_major_slice(&y5, 5, 1),
            Loss::Mse,
            &mut ws
        ),
        Err(NetError::CapacityExceeded {
            capacity: 4,
            requested: 5,
            ..
        })
    ));
    // Non-finite input and target.
    let xn = [0.0, f64::NAN, 1.0, 0.0];
    assert_eq!(
        net.loss(
            MatRef::from_row_major_slice(&xn, 2, 2),
            targets,
            Loss::Mse,
            &mut ws
        ),
        Err(NetError::NonFinite {
            what: "inputs",
            row: 0,
            col: 1
        })
    );
    let yn = [0.5, f64::INFINITY];
    assert_eq!(
        net.loss(
            inputs,
            MatRef::from_row_major_slice(&yn, 2, 1),
            Loss::Mse,
            &mut ws
        ),
        Err(NetError::NonFinite {
            what: "targets",
            row: 1,
            col: 0
        })
    );
    // BCE targets must be in [0, 1] and the output must be a sigmoid.
    let yo = [0.5, 1.5];
    assert_eq!(
        net.loss(
            inputs,
            MatRef::from_row_major_slice(&yo, 2, 1),
            Loss::BinaryCrossEntropy,
            &mut ws
        ),
        Err(NetError::TargetOutOfRange { row: 1, col: 0 })
    );
    let lin = Mlp::<f64>::zeros(&[2, 1], &[Activation::Identity]).unwrap();
    let mut lws = MlpWorkspace::new(&lin, 2);
    assert_eq!(
        lin.loss(inputs, targets, Loss::BinaryCrossEntropy, &mut lws),
        Err(NetError::LossNeedsSigmoidOutput)
    );
    // Workspace of another model; gradient of the wrong length.
    assert!(matches!(
        net.loss(inputs, targets, Loss::Mse, &mut lws),
        Err(NetError::WorkspaceMismatch { .. })
    ));
    let mut g = vec![0.0; 3];
    assert!(matches!(
        net.loss_and_gradient(inputs, targets, Loss::Mse, &mut ws, &mut g),
        Err(NetError::ShapeMismatch {
            what: "gradient length",
            ..
        })
    ));
}

#[test]
fn nonfinite_parameters_give_nonfinite_loss() {
    let mut net = mlp();
    let mut ws = MlpWorkspace::new(&net, 2);
    net.params_mut()[0] = f64::NAN;
    let x = [0.0, 1.0, 1.0, 0.0];
    let y = [0.5, 0.5];
    let loss = net
        .loss(
            MatRef::from_row_major_slice(&x, 2, 2),
            MatRef::from_row_major_slice(&y, 2, 1),
            Loss::Mse,
            &mut ws,
        )
        .unwrap();
    assert!(!loss.is_finite());

    let mut rnn = Rnn::<f32>::new(1, 4, 1, &RnnInit::default()).unwrap();
    let w = rnn.layout().w_hh.start;
    rnn.params_mut()[w] = f32::INFINITY;
    let s = [0.1f32; 8];
    let mut rws = RnnWorkspace::new(&rnn);
    let loss = rnn
        .loss(
            MatRef::from_row_major_slice(&s, 8, 1),
            MatRef::from_row_major_slice(&s, 8, 1),
            0,
            &mut rws,
        )
        .unwrap();
    assert!(!loss.is_finite());
}

#[test]
fn rnn_errors() {
    assert!(matches!(
        Rnn::<f64>::zeros(0, 3, 1),
        Err(NetError::ZeroSize { .. })
    ));
    assert!(matches!(
        Rnn::<f64>::zeros(1, 0, 1),
        Err(NetError::ZeroSize { .. })
    ));
    let bad_init = RnnInit {
        spectral_radius: -1.0,
        ..RnnInit::default()
    };
    assert!(matches!(
        Rnn::<f64>::new(1, 3, 1, &bad_init),
        Err(NetError::InvalidConfig { .. })
    ));
    let bad_init = RnnInit {
        spectral_radius: f64::NAN,
        ..RnnInit::default()
    };
    assert!(Rnn::<f64>::new(1, 3, 1, &bad_init).is_err());

    let net = Rnn::<f64>::new(2, 3, 1, &RnnInit::default()).unwrap();
    let mut ws = RnnWorkspace::new(&net);
    let x = [0.1; 10];
    let y = [0.2; 5];
    let inputs = MatRef::from_row_major_slice(&x, 5, 2);
    let targets = MatRef::from_row_major_slice(&y, 5, 1);
    assert!(net.loss(inputs, targets, 4, &mut ws).is_ok());
    assert_eq!(
        net.loss(inputs, targets, 5, &mut ws),
        Err(NetError::WashoutTooLong { washout: 5, len: 5 })
    );
    assert_eq!(
        net.loss(
            MatRef::from_row_major_slice(&x[..0], 0, 2),
            MatRef::from_row_major_slice(&y[..0], 0, 1),
            0,
            &mut ws
        ),
        Err(NetError::EmptySequence)
    );
    assert!(matches!(
        net.loss(MatRef::from_row_major_slice(&x, 10, 1), targets, 0, &mut ws),
        Err(NetError::ShapeMismatch {
            what: "input columns",
            ..
        })
    ));
    assert!(matches!(
        net.loss(
            inputs,
            MatRef::from_row_major_slice(&y[..4], 4, 1),
            0,
            &mut ws
        ),
        Err(NetError::ShapeMismatch {
            what: "target rows",
            ..
        })
    ));
    let mut xn = x;
    xn[7] = f64::NEG_INFINITY;
    assert_eq!(
        net.loss(MatRef::from_row_major_slice(&xn, 5, 2), targets, 0, &mut ws),
        Err(NetError::NonFinite {
            what: "inputs",
            row: 3,
            col: 1
        })
    );
    assert!(matches!(
        net.loss_from_state(Some(&[0.0; 2]), inputs, targets, 0, &mut ws),
        Err(NetError::ShapeMismatch { .. })
    ));
    // Workspace of another shape.
    let other = Rnn::<f64>::zeros(2, 4, 1).unwrap();
    let mut other_ws = RnnWorkspace::new(&other);
    assert!(matches!(
        net.loss(inputs, targets, 0, &mut other_ws),
        Err(NetError::WorkspaceMismatch { .. })
    ));
    // Free run needs I == O, a context and matching prediction columns.
    let mut out = [0.0; 4];
    assert!(matches!(
        net.free_run(
            inputs,
            MatMut::from_row_major_slice_mut(&mut out, 4, 1),
            &mut ws
        ),
        Err(NetError::FeedbackDimensions {
            input_dim: 2,
            output_dim: 1
        })
    ));
    let sq = Rnn::<f64>::zeros(1, 3, 1).unwrap();
    let mut sws = RnnWorkspace::new(&sq);
    assert_eq!(
        sq.free_run(
            MatRef::from_row_major_slice(&y[..0], 0, 1),
            MatMut::from_row_major_slice_mut(&mut out, 4, 1),
            &mut sws
        ),
        Err(NetError::EmptySequence)
    );
    assert!(matches!(
        sq.free_run(
            MatRef::from_row_major_slice(&y, 5, 1),
            MatMut::from_row_major_slice_mut(&mut out, 2, 2),
            &mut sws
        ),
        Err(NetError::ShapeMismatch { .. })
    ));
    // BPTT: truncation 0, chunk above capacity, wrong gradient length.
    let mut g = vec![0.0; net.num_params()];
    let mut gws = RnnGradWorkspace::new(&net, 3, Bptt::Full);
    assert!(matches!(
        net.loss_and_gradient(inputs, targets, 0, Bptt::Truncated(0), &mut gws, &mut g),
        Err(NetError::InvalidConfig { .. })
    ));
    assert!(matches!(
        net.loss_and_gradient(inputs, targets, 0, Bptt::Full, &mut gws, &mut g),
        Err(NetError::CapacityExceeded {
            capacity: 3,
            requested: 5,
            ..
        })
    ));
    assert!(
        net.loss_and_gradient(inputs, targets, 0, Bptt::Truncated(3), &mut gws, &mut g)
            .is_ok()
    );
    assert!(matches!(
        net.loss_and_gradient(
            inputs,
            targets,
            0,
            Bptt::Truncated(3),
            &mut gws,
            &mut g[..2]
        ),
        Err(NetError::ShapeMismatch { .. })
    ));
    // Errors display and are std errors.
    let e: Box<dyn std::error::Error> = Box::new(NetError::EmptySequence);
    assert!(!e.to_string().is_empty());
}
