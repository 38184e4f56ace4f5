//! Naive reference implementations (plain loops over the documented
//! parameter layouts) and finite-difference helpers shared by the tests.
#![allow(dead_code)]

use dopamine_nets::{Activation, Mlp, Rnn};

/// Reference MLP forward on row-major data: returns per-layer
/// pre-activations and the final outputs (row-major `batch x n_L`).
pub fn mlp_reference(net: &Mlp<f64>, x: &[f64], batch: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let sizes = net.layer_sizes();
    let mut a: Vec<f64> = x.to_vec();
    let mut pre = Vec::new();
    for l in 0..net.num_layers() {
        let (n_in, n_out) = (sizes[l], sizes[l + 1]);
        let (wr, br) = net.layer_ranges(l);
        let w = &net.params()[wr];
        let b = &net.params()[br];
        let mut z = vec![0.0; batch * n_out];
        for s in 0..batch {
            for i in 0..n_out {
                let mut acc = b[i];
                for j in 0..n_in {
                    acc += w[i + j * n_out] * a[s * n_in + j];
                }
                z[s * n_out + i] = acc;
            }
        }
        let act = net.activations()[l];
        a = z.iter().map(|&v| act.apply(v)).collect();
        pre.push(z);
    }
    (pre, a)
}

/// Reference RNN forward from `h0`: returns the hidden states after every
/// step (`T` vectors) and the outputs (`T` vectors).
pub fn rnn_reference(
    net: &Rnn<f64>,
    params: &[f64],
    h0: &[f64],
    x: &[f64],
    len: usize,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let (ni, nh, no) = (net.input_dim(), net.hidden_dim(), net.output_dim());
    let lay = net.layout();
    let (w_in, w_hh, b, w_out, b_out) = (
        &params[lay.w_in],
        &params[lay.w_hh],
        &params[lay.bias],
        &params[lay.w_out],
        &params[lay.bias_out],
    );
    let mut h = h0.to_vec();
    let (mut hs, mut ys) = (Vec::new(), Vec::new());
    for t in 0..len {
        let mut hn = vec![0.0; nh];
        for i in 0..nh {
            let mut acc = b[i];
            for j in 0..nh {
                acc += w_hh[i + j * nh] * h[j];
            }
            for j in 0..ni {
                acc += w_in[i + j * nh] * x[t * ni + j];
            }
            hn[i] = acc.tanh();
        }
        h = hn;
        let mut y = vec![0.0; no];
        for o in 0..no {
            let mut acc = b_out[o];
            for j in 0..nh {
                acc += w_out[o + j * no] * h[j];
            }
            y[o] = acc;
        }
        hs.push(h.clone());
        ys.push(y);
    }
    (hs, ys)
}

/// Central finite-difference gradient of `f` at `p`.
pub fn finite_difference(p: &[f64], step: f64, mut f: impl FnMut(&[f64]) -> f64) -> Vec<f64> {
    let mut q = p.to_vec();
    (0..p.len())
        .map(|i| {
            q[i] = p[i] + step;
            let plus = f(&q);
            q[i] = p[i] - step;
            let minus = f(&q);
            q[i] = p[i];
            (plus - minus) / (2.0 * step)
        })
        .collect()
}

/// Relative error of two vectors, `|a - b| / max(1e-8, |a| + |b|)` in the
/// Euclidean norm, and the worst per-element excess over
/// `1e-6 (|a_i| + |b_i|) + 1e-9` (positive means a failing element).
pub fn compare(a: &[f64], b: &[f64]) -> (f64, f64) {
    let norm = |v: &mut dyn Iterator<Item = f64>| v.map(|x| x * x).sum::<f64>().sqrt();
    let diff = norm(&mut a.iter().zip(b).map(|(x, y)| x - y));
    let rel = diff / (norm(&mut a.iter().copied()) + norm(&mut b.iter().copied())).max(1e-8);
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs() - (1e-6 * (x.abs() + y.abs()) + 1e-9))
        .fold(f64::NEG_INFINITY, f64::max);
    (rel, worst)
}

/// Smooth activations for finite-difference tests (ReLU tested separately).
pub const SMOOTH: [Activation; 3] = [Activation::Tanh, Activation::Sigmoid, Activation::Identity];
