//! Unit tests of the population passes: the dispatched (AVX2 where the CPU
//! has it) and portable copies of the population kernels give the same bits.

use dopamine_core::{Dopamine1, Dopamine1Rule, NoiseStructure, PerturbConfig, RpeMode};
use faer::MatRef;

use super::*;
use crate::vmath::{Kernel, Portable};
use crate::{RnnInit, Scalar};

fn data<T: Scalar>(len: usize, dim: usize, phase: f64) -> Vec<T> {
    (0..len * dim)
        .map(|k| T::from_f64((0.29 * k as f64 + phase).sin()))
        .collect()
}

fn bits<T: Scalar>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn same_bits<T: Scalar>(dims: (usize, usize, usize), points: usize, rank: usize) {
    let (i, h, o) = dims;
    let net = Rnn::<T>::new(i, h, o, &RnnInit::with_seed(h as u64)).unwrap();
    let len = 40;
    let xs = data::<T>(len, i, 0.0);
    let ys = data::<T>(len, o, 1.0);
    let x = MatRef::from_row_major_slice(&xs, len, i);
    let y = MatRef::from_row_major_slice(&ys, len, o);
    // Full-rank points in lockstep (lanes and interleaved groups).
    let pts: Vec<Vec<T>> = (0..points)
        .map(|e| {
            net.params()
                .iter()
                .enumerate()
                .map(|(q, &w)| w + T::from_f64(0.03 * ((q * 31 + e * 17) as f64).sin()))
                .collect()
        })
        .collect();
    let refs: Vec<&[T]> = pts.iter().map(Vec::as_slice).collect();
    let run = |portable: bool| {
        let mut ws = RnnPopulationWorkspace::new(&net);
        net.size_lockstep(points, &mut ws);
        let kernel = LockstepSse {
            dims,
            points: PointSet::Slices(&refs),
            inputs: x,
            targets: y,
            washout: 3,
            hs: &mut ws.hs,
            next: &mut ws.next,
            y: &mut ws.y,
            x: &mut ws.x,
            wt: &mut ws.wt,
            sse: &mut ws.sse,
        };
        if portable {
            kernel.run::<Portable>();
        } else {
            dispatch(kernel);
        }
        bits(&ws.sse)
    };
    assert_eq!(run(true), run(false), "lockstep {dims:?} {points} points");
    // The low-rank sweep.
    let config = PerturbConfig {
        sigma: T::from_f64(0.05),
        probes: points.div_ceil(2),
        rpe: RpeMode::Antithetic,
        structure: NoiseStructure::LowRank { rank },
        seed: 7,
        ..Default::default()
    };
    let layout = net.param_layout(rank);
    let mut opt = Dopamine1::with_layout(config, Dopamine1Rule::default(), layout).unwrap();
    let plan = opt.plan(net.params()).unwrap();
    let kinds = net.population_noise(&layout).unwrap();
    let sweep = |portable: bool| {
        let mut ws = RnnPopulationWorkspace::new(&net);
        net.prepare_low_rank(net.params(), &plan, 0..plan.len(), kinds, &mut ws);
        let kernel = LowRankSweep {
            params: net.view(net.params()),
            kinds,
            rank,
            inputs: x,
            targets: y,
            washout: 3,
            ws: &mut ws,
        };
        if portable {
            kernel.run::<Portable>();
        } else {
            dispatch(kernel);
        }
        bits(&ws.sse)
    };
    assert_eq!(sweep(true), sweep(false), "sweep {dims:?} rank {rank}");
}

#[test]
fn dispatched_and_portable_population_kernels_agree_bit_for_bit() {
    for (dims, points, rank) in [
        ((1, 16, 1), 2, 1),
        ((1, 16, 1), 8, 1),
        ((1, 16, 1), 13, 2),
        ((2, 9, 2), 5, 1),
        ((3, 24, 3), 17, 2),
        ((1, 40, 1), 9, 1),
        ((1, 64, 1), 4, 1),
        ((2, 67, 1), 3, 1),
    ] {
        same_bits::<f32>(dims, points, rank);
        same_bits::<f64>(dims, points, rank);
    }
}
