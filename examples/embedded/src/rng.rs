//! A seeded SplitMix64 generator with uniform and Gaussian draws, for weight initialisation.
//!
//! The optimizer's noise comes from `dopamine-core`'s own streams; this
//! generator only draws the initial weights, so a firmware run is a pure
//! function of its seeds.

/// SplitMix64 (Steele, Lea and Flood 2014): a 64-bit state advanced by a
/// fixed odd increment and finalised by a mixing function.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator whose first output depends on every bit of `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `(0, 1]`: 24 random bits, never zero (safe under `ln`).
    pub fn uniform_open0(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 + 1.0) * (1.0 / (1u32 << 24) as f32)
    }

    /// A standard normal draw (Box-Muller; the second value of each pair is
    /// discarded, which keeps the generator stateless beyond `state`).
    pub fn gaussian(&mut self) -> f32 {
        let u1 = self.uniform_open0();
        let u2 = self.uniform_open0();
        libm::sqrtf(-2.0 * libm::logf(u1)) * libm::cosf(core::f32::consts::TAU * u2)
    }

    /// Fills `out` with `N(0, std^2)` draws.
    pub fn fill_gaussian(&mut self, out: &mut [f32], std: f32) {
        for w in out {
            *w = std * self.gaussian();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_outputs() {
        // Reference: the first outputs of SplitMix64 seeded with 1234567
        // (Vigna's splitmix64.c, as listed by the xoshiro authors' test vectors).
        let mut g = SplitMix64::new(1_234_567);
        assert_eq!(g.next_u64(), 6_457_827_717_110_365_317);
        assert_eq!(g.next_u64(), 3_203_168_211_198_807_973);
        assert_eq!(g.next_u64(), 9_817_491_932_198_370_423);
    }

    #[test]
    fn gaussian_draws_have_unit_variance() {
        let mut g = SplitMix64::new(7);
        let n = 20_000;
        let (mut sum, mut sq) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let x = f64::from(g.gaussian());
            sum += x;
            sq += x * x;
        }
        let mean = sum / n as f64;
        let var = sq / n as f64 - mean * mean;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
    }
}
