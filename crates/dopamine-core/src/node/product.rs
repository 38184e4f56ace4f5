//! The eligibility arithmetic of Dopamine-3: the block product `sum_s c(s) xi(s) x(s)^T` per layer, and the per-sample streaming update.
//!
//! The step buffer holds one row per time step, `[xi(s) (N) | x(s) (J)]`
//! (row stride `N + J`). For a layer of `m` units and `n` inputs, the block
//! product adds `sum_s c(s) xi_i(s) x_j(s)` to entry `(i, j)` of the
//! layer's `m x (n + 1)` column-major block (`x_n = 1`: the bias). Each
//! entry's sum is taken over the rows in order, in a register accumulator,
//! and added to the block once; the order of the operations does not
//! depend on the CPU (no fused multiply-add; the compiler vectorises across
//! units or columns, never along a sum), so the result is the same
//! everywhere.

use core::ops::Range;

use crate::node::dispatch::dispatch;
use crate::node::layout::PlacedLayer;
use crate::real::Real;

/// Columns per register tile of the unit-vectorised kernel.
const COLS: usize = 4;
/// Columns per accumulator in the column-vectorised kernel (layers of
/// fewer than 8 units, e.g. a readout).
const LANES: usize = 8;

/// The step buffer of one block: rows `first..last`, each `[xi | x]`.
#[derive(Clone, Copy)]
pub(crate) struct Rows<'a, T> {
    pub(crate) data: &'a [T],
    /// `N + J`.
    pub(crate) stride: usize,
    /// `N`: where `x` starts in a row.
    pub(crate) neurons: usize,
}

impl<'a, T: Real> Rows<'a, T> {
    #[inline(always)]
    fn row(&self, r: usize) -> &'a [T] {
        &self.data[r * self.stride..(r + 1) * self.stride]
    }
}

/// `block += sum_{r in range} coef[r] xi_l(r) x_l(r)^T` for layer `layer`,
/// `block` its parameter block (`units x (inputs + 1)`, column-major);
/// without `coef`, the rows' noise is used as it stands (already scaled).
/// Compiled for AVX2 when the CPU has it ([`dispatch`]).
pub(crate) fn add_products<T: Real>(
    block: &mut [T],
    layer: PlacedLayer,
    rows: Rows<'_, T>,
    coef: Option<&[T]>,
    range: Range<usize>,
) {
    dispatch(
        #[inline(always)]
        || products(block, layer, rows, coef, range),
    );
}

/// The kernel: tiles of 16 units (`f32`) or 8, every column, then the
/// remaining units one at a time.
#[inline(always)]
fn products<T: Real>(
    block: &mut [T],
    layer: PlacedLayer,
    rows: Rows<'_, T>,
    coef: Option<&[T]>,
    range: Range<usize>,
) {
    let units = layer.layer.units;
    let mut u0 = 0;
    if core::mem::size_of::<T>() == 4 {
        while u0 + 16 <= units {
            unit_tile::<T, 16>(block, layer, rows, coef, range.clone(), u0);
            u0 += 16;
        }
    }
    while u0 + 8 <= units {
        unit_tile::<T, 8>(block, layer, rows, coef, range.clone(), u0);
        u0 += 8;
    }
    for unit in u0..units {
        one_unit(block, layer, rows, coef, range.clone(), unit);
    }
}

/// Units `u0 .. u0 + U`, vectorised across the units: tiles of [`COLS`]
/// columns, then the remaining columns and the bias one at a time. With
/// `coef`, each row's noise is scaled by its coefficient once per tile.
#[inline(always)]
fn unit_tile<T: Real, const U: usize>(
    block: &mut [T],
    layer: PlacedLayer,
    rows: Rows<'_, T>,
    coef: Option<&[T]>,
    range: Range<usize>,
    u0: usize,
) {
    let (units, inputs) = (layer.layer.units, layer.layer.inputs);
    let n0 = layer.neuron + u0;
    let p0 = rows.neurons + layer.pre;
    let scaled = |r: usize| -> [T; U] {
        let row = rows.row(r);
        let xi: &[T; U] = row[n0..n0 + U].try_into().expect("U units");
        match coef {
            Some(coef) => {
                let c = coef[r];
                let mut a = [T::ZERO; U];
                for (a, &z) in a.iter_mut().zip(xi) {
                    *a = z * c;
                }
                a
            }
            None => *xi,
        }
    };
    let mut j0 = 0;
    while j0 + COLS <= inputs {
        let mut acc = [[T::ZERO; U]; COLS];
        for r in range.clone() {
            let a = scaled(r);
            let row = rows.row(r);
            let x: &[T; COLS] = row[p0 + j0..p0 + j0 + COLS]
                .try_into()
                .expect("COLS columns");
            for (acc, &b) in acc.iter_mut().zip(x) {
                for (s, &a) in acc.iter_mut().zip(&a) {
                    *s += a * b;
                }
            }
        }
        for (q, acc) in acc.iter().enumerate() {
            let col = &mut block[(j0 + q) * units + u0..(j0 + q) * units + u0 + U];
            for (o, &s) in col.iter_mut().zip(acc) {
                *o += s;
            }
        }
        j0 += COLS;
    }
    for j in j0..=inputs {
        let mut acc = [T::ZERO; U];
        for r in range.clone() {
            let a = scaled(r);
            if j < inputs {
                let b = rows.row(r)[p0 + j];
                for (s, &a) in acc.iter_mut().zip(&a) {
                    *s += a * b;
                }
            } else {
                for (s, &a) in acc.iter_mut().zip(&a) {
                    *s += a * T::ONE;
                }
            }
        }
        let col = &mut block[j * units + u0..j * units + u0 + U];
        for (o, &s) in col.iter_mut().zip(&acc) {
            *o += s;
        }
    }
}

