//! Dopamine-3's lockstep passes allocate nothing once the model, its workspace and the rule's storage exist, and the memory they hold does not grow with the sequence: sweeps, estimates and streamed steps of the RNN and sweeps of the MLP, in `f32` and `f64`, under a counting global allocator.

use dopamine_core::{Accumulation, Dopamine3, Dopamine3Config, UpdateEvery};
use dopamine_meter::{CountingAllocator, thread_allocations};
use dopamine_nets::{
    Activation, Loss, Mlp, MlpNodeWorkspace, Rnn, RnnInit, RnnNodeWorkspace, Scalar, WeightInit,
};
use faer::MatRef;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator::new();

/// Allocations made by `reps` calls of `f` after one warm-up call.
fn allocations_of(reps: usize, mut f: impl FnMut()) -> u64 {
    f();
    let before = thread_allocations();
    for _ in 0..reps {
        f();
    }
    thread_allocations() - before
}

fn series<T: Scalar>(n: usize) -> Vec<T> {
    (0..n)
        .map(|i| T::from_f64((0.37 * i as f64).sin()))
        .collect()
}

fn rnn_passes<T: Scalar>() {
    for len in [100, 5_000] {
        let s = series::<T>(len + 1);
        let inputs = MatRef::from_column_major_slice(&s[..len], len, 1);
        let targets = MatRef::from_column_major_slice(&s[1..], len, 1);
        let mut net = Rnn::<T>::new(1, 16, 1, &RnnInit::with_seed(1)).unwrap();
        let layout = net.node_layout();
        for accumulation in [Accumulation::Streaming, Accumulation::Blocks(300)] {
            let config = Dopamine3Config::<T> {
                accumulation,
                ..Default::default()
            };
            // The memory a sweep holds: the rule's storage and the workspace,
            // whatever the sequence's length.
            let storage_len = config.storage_len(&layout);
            let mut rule = Dopamine3::new(config, layout, vec![T::ZERO; storage_len]).unwrap();
            let mut ws = RnnNodeWorkspace::new(&net);
            let n = allocations_of(3, || {
                net.node_sweep(&mut rule, inputs, targets, 10, &mut ws)
                    .unwrap();
            });
            assert_eq!(n, 0, "sweep, T={len}, {accumulation:?}");
            let mut prediction = [T::ZERO];
            let n = allocations_of(100, || {
                net.node_stream_predict(&mut rule, &s[..1], &mut ws, &mut prediction)
                    .unwrap();
                let _ = net
                    .node_stream_learn(&mut rule, Some(&s[1..2]), &ws)
                    .unwrap();
            });
            assert_eq!(n, 0, "stream, {accumulation:?}");
        }
        let config = Dopamine3Config::<T> {
            update_every: UpdateEvery::Sweep,
            ..Default::default()
        };
        let mut rule =
            Dopamine3::new(config, layout, vec![T::ZERO; config.storage_len(&layout)]).unwrap();
        let mut ws = RnnNodeWorkspace::new(&net);
        let mut out = vec![T::ZERO; net.num_params()];
        let n = allocations_of(3, || {
            net.node_estimate(&mut rule, inputs, targets, 10, &mut ws, &mut out)
                .unwrap();
        });
        assert_eq!(n, 0, "estimate, T={len}");
    }
}

#[test]
fn rnn_lockstep_passes_do_not_allocate() {
    rnn_passes::<f32>();
    rnn_passes::<f64>();
}

#[test]
fn mlp_sweeps_do_not_allocate() {
    let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
    let y = [0.0, 1.0, 1.0, 0.0];
    let inputs = MatRef::from_row_major_slice(&x, 4, 2);
    let targets = MatRef::from_row_major_slice(&y, 4, 1);
    let mut net = Mlp::<f64>::new(
        &[2, 4, 1],
        &[Activation::Tanh, Activation::Sigmoid],
        WeightInit::Auto,
        0,
    )
    .unwrap();
    let layout = net.node_layout().unwrap();
    let config = Dopamine3Config::<f64> {
        lambda: 0.0,
        update_every: UpdateEvery::Sweep,
        ..Default::default()
    };
    let mut rule = Dopamine3::new(config, layout, vec![0.0; config.storage_len(&layout)]).unwrap();
    let mut ws = MlpNodeWorkspace::new(&net);
    for loss in [Loss::Mse, Loss::BinaryCrossEntropy] {
        let n = allocations_of(10, || {
            net.node_sweep(&mut rule, inputs, targets, loss, &mut ws)
                .unwrap();
        });
        assert_eq!(n, 0, "{loss:?}");
    }
}
