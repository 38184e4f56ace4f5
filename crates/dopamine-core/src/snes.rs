//! SNES, separable natural evolution strategies (Schaul, Glasmachers and Schmidhuber 2011): a Gaussian search distribution with one `sigma` per parameter.
//!
//! Step `t` samples `lambda` points around the mean `mu` (the caller's
//! parameters), with `s_k` the Gaussian noise stream of key `(seed, t, k)`:
//!
//! ```text
//! x_k        = mu + sigma ∘ s_k                       k = 0 .. lambda
//! u_k        = max(0, ln(lambda/2 + 1) - ln(rank_k)) / sum_j max(0, ln(lambda/2 + 1) - ln(j)) - 1/lambda
//! grad_mu    = sum_k u_k s_k
//! grad_sigma = sum_k u_k (s_k^2 - 1)
//! mu        += eta_mu sigma ∘ grad_mu
//! sigma     *= exp(eta_sigma / 2 grad_sigma)
//! ```
//!
//! (`rank_k = 1` for the lowest loss; [`crate::shaping::snes_utilities`]),
//! with the paper's defaults `eta_mu = 1`, `eta_sigma = (3 + ln d) / (5 sqrt d)`
//! and `lambda = 4 + floor(3 ln d)` for `d` parameters ([`SnesConfig::new`]).
//! `mu` is updated with the old `sigma`, as in the paper's Algorithm 1 and
//! PyBrain's reference implementation.
//!
//! [`Snes`] runs the same batch shape as [`crate::PerturbationOptimizer`]
//! ([`Snes::plan`], [`SnesPlan::build_point`], [`Snes::tell_all`], and the
//! [`crate::PopulationOptimizer`] trait). `sigma` lives in storage provided
//! by the caller (one value per parameter). There is no ask/tell: a point
//! evaluated in place would have to be restored to `mu`, which floating
//! point does only to within an ulp, and SNES's points are defined around a
//! `mu` that does not drift; [`Snes::step`] is the convenience loop over one
//! step with a caller's scratch buffer.

use crate::error::{Error, check_len};
use crate::noise::NoiseKind;
use crate::population::{Plan, Population, PopulationOptimizer};
use crate::real::Real;
use crate::report::{Counters, Rejection, StepOutcome, StepReport};
use crate::shaping::snes_utilities;
use crate::step_noise::{StepNoise, weight_limit};

#[cfg(feature = "serde")]
use serde::{Deserialize, Serialize};

/// The largest SNES population: the utilities of a step live in a stack
/// array of this length.
pub const MAX_POPULATION: usize = 256;

/// Settings of [`Snes`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct SnesConfig<T> {
    /// Initial `sigma` of every parameter, finite and `> 0`.
    pub sigma0: T,
    /// Learning rate of the mean, finite and `> 0` (paper: 1).
    pub eta_mu: T,
    /// Learning rate of `sigma`, finite and `>= 0` (0 keeps `sigma` fixed;
    /// paper: `(3 + ln d) / (5 sqrt d)`).
    pub eta_sigma: T,
    /// Points per step `lambda`, `2..=MAX_POPULATION` (paper: `4 + floor(3 ln d)`).
    pub population: usize,
    /// Seed of every noise stream of the run.
    pub seed: u64,
}

impl<T: Real> SnesConfig<T> {
    /// The paper's defaults for `dim` parameters (`eta_mu = 1`,
    /// `eta_sigma = (3 + ln d) / (5 sqrt d)`, `lambda = 4 + floor(3 ln d)`),
    /// initial `sigma0`, seed 0.
    pub fn new(dim: usize, sigma0: T) -> Self {
        Self {
            sigma0,
            eta_mu: T::ONE,
            eta_sigma: Self::default_eta_sigma(dim),
            population: Self::default_population(dim),
            seed: 0,
        }
    }

    /// `4 + floor(3 ln d)` (at least 4; at most [`MAX_POPULATION`]).
    pub fn default_population(dim: usize) -> usize {
        let d = dim.max(1) as f64;
        (4 + libm::floor(3.0 * libm::log(d)) as usize).min(MAX_POPULATION)
    }

