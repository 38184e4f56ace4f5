//! [`Float`]: the parameter types a run trains in (`f32` and `f64`), with the serde bounds checkpoints need.

use dopamine_nets::Scalar;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// `f32` or `f64`: a [`Scalar`] of the models that checkpoints can write and read.
///
/// Implemented automatically for every type with both, which is exactly
/// `f32` and `f64`.
pub trait Float: Scalar + Serialize + DeserializeOwned {
    /// The type's name as checkpoints record it: `"f32"` or `"f64"`.
    fn type_name() -> &'static str {
        if Self::MANTISSA_DIGITS == f32::MANTISSA_DIGITS {
            "f32"
        } else {
            "f64"
        }
    }
}

impl<T: Scalar + Serialize + DeserializeOwned> Float for T {}
