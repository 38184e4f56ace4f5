//! OpenES (Salimans, Ho, Chen, Sidor and Sutskever 2017): antithetic pairs, centred ranks over all `2K` losses, Adam on the search gradient.
//!
//! Run by [`crate::PerturbationOptimizer`] with antithetic RPE and no
//! baseline ([`crate::PerturbConfig::antithetic`]), a step evaluates the
//! `2K` points `theta + sigma z_k`, `theta - sigma z_k` (so low-rank probes,
//! ask/tell and the batch step come for free), and then, with the losses
//! `L_i` of the `n = 2K` points in plan order:
//!
//! ```text
//! u_i  = centred rank of -L_i in [-0.5, 0.5]                 (crate::shaping::centered_ranks)
//! g    = 1/(n sigma) sum_k (u_{k+} - u_{k-}) z_k             the search gradient (ascent on -L)
//! grad = -g + l2 theta                                       what Adam minimises
//! m    = beta1 m + (1 - beta1) grad
//! v    = beta2 v + (1 - beta2) grad^2
//! a    = eta sqrt(1 - beta2^t) / (1 - beta1^t)
//! theta += -a m / (sqrt(v) + eps)
//! ```
//!
//! `t` counts Adam steps since the moments were last cleared, and `eta` is
//! the scheduled learning rate of the step (the starter code's `stepsize`);
//! `sigma` is its `noise_stdev` and `K` the number of pairs.
//!
//! # Normalisation, against the paper and the starter code
//!
//! `g` is the paper's estimator, `1/(n sigma) sum_i F_i eps_i` (Algorithm 2
//! with the `n = 2K` points `eps_i = +-z_k` of the mirrored pairs), with the
//! centred ranks `u_i` as the fitness `F_i`. The starter code
//! (`openai/evolution-strategies-starter`, `es_distributed/es.py`) computes
//! `g_s = 1/n sum_k (u_{k+} - u_{k-}) z_k` — divided by the number of
//! returns, not by `sigma` — and hands `-g_s + l2coeff theta` to the same
//! Adam (`optimizers.py`). So `g = g_s / sigma`, Adam's input is
//! `(-g_s + sigma l2 theta) / sigma`, and since Adam is invariant to a
//! constant factor on its input except through `eps`, a run here equals
//! the starter code's run with `l2coeff = sigma l2` and
//! `epsilon = sigma eps`. To reproduce its configurations (`noise_stdev =
//! 0.02`, `l2coeff = 0.005`) set `l2 = 0.005 / 0.02 = 0.25`; the `eps`
//! difference (`1e-8` against `2e-10`) is far below `sqrt(v)` in practice.
//! Adam's `a` and the placement of `eps` (`m / (sqrt(v) + eps)`, not
//! `m_hat / (sqrt(v_hat) + eps)`) are the starter code's; [`crate::Adam`]
//! uses the second form.

use crate::config::{BaselinePolicy, MAX_PROBES, PerturbConfig, RpeMode};
use crate::error::Error;
use crate::real::Real;
use crate::rule::{RuleSignal, StepNoise, UpdateContext, UpdateRule};
use crate::shaping::centered_ranks;

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// Settings of [`OpenEsRule`]. Defaults are the starter code's Adam:
/// `beta1 = 0.9`, `beta2 = 0.999`, `eps = 1e-8`, and no L2 term (`l2 = 0`;
/// the starter code's configurations use `l2coeff = 0.005`, which is
/// `l2 = l2coeff / sigma` here: see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct OpenEsConfig<T> {
    /// Adam's first-moment factor, in `[0, 1)`.
    pub beta1: T,
    /// Adam's second-moment factor, in `[0, 1)`.
    pub beta2: T,
    /// Adam's denominator floor, `> 0` (added to `sqrt(v)`, as in the starter code).
    pub eps: T,
    /// Coefficient of the L2 term `l2 theta` added to Adam's input, `>= 0`.
    pub l2: T,
}

impl<T: Real> Default for OpenEsConfig<T> {
    fn default() -> Self {
        Self {
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
            l2: T::ZERO,
        }
    }
}

impl<T: Real> OpenEsConfig<T> {
    /// Checks every setting.
    pub fn validate(&self) -> Result<(), Error> {
        for (b, name) in [(self.beta1, "beta1"), (self.beta2, "beta2")] {
            if !b.is_finite() {
                return Err(Error::NonFiniteSetting(name));
            }
            if b < T::ZERO || b >= T::ONE {
                return Err(Error::BetaOutOfRange);
            }
        }
        if !(self.eps.is_finite() && self.eps > T::ZERO) {
            return Err(Error::EpsNotPositive);
        }
        if !self.l2.is_finite() {
            return Err(Error::NonFiniteSetting("l2"));
        }
        if self.l2 < T::ZERO {
            return Err(Error::InvalidSetting("l2 must be >= 0"));
        }
        Ok(())
    }
}

