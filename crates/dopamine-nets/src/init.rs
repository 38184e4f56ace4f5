//! Seeded weight initialisation: a Box-Muller Gaussian on `Xoshiro256PlusPlus`,
//! Xavier / He scales, and the spectral radius used to scale recurrent weights.

use faer::{Mat, MatRef};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::{Activation, NetError, Scalar};

/// How the weights of an MLP layer are drawn (biases always start at zero).
///
/// All schemes draw from a zero-mean Gaussian; only the standard deviation
/// differs. `fan_in` and `fan_out` are the layer's input and output sizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WeightInit {
    /// He for ReLU layers, Xavier for every other activation.
    #[default]
    Auto,
    /// Xavier/Glorot normal: `std = sqrt(2 / (fan_in + fan_out))`.
    Xavier,
    /// He/Kaiming normal: `std = sqrt(2 / fan_in)`.
    He,
}

impl WeightInit {
    /// Standard deviation of the weights of a layer with this activation.
    pub fn std_dev(self, fan_in: usize, fan_out: usize, activation: Activation) -> f64 {
        let scheme = match self {
            Self::Auto if activation == Activation::Relu => Self::He,
            Self::Auto => Self::Xavier,
            other => other,
        };
        match scheme {
            Self::He => (2.0 / fan_in as f64).sqrt(),
            _ => (2.0 / (fan_in + fan_out) as f64).sqrt(),
        }
    }
}

/// Standard normal samples from a seeded `Xoshiro256PlusPlus` (Box-Muller,
/// both values of each pair used). Sampling is done in `f64` and rounded, so
/// an `f32` and an `f64` model built from the same seed agree to `f32`
/// rounding.
pub(crate) struct Gaussian {
    rng: Xoshiro256PlusPlus,
    spare: Option<f64>,
}

impl Gaussian {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            spare: None,
        }
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub(crate) fn sample(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = 1.0 - self.uniform(); // (0, 1]: ln is finite
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = 2.0 * core::f64::consts::PI * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }

    /// Fills `out` with `std * N(0, 1)` samples.
    pub(crate) fn fill<T: Scalar>(&mut self, out: &mut [T], std: f64) {
        for v in out {
            *v = T::from_f64(std * self.sample());
        }
    }
}

/// The spectral radius (largest eigenvalue modulus) of a square matrix.
///
/// Computed exactly (up to rounding) from all eigenvalues with faer's
/// nonsymmetric eigenvalue solver, in `f64`; not by power iteration, which
/// does not converge when the dominant eigenvalues form a complex pair, as
/// they usually do for random matrices. Costs O(n^3) and allocates: meant for
/// initialisation and reports, not for hot loops.
pub fn spectral_radius<T: Scalar>(m: MatRef<'_, T>) -> Result<f64, NetError> {
    if m.nrows() != m.ncols() {
        return Err(NetError::ShapeMismatch {
            what: "columns of a square matrix",
            expected: m.nrows(),
            got: m.ncols(),
        });
    }
    if m.nrows() == 0 {
        return Ok(0.0);
    }
    let m64 = Mat::<f64>::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)].to_f64());
    if m64
        .col_iter()
        .flat_map(|c| c.iter())
        .any(|v| !v.is_finite())
    {
        return Ok(f64::NAN);
    }
    let eig = m64.eigenvalues().map_err(|_| NetError::EigenSolverFailed)?;
    Ok(eig
        .iter()
        .map(|z| (z.re * z.re + z.im * z.im).sqrt())
        .fold(0.0, f64::max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_has_unit_moments() {
        let mut g = Gaussian::new(7);
        let n = 200_000;
        let (mut s, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let z = g.sample();
            s += z;
            s2 += z * z;
        }
        let mean = s / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
    }

    #[test]
    fn gaussian_is_deterministic_per_seed() {
        let (mut a, mut b, mut c) = (Gaussian::new(1), Gaussian::new(1), Gaussian::new(2));
        let xa: Vec<f64> = (0..5).map(|_| a.sample()).collect();
        let xb: Vec<f64> = (0..5).map(|_| b.sample()).collect();
        let xc: Vec<f64> = (0..5).map(|_| c.sample()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
    }

    #[test]
    fn spectral_radius_of_rotation_and_diagonal() {
        // A rotation by 90 degrees scaled by 0.5: eigenvalues +-0.5i.
        let rot = [0.0, 0.5, -0.5, 0.0_f64];
        let r = spectral_radius(MatRef::from_column_major_slice(&rot, 2, 2)).unwrap();
        assert!((r - 0.5).abs() < 1e-12);
        let diag = [3.0, 0.0, 0.0, -4.0_f32];
        let r = spectral_radius(MatRef::from_column_major_slice(&diag, 2, 2)).unwrap();
        assert!((r - 4.0).abs() < 1e-6);
    }
}
