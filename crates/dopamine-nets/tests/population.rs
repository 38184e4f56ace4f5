//! Population forward passes: every point of a step plan in one sweep, against the one-point-at-a-time losses of the built points.

use dopamine_core::{
    Block, Dopamine1, Dopamine1Rule, NoiseKind, NoiseStructure, ParamLayout, PerturbConfig,
    RpeMode, StepPlan,
};
use dopamine_nets::{
    Activation, Loss, Mlp, MlpPopulationWorkspace, MlpWorkspace, NetError, Rnn, RnnInit,
    RnnPopulationWorkspace, RnnWorkspace, Scalar, WeightInit,
};
use faer::MatRef;

/// A sine-ish sequence and its next values, `len x dim`.
fn data<T: Scalar>(len: usize, dim: usize) -> (Vec<T>, Vec<T>) {
    let x =
        |t: usize, d: usize| ((0.13 * t as f64) + d as f64).sin() + 0.3 * (0.041 * t as f64).cos();
    let inputs = (0..len * dim)
        .map(|k| T::from_f64(x(k / dim, k % dim)))
        .collect();
    let targets = (0..len * dim)
        .map(|k| T::from_f64(x(k / dim + 1, k % dim)))
        .collect();
    (inputs, targets)
}

fn plan<T: Scalar>(
    net: &Rnn<T>,
    probes: usize,
    rpe: RpeMode,
    rank: Option<usize>,
    sigma: f64,
) -> StepPlan<T> {
    let config = PerturbConfig {
        sigma: T::from_f64(sigma),
        eta: T::from_f64(0.01),
        probes,
        rpe,
        noise: NoiseKind::Gaussian,
        structure: rank.map_or(NoiseStructure::Full, |rank| NoiseStructure::LowRank {
            rank,
        }),
        seed: 3,
        ..Default::default()
    };
    let layout = match rank {
        Some(r) => net.param_layout(r),
        None => ParamLayout::flat(net.num_params()).unwrap(),
    };
    let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), layout).unwrap();
    opt.plan(net.params()).unwrap()
}

/// The losses of the built points, one `loss_at` each.
fn one_at_a_time<T: Scalar>(
    net: &Rnn<T>,
    plan: &StepPlan<T>,
    x: MatRef<'_, T>,
    y: MatRef<'_, T>,
    washout: usize,
) -> Vec<T> {
    let mut ws = RnnWorkspace::new(net);
    let mut base = net.params().to_vec();
    let mut point = vec![T::ZERO; base.len()];
    (0..plan.len())
        .map(|e| {
            plan.build_point(e, &mut base, &mut point).unwrap();
            net.loss_at(&point, x, y, washout, &mut ws).unwrap()
        })
        .collect()
}

fn check<T: Scalar>(
    dims: (usize, usize, usize),
    rank: Option<usize>,
    rpe: RpeMode,
    tolerance: f64,
) {
    let (i, h, o) = dims;
    let net = Rnn::<T>::new(i, h, o, &RnnInit::with_seed(h as u64)).unwrap();
    let (xs, _) = data::<T>(120, i);
    let (_, ys) = data::<T>(120, o);
    let x = MatRef::from_row_major_slice(&xs, 120, i);
    let y = MatRef::from_row_major_slice(&ys, 120, o);
    let plan = plan(&net, 4, rpe, rank, 0.05);
    let expected = one_at_a_time(&net, &plan, x, y, 10);
    let mut ws = RnnPopulationWorkspace::new(&net);
    let mut losses = vec![T::ZERO; plan.len()];
    // Twice: the second call reuses the workspace.
    for _ in 0..2 {
        net.plan_losses(net.params(), &plan, x, y, 10, &mut ws, &mut losses)
            .unwrap();
        for (e, (a, b)) in losses.iter().zip(&expected).enumerate() {
            let (a, b) = (a.to_f64(), b.to_f64());
            if rank.is_none() {
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "point {e}: lockstep is bit-identical"
                );
            } else {
                assert!(
                    (a - b).abs() <= tolerance * b.abs(),
                    "{dims:?} rank {rank:?} point {e}: {a} vs {b}"
                );
            }
        }
    }
    // The points differ: the population is not evaluating one point E times.
    assert!(losses.iter().any(|l| l.to_f64() != losses[0].to_f64()));
}