/// The OpenES update as an [`UpdateRule`]; see the [module docs](self).
///
/// Adam's moments `m` and `v` live in storage `S` provided by the caller,
/// `2P` values (`m` first, then `v`), zeroed when the rule is built.
///
/// **Undo** (the safety net: the loss after an update was not finite):
/// the weights get `theta -= step` with the step recomputed, bit for bit,
/// from the moments the update left and its `a`, so they come back to
/// within the rounding of `fl(fl(theta + step) - step)`, as with the other
/// rules. The moments are then cleared and Adam restarts (`t = 0`): they
/// hold the gradient that led to the divergence, and keeping them would
/// push the next step the same way. An update skipped because it would
/// cross the weight limit writes nothing: neither the weights nor the
/// moments, and `t` does not advance.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct OpenEsRule<T, S> {
    config: OpenEsConfig<T>,
    moments: S,
    /// Adam steps since the moments were last cleared.
    t: u64,
    /// Adam's `a` of the last applied update (for its undo).
    last_a: T,
}

/// `(m', v', step)` of one coordinate: Adam with the starter code's order of
/// operations (`step = -a m / (sqrt(v) + eps)`).
#[inline(always)]
fn adam<T: Real>(grad: T, m: T, v: T, c: &OpenEsConfig<T>, a: T) -> (T, T, T) {
    let m1 = c.beta1 * m + (T::ONE - c.beta1) * grad;
    let v1 = c.beta2 * v + (T::ONE - c.beta2) * (grad * grad);
    (m1, v1, adam_step(m1, v1, c.eps, a))
}

