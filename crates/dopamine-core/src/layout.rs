//! The parameter layout: the flat parameter vector seen as a list of matrix and vector blocks.
//!
//! The kernel works on one flat `&mut [T]`. Structured (low-rank) noise needs
//! to know which stretches of it are weight matrices: a [`ParamLayout`] lists
//! the blocks in order, each a column-major `rows x cols` matrix or a vector,
//! and the blocks cover the whole vector exactly. The layout lives in a fixed
//! array of [`MAX_BLOCKS`] entries, so it needs no heap.

use crate::error::Error;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The most blocks a layout can hold (a 2-layer RNN has 5, an MLP with `L`
/// layers has `2 L`).
pub const MAX_BLOCKS: usize = 16;

/// One stretch of the flat parameter vector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Block {
    /// A `rows x cols` matrix stored column-major: entry `(i, j)` at offset
    /// `i + j * rows` from the block's start.
    Matrix {
        /// Rows `m`.
        rows: usize,
        /// Columns `n`.
        cols: usize,
    },
    /// `len` values perturbed element by element (biases, or anything that is
    /// not a matrix).
    Vector {
        /// Number of values.
        len: usize,
    },
}

impl Block {
    /// Number of parameters in the block.
    pub const fn len(&self) -> usize {
        match *self {
            Block::Matrix { rows, cols } => rows * cols,
            Block::Vector { len } => len,
        }
    }

    /// `true` when the block holds no parameter (never valid in a layout).
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The blocks of a parameter vector, in order; they cover it exactly.
///
/// ```
/// use dopamine_core::{Block, ParamLayout};
///
/// // An Elman RNN with I = 1, H = 4, O = 1: [W_in, W_hh, b, W_out, b_out].
/// let layout = ParamLayout::new(&[
///     Block::Matrix { rows: 4, cols: 1 },
///     Block::Matrix { rows: 4, cols: 4 },
///     Block::Vector { len: 4 },
///     Block::Matrix { rows: 1, cols: 4 },
///     Block::Vector { len: 1 },
/// ])?;
/// assert_eq!(layout.num_params(), 4 + 16 + 4 + 4 + 1);
/// assert_eq!(layout.offset(2), 20);
/// # Ok::<(), dopamine_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct ParamLayout {
    blocks: [Block; MAX_BLOCKS],
    len: usize,
}

impl ParamLayout {
    /// A layout of these blocks, in order. Errors: no block, more than
    /// [`MAX_BLOCKS`], or a block with no parameter.
    pub fn new(blocks: &[Block]) -> Result<Self, Error> {
        if blocks.is_empty() {
            return Err(Error::EmptyParameters);
        }
        if blocks.len() > MAX_BLOCKS {
            return Err(Error::TooManyBlocks {
                requested: blocks.len(),
                max: MAX_BLOCKS,
            });
        }
        if let Some(index) = blocks.iter().position(Block::is_empty) {
            return Err(Error::EmptyBlock { index });
        }
        let mut all = [Block::Vector { len: 0 }; MAX_BLOCKS];
        all[..blocks.len()].copy_from_slice(blocks);
        Ok(Self {
            blocks: all,
            len: blocks.len(),
        })
    }

    /// The layout of an unstructured vector of `dim` parameters: one vector
    /// block. Every optimizer has one by default.
    pub fn flat(dim: usize) -> Result<Self, Error> {
        Self::new(&[Block::Vector { len: dim }])
    }

    /// The blocks, in order.
    pub fn blocks(&self) -> &[Block] {
        &self.blocks[..self.len]
    }

    /// Total number of parameters.
    pub fn num_params(&self) -> usize {
        self.blocks().iter().map(Block::len).sum()
    }

    /// Offset of block `index` in the flat vector.
    ///
    /// # Panics
    /// If `index` is not a block of the layout.
    pub fn offset(&self, index: usize) -> usize {
        assert!(index < self.len, "block {index} of {}", self.len);
        self.blocks[..index].iter().map(Block::len).sum()
    }

    /// Checks the layout against a parameter vector of `dim` values and, for
    /// low-rank noise of rank `rank`, every matrix block: `1 <= rank <=
    /// min(rows, cols)` and `rank <= MAX_RANK`.
    pub fn validate(&self, dim: usize, rank: Option<usize>) -> Result<(), Error> {
        let total = self.num_params();
        if total != dim {
            return Err(Error::LayoutMismatch {
                layout: total,
                params: dim,
            });
        }
        if let Some(rank) = rank {
            if rank == 0 {
                return Err(Error::RankZero);
            }
            if rank > crate::MAX_RANK {
                return Err(Error::RankTooLarge {
                    block: None,
                    rank,
                    max: crate::MAX_RANK,
                });
            }
            for (index, block) in self.blocks().iter().enumerate() {
                if let Block::Matrix { rows, cols } = *block {
                    let max = rows.min(cols);
                    if rank > max {
                        return Err(Error::RankTooLarge {
                            block: Some(index),
                            rank,
                            max,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_totals() {
        let l = ParamLayout::new(&[
            Block::Matrix { rows: 3, cols: 2 },
            Block::Vector { len: 3 },
            Block::Matrix { rows: 1, cols: 3 },
        ])
        .unwrap();
        assert_eq!(l.num_params(), 12);
        assert_eq!([l.offset(0), l.offset(1), l.offset(2)], [0, 6, 9]);
        assert_eq!(l.validate(12, Some(1)), Ok(()));
        assert_eq!(
            l.validate(12, Some(2)),
            Err(Error::RankTooLarge {
                block: Some(2),
                rank: 2,
                max: 1
            })
        );
    }
}
