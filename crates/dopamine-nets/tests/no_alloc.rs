//! Proves that forward passes, losses and gradients allocate nothing once a
//! model and its workspace exist, with a counting global allocator.

use dopamine_meter::{CountingAllocator, thread_allocations};
use dopamine_nets::{
    Activation, Bptt, Loss, Mlp, MlpWorkspace, Rnn, RnnGradWorkspace, RnnInit, RnnWorkspace,
    WeightInit,
};
use faer::{MatMut, MatRef};

/// The workspace's counting allocator; its per-thread count keeps tests
/// running in parallel threads from disturbing each other's counts.
#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator::new();

fn allocations() -> u64 {
    thread_allocations()
}

/// Runs `f` once to warm up (faer's matmul keeps a per-thread scratch
/// buffer), then `reps` times, and returns the allocations of the repeats.
fn allocations_of(reps: usize, mut f: impl FnMut()) -> u64 {
    f();
    let before = allocations();
    for _ in 0..reps {
        f();
    }
    allocations() - before
}

fn series(n: usize) -> Vec<f64> {
    (0..n).map(|i| (0.37 * i as f64).sin()).collect()
}

#[test]
fn counter_sees_allocations() {
    let before = allocations();
    let v = std::hint::black_box(vec![1u8; 10]);
    assert!(allocations() > before);
    drop(v);
}

#[test]
fn mlp_forward_loss_and_gradient_do_not_allocate() {
    for &(sizes, batch) in &[(&[2usize, 4, 1][..], 4usize), (&[8, 64, 64, 3][..], 128)] {
        let acts: Vec<Activation> = (1..sizes.len())
            .map(|l| {
                if l + 1 == sizes.len() {
                    Activation::Sigmoid
                } else {
                    Activation::Tanh
                }
            })
            .collect();
        let net = Mlp::<f64>::new(sizes, &acts, WeightInit::Auto, 1).unwrap();
        let x = series(batch * sizes[0]);
        let y: Vec<f64> = series(batch * sizes[sizes.len() - 1])
            .iter()
            .map(|v| 0.5 * (v + 1.0))
            .collect();
        let inputs = MatRef::from_row_major_slice(&x, batch, sizes[0]);
        let targets = MatRef::from_row_major_slice(&y, batch, *sizes.last().unwrap());
        let mut ws = MlpWorkspace::new(&net, batch);
        let mut grad = vec![0.0; net.num_params()];
        let mut sink = 0.0;
        let probe: Vec<f64> = net.params().iter().map(|w| w * 0.99).collect();
        let n = allocations_of(100, || {
            sink += net.loss(inputs, targets, Loss::Mse, &mut ws).unwrap();
            sink += net
                .loss_at(&probe, inputs, targets, Loss::Mse, &mut ws)
                .unwrap();
            sink += net
                .loss(inputs, targets, Loss::BinaryCrossEntropy, &mut ws)
                .unwrap();
            sink += net.forward(inputs, &mut ws).unwrap()[(0, 0)];
        });
        assert_eq!(n, 0, "MLP {sizes:?} loss allocated");
        let n = allocations_of(100, || {
            sink += net
                .loss_and_gradient(inputs, targets, Loss::Mse, &mut ws, &mut grad)
                .unwrap();
        });
        assert_eq!(n, 0, "MLP {sizes:?} gradient allocated");
        assert!(sink.is_finite());
    }
}

#[test]
fn rnn_loss_prediction_and_bptt_do_not_allocate() {
    for &(dim, hidden, len) in &[(1usize, 16usize, 200usize), (3, 64, 100)] {
        let net = Rnn::<f32>::new(dim, hidden, dim, &RnnInit::with_seed(2)).unwrap();
        let x: Vec<f32> = series(len * dim).iter().map(|&v| v as f32).collect();
        let y: Vec<f32> = series((len + 1) * dim)[dim..]
            .iter()
            .map(|&v| v as f32)
            .collect();
        let inputs = MatRef::from_row_major_slice(&x, len, dim);
        let targets = MatRef::from_row_major_slice(&y, len, dim);
        let mut ws = RnnWorkspace::new(&net);
        let mut out = vec![0.0f32; len * dim];
        let mut sink = 0.0f32;
        let probe: Vec<f32> = net.params().iter().map(|w| w * 0.99).collect();
        let n = allocations_of(100, || {
            sink += net.loss(inputs, targets, 10, &mut ws).unwrap();
            sink += net.loss_at(&probe, inputs, targets, 10, &mut ws).unwrap();
        });
        assert_eq!(n, 0, "RNN H={hidden} loss allocated");
        let n = allocations_of(20, || {
            net.predict(
                inputs,
                MatMut::from_row_major_slice_mut(&mut out, len, dim),
                &mut ws,
            )
            .unwrap();
            net.free_run(
                inputs.subrows(0, len / 2),
                MatMut::from_row_major_slice_mut(&mut out[..(len / 2) * dim], len / 2, dim),
                &mut ws,
            )
            .unwrap();
        });
        assert_eq!(n, 0, "RNN H={hidden} prediction allocated");
        for bptt in [Bptt::Full, Bptt::Truncated(7)] {
            let mut gws = RnnGradWorkspace::new(&net, len, bptt);
            let mut grad = vec![0.0f32; net.num_params()];
            let n = allocations_of(20, || {
                sink += net
                    .loss_and_gradient(inputs, targets, 10, bptt, &mut gws, &mut grad)
                    .unwrap();
            });
            assert_eq!(n, 0, "RNN H={hidden} {bptt:?} gradient allocated");
        }
        assert!(sink.is_finite());
    }
}