#[inline(always)]
fn adam_step<T: Real>(m: T, v: T, eps: T, a: T) -> T {
    -a * m / (v.sqrt() + eps)
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> OpenEsRule<T, S> {
    /// An OpenES rule with Adam's moments stored in `moments` (`2P` values,
    /// `m` then `v`; zeroed here).
    ///
    /// ```
    /// use dopamine_core::{OpenEs, OpenEsConfig, OpenEsRule, PerturbConfig, StepOutcome};
    ///
    /// let loss = |w: &[f64]| w.iter().map(|x| (x - 1.0) * (x - 1.0)).sum::<f64>();
    /// let mut w = vec![0.0; 10];
    /// // sigma = noise_stdev, eta = Adam's stepsize, probes = antithetic pairs.
    /// let config = PerturbConfig { sigma: 0.02, eta: 0.02, probes: 8, seed: 1, ..PerturbConfig::antithetic() };
    /// let rule = OpenEsRule::new(OpenEsConfig::default(), vec![0.0; 2 * w.len()]);
    /// let mut opt = OpenEs::new(config, rule, w.len())?;
    /// for _ in 0..300 {
    ///     if let StepOutcome::Rejected(why) = opt.step(&mut w, loss)? {
    ///         panic!("{why:?}");
    ///     }
    /// }
    /// assert!(loss(&w) < 0.05 * 10.0, "{}", loss(&w));
    /// assert_eq!(opt.counters().forward_passes, 300 * 16);
    /// # Ok::<(), dopamine_core::Error>(())
    /// ```
    pub fn new(config: OpenEsConfig<T>, mut moments: S) -> Self {
        moments.as_mut().fill(T::ZERO);
        Self {
            config,
            moments,
            t: 0,
            last_a: T::ZERO,
        }
    }

    /// The settings.
    pub fn config(&self) -> &OpenEsConfig<T> {
        &self.config
    }

    /// Adam's moments `(m, v)`.
    pub fn moments(&self) -> (&[T], &[T]) {
        let all = self.moments.as_ref();
        all.split_at(all.len() / 2)
    }

    /// Adam steps since the moments were last cleared.
    pub fn adam_steps(&self) -> u64 {
        self.t
    }

    /// Gives the storage back.
    pub fn into_moments(self) -> S {
        self.moments
    }

    /// `a = eta sqrt(1 - beta2^t) / (1 - beta1^t)` for Adam step `t`,
    /// computed in `f64` (as the starter code computes it in Python floats).
    fn step_size(&self, eta: T, t: u64) -> T {
        let t = t as f64;
        let b1 = libm::pow(self.config.beta1.to_f64(), t);
        let b2 = libm::pow(self.config.beta2.to_f64(), t);
        T::from_f64(eta.to_f64() * libm::sqrt(1.0 - b2) / (1.0 - b1))
    }

    /// A bound on `|step|` of Adam step `t` with step size `a`, or infinity.
    ///
    /// By Cauchy-Schwarz over the histories of `m` and `v` (both fed the
    /// same `t` inputs since they were cleared),
    /// `|m| / sqrt(v) <= (1 - beta1) sqrt(S_t / (1 - beta2))` with
    /// `S_t = sum_{j < t} (beta1^2 / beta2)^j`.
    fn step_bound(&self, a: T, t: u64) -> f64 {
        let b1 = self.config.beta1.to_f64();
        let b2 = self.config.beta2.to_f64();
        if b2 == 0.0 {
            return f64::INFINITY;
        }
        let rho = b1 * b1 / b2;
        let s = if rho == 1.0 {
            t as f64
        } else {
            (1.0 - libm::pow(rho, t as f64)) / (1.0 - rho)
        };
        a.abs().to_f64() * (1.0 - b1) * libm::sqrt(s / (1.0 - b2))
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> UpdateRule<T> for OpenEsRule<T, S> {
    fn validate(&self, dim: usize) -> Result<(), Error> {
        self.config.validate()?;
        crate::error::check_len(2 * dim, self.moments.as_ref().len())
    }

    fn validate_config(&self, config: &PerturbConfig<T>) -> Result<(), Error> {
        if config.rpe != RpeMode::Antithetic {
            return Err(Error::IncompatibleConfig(
                "OpenES needs antithetic pairs (RpeMode::Antithetic): its ranks cover both points of every pair",
            ));
        }
        if config.baseline != BaselinePolicy::FromProbes {
            return Err(Error::IncompatibleConfig(
                "OpenES never uses L(w): it needs BaselinePolicy::FromProbes, so that a step costs exactly its 2K evaluations",
            ));
        }
        Ok(())
    }

    fn update(
        &mut self,
        params: &mut [T],
        noise: &StepNoise<'_>,
        ctx: &UpdateContext<'_, T>,
    ) -> RuleSignal<T> {
        let n = ctx.losses.len();
        let k = n / 2;
        let mut ranks = [T::ZERO; 2 * MAX_PROBES];
        centered_ranks(ctx.losses, &mut ranks[..n]);
        // grad = -g: the coefficient of z_k is -(u_{k+} - u_{k-}) / (n sigma).
        let scale = T::ONE / (T::from_usize(n) * ctx.sigma);
        let mut coefs = [T::ZERO; MAX_PROBES];
        let mut coef_sum = 0.0;
        for (p, c) in coefs[..k].iter_mut().enumerate() {
            *c = -(ranks[2 * p] - ranks[2 * p + 1]) * scale;
            coef_sum += c.abs().to_f64();
        }
        let coefs = &coefs[..k];
        let t = self.t + 1;
        let a = self.step_size(ctx.eta, t);
        let mut signal = RuleSignal {
            effective_eta: a,
            coding: None,
            applied: false,
        };
        let limit = ctx.weight_limit;
        if !(a.is_finite() && coef_sum.is_finite() && limit.is_finite() && limit > 0.0) {
            return signal;
        }
        let c = self.config;
        let dim = params.len();
        // One pass when the bounds rule out trouble: Adam's input stays
        // below sqrt(MAX / 8) (so v cannot overflow) and the step below the
        // weight limit; otherwise every coordinate is checked first.
        let grad_bound = coef_sum * noise.max_abs() + c.l2.to_f64() * ctx.param_max_abs.to_f64();
        let max = T::MAX.to_f64();
        let safe = grad_bound * grad_bound <= 0.125 * max
            && ctx.param_max_abs.to_f64() + 2.0 * self.step_bound(a, t) <= limit;
        let (m, v) = self.moments.as_mut().split_at_mut(dim);
        if !safe {
            let within = |x: T| x.is_finite() && x.abs().to_f64() <= limit;
            let mut ok = true;
            noise.combination_chunks(dim, coefs, |start, d| {
                for (j, dj) in d.iter().enumerate() {
                    let i = start + j;
                    let (m1, v1, step) = adam(*dj + c.l2 * params[i], m[i], v[i], &c, a);
                    ok &= m1.is_finite()
                        && v1.is_finite()
                        && v1.to_f64() <= 0.5 * max
                        && within(params[i])
                        && within(params[i] + step);
                }
            });
            if !ok {
                return signal;
            }
        }
        noise.combination_chunks(dim, coefs, |start, d| {
            for (j, dj) in d.iter().enumerate() {
                let i = start + j;
                let (m1, v1, step) = adam(*dj + c.l2 * params[i], m[i], v[i], &c, a);
                m[i] = m1;
                v[i] = v1;
                params[i] += step;
            }
        });
        self.t = t;
        self.last_a = a;
        signal.applied = true;
        signal
    }

    fn undo(&mut self, params: &mut [T], _noise: &StepNoise<'_>) {
        let dim = params.len();
        let (m, v) = self.moments.as_mut().split_at_mut(dim);
        for ((w, m), v) in params.iter_mut().zip(m.iter()).zip(v.iter()) {
            *w -= adam_step(*m, *v, self.config.eps, self.last_a);
        }
        self.moments.as_mut().fill(T::ZERO);
        self.t = 0;
        self.last_a = T::ZERO;
    }
}
