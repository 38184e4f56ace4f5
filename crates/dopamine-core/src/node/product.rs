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

use crate::node::layout::PlacedLayer;
use crate::real::Real;

/// Units per register accumulator in the unit-vectorised kernel.
const UNITS: usize = 8;
/// Columns per block of the unit-vectorised kernel.
const COLS: usize = 4;
/// Columns per accumulator in the column-vectorised kernel.
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

impl<T: Real> Rows<'_, T> {
    #[inline(always)]
    fn xi(&self, r: usize, unit: usize) -> T {
        self.data[r * self.stride + unit]
    }

    /// Input `input` of the layer whose inputs start at `pre` (`1` for
    /// `input == inputs`, the bias).
    #[inline(always)]
    fn x(&self, r: usize, pre: usize, input: usize, inputs: usize) -> T {
        if input < inputs {
            self.data[r * self.stride + self.neurons + pre + input]
        } else {
            T::ONE
        }
    }
}

/// `block += sum_{r in rows} coef[r] xi_l(r) x_l(r)^T` for layer `layer`,
/// `block` its parameter block (`units x (inputs + 1)`, column-major).
pub(crate) fn add_products<T: Real>(
    block: &mut [T],
    layer: PlacedLayer,
    rows: Rows<'_, T>,
    coef: &[T],
    range: core::ops::Range<usize>,
) {
    let units = layer.layer.units;
    let whole = units / UNITS * UNITS;
    let mut u0 = 0;
    while u0 < whole {
        unit_block(block, layer, rows, coef, range.clone(), u0);
        u0 += UNITS;
    }
    for unit in whole..units {
        one_unit(block, layer, rows, coef, range.clone(), unit);
    }
}

/// Units `u0 .. u0 + UNITS`, every column, vectorised across the units.
#[inline(always)]
fn unit_block<T: Real>(
    block: &mut [T],
    layer: PlacedLayer,
    rows: Rows<'_, T>,
    coef: &[T],
    range: core::ops::Range<usize>,
    u0: usize,
) {
    let (units, inputs) = (layer.layer.units, layer.layer.inputs);
    let cols = inputs + 1;
    let first_unit = layer.neuron + u0;
    let mut j0 = 0;
    while j0 < cols {
        let width = COLS.min(cols - j0);
        let mut acc = [[T::ZERO; UNITS]; COLS];
        for r in range.clone() {
            let c = coef[r];
            let mut a = [T::ZERO; UNITS];
            for (k, a) in a.iter_mut().enumerate() {
                *a = rows.xi(r, first_unit + k) * c;
            }
            let mut b = [T::ZERO; COLS];
            for (q, b) in b.iter_mut().enumerate().take(width) {
                *b = rows.x(r, layer.pre, j0 + q, inputs);
            }
            for (acc, &b) in acc.iter_mut().zip(&b) {
                for (s, &a) in acc.iter_mut().zip(&a) {
                    *s += a * b;
                }
            }
        }
        for (q, acc) in acc.iter().enumerate().take(width) {
            let col = &mut block[(j0 + q) * units + u0..(j0 + q) * units + u0 + UNITS];
            for (o, &s) in col.iter_mut().zip(acc) {
                *o += s;
            }
        }
        j0 += COLS;
    }
}

/// One unit, every column, vectorised across the columns.
#[inline(always)]
fn one_unit<T: Real>(
    block: &mut [T],
    layer: PlacedLayer,
    rows: Rows<'_, T>,
    coef: &[T],
    range: core::ops::Range<usize>,
    unit: usize,
) {
    let (units, inputs) = (layer.layer.units, layer.layer.inputs);
    let neuron = layer.neuron + unit;
    let whole = inputs / LANES * LANES;
    let mut j0 = 0;
    while j0 < whole {
        let mut acc = [T::ZERO; LANES];
        for r in range.clone() {
            let a = rows.xi(r, neuron) * coef[r];
            let start = r * rows.stride + rows.neurons + layer.pre + j0;
            let x = &rows.data[start..start + LANES];
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
            let a = rows.xi(r, neuron) * coef[r];
            s += a * rows.x(r, layer.pre, j, inputs);
        }
        block[j * units + unit] += s;
    }
}

/// FLOPs of [`add_products`] over `rows` rows for a layer: a multiply-add
/// per parameter and row (2) and the scaling of the noise by the row's
/// coefficient, once per unit, row and column block (1 each).
pub(crate) fn product_flops(layer: &PlacedLayer, rows: u64) -> u64 {
    let (m, n) = (layer.layer.units as u64, layer.layer.inputs as u64);
    let whole = m / UNITS as u64 * UNITS as u64;
    let col_blocks = (n + 1).div_ceil(COLS as u64);
    // Unit blocks scale once per column block; single units once per column
    // block of LANES, and once per remaining column.
    let single = m - whole;
    let single_scalings = n / LANES as u64 + (n + 1 - n / LANES as u64 * LANES as u64);
    rows * (2 * m * (n + 1) + whole * col_blocks + single * single_scalings)
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