    /// `(3 + ln d) / (5 sqrt d)`.
    pub fn default_eta_sigma(dim: usize) -> T {
        let d = dim.max(1) as f64;
        T::from_f64((3.0 + libm::log(d)) / (5.0 * libm::sqrt(d)))
    }

    /// Checks every setting.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.sigma0.is_finite() && self.sigma0 > T::ZERO) {
            return Err(Error::SigmaNotPositive);
        }
        if !(self.eta_mu.is_finite() && self.eta_mu > T::ZERO) {
            return Err(Error::EtaNotPositive);
        }
        if !self.eta_sigma.is_finite() {
            return Err(Error::NonFiniteSetting("eta_sigma"));
        }
        if self.eta_sigma < T::ZERO {
            return Err(Error::InvalidSetting("eta_sigma must be >= 0"));
        }
        if !(2..=MAX_POPULATION).contains(&self.population) {
            return Err(Error::PopulationOutOfRange {
                requested: self.population,
                min: 2,
                max: MAX_POPULATION,
            });
        }
        Ok(())
    }
}

/// SNES over a caller's parameters (the mean `mu`) and `sigma` storage `S`;
/// see the [module docs](self).
///
/// **Safety net.** `plan` refuses non-finite parameters and a distribution
/// whose points could overflow (`|mu_i| + sigma_i max|s| >` the weight
/// limit: [`Error::PerturbationOverflow`]). A step with a non-finite loss is
/// rejected ([`Rejection::NonFiniteProbe`]) and one whose update would take
/// `mu` or `sigma` to non-finite values or past the weight limit is skipped
/// ([`Rejection::UpdateTooLarge`]); either way nothing is written — the mean
/// never moved, so the parameters are exactly where the step began — and the
/// step's noise keys are consumed. `sigma` never becomes non-finite or
/// negative; it can underflow to zero after a very long contraction, which
/// freezes that coordinate.
///
/// **Report** ([`StepReport`]): `baseline_loss` is the mean of the step's
/// `lambda` losses (an estimate of the loss under the search distribution,
/// not of `L(mu)`), `eta` and `effective_eta` are `eta_mu`; SNES has no
/// RPE, so `rpe` and `coding` are `None`. [`Snes::sigma`] gives the step
/// sizes.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(Serialize, Deserialize))]
pub struct Snes<T, S> {
    config: SnesConfig<T>,
    sigma: S,
    dim: usize,
    step: u64,
    planned: bool,
    /// `max |mu|` and `max sigma` at the start of the planned step.
    param_max_abs: T,
    sigma_max: T,
    counters: Counters,
    #[cfg_attr(
        feature = "serde",
        serde(bound(
            serialize = "T: Real + Serialize",
            deserialize = "T: Real + Deserialize<'de>"
        ))
    )]
    last_report: Option<StepReport<T>>,
}

/// The `lambda` points of one SNES step: `mu + sigma ∘ s_k`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnesPlan<'a, T> {
    sigma: &'a [T],
    seed: u64,
    step: u64,
    population: usize,
}

impl<T: Real> SnesPlan<'_, T> {
    /// The noise of this step: `s_k` is its stream `k` (Gaussian, full rank).
    pub fn noise(&self) -> StepNoise<'static> {
        StepNoise::new(self.seed, self.step, NoiseKind::Gaussian)
    }

    /// The per-parameter `sigma` of this step.
    pub fn sigma(&self) -> &[T] {
        self.sigma
    }

    fn check(&self, e: usize, base: &[T]) -> Result<(), Error> {
        if e >= self.population {
            return Err(Error::PointOutOfRange {
                point: e,
                len: self.population,
            });
        }
        check_len(self.sigma.len(), base.len())
    }
}