#[test]
fn low_rank_population_matches_the_built_points() {
    for rpe in [RpeMode::Forward, RpeMode::Antithetic] {
        for dims in [(1, 16, 1), (3, 24, 3), (1, 9, 2)] {
            for rank in [1, 2] {
                check::<f64>(dims, Some(rank), rpe, 1e-11);
                check::<f32>(dims, Some(rank), rpe, 2e-4);
            }
        }
    }
}

#[test]
fn full_rank_lockstep_is_bit_identical_to_one_at_a_time() {
    for rpe in [RpeMode::Forward, RpeMode::Antithetic] {
        check::<f64>((1, 16, 1), None, rpe, 0.0);
        check::<f32>((3, 13, 3), None, rpe, 0.0);
    }
}

#[test]
fn param_layout_uses_dense_noise_where_a_matrix_is_too_thin() {
    let net = Rnn::<f64>::new(1, 8, 1, &RnnInit::default()).unwrap();
    let l = net.param_layout(2);
    assert_eq!(
        l.blocks(),
        &[
            Block::Vector { len: 8 },
            Block::Matrix { rows: 8, cols: 8 },
            Block::Vector { len: 8 },
            Block::Vector { len: 8 },
            Block::Vector { len: 1 },
        ]
    );
    assert_eq!(l.num_params(), net.num_params());
    assert_eq!(
        net.param_layout(1).blocks()[0],
        Block::Matrix { rows: 8, cols: 1 }
    );
}

#[test]
fn mismatched_plans_and_buffers_are_errors() {
    let net = Rnn::<f64>::new(1, 8, 1, &RnnInit::default()).unwrap();
    let (xs, ys) = data::<f64>(30, 1);
    let x = MatRef::from_row_major_slice(&xs, 30, 1);
    let y = MatRef::from_row_major_slice(&ys, 30, 1);
    let mut ws = RnnPopulationWorkspace::new(&net);
    let good = plan(&net, 2, RpeMode::Forward, Some(1), 0.01);
    let mut losses = vec![0.0; good.len()];
    // Wrong number of losses.
    let mut short = vec![0.0; good.len() - 1];
    assert!(matches!(
        net.plan_losses(net.params(), &good, x, y, 5, &mut ws, &mut short),
        Err(NetError::ShapeMismatch { .. })
    ));
    // A low-rank plan over a layout that does not follow the model's blocks.
    let config = PerturbConfig::<f64> {
        structure: NoiseStructure::LowRank { rank: 1 },
        ..Default::default()
    };
    let wrong = ParamLayout::new(&[
        Block::Matrix { rows: 8, cols: 2 },
        Block::Vector {
            len: net.num_params() - 16,
        },
    ])
    .unwrap();
    let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), wrong).unwrap();
    let bad = opt.plan(net.params()).unwrap();
    let mut l3 = vec![0.0; bad.len()];
    assert!(matches!(
        net.plan_losses(net.params(), &bad, x, y, 5, &mut ws, &mut l3),
        Err(NetError::PlanLayout { .. })
    ));
    // A plan for another model size.
    let other = Rnn::<f64>::new(1, 9, 1, &RnnInit::default()).unwrap();
    let foreign = plan(&other, 2, RpeMode::Forward, Some(1), 0.01);
    assert!(matches!(
        net.plan_losses(net.params(), &foreign, x, y, 5, &mut ws, &mut losses),
        Err(NetError::ShapeMismatch { .. })
    ));
    // Non-finite data.
    let mut nan = xs.clone();
    nan[4] = f64::NAN;
    assert!(matches!(
        net.plan_losses(
            net.params(),
            &good,
            MatRef::from_row_major_slice(&nan, 30, 1),
            y,
            5,
            &mut ws,
            &mut losses
        ),
        Err(NetError::NonFinite { .. })
    ));
    net.plan_losses(net.params(), &good, x, y, 5, &mut ws, &mut losses)
        .unwrap();
}