/// One unit, every column, vectorised across the columns.
#[inline(always)]
fn one_unit<T: Real>(
    block: &mut [T],
    layer: PlacedLayer,
    rows: Rows<'_, T>,
    coef: Option<&[T]>,
    range: Range<usize>,
    unit: usize,
) {
    let (units, inputs) = (layer.layer.units, layer.layer.inputs);
    let neuron = layer.neuron + unit;
    let p0 = rows.neurons + layer.pre;
    let whole = inputs / LANES * LANES;
    let mut j0 = 0;
    while j0 < whole {
        let mut acc = [T::ZERO; LANES];
        for r in range.clone() {
            let row = rows.row(r);
            let a = coef.map_or(row[neuron], |c| row[neuron] * c[r]);
            let x: &[T; LANES] = row[p0 + j0..p0 + j0 + LANES]
                .try_into()
                .expect("LANES columns");
            for (s, &x) in acc.iter_mut().zip(x) {
                *s += a * x;
            }
        }
        for (q, &s) in acc.iter().enumerate() {
            block[(j0 + q) * units + unit] += s;
        }
        j0 += LANES;
    }
    // The remaining columns and the bias, one at a time.
    for j in whole..=inputs {
        let mut s = T::ZERO;
        for r in range.clone() {
            let row = rows.row(r);
            let a = coef.map_or(row[neuron], |c| row[neuron] * c[r]);
            let x = if j < inputs { row[p0 + j] } else { T::ONE };
            s += a * x;
        }
        block[j * units + unit] += s;
    }
}

/// FLOPs of [`add_products`] over `rows` rows for a layer: a multiply-add
/// per parameter and row (2), and with coefficients (`scaled`) the scaling
/// of the noise (1 per unit and row, once per column tile, remaining column
/// and bias of the unit tiles; once per [`LANES`] columns and per
/// remaining column and bias of the single units).
pub(crate) fn product_flops(layer: &PlacedLayer, rows: u64, scaled: bool) -> u64 {
    let (m, n) = (layer.layer.units as u64, layer.layer.inputs as u64);
    let tiled = m / 8 * 8;
    let tile_passes = n / COLS as u64 + n % COLS as u64 + 1;
    let single_passes = n / LANES as u64 + n % LANES as u64 + 1;
    let scaling = if scaled {
        tiled * tile_passes + (m - tiled) * single_passes
    } else {
        0
    };
    rows * (2 * m * (n + 1) + scaling)
}

/// Scales every row's noise in place, layer by layer: a recurrent layer's
/// by `discounted[r]`, a feed-forward layer's by `signals[r]`.
pub(crate) fn scale_noise<T: Real>(
    data: &mut [T],
    stride: usize,
    layers: impl Iterator<Item = PlacedLayer> + Clone,
    signals: &[T],
    discounted: &[T],
) {
    dispatch(
        #[inline(always)]
        || {
            for (r, row) in data
                .chunks_exact_mut(stride)
                .take(signals.len())
                .enumerate()
            {
                for l in layers.clone() {
                    let c = if l.layer.recurrent {
                        discounted[r]
                    } else {
                        signals[r]
                    };
                    for z in &mut row[l.neuron..l.neuron + l.layer.units] {
                        *z *= c;
                    }
                }
            }
        },
    );
}

/// The streaming step of one layer. A recurrent layer: `e = lambda e + xi
/// x^T`, then `g += d e`; a feed-forward one: `g += (d xi) x^T` (its
/// eligibility is the current step's, `e` is not used); for the
/// whole-interval signal, `g += xi x^T`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn stream_layer<T: Real>(
    e: &mut [T],
    g: &mut [T],
    layer: PlacedLayer,
    xi: &[T],
    pre: &[T],
    lambda: T,
    d: T,
    whole_interval: bool,
) {
    dispatch(
        #[inline(always)]
        || stream_layer_inline(e, g, layer, xi, pre, lambda, d, whole_interval),
    );
}

/// [`stream_layer`]'s loops.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn stream_layer_inline<T: Real>(
    e: &mut [T],
    g: &mut [T],
    layer: PlacedLayer,
    xi: &[T],
    pre: &[T],
    lambda: T,
    d: T,
    whole_interval: bool,
) {
    let (units, inputs) = (layer.layer.units, layer.layer.inputs);
    let xi = &xi[layer.neuron..layer.neuron + units];
    for j in 0..=inputs {
        let x = if j < inputs {
            pre[layer.pre + j]
        } else {
            T::ONE
        };
        let start = layer.param + j * units;
        let g = &mut g[start..start + units];
        if whole_interval {
            for (g, &z) in g.iter_mut().zip(xi) {
                *g += z * x;
            }
        } else if layer.layer.recurrent {
            let e = &mut e[start..start + units];
            for ((e, g), &z) in e.iter_mut().zip(g.iter_mut()).zip(xi) {
                *e = lambda * *e + z * x;
                *g += d * *e;
            }
        } else {
            for (g, &z) in g.iter_mut().zip(xi) {
                *g += (d * z) * x;
            }
        }
    }
}

/// FLOPs of [`stream_layer`]: 5 per parameter for a recurrent layer, 3
/// for a feed-forward one, 2 for the whole-interval signal.
pub(crate) fn stream_flops(layer: &PlacedLayer, whole_interval: bool) -> u64 {
    let p = layer.layer.params() as u64;
    if whole_interval {
        2 * p
    } else if layer.layer.recurrent {
        5 * p
    } else {
        3 * p
    }
}
