//! A loop of `Rnn::loss` calls for profiling the forward pass (`perf record`,
//! `callgrind`) and for quick A/B timings: prints ns per time step.
//!
//! `cargo run --release -p dopamine-nets --example forward_profile -- TYPE H [CALLS] [reference]`
//! with `TYPE` `f32` or `f64` (defaults: f32, 64, 2000 calls of T = 1000);
//! with `reference`, the loop runs B8's reference instead (faer's `H x H` by
//! `H x 1` product and `tanh_in_place`, fed back, T times per call), so both
//! can be timed in CPU time (`perf stat -e task-clock`) on a loaded machine.

use std::hint::black_box;
use std::time::Instant;

use dopamine_nets::{Rnn, RnnInit, RnnWorkspace, Scalar, tanh_in_place};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

const SEQ_LEN: usize = 1000;

fn run<T: Scalar>(
    hidden: usize,
    calls: usize,
    reference: bool,
) -> Result<f64, dopamine_nets::NetError> {
    let net = Rnn::<T>::new(1, hidden, 1, &RnnInit::with_seed(1))?;
    let x: Vec<T> = (0..=SEQ_LEN)
        .map(|t| T::from_f64((0.1 * t as f64).sin()))
        .collect();
    let inputs = MatRef::from_column_major_slice(&x[..SEQ_LEN], SEQ_LEN, 1);
    let targets = MatRef::from_column_major_slice(&x[1..], SEQ_LEN, 1);
    let mut ws = RnnWorkspace::new(&net);
    let mut v = vec![T::from_f64(0.1); hidden];
    let mut next = vec![T::ZERO; hidden];
    let mut best = f64::INFINITY;
    for _ in 0..calls.div_ceil(100) {
        let t0 = Instant::now();
        for _ in 0..100 {
            if reference {
                for _ in 0..SEQ_LEN {
                    matmul(
                        MatMut::from_column_major_slice_mut(&mut next, hidden, 1),
                        Accum::Replace,
                        net.w_hh(),
                        MatRef::from_column_major_slice(&v, hidden, 1),
                        T::ONE,
                        Par::Seq,
                    );
                    tanh_in_place(&mut next);
                    core::mem::swap(&mut v, &mut next);
                }
                black_box(&v);
            } else {
                black_box(net.loss(black_box(inputs), targets, 0, &mut ws)?);
            }
        }
        best = best.min(t0.elapsed().as_secs_f64() / 100.0);
    }
    Ok(best * 1e9 / SEQ_LEN as f64)
}

fn main() -> Result<(), dopamine_nets::NetError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ty = args.first().map_or("f32", String::as_str);
    let hidden = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(64);
    let calls = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let reference = args.get(3).is_some_and(|s| s == "reference");
    let ns = if ty == "f64" {
        run::<f64>(hidden, calls, reference)?
    } else {
        run::<f32>(hidden, calls, reference)?
    };
    println!(
        "{ty} H={hidden}{}: {ns:.1} ns per time step (best of {} blocks of 100 calls)",
        if reference { " reference" } else { "" },
        calls.div_ceil(100)
    );
    Ok(())
}