fn mlp_check<T: Scalar>(sizes: &[usize], rank: Option<usize>, loss: Loss, tolerance: f64) {
    let acts: Vec<Activation> = (1..sizes.len())
        .map(|l| {
            if l + 1 == sizes.len() {
                Activation::Sigmoid
            } else {
                Activation::Tanh
            }
        })
        .collect();
    let net = Mlp::<T>::new(sizes, &acts, WeightInit::Auto, 7).unwrap();
    let batch = 5;
    let xs: Vec<T> = (0..batch * sizes[0])
        .map(|k| T::from_f64((0.7 * k as f64).sin()))
        .collect();
    let n_out = *sizes.last().unwrap();
    let ys: Vec<T> = (0..batch * n_out)
        .map(|k| T::from_f64(0.5 + 0.4 * (0.3 * k as f64).cos()))
        .collect();
    let x = MatRef::from_row_major_slice(&xs, batch, sizes[0]);
    let y = MatRef::from_row_major_slice(&ys, batch, n_out);
    let config = PerturbConfig {
        sigma: T::from_f64(0.05),
        probes: 3,
        rpe: RpeMode::Antithetic,
        structure: rank.map_or(NoiseStructure::Full, |rank| NoiseStructure::LowRank {
            rank,
        }),
        seed: 9,
        ..Default::default()
    };
    let layout = match rank {
        Some(r) => net.param_layout(r).unwrap(),
        None => ParamLayout::flat(net.num_params()).unwrap(),
    };
    let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), layout).unwrap();
    let plan = opt.plan(net.params()).unwrap();
    let mut single = MlpWorkspace::new(&net, batch);
    let mut base = net.params().to_vec();
    let mut point = vec![T::ZERO; base.len()];
    let expected: Vec<T> = (0..plan.len())
        .map(|e| {
            plan.build_point(e, &mut base, &mut point).unwrap();
            net.loss_at(&point, x, y, loss, &mut single).unwrap()
        })
        .collect();
    let mut ws = MlpPopulationWorkspace::new(&net);
    let mut losses = vec![T::ZERO; plan.len()];
    for _ in 0..2 {
        net.plan_losses(net.params(), &plan, x, y, loss, &mut ws, &mut losses)
            .unwrap();
        for (e, (a, b)) in losses.iter().zip(&expected).enumerate() {
            let (a, b) = (a.to_f64(), b.to_f64());
            if rank.is_none() {
                assert_eq!(a.to_bits(), b.to_bits(), "point {e}");
            } else {
                assert!(
                    (a - b).abs() <= tolerance * b.abs(),
                    "{sizes:?} rank {rank:?} point {e}: {a} vs {b}"
                );
            }
        }
    }
    assert!(losses.iter().any(|l| l.to_f64() != losses[0].to_f64()));
}

#[test]
fn mlp_population_matches_the_built_points() {
    for loss in [Loss::Mse, Loss::BinaryCrossEntropy] {
        for sizes in [&[2usize, 2, 1][..], &[2, 4, 1], &[3, 8, 5, 2]] {
            mlp_check::<f64>(sizes, None, loss, 0.0);
            mlp_check::<f32>(sizes, None, loss, 0.0);
            for rank in [1, 2] {
                mlp_check::<f64>(sizes, Some(rank), loss, 1e-12);
                mlp_check::<f32>(sizes, Some(rank), loss, 1e-5);
            }
        }
    }
}

