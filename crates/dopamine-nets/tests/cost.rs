//! The cost accounting checked against hand computations for small shapes.

use dopamine_nets::{Activation, Bptt, Cost, Loss, Mlp, Rnn, RnnGradWorkspace, WeightInit};

#[test]
fn mlp_cost_matches_hand_count() {
    // 2-3-1, tanh hidden, sigmoid output, batch 4.
    let net = Mlp::<f64>::zeros(&[2, 3, 1], &[Activation::Tanh, Activation::Sigmoid]).unwrap();
    // Forward:
    //   layer 1: product 2*3*2*4 = 48, bias 3*4 = 12, tanh 12      -> 72
    //   layer 2: product 2*1*3*4 = 24, bias 4, sigmoid 4            -> 32
    //   MSE: 3 per output element, 1*4 elements                     -> 12
    assert_eq!(net.forward_flops(4, Loss::Mse), 72 + 32 + 12);
    // BCE counts 8 per element instead of 3.
    assert_eq!(net.forward_flops(4, Loss::BinaryCrossEntropy), 72 + 32 + 32);
    // Backward, MSE:
    //   output delta: error+scale 2*4 = 8, sigmoid' 2*4 = 8         -> 16
    //   layer 2: dW 2*1*3*4 = 24, db 4, W^T delta 2*3*1*4 = 24,
    //            tanh' of layer 1: 2*3*4 = 24                       -> 76
    //   layer 1: dW 2*3*2*4 = 48, db 12                             -> 60
    assert_eq!(net.backward_flops(4, Loss::Mse), 16 + 76 + 60);
    // BCE with sigmoid output needs no derivative at the output.
    assert_eq!(net.backward_flops(4, Loss::BinaryCrossEntropy), 8 + 76 + 60);
    assert_eq!(
        net.cost(4, Loss::Mse),
        Cost {
            params: 3 * 2 + 3 + 3 + 1,
            forward_flops: 116,
            backward_flops: 152,
            // outputs 3 + 1 and logits 1 per sample, 4 samples, 8 bytes
            forward_bytes: 5 * 4 * 8,
            // plus two delta buffers of width 3
            backward_bytes: (5 + 6) * 4 * 8,
        }
    );
    // Identity layers cost no activation or derivative FLOPs.
    let lin = Mlp::<f32>::new(&[2, 3, 1], &[Activation::Identity; 2], WeightInit::Auto, 0).unwrap();
    assert_eq!(lin.forward_flops(1, Loss::Mse), (12 + 3) + (6 + 1) + 3);
    assert_eq!(lin.backward_flops(1, Loss::Mse), 2 + (6 + 1 + 6) + (12 + 3));
}

#[test]
fn rnn_cost_matches_hand_count() {
    // I = 1, H = 2, O = 1, T = 3, washout 1 (S = 2 scored steps).
    let net = Rnn::<f32>::zeros(1, 2, 1).unwrap();
    // Step: W_hh h 2*2*2 = 8, W_in x 2*2*1 = 4, bias 2, tanh 2 = 16.
    // Readout: 2*1*2 = 4, bias 1 = 5; loss 3.
    assert_eq!(net.forward_flops(3, 1), 3 * 16 + 2 * (5 + 3));
    // Backward, full BPTT:
    //   scale errors S*O = 2; W_out^T g: S*2*O*H = 8; tanh': T*3*H = 18;
    //   W_hh^T dz on all but the chunk's first step: 2 * 2*2*2 = 16;
    //   gradients per step: dW_out 4 + db_out 1 + dW_hh 8 + dW_in 4 + db 2
    //   = 19, times 3 = 57.
    assert_eq!(net.backward_flops(3, 1, Bptt::Full), 2 + 8 + 18 + 16 + 57);
    // Chunks of 2: two chunks, so W_hh^T dz runs on one step fewer.
    assert_eq!(
        net.backward_flops(3, 1, Bptt::Truncated(2)),
        2 + 8 + 18 + 8 + 57
    );
    let cost = net.cost(3, 1, Bptt::Full);
    assert_eq!(cost.params, 2 + 4 + 2 + 2 + 1);
    // Streamed loss: two hidden vectors and one output, 4 bytes each.
    assert_eq!(cost.forward_bytes, (2 * 2 + 1) * 4);
    // BPTT: states (T+1)*H = 8, errors T*O = 3, deltas T*H = 6, dh H = 2.
    assert_eq!(cost.backward_bytes, (8 + 3 + 6 + 2) * 4);
    let ws = RnnGradWorkspace::new(&net, 3, Bptt::Full);
    assert_eq!(ws.bytes() as u64, cost.backward_bytes);
    // Truncation bounds BPTT memory by the chunk length.
    let ws = RnnGradWorkspace::new(&net, 1000, Bptt::Truncated(2));
    assert_eq!(
        ws.bytes() as u64,
        net.cost(1000, 0, Bptt::Truncated(2)).backward_bytes
    );
    assert_eq!(ws.bytes(), (3 * 2 + 2 + 2 * 2 + 2) * 4);
    // Free run: 2 context steps + 2 fed-back steps, 3 readouts.
    assert_eq!(net.free_run_flops(2, 3), 4 * 16 + 3 * 5);
}
