//! Online learning on the chip: an Elman RNN (H = 8) learns to forecast Mackey-Glass one step ahead from a stream of samples generated as it goes, with Dopamine-3 (node perturbation, per-step dopamine, streamed eligibility traces), prequentially: every sample is predicted before the network learns from it.
//!
//! The network, `h_t = tanh(W_in x_t + W_hh h_{t-1} + b)`, `y_t = W_out h_t +
//! b_out`, keeps its 89 parameters in `dopamine-core`'s Elman layout
//! ([`NodeLayout::elman`]: `[W_in, W_hh, b, W_out, b_out]`, matrices
//! column-major). Two copies run in lockstep with antithetic neuron noise
//! from the rule; the rule streams its eligibility (`O(P)` memory: the
//! estimate, the trace and the second moments, `3P + N + J + 3` values) and
//! updates the weights every [`OnlineSettings::interval`] samples. Nothing
//! is stored but the current step: the stream could run forever.
//!
//! The stream: the series of `mackey_glass` (E2's, one sample per time
//! unit after 1,000 of transient), normalised with the mean and standard
//! deviation of its first [`OnlineSettings::calibration`] samples, which
//! are not learnt from. Then for every later sample `x_{t+1}`: the network
//! has already forecast it from `x_t`; the forecast is scored (in the last
//! [`OnlineSettings::scored`] samples, against persistence's `x_t` on the
//! same samples), the copies' squared errors go to the rule, and the
//! network takes `x_{t+1}` as its next input.

use dopamine_core::{
    Accumulation, Dopamine3, Dopamine3Config, EtaSchedule, NodeLayout, NodeUpdate, UpdateEvery,
};

use crate::mackey_glass::MackeyGlass;
use crate::rng::SplitMix64;
use crate::train::Clock;

/// Hidden units.
pub const HIDDEN: usize = 8;
/// Parameters: `H (1 + H + 1) + (H + 1)`.
pub const PARAMS: usize = HIDDEN * (HIDDEN + 2) + HIDDEN + 1;
/// Values of the rule's storage (streamed eligibility, second moments on).
pub const STORAGE: usize = 3 * PARAMS + NEURONS + PRESYNAPTIC + 3;
/// Neurons: the hidden units and the output.
const NEURONS: usize = HIDDEN + 1;
/// Presynaptic values per step: `[x_t; h(t-1)]` for the hidden layer, `h(t)` for the readout.
const PRESYNAPTIC: usize = 1 + 2 * HIDDEN;

const W_HH: usize = HIDDEN;
const B_H: usize = HIDDEN + HIDDEN * HIDDEN;
const W_OUT: usize = B_H + HIDDEN;
const B_OUT: usize = W_OUT + HIDDEN;

/// Settings of an online run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnlineSettings {
    /// Neuron noise scale.
    pub sigma: f32,
    /// Learning rate (second-moment normalised steps).
    pub eta: f32,
    /// Trace decay of the hidden layer.
    pub lambda: f32,
    /// Samples between two updates.
    pub interval: u32,
    /// Samples learnt from (after the calibration).
    pub samples: u64,
    /// Leading samples that only set the normalisation.
    pub calibration: u64,
    /// Trailing samples whose forecasts are scored.
    pub scored: u64,
    /// Cosine decay of `eta` to this fraction over the stream (`None`: constant).
    pub cosine_to: Option<f32>,
    /// Seed of the initial weights and of the noise.
    pub seed: u64,
    /// Replace the loss of every this-many-th sample by NaN (`None`: never).
    pub nan_every: Option<u64>,
}

/// The firmware's settings (chosen by `examples/online_sweep.rs`).
pub const ONLINE: OnlineSettings = OnlineSettings {
    sigma: 0.01,
    eta: 0.02,
    lambda: 0.5,
    interval: 50,
    samples: 40_000,
    calibration: 200,
    scored: 2_000,
    cosine_to: Some(0.1),
    seed: 0,
    nan_every: None,
};

/// With the `inject-nan` feature, every this-many-th sample's loss is NaN.
pub const NAN_EVERY: u64 = 97;

impl OnlineSettings {
    /// The rule's settings: streamed eligibility, an update every
    /// `interval` samples, the default second moment, antithetic noise.
    pub fn rule_config(&self) -> Dopamine3Config<f32> {
        let schedule = match self.cosine_to {
            Some(final_fraction) => EtaSchedule::Cosine {
                total_steps: self.samples / u64::from(self.interval),
                final_fraction,
            },
            None => EtaSchedule::Constant,
        };
        Dopamine3Config {
            sigma: self.sigma,
            eta: self.eta,
            lambda: self.lambda,
            update_every: UpdateEvery::Steps(self.interval),
            accumulation: Accumulation::Streaming,
            schedule,
            seed: self.seed,
            ..Default::default()
        }
    }
}