/// FNV-1a 64 over the bits of every low-rank population loss of a set of
/// shapes, ranks, RPE modes and both float types: pins the low-rank sweep's
/// values (its order of operations) so a faster kernel cannot change them
/// silently. Pinned (issue 22) from the sweep as it was before the
/// population kernels were reworked; change it only deliberately.
#[test]
fn low_rank_population_values_are_pinned() {
    fn losses_bits<T: Scalar>(
        dims: (usize, usize, usize),
        rank: usize,
        rpe: RpeMode,
        probes: usize,
        out: &mut Vec<u64>,
    ) {
        let (i, h, o) = dims;
        let net = Rnn::<T>::new(i, h, o, &RnnInit::with_seed(h as u64)).unwrap();
        let (xs, _) = data::<T>(90, i);
        let (_, ys) = data::<T>(90, o);
        let x = MatRef::from_row_major_slice(&xs, 90, i);
        let y = MatRef::from_row_major_slice(&ys, 90, o);
        let plan = plan(&net, probes, rpe, Some(rank), 0.05);
        let mut ws = RnnPopulationWorkspace::new(&net);
        let mut losses = vec![T::ZERO; plan.len()];
        net.plan_losses(net.params(), &plan, x, y, 7, &mut ws, &mut losses)
            .unwrap();
        out.extend(losses.iter().map(|l| l.to_f64().to_bits()));
    }
    let mut bits = Vec::new();
    for rpe in [RpeMode::Forward, RpeMode::Antithetic] {
        for (dims, probes) in [
            ((1, 16, 1), 4),
            ((3, 24, 3), 3),
            ((1, 9, 2), 5),
            ((1, 64, 1), 16),
            ((2, 40, 1), 9),
        ] {
            for rank in [1, 2] {
                losses_bits::<f32>(dims, rank, rpe, probes, &mut bits);
                losses_bits::<f64>(dims, rank, rpe, probes, &mut bits);
            }
        }
    }
    let hash = bits.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        b.to_le_bytes().iter().fold(h, |h, &byte| {
            (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    });
    assert_eq!(bits.len(), 484);
    assert_eq!(
        hash, 0xd981_48ed_b0d0_f65d,
        "low-rank population losses changed: {hash:#018x}"
    );
}

/// Pseudo-random points around a network's parameters (`w + s z`, alternate
/// signs), so every point differs.
fn points_around<T: Scalar>(net: &Rnn<T>, n: usize, sigma: f64) -> Vec<Vec<T>> {
    let w = net.params();
    (0..n)
        .map(|e| {
            let s = if e % 2 == 0 { sigma } else { -sigma };
            w.iter()
                .enumerate()
                .map(|(q, &v)| {
                    let z = ((q * 7919 + (e / 2) * 104_729) as f64 * 0.618_034).sin();
                    v + T::from_f64(s * z)
                })
                .collect()
        })
        .collect()
}

/// `points_losses` against `loss_at` of each point, bit for bit, for sizes
/// that exercise every group size and block remainder.
fn points_check<T: Scalar>(dims: (usize, usize, usize), n: usize, washout: usize) {
    let (i, h, o) = dims;
    let net = Rnn::<T>::new(i, h, o, &RnnInit::with_seed(h as u64 + 1)).unwrap();
    let len = 70;
    let (xs, _) = data::<T>(len, i);
    let (_, ys) = data::<T>(len, o);
    let x = MatRef::from_row_major_slice(&xs, len, i);
    let y = MatRef::from_row_major_slice(&ys, len, o);
    let points = points_around(&net, n, 0.05);
    let refs: Vec<&[T]> = points.iter().map(Vec::as_slice).collect();
    let mut single = RnnWorkspace::new(&net);
    let expected: Vec<T> = refs
        .iter()
        .map(|p| net.loss_at(p, x, y, washout, &mut single).unwrap())
        .collect();
    let mut ws = RnnPopulationWorkspace::new(&net);
    let mut losses = vec![T::ZERO; n];
    for _ in 0..2 {
        net.points_losses(&refs, x, y, washout, &mut ws, &mut losses)
            .unwrap();
        for (e, (a, b)) in losses.iter().zip(&expected).enumerate() {
            assert_eq!(
                a.to_f64().to_bits(),
                b.to_f64().to_bits(),
                "{dims:?} {n} points, point {e}: {} vs {}",
                a.to_f64(),
                b.to_f64()
            );
        }
    }
}

#[test]
fn points_in_lockstep_are_bit_identical_to_one_at_a_time() {
    for dims in [
        (1, 16, 1),
        (1, 13, 1),
        (3, 8, 3),
        (2, 24, 1),
        (1, 40, 2),
        (1, 5, 1),
        (1, 64, 1),
        (2, 67, 3),
    ] {
        for n in [1, 2, 3, 4, 5, 8, 9, 13, 17] {
            points_check::<f32>(dims, n, 4);
            points_check::<f64>(dims, n, 4);
        }
    }
}

#[test]
fn any_population_goes_through_the_same_sweep() {
    use dopamine_core::{Population, Snes, SnesConfig};
    let net = Rnn::<f32>::new(2, 12, 1, &RnnInit::with_seed(4)).unwrap();
    let len = 60;
    let (xs, _) = data::<f32>(len, 2);
    let (_, ys) = data::<f32>(len, 1);
    let x = MatRef::from_row_major_slice(&xs, len, 2);
    let y = MatRef::from_row_major_slice(&ys, len, 1);
    let dim = net.num_params();
    let mut snes = Snes::new(SnesConfig::new(dim, 0.05f32), dim, vec![0.05f32; dim]).unwrap();
    let mut ws = RnnPopulationWorkspace::new(&net);
    let mut single = RnnWorkspace::new(&net);
    let plan = snes.plan(net.params()).unwrap();
    let n = plan.len();
    // One by one: the built points.
    let mut base = net.params().to_vec();
    let mut point = vec![0.0f32; dim];
    let expected: Vec<f32> = (0..n)
        .map(|e| {
            plan.build_point(e, &mut base, &mut point).unwrap();
            net.loss_at(&point, x, y, 3, &mut single).unwrap()
        })
        .collect();
    // Through the population sweep, generic and as a trait object.
    let mut losses = vec![0.0f32; n];
    net.population_losses(net.params(), &plan, x, y, 3, &mut ws, &mut losses)
        .unwrap();
    assert_eq!(
        losses.iter().map(|l| l.to_bits()).collect::<Vec<_>>(),
        expected.iter().map(|l| l.to_bits()).collect::<Vec<_>>()
    );
    let dynamic: &dyn Population<f32> = &plan;
    let mut again = vec![0.0f32; n];
    net.population_losses(net.params(), dynamic, x, y, 3, &mut ws, &mut again)
        .unwrap();
    assert_eq!(losses, again);
    assert!(losses.iter().any(|&l| l != losses[0]));
    // A full-rank perturbation plan (OpenES-style antithetic points) through
    // `plan_losses` is the same path.
    let full = plan_for(&net, 6, RpeMode::Antithetic);
    let expected = one_at_a_time(&net, &full, x, y, 3);
    let mut losses = vec![0.0f32; full.len()];
    net.plan_losses(net.params(), &full, x, y, 3, &mut ws, &mut losses)
        .unwrap();
    assert_eq!(losses, expected);
}

fn plan_for(net: &Rnn<f32>, probes: usize, rpe: RpeMode) -> StepPlan<f32> {
    plan(net, probes, rpe, None, 0.05)
}

#[test]
fn population_entry_points_reject_bad_buffers() {
    let net = Rnn::<f64>::new(1, 8, 1, &RnnInit::default()).unwrap();
    let (xs, ys) = data::<f64>(30, 1);
    let x = MatRef::from_row_major_slice(&xs, 30, 1);
    let y = MatRef::from_row_major_slice(&ys, 30, 1);
    let mut ws = RnnPopulationWorkspace::new(&net);
    let good = net.params().to_vec();
    let short = vec![0.0; good.len() - 1];
    let mut losses = vec![0.0; 2];
    assert!(matches!(
        net.points_losses(&[&good, &short], x, y, 2, &mut ws, &mut losses),
        Err(NetError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        net.points_losses(&[&good], x, y, 2, &mut ws, &mut losses),
        Err(NetError::ShapeMismatch { .. })
    ));
    let other = Rnn::<f64>::new(1, 9, 1, &RnnInit::default()).unwrap();
    let mut foreign = RnnPopulationWorkspace::new(&other);
    assert!(matches!(
        net.points_losses(&[&good, &good], x, y, 2, &mut foreign, &mut losses),
        Err(NetError::WorkspaceMismatch { .. })
    ));
    assert!(matches!(
        net.points_losses(&[&good, &good], x, y, 30, &mut ws, &mut losses),
        Err(NetError::WashoutTooLong { .. })
    ));
    let plan = plan(&net, 2, RpeMode::Antithetic, None, 0.01);
    let mut four = vec![0.0; plan.len()];
    assert!(matches!(
        net.population_losses(&short, &plan, x, y, 2, &mut ws, &mut four),
        Err(NetError::ShapeMismatch { .. })
    ));
    net.points_losses(&[&good, &good], x, y, 2, &mut ws, &mut losses)
        .unwrap();
    assert_eq!(losses[0].to_bits(), losses[1].to_bits());
}
