//! Loss functions of the MLP: mean squared error and binary cross-entropy.

/// The loss an MLP is evaluated with. Both are means over every element of
/// the output (batch rows times output columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Loss {
    /// `mean((y - t)^2)` (no factor 1/2).
    #[default]
    Mse,
    /// `mean(-t ln y - (1 - t) ln(1 - y))` with `y = sigmoid(z)`, computed
    /// from the logit `z` as `max(z, 0) - t z + ln(1 + e^-|z|)`, so it stays
    /// finite when the sigmoid saturates. Needs a sigmoid output layer and
    /// targets in `[0, 1]`.
    BinaryCrossEntropy,
}

impl Loss {
    /// FLOPs per output element of evaluating the loss (see [`crate::cost`]).
    pub fn flops_per_element(self) -> u64 {
        match self {
            Self::Mse => 3,
            Self::BinaryCrossEntropy => 8,
        }
    }
}
