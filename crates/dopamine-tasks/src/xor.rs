//! XOR and n-bit parity pattern sets.

use crate::error::{Result, TaskError};
use crate::series::Series;

/// Largest supported parity width: 2^20 patterns (about 20 M values) is far
/// beyond anything an optimiser experiment needs and keeps memory bounded.
pub const MAX_PARITY_BITS: usize = 20;

/// A supervised pattern set: row `i` of `inputs` maps to row `i` of `targets`.
///
/// Inputs are encoded as 0.0 / 1.0; targets are 0.0 / 1.0 (one column).
/// Models that prefer ±1 inputs can map `2x - 1` themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternSet {
    /// One row per pattern, one column per input bit, values in {0, 1}.
    pub inputs: Series,
    /// One row per pattern, one column, values in {0, 1}.
    pub targets: Series,
}

/// The four XOR patterns, in the order (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0.
pub fn xor() -> PatternSet {
    parity_patterns(2)
}

/// All `2^bits` patterns of `bits`-bit parity: the target is 1 when an odd
/// number of inputs are 1. Pattern `i` holds the binary digits of `i`, most
/// significant bit first, so `parity(2)` is [`xor`].
///
/// # Errors
/// [`TaskError::InvalidParameter`] unless `1 <= bits <= MAX_PARITY_BITS`.
pub fn parity(bits: usize) -> Result<PatternSet> {
    if !(1..=MAX_PARITY_BITS).contains(&bits) {
        return Err(TaskError::invalid(
            "bits",
            format!("must be in 1..={MAX_PARITY_BITS}, got {bits}"),
        ));
    }
    Ok(parity_patterns(bits))
}

fn parity_patterns(bits: usize) -> PatternSet {
    let count = 1usize << bits;
    let mut inputs = Vec::with_capacity(count * bits);
    let mut targets = Vec::with_capacity(count);
    for i in 0..count {
        for b in (0..bits).rev() {
            inputs.push(((i >> b) & 1) as f64);
        }
        targets.push((i.count_ones() % 2) as f64);
    }
    PatternSet {
        inputs: Series::from_trusted(bits, inputs),
        targets: Series::from_trusted(1, targets),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_table() {
        let set = xor();
        assert_eq!(
            set.inputs.as_slice(),
            &[0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]
        );
        assert_eq!(set.targets.as_slice(), &[0.0, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn parity_matches_xor_of_bits() {
        let set = parity(5).unwrap();
        assert_eq!(set.inputs.len(), 32);
        assert_eq!(set.inputs.dim(), 5);
        for (x, y) in set.inputs.rows().zip(set.targets.as_slice()) {
            let xor_all = x.iter().fold(0u8, |acc, &b| acc ^ (b as u8));
            assert_eq!(f64::from(xor_all), *y);
        }
        assert_eq!(parity(2).unwrap(), xor());
    }

    #[test]
    fn parity_rejects_bad_widths() {
        assert!(matches!(
            parity(0),
            Err(TaskError::InvalidParameter { name: "bits", .. })
        ));
        assert!(parity(MAX_PARITY_BITS + 1).is_err());
    }
}