/// Initial weights from `seed`, in the core's layout: `W_in` entries
/// `N(0, 1)`, `W_hh` entries `N(0, 0.81 / H)` (spectral radius near 0.9 by
/// the circular law), `W_out` entries `N(0, 1 / H)`, zero biases.
pub fn init(seed: u64) -> [f32; PARAMS] {
    let mut rng = SplitMix64::new(seed);
    let mut p = [0.0f32; PARAMS];
    let h = HIDDEN as f32;
    rng.fill_gaussian(&mut p[..W_HH], 1.0);
    rng.fill_gaussian(&mut p[W_HH..B_H], 0.9 / libm::sqrtf(h));
    rng.fill_gaussian(&mut p[W_OUT..B_OUT], 1.0 / libm::sqrtf(h));
    p
}

/// The two copies' hidden states.
#[derive(Debug, Clone, Copy, Default)]
struct Copies {
    a: [f32; HIDDEN],
    b: [f32; HIDDEN],
}

impl Copies {
    /// One step of both copies with noise `xi` (`+xi` on A, `-xi` on B):
    /// writes the presynaptic means into `pre` and returns both outputs.
    fn step(&mut self, p: &[f32; PARAMS], x: f32, xi: &[f32], pre: &mut [f32]) -> (f32, f32) {
        pre[0] = x;
        for j in 0..HIDDEN {
            pre[1 + j] = 0.5 * (self.a[j] + self.b[j]);
        }
        let (mut za, mut zb) = ([0.0f32; HIDDEN], [0.0f32; HIDDEN]);
        for i in 0..HIDDEN {
            let u = p[B_H + i] + p[i] * x;
            let (mut a, mut b) = (u, u);
            for j in 0..HIDDEN {
                let w = p[W_HH + i + j * HIDDEN];
                a += w * self.a[j];
                b += w * self.b[j];
            }
            za[i] = libm::tanhf(a + xi[i]);
            zb[i] = libm::tanhf(b - xi[i]);
        }
        self.a = za;
        self.b = zb;
        let (mut ya, mut yb) = (p[B_OUT], p[B_OUT]);
        for j in 0..HIDDEN {
            pre[1 + HIDDEN + j] = 0.5 * (za[j] + zb[j]);
            ya += p[W_OUT + j] * za[j];
            yb += p[W_OUT + j] * zb[j];
        }
        (ya + xi[HIDDEN], yb - xi[HIDDEN])
    }
}

/// Running sums of squared errors and of the targets over the scored samples.
#[derive(Debug, Clone, Copy, Default)]
struct Score {
    sq_err: f64,
    sq_err_persistence: f64,
    sum: f64,
    sum_sq: f64,
    n: u64,
}

impl Score {
    fn add(&mut self, forecast: f32, last: f32, target: f32) {
        let (f, l, t) = (f64::from(forecast), f64::from(last), f64::from(target));
        self.sq_err += (f - t) * (f - t);
        self.sq_err_persistence += (l - t) * (l - t);
        self.sum += t;
        self.sum_sq += t * t;
        self.n += 1;
    }

    fn std(&self) -> f64 {
        let n = self.n as f64;
        let mean = self.sum / n;
        libm::sqrt((self.sum_sq / n - mean * mean).max(0.0))
    }

    fn nrmse(&self, sq: f64) -> f32 {
        (libm::sqrt(sq / self.n as f64) / self.std()) as f32
    }
}

/// Where an online run's instructions (or any clock's units) went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnlineTimes {
    /// Integrating and normalising the samples.
    pub generation: u64,
    /// Both copies' forward steps and losses.
    pub model: u64,
    /// The rule: noise, eligibility, updates.
    pub kernel: u64,
}

/// What an online run did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnlineOutcome {
    /// NRMSE of the network's forecasts over the scored samples.
    pub nrmse: f32,
    /// NRMSE of persistence on the same samples.
    pub persistence: f32,
    /// Samples learnt from.
    pub samples: u64,
    /// Updates applied.
    pub updates: u64,
    /// Updates refused.
    pub rejected_updates: u64,
    /// Samples whose loss was not finite.
    pub rejected_steps: u64,
    /// NaN losses injected.
    pub injected: u64,
    /// Times a parameter was found non-finite after an update (must be 0).
    pub non_finite_params: u64,
    /// Mean of both copies' squared error over the last interval.
    pub last_loss: f32,
    /// Where the time went.
    pub times: OnlineTimes,
}

impl OnlineOutcome {
    /// The run passes when the forecasts' NRMSE is at most half of
    /// persistence's, the parameters stayed finite, and every injected NaN
    /// was a rejected step.
    pub fn success(&self) -> bool {
        self.nrmse <= 0.5 * self.persistence
            && self.non_finite_params == 0
            && self.rejected_steps == self.injected
    }
}