impl<T: Real> Population<T> for SnesPlan<'_, T> {
    fn len(&self) -> usize {
        self.population
    }

    fn dim(&self) -> usize {
        self.sigma.len()
    }

    fn step(&self) -> u64 {
        self.step
    }

    /// Writes `out = base + sigma ∘ s_e` (in `T`: `out_i = base_i + sigma_i * s_i`);
    /// `base` (the mean) is left as it is.
    fn build_point(&self, e: usize, base: &mut [T], out: &mut [T]) -> Result<(), Error> {
        self.check(e, base)?;
        check_len(self.sigma.len(), out.len())?;
        let sigma = self.sigma;
        self.noise()
            .for_each_scaled_indexed(base.len(), e, T::ONE, |i, s| {
                out[i] = base[i] + sigma[i] * s;
            });
        Ok(())
    }

    /// Nothing to do: SNES's base does not move.
    fn walk_past(&self, e: usize, base: &mut [T]) -> Result<(), Error> {
        self.check(e, base)
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> Snes<T, S> {
    /// SNES over `dim` parameters with `sigma` stored in `sigma` (length
    /// `dim`; every value set to `config.sigma0` here). Validates every setting.
    pub fn new(config: SnesConfig<T>, dim: usize, mut sigma: S) -> Result<Self, Error> {
        config.validate()?;
        if dim == 0 {
            return Err(Error::EmptyParameters);
        }
        check_len(dim, sigma.as_ref().len())?;
        sigma.as_mut().fill(config.sigma0);
        Ok(Self {
            config,
            sigma,
            dim,
            step: 0,
            planned: false,
            param_max_abs: T::ZERO,
            sigma_max: T::ZERO,
            counters: Counters::default(),
            last_report: None,
        })
    }

    /// The settings.
    pub fn config(&self) -> &SnesConfig<T> {
        &self.config
    }

    /// The per-parameter step sizes `sigma`.
    pub fn sigma(&self) -> &[T] {
        self.sigma.as_ref()
    }

    /// Gives the `sigma` storage back.
    pub fn into_sigma(self) -> S {
        self.sigma
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The index of the next step (= steps completed or rejected so far).
    pub fn step_index(&self) -> u64 {
        self.step
    }

    /// Work counters (`undone_updates` and `non_finite_baselines` stay zero:
    /// SNES has neither an undo nor a baseline).
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The report of the last applied update.
    pub fn last_report(&self) -> Option<&StepReport<T>> {
        self.last_report.as_ref()
    }

    /// Points per step, `lambda`.
    pub fn population(&self) -> usize {
        self.config.population
    }

    /// The largest `|mu_i| + sigma_i max|s|` allowed: 256 ulps below the
    /// type's largest value ([`weight_limit`] without a perturbation).
    fn limit() -> f64 {
        weight_limit(T::ZERO, 0.0)
    }

    fn max_noise() -> f64 {
        StepNoise::new(0, 0, NoiseKind::Gaussian).max_abs()
    }

    /// Starts a step: checks the parameters (finite, and every point of the
    /// distribution within the weight limit) and returns the step's points.
    /// Finish with [`Snes::tell_all`]. Planning again before `tell_all`
    /// gives the same plan.
    ///
    /// Errors (nothing changes): wrong length, non-finite parameters
    /// ([`Error::NonFiniteParameters`]), `|mu_i| + sigma_i max|s|` beyond the
    /// weight limit ([`Error::PerturbationOverflow`]).
    pub fn plan(&mut self, params: &[T]) -> Result<SnesPlan<'_, T>, Error> {
        check_len(self.dim, params.len())?;
        let m = Self::max_noise();
        let limit = Self::limit();
        let mut max_abs = T::ZERO;
        let mut sigma_max = T::ZERO;
        for (w, s) in params.iter().zip(self.sigma.as_ref()) {
            if !w.is_finite() {
                return Err(Error::NonFiniteParameters);
            }
            if w.abs().to_f64() + s.to_f64() * m > limit {
                return Err(Error::PerturbationOverflow);
            }
            max_abs = max_abs.max(w.abs());
            sigma_max = sigma_max.max(*s);
        }
        self.param_max_abs = max_abs;
        self.sigma_max = sigma_max;
        self.planned = true;
        Ok(SnesPlan {
            sigma: self.sigma.as_ref(),
            seed: self.config.seed,
            step: self.step,
            population: self.config.population,
        })
    }

    /// The plan of the step in progress (after [`Snes::plan`], before
    /// [`Snes::tell_all`]); `None` otherwise.
    pub fn current_plan(&self) -> Option<SnesPlan<'_, T>> {
        self.planned.then(|| SnesPlan {
            sigma: self.sigma.as_ref(),
            seed: self.config.seed,
            step: self.step,
            population: self.config.population,
        })
    }

    /// Finishes the planned step with the loss of each of its points, in
    /// order: updates `mu` (the parameters) and `sigma`, or rejects the step
    /// and changes nothing (see [`Snes`]).
    ///
    /// Errors (nothing changes): wrong length of `params` or `losses`; no
    /// `plan` before ([`Error::BatchOutOfOrder`]).
    pub fn tell_all(&mut self, params: &mut [T], losses: &[T]) -> Result<StepOutcome<T>, Error> {
        check_len(self.dim, params.len())?;
        if !self.planned {
            return Err(Error::BatchOutOfOrder);
        }
        let lambda = self.config.population;
        check_len(lambda, losses.len())?;
        self.planned = false;
        self.counters.forward_passes += lambda as u64;
        let step = self.step;
        self.step += 1;
        if !losses.iter().all(|l| l.is_finite()) {
            self.counters.rejected_probes += 1;
            self.counters.consecutive_rejections += 1;
            return Ok(StepOutcome::Rejected(Rejection::NonFiniteProbe));
        }
        self.counters.consecutive_rejections = 0;
        let mut utilities = [T::ZERO; MAX_POPULATION];
        let u = &mut utilities[..lambda];
        snes_utilities(losses, u);
        if !self.apply(params, u, step) {
            self.counters.skipped_updates += 1;
            self.counters.consecutive_rejections += 1;
            return Ok(StepOutcome::Rejected(Rejection::UpdateTooLarge));
        }
        let mut mean = 0.0;
        for l in losses {
            mean += l.to_f64();
        }
        let eta = self.config.eta_mu;
        let report = StepReport {
            step,
            baseline_loss: T::from_f64(mean / lambda as f64),
            eta,
            effective_eta: eta,
            rpe: None,
            coding: None,
        };
        self.counters.updates += 1;
        self.last_report = Some(report);
        Ok(StepOutcome::Updated(report))
    }

    /// The update of `mu` and `sigma` with utilities `u`; `false` (nothing
    /// written) when it would leave non-finite values or cross the limit.
    fn apply(&mut self, params: &mut [T], u: &[T], step: u64) -> bool {
        let noise = StepNoise::new(self.config.seed, step, NoiseKind::Gaussian);
        let m = noise.max_abs();
        let limit = Self::limit();
        let eta_mu = self.config.eta_mu;
        let half_eta_sigma = self.config.eta_sigma * T::from_f64(0.5);
        // One pass when a bound rules out trouble:
        // |grad_mu| <= sum|u| M, |grad_sigma| <= sum|u| max(M^2 - 1, 1).
        let mut u_abs = 0.0;
        for x in u {
            u_abs += x.abs().to_f64();
        }
        let mu_step = eta_mu.to_f64() * self.sigma_max.to_f64() * u_abs * m;
        let growth = libm::exp(half_eta_sigma.to_f64() * u_abs * (m * m - 1.0).max(1.0));
        let sigma_bound = self.sigma_max.to_f64() * growth;
        let bound = self.param_max_abs.to_f64() + 2.0 * mu_step + 2.0 * sigma_bound * m;
        let sigma = self.sigma.as_mut();
        if !(bound.is_finite() && bound <= limit) {
            let mut ok = true;
            gradients(&noise, u, params.len(), |i, g_mu, g_sigma| {
                let (mu1, sigma1) =
                    snes_coordinate(params[i], sigma[i], g_mu, g_sigma, eta_mu, half_eta_sigma);
                ok &= mu1.is_finite()
                    && sigma1.is_finite()
                    && mu1.abs().to_f64() + sigma1.to_f64() * m <= limit;
            });
            if !ok {
                return false;
            }
        }
        gradients(&noise, u, params.len(), |i, g_mu, g_sigma| {
            let (mu1, sigma1) =
                snes_coordinate(params[i], sigma[i], g_mu, g_sigma, eta_mu, half_eta_sigma);
            params[i] = mu1;
            sigma[i] = sigma1;
        });
        true
    }

    /// One whole step with `loss` evaluating each point, built one after
    /// another in `scratch` (the parameters' length). Nothing is allocated.
    ///
    /// Errors as [`Snes::plan`] and [`Snes::tell_all`], and a `scratch` of
    /// the wrong length.
    pub fn step<F: FnMut(&[T]) -> T>(
        &mut self,
        params: &mut [T],
        scratch: &mut [T],
        mut loss: F,
    ) -> Result<StepOutcome<T>, Error> {
        check_len(self.dim, scratch.len())?;
        let mut losses = [T::ZERO; MAX_POPULATION];
        let lambda = self.config.population;
        {
            let plan = self.plan(params)?;
            for (e, l) in losses[..lambda].iter_mut().enumerate() {
                // The base (the mean) does not move.
                plan.build_point(e, params, scratch)?;
                *l = loss(scratch);
            }
        }
        self.tell_all(params, &losses[..lambda])
    }
}

