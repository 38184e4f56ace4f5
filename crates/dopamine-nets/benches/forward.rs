//! Criterion benchmarks of the Elman RNN's streamed loss and BPTT gradient
//! for H in {16, 64, 256, 1024} at T = 1000 (1-D input and output, f32),
//! beside plain faer products of the same sizes.
//!
//! Throughput is set to the FLOPs of each iteration by the crate's own
//! accounting (`Rnn::forward_flops`, `Rnn::backward_flops`; `2 m k n` for a
//! product), so criterion's "elem/s" reads as FLOP/s. Baselines:
//! * `matvec_x_T`: an `H x H` by `H x 1` product repeated T times — the
//!   recurrence's dominant work, sequential like it;
//! * `matmul_HxT`: one `H x H` by `H x T` product — the same FLOPs with no
//!   sequential dependence (the machine's gemm speed).

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_main};
use dopamine_nets::{Bptt, Rnn, RnnGradWorkspace, RnnInit, RnnWorkspace};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par};

const LEN: usize = 1000;
const HIDDEN: [usize; 4] = [16, 64, 256, 1024];

fn bench_rnn(c: &mut Criterion) {
    let x: Vec<f32> = (0..=LEN).map(|i| (0.1 * i as f32).sin()).collect();
    let inputs = MatRef::from_row_major_slice(&x[..LEN], LEN, 1);
    let targets = MatRef::from_row_major_slice(&x[1..], LEN, 1);
    let washout = 0;

    let mut group = c.benchmark_group("rnn_T1000_f32");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for &h in &HIDDEN {
        let net = Rnn::<f32>::new(1, h, 1, &RnnInit::with_seed(1)).expect("valid shape");
        let fwd = net.forward_flops(LEN, washout);
        let bwd = net.backward_flops(LEN, washout, Bptt::Full);
        println!(
            "H={h}: params {}, forward {fwd} FLOP, backward {bwd} FLOP, BPTT bytes {}",
            net.num_params(),
            net.cost(LEN, washout, Bptt::Full).backward_bytes
        );

        let mut ws = RnnWorkspace::new(&net);
        group.throughput(Throughput::Elements(fwd));
        group.bench_function(BenchmarkId::new("loss_streamed", h), |b| {
            b.iter(|| net.loss(inputs, targets, washout, &mut ws).expect("valid"))
        });

        let mut gws = RnnGradWorkspace::new(&net, LEN, Bptt::Full);
        let mut grad = vec![0.0f32; net.num_params()];
        group.throughput(Throughput::Elements(fwd + bwd));
        group.bench_function(BenchmarkId::new("loss_and_gradient_bptt", h), |b| {
            b.iter(|| {
                net.loss_and_gradient(inputs, targets, washout, Bptt::Full, &mut gws, &mut grad)
                    .expect("valid")
            })
        });

        let w = Mat::<f32>::from_fn(h, h, |i, j| ((i * 7 + j * 3) % 11) as f32 / 11.0 - 0.5);
        let v = Mat::<f32>::from_fn(h, 1, |i, _| (i % 5) as f32 / 5.0);
        let mut out = Mat::<f32>::zeros(h, 1);
        group.throughput(Throughput::Elements((2 * h * h * LEN) as u64));
        group.bench_function(BenchmarkId::new("matvec_x_T", h), |b| {
            b.iter(|| {
                for _ in 0..LEN {
                    matmul(
                        out.as_mut(),
                        Accum::Replace,
                        w.as_ref(),
                        v.as_ref(),
                        1.0,
                        Par::Seq,
                    );
                    black_box(&mut out);
                }
            })
        });

        let rhs = Mat::<f32>::from_fn(h, LEN, |i, j| ((i + j) % 7) as f32 / 7.0);
        let mut prod = Mat::<f32>::zeros(h, LEN);
        group.bench_function(BenchmarkId::new("matmul_HxT", h), |b| {
            b.iter(|| {
                matmul(
                    prod.as_mut(),
                    Accum::Replace,
                    w.as_ref(),
                    rhs.as_ref(),
                    1.0,
                    Par::Seq,
                );
                black_box(&mut prod);
            })
        });
    }
    group.finish();
}

// `criterion_group!` generates an undocumented public function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench_rnn);
}

criterion_main!(group::benches);