/// Runs the stream with `settings`, the rule's state in `storage`
/// ([`STORAGE`] values), timing its parts with `clock` and calling `log`
/// every `log_every` samples with (samples so far, mean squared error of
/// the copies since the last call).
///
/// Errors: the rule's, for settings it refuses.
pub fn run_online<C: Clock>(
    settings: &OnlineSettings,
    storage: &mut [f32],
    clock: &mut C,
    log_every: u64,
    mut log: impl FnMut(u64, f32),
) -> Result<OnlineOutcome, dopamine_core::Error> {
    let config = settings.rule_config();
    let layout = NodeLayout::elman(1, HIDDEN, 1)?;
    let mut rule = Dopamine3::new(config, layout, storage)?;
    let mut params = init(settings.seed);
    let mut copies = Copies::default();
    let mut times = OnlineTimes::default();

    let start = clock.now();
    let mut mg = MackeyGlass::new();
    let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
    for _ in 0..settings.calibration {
        let v = mg.next_sample();
        sum += v;
        sum_sq += v * v;
    }
    let n = settings.calibration.max(1) as f64;
    let mean = sum / n;
    let std = libm::sqrt((sum_sq / n - mean * mean).max(1e-12));
    let mut next = || ((mg.next_sample() - mean) / std) as f32;
    let mut x = next();
    times.generation += clock.now() - start;

    let mut score = Score::default();
    let (mut injected, mut non_finite) = (0u64, 0u64);
    let (mut window, mut window_n, mut last_loss) = (0.0f64, 0u64, 0.0f32);
    let first_scored = settings.samples.saturating_sub(settings.scored);
    for t in 0..settings.samples {
        let t0 = clock.now();
        let step = rule.open_step()?;
        let t1 = clock.now();
        let (ya, yb) = copies.step(&params, x, step.noise, step.presynaptic);
        let t2 = clock.now();
        let target = next();
        let t3 = clock.now();
        if t >= first_scored {
            score.add(0.5 * (ya + yb), x, target);
        }
        let (mut la, mut lb) = ((ya - target) * (ya - target), (yb - target) * (yb - target));
        window += f64::from(0.5 * (la + lb));
        window_n += 1;
        if settings.nan_every.is_some_and(|k| (t + 1) % k == 0) {
            la = f32::NAN;
            lb = f32::NAN;
            injected += 1;
        }
        let t4 = clock.now();
        if rule.record(la, lb)?.update_due {
            let update: NodeUpdate<f32> = rule.update(&mut params)?;
            let _ = update;
            if params.iter().any(|p| !p.is_finite()) {
                non_finite += 1;
            }
            last_loss = (window / window_n.max(1) as f64) as f32;
        }
        let t5 = clock.now();
        x = target;
        times.kernel += (t1 - t0) + (t5 - t4);
        times.model += (t2 - t1) + (t4 - t3);
        times.generation += t3 - t2;
        if log_every > 0 && (t + 1) % log_every == 0 {
            log(t + 1, (window / window_n.max(1) as f64) as f32);
            window = 0.0;
            window_n = 0;
        }
    }
    let counters = *rule.counters();
    Ok(OnlineOutcome {
        nrmse: score.nrmse(score.sq_err),
        persistence: score.nrmse(score.sq_err_persistence),
        samples: settings.samples,
        updates: counters.updates,
        rejected_updates: counters.rejected_updates,
        rejected_steps: counters.rejected_steps,
        injected,
        non_finite_params: non_finite,
        last_loss,
        times,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::NoClock;

    #[test]
    fn storage_matches_the_rule() {
        let layout = NodeLayout::elman(1, HIDDEN, 1).unwrap();
        assert_eq!(layout.params(), PARAMS);
        assert_eq!(ONLINE.rule_config().storage_len(&layout), STORAGE);
    }

    /// The firmware's run, on the host: the forecasts' NRMSE over the last
    /// samples is at most half of persistence's.
    #[test]
    fn the_firmware_run_learns_online() {
        let mut storage = [0.0f32; STORAGE];
        let out = run_online(&ONLINE, &mut storage, &mut NoClock, 0, |_, _| {}).unwrap();
        assert!(out.success(), "{out:?}");
        assert_eq!(out.updates, ONLINE.samples / u64::from(ONLINE.interval));
    }

    /// With NaN losses injected, every one is a rejected step and the run
    /// still learns.
    #[test]
    fn injected_nan_losses_are_rejected_steps() {
        let settings = OnlineSettings {
            nan_every: Some(NAN_EVERY),
            ..ONLINE
        };
        let mut storage = [0.0f32; STORAGE];
        let out = run_online(&settings, &mut storage, &mut NoClock, 0, |_, _| {}).unwrap();
        assert_eq!(out.injected, ONLINE.samples / NAN_EVERY);
        assert!(out.success(), "{out:?}");
    }

    /// The step of both copies without noise is the plain forward pass.
    #[test]
    fn noiseless_copies_agree() {
        let p = init(3);
        let mut c = Copies::default();
        let mut pre = [0.0f32; PRESYNAPTIC];
        for t in 0..20 {
            let (a, b) = c.step(&p, (t as f32 * 0.3).sin(), &[0.0; NEURONS], &mut pre);
            assert_eq!(a, b);
            assert_eq!(c.a, c.b);
        }
    }
}
