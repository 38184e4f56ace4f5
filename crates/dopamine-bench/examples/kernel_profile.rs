//! Runs one noise kernel (or its stored-noise axpy reference) in a loop, for `perf stat` or `callgrind`.
//!
//! `cargo run --release -p dopamine-bench --example kernel_profile -- KERNEL KIND TYPE P REPS`
//! with `KERNEL` one of `update`, `perturb`, `axpy`, `fill`; `KIND` `gaussian` or
//! `rademacher`; `TYPE` `f32` or `f64`.

use dopamine_core::perturb::{add_scaled_noise, perturb};
use dopamine_core::{NoiseKey, NoiseKind, NoiseStream, Real};
use std::hint::black_box;

fn run<T: Real>(kernel: &str, kind: NoiseKind, p: usize, reps: usize) {
    let stream = NoiseStream::new(NoiseKey::new(1, 2, 3), kind);
    let mut w: Vec<T> = (0..p)
        .map(|i| T::from_f64((i % 97) as f64 * 1e-2))
        .collect();
    let mut z = vec![T::ZERO; p];
    stream.fill(0, &mut z);
    let c = T::from_f64(1e-7);
    let started = std::time::Instant::now();
    for _ in 0..reps {
        match kernel {
            "update" => {
                black_box(add_scaled_noise(black_box(&mut w), &stream, c));
            }
            "perturb" => perturb(black_box(&mut w), &stream, c),
            "axpy" => {
                for (w, z) in w.iter_mut().zip(black_box(&z)) {
                    *w += c * *z;
                }
            }
            "fill" => stream.fill(0, black_box(&mut z)),
            other => panic!("unknown kernel {other}"),
        }
    }
    let ns = started.elapsed().as_secs_f64() * 1e9 / (reps * p) as f64;
    println!("{kernel} {kind:?} P={p}: {ns:.3} ns/element (wall)");
    black_box(&w);
}

fn main() {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let kind = if a[1] == "gaussian" {
        NoiseKind::Gaussian
    } else {
        NoiseKind::Rademacher
    };
    let p: usize = a[3].parse().expect("P");
    let reps: usize = a[4].parse().expect("REPS");
    if a[2] == "f32" {
        run::<f32>(&a[0], kind, p, reps);
    } else {
        run::<f64>(&a[0], kind, p, reps);
    }
}
