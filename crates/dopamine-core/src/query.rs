//! [`Query`] and [`Side`]: which point of a step is evaluated, shared by ask/tell and the batch plan.

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Which side of a probe is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub enum Side {
    /// `w + sigma z`.
    Plus,
    /// `w - sigma z` (antithetic RPE only).
    Minus,
}

/// What `ask` wants evaluated next; the parameters are already in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// The loss at the unperturbed parameters.
    Baseline,
    /// The loss at a perturbed point.
    Probe {
        /// Probe index `0..K`.
        probe: usize,
        /// Which side.
        side: Side,
    },
}
