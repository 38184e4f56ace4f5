//! Fitness shaping for population methods: OpenES's centred ranks and SNES's log-rank utilities.
//!
//! Both transforms replace a population's losses by weights that depend
//! only on their order, which makes the update invariant under any strictly
//! increasing transform of the loss and immune to outliers (a loss of `1e30`
//! weighs what the worst rank weighs). Both work on a stack of at most a few
//! hundred losses in `O(n^2)` comparisons, without sorting or allocation.
//!
//! **Ties.** Tied losses share the mean of the weights of the ranks they
//! occupy (mid-ranks). Without ties this is exactly the references'
//! transform; with ties the references break them by the order of a sort
//! (`numpy.argsort` in the OpenES starter code, index order in PyBrain's
//! SNES), which turns a plateau of equal losses into a random step. With
//! mid-ranks a population of equal losses gets all-zero weights and the
//! update is zero.

use crate::real::Real;

/// Counts, for `losses[i]`, the losses strictly lower and the losses equal
/// to it (itself included).
fn lower_and_equal<T: Real>(losses: &[T], i: usize) -> (usize, usize) {
    let x = losses[i];
    let mut lower = 0;
    let mut equal = 0;
    for y in losses {
        if *y < x {
            lower += 1;
        } else if *y == x {
            equal += 1;
        }
    }
    (lower, equal)
}

/// OpenES's centred ranks (Salimans et al. 2017; `compute_centered_ranks`
/// in `openai/evolution-strategies-starter`), for losses to be minimised.
///
/// With `n = losses.len()` and `r_i` the 0-based rank of point `i` in
/// *increasing fitness* (fitness = `-loss`: the highest loss has rank 0,
/// the lowest rank `n - 1`), `out[i] = r_i / (n - 1) - 0.5`, in `[-0.5, 0.5]`;
/// the lowest loss gets `+0.5`. Tied losses get their mid-rank. With fewer
/// than two losses every weight is zero.
///
/// The losses must be finite; `out` must have the length of `losses`.
///
/// ```
/// let mut u = [0.0f64; 4];
/// dopamine_core::shaping::centered_ranks(&[3.0, 1.0, 4.0, 2.0], &mut u);
/// // Ranks in increasing fitness: 1, 3, 0, 2 (of n - 1 = 3).
/// for (a, b) in u.iter().zip([1.0 / 3.0 - 0.5, 0.5, -0.5, 2.0 / 3.0 - 0.5]) {
///     assert!((a - b).abs() < 1e-15);
/// }
/// ```
///
/// # Panics
/// If `out.len() != losses.len()`.
pub fn centered_ranks<T: Real>(losses: &[T], out: &mut [T]) {
    assert_eq!(out.len(), losses.len(), "centered_ranks: lengths differ");
    let n = losses.len();
    if n < 2 {
        out.fill(T::ZERO);
        return;
    }
    let half = T::from_f64(0.5);
    let denom = T::from_usize(2 * (n - 1));
    for (i, o) in out.iter_mut().enumerate() {
        let (lower, equal) = lower_and_equal(losses, i);
        // Higher losses rank below point i: rank = #higher + (#equal - 1) / 2,
        // doubled so that it stays an integer.
        let higher = n - lower - equal;
        let twice_rank = 2 * higher + (equal - 1);
        *o = T::from_usize(twice_rank) / denom - half;
    }
}

/// The unnormalised log-rank weight of 1-based rank `rank` (1 = best) in a
/// population of `n`: `max(0, ln(n/2 + 1) - ln(rank))`.
fn log_weight(rank: usize, n: usize) -> f64 {
    let w = libm::log(n as f64 / 2.0 + 1.0) - libm::log(rank as f64);
    if w > 0.0 { w } else { 0.0 }
}

/// SNES's (and xNES's) rank-based utilities (Schaul, Glasmachers and
/// Schmidhuber 2011; Wierstra et al. 2014, eq. (7)), for losses to be
/// minimised.
///
/// With `lambda = losses.len()` and `rank_k` the 1-based rank of point `k`
/// (1 = lowest loss),
///
/// `u_k = max(0, ln(lambda/2 + 1) - ln(rank_k)) / sum_j max(0, ln(lambda/2 + 1) - ln(j)) - 1/lambda`.
///
/// The utilities sum to zero; the best point gets the largest. Tied losses
/// get the mean utility of the ranks they occupy. The weights are computed
/// in `f64` and rounded once to `T`.
///
/// ```
/// let mut u = [0.0f64; 4];
/// dopamine_core::shaping::snes_utilities(&[0.5, 0.1, 0.9, 0.3], &mut u);
/// // ranks 3, 1, 4, 2: weights ln 3 - ln r for r = 1, 2 (ranks 3, 4 get 0).
/// let s = 3f64.ln() + (3f64.ln() - 2f64.ln());
/// let want = [-0.25, 3f64.ln() / s - 0.25, -0.25, (3f64.ln() - 2f64.ln()) / s - 0.25];
/// for (a, b) in u.iter().zip(want) {
///     assert!((a - b).abs() < 1e-15);
/// }
/// ```
///
/// # Panics
/// If `out.len() != losses.len()` or `losses` is empty.
pub fn snes_utilities<T: Real>(losses: &[T], out: &mut [T]) {
    assert_eq!(out.len(), losses.len(), "snes_utilities: lengths differ");
    let n = losses.len();
    assert!(n > 0, "snes_utilities of an empty population");
    let mut total = 0.0;
    for rank in 1..=n {
        total += log_weight(rank, n);
    }
    let baseline = 1.0 / n as f64;
    for (i, o) in out.iter_mut().enumerate() {
        let (lower, equal) = lower_and_equal(losses, i);
        // The tie group occupies ranks lower + 1 ..= lower + equal.
        let mut sum = 0.0;
        for rank in lower + 1..=lower + equal {
            sum += log_weight(rank, n);
        }
        *o = T::from_f64(sum / equal as f64 / total - baseline);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centred_ranks_without_ties_match_the_starter_code() {
        // compute_centered_ranks([5, -1, 2]) in the starter code ranks the
        // *returns*; for losses the order is reversed.
        let mut u = [0.0f64; 3];
        centered_ranks(&[5.0, -1.0, 2.0], &mut u);
        assert_eq!(u, [-0.5, 0.5, 0.0]);
    }

    #[test]
    fn ties_share_their_mid_rank() {
        let mut u = [0.0f64; 4];
        centered_ranks(&[1.0, 1.0, 1.0, 1.0], &mut u);
        assert_eq!(u, [0.0; 4]);
        centered_ranks(&[2.0, 1.0, 1.0, 0.0], &mut u);
        assert_eq!(u, [-0.5, 0.0, 0.0, 0.5]);
        let mut s = [0.0f64; 4];
        snes_utilities(&[1.0, 1.0, 1.0, 1.0], &mut s);
        for x in s {
            assert!(x.abs() < 1e-15);
        }
    }

    #[test]
    fn snes_utilities_sum_to_zero_and_decrease_with_rank() {
        for n in 1..40usize {
            let losses: [f64; 40] = core::array::from_fn(|i| ((i * 7919) % 97) as f64);
            let mut u = [0.0f64; 40];
            snes_utilities(&losses[..n], &mut u[..n]);
            let sum: f64 = u[..n].iter().sum();
            assert!(sum.abs() < 1e-12, "n = {n}: sum {sum}");
            for i in 0..n {
                for j in 0..n {
                    if losses[i] < losses[j] {
                        assert!(u[i] >= u[j]);
                    }
                }
            }
        }
    }
}