/// `(mu', sigma')` of one coordinate: `mu + eta_mu sigma g_mu` and
/// `sigma exp(eta_sigma / 2 g_sigma)`.
#[inline(always)]
fn snes_coordinate<T: Real>(
    mu: T,
    sigma: T,
    g_mu: T,
    g_sigma: T,
    eta_mu: T,
    half_eta_sigma: T,
) -> (T, T) {
    (
        mu + eta_mu * sigma * g_mu,
        sigma * (half_eta_sigma * g_sigma).exp(),
    )
}

/// Calls `f(i, grad_mu_i, grad_sigma_i)` for every coordinate, with
/// `grad_mu = sum_k u_k s_k` and `grad_sigma = sum_k u_k (s_k^2 - 1)`
/// summed in `T` in order `k = 0, 1, ...`; the noise comes in stack chunks.
fn gradients<T: Real>(noise: &StepNoise<'_>, u: &[T], len: usize, mut f: impl FnMut(usize, T, T)) {
    const CHUNK: usize = crate::noise::BLOCK_LEN;
    let mut s = [T::ZERO; CHUNK];
    let mut g_mu = [T::ZERO; CHUNK];
    let mut g_sigma = [T::ZERO; CHUNK];
    let mut start = 0;
    while start < len {
        let n = (len - start).min(CHUNK);
        g_mu[..n].fill(T::ZERO);
        g_sigma[..n].fill(T::ZERO);
        for (k, uk) in u.iter().enumerate() {
            noise.fill(k, start, &mut s[..n]);
            for j in 0..n {
                g_mu[j] += *uk * s[j];
                g_sigma[j] += *uk * (s[j] * s[j] - T::ONE);
            }
        }
        for j in 0..n {
            f(start + j, g_mu[j], g_sigma[j]);
        }
        start += n;
    }
}

impl<T: Real, S: AsRef<[T]> + AsMut<[T]>> PopulationOptimizer<T> for Snes<T, S> {
    fn dim(&self) -> usize {
        self.dim
    }

    fn points_per_step(&self) -> usize {
        self.config.population
    }

    fn step_index(&self) -> u64 {
        self.step
    }

    fn counters(&self) -> &Counters {
        &self.counters
    }

    fn last_report(&self) -> Option<&StepReport<T>> {
        self.last_report.as_ref()
    }

    fn plan(&mut self, params: &[T]) -> Result<Plan<'_, T>, Error> {
        Snes::plan(self, params).map(Plan::Snes)
    }

    fn current_plan(&self) -> Option<Plan<'_, T>> {
        Snes::current_plan(self).map(Plan::Snes)
    }

    fn tell_all(&mut self, params: &mut [T], losses: &[T]) -> Result<StepOutcome<T>, Error> {
        Snes::tell_all(self, params, losses)
    }
}