#[test]
fn population_passes_do_not_allocate_after_the_first() {
    use dopamine_core::{
        Dopamine1, Dopamine1Rule, NoiseStructure, ParamLayout, PerturbConfig, RpeMode,
    };
    use dopamine_nets::{MlpPopulationWorkspace, RnnPopulationWorkspace};
    for low_rank in [false, true] {
        let config = PerturbConfig {
            sigma: 0.01f32,
            probes: 4,
            rpe: RpeMode::Antithetic,
            structure: if low_rank {
                NoiseStructure::LowRank { rank: 1 }
            } else {
                NoiseStructure::Full
            },
            ..Default::default()
        };
        // RNN.
        let net = Rnn::<f32>::new(1, 16, 1, &RnnInit::with_seed(2)).unwrap();
        let x: Vec<f32> = series(101).iter().map(|&v| v as f32).collect();
        let (inputs, targets) = (
            MatRef::from_row_major_slice(&x[..100], 100, 1),
            MatRef::from_row_major_slice(&x[1..], 100, 1),
        );
        let layout = if low_rank {
            net.param_layout(1)
        } else {
            ParamLayout::flat(net.num_params()).unwrap()
        };
        let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), layout).unwrap();
        let plan = opt.plan(net.params()).unwrap();
        let mut ws = RnnPopulationWorkspace::new(&net);
        let mut losses = vec![0.0f32; plan.len()];
        let n = allocations_of(10, || {
            net.plan_losses(
                net.params(),
                &plan,
                inputs,
                targets,
                5,
                &mut ws,
                &mut losses,
            )
            .unwrap();
        });
        assert_eq!(n, 0, "RNN population (low rank: {low_rank}) allocated");
        // The lockstep entry points: points as slices (pairs, interleaved
        // groups and lane groups) and any population (here the plan).
        for count in [2usize, 5, 8, 11] {
            let points: Vec<Vec<f32>> = (0..count)
                .map(|e| net.params().iter().map(|w| w + 0.01 * e as f32).collect())
                .collect();
            let refs: Vec<&[f32]> = points.iter().map(Vec::as_slice).collect();
            let mut ws = RnnPopulationWorkspace::new(&net);
            let mut out = vec![0.0f32; count];
            let n = allocations_of(10, || {
                net.points_losses(&refs, inputs, targets, 5, &mut ws, &mut out)
                    .unwrap();
            });
            assert_eq!(n, 0, "RNN points_losses of {count} points allocated");
        }
        let mut ws = RnnPopulationWorkspace::new(&net);
        let n = allocations_of(10, || {
            net.population_losses(
                net.params(),
                &plan,
                inputs,
                targets,
                5,
                &mut ws,
                &mut losses,
            )
            .unwrap();
        });
        assert_eq!(n, 0, "RNN population_losses allocated");
        // MLP.
        let mlp = Mlp::<f32>::new(
            &[2, 4, 1],
            &[Activation::Tanh, Activation::Sigmoid],
            WeightInit::Auto,
            3,
        )
        .unwrap();
        let xs = [0.0f32, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
        let ys = [0.0f32, 1.0, 1.0, 0.0];
        let (inputs, targets) = (
            MatRef::from_row_major_slice(&xs, 4, 2),
            MatRef::from_row_major_slice(&ys, 4, 1),
        );
        let layout = if low_rank {
            mlp.param_layout(1).unwrap()
        } else {
            ParamLayout::flat(mlp.num_params()).unwrap()
        };
        let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), layout).unwrap();
        let plan = opt.plan(mlp.params()).unwrap();
        let mut ws = MlpPopulationWorkspace::new(&mlp);
        let mut losses = vec![0.0f32; plan.len()];
        let n = allocations_of(10, || {
            mlp.plan_losses(
                mlp.params(),
                &plan,
                inputs,
                targets,
                Loss::Mse,
                &mut ws,
                &mut losses,
            )
            .unwrap();
        });
        assert_eq!(n, 0, "MLP population (low rank: {low_rank}) allocated");
    }
}
